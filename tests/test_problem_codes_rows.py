"""The row readers' and validators' problems are codes with parameters (issue 21): every reason
of the coordinate check, the centres validator, the registry, the facility import, the facility
catalogue, the district's folder and the table writer is a ``geo.locale.Msg`` whose words are
chosen where it is shown -- Chinese with no English sentence in it, English with no Chinese but
the names the file or the registry gave.

The tables here are TEST DATA written by the tests (positions inside the shipped district)."""

from __future__ import annotations

import re
import tomllib

import numpy as np
import pandas as pd
import pytest

from geo.io import catalogue as cat_io
from geo.io import centers, data, editing, facilities, registry, tables
from geo.io.district import District
from geo.io.errors import DataError, Problem
from geo.locale import Msg, Name

LONGHU = District.open()
OUTLINE = LONGHU.outline
IN = (116.7417, 23.3956)  # inside Longhu
CAT = cat_io.load_catalogue()
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}[,;:]?(?: [A-Za-z]{2,}[,;:]?)+")
"""Two Latin words in a row: a sentence (single tokens such as WGS-84, GPS, MB, km² are names)."""


def words(value: object) -> set[str]:
    """The user's and the registry's names a message carries (kept out of the language checks)."""
    if isinstance(value, Msg):
        return set().union(*(words(v) for v in value.params.values())) if value.params else set()
    if isinstance(value, Name):
        return {value.zh}
    if isinstance(value, (list, tuple)):
        return set().union(*(words(v) for v in value)) if value else set()
    return {str(value)} if isinstance(value, str) else set()


def assert_worded(reason: Msg) -> None:
    """Chinese without an English sentence, English without Chinese (the names given aside)."""
    assert isinstance(reason, Msg), reason
    zh, en = reason.text("zh"), reason.text("en")
    for name in sorted(words(reason), key=len, reverse=True):
        en = en.replace(name, "")
    assert not CJK.search(en), (reason.code, reason.text("en"))
    assert not LATIN_SENTENCE.search(re.sub(r"--[a-z-]+(?: [A-Z]+)?", "", zh)), (reason.code, zh)  # options aside
    assert CJK.search(zh), (reason.code, zh)


# --------------------------------------------------------------------------- coordinates


def test_each_coordinate_problem_is_a_code_with_its_parameters():
    lon = ["", "", "abc", "23.39", "200", "116.7", "113.0"]
    lat = ["", "23.4", "23.4", "116.7", "23.4", "95", "23.0"]
    check = registry.check_coordinates(lon, lat, "wgs84", district=OUTLINE)
    got = {i.index: i.reason for i in check.issues}
    assert {k: v.code for k, v in got.items()} == {
        0: "why.empty_coords", 1: "why.empty_lon", 2: "why.not_number", 3: "why.swapped",
        4: "why.lon_range", 5: "why.lat_range", 6: "why.outside"}
    inside = OUTLINE.geometry.iat[0].representative_point()
    assert got[2].params == {"ex_lon": pytest.approx(inside.x), "ex_lat": pytest.approx(inside.y)}
    out = got[6].params
    assert out["district"] == Name("龙湖区", "Longhu District") and out["crs"] == Msg.of("crs_wgs84")
    assert out["m"] > 100_000  # Guangzhou's longitude, some 300 km west
    for reason in got.values():
        assert_worded(reason)
    assert "(wgs84)" not in got[6].text("en") and "WGS-84" in got[6].text("zh")
    assert got[6].text("zh").startswith("不在龙湖区内，距区界 ") and "," in got[6].text("zh")  # thousands


def test_the_coordinate_system_warning_names_both_systems_and_the_option():
    w = registry.crs_warning("wgs84", "gcj02", {"wgs84": 3, "gcj02": 9, "bd09": 0}, 10, OUTLINE)
    assert w.reason.code == "why.crs_guess"
    assert w.reason.params["best"] == Msg.of("crs_gcj02") and w.reason.params["option"] == "gcj02"
    zh, en = w.reason.text("zh"), w.reason.text("en")
    assert "按 GCJ-02" in zh and "10 个点中" in zh and "龙湖区" in zh and "坐标系" not in en
    assert "3 of 10 points fall inside Longhu District" in en and "Choose gcj02" in en
    one = registry.crs_warning("wgs84", "gcj02", {"wgs84": 0, "gcj02": 1, "bd09": 0}, 1, OUTLINE)
    assert "0 of 1 point falls inside" in one.reason.text("en")  # a plural entry, not "1 points"
    assert_worded(w.reason)


# --------------------------------------------------------------------------- the registry and centres


def test_the_registry_refuses_with_codes_and_level_words():
    reg = LONGHU.registry
    street = sorted(reg.codes("street"))[0]
    _, wrong_level = reg.resolve(street, "community")
    assert wrong_level == Msg.of("why.code_level", div=street, a=Msg.of("why.lv_street"),
                                 b=Msg.of("why.lv_community"))
    assert wrong_level.text("zh") == f"代码 {street} 是街道，不是村（社区）"
    _, unknown = reg.resolve("440507999", "street")
    assert unknown.code == "why.unknown_code" and unknown.params["district"] == Name("龙湖区", "Longhu District")
    assert "龙湖区" in unknown.text("zh") and "Longhu District's divisions" in unknown.text("en")
    _, no_name = reg.resolve("火星街道", "street")
    assert no_name.code == "why.unknown_name" and no_name.params["ex"].code == "why.name_or_code"
    for reason in (wrong_level, unknown, no_name):
        assert_worded(reason)


def _centres(rows: list[tuple]) -> centers.ImportReport:
    table = pd.DataFrame(rows, columns=["id", "name", "tier", "lon", "lat", "街道", "社区"])
    return centers.validate_centers(table, source="t.csv", district=LONGHU)


def test_every_centres_problem_is_a_code_and_reads_in_both_languages():
    reg = LONGHU.registry
    comm = sorted(reg.codes("community"))[0]
    other_street = next(s for s in sorted(reg.codes("street")) if s != reg.parent[comm])
    x, y = IN
    rep = _centres([
        ("a", "A", "community", x, y, "", reg.name[comm]),
        ("a", "B", "community", x, y, "", reg.name[comm]),  # same id, same community
        ("c", "", "station", x, y, "", ""),
        ("d", "D", "castle", x, y, "", ""),
        ("e", "E", "station", x, y, "440507999", ""),
        ("f", "F", "community", x, y, reg.name[other_street], reg.name[comm]),
    ])
    by = {(p.row, p.reason.code): p.reason for p in rep.problems}
    assert set(by) >= {(3, "why.duplicate_id"), (3, "why.second_community_centre"), (4, "why.empty_name"),
                       (5, "why.unknown_tier"), (6, "why.unknown_code"), (7, "why.wrong_street")}
    dup = by[(3, "why.duplicate_id")]
    assert dup.params["ref"] == Msg.of("why.row_ref", row=2)  # a row reference is a nested code
    assert dup.text("zh") == "编号重复；第 2 行的编号相同" and dup.text("en") == "duplicate id; row 2 has the same id"
    second = by[(3, "why.second_community_centre")]
    assert "(服务站)" not in second.text("en") and "(row 2)" in second.text("en")
    for reason in by.values():
        assert_worded(reason)
    for p in rep.problems:  # the whole line: file, row, column, reason, value
        line = p.text("en", "t.csv")
        for name in sorted(words(p.reason) | {p.value, p.column}, key=len, reverse=True):
            line = line.replace(name, "")
        assert not CJK.search(line), p.text("en")


def test_counts_are_plural_entries_never_an_s_in_brackets():
    reason = Msg.of("why.located_illustrative", n=1)
    assert reason.text("en").startswith("the community of 1 community-tier centre was found")
    assert Msg.of("why.located_illustrative", n=3).text("en").startswith("the communities of 3 community-tier centres")
    rep = _centres([("a", "A", "station", *IN, "", ""), ("b", "", "station", *IN, "", "")])
    assert rep.summary() == "t.csv: 2 rows read: 1 valid, 1 with problems (row 3)"
    assert rep.summary("zh") == "t.csv：读取 2 行，1 行有效，1 行有问题（第 3 行）"
    assert "(s)" not in rep.summary() and "rows 3" not in rep.summary()
    frame = rep.problems_frame(lang="zh")
    assert list(frame.columns) == ["row", "column", "value", "reason", "level"]  # the machine's columns
    assert frame["reason"].tolist() == ["名称为空；请填写服务中心名称"]


def test_an_edit_names_the_centre_a_row_reference_points_to():
    reason = Msg.of("why.second_community_centre", comm="金谷居委会", ref=Msg.of("why.row_ref", row=3), ill="")
    renamed = editing.replace_row_refs(reason, lambda row: Msg.of("why.centre_ref", id=["C0001", "C0002"][row - 2]))
    assert renamed.params["ref"] == Msg.of("why.centre_ref", id="C0002")
    assert "（中心 C0002）" in renamed.text("zh") and "(centre C0002)" in renamed.text("en")
    kept = editing.replace_row_refs(reason, lambda row: None)
    assert kept == reason


def test_an_edit_of_a_missing_centre_is_a_code_and_still_a_key_error():
    with pytest.raises(KeyError) as e:
        editing._row_of(LONGHU.shipped("centers"), "C9999")
    assert isinstance(e.value, DataError) and e.value.code == "why.no_such_id"
    assert "C9999" in e.value.text("zh") and "没有编号为 C9999 的服务中心" in e.value.text("zh")


# --------------------------------------------------------------------------- facilities and the catalogue


@pytest.fixture(scope="module")
def spots() -> np.ndarray:
    cm = LONGHU.shipped("communities").iloc[[0, 10, 20, 40]]
    p = cm.to_crs("EPSG:32650").representative_point().to_crs("EPSG:4326")
    return np.column_stack([p.x, p.y])


def test_a_category_word_not_accepted_is_refused_with_the_closest_and_the_accepted_names(tmp_path, spots):
    p = tmp_path / "设施.csv"
    pd.DataFrame({"名称": ["a", "b", "c", "d"], "类别": ["超市", "社区卫生服务站", "社区卫生服务站", "幼儿园"],
                  "经度": spots[:, 0], "纬度": spots[:, 1]}).to_csv(p, index=False, encoding="utf-8-sig")
    rep = facilities.import_facilities(p, CAT, district=OUTLINE)
    assert list(rep.valid["category"]) == ["kindergarten"] and rep.unknown == {"社区卫生服务站": 2, "超市": 1}
    said = {w.value: w for w in rep.warnings if w.field == "category"}
    assert set(said) == {"超市", "社区卫生服务站"} and {w.column for w in said.values()} == {"类别"}
    health = said["社区卫生服务站"].reason
    assert health.code == "why.unknown_category" and health.params["n"] == 2 and health.params["rows"] == [3, 4]
    assert health.params["close"] == Name("社区卫生服务中心", "Community health centre")
    assert said["超市"].reason.params["close"] == Name("菜市场", "Food market")  # by its alias 生鲜超市
    zh, en = health.text("zh"), health.text("en")
    assert "最接近的是“社区卫生服务中心”" in zh and all(c.name_zh in zh for c in CAT.categories)
    assert "the closest is Community health centre" in en and all(c.name_en in en for c in CAT.categories)
    assert "2 rows (rows 3, 4) name the category 社区卫生服务站" in en
    assert said["超市"].reason.text("en").startswith("row 2 names the category 超市")
    for w in rep.warnings:
        assert_worded(w.reason)


def test_a_word_close_to_no_category_says_so():
    assert cat_io.closest_category(CAT, "停车场") is None
    assert cat_io.closest_category(CAT, "primary schol").key == "primary_school"
    assert cat_io.closest_category(CAT, "社区卫生服务站").key == "health_centre"


def test_the_facility_import_says_its_counts_and_refusals_in_codes(tmp_path, spots):
    p = tmp_path / "f.csv"
    pd.DataFrame({"name": ["x"], "type": ["停车场"], "lon": spots[:1, 0], "lat": spots[:1, 1]}).to_csv(p)
    rep = facilities.import_facilities(p, CAT, district=OUTLINE)
    unmatched = [w.reason for w in rep.warnings if w.reason.code == "why.unmatched_rows"]
    assert len(unmatched) == 1 and unmatched[0].text("en").startswith("1 row matches no category")
    with pytest.raises(DataError) as e:
        rep.require_facilities()
    assert e.value.code == "why.no_category_match" and "(1 row unassigned)" in str(e.value)
    assert "没有一行与目录中的类别匹配" in e.value.text("zh")
    q = tmp_path / "g.csv"
    pd.DataFrame({"name": ["x"], "lon": spots[:1, 0], "lat": spots[:1, 1]}).to_csv(q)
    with pytest.raises(DataError) as e:
        facilities.import_facilities(q, CAT, district=OUTLINE)
    assert e.value.code == "why.no_kind_column"
    assert_worded(e.value.problems[0].reason)


def test_the_catalogues_own_errors_are_codes():
    doc = tomllib.loads(cat_io.CATALOGUE_PATH.read_text(encoding="utf-8"))
    doc["category"][3]["limit_m"] = "abc"
    with pytest.raises(DataError) as e:
        cat_io.parse_catalogue(doc, "mine.toml")
    reason = e.value.problems[0].reason
    assert e.value.code == "why.cat_at" and reason.params["k"] == "limit_m"
    assert reason.params["where"] == Msg.of("why.cat_category", i=4, k="primary_school")
    assert reason.params["reason"].code == "why.cat_range"
    assert str(e.value).startswith("mine.toml: category 4 ('primary_school'), key limit_m: must be ")
    assert e.value.text("zh").startswith("mine.toml：第 4 个类别（primary_school），键 limit_m：须为")
    assert_worded(reason)


# --------------------------------------------------------------------------- the district's folder and the writer


def test_the_district_folders_files_are_refused_in_codes(tmp_path):
    p = tmp_path / "divisions.csv"
    p.write_text("code,name,level,parent_code\n44x,甲街道,street,\n440507001,,town,\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        data.load_divisions(p)
    assert [pr.reason.code for pr in e.value.problems] == ["why.bad_code", "why.bad_level",
                                                           "why.empty_division_name"]
    for pr in e.value.problems:
        assert_worded(pr.reason)
    with pytest.raises(DataError) as e:
        data.load_district(tmp_path / "none.geojson")
    assert e.value.code == "why.not_found"


def test_the_table_writers_refusals_are_codes(tmp_path):
    with pytest.raises(DataError) as e:
        tables.export_layer(pd.DataFrame({"a": [1]}), tmp_path / "t.txt", "txt")
    assert e.value.code == "why.unknown_format" and "geojson、gpkg、csv、xlsx" in e.value.text("zh")
    with pytest.raises(DataError) as e:
        tables.export_layer(pd.DataFrame({"a": [1]}), tmp_path / "t.geojson")
    assert e.value.code == "why.no_geometry"
    with pytest.raises(DataError) as e:
        tables.xlsx_bytes({"s": pd.DataFrame({"a": ["x" * (tables.EXCEL_CELL_MAX + 1)]})})
    reason = e.value.problems[0].reason
    assert reason.code == "why.cell_too_long" and "32,768 个字符" in reason.text("zh")


def test_the_note_on_fallbacks_is_worded_in_the_language_asked():
    layers = LONGHU.layers(use_store=False)
    from dataclasses import replace
    noted = replace(layers, notes=("streets", "centers"))
    assert noted.note() == "the store holds no streets, centers; using Longhu District's own"
    zh = noted.note("zh")
    assert "街道边界、服务中心" in zh and "龙湖区" in zh and not LATIN_SENTENCE.search(zh)
    assert Problem(None, None, "", Msg.of("why.store_and_file", layer=data.LAYER_WORDS["streets"], v=3)).why("zh") \
        == "数据文件中已有街道边界（版本 3），又指定了街道边界文件；请只保留一个"


def test_openstreetmap_out_of_reach_is_said_in_the_language_asked(monkeypatch):
    from geo.io import online

    def offline(instead, **_kw):
        raise online.OfflineError(Msg.of("why.offline", where="overpass-api.de:443", reason="test", instead=instead))

    monkeypatch.setattr(online, "require_osm_online", offline)
    with pytest.raises(DataError) as e:
        facilities.fetch_facilities(OUTLINE.geometry.iat[0], CAT)
    assert e.value.code == "why.offline" and e.value.problems[0].reason.params["instead"] == Msg.of("why.fac_instead")
    assert "--facilities" in e.value.text("en") and "请改用高德导出文件或设施表" in e.value.text("zh")
    assert_worded(e.value.problems[0].reason)
