-- marts.press_release_commodities: each press release's world commodity tables as printed.
INSERT INTO marts.press_release_commodities
SELECT c.period, r.vintage, r.stage, c.direction, c.category_code, c.name_en, pc.level,
       c.value_jpy, c.share_pct, c.yoy_pct, c.yoy_contribution_pp
FROM core.press_commodities AS c
JOIN core.releases AS r USING (release_id)
LEFT JOIN core.principal_commodities AS pc USING (direction, category_code)
ORDER BY c.period, r.vintage, c.release_id, c.direction, c.position;
