-- The months a headline is written from, as known at the headline's release.
SELECT period, balance_jpy, position, first_deficit_in_months, first_surplus_in_months,
       exports_yoy_pct, imports_yoy_pct
FROM ({monthly_balance})
WHERE list_contains($periods, period)
ORDER BY period;
