-- marts.revisions: first print against latest value for every month and measure that has changed.
INSERT INTO marts.revisions
WITH history AS (
    SELECT period, vintage, release_id, measure, value_jpy
    FROM (
        SELECT period, vintage, release_id, exports_jpy, imports_jpy, exports_jpy - imports_jpy AS balance_jpy
        FROM core.trade_totals
    ) UNPIVOT (value_jpy FOR measure IN (exports_jpy, imports_jpy, balance_jpy))
),
ordered AS (
    SELECT *,
           row_number() OVER (PARTITION BY period, measure ORDER BY vintage, release_id) AS nth,
           row_number() OVER (PARTITION BY period, measure ORDER BY vintage DESC, release_id DESC) AS nth_from_last,
           lag(value_jpy) OVER (PARTITION BY period, measure ORDER BY vintage, release_id) AS previous_jpy
    FROM history
),
changed AS (
    SELECT DISTINCT period, measure FROM ordered WHERE nth > 1 AND value_jpy IS DISTINCT FROM previous_jpy
)
SELECT f.period, f.measure, f.value_jpy, f.vintage, l.value_jpy, l.vintage, l.value_jpy - f.value_jpy
FROM ordered AS f
JOIN ordered AS l USING (period, measure)
JOIN changed USING (period, measure)
WHERE f.nth = 1 AND l.nth_from_last = 1
ORDER BY f.period, f.measure;
