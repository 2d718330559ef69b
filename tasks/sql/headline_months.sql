-- The monthly-mart rows a headline is written from.
SELECT period, balance_jpy, position, first_deficit_in_months, first_surplus_in_months,
       exports_yoy_pct, imports_yoy_pct
FROM marts.trade_balance_monthly
WHERE list_contains($periods, period)
ORDER BY period;
