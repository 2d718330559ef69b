"""The one place configuration lives.

Every location and limit that differs between production, a developer's laptop and a test is a field here,
read from `ZEIKAN_*` environment variables. Tests build a `Settings` with temporary paths instead of
patching code; the command line overrides `source` and `warehouse` the same way.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MOF_DFILES_URL = "https://www.customs.go.jp/toukei/suii/html/data/"
MOF_PRESS_URL = "https://www.customs.go.jp/toukei/shinbun/trade-st_e/"
ESTAT_API_URL = "https://api.e-stat.go.jp/rest/3.0/app/"

# MOF's server answers scripted clients with an error page; it wants what a browser sends.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
)


class Settings(BaseSettings):
    """Where zeikan reads releases from, where it writes, and how patient it is with the network."""

    model_config = SettingsConfigDict(env_prefix="ZEIKAN_", extra="ignore")

    source: str = Field(
        MOF_DFILES_URL,
        description="Root of a release source: an http(s) base URL, a file:// URL or a directory. "
        "Holds d41ma.csv, d51ma.csv and d61ma.csv (and press releases under press/).",
    )
    press_source: str | None = Field(
        None,
        description="Where the press-release XML lives, as a base that may contain {year}; defaults to "
        "press/ under `source`, or MOF's English press-release site ({year}/ folders) for MOF's own source.",
    )
    warehouse: Path = Field(Path("warehouse/zeikan.duckdb"), description="The pipeline's DuckDB file.")
    raw_dir: Path | None = Field(
        None,
        description="Archive of raw files as received, by sha256; defaults to raw/ beside the warehouse.",
    )
    mof_data: Path = Field(
        Path("../shared/data/mof"),
        description="Copies of real MOF files used by tests and benchmarks (never by the pipeline itself).",
    )

    user_agent: str = BROWSER_USER_AGENT
    connect_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(60.0, gt=0)
    max_download_bytes: int = Field(
        20_000_000, gt=0, description="A d-file is ~0.4 MB; anything far larger is not the file we asked for."
    )
    download_deadline_s: float = Field(
        300.0,
        gt=0,
        description="Longest a single download may take in all (a server dripping bytes never times out).",
    )
    fetch_retries: int = Field(3, ge=0)
    fetch_retry_delays_s: list[float] = Field(default_factory=lambda: [2.0, 5.0, 15.0])

    press_lookback_months: int = Field(
        24, ge=0, description="A backfill asks for the press releases of this many most recent months."
    )
    publish_dir: Path = Field(Path("publish"), description="Where release reports and charts are written.")
    serving_dir: Path | None = Field(
        None,
        description="Where the copy BI tools read is published after each load (zeikan.duckdb, parquet/, "
        "docs/); defaults to serving/<warehouse file's stem>/ beside the warehouse.",
    )

    estat_app_id: SecretStr | None = Field(None, description="e-Stat application id (later issues).")

    def press_url(self, name: str, year: int) -> str:
        """Where the press release `name` (e.g. 2026054e.xml) of `year` is fetched from."""
        from tasks.extract import file_url

        if self.press_source is not None:
            base = self.press_source.format(year=year)
        elif self.source.rstrip("/") == MOF_DFILES_URL.rstrip("/"):
            base = f"{MOF_PRESS_URL}{year}/"
        else:
            return file_url(self.source, f"press/{name}")
        return file_url(base, name)

    quarantine_dir: Path | None = Field(
        None,
        description="Where raw files that failed parsing or validation are kept with their problems; "
        "defaults to quarantine/ beside the warehouse.",
    )
    lock_wait_s: float = Field(
        600.0, ge=0, description="How long a run waits for another process to release the warehouse file."
    )

    @property
    def quarantine(self) -> Path:
        """Folder of rejected raw files, one sub-folder per rejection."""
        return (
            self.quarantine_dir if self.quarantine_dir is not None else self.warehouse.parent / "quarantine"
        )

    @property
    def raw_archive(self) -> Path:
        """Folder of raw files, content-addressed by sha256."""
        return self.raw_dir if self.raw_dir is not None else self.warehouse.parent / "raw"

    @property
    def serving_folder(self) -> Path:
        """Folder of the serving copy: what BI tools read, replaced whole after each load.

        The default is named after the warehouse file, so that the demo's warehouse (demo.duckdb) never
        publishes over the copy of the real one beside it."""
        if self.serving_dir is not None:
            return self.serving_dir
        return self.warehouse.parent / "serving" / self.warehouse.stem

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the non-None overrides applied (command-line options beat the environment)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return type(self).model_validate({**self.model_dump(), **given}) if given else self
