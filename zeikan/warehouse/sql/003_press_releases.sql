-- Press releases as a source: each load now says what kind of release it was and at which stage, and
-- what MOF printed in a press release (rates, shares, contributions) is kept as printed.
ALTER TABLE core.releases ADD COLUMN kind VARCHAR DEFAULT 'dfiles';
ALTER TABLE core.releases ADD COLUMN stage VARCHAR;
COMMENT ON COLUMN core.releases.kind IS 'dfiles (d41ma/d51ma/d61ma) or press (an English press release YYYYMMne.xml).';
COMMENT ON COLUMN core.releases.stage IS 'For a press release: first_ten_days, first_twenty_days, preliminary or detailed. NULL for d-files (their stage is per month: confirmed, or revised after the annual revision).';

CREATE TABLE core.press_totals (
    release_id INTEGER NOT NULL,
    period DATE NOT NULL,
    stage VARCHAR NOT NULL,
    release_date DATE NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL,
    balance_jpy BIGINT NOT NULL,
    exports_year_ago_jpy BIGINT,
    imports_year_ago_jpy BIGINT,
    balance_year_ago_jpy BIGINT,
    exports_yoy_pct DOUBLE,
    imports_yoy_pct DOUBLE,
    balance_yoy_pct DOUBLE
);
COMMENT ON TABLE core.press_totals IS 'Page 1 of each press release as printed: the month''s (or part-month''s) totals, the year-earlier values and MOF''s rates.';
COMMENT ON COLUMN core.press_totals.release_id IS 'The load that read the release.';
COMMENT ON COLUMN core.press_totals.period IS 'Month (first day) the release is about.';
COMMENT ON COLUMN core.press_totals.stage IS 'first_ten_days, first_twenty_days, preliminary or detailed.';
COMMENT ON COLUMN core.press_totals.release_date IS 'The day MOF published it (kohyoymd).';
COMMENT ON COLUMN core.press_totals.exports_jpy IS 'Exports, yen (million yen x 1e6).';
COMMENT ON COLUMN core.press_totals.imports_jpy IS 'Imports, yen.';
COMMENT ON COLUMN core.press_totals.balance_jpy IS 'Balance, yen.';
COMMENT ON COLUMN core.press_totals.exports_year_ago_jpy IS 'Exports a year earlier as printed in this release, yen.';
COMMENT ON COLUMN core.press_totals.imports_year_ago_jpy IS 'Imports a year earlier as printed, yen.';
COMMENT ON COLUMN core.press_totals.balance_year_ago_jpy IS 'Balance a year earlier as printed, yen.';
COMMENT ON COLUMN core.press_totals.exports_yoy_pct IS 'Exports y/y, percent, as MOF printed it (one decimal).';
COMMENT ON COLUMN core.press_totals.imports_yoy_pct IS 'Imports y/y, percent, as printed.';
COMMENT ON COLUMN core.press_totals.balance_yoy_pct IS 'Balance y/y, percent, as printed (NULL where MOF prints -).';

CREATE TABLE core.press_commodities (
    release_id INTEGER NOT NULL,
    period DATE NOT NULL,
    direction VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    category_code VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    level_printed INTEGER NOT NULL,
    quantity_unit VARCHAR,
    quantity DOUBLE,
    value_jpy BIGINT,
    share_pct DOUBLE,
    yoy_pct DOUBLE,
    yoy_contribution_pp DOUBLE
);
COMMENT ON TABLE core.press_commodities IS 'The world principal-commodity pages of each press release, as printed.';
COMMENT ON COLUMN core.press_commodities.release_id IS 'The load that read the release.';
COMMENT ON COLUMN core.press_commodities.period IS 'Month (first day).';
COMMENT ON COLUMN core.press_commodities.direction IS 'export or import.';
COMMENT ON COLUMN core.press_commodities.position IS 'Row on the page.';
COMMENT ON COLUMN core.press_commodities.category_code IS 'MOF principal-commodity code (matched by English name).';
COMMENT ON COLUMN core.press_commodities.name_en IS 'The English name as printed.';
COMMENT ON COLUMN core.press_commodities.level_printed IS 'The level MOF prints (0 total, 1 group, 2 item).';
COMMENT ON COLUMN core.press_commodities.quantity_unit IS 'Unit of the printed quantity (TMT = thousand metric tons, MNO = million units, ...).';
COMMENT ON COLUMN core.press_commodities.quantity IS 'Quantity as printed, in quantity_unit.';
COMMENT ON COLUMN core.press_commodities.value_jpy IS 'Value, yen (million yen x 1e6).';
COMMENT ON COLUMN core.press_commodities.share_pct IS 'Share of the direction''s total, percent, as printed.';
COMMENT ON COLUMN core.press_commodities.yoy_pct IS 'Value y/y, percent, as printed.';
COMMENT ON COLUMN core.press_commodities.yoy_contribution_pp IS 'Contribution to the total''s y/y change, percentage points, as printed.';

CREATE TABLE marts.press_release_totals (
    period DATE NOT NULL,
    vintage DATE NOT NULL,
    stage VARCHAR NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL,
    balance_jpy BIGINT NOT NULL,
    exports_yoy_pct DOUBLE,
    imports_yoy_pct DOUBLE
);
COMMENT ON TABLE marts.press_release_totals IS 'Each press release''s headline figures exactly as MOF printed them (first prints; later figures are in trade_balance_monthly).';
COMMENT ON COLUMN marts.press_release_totals.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.press_release_totals.vintage IS 'Release date.';
COMMENT ON COLUMN marts.press_release_totals.stage IS 'first_ten_days, first_twenty_days, preliminary or detailed.';
COMMENT ON COLUMN marts.press_release_totals.exports_jpy IS 'Exports, yen (million yen x 1e6).';
COMMENT ON COLUMN marts.press_release_totals.imports_jpy IS 'Imports, yen.';
COMMENT ON COLUMN marts.press_release_totals.balance_jpy IS 'Balance, yen.';
COMMENT ON COLUMN marts.press_release_totals.exports_yoy_pct IS 'Exports y/y, percent, as MOF printed it (one decimal).';
COMMENT ON COLUMN marts.press_release_totals.imports_yoy_pct IS 'Imports y/y, percent, as printed.';

CREATE TABLE marts.press_release_commodities (
    period DATE NOT NULL,
    vintage DATE NOT NULL,
    stage VARCHAR NOT NULL,
    direction VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    category_name_en VARCHAR NOT NULL,
    level INTEGER NOT NULL,
    value_jpy BIGINT,
    share_pct DOUBLE,
    yoy_pct DOUBLE,
    yoy_contribution_pp DOUBLE
);
COMMENT ON TABLE marts.press_release_commodities IS 'Each press release''s world principal-commodity tables as MOF printed them: the first print of values, shares, y/y rates and contributions.';
COMMENT ON COLUMN marts.press_release_commodities.period IS 'Month (first day of the month).';
COMMENT ON COLUMN marts.press_release_commodities.vintage IS 'Release date.';
COMMENT ON COLUMN marts.press_release_commodities.stage IS 'first_ten_days, first_twenty_days, preliminary or detailed.';
COMMENT ON COLUMN marts.press_release_commodities.direction IS 'export or import.';
COMMENT ON COLUMN marts.press_release_commodities.category_code IS 'MOF principal-commodity code.';
COMMENT ON COLUMN marts.press_release_commodities.category_name_en IS 'English name as printed.';
COMMENT ON COLUMN marts.press_release_commodities.level IS '0 total, 1 the nine press groups, 2 and deeper sub-items (as in trade_by_category_monthly).';
COMMENT ON COLUMN marts.press_release_commodities.value_jpy IS 'Value, yen (million yen x 1e6).';
COMMENT ON COLUMN marts.press_release_commodities.share_pct IS 'Share of the direction''s total, percent, as printed.';
COMMENT ON COLUMN marts.press_release_commodities.yoy_pct IS 'Value y/y, percent, as printed.';
COMMENT ON COLUMN marts.press_release_commodities.yoy_contribution_pp IS 'Contribution to the total''s y/y change, percentage points, as printed.';
