"""The bundled sample is made by the project's own code from MOF's real files, and stays so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.parse import parse_commodities, parse_world
from tests.conftest import raw_file
from zeikan.release import DFILES, RawFile
from zeikan.sample import SAMPLE_FIRST, SAMPLE_LAST, build_sample, sample_dir


def raw(path: Path) -> RawFile:
    return raw_file(path.name, path.read_bytes())


@pytest.mark.real_data
def test_rebuilding_the_sample_from_the_real_files_gives_the_committed_bytes(mof_data, tmp_path):
    build_sample(mof_data, tmp_path)
    for name in (*DFILES, "README.md"):
        assert (tmp_path / name).read_bytes() == (sample_dir() / name).read_bytes(), name


@pytest.mark.real_data
def test_sample_rows_are_the_real_rows_byte_for_byte(mof_data):
    for name in DFILES:
        real_lines = set((mof_data / name).read_bytes().split(b"\r\n"))
        sample_lines = (sample_dir() / name).read_bytes().split(b"\r\n")
        published = [
            line for line in sample_lines if line[:4].isdigit() and not line.endswith((b",-", b"0 ,0 "))
        ]
        assert published and all(line in real_lines for line in published), name


def test_the_sample_is_a_release_of_may_2026_with_the_rest_of_the_year_unpublished():
    world = parse_world(raw(sample_dir() / "d41ma.csv"))
    assert world.frame["period"].iloc[0].date() == SAMPLE_FIRST
    assert world.latest_period == SAMPLE_LAST
    assert [p.month for p in world.unpublished] == list(range(6, 13))
    exports = parse_commodities(raw(sample_dir() / "d51ma.csv"))
    assert exports.latest_period == SAMPLE_LAST
