-- marts.press_release_totals: each press release's page-1 figures as printed.
INSERT INTO marts.press_release_totals
SELECT p.period, p.release_date, p.stage, p.exports_jpy, p.imports_jpy, p.balance_jpy,
       p.exports_yoy_pct, p.imports_yoy_pct
FROM core.press_totals AS p
ORDER BY p.period, p.release_date, p.release_id;
