-- marts.release_headlines: every vintage's headline of every month, as published.
INSERT INTO marts.release_headlines
SELECT period, vintage, stage, headline, drivers
FROM core.release_headlines
ORDER BY period, vintage, stage;
