"""Importing planners' centre files: every problem reported with row/column/value/reason,
nothing dropped silently, coordinate systems, limits, safe paths, fuzzing. Boundaries are in
tests/test_io_boundaries.py, exports in tests/test_io_tables.py."""

from __future__ import annotations

import io
import os
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

from geo.engine import crs, schema
from geo.io import boundaries, centers, errors, files, sources, tables
from geo.io.district import District
from geo.io.errors import DataError

HEADER = "name,tier,lon,lat\n"
IN = "116.7417,23.3956"  # inside Longhu
LONGHU = District.open()
"""The district the rows are checked against (its registry and outline; no test here opens its store)."""


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def problem_at(report: centers.ImportReport, row: int) -> errors.ImportProblem:
    hits = [p for p in report.problems if p.row == row]
    assert hits, f"no problem at row {row}: {report.problems}"
    return hits[0]


def assert_nothing_dropped(report: centers.ImportReport) -> None:
    """Every data row is either valid or named by an error."""
    assert not set(report.valid_rows) & set(report.rejected_rows)
    assert len(report.valid_rows) + len(report.rejected_rows) == report.n_rows
    assert len(report.valid) == len(report.valid_rows)


# --------------------------------------------------------------------------- the happy path


def test_shipped_centres_import_unchanged(shipped_layers):
    rep = centers.import_centers(LONGHU.folder / "centers.csv", district=LONGHU)
    assert rep.ok and not rep.warnings and rep.n_rows == 172
    got = pd.DataFrame(rep.valid.drop(columns="geometry"))
    want = pd.DataFrame(shipped_layers["centers"].drop(columns="geometry"))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert rep.valid.crs.equals("EPSG:4326") and list(rep.valid.columns) == schema.CENTER_COLUMNS + ["geometry"]


def chinese_sheet(shipped_layers, n: int = 12) -> pd.DataFrame:
    c = shipped_layers["centers"].iloc[:n]
    names = dict(zip(shipped_layers["divisions"]["code"], shipped_layers["divisions"]["name"]))
    return pd.DataFrame({
        "编号": c["id"], "名称": c["name"],
        "级别": c["tier"].map({"district": "区级", "street": "街道", "community": "社区", "station": "服务站"}),
        "经度": c["lon"].round(7), "纬度": c["lat"].round(7),
        "街道": c["street_code"].map(names),
        "社区/村": c["community_code"].map(names).fillna(""),
    })


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_encodings_with_chinese_headers(shipped_layers, encoding):
    df = chinese_sheet(shipped_layers)
    sep = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode text" is UTF-16, tab-separated
    raw = df.to_csv(index=False, sep=sep).encode(encoding)
    if encoding == "utf-8-sig":
        assert raw.startswith(b"\xef\xbb\xbf")
    rep = centers.import_centers(raw, filename="中心.csv", district=LONGHU)
    assert rep.ok, rep.problems
    assert list(rep.valid["id"]) == list(df["编号"]) and list(rep.valid["name"]) == list(df["名称"])
    want = shipped_layers["centers"].iloc[:12]
    assert list(rep.valid["tier"]) == list(want["tier"])
    assert list(rep.valid["community_code"]) == list(want["community_code"])
    assert list(rep.valid["street_code"]) == list(want["street_code"])


def test_xlsx_with_title_row_and_numeric_cells(shipped_layers, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["龙湖区党群服务中心（站）名单"])  # a title row above the header
    ws.append(["序号", "名称", "类型", "经度(WGS84)", "纬度(WGS84)", "联系电话"])
    c = shipped_layers["centers"]
    for k, r in enumerate(c.iloc[:5].itertuples(), start=1):
        ws.append([k, r.name, {"street": "街道党群服务中心"}.get(r.tier, r.tier), r.lon, r.lat, "0754-1234567"])
    ws.append([])  # blank row: skipped, numbering kept
    ws.append([7, "坏行", "服务站", "东经116度", 23.4, ""])
    wb.create_sheet("备注")
    p = tmp_path / "中心.xlsx"
    wb.save(p)
    rep = centers.import_centers(p, district=LONGHU)
    assert rep.n_rows == 6 and len(rep.valid) == 5 and rep.valid_rows == [3, 4, 5, 6, 7]
    assert list(rep.valid["id"]) == ["1", "2", "3", "4", "5"]  # numeric ids read as text, not "1.0"
    bad = problem_at(rep, 9)
    assert (bad.column, bad.value) == ("经度(WGS84)", "东经116度") and "not a number" in bad.why()
    reasons = " ".join(w.why() for w in rep.warnings)
    assert "title rows" in reasons and "2 sheets" in reasons and "联系电话" in " ".join(w.value for w in rep.warnings)
    assert_nothing_dropped(rep)


@pytest.mark.parametrize("suffix,driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG")])
def test_vector_points(shipped_layers, tmp_path, suffix, driver):
    c = shipped_layers["centers"].iloc[:6][["id", "name", "tier", "geometry"]].rename(
        columns={"id": "编号", "name": "名称", "tier": "级别"})
    c = pd.concat([c, gpd.GeoDataFrame({"编号": ["L1"], "名称": ["线"], "级别": ["station"]},
                                       geometry=[LineString([(116.7, 23.4), (116.71, 23.4)])], crs="EPSG:4326")])
    p = tmp_path / f"pts{suffix}"
    c.to_file(p, driver=driver)
    rep = centers.import_centers(p, district=LONGHU)
    assert len(rep.valid) == 6 and rep.rejected_rows == [7]
    assert problem_at(rep, 7).column == "geometry" and "not a point" in problem_at(rep, 7).why()
    np.testing.assert_allclose(rep.valid["lon"], shipped_layers["centers"]["lon"].iloc[:6], atol=1e-9)


def test_vector_in_a_projected_crs_is_converted(shipped_layers, tmp_path):
    c = shipped_layers["centers"].iloc[:3].to_crs("EPSG:32650")
    p = tmp_path / "utm.gpkg"
    c.to_file(p)
    rep = centers.import_centers(p, district=LONGHU)
    assert rep.ok
    np.testing.assert_allclose(rep.valid["lat"], shipped_layers["centers"]["lat"].iloc[:3], atol=1e-9)


# --------------------------------------------------------------------------- each check


@pytest.mark.parametrize("body,row,column,value,needle", [
    (HEADER + f"A,street,{IN}\nB,street,116.74,abc\n", 3, "lat", "abc", "not a number"),
    (HEADER + f"A,street,{IN}\nB,street,,\n", 3, "lon/lat", "", "empty coordinates"),
    (HEADER + f"A,street,{IN}\nB,street,116.74,\n", 3, "lat", "", "empty latitude"),
    (HEADER + "A,street,23.3956,116.7417\n", 2, "lon/lat", "23.3956, 116.7417", "swapped"),
    (HEADER + f"A,castle,{IN}\n", 2, "tier", "castle", "unknown tier"),
    (HEADER + f",street,{IN}\n", 2, "name", "", "empty name"),
    ("id," + HEADER + f"x,A,street,{IN}\nx,B,station,{IN}\n", 3, "id", "x", "duplicate id; row 2"),
    (HEADER.strip() + ",街道\n" + f"A,station,{IN},不存在街道\n", 2, "街道", "不存在街道", "unknown street"),
    (HEADER.strip() + ",street_code\n" + f"A,station,{IN},440507999\n", 2, "street_code", "440507999",
     "unknown street code"),
    (HEADER.strip() + ",社区\n" + f"A,community,{IN},火星村\n", 2, "社区", "火星村", "unknown community"),
    (HEADER.strip() + ",街道,社区\n" + f"A,community,{IN},珠池,金谷居委会\n", 2, "街道", "440507003",
     "belongs to 金霞街道"),
    (HEADER.strip() + ",社区\n" + f"A,community,{IN},金谷\nB,社区,116.75,23.40,金谷居委会\n", 3, "社区",
     "440507001001", "already has a community-tier centre (row 2)"),
])
def test_each_check_names_row_column_value_reason(body, row, column, value, needle):
    rep = centers.import_centers(body.encode(), filename="bad.csv", district=LONGHU)
    p = problem_at(rep, row)
    assert (p.row, p.column, p.value) == (row, column, value), p
    assert needle in p.why(), p.why()
    assert row in rep.rejected_rows and row not in rep.valid_rows
    assert_nothing_dropped(rep)


def test_outside_the_district_gives_the_distance(shipped_layers):
    lon, lat = 116.95, 23.45
    rep = centers.import_centers((HEADER + f"A,station,{IN}\nB,station,{lon},{lat}\n").encode(), filename="x.csv",
                                 district=LONGHU)
    p = problem_at(rep, 3)
    assert p.column == "lon/lat" and p.value == f"{lon}, {lat}" and "outside Longhu District" in p.why()
    outline = shipped_layers["district"].to_crs(LONGHU.metric_crs).geometry.iat[0].boundary
    expected = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(LONGHU.metric_crs).iat[0].distance(
        outline)
    assert f"{expected:,.0f} m from its outline" in p.why()
    assert rep.valid_rows == [2]


def test_missing_columns_refuse_the_file_and_list_all():
    with pytest.raises(DataError) as e:
        centers.import_centers("名称,经度\nA,116.7\n".encode(), filename="m.csv", district=LONGHU)
    assert {(p.row, p.column) for p in e.value.problems} == {(1, "tier/级别"), (1, "lat/纬度")}
    assert "m.csv" in str(e.value) and "missing column" in str(e.value)


def test_all_problems_at_once_and_valid_rows_kept():
    body = (HEADER + f"A,street,{IN}\nB,castle,x,23.4\n\nC,station,116.74,y\nD,服务站,116.745,23.398\n")
    rep = centers.import_centers(body.encode(), filename="many.csv", district=LONGHU)
    assert {(p.row, p.column) for p in rep.problems} == {(3, "tier"), (3, "lon"), (5, "lat")}
    assert rep.valid_rows == [2, 6] and list(rep.valid["name"]) == ["A", "D"]  # row 4 is blank
    assert "rows 3, 5" in rep.summary()
    with pytest.raises(DataError, match="many.csv, row 3"):
        rep.raise_for_problems()
    table = rep.problems_frame()
    assert list(table.columns) == ["row", "column", "value", "reason", "level"]
    assert_nothing_dropped(rep)


def test_names_without_suffixes_and_ambiguous_names():
    body = ("名称,级别,经度,纬度,街道,村（社区）\n"
            f"A,社区,{IN},金霞,金谷社区\n"                # 金谷居委会 in 金霞街道
            f"B,社区,{IN},外砂街道办事处,蓬中村\n"           # 蓬中村委会 in 外砂街道
            f"C,社区,{IN},,华新\n"                        # 华新: one in 新津, one in 龙华
            f"D,社区,{IN},新津,华新\n")
    rep = centers.import_centers(body.encode(), filename="n.csv", district=LONGHU)
    v = rep.valid.set_index("name")
    assert v.at["A", "community_code"] == "440507001001" and v.at["A", "street_code"] == "440507001"
    assert v.at["B", "community_code"] == "440507009201" or v.at["B", "street_code"] == "440507009"
    assert v.at["D", "community_code"] == "440507004023"
    p = problem_at(rep, 4)
    assert "ambiguous" in p.why() and "440507010201" in p.why()


def test_tiers_in_both_languages(shipped_layers):
    rows = ["区级", "街道", "社区", "村", "服务站", "station", "Community", "村（社区）", "村(社区)",
            "社区党群服务中心", "党群服务站"]
    want = ["district", "street", "community", "community", "station", "station", "community", "community",
            "community", "community", "station"]
    xy = shipped_layers["centers"][["lon", "lat"]].to_numpy()[20:]
    body = HEADER + "".join(f"N{i},{t},{xy[i, 0]},{xy[i, 1]}\n" for i, t in enumerate(rows))
    rep = centers.import_centers(body.encode(), filename="t.csv", district=LONGHU)
    assert rep.ok, rep.problems
    assert list(rep.valid.set_index("name").loc[[f"N{i}" for i in range(len(rows))], "tier"]) == want


def test_generated_ids_never_clash():
    body = "id," + HEADER + f"C0001,A,station,{IN}\n,B,station,{IN}\n,C,station,{IN}\n"
    rep = centers.import_centers(body.encode(), filename="ids.csv", district=LONGHU)
    assert list(rep.valid["id"]) == ["C0001", "C0002", "C0003"]


# --------------------------------------------------------------------------- coordinate systems


@pytest.mark.parametrize("true_crs", ["gcj02", "bd09"])
def test_wrong_coordinate_system_is_detected(shipped_layers, true_crs):
    c = shipped_layers["centers"]
    x, y = crs.convert(c["lon"].to_numpy(), c["lat"].to_numpy(), "wgs84", true_crs)
    df = pd.DataFrame({"名称": c["name"], "级别": c["tier"], "经度": x, "纬度": y})
    raw = df.to_csv(index=False).encode("utf-8-sig")
    wrong = centers.import_centers(raw, "wgs84", filename="amap.csv", district=LONGHU)
    assert wrong.suggested_crs == true_crs
    warn = [w for w in wrong.warnings if w.field == "crs"]
    assert len(warn) == 1 and f"Choose {true_crs}" in warn[0].why()
    assert wrong.inside_counts[true_crs] == 172 > wrong.inside_counts["wgs84"]
    assert all("outside Longhu" in p.why() for p in wrong.problems)
    right = centers.import_centers(raw, true_crs, filename="amap.csv", district=LONGHU)
    assert right.ok and right.suggested_crs is None and not [w for w in right.warnings if w.field == "crs"]
    np.testing.assert_allclose(right.valid["lon"], c["lon"], atol=1e-7)
    np.testing.assert_allclose(right.valid["lat"], c["lat"], atol=1e-7)
    shift = gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:4326").to_crs(LONGHU.metric_crs).distance(
        c.to_crs(LONGHU.metric_crs).geometry.reset_index(drop=True))
    assert shift.min() > 400  # an AMap sheet read as WGS-84 is hundreds of metres off


def test_unknown_crs_name():
    with pytest.raises(DataError, match="unknown coordinate system"):
        centers.import_centers((HEADER + f"A,station,{IN}\n").encode(), "utm", filename="a.csv", district=LONGHU)


# --------------------------------------------------------------------------- limits


def test_size_limit(monkeypatch, tmp_path):
    body = (HEADER + f"A,station,{IN}\n" * 20).encode()
    monkeypatch.setattr(sources, "MAX_BYTES", 100)
    with pytest.raises(DataError, match="over the 0.0 MB limit"):
        centers.import_centers(body, filename="big.csv", district=LONGHU)
    p = tmp_path / "big.csv"
    p.write_bytes(body)
    with pytest.raises(DataError, match=r"big.csv: the file is"):
        centers.import_centers(p, district=LONGHU)
    with pytest.raises(DataError, match="over the"):
        sources.save_upload(body, "big.csv", tmp_path)


@pytest.mark.parametrize("kind", ["csv", "xlsx", "gpkg"])
def test_row_limit(monkeypatch, tmp_path, shipped_layers, kind):
    monkeypatch.setattr(sources, "MAX_ROWS", 5)
    c = shipped_layers["centers"].iloc[:6]
    p = tmp_path / f"rows.{kind}"
    if kind == "gpkg":
        c.to_file(p)
    elif kind == "xlsx":
        pd.DataFrame(c.drop(columns="geometry")).to_excel(p, index=False)
    else:
        pd.DataFrame(c.drop(columns="geometry")).to_csv(p, index=False)
    with pytest.raises(DataError, match="more than 5 rows"):
        centers.import_centers(p, district=LONGHU)
    with pytest.raises(DataError, match="more than"):
        centers.import_centers(p, max_rows=3, district=LONGHU)
    assert len(centers.import_centers(p, max_rows=6, district=LONGHU).valid) == 6


def test_zip_bomb_refused(monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.shp", b"\0" * 2_000_000)
    monkeypatch.setattr(sources, "MAX_UNZIPPED_RATIO", 1)
    with pytest.raises(DataError, match="unpacks to"):
        boundaries.import_boundaries(buf.getvalue(), filename="b.zip", max_bytes=1_000_000, district=LONGHU)


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize("name", ["../x.csv", "..", "a/../../x.csv", "/etc/passwd", "C:\\x.csv", "\\\\srv\\x",
                                  "a/b.csv", "~/.bashrc", "x\x00.csv", "", "  "])
def test_unsafe_file_names_refused(name):
    with pytest.raises(DataError):
        files.safe_filename(name)


def test_safe_names_kept():
    assert files.safe_filename("龙湖 中心（2024）.csv") == "龙湖 中心（2024）.csv"
    assert files.safe_filename("a<b>|c.xlsx") == "a_b__c.xlsx"
    long = files.safe_filename("长" * 300 + ".csv")
    assert len(long) <= 120 and long.endswith(".csv")


def test_resolve_inside_rejects_traversal_and_escaping_symlinks(tmp_path):
    base = tmp_path / "data"
    (base / "user").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (base / "user" / "link").symlink_to(outside)
    assert files.resolve_inside(base, "user/a.csv") == (base / "user" / "a.csv").resolve()
    for bad in ("../outside/a.csv", "user/../../outside/a.csv", str(outside / "a.csv"), "user/link/a.csv"):
        with pytest.raises(DataError):
            files.resolve_inside(base, bad)


def test_uploads_and_exports_stay_inside(tmp_path, shipped_layers):
    base = tmp_path / "data"
    base.mkdir()
    p = sources.save_upload(b"name,tier,lon,lat\n", "中心.csv", base)
    assert p.parent == base.resolve() and p.read_bytes() == b"name,tier,lon,lat\n"
    for bad in ("../../evil.csv", "/tmp/evil.csv"):
        with pytest.raises(DataError):
            sources.save_upload(b"x", bad, base)
        with pytest.raises(DataError):
            tables.export_layer(shipped_layers["centers"], bad, "csv", base=base)
    with pytest.raises(DataError):
        tables.export_layers({"../../evil": shipped_layers["centers"]}, base, "csv")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["data"]


def test_zip_with_unsafe_member_refused(tmp_path, shipped_layers):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../../evil.shp", b"x")
    with pytest.raises(DataError, match="unsafe path"):
        boundaries.import_boundaries(buf.getvalue(), filename="b.zip", district=LONGHU)


def test_layer_names_are_checked_not_used_as_paths(tmp_path, shipped_layers):
    p = tmp_path / "c.gpkg"
    shipped_layers["centers"].iloc[:3].to_file(p, layer="centres")
    with pytest.raises(DataError, match="no layer named"):
        centers.import_centers(p, layer="../../etc/passwd", district=LONGHU)
    assert centers.import_centers(p, layer="centres", district=LONGHU).ok


# --------------------------------------------------------------------------- fuzzing

FUZZ = settings(
    max_examples=int(os.environ.get("GEO_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # GEO_FUZZ_EXAMPLES=2000 for a long hunt
NAMES = st.sampled_from(["f.csv", "f.xlsx", "f.geojson", "f.gpkg", "f.zip", "f.json", "f.txt", "f"])


def outcome(fn, *args, **kwargs):
    """Run an importer: it must return a report or raise DataError, nothing else."""
    try:
        rep = fn(*args, district=LONGHU, **kwargs)
    except DataError as exc:
        assert str(exc) and exc.problems
        return None
    if isinstance(rep, centers.ImportReport):
        assert_nothing_dropped(rep)
        assert rep.valid.crs.equals("EPSG:4326")
        assert list(rep.valid.columns) == schema.CENTER_COLUMNS + ["geometry"]
    return rep


@FUZZ
@given(raw=st.binary(max_size=600), name=NAMES)
def test_fuzz_random_bytes(raw, name):
    outcome(centers.import_centers, raw, filename=name)
    outcome(boundaries.import_boundaries, raw, filename=name)


@FUZZ
@given(
    raw=st.binary(max_size=300),
    prefix=st.sampled_from(
        [b"PK\x03\x04", b"SQLite format 3\x00", b"{", b"\xef\xbb\xbf", b"\xff\xfe", b"\xd0\xcf\x11\xe0"]
    ),
    name=NAMES,
)
def test_fuzz_magic_prefixes(raw, prefix, name):
    outcome(centers.import_centers, prefix + raw, filename=name)
    outcome(boundaries.import_boundaries, prefix + raw, filename=name)


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "116.7417",
            "23.3956",
            "23.3956,116.7417",
            "abc",
            "",
            " ",
            "1e400",
            "nan",
            "-inf",
            "服务站",
            "社区",
            "castle",
            "金谷社区",
            "440507001",
            "440507001001",
            "华新",
            '"',
            ",",
            "116.95",
            "０.５",
            "116°",
            "=1+1",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
HEADERS = st.lists(
    st.sampled_from(
        [
            "name",
            "名称",
            "tier",
            "级别",
            "类型",
            "lon",
            "经度",
            "lat",
            "纬度",
            "id",
            "编号",
            "街道",
            "社区",
            "村（社区）",
            "street_code",
            "经纬度",
            "x",
            "备注",
            "",
        ]
    ),
    min_size=0,
    max_size=8,
)


@FUZZ
@given(
    header=HEADERS,
    rows=st.lists(st.lists(CELL, max_size=9), max_size=8),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]),
    sep=st.sampled_from([",", "\t", ";"]),
    crs_name=st.sampled_from(["wgs84", "gcj02", "bd09"]),
)
def test_fuzz_csv_text(header, rows, encoding, sep, crs_name):
    import csv as _csv

    buf = io.StringIO()
    w = _csv.writer(buf, delimiter=sep)
    w.writerow(header)
    w.writerows(rows)
    raw = buf.getvalue().encode(encoding, errors="replace")
    outcome(centers.import_centers, raw, crs_name, filename="fuzz.csv")


@FUZZ
@given(
    header=HEADERS,
    rows=st.lists(
        st.lists(st.one_of(CELL, st.floats(), st.integers(), st.none(), st.booleans()), max_size=9), max_size=8
    ),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=3),
)
def test_fuzz_xlsx(header, rows, flips):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    clean = lambda v: v.replace("\x00", "") if isinstance(v, str) else v  # noqa: E731
    try:
        ws.append([clean(h) for h in header])
        for r in rows:
            ws.append([clean(v) for v in r])
    except Exception:  # openpyxl refuses some control characters: not our concern
        return
    buf = io.BytesIO()
    wb.save(buf)
    raw = bytearray(buf.getvalue())
    for pos, byte in flips:  # damage the zip now and then
        raw[pos % len(raw)] = byte
    outcome(centers.import_centers, bytes(raw), filename="fuzz.xlsx")


@FUZZ
@given(
    props=st.lists(
        st.dictionaries(st.sampled_from(["name", "名称", "tier", "级别", "code", "lon", "lat"]), CELL, max_size=5),
        min_size=1,
        max_size=5,
    ),
    kind=st.sampled_from(["Point", "Polygon", "LineString", None, "Bad"]),
)
@pytest.mark.slow
def test_fuzz_geojson(props, kind):
    import json

    geoms = {
        "Point": {"type": "Point", "coordinates": [116.74, 23.39]},
        "Polygon": {"type": "Polygon", "coordinates": [[[116.7, 23.3], [116.8, 23.3], [116.8, 23.4], [116.7, 23.3]]]},
        "LineString": {"type": "LineString", "coordinates": [[116.7, 23.3], [116.8, 23.4]]},
        None: None,
        "Bad": {"type": "Point", "coordinates": []},
    }
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": geoms[kind]} for p in props],
    }
    raw = json.dumps(fc, ensure_ascii=False).encode()
    outcome(centers.import_centers, raw, filename="fuzz.geojson")
    outcome(boundaries.import_boundaries, raw, filename="fuzz.geojson")
