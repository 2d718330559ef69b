-- Add the monthly totals that are new or differ from what the warehouse held as of $vintage.
-- A rerun of the same release adds nothing; a revision adds a row beside the first print, never over it.
INSERT INTO core.trade_totals (period, vintage, release_id, exports_jpy, imports_jpy)
SELECT incoming.period, $vintage, $release_id, incoming.exports_jpy, incoming.imports_jpy
FROM (
    SELECT CAST(period AS DATE) AS period, exports_jpy, imports_jpy FROM incoming_totals
) AS incoming
LEFT JOIN (
    SELECT period, exports_jpy, imports_jpy
    FROM core.trade_totals
    WHERE vintage <= $vintage
    QUALIFY row_number() OVER (PARTITION BY period ORDER BY vintage DESC, release_id DESC) = 1
) AS known USING (period)
WHERE known.period IS NULL
   OR known.exports_jpy IS DISTINCT FROM incoming.exports_jpy
   OR known.imports_jpy IS DISTINCT FROM incoming.imports_jpy
ORDER BY incoming.period;
