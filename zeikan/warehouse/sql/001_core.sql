-- core: every vintage of every figure, as loaded. Rows are only ever added: a revision is a new row
-- beside its predecessor, ordered by (vintage, release_id). marts are derived from here.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE core.releases (
    release_id INTEGER NOT NULL,
    vintage DATE NOT NULL,
    period DATE,
    source VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL,
    rows_changed BIGINT NOT NULL
);
COMMENT ON TABLE core.releases IS 'One row per load that changed the warehouse: its as-of date (vintage), the month it was run for, where it came from.';
COMMENT ON COLUMN core.releases.release_id IS 'Load number, increasing; orders loads that share a vintage date.';
COMMENT ON COLUMN core.releases.vintage IS 'As-of date: the release date when known, else the fetch date in Japan.';
COMMENT ON COLUMN core.releases.period IS 'The month the release was run for (first day).';
COMMENT ON COLUMN core.releases.source IS 'The source root the files came from (URL or directory).';
COMMENT ON COLUMN core.releases.loaded_at IS 'When the load committed.';
COMMENT ON COLUMN core.releases.rows_changed IS 'Figures added or revised by this load.';

CREATE TABLE core.release_files (
    release_id INTEGER NOT NULL,
    file_name VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE core.release_files IS 'The raw files each load read, exactly as received; the bytes are archived under raw/<sha256[:2]>/<sha256>.';
COMMENT ON COLUMN core.release_files.release_id IS 'The load that read the file.';
COMMENT ON COLUMN core.release_files.file_name IS 'MOF file name, e.g. d41ma.csv.';
COMMENT ON COLUMN core.release_files.url IS 'Where it was fetched from.';
COMMENT ON COLUMN core.release_files.sha256 IS 'SHA-256 of the bytes as received.';
COMMENT ON COLUMN core.release_files.bytes IS 'Size as received.';
COMMENT ON COLUMN core.release_files.fetched_at IS 'When it was fetched (UTC).';

CREATE TABLE core.trade_totals (
    period DATE NOT NULL,
    vintage DATE NOT NULL,
    release_id INTEGER NOT NULL,
    exports_jpy BIGINT NOT NULL,
    imports_jpy BIGINT NOT NULL
);
COMMENT ON TABLE core.trade_totals IS 'World exports and imports per month and vintage (d41ma). A row is added only when a figure is new or changed.';
COMMENT ON COLUMN core.trade_totals.period IS 'Month (first day).';
COMMENT ON COLUMN core.trade_totals.vintage IS 'As-of date of the release the figures first appeared in.';
COMMENT ON COLUMN core.trade_totals.release_id IS 'The load that added the row.';
COMMENT ON COLUMN core.trade_totals.exports_jpy IS 'Exports, yen (MOF thousand yen x 1000).';
COMMENT ON COLUMN core.trade_totals.imports_jpy IS 'Imports, yen (MOF thousand yen x 1000).';

CREATE TABLE core.trade_by_category (
    period DATE NOT NULL,
    direction VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    vintage DATE NOT NULL,
    release_id INTEGER NOT NULL,
    value_jpy BIGINT,
    quantity DOUBLE
);
COMMENT ON TABLE core.trade_by_category IS 'Exports and imports per month, principal commodity and vintage (d51ma, d61ma). A row is added only when a figure is new or changed.';
COMMENT ON COLUMN core.trade_by_category.period IS 'Month (first day).';
COMMENT ON COLUMN core.trade_by_category.direction IS 'export or import.';
COMMENT ON COLUMN core.trade_by_category.category_code IS 'MOF principal-commodity code as printed, without quotes.';
COMMENT ON COLUMN core.trade_by_category.vintage IS 'As-of date of the release the figures first appeared in.';
COMMENT ON COLUMN core.trade_by_category.release_id IS 'The load that added the row.';
COMMENT ON COLUMN core.trade_by_category.value_jpy IS 'Value, yen; NULL where MOF prints - (not applicable).';
COMMENT ON COLUMN core.trade_by_category.quantity IS 'Quantity in quantity_unit; NULL where none.';

CREATE TABLE core.principal_commodities (
    direction VARCHAR NOT NULL,
    category_code VARCHAR NOT NULL,
    category_name_ja VARCHAR NOT NULL,
    category_name_en VARCHAR,
    level INTEGER NOT NULL,
    parent_code VARCHAR,
    quantity_unit VARCHAR,
    in_press_release BOOLEAN NOT NULL,
    file_position INTEGER NOT NULL
);
COMMENT ON TABLE core.principal_commodities IS 'The principal commodities (概況品) of each direction as the latest release prints them.';
COMMENT ON COLUMN core.principal_commodities.direction IS 'export or import.';
COMMENT ON COLUMN core.principal_commodities.category_code IS 'MOF code as printed, without quotes.';
COMMENT ON COLUMN core.principal_commodities.category_name_ja IS 'Japanese name from the header rows.';
COMMENT ON COLUMN core.principal_commodities.category_name_en IS 'English name as MOF prints it in the press release.';
COMMENT ON COLUMN core.principal_commodities.level IS '0 total, 1 the nine press groups, 2 and deeper sub-items.';
COMMENT ON COLUMN core.principal_commodities.parent_code IS 'The narrowest commodity whose code contains this one.';
COMMENT ON COLUMN core.principal_commodities.quantity_unit IS 'Unit of quantity (MT, KG, NO, KL, ...); NULL where none.';
COMMENT ON COLUMN core.principal_commodities.in_press_release IS 'Printed in the monthly press release (has a press-release name).';
COMMENT ON COLUMN core.principal_commodities.file_position IS 'Column order in the d-file, for presenting items as MOF does.';

CREATE TABLE core.release_headlines (
    period DATE NOT NULL,
    vintage DATE NOT NULL,
    stage VARCHAR NOT NULL,
    headline VARCHAR NOT NULL,
    drivers VARCHAR,
    release_id INTEGER
);
COMMENT ON TABLE core.release_headlines IS 'Headlines as published for each vintage of a month; a later revision adds a row and never rewrites an earlier one.';
COMMENT ON COLUMN core.release_headlines.period IS 'Month (first day).';
COMMENT ON COLUMN core.release_headlines.vintage IS 'As-of date of the release the headline describes.';
COMMENT ON COLUMN core.release_headlines.stage IS 'first_ten_days, first_twenty_days, preliminary, detailed, confirmed or revised.';
COMMENT ON COLUMN core.release_headlines.headline IS 'The sentence, in CONTRACT wording.';
COMMENT ON COLUMN core.release_headlines.drivers IS 'Principal commodities that moved the month most.';
COMMENT ON COLUMN core.release_headlines.release_id IS 'The load that wrote it.';
