"""The Streamlit page (app.py) under Streamlit's AppTest: every control, the nearest-centre flow,
the language switch, the network loader, the downloads. No browser: the map component's
arguments (base-map script, feature groups, centre and zoom) are read from the page's output.

Expected figures are computed independently with geo.engine.coverage / geo.engine.nearest, so a test fails
when the page shows a number that is not the analysis' number.
"""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from geo.app import cache, search, state, tables, text
from geo.app import layers as maplayers
from geo.engine import coverage as cv
from geo.engine import crs as gcrs
from geo.engine import schema
from geo.io import data

APP = "../app.py"  # AppTest resolves the path relative to this file
TIMEOUT = 90


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def layers():
    return {
        "district": data.load_district(), "streets": data.load_streets(),
        "communities": data.load_communities(), "centers": data.load_centers(),
    }


def expected(layers, **settings) -> cv.CoverageResult:
    return cv.analyse(layers["district"], layers["streets"], layers["communities"], layers["centers"],
                      cv.Settings(**settings))


def start(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def K(name: str, lang: str = "zh") -> str:
    """Widget key of a choice control (app.py keeps one widget per language)."""
    return f"{name}__{lang}"


def ok(at: AppTest) -> AppTest:
    """No exception and no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def covered(at: AppTest, minutes: str = "15") -> float:
    """The covered share (%) the page shows for a limit, e.g. '步行15分钟覆盖率' -> 95.1."""
    for m in at.metric:
        if re.search(rf"(?<![\d.]){minutes}\s*(分钟|min)", m.label) and "%" in m.value:
            return float(m.value.rstrip("%"))
    raise AssertionError(f"no covered metric for {minutes} min in {metrics(at)}")


def _unescape(js: str | None) -> str:
    """Leaflet script text with JSON's \\uXXXX escapes turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), js or "")


def map_args(at: AppTest) -> dict:
    comps = at.get("component_instance")
    assert len(comps) == 1, "exactly one map on the page"
    args = json.loads(comps[0].proto.json_args)
    for k in ("script", "feature_group", "layer_control"):
        args[k] = _unescape(args.get(k))
    return args


def n_points(js: str) -> int:
    return len(re.findall(r'"type":\s*"Point"', js))


def frame(at: AppTest, column: str):
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with column {column!r}")


# --------------------------------------------------------------------------- default page


@pytest.mark.slow
def test_default_load_shows_the_analysis_numbers(layers):
    at = ok(start())
    r = expected(layers)
    assert any("示意数据" in w.value for w in at.warning)
    assert covered(at, "15") == pytest.approx(round(r.covered_pct, 1))
    m = metrics(at)
    assert m["纳入计算的中心"] == "172"
    gaps_label = next(k for k in m if k.startswith("未覆盖空白区域"))
    assert m[gaps_label] == f"{len(r.gaps)} 处"
    # planner tables: every street and community, lowest coverage first; the gap list
    streets = frame(at, "街道")
    comms = frame(at, "村（社区）")
    assert len(streets) == 10 and len(comms) == 125
    assert comms["覆盖率（%）"].is_monotonic_increasing
    gaps = frame(at, "面积（公顷）")
    assert len(gaps) == len(r.gaps)
    assert gaps["面积（公顷）"].is_monotonic_decreasing
    # the map: 172 centres in four tiers, legend, coverage and gaps, whole-district view
    args = map_args(at)
    fg = args["feature_group"]
    assert n_points(fg) == 172
    for tier in schema.TIERS:
        assert f"lh-centre-{tier}" in fg
    assert "lh-legend" in fg and "未覆盖空白区域" in fg
    assert args["returned_objects"] == ["last_clicked"]
    assert "tileLayer" not in args["script"]  # no basemap by default: works offline
    assert args["zoom"] == 12 and 23.3 < args["center"][0] < 23.5


@pytest.mark.slow
def test_minutes_change_updates_figures_but_not_the_base_map(layers):
    at = ok(start())
    key0 = map_args(at)["key"]
    shown = {}
    for choice in ("5", "10", "15"):
        at.radio(key=K("minutes_choice")).set_value(choice).run()
        ok(at)
        shown[choice] = covered(at, choice)
        assert shown[choice] == pytest.approx(round(expected(layers, minutes=(float(choice),)).covered_pct, 1))
        args = map_args(at)
        assert args["key"] == key0, "changing minutes must not rebuild the base map"
        assert f"步行{choice}分钟覆盖" in args["feature_group"]  # legend follows
    assert shown["5"] < shown["10"] < shown["15"]

    at.radio(key=K("minutes_choice")).set_value("custom").run()
    at.number_input(key="custom_minutes").set_value(20).run()
    ok(at)
    assert covered(at, "20") == pytest.approx(round(expected(layers, minutes=(20.0,)).covered_pct, 1))
    assert covered(at, "20") >= shown["15"]
    assert any("1333 米" in c.value for c in at.sidebar.caption)  # 20 min at 4 km/h

    at.radio(key=K("minutes_choice")).set_value("bands").run()
    ok(at)
    assert [covered(at, m) for m in ("5", "10", "15")] == [shown["5"], shown["10"], shown["15"]]
    fg = map_args(at)["feature_group"]
    assert "0–5 分钟" in fg and "10–15 分钟" in fg


@pytest.mark.slow
def test_speed_presets_and_custom_speed(layers):
    at = ok(start())
    adult = covered(at)
    at.radio(key=K("speed_choice")).set_value("elderly").run()
    ok(at)
    elderly = covered(at)
    assert elderly == pytest.approx(round(expected(layers, speed_kmh=3.0).covered_pct, 1))
    assert elderly < adult
    assert any("750 米" in c.value for c in at.sidebar.caption)  # 15 min at 3 km/h
    at.radio(key=K("speed_choice")).set_value("custom").run()
    at.number_input(key="custom_speed").set_value(5.0).run()
    ok(at)
    assert covered(at) == pytest.approx(round(expected(layers, speed_kmh=5.0).covered_pct, 1))
    assert covered(at) > adult


@pytest.mark.slow
def test_tiers_select_the_centres(layers):
    at = ok(start())
    key0 = map_args(at)["key"]
    at.checkbox(key="tier_station").uncheck().run()
    ok(at)
    assert metrics(at)["纳入计算的中心"] == "136"
    tiers = ("district", "street", "community")
    assert covered(at) == pytest.approx(round(expected(layers, tiers=tiers).covered_pct, 1))
    args = map_args(at)
    assert n_points(args["feature_group"]) == 136 and "lh-centre-station" not in args["feature_group"]
    assert args["key"] == key0, "changing tiers must not rebuild the base map"
    for t in tiers:
        at.checkbox(key=f"tier_{t}").uncheck()
    at.run()
    assert not at.exception
    assert any("至少选择一个" in w.value for w in at.warning)
    assert len(at.get("component_instance")) == 1  # the map is still there


@pytest.mark.slow
def test_views_catchments_and_overlap(layers):
    at = ok(start())
    at.radio(key=K("view")).set_value("catchments").run()
    ok(at)
    catch = frame(at, "服务面积（km²）")
    assert len(catch) == 172
    r = expected(layers)
    covered_km2 = shapely.intersection(r.covered, r.district).area / 1e6
    assert catch["服务面积（km²）"].sum() == pytest.approx(covered_km2, rel=0.01)  # a partition
    assert "最近中心服务范围" in map_args(at)["feature_group"]
    at.radio(key=K("view")).set_value("overlap").run()
    ok(at)
    fg = map_args(at)["feature_group"]
    assert "可达中心数：1" in fg and "可达中心数：2" in fg


@pytest.mark.slow
@pytest.mark.parametrize("basemap, tiles", [("osm", "tile.openstreetmap.org"), ("amap", "autonavi.com")])
def test_basemaps(basemap, tiles):
    at = ok(start())
    none_args = map_args(at)
    at.radio(key=K("basemap")).set_value(basemap).run()
    ok(at)
    args = map_args(at)
    assert tiles in args["script"]
    assert args["key"] != none_args["key"]
    dlon = args["center"][1] - none_args["center"][1]
    if basemap == "amap":  # every layer shifted WGS-84 -> GCJ-02 (about 0.005° east in Shantou)
        assert 0.004 < dlon < 0.006
    else:
        assert abs(dlon) < 1e-9


@pytest.mark.slow
def test_gap_selection_zooms_to_the_gap(layers):
    at = ok(start())
    r = expected(layers)
    at.selectbox(key=K("gap_pick")).set_value(1).run()
    ok(at)
    args = map_args(at)
    gap = gpd.GeoSeries([r.gaps.geometry.iloc[0]], crs=r.crs).to_crs(4326).iloc[0]
    lat, lon = args["center"]
    minx, miny, maxx, maxy = gap.bounds
    assert minx <= lon <= maxx and miny <= lat <= maxy
    assert args["zoom"] > 12
    assert "选中的空白区域" in args["feature_group"]
    at.selectbox(key=K("gap_pick")).set_value(0).run()
    assert map_args(ok(at))["zoom"] == 12


# --------------------------------------------------------------------------- resident


def _nearest(at: AppTest):
    return frame(at, "距离（米）")


def _query_point(at: AppTest) -> tuple[float, float]:
    cap = next(c.value for c in at.caption if "WGS-84" in c.value)
    lon, lat = (float(x) for x in re.findall(r"\d+\.\d+", cap)[-2:])
    return lon, lat


@pytest.mark.slow
def test_nearest_by_typed_coordinates(layers):
    c = layers["centers"].iloc[5]
    at = ok(start(page="resident"))
    at.radio(key=K("resident_input")).set_value("coords").run()
    at.text_input(key="lon").input(repr(float(c["lon"])))
    at.text_input(key="lat").input(repr(float(c["lat"]))).run()
    ok(at)
    t = _nearest(at)
    assert len(t) == 3
    assert t["服务中心"].iloc[0] == c["name"] and t["距离（米）"].iloc[0] == 0
    assert t["步行（分钟）"].is_monotonic_increasing
    assert any(c["name"] in s.value for s in at.success)
    fg = map_args(at)["feature_group"]
    assert "lh-query" in fg and "查询位置" in fg


@pytest.mark.slow
@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_nearest_accepts_chinese_coordinate_systems(layers, system):
    c = layers["centers"].iloc[40]
    lon, lat = (float(v) for v in gcrs.convert(c["lon"], c["lat"], "wgs84", system))
    at = ok(start(page="resident", resident_input="coords", coord_crs=system, lon=lon, lat=lat))
    t = _nearest(at)
    assert t["服务中心"].iloc[0] == c["name"] and t["距离（米）"].iloc[0] <= 1
    shown = _query_point(at)  # shown back in WGS-84
    assert shown == pytest.approx((c["lon"], c["lat"]), abs=2e-6)


@pytest.mark.slow
def test_point_outside_the_district_is_said_plainly():
    at = ok(start(page="resident", resident_input="coords", lon=116.60, lat=23.40))
    assert any("不在龙湖区范围内" in w.value for w in at.warning)
    assert len(_nearest(at)) == 3


@pytest.mark.slow
def test_community_search_is_fuzzy_and_finds_the_place(layers):
    at = ok(start(page="resident"))
    at.radio(key=K("resident_input")).set_value("search").run()
    at.text_input(key="comm_query").input("金谷社区").run()
    ok(at)
    pick = at.selectbox(key="comm_pick")
    assert pick.options[0] == "金谷居委会" and pick.value == "金谷居委会"
    t = _nearest(at)
    assert len(t) == 3
    # the query point shown is inside 金谷居委会
    lon, lat = _query_point(at)
    poly = layers["communities"].set_index("name").geometry["金谷居委会"]
    assert poly.contains(shapely.Point(lon, lat))
    at.text_input(key="comm_query").input("zzzz").run()
    assert any("没有找到" in w.value for w in ok(at).warning)


@pytest.mark.slow
def test_map_click_becomes_the_query_point(layers):
    c = layers["centers"].iloc[100]
    at = ok(start(page="resident"))
    assert any("点击" in i.value for i in at.info)
    at.session_state["map"] = {"last_clicked": {"lat": float(c["lat"]), "lng": float(c["lon"])}}
    at.run()
    t = _nearest(ok(at))
    assert t["服务中心"].iloc[0] == c["name"] and t["距离（米）"].iloc[0] == 0
    # on the AMap basemap the map draws in GCJ-02: a click is converted back to WGS-84
    at.radio(key=K("basemap")).set_value("amap").run()
    glon, glat = (float(v) for v in gcrs.convert(c["lon"], c["lat"], "wgs84", "gcj02"))
    other = layers["centers"].iloc[7]
    at.session_state["map"] = {"last_clicked": {"lat": float(other["lat"]), "lng": float(other["lon"])}}
    at.run()
    at.session_state["map"] = {"last_clicked": {"lat": glat, "lng": glon}}
    at.run()
    t = _nearest(ok(at))
    assert t["服务中心"].iloc[0] == c["name"] and t["距离（米）"].iloc[0] <= 1


# --------------------------------------------------------------------------- language, data page


@pytest.mark.slow
def test_language_switch_to_english_and_back():
    at = ok(start())
    at.radio(key="lang").set_value("en").run()
    ok(at)
    assert at.title[0].value == "Longhu 15-minute service circles"
    assert "Covered within 15 min" in metrics(at)
    assert at.warning[0].value.startswith("Illustrative data")
    assert at.radio(key=K("minutes_choice", "en")).options[0] == "5 min"
    assert at.radio(key=K("minutes_choice", "en")).value == "15"  # the setting survives the switch
    assert "Area (km²)" in frame(at, "Street").columns
    assert "Community centre" in map_args(at)["feature_group"]
    assert '"Community", "Street"' in map_args(at)["script"]  # boundary tooltips in English too
    at.radio(key=K("speed_choice", "en")).set_value("elderly").run()
    at.radio(key=K("page", "en")).set_value("resident").run()
    at.radio(key=K("resident_input", "en")).set_value("coords").run()
    assert "Distance (m)" in ok(at).dataframe[0].value.columns
    at.radio(key="lang").set_value("zh").run()
    assert ok(at).title[0].value == "龙湖区15分钟党群服务圈"
    # every choice made in English is still in force in Chinese
    assert at.radio(key=K("page")).value == "resident"
    assert at.radio(key=K("resident_input")).value == "coords"
    assert at.radio(key=K("speed_choice")).value == "elderly"
    assert at.radio(key=K("minutes_choice")).value == "15"


def test_every_page_text_has_both_languages():
    for key, (zh, en) in text.TEXT.items():
        assert zh and en, key
        assert set(re.findall(r"{(\w+)", zh)) == set(re.findall(r"{(\w+)", en)), key


@pytest.mark.slow
def test_data_page_lists_the_layers_and_their_status():
    at = ok(start(page="data"))
    t = frame(at, "图层")
    assert list(t["数量"]) == [1, 10, 125, 172]
    assert t["状态"].iloc[0] == "真实" and "示意" in list(t["状态"])[3]
    assert [tab.label for tab in at.tabs] == ["导入服务中心", "编辑服务中心", "替换边界", "版本记录", "导出"]


@pytest.mark.slow
def test_missing_data_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "DATA_DIR", tmp_path)
    at = start()
    assert not at.exception
    assert any("数据有误" in e.value and "not found" in e.value for e in at.error)


# --------------------------------------------------------------------------- downloads


@pytest.mark.slow
def test_downloads_csv_and_xlsx(layers):
    at = ok(start())
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("下载 CSV") == 3 and labels.count("下载 Excel（XLSX）") == 3
    r = expected(layers)
    files = tables.export_bytes(("test-downloads",), "zh", "coverage", True, r, None)
    assert files["csv_0"].startswith("\ufeff".encode())
    text = files["csv_1"].decode("utf-8-sig")
    assert text.splitlines()[0].startswith("村（社区）,所属街道,代码") and "数据说明" in text.splitlines()[0]
    assert len(text.splitlines()) == 126
    wb = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames == ["街道", "村（社区）", "空白区域", "说明"]
    assert wb["村（社区）"].max_row == 126
    notes = [row[0].value for row in wb["说明"].iter_rows(min_row=2)]
    assert any("示意数据" in n for n in notes) and any("95.1%" in n for n in notes)


# --------------------------------------------------------------------------- walking network


def write_grid_osm(path, n: int = 25) -> None:
    """A square street grid over Longhu as OSM XML (about 600–700 m between streets)."""
    lons = np.linspace(116.690, 116.840, n)
    lats = np.linspace(23.305, 23.476, n)
    def nid(i, j):
        return 1 + i * n + j
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="tests">']
    out += [f'<node id="{nid(i, j)}" lat="{la:.7f}" lon="{lo:.7f}" version="1"/>'
            for i, la in enumerate(lats) for j, lo in enumerate(lons)]
    way = 1
    for rows in (True, False):
        for a in range(n):
            refs = "".join(f'<nd ref="{nid(a, b) if rows else nid(b, a)}"/>' for b in range(n))
            out.append(f'<way id="{way}" version="1">{refs}<tag k="highway" v="residential"/></way>')
            way += 1
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")


@pytest.fixture(scope="module")
def network_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("networks")
    write_grid_osm(folder / "grid.osm")
    (folder / "broken.osm").write_text("<osm><node id='1' lat='x'/></osm", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_network_mode_is_offered_only_after_loading(monkeypatch, network_dir, layers):
    monkeypatch.setenv(cache.NETWORK_DIR_ENV, str(network_dir))
    at = ok(start())
    assert at.radio(key=K("mode")).disabled
    assert at.selectbox(key="net_pick").options == ["broken.osm", "grid.osm"]
    at.selectbox(key="net_pick").set_value("grid.osm")
    at.button(key="net_load").click().run()
    ok(at)
    assert not at.radio(key=K("mode")).disabled and at.radio(key=K("mode")).value == "network"
    assert any("已加载路网：grid.osm" in s.value for s in at.sidebar.success)
    from geo.io import networks
    graph = networks.load_network(network_dir / "grid.osm")
    want = cv.analyse(layers["district"], layers["streets"], layers["communities"], layers["centers"],
                      cv.Settings(mode="network"), graph=graph)
    assert covered(at) == pytest.approx(round(want.covered_pct, 1))
    assert covered(at) < round(expected(layers).covered_pct, 1)  # streets are longer than beelines

    # resident: on a street -> snapped point and route; between streets -> "too far"
    at.radio(key=K("page")).set_value("resident").run()
    at.radio(key=K("resident_input")).set_value("coords").run()
    at.text_input(key="lon").input("116.75")
    at.text_input(key="lat").input(repr(float(np.linspace(23.305, 23.476, 25)[12]) + 0.0005)).run()
    ok(at)
    assert len(_nearest(at)) == 3
    fg = map_args(at)["feature_group"]
    assert "lh-snap" in fg and "步行路线" in fg
    assert any("接入点" in c.value for c in at.caption)
    lons, lats = np.linspace(116.690, 116.840, 25), np.linspace(23.305, 23.476, 25)
    at.text_input(key="lon").input(repr(float(lons[8] + lons[9]) / 2))
    at.text_input(key="lat").input(repr(float(lats[12] + lats[13]) / 2)).run()
    assert any("超过 200 米" in w.value for w in ok(at).warning)

    at.button(key="net_unload").click().run()
    ok(at)
    assert at.radio(key=K("mode")).disabled and at.radio(key=K("mode")).value == "circle"


@pytest.mark.slow
def test_a_broken_network_file_is_a_message(monkeypatch, network_dir):
    monkeypatch.setenv(cache.NETWORK_DIR_ENV, str(network_dir))
    at = start()
    at.selectbox(key="net_pick").set_value("broken.osm")
    at.button(key="net_load").click().run()
    assert not at.exception
    assert any("路网无法使用" in e.value and "broken.osm" in e.value for e in at.sidebar.error)
    assert at.radio(key=K("mode")).disabled


# --------------------------------------------------------------------------- helpers of the page


def test_community_search_ranking():
    names = data.load_communities()["name"].tolist()
    assert search.search_communities("金谷", names)[0] == "金谷居委会"
    assert search.search_communities("金谷居委会", names)[0] == "金谷居委会"
    assert set(search.search_communities("金洲", names)[:2]) == {"金洲居委会", "金洲村委会"}
    assert search.search_communities("鸥", names)[:2] == ["鸥上居委会", "鸥下居委会"]
    assert "香域水岸社区居委会" in search.search_communities("香域水岸", names)
    assert search.search_communities("   ", names) == []


def test_click_conversion_and_zoom():
    lon, lat = 116.75, 23.40
    glon, glat = (float(v) for v in gcrs.convert(lon, lat, "wgs84", "gcj02"))
    back = maplayers.click_to_wgs84(glat, glon, "amap")
    assert back == pytest.approx((lon, lat), abs=1e-7)
    assert maplayers.click_to_wgs84(lat, lon, "osm") == (lon, lat)
    assert maplayers.zoom_for(0.15, 0.17) == 12 and maplayers.zoom_for(0.005, 0.005) >= 15
    assert state.minutes_for("bands", 20) == (5.0, 10.0, 15.0) and state.minutes_for("custom", 20) == (20.0,)
    assert state.speed_for("elderly", 9) == 3.0
