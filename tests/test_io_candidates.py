"""Candidate sites: read by the one reader, checked like centres' coordinates; the engine reads no file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.engine import crs, siting
from geo.io import candidates
from geo.io.district import District
from geo.io.errors import DataError

IN = "116.7417,23.3956"
OUTLINE = District.open().outline
"""Longhu's outline: candidate sites are checked against an area (the batch gives a whole region)."""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_chinese_headers_gbk_and_gcj02(tmp_path):
    glon, glat = crs.wgs84_to_gcj02(116.7417, 23.3956)
    p = write(tmp_path, "候选.csv", f"名称,经度,纬度\n空置厂房,{float(glon):.7f},{float(glat):.7f}\n", "gb18030")
    sites = candidates.load_candidates(p, "gcj02", district=OUTLINE)
    assert list(sites.columns) == ["source", "name", "lon", "lat", "geometry"]
    assert sites.crs.equals("EPSG:4326") and list(sites["name"]) == ["空置厂房"]
    assert abs(sites["lon"].iat[0] - 116.7417) < 1e-6 and abs(sites["lat"].iat[0] - 23.3956) < 1e-6
    assert list(sites["source"]) == ["user"]


def test_combined_location_column_and_no_names(tmp_path):
    p = write(tmp_path, "loc.csv", f"location\n\"{IN}\"\n\"116.745, 23.398\"\n")
    rep = candidates.import_candidates(p, district=OUTLINE)
    assert rep.ok and len(rep.valid) == 2 and list(rep.valid["name"]) == ["", ""]
    bad = write(tmp_path, "bad.csv", "经纬度\n116.74\n")
    rep = candidates.import_candidates(bad, district=OUTLINE)
    assert [(p.row, p.column) for p in rep.problems] == [(2, "经纬度")]
    assert "expected 'longitude,latitude'" in rep.problems[0].why()


@pytest.mark.parametrize("cells,column,value,needle", [
    ("A,116.74,abc", "lat", "abc", "not a number"),
    ("A,23.3956,116.7417", "lon/lat", "23.3956, 116.7417", "swapped"),
    ("A,200,23.39", "lon", "200", "longitude out of range"),
    ("A,116.74,", "lat", "", "empty latitude"),
    ("A,116.95,23.45", "lon/lat", "116.95, 23.45", "outside Longhu District"),
    ("A,1e400,23.39", "lon", "1e400", "not a number"),
])
def test_each_coordinate_check_names_row_column_value(tmp_path, cells, column, value, needle):
    p = write(tmp_path, "c.csv", f"name,lon,lat\nOK,{IN}\n{cells}\n")
    rep = candidates.import_candidates(p, district=OUTLINE)
    assert rep.valid_rows == [2] and rep.rejected_rows == [3]
    pr = rep.problems[0]
    assert (pr.row, pr.column, pr.value) == (3, column, value) and needle in pr.why()
    with pytest.raises(DataError) as e:
        candidates.load_candidates(p, district=OUTLINE)
    assert "c.csv, row 3" in str(e.value) and needle in str(e.value)


def test_outside_the_district_gives_the_distance(tmp_path):
    p = write(tmp_path, "c.csv", "name,lon,lat\nsea,116.80,23.27\n")
    with pytest.raises(DataError, match=r"outside Longhu District, 4,6\d\d m from its outline"):
        candidates.load_candidates(p, district=OUTLINE)


def test_points_only_missing_columns_and_empty_files(tmp_path):
    g = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[shapely.Point(116.7417, 23.3956),
                                                         shapely.box(116.74, 23.39, 116.75, 23.40)],
                         crs="EPSG:4326")
    g.to_file(tmp_path / "s.gpkg")
    rep = candidates.import_candidates(tmp_path / "s.gpkg", district=OUTLINE)
    assert rep.valid_rows == [1] and rep.problems[0].row == 2 and "not a point" in rep.problems[0].why()
    with pytest.raises(DataError, match="missing column lat/纬度"):
        candidates.import_candidates(write(tmp_path, "m.csv", "名称,经度\nA,116.74\n"), district=OUTLINE)
    with pytest.raises(DataError, match="no candidate sites"):
        candidates.import_candidates(write(tmp_path, "e.csv", "名称,经度,纬度\n"), district=OUTLINE)
    with pytest.raises(DataError, match="none.csv.*not found"):
        candidates.load_candidates(tmp_path / "none.csv", district=OUTLINE)


def test_the_engine_reads_no_candidate_file(tmp_path):
    assert not hasattr(siting, "load_candidates")
    import inspect

    assert "Path" not in str(inspect.signature(siting.suggest).parameters["candidates"].annotation)
    assert "Path" not in str(inspect.signature(siting.build_instance).parameters["candidates"].annotation)


CELLS = st.sampled_from(["116.7417", "23.3956", "116.7417,23.3956", "abc", "", " ", "1e400", "nan", "-inf",
                         "空置厂房", "\"", ",", "116.95", "０.５", "116°", "=1+1", "1e308"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header=st.lists(st.sampled_from(["name", "名称", "lon", "经度", "lat", "纬度", "location", "经纬度",
                                        "级别", "备注", ""]), max_size=5),
       rows=st.lists(st.lists(CELLS, max_size=6), max_size=6), raw=st.binary(max_size=200),
       name=st.sampled_from(["k.csv", "k.xlsx", "k.geojson", "k.gpkg", "k.zip"]))
def test_fuzz_every_row_is_valid_or_named(header, rows, raw, name):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    for payload, fname in ((buf.getvalue().encode(), "k.csv"), (raw, name)):
        try:
            rep = candidates.import_candidates(payload, filename=fname, district=OUTLINE)
        except DataError as exc:
            assert str(exc) and exc.problems
            continue
        assert len(rep.valid_rows) + len(rep.rejected_rows) == rep.n_rows
        assert not set(rep.valid_rows) & set(rep.rejected_rows)
        assert rep.valid.crs.equals("EPSG:4326") and list(rep.valid.columns) == candidates.CANDIDATE_COLUMNS + [
            "geometry"]
