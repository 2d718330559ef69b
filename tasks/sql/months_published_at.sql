-- The months whose d-file headline at this vintage is already written (a resumed backfill skips them).
SELECT DISTINCT period
FROM core.release_headlines
WHERE vintage = $vintage
  AND stage IN ('confirmed', 'revised')
  AND list_contains($months, period)
ORDER BY period;
