"""One reader for users' tables: the same limits (bytes, rows, columns), the same header
schemas and the same refusals for every caller (the importer, a District's centres file
(``District.layers(centers=…)``, the command line's ``--centers``), the candidate sites, the
registry of divisions)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from geo import cli
from geo.engine import schema
from geo.io import candidates, centers, data, sources
from geo.io.district import District
from geo.io.errors import DataError

IN = "116.7417,23.3956"  # inside Longhu
SEA = "116.80,23.27"  # in the sea south of Longhu


def load_centers(path: Path):
    """A user's centres file, strictly, as the command line's ``--centers`` reads it."""
    return District.open().layers(use_store=False, centers=path).centers


def import_centers(path: Path, **kw):
    return centers.import_centers(path, district=District.open(), **kw)


def load_candidates(path: Path):
    return candidates.load_candidates(path, district=District.open().outline)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- load_centers


def test_load_centers_honours_the_row_and_byte_limits(tmp_path, monkeypatch):
    p = write(tmp_path, "many.csv", "name,tier,lon,lat\n" + f"A,station,{IN}\n" * 20)
    monkeypatch.setattr(sources, "MAX_ROWS", 5)
    with pytest.raises(DataError, match="more than 5 rows"):
        load_centers(p)
    monkeypatch.setattr(sources, "MAX_ROWS", 100_000)
    monkeypatch.setattr(sources, "MAX_BYTES", 100)
    with pytest.raises(DataError, match="many.csv: the file is .* MB, over the"):
        load_centers(p)


def test_load_centers_refuses_nul_bytes(tmp_path):
    p = tmp_path / "nul.csv"
    p.write_bytes(f"name,tier,lon,lat\nA\x00B,station,{IN}\n".encode())
    with pytest.raises(DataError, match="NUL"):
        load_centers(p)


def test_load_centers_checks_the_district_and_lists_every_problem(tmp_path):
    p = write(tmp_path, "sea.csv", f"name,tier,lon,lat\nA,station,{IN}\nB,station,{SEA}\n,castle,{IN}\n")
    with pytest.raises(DataError) as e:
        load_centers(p)
    found = {(pr.row, pr.column) for pr in e.value.problems}
    assert found == {(3, "lon/lat"), (4, "name"), (4, "tier")}
    outside = next(pr for pr in e.value.problems if pr.row == 3)
    assert "outside Longhu District" in str(outside.reason) and "m from its outline" in str(outside.reason)


def test_load_centers_is_the_importer(tmp_path):
    """Same file, same rows, same columns through both roads (Chinese headers, a combined column)."""
    p = write(tmp_path, "c.csv", f"名称,类型,经纬度\n甲,服务站,\"{IN}\"\n乙,街道,\"116.745,23.398\"\n")
    got = load_centers(p)
    want = import_centers(p).valid
    assert list(got.columns) == schema.CENTER_COLUMNS + ["geometry"]
    assert got.drop(columns="geometry").equals(want.drop(columns="geometry"))


def test_nearest_refuses_a_centre_in_the_sea(tmp_path, capsys):
    p = write(tmp_path, "sea.csv", f"name,tier,lon,lat\nA,station,{IN}\nB,station,{SEA}\n")
    rc = cli.main(["nearest", "--lon", "116.74", "--lat", "23.39", "--centers", str(p), "--json"])
    err = capsys.readouterr().err
    assert rc == 2 and "sea.csv, row 3" in err and "outside Longhu District" in err


def test_the_second_csv_reader_is_gone():
    assert not hasattr(data, "read_table")
    assert not hasattr(data, "CENTER_ALIASES")  # header aliases live in the schemas of geo.io.sources


def test_divisions_are_read_by_the_one_reader(tmp_path, monkeypatch):
    good = (data.DATA_DIR / "divisions.csv").read_bytes()
    (tmp_path / "divisions.csv").write_bytes(good)
    assert data.load_divisions(tmp_path / "divisions.csv").equals(District.open().divisions)
    monkeypatch.setattr(sources, "MAX_ROWS", 5)
    with pytest.raises(DataError, match="more than 5 rows"):
        data.load_divisions(tmp_path / "divisions.csv")
    monkeypatch.setattr(sources, "MAX_ROWS", 100_000)
    (tmp_path / "divisions.csv").write_bytes(good.replace(b"\n", b"\x00\n", 3))
    with pytest.raises(DataError, match="NUL"):
        data.load_divisions(tmp_path / "divisions.csv")


# --------------------------------------------------------------------------- columns


def wide_csv(tmp_path: Path, n: int) -> Path:
    header = "name,tier,lon,lat," + ",".join(f"c{i}" for i in range(n)) + "\n"
    return write(tmp_path, "wide.csv", header + f"A,station,{IN}\n")


@pytest.mark.parametrize("road", ["load_centers", "import_centers", "load_candidates"])
def test_200000_columns_are_refused_before_the_rows_are_parsed(tmp_path, road):
    """Refused from the header line (it took 73 s and 1.9 GB when every row was parsed first); the
    bound is loose on purpose: this machine is shared, benchmarks measure speed."""
    p = wide_csv(tmp_path, 200_000)
    fn = {"load_centers": load_centers, "import_centers": import_centers, "load_candidates": load_candidates}[road]
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"columns, over the 500 limit"):
        fn(p)
    assert time.perf_counter() - start < 10


def test_column_limit_applies_to_every_format(tmp_path, monkeypatch):
    import geopandas as gpd
    import shapely
    from openpyxl import Workbook

    monkeypatch.setattr(sources, "MAX_COLUMNS", 8)
    assert import_centers(wide_csv(tmp_path, 4)).ok
    with pytest.raises(DataError, match="columns, over the 8 limit"):
        import_centers(wide_csv(tmp_path, 5))
    # a data row wider than the limit is refused too, not only the header
    p = write(tmp_path, "row.csv", f"name,tier,lon,lat\nA,station,{IN},1,2,3,4,5,6\n")
    with pytest.raises(DataError, match="over the 8 limit"):
        import_centers(p)
    # trailing empty cells (Excel's ",,,,") do not count
    p = write(tmp_path, "trail.csv", "name,tier,lon,lat" + "," * 20 + f"\nA,station,{IN}" + "," * 20 + "\n")
    assert import_centers(p).ok
    wb = Workbook()
    wb.active.append(["name", "tier", "lon", "lat"] + [f"c{i}" for i in range(6)])
    wb.active.append(["A", "station", 116.7417, 23.3956])
    wb.save(tmp_path / "wide.xlsx")
    with pytest.raises(DataError, match="over the 8 limit"):
        import_centers(tmp_path / "wide.xlsx")
    g = gpd.GeoDataFrame({f"c{i}": ["x"] for i in range(9)}, geometry=[shapely.Point(116.74, 23.39)],
                         crs="EPSG:4326")
    g.to_file(tmp_path / "wide.geojson")
    with pytest.raises(DataError, match="over the 8 limit"):
        import_centers(tmp_path / "wide.geojson")


# --------------------------------------------------------------------------- schemas


def test_header_aliases_are_per_kind():
    c, k, f = (sources.SCHEMAS[n] for n in ("centers", "candidates", "facilities"))
    assert c.canon("经度") == k.canon("经度") == f.canon("经度") == "lon"
    assert c.canon(" 纬度(WGS84) ") == k.canon("Latitude") == "lat"
    assert c.canon("经纬度") == k.canon("location") == "lonlat"
    assert c.canon("级别") == "tier" and k.canon("级别") is None  # a candidate site has no tier
    assert c.canon("所属街道") == "street_name" and k.canon("所属街道") is None
    assert k.canon("名称") == "name" and f.canon("名称") == "name"
    assert c.canon("备注") is None


def test_geojson_properties_go_through_the_schema(tmp_path):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "空置厂房", "级别": "x"},
         "geometry": {"type": "Point", "coordinates": [116.7417, 23.3956]}}]}
    p = tmp_path / "sites.geojson"
    p.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    rep = candidates.import_candidates(p, district=District.open().outline)
    assert rep.ok and list(rep.valid["name"]) == ["空置厂房"]
    assert any("级别" in w.value for w in rep.warnings)  # not part of a candidate site


def test_shipped_centres_through_the_road_are_the_file():
    import pandas as pd

    want = pd.read_csv(data.DATA_DIR / "centers.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    got = District.open().shipped("centers")
    assert list(got.columns) == schema.CENTER_COLUMNS + ["geometry"] and len(got) == len(want) == 172
    for c in schema.CENTER_COLUMNS:
        if c in ("lon", "lat"):
            assert (abs(got[c].to_numpy() - want[c].astype(float).to_numpy()) < 1e-12).all()
        else:
            assert list(got[c]) == list(want[c]), c
