-- Candidate drivers from the d-files: press-release sub-items with a contribution to their direction's
-- y/y change (latest figures).
SELECT m.period, m.direction, m.category_code, m.category_name_en, m.parent_code, m.yoy_pct,
       m.yoy_contribution_pp
FROM marts.trade_by_category_monthly AS m
JOIN core.principal_commodities AS c USING (direction, category_code)
WHERE list_contains($periods, m.period)
  AND m.level >= 2
  AND c.in_press_release
  AND m.yoy_contribution_pp IS NOT NULL
ORDER BY m.period, m.direction, c.file_position;
