-- marts.{table}: sums of the monthly mart per {year_column}, and how much |balance| moved against the
-- year before when both years are complete. {year_of_period} maps a month to its year.
INSERT INTO marts.{table}
WITH years AS (
    SELECT {year_of_period} AS year_number,
           count(*) AS months,
           CAST(sum(exports_jpy) AS BIGINT) AS exports_jpy,
           CAST(sum(imports_jpy) AS BIGINT) AS imports_jpy,
           CAST(sum(balance_jpy) AS BIGINT) AS balance_jpy
    FROM marts.trade_balance_monthly
    GROUP BY ALL
)
SELECT
    CAST(y.year_number AS INTEGER),
    CAST(y.months AS INTEGER),
    y.exports_jpy,
    y.imports_jpy,
    y.balance_jpy,
    CASE WHEN y.balance_jpy > 0 THEN 'surplus' WHEN y.balance_jpy < 0 THEN 'deficit' ELSE 'balanced' END,
    CASE WHEN y.months = 12 AND prior.months = 12
         THEN CAST(abs(y.balance_jpy) - abs(prior.balance_jpy) AS DOUBLE)
              / CAST(nullif(abs(prior.balance_jpy), 0) AS DOUBLE) * 100
    END
FROM years AS y
LEFT JOIN years AS prior ON prior.year_number = y.year_number - 1
ORDER BY y.year_number;
