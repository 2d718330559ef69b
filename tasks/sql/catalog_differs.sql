-- Whether the principal-commodity catalog in the release differs from the one stored (either way round).
SELECT EXISTS (
    (SELECT * FROM incoming_catalog EXCEPT SELECT * FROM core.principal_commodities)
    UNION ALL
    (SELECT * FROM core.principal_commodities EXCEPT SELECT * FROM incoming_catalog)
);
