-- Write this vintage's headlines: replace a same-vintage headline whose text changed, add new ones.
-- Headlines of earlier vintages (a month's first print) are never touched.
DELETE FROM core.release_headlines AS h
USING incoming_headlines AS n
WHERE h.period = CAST(n.period AS DATE) AND h.vintage = CAST(n.vintage AS DATE) AND h.stage = n.stage
  AND (h.headline IS DISTINCT FROM n.headline OR h.drivers IS DISTINCT FROM n.drivers)
RETURNING h.period;
