-- A press release's printed contributions, shaped for the report's charts.
SELECT c.direction, c.category_code, c.name_en AS category_name_en, pc.parent_code, pc.level,
       c.yoy_pct, c.yoy_contribution_pp
FROM core.press_commodities AS c
JOIN core.releases AS r USING (release_id)
JOIN core.principal_commodities AS pc USING (direction, category_code)
WHERE c.period = ? AND r.vintage = ? AND r.stage = ?
ORDER BY c.direction, c.position;
