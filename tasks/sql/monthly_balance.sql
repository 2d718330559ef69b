-- Every month's balance and CONTRACT §2 metrics as known at one point of the release history: each month
-- takes its figures from the latest release at or before ($as_of_vintage, $as_of_release); a month only
-- printed after that point counts with its first print, the closest there is to what was known.
-- At the end of time this is the latest view, which is what marts.trade_balance_monthly holds.
WITH history AS (
    SELECT period, vintage, release_id, exports_jpy, imports_jpy, exports_jpy - imports_jpy AS balance_jpy,
           (vintage < $as_of_vintage OR (vintage = $as_of_vintage AND release_id <= $as_of_release)) AS known
    FROM core.trade_totals
),
revised AS (
    -- a revision is a release whose balance differs from the release before it
    SELECT period, count(*) FILTER (WHERE previous_balance_jpy IS DISTINCT FROM balance_jpy
                                      AND previous_balance_jpy IS NOT NULL) AS revision_count
    FROM (
        SELECT period, balance_jpy,
               lag(balance_jpy) OVER (PARTITION BY period ORDER BY vintage, release_id) AS previous_balance_jpy
        FROM history
        WHERE known
    )
    GROUP BY period
),
latest AS (
    SELECT *,
           CASE WHEN balance_jpy > 0 THEN 'surplus' WHEN balance_jpy < 0 THEN 'deficit' ELSE 'balanced' END
               AS position
    FROM history
    QUALIFY row_number() OVER (
        PARTITION BY period
        ORDER BY known DESC,
                 CASE WHEN known THEN vintage END DESC, CASE WHEN known THEN release_id END DESC,
                 vintage, release_id
    ) = 1
),
sequenced AS (
    SELECT *,
           lag(position) OVER (ORDER BY period) AS previous_position,
           max(CASE WHEN position = 'deficit' THEN period END)
               OVER (ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_deficit,
           max(CASE WHEN position = 'surplus' THEN period END)
               OVER (ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_surplus
    FROM latest
),
runs AS (
    -- a run is a stretch of months with one position; it starts wherever the position changes
    SELECT *,
           sum(CASE WHEN position IS DISTINCT FROM previous_position THEN 1 ELSE 0 END)
               OVER (ORDER BY period ROWS UNBOUNDED PRECEDING) AS run_number,
           datediff('month', last_deficit, period) AS since_deficit,
           datediff('month', last_surplus, period) AS since_surplus
    FROM sequenced
)
SELECT
    r.period,
    r.exports_jpy,
    r.imports_jpy,
    r.balance_jpy,
    r.position,
    (CAST(r.exports_jpy AS DOUBLE) / CAST(nullif(ago.exports_jpy, 0) AS DOUBLE) - 1) * 100 AS exports_yoy_pct,
    (CAST(r.imports_jpy AS DOUBLE) / CAST(nullif(ago.imports_jpy, 0) AS DOUBLE) - 1) * 100 AS imports_yoy_pct,
    CAST(row_number() OVER (PARTITION BY r.run_number ORDER BY r.period) AS INTEGER) AS streak_months,
    CAST(r.since_deficit AS INTEGER) AS months_since_last_deficit,
    CAST(r.since_surplus AS INTEGER) AS months_since_last_surplus,
    CAST(CASE WHEN r.position = 'deficit' AND r.previous_position IS DISTINCT FROM 'deficit'
              THEN r.since_deficit END AS INTEGER) AS first_deficit_in_months,
    CAST(CASE WHEN r.position = 'surplus' AND r.previous_position IS DISTINCT FROM 'surplus'
              THEN r.since_surplus END AS INTEGER) AS first_surplus_in_months,
    r.vintage,
    CAST(coalesce(v.revision_count, 0) AS INTEGER) AS revision_count
FROM runs AS r
LEFT JOIN revised AS v USING (period)
LEFT JOIN latest AS ago ON ago.period = CAST(r.period - INTERVAL 12 MONTH AS DATE)
ORDER BY r.period
