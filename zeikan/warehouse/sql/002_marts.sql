-- marts: what BI tools read (CONTRACT §2). Latest value of every figure; rebuilt from core in the same
-- transaction as each load, so a reader sees a whole release or the one before, never half of one.
CREATE SCHEMA IF NOT EXISTS marts;

CREATE TABLE marts.trade_balance_monthly (
    period DATE NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL,
    balance_jpy BIGINT NOT NULL,
    position VARCHAR NOT NULL,
    exports_yoy_pct DOUBLE,
    imports_yoy_pct DOUBLE,
    streak_months INTEGER NOT NULL,
    months_since_last_deficit INTEGER,
    months_since_last_surplus INTEGER,
    first_deficit_in_months INTEGER,
    first_surplus_in_months INTEGER,
    vintage DATE NOT NULL,
    revision_count INTEGER NOT NULL
);
COMMENT ON TABLE marts.trade_balance_monthly IS 'Japan''s monthly trade balance with the world, latest vintage of each month, from 1979 (MOF d41ma).';
COMMENT ON COLUMN marts.trade_balance_monthly.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.trade_balance_monthly.exports_jpy IS 'Exports, yen.';
COMMENT ON COLUMN marts.trade_balance_monthly.imports_jpy IS 'Imports, yen.';
COMMENT ON COLUMN marts.trade_balance_monthly.balance_jpy IS 'Trade balance, yen: exports - imports.';
COMMENT ON COLUMN marts.trade_balance_monthly.position IS 'surplus (balance > 0), deficit (< 0) or balanced (= 0).';
COMMENT ON COLUMN marts.trade_balance_monthly.exports_yoy_pct IS 'Exports year on year, percent: (value / value 12 months earlier - 1) x 100; NULL without a year-earlier value.';
COMMENT ON COLUMN marts.trade_balance_monthly.imports_yoy_pct IS 'Imports year on year, percent: (value / value 12 months earlier - 1) x 100; NULL without a year-earlier value.';
COMMENT ON COLUMN marts.trade_balance_monthly.streak_months IS 'Consecutive months up to and including this one with the same position.';
COMMENT ON COLUMN marts.trade_balance_monthly.months_since_last_deficit IS 'Months from the most recent earlier deficit month to this month; NULL if none earlier in the data.';
COMMENT ON COLUMN marts.trade_balance_monthly.months_since_last_surplus IS 'Months from the most recent earlier surplus month to this month; NULL if none earlier in the data.';
COMMENT ON COLUMN marts.trade_balance_monthly.first_deficit_in_months IS 'For a deficit month after a month that was not a deficit: months_since_last_deficit ("first deficit in N months"); else NULL.';
COMMENT ON COLUMN marts.trade_balance_monthly.first_surplus_in_months IS 'For a surplus month after a month that was not a surplus: months_since_last_surplus ("first surplus in N months"); else NULL.';
COMMENT ON COLUMN marts.trade_balance_monthly.vintage IS 'As-of date of the release the figures come from.';
COMMENT ON COLUMN marts.trade_balance_monthly.revision_count IS 'How many times this month''s balance has changed since its first print.';

CREATE TABLE marts.trade_by_category_monthly (
    period DATE NOT NULL,
    direction VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    category_name_en VARCHAR,
    category_name_ja VARCHAR NOT NULL,
    level INTEGER NOT NULL,
    parent_code VARCHAR,
    value_jpy BIGINT,
    quantity DOUBLE,
    quantity_unit VARCHAR,
    yoy_pct DOUBLE,
    share_pct DOUBLE,
    yoy_contribution_pp DOUBLE,
    vintage DATE NOT NULL
);
COMMENT ON TABLE marts.trade_by_category_monthly IS 'Exports and imports by principal commodity (概況品), latest vintage of each month, from 1988 (MOF d51ma, d61ma).';
COMMENT ON COLUMN marts.trade_by_category_monthly.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.trade_by_category_monthly.direction IS 'export or import.';
COMMENT ON COLUMN marts.trade_by_category_monthly.category_code IS 'MOF principal-commodity code as printed, without quotes (e.g. 70323, 0+1; 0～9 is the total).';
COMMENT ON COLUMN marts.trade_by_category_monthly.category_name_en IS 'English name as MOF prints it in the press release.';
COMMENT ON COLUMN marts.trade_by_category_monthly.category_name_ja IS 'Japanese name as MOF prints it in the d-file header.';
COMMENT ON COLUMN marts.trade_by_category_monthly.level IS '0 total, 1 the nine press groups, 2 and deeper sub-items.';
COMMENT ON COLUMN marts.trade_by_category_monthly.parent_code IS 'Code of the narrowest commodity containing this one; NULL for the total.';
COMMENT ON COLUMN marts.trade_by_category_monthly.value_jpy IS 'Value, yen; NULL where MOF prints - (not applicable).';
COMMENT ON COLUMN marts.trade_by_category_monthly.quantity IS 'Quantity in quantity_unit; NULL where MOF gives none.';
COMMENT ON COLUMN marts.trade_by_category_monthly.quantity_unit IS 'Unit of quantity as MOF prints it (MT, KG, NO, KL, ...).';
COMMENT ON COLUMN marts.trade_by_category_monthly.yoy_pct IS 'Value year on year, percent: (value / value 12 months earlier - 1) x 100.';
COMMENT ON COLUMN marts.trade_by_category_monthly.share_pct IS 'Share of the direction''s total for the month, percent.';
COMMENT ON COLUMN marts.trade_by_category_monthly.yoy_contribution_pp IS 'Contribution to the total''s year-on-year change, percentage points: (value - value a year earlier) / total a year earlier x 100.';
COMMENT ON COLUMN marts.trade_by_category_monthly.vintage IS 'As-of date of the release the figures come from.';

CREATE TABLE marts.trade_balance_fiscal_year (
    fiscal_year INTEGER NOT NULL,
    months INTEGER NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL,
    balance_jpy BIGINT NOT NULL,
    position VARCHAR NOT NULL,
    balance_abs_change_pct DOUBLE
);
COMMENT ON TABLE marts.trade_balance_fiscal_year IS 'Trade balance per Japanese fiscal year (FY2025 = April 2025 to March 2026), latest vintages.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.fiscal_year IS 'Fiscal year, named by the calendar year it starts in (FY2025 = April 2025 to March 2026).';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.months IS 'Months covered; a year is complete at 12.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.exports_jpy IS 'Exports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.imports_jpy IS 'Imports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.balance_jpy IS 'Exports - imports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.position IS 'surplus, deficit or balanced.';
COMMENT ON COLUMN marts.trade_balance_fiscal_year.balance_abs_change_pct IS '(|balance| - |previous year''s balance|) / |previous year''s balance| x 100, only when both years are complete (-68.4: the deficit or surplus shrank by 68.4%).';

CREATE TABLE marts.trade_balance_calendar_year (
    year INTEGER NOT NULL,
    months INTEGER NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL,
    balance_jpy BIGINT NOT NULL,
    position VARCHAR NOT NULL,
    balance_abs_change_pct DOUBLE
);
COMMENT ON TABLE marts.trade_balance_calendar_year IS 'Trade balance per calendar year, latest vintages.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.year IS 'Calendar year.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.months IS 'Months covered; a year is complete at 12.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.exports_jpy IS 'Exports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.imports_jpy IS 'Imports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.balance_jpy IS 'Exports - imports over the months covered, yen.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.position IS 'surplus, deficit or balanced.';
COMMENT ON COLUMN marts.trade_balance_calendar_year.balance_abs_change_pct IS '(|balance| - |previous year''s balance|) / |previous year''s balance| x 100, only when both years are complete.';

CREATE TABLE marts.revisions (
    period DATE NOT NULL,
    measure VARCHAR NOT NULL,
    first_value_jpy BIGINT NOT NULL,
    first_vintage DATE NOT NULL,
    latest_value_jpy BIGINT NOT NULL,
    latest_vintage DATE NOT NULL,
    revision_jpy BIGINT NOT NULL
);
COMMENT ON TABLE marts.revisions IS 'One row per month and measure whose value changed after its first print: first print against latest.';
COMMENT ON COLUMN marts.revisions.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.revisions.measure IS 'exports_jpy, imports_jpy or balance_jpy.';
COMMENT ON COLUMN marts.revisions.first_value_jpy IS 'The first value printed, yen.';
COMMENT ON COLUMN marts.revisions.first_vintage IS 'As-of date of the first print.';
COMMENT ON COLUMN marts.revisions.latest_value_jpy IS 'The latest value, yen.';
COMMENT ON COLUMN marts.revisions.latest_vintage IS 'As-of date of the latest value.';
COMMENT ON COLUMN marts.revisions.revision_jpy IS 'latest - first, yen.';

CREATE TABLE marts.release_headlines (
    period DATE NOT NULL,
    vintage DATE NOT NULL,
    stage VARCHAR NOT NULL,
    headline VARCHAR NOT NULL,
    drivers VARCHAR
);
COMMENT ON TABLE marts.release_headlines IS 'The headline of each release vintage of a month, as it read at the time.';
COMMENT ON COLUMN marts.release_headlines.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.release_headlines.vintage IS 'As-of date of the release.';
COMMENT ON COLUMN marts.release_headlines.stage IS 'first_ten_days, first_twenty_days, preliminary (…4e.xml), detailed (…5e.xml), confirmed or revised (d-files).';
COMMENT ON COLUMN marts.release_headlines.headline IS 'e.g. "Japan posted a trade deficit of ¥378.7 billion in May 2026, its first deficit in 4 months."';
COMMENT ON COLUMN marts.release_headlines.drivers IS 'The principal commodities that contributed most to the year-on-year change of exports and imports.';
