-- marts.trade_by_category_monthly: latest vintage per month, direction and principal commodity, with
-- year-on-year rate, share of the direction's total and contribution to the total's y/y change.
INSERT INTO marts.trade_by_category_monthly
WITH latest AS (
    SELECT period, direction, category_code, value_jpy, quantity, vintage
    FROM core.trade_by_category
    QUALIFY row_number() OVER (
        PARTITION BY period, direction, category_code ORDER BY vintage DESC, release_id DESC
    ) = 1
),
totals AS (
    SELECT l.period, l.direction, l.value_jpy AS total_jpy
    FROM latest AS l
    JOIN core.principal_commodities AS c USING (direction, category_code)
    WHERE c.level = 0
)
SELECT
    l.period,
    l.direction,
    l.category_code,
    c.category_name_en,
    c.category_name_ja,
    c.level,
    c.parent_code,
    l.value_jpy,
    l.quantity,
    c.quantity_unit,
    (CAST(l.value_jpy AS DOUBLE) / CAST(nullif(ago.value_jpy, 0) AS DOUBLE) - 1) * 100 AS yoy_pct,
    CAST(l.value_jpy AS DOUBLE) / CAST(nullif(t.total_jpy, 0) AS DOUBLE) * 100 AS share_pct,
    CAST(l.value_jpy - ago.value_jpy AS DOUBLE) / CAST(nullif(t_ago.total_jpy, 0) AS DOUBLE) * 100
        AS yoy_contribution_pp,
    l.vintage
FROM latest AS l
JOIN core.principal_commodities AS c USING (direction, category_code)
LEFT JOIN latest AS ago
    ON ago.direction = l.direction AND ago.category_code = l.category_code
   AND ago.period = CAST(l.period - INTERVAL 12 MONTH AS DATE)
LEFT JOIN totals AS t ON t.direction = l.direction AND t.period = l.period
LEFT JOIN totals AS t_ago
    ON t_ago.direction = l.direction AND t_ago.period = CAST(l.period - INTERVAL 12 MONTH AS DATE)
ORDER BY l.period, l.direction, c.file_position;
