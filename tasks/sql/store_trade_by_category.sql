-- Add the per-commodity figures that are new or differ from what the warehouse held as of $vintage.
INSERT INTO core.trade_by_category (period, direction, category_code, vintage, release_id, value_jpy, quantity)
SELECT incoming.period, incoming.direction, incoming.category_code, $vintage, $release_id,
       incoming.value_jpy, incoming.quantity
FROM (
    SELECT CAST(period AS DATE) AS period, direction, category_code, value_jpy, quantity
    FROM incoming_categories
) AS incoming
LEFT JOIN (
    SELECT period, direction, category_code, value_jpy, quantity
    FROM core.trade_by_category
    WHERE vintage <= $vintage
    QUALIFY row_number() OVER (
        PARTITION BY period, direction, category_code ORDER BY vintage DESC, release_id DESC
    ) = 1
) AS known USING (period, direction, category_code)
WHERE known.period IS NULL
   OR known.value_jpy IS DISTINCT FROM incoming.value_jpy
   OR known.quantity IS DISTINCT FROM incoming.quantity
ORDER BY incoming.period, incoming.direction, incoming.category_code;
