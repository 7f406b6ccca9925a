"""Every refusal of the file readers, the boundary importer and the store is a code with
parameters (a :class:`geo.locale.Msg`), worded only where it is shown (issue 21): each case
below checks the code and its parameters, that the Chinese text holds no English sentence and
the English no Chinese (the file names, cells and library texts handed in as parameters aside),
and that a damaged store's nested message is Chinese through and through on a Chinese page.
"""

from __future__ import annotations

import io
import re
import socket
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pytest
import shapely

from geo.io import boundaries, districts, files, networks, online, sources, unpack
from geo.io.district import District
from geo.io.errors import DataError
from geo.io.store import ConflictError
from geo.locale import Msg, Name
from tests import test_store_corrupt as corrupt

LATIN_SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")  # three English words in a row
CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def _data(value: object) -> list[str]:
    """The parameters that are data, not words: every text value, nested Msgs and lists opened."""
    if isinstance(value, Msg):
        return [s for v in value.params.values() for s in _data(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _data(v)]
    return [str(value)] if isinstance(value, (str, Path)) and str(value) else []


def worded(msg: object) -> Msg:
    """``msg`` is a Msg whose Chinese has no English sentence and whose English has no Chinese
    (its data parameters taken out first); returns it."""
    assert isinstance(msg, Msg), f"a sentence, not a code: {msg!r}"
    zh, en = msg.text("zh"), msg.text("en")
    for value in sorted(_data(msg), key=len, reverse=True):
        zh, en = zh.replace(value, " "), en.replace(value, " ")
    assert CJK.search(zh) and not LATIN_SENTENCE.search(zh), (msg.code, msg.text("zh"))
    assert not CJK.search(en), (msg.code, msg.text("en"))
    return msg


def refusal(call, *args, **kwargs) -> Msg:
    """The reason of the one-line refusal ``call(*args, **kwargs)`` raises, checked by :func:`worded`."""
    with pytest.raises(DataError) as info:
        call(*args, **kwargs)
    exc = info.value
    assert exc.code and str(exc) == exc.text("en") and "\n" not in str(exc)
    return worded(exc.problems[0].reason)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, raw in members.items():
            z.writestr(name, raw)
    return buf.getvalue()


def _workbook(*sheets: str) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = sheets[0]
    wb.active.append(["name", "tier", "lon", "lat"])
    for s in sheets[1:]:
        wb.create_sheet(s)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- the table reader


@pytest.mark.parametrize("raw, name, code, params", [
    (b"\xd0\xcf\x11\xe0rest", "old.xls", "why.xls", {}),
    (b"x", "parts.shp", "why.shapefile_parts", {}),
    (b"\xff\xfeA", "u16.csv", "why.encoding", {}),
    (b"name,tier\na\x00b,station\n", "nul.csv", "why.nul", {}),
    (b'"' + b"a" * 200_000 + b'"\n', "long.csv", "why.bad_csv", {}),
    (",".join(f"c{i}" for i in range(600)).encode(), "wide.csv", "why.too_many_columns", {"n": 600, "limit": 500}),
    (b"PK\x03\x04broken", "bad.xlsx", "why.bad_zip", {}),
    (_zip({"readme.txt": b"hello"}), "notbook.xlsx", "why.bad_xlsx", {}),
    (_zip({"a.shp": b"x", "a.dbf": b"y"}), "a.zip", "why.zip_table", {}),
    (b"{not json", "bad.geojson", "why.unreadable", {"k": "GeoJSON"}),
])
def test_a_file_the_reader_refuses_is_a_code(raw, name, code, params):
    msg = refusal(sources.load_table, raw, "centers", filename=name)
    assert msg.code == code and params.items() <= dict(msg.params).items(), msg


def test_sizes_and_counts_are_numbers_the_catalogue_formats(tmp_path):
    msg = refusal(sources.load_table, b"x" * 2_000_000, "centers", filename="big.csv", max_bytes=1_000_000)
    assert msg == Msg.of("why.too_big", n=2.0, limit=1.0)
    assert "2.0 MB, over the 1.0 MB limit" in str(msg) and "文件大小 2.0 MB，超过 1.0 MB 的上限" in msg.text("zh")
    rows = b"name,tier,lon,lat\n" + b"a,station,116.7,23.4\n" * 5
    msg = refusal(sources.load_table, rows, "centers", filename="rows.csv", max_rows=2)
    assert msg == Msg.of("why.too_many_rows", n=2)
    assert "10,000 rows" in Msg.of("why.too_many_rows", n=10_000).text("en")
    assert refusal(sources.load_table, tmp_path / "nope.csv", "centers") == Msg.of(
        "why.not_found", p=str(tmp_path / "nope.csv"))
    assert refusal(sources.load_table, tmp_path, "centers").code == "why.not_file"


def test_an_empty_file_names_the_schemas_rows_in_words():
    msg = refusal(sources.load_table, b"", "facilities", filename="empty.csv")
    assert msg.code == "why.empty_file" and msg.params["items"] == Msg.of("why.items_facilities")
    assert "设施" in msg.text("zh") and msg.text("en").endswith("the facilities")
    assert refusal(sources.read_plain, b"\n\n", "blank.csv") == Msg.of("why.empty_plain")
    assert refusal(sources.read_plain, b'{"type": "FeatureCollection", "features": []}', "x.geojson") == \
        Msg.of("why.csv_xlsx")


def test_sheets_and_warnings_are_codes():
    raw = _workbook("名单", "备注")
    assert refusal(sources.load_table, raw, "centers", filename="w.xlsx", sheet="无") == Msg.of(
        "why.no_sheet", s="无", all=["名单", "备注"])
    warnings: list = []
    sources.load_table(raw, "centers", filename="w.xlsx", warnings=warnings)
    assert [worded(w.reason) for w in warnings] == [Msg.of("why.many_sheets", n=2, all=["名单", "备注"], first="名单")]
    warnings = []
    sources.load_table(b"title\nname,tier,lon,lat,foo,bar\na,station,116.7,23.4,1,2,3\n", "centers", filename="t.csv",
                       warnings=warnings)
    codes = [worded(w.reason).code for w in warnings]
    assert codes == ["why.title_rows", "why.not_imported", "why.beyond_header"], codes
    assert warnings[1].reason.params["what"] == Msg.of("why.what_columns")
    assert "这些列未导入（不属于服务中心的字段）" in warnings[1].reason.text("zh")


def test_a_line_among_points_is_a_code_naming_the_geometry(tmp_path):
    layer = gpd.GeoDataFrame({"name": ["a", "b"], "tier": ["station"] * 2},
                             geometry=[shapely.Point(116.7, 23.4), shapely.LineString([(116.7, 23.4), (116.8, 23.4)])],
                             crs="EPSG:4326")
    p = tmp_path / "pts.geojson"
    layer.to_file(p)
    _, table = sources.load_table(p, "candidates")
    value, reason = table.notes[1]
    assert value == "LineString" and worded(reason) == Msg.of("why.not_point", geom="LineString",
                                                             items=Msg.of("why.items_candidates"))


# --------------------------------------------------------------------------- zips, workbooks, names


def test_what_a_zip_unpacks_to_is_a_code():
    raw = _zip({"big.xml": b"<c>" * 100_000})
    assert worded(refusal(unpack.members, "b.zip", raw, 1_000)).code == "why.zip_bomb"
    assert refusal(unpack.members, "e.zip", _zip({"../evil.shp": b"x"}), 10**6) == Msg.of("why.zip_path",
                                                                                          m="../evil.shp")
    infos = unpack.members("b.xlsx", raw, 10**9)
    assert refusal(unpack.check_workbook, "b.xlsx", raw, infos, 1_000, 10**9).code == "why.xml_bytes"
    assert refusal(unpack.check_workbook, "b.xlsx", raw, infos, 10**9, 50_000) == Msg.of("why.too_many_cells",
                                                                                        n=50_000)
    assert "50,000 cells" in str(Msg.of("why.too_many_cells", n=50_000))


@pytest.mark.parametrize("name, code", [
    ("", "why.name_empty"), ("a\x01b", "why.name_control"), ("/etc/passwd", "why.name_absolute"),
    ("a/../b", "why.name_dots"), ("a/b", "why.name_folder"), ("con", "why.name_unusable"),
])
def test_a_file_name_refused_is_a_code(name, code):
    msg = refusal(files.safe_filename, name)
    assert msg.code == code
    if "what" in msg.params:
        assert msg.params["what"] == files.FILE_NAME and "文件名" in msg.text("zh")


def test_a_link_leading_out_of_the_data_folder_is_a_code(tmp_path):
    (tmp_path / "out").symlink_to(tmp_path.parent)
    assert refusal(files.resolve_inside, tmp_path, "out/x").code == "why.name_outside"


# --------------------------------------------------------------------------- boundaries


def _features(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_json().encode()


def test_a_boundary_file_refused_is_a_code(longhu):
    zh, en = longhu.label("zh"), longhu.label("en")
    assert refusal(boundaries.import_boundaries, b"x", "county", filename="b.geojson", district=longhu) == Msg.of(
        "why.unknown_level", l="'county'")
    assert refusal(boundaries.import_boundaries, b"name\nx\n", filename="b.csv", district=longhu) == Msg.of(
        "why.bounds_format")
    empty = b'{"type": "FeatureCollection", "features": []}'
    assert refusal(boundaries.import_boundaries, empty, filename="b.geojson", district=longhu).code in (
        "why.no_features", "why.unreadable")
    nobody = gpd.GeoDataFrame({"name": ["无名"]}, geometry=[shapely.box(116.7, 23.4, 116.71, 23.41)], crs="EPSG:4326")
    msg = refusal(boundaries.import_boundaries, _features(nobody), filename="b.geojson", district=longhu)
    assert msg.code == "why.no_match_any" and msg.params["district"] == Name(zh, en)
    assert f"没有要素与{zh}名录中" in msg.text("zh") and f"of {en}'s registry" in msg.text("en")


def test_a_boundary_not_matched_nests_the_registrys_reasons(longhu):
    streets = longhu.shipped("streets").iloc[:3].copy()
    streets["code"] = ["440507999", streets["code"].iat[1], streets["code"].iat[1]]  # unknown; two parts of one
    streets["name"] = ["没有这个街道", streets["name"].iat[1], streets["name"].iat[1]]
    rep = boundaries.import_boundaries(_features(streets), "street", filename="s.geojson", district=longhu)
    first = worded(rep.problems[0].reason)
    assert first.code == "why.not_matched" and first.params["rest"].code == "why.both"
    assert [r.code for r in first.params["rest"].params.values()] == ["why.by_code", "why.by_name"]
    assert first.text("zh").startswith("未能与名录匹配：代码“440507999”：")
    codes = {worded(w.reason).code: w.reason for w in rep.warnings}
    assert codes["why.merged"].params["rows"] == [2, 3] and "（第 2、3 行）" in codes["why.merged"].text("zh")
    missing = codes["why.missing_bounds"]
    assert missing.params["lv"] == Msg.of("why.lvs_street", n=len(longhu.registry.codes("street")))
    assert re.search(r"\d+ of the registry's \d+ streets have no boundary", str(missing)), str(missing)
    one = Msg.of("why.missing_bounds", n=1, all=5, lv=Msg.of("why.lvs_community", n=5))
    assert str(one) == "1 of the registry's 5 communities has no boundary in this file"


def test_a_feature_with_nothing_to_match_is_a_code(longhu):
    codes = longhu.shipped("streets").iloc[:2][["code", "geometry"]].copy()
    codes["code"] = [codes["code"].iat[0], ""]
    rep = boundaries.import_boundaries(_features(codes), "street", filename="c.geojson", district=longhu)
    assert [p.row for p in rep.problems] == [2] and worded(rep.problems[0].reason) == Msg.of("why.no_code")


def test_a_vertex_outside_nests_the_coordinate_check(longhu):
    far = gpd.GeoDataFrame({"code": [longhu.registry.codes("street")[0]]},
                           geometry=[shapely.box(116.0, 23.0, 116.01, 23.01)], crs="EPSG:4326")
    rep = boundaries.import_boundaries(_features(far), "street", filename="far.geojson", district=longhu)
    msg = worded(rep.problems[0].reason)
    assert msg.code == "why.vertex" and msg.text("zh").endswith("（边界的一个顶点）")


# --------------------------------------------------------------------------- the store


def test_a_file_that_is_not_a_store_is_a_code(longhu, tmp_path):
    assert refusal(longhu.with_store(tmp_path / "none.gpkg").store(readonly=True).layers) == Msg.of(
        "why.store_missing")
    (tmp_path / "empty.gpkg").write_bytes(b"")
    msg = refusal(longhu.with_store(tmp_path / "empty.gpkg").store(readonly=True).layers)
    assert msg == Msg.of("why.store_empty", name="longhu.gpkg")
    with sqlite3.connect(tmp_path / "plain.gpkg") as con:
        con.execute("CREATE TABLE t (x)")
    con.close()
    assert refusal(longhu.with_store(tmp_path / "plain.gpkg").store().layers).code == "why.not_store"
    (tmp_path / "junk.gpkg").write_bytes(b"not a database at all" * 100)
    msg = refusal(longhu.with_store(tmp_path / "junk.gpkg").store().layers)
    assert msg.code == "why.store_unreadable" and msg.params["name"] == "longhu.gpkg"


@pytest.mark.parametrize("kind, code", [("geometry", "why.dmg_geom"), ("text", "why.dmg_text"),
                                        ("json", "why.dmg_json"), ("missing", "why.dmg_missing")])
def test_a_damaged_store_nests_the_damaged_row_and_is_chinese_on_a_chinese_page(kind, code, tmp_path):
    p = tmp_path / "longhu.gpkg"
    key = corrupt.damaged(p, kind)
    with pytest.raises(DataError) as info:
        District.open().with_store(p).store(readonly=True).load("centers")
    exc = info.value
    msg = worded(exc.problems[0].reason)
    assert msg.code == "why.store_damaged"
    row, rescue = msg.params["rest"], msg.params["rescue"]
    assert row == Msg.of(code, layer="centers", fid=key, v=2) and rescue.code == "why.dmg_rescue"
    page = exc.text("zh")  # what the data page shows after its own 数据有误：
    assert page.startswith("longhu.gpkg：数据文件已损坏：图层 centers ") and f"编号 {key} 的要素" in page
    assert "“数据管理 → 版本记录”" in page and corrupt.DAMAGE[kind][2] in page
    words = page.replace("longhu.gpkg", "").replace("centers", "").replace(key, "")
    assert not LATIN_SENTENCE.search(words) and not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", words), page
    assert not CJK.search(str(exc)) and "(Data management → Versions)" in str(exc)


def test_a_store_of_another_district_names_both_in_both_languages(longhu, tmp_path):
    p = tmp_path / "longhu.gpkg"
    store = longhu.with_store(p).store()
    store.seed("district")
    with sqlite3.connect(p) as con:
        con.execute("UPDATE store_district SET adcode = '440511'")
    con.close()
    msg = refusal(store.layers)
    assert msg == Msg.of("why.stamp_other", theirs=Name("金平区", "Jinping District"), adcode="440511",
                         district=Name(longhu.label("zh"), longhu.label("en")), dcode="440507")
    assert msg.text("zh").startswith("这个数据文件属于金平区（440511），不属于龙湖区（440507）")


def test_a_conflict_is_a_code_with_plural_forms():
    one = ConflictError("centers", 3, 5, ["C0001"], "2024-01-02 03:04:05 UTC: 改名")
    many = ConflictError("centers", 3, 5, [f"C{i:04d}" for i in range(12)])
    worded(one.msg)
    assert "changed the same feature: C0001;" in str(one) and "changed the same features: C0000, " in str(many)
    assert str(many).count("C00") == 10 and " …;" in str(many)
    assert one.text("zh").startswith("在您加载的版本（3）之后，有人保存了 centers（版本 5，2024-01-02")
    whole = ConflictError("streets", 1, 2, ["(whole layer)"])
    assert "（整个图层）" in whole.text("zh") and "(whole layer)" in str(whole)


def test_a_save_of_another_districts_rows_is_a_code(longhu, tmp_path):
    store = longhu.with_store(tmp_path / "longhu.gpkg").store()
    gdf = longhu.shipped("centers").iloc[:3].copy()
    gdf["street_code"] = "440511001"
    msg = refusal(store.save, "centers", gdf, "test", force=True)
    assert msg.code == "why.stamp_code" and msg.params["more"] == Msg.of("why.stamp_more", n=2)
    assert msg.params["then"] == Msg.of("why.stamp_not_saved", district=Name(longhu.label("zh"), longhu.label("en")))
    assert "(and 2 more rows)" in str(msg) and "(and 1 more row)" in str(Msg.of("why.stamp_more", n=1))


def test_a_layer_with_bad_keys_lists_codes(longhu, tmp_path):
    store = longhu.with_store(tmp_path / "longhu.gpkg").store()
    gdf = longhu.shipped("centers").iloc[:3].copy()
    gdf["id"] = ["a", "a", ""]
    with pytest.raises(DataError) as info:
        store.save("centers", gdf, "test", force=True)
    assert [worded(p.reason).code for p in info.value.problems] == ["why.empty_key", "why.duplicate_key"]


# --------------------------------------------------------------------------- districts


@pytest.mark.parametrize("code, key, zh", [
    ("4405", "why.dist_region", "汕头市（4405）是地级行政区，不是县级行政区；请给出其下辖的 7 个县级行政区之一"),
    ("44", "why.dist_region", "广东省（44）是省级行政区"),
    ("440511001", "why.dist_below", "是街道；请给出其所属县级行政区的 6 位代码 440511（金平区）"),
    ("440599", "why.dist_unknown", "未知的代码"),
    ("abc", "why.dist_not_code", "不是代码"),
])
def test_a_district_code_refused_is_a_code(code, key, zh):
    with pytest.raises(districts.DistrictError) as info:
        districts.check_code(code)
    msg = worded(info.value.problems[0].reason)
    assert msg.code == key and zh in info.value.text("zh") and str(info.value) == info.value.text("en")
    if key == "why.dist_region":
        assert isinstance(msg.params["name"], Name) and msg.params["level"].code in ("why.lv_city", "why.lv_province")


def test_a_unit_without_an_outline_is_a_code():
    with pytest.raises(districts.DistrictError) as info:
        districts.outline("130171")
    msg = worded(info.value.problems[0].reason)
    assert msg.code == "why.no_outline" and msg.params["name"].zh == "石家庄高新技术产业开发区"


def test_too_many_stations_is_a_plural_code():
    one = Msg.of("why.no_room", stations=3, name=Name("南澳县", "Nan'ao County"), n=1, cell=500.0)
    assert "has room for 1 illustrative station (" in str(one)
    assert "room for 2 illustrative stations" in str(Msg.of("why.no_room", stations=3, name="x", n=2, cell=500.0))
    worded(one)


# --------------------------------------------------------------------------- networks and OpenStreetMap


def test_a_network_file_refused_is_a_code(tmp_path):
    (tmp_path / "empty.graphml").write_bytes(b"")
    (tmp_path / "bad.graphml").write_text("<graphml><oops", encoding="utf-8")
    cases = [(tmp_path / "none.graphml", "why.net_missing"), (tmp_path, "why.net_folder"),
             (tmp_path / "empty.graphml", "why.net_empty"), (tmp_path / "bad.graphml", "why.net_unreadable")]
    for path, code in cases:
        with pytest.raises(networks.NetworkError) as info:
            networks.load_network(path)
        msg = worded(info.value.args[0] if isinstance(info.value.args[0], Msg) else getattr(info.value, "msg", None))
        assert msg.code == code and str(info.value) == str(msg)


def test_osm_out_of_reach_is_a_code(monkeypatch):
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(online.OfflineError) as info:
        online.require_osm_online(networks.OFFLINE_INSTEAD, url=f"http://127.0.0.1:{port}/api", timeout=2)
    msg = worded(info.value.msg)
    assert msg.code == "why.offline" and msg.params["reason"] == Msg.of("why.net_refused")
    assert info.value.text("zh").startswith(f"无法连接 OpenStreetMap（127.0.0.1:{port}：连接被拒绝）；请改用")
    assert str(info.value).startswith(f"could not reach OpenStreetMap (127.0.0.1:{port}: connection refused); use a")


def test_the_readers_raise_no_sentence_left():
    """No reader of these modules builds its reason from an English f-string any more."""
    root = Path(__file__).resolve().parents[1] / "geo" / "io"
    sentence = re.compile(r"(DataError|Problem|BadRow|NetworkError|OfflineError|DistrictError)"
                          r'\((?:[^,()]*, )*f?"[a-z][a-z ]+ ')
    for name in ("sources", "unpack", "files", "gpkg", "boundaries", "storefile", "stamp", "districts", "online",
                 "networks"):
        text = (root / f"{name}.py").read_text(encoding="utf-8")
        assert not sentence.search(text), (name, sentence.search(text))
