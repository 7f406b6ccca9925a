"""Facilities and the catalogue in (geo/io/facilities.py, geo/io/catalogue.py): AMap POI exports,
plain tables in both languages, OpenStreetMap, and one clear error for each bad input.

Every facility table here is TEST DATA written by the test (positions are points inside the
shipped, illustrative community boundaries); none of it describes real facilities."""

import re
import time
import tomllib

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely

from geo.engine import crs as _crs
from geo.io import catalogue as cat_io
from geo.io import facilities, online
from geo.io.district import District
from geo.io.errors import DataError

CAT = cat_io.load_catalogue()
LONGHU = District.open()
OUTLINE = LONGHU.outline
"""The area facilities are checked against (an outline: the batch gives a whole region)."""


@pytest.fixture(scope="module")
def spots() -> np.ndarray:
    """WGS-84 points well inside six shipped communities (test positions)."""
    cm = LONGHU.shipped("communities").iloc[[0, 10, 20, 40, 60, 80]]
    p = cm.to_crs("EPSG:32650").representative_point().to_crs("EPSG:4326")
    return np.column_stack([p.x, p.y])


def amap_rows(spots: np.ndarray) -> pd.DataFrame:
    """An AMap POI export as planners have it (GCJ-02 `location`), test rows."""
    gx, gy = _crs.wgs84_to_gcj02(spots[:, 0], spots[:, 1])
    loc = [f"{x:.6f},{y:.6f}" for x, y in zip(gx, gy)]
    return pd.DataFrame({
        "name": ["测试幼儿园", "测试小学(东门)", "测试社区卫生服务中心", "测试停车场", "测试菜市场", "测试中学"],
        "type": ["科教文化服务;学校;幼儿园", "科教文化服务;学校;小学", "医疗保健服务;综合医院;综合医院",
                 "交通设施服务;停车场;停车场", "购物服务;综合市场;综合市场", "科教文化服务;学校;中学"],
        "typecode": ["141204", "141203|991400", "090100", "150900", "060700", ""],
        "address": ["测试路1号"] * 6, "location": loc, "pname": "广东省", "adname": "龙湖区"})


# --------------------------------------------------------------------------- AMap exports


def test_an_amap_csv_export_is_assigned_by_type_code_type_text_and_name(tmp_path, spots):
    p = tmp_path / "amap_poi.csv"
    amap_rows(spots).to_csv(p, index=False, encoding="utf-8-sig")
    rep = facilities.import_facilities(p, CAT, district=OUTLINE)
    assert rep.ok and rep.crs == "gcj02"  # an export with a type code column is read as GCJ-02
    v = rep.valid.set_index("row")
    assert v.loc[2, "category"] == "kindergarten" and v.loc[2, "matched_by"] == "typecode"
    assert v.loc[3, "category"] == "primary_school" and v.loc[3, "matched_by"] == "typecode"
    assert v.loc[4, "category"] == "health_centre" and v.loc[4, "matched_by"] == "name"
    assert v.loc[6, "category"] == "food_market" and v.loc[6, "matched_by"] == "name"
    assert v.loc[7, "category"] == "middle_school" and v.loc[7, "matched_by"] == "type"
    assert v.loc[2, "category_zh"] == "幼儿园" and v.loc[2, "address"] == "测试路1号"
    # GCJ-02 converted back to WGS-84
    np.testing.assert_allclose(rep.valid[["lon", "lat"]].to_numpy(), spots[[0, 1, 2, 4, 5]], atol=1e-6)
    # the parking lot matches nothing: listed with its row, never dropped silently
    assert list(rep.unmatched["row"]) == [5] and rep.unmatched["name"].iat[0] == "测试停车场"
    assert any("1 row matches no category" in w.why() for w in rep.warnings)  # one row: no "1 rows"
    assert any("GCJ-02" in w.why() for w in rep.warnings)


def test_an_amap_xlsx_export_with_two_coordinate_columns(tmp_path, spots):
    rows = amap_rows(spots)
    gx, gy = _crs.wgs84_to_gcj02(spots[:, 0], spots[:, 1])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "类型", "类型编码", "地址", "经度", "纬度"])
    for r, x, y in zip(rows.itertuples(), gx, gy):
        ws.append([r.name, r.type, r.typecode, r.address, float(x), float(y)])
    wb.save(tmp_path / "高德POI.xlsx")
    rep = facilities.import_facilities(tmp_path / "高德POI.xlsx", CAT, "gcj02", district=OUTLINE)
    assert rep.ok and len(rep.valid) == 5 and list(rep.unmatched["row"]) == [5]
    np.testing.assert_allclose(rep.valid[["lon", "lat"]].to_numpy(), spots[[0, 1, 2, 4, 5]], atol=1e-6)


def test_far_away_facilities_are_reported_and_left_out_near_ones_are_kept(tmp_path, spots):
    rows = amap_rows(spots).iloc[:2].copy()
    rows.loc[2] = ["远处幼儿园", "科教文化服务;学校;幼儿园", "141204", "", "116.500000,23.200000", "", ""]
    d = OUTLINE.to_crs("EPSG:32650").geometry.union_all()
    edge = shapely.Point(d.bounds[2] + 500, (d.bounds[1] + d.bounds[3]) / 2)  # 500 m east of the district
    lon, lat = gpd.GeoSeries([edge], crs="EPSG:32650").to_crs("EPSG:4326").iat[0].coords[0]
    rows.loc[3] = ["边上幼儿园", "科教文化服务;学校;幼儿园", "141204", "", f"{lon:.6f},{lat:.6f}", "", ""]
    p = tmp_path / "poi.csv"
    rows.to_csv(p, index=False)
    rep = facilities.import_facilities(p, CAT, "wgs84", district=OUTLINE)
    assert rep.ok  # far away is not an error of the file
    assert [o.row for o in rep.outside] == [4] and "left out" in rep.outside[0].why()
    assert 4 not in set(rep.valid["row"]) and 5 in set(rep.valid["row"])  # 500 m out still serves the edge


def test_a_bad_position_is_an_error_naming_row_and_column(tmp_path, spots):
    rows = amap_rows(spots)
    rows.loc[2, "location"] = "116.73"
    p = tmp_path / "poi.csv"
    rows.to_csv(p, index=False)
    rep = facilities.import_facilities(p, CAT, district=OUTLINE)
    assert [(e.row, e.column) for e in rep.problems] == [(4, "location")]
    with pytest.raises(DataError, match=r"poi.csv, row 4, column location: expected 'longitude,latitude'"):
        facilities.load_facilities(p, CAT, district=OUTLINE)


# --------------------------------------------------------------------------- plain tables


def test_a_plain_table_takes_chinese_and_english_category_names_and_lists_unknown_ones(tmp_path, spots):
    p = tmp_path / "设施.csv"
    pd.DataFrame({"名称": ["a", "b", "c", "d", "e", "f"],
                  "类别": ["幼儿园", "Primary school", " PRIMARY SCHOOL ", "党群服务站", "图书馆", "图书馆"],
                  "经度": spots[:, 0], "纬度": spots[:, 1]}).to_csv(p, index=False, encoding="utf-8-sig")
    rep = facilities.import_facilities(p, CAT, district=OUTLINE)
    assert rep.crs == "wgs84" and rep.ok
    assert list(rep.valid["category"]) == ["kindergarten", "primary_school", "primary_school", "party_service"]
    assert rep.unknown == {"图书馆": 2} and list(rep.unmatched["row"]) == [6, 7]
    # one warning per unknown name, in the file's own column, with its rows and count
    unknown = [w for w in rep.warnings if w.value == "图书馆"]
    assert len(unknown) == 1 and unknown[0].column == "类别" and "not in the catalogue" in unknown[0].why()
    assert unknown[0].reason.params["n"] == 2 and unknown[0].reason.params["rows"] == [6, 7]


def test_a_type_column_may_hold_catalogue_names_too(tmp_path, spots):
    p = tmp_path / "t.csv"
    pd.DataFrame({"name": ["x"], "type": ["Elderly home"], "lon": spots[:1, 0], "lat": spots[:1, 1]}).to_csv(p)
    assert list(facilities.import_facilities(p, CAT, district=OUTLINE).valid["category"]) == ["elderly_home"]


def test_a_file_without_category_or_type_column_is_one_line_naming_the_expected_columns(tmp_path, spots):
    p = tmp_path / "x.csv"
    pd.DataFrame({"名称": ["a"], "经度": spots[:1, 0], "纬度": spots[:1, 1]}).to_csv(p, index=False)
    with pytest.raises(DataError) as exc:
        facilities.import_facilities(p, CAT, district=OUTLINE)
    msg = str(exc.value)
    assert "\n" not in msg and "category/类别" in msg and "type/类型" in msg and "typecode/类型编码" in msg


def test_a_bad_coordinate_system_name_fails_before_reading(tmp_path):
    with pytest.raises(DataError, match="wgs84"):
        facilities.import_facilities(tmp_path / "missing.csv", CAT, "utm", district=OUTLINE)


def test_name_endings_ignore_a_bracketed_note_and_do_not_match_inside_words():
    frame = pd.DataFrame({"name": ["甲小学（南门）", "甲小学停车场", "乙党群服务中心", "丙幼儿园"],
                          "typecode": ["", "150900", "", "141204|141203"]})
    m = cat_io.match_categories(CAT, frame)
    assert list(m["key"].fillna("")) == ["primary_school", "", "party_service", "kindergarten"]
    assert list(m["matched_by"]) == ["name", "", "name", "typecode"]


# --------------------------------------------------------------------------- the catalogue


def test_the_shipped_catalogue_has_the_standard_circles_and_the_service_centres():
    assert CAT.levels == {5: 300.0, 10: 500.0, 15: 1000.0}
    by = {c.key: c for c in CAT.categories}
    assert (by["kindergarten"].level, by["kindergarten"].limit_m) == (5, 300.0)
    assert (by["elderly_day_care"].level, by["elderly_day_care"].limit_m) == (5, 300.0)
    assert (by["primary_school"].level, by["primary_school"].limit_m) == (10, 500.0)
    for key in ("middle_school", "health_centre", "elderly_home", "culture_centre", "food_market", "party_service"):
        assert by[key].level == 15 and by[key].limit_m == 1000.0
    assert all(c.source and c.limit_source and c.name_zh and c.name_en for c in CAT.categories)


def test_the_shipped_catalogue_cites_no_clause_number_but_table_3_0_4():
    text = cat_io.CATALOGUE_PATH.read_text(encoding="utf-8")
    assert set(re.findall(r"\b\d+\.\d+\.\d+\b", text)) == {"3.0.4"}


def _doc() -> dict:
    return tomllib.loads(cat_io.CATALOGUE_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize("change, pattern", [
    (lambda d: d["category"][3].update(limit_m="abc"), r"category 4 \('primary_school'\), key limit_m: must be"),
    (lambda d: d["category"][0].update(limit_m=0), r"key limit_m"),
    (lambda d: d["category"][0].update(level=20), r"key level: must be one of 5, 10, 15"),
    (lambda d: d["category"][1].pop("name_en"), r"category 2 \('elderly_day_care'\), key name_en: missing"),
    (lambda d: d["category"][1].update(colour="red"), r"key colour: unknown key"),
    (lambda d: d["category"][0].update(amap_typecodes=["14120"]), r"key amap_typecodes: each entry must be six"),
    (lambda d: d["category"][0].update(osm_tags=["amenity==x"]), r"key osm_tags"),
    (lambda d: d["category"][4].update(name_en="Kindergarten"), r"key name_en: 'Kindergarten' already names"),
    (lambda d: d["category"][0].update(key="Bad Key"), r"key key: must be lower-case"),
    (lambda d: d["levels"].update({"20": 1500}), r"\[levels\], key 20: unknown level"),
    (lambda d: d.pop("category"), r"no \[\[category\]\] tables"),
])
def test_a_bad_catalogue_is_one_error_naming_the_key(change, pattern):
    doc = _doc()
    change(doc)
    with pytest.raises(DataError, match=pattern) as exc:
        cat_io.parse_catalogue(doc, "mine.toml")
    assert str(exc.value).startswith("mine.toml") and "\n" not in str(exc.value)


def test_a_catalogue_file_that_is_not_toml_or_missing(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text("[[category]]\nkey = \n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.toml: not valid TOML"):
        cat_io.load_catalogue(p)
    with pytest.raises(DataError, match="catalogue not found"):
        cat_io.load_catalogue(tmp_path / "none.toml")


def test_a_planners_own_catalogue_is_used(tmp_path, spots):
    p = tmp_path / "mine.toml"
    p.write_text('[[category]]\nkey = "library"\nname_zh = "图书馆"\nname_en = "Library"\nlevel = 15\n'
                 'limit_m = 800\nsource = "local plan"\nlimit_source = "local plan"\n', encoding="utf-8")
    cat = cat_io.load_catalogue(p)
    assert cat.keys == ["library"] and cat.source == "mine.toml"
    f = tmp_path / "f.csv"
    pd.DataFrame({"名称": ["x"], "类别": ["图书馆"], "经度": spots[:1, 0], "纬度": spots[:1, 1]}).to_csv(f)
    assert list(facilities.import_facilities(f, cat, district=OUTLINE).valid["category"]) == ["library"]


# --------------------------------------------------------------------------- OpenStreetMap


def osm_features(spots: np.ndarray) -> gpd.GeoDataFrame:
    """What osmnx's features_from_polygon returns, in miniature (test features)."""
    square = shapely.box(*spots[2], spots[2][0] + 0.0005, spots[2][1] + 0.0005)
    return gpd.GeoDataFrame({
        "name": ["测试幼儿园", "测试小学", "测试中学", "某党群服务中心", "某办公楼", None],
        "amenity": ["kindergarten", "school", "school", "community_centre", None, "marketplace"],
        "office": [None, None, None, None, "government", None]},
        geometry=[shapely.Point(*spots[0]), shapely.Point(*spots[1]), square, shapely.Point(*spots[3]),
                  shapely.Point(*spots[4]), shapely.Point(*spots[5])], crs="EPSG:4326")


def test_osm_features_are_classified_by_tags_and_names(spots):
    t = facilities.classify_osm(osm_features(spots), CAT)
    got = sorted(zip(t["name"].fillna(""), t["category"]))
    assert ("测试幼儿园", "幼儿园") in got and ("测试小学", "小学") in got and ("测试中学", "初中") in got
    assert ("某党群服务中心", "党群服务中心") in got and ("", "菜市场") in got
    assert not any(n == "某办公楼" for n, _ in got) and ("测试小学", "初中") not in got
    tags = facilities.osm_tags(CAT)
    assert "kindergarten" in tags["amenity"] and "marketplace" in tags["amenity"]


def test_fetch_facilities_caches_a_table_the_reader_takes_back(tmp_path, spots, monkeypatch):
    import osmnx as ox

    monkeypatch.setattr(online, "require_osm_online", lambda *a, **k: None)
    monkeypatch.setattr(ox, "features_from_polygon", lambda polygon, tags: osm_features(spots))
    out = tmp_path / "osm.csv"
    facilities.fetch_facilities(OUTLINE.geometry.union_all(), CAT, out)
    rep = facilities.import_facilities(out, CAT, "wgs84", district=OUTLINE)
    assert rep.ok and {"kindergarten", "primary_school", "middle_school", "party_service", "food_market"} <= set(
        rep.valid["category"])


def test_offline_osm_is_found_out_quickly_and_said_in_one_line(monkeypatch):
    t = time.perf_counter()
    with pytest.raises(online.OfflineError):
        online.require_osm_online("x", url="https://127.0.0.1:9/api", timeout=1.0)
    assert time.perf_counter() - t < 5
    monkeypatch.setattr(online, "require_osm_online", _offline)
    with pytest.raises(DataError, match="could not reach OpenStreetMap") as exc:
        facilities.fetch_facilities(shapely.box(116.7, 23.3, 116.8, 23.4), CAT)
    assert "\n" not in str(exc.value)


def _offline(instead: str, **_kw) -> None:
    raise online.OfflineError(f"could not reach OpenStreetMap (test: offline); {instead}")
