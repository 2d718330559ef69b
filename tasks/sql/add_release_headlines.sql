INSERT INTO core.release_headlines (period, vintage, stage, headline, drivers, release_id)
SELECT CAST(n.period AS DATE), CAST(n.vintage AS DATE), n.stage, n.headline, n.drivers, $release_id
FROM incoming_headlines AS n
ANTI JOIN core.release_headlines AS h
    ON h.period = CAST(n.period AS DATE) AND h.vintage = CAST(n.vintage AS DATE) AND h.stage = n.stage
RETURNING period;
