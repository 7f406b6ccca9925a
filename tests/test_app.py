"""The planner's page (``/``) under Streamlit's AppTest: every control, the gap list and the map's
view, the network loader, the downloads. No browser: the map component's arguments (base-map
script, feature groups with the fit) are read from the page's output.

Expected figures are computed independently with geo.engine.coverage, so a test fails when the
page shows a number that is not the analysis' number.
"""

from __future__ import annotations

import io
import json
import re
import shutil

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely

from geo.app import cache, search, state, tables
from geo.app import layers as maplayers
from geo.engine import coverage as cv
from geo.engine import crs as gcrs
from geo.io import data
from tests.app_helpers import K, W, covered, frame, goto, map_args, metrics, n_points, ok, start

# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def layers(shipped_layers):
    return shipped_layers


def expected(layers, **settings) -> cv.CoverageResult:
    return cv.analyse(layers["district"], layers["streets"], layers["communities"], layers["centers"],
                      cv.Settings(**settings))


def fit(args: dict) -> tuple[str, list[list[float]]]:
    """The (key, bounds) of the map's fit (geo.render.maps.FitBounds) in the feature groups."""
    js = args["feature_group"]
    m = re.search(r'__lh_fitted = ("[^"]*");\s*map\.invalidateSize\(\);\s*map\.fitBounds\((\[\[.*?\]\])', js, re.S)
    assert m, "no fit in the map's layers"
    return json.loads(m.group(1)), json.loads(m.group(2))


def shown_tiers(js: str) -> list[str]:
    """The tiers of the base map's centres that the map's changing layers show
    (geo.app.layers.CentresShown)."""
    m = re.search(r"on = (\[[^\]]*\]);", js)
    assert m, "no choice of centres in the map's layers"
    return json.loads(m.group(1))


# --------------------------------------------------------------------------- default page


@pytest.mark.slow
def test_default_load_shows_the_analysis_numbers(layers):
    at = ok(start())
    r = expected(layers)
    assert any("示意数据" in w.value for w in at.warning)
    assert covered(at, "15") == pytest.approx(round(r.covered_pct, 1))
    m = metrics(at)
    assert m["纳入计算的中心"] == "172" and m["未覆盖空白"] == f"{len(r.gaps)} 处"
    assert any("172 个党群服务中心" in c.value for c in at.caption)  # the subtitle counts the data in use
    # the gap list beside the map: escaped HTML, no data-frame code on the first screen
    assert not at.get("arrow_data_frame") and not at.get("table")
    side = next(m.value for m in at.markdown if "<table" in m.value)
    assert side.count("<tr") == len(r.gaps) + 1  # the header and one row per gap
    # planner tables (drawn once their section is open): every street and community, lowest
    # coverage first
    at.session_state["tables_open"] = True
    streets = frame(at.run(), "街道")
    at.session_state["tables_tab"] = "村（社区）"  # lazy tabs: the open one is drawn
    comms = frame(at.run(), "村（社区）")
    assert len(streets) == 10 and len(comms) == 125
    assert comms["覆盖率（%）"].is_monotonic_increasing
    # the map: 172 centres in four tiers, the folded legend, coverage and gaps, fitted to the district
    args = map_args(at)
    fg = args["feature_group"]
    assert n_points(args["script"]) == 172  # the centres are drawn once, in the base map
    for tier in ("district", "street", "community", "station"):
        assert f"lh-centre-{tier}" in args["script"]
    assert shown_tiers(fg) == ["community", "district", "station", "street"]  # the layers choose them
    assert "lh-legend" in fg and "<details" in fg and "未覆盖空白区域" in fg
    assert args["returned_objects"] == []  # a click on the planner's map reruns nothing
    assert "tileLayer" not in args["script"]  # no basemap by default: works offline
    key, bounds = fit(args)
    assert key == "district"
    d = layers["district"].total_bounds
    assert np.allclose(bounds, [[d[1], d[0]], [d[3], d[2]]], atol=1e-6)


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
    at.number_input(key=W("custom_minutes")).set_value(20).run()
    ok(at)
    assert covered(at, "20") == pytest.approx(round(expected(layers, minutes=(20.0,)).covered_pct, 1))
    assert any("1333 米" in c.value for c in at.sidebar.caption)  # 20 min at 4 km/h

    at.radio(key=K("minutes_choice")).set_value("bands").run()
    ok(at)
    assert [covered(at, m) for m in ("5", "10", "15")] == [shown["5"], shown["10"], shown["15"]]
    labels = [m.label for m in at.metric]
    assert max(len(x) for x in labels) <= 10  # short labels: nothing cut with six figures in a row
    assert all(m.help for m in at.metric[:3])  # the full wording is the tooltip
    fg = map_args(at)["feature_group"]
    assert "0–5 分钟" in fg and "10–15 分钟" in fg


@pytest.mark.slow
def test_speed_presets_and_custom_speed(layers):
    at = ok(start())
    adult = covered(at)
    at.radio(key=K("speed_choice")).set_value("elderly").run()
    elderly = covered(ok(at))
    assert elderly == pytest.approx(round(expected(layers, speed_kmh=3.0).covered_pct, 1)) and elderly < adult
    assert any("750 米" in c.value for c in at.sidebar.caption)  # 15 min at 3 km/h
    at.radio(key=K("speed_choice")).set_value("custom").run()
    at.number_input(key=W("custom_speed")).set_value(5.0).run()
    assert covered(ok(at)) == pytest.approx(round(expected(layers, speed_kmh=5.0).covered_pct, 1))


@pytest.mark.slow
def test_tiers_select_the_centres(layers):
    at = ok(start())
    key0 = map_args(at)["key"]
    at.checkbox(key=W("tier_station")).uncheck().run()
    assert metrics(ok(at))["纳入计算的中心"] == "136"
    tiers = ("district", "street", "community")
    assert covered(at) == pytest.approx(round(expected(layers, tiers=tiers).covered_pct, 1))
    args = map_args(at)
    assert shown_tiers(args["feature_group"]) == ["community", "district", "street"]
    assert "所在村（社区）步行15分钟覆盖率" in args["feature_group"]  # the tooltips' covered share follows
    assert args["key"] == key0, "changing tiers must not rebuild the base map"
    for t in tiers:
        at.checkbox(key=W(f"tier_{t}")).uncheck()
    at.run()
    assert not at.exception
    assert any("至少选择一个" in w.value for w in at.warning)
    assert len(at.get("component_instance")) == 1  # the map is still there


@pytest.mark.slow
def test_settings_survive_a_visit_to_another_page(layers):
    at = ok(start())
    at.radio(key=K("minutes_choice")).set_value("10").run()
    at.checkbox(key=W("tier_station")).uncheck().run()
    goto(at, "resident")
    goto(at, "data")
    goto(at, "planner")
    ok(at)
    assert at.radio(key=K("minutes_choice")).value == "10" and not at.checkbox(key=W("tier_station")).value
    assert covered(at, "10") == pytest.approx(
        round(expected(layers, minutes=(10.0,), tiers=("district", "street", "community")).covered_pct, 1))


@pytest.mark.slow
def test_views_catchments_and_overlap(layers):
    at = ok(start())
    at.radio(key=K("view")).set_value("catchments").run()
    at.session_state["tables_open"] = True
    at.session_state["tables_tab"] = "各中心服务范围"  # the tables' tabs are lazy: open this one
    catch = frame(ok(at.run()), "服务面积（km²）")
    assert len(catch) == 172
    r = expected(layers)
    covered_km2 = shapely.intersection(r.covered, r.district).area / 1e6
    assert catch["服务面积（km²）"].sum() == pytest.approx(covered_km2, rel=0.01)  # a partition
    assert "最近中心服务范围" in map_args(at)["feature_group"]
    at.radio(key=K("view")).set_value("overlap").run()
    fg = map_args(ok(at))["feature_group"]
    assert "可达中心数：1" in fg and "可达中心数：2" in fg


@pytest.mark.slow
@pytest.mark.parametrize("basemap, tiles", [("osm", "tile.openstreetmap.org"), ("amap", "autonavi.com")])
def test_basemaps(layers, basemap, tiles):
    at = ok(start())
    none_args = map_args(at)
    at.radio(key=K("basemap")).set_value(basemap).run()
    args = map_args(ok(at))
    assert tiles in args["script"] and args["key"] != none_args["key"]
    dlon = fit(args)[1][0][1] - fit(none_args)[1][0][1]
    if basemap == "amap":  # every layer shifted WGS-84 -> GCJ-02 (about 0.005° east in Shantou)
        assert 0.004 < dlon < 0.006
    else:
        assert abs(dlon) < 1e-9


@pytest.mark.slow
def test_gap_selection_fits_the_gap(layers):
    at = ok(start())
    r = expected(layers)
    at.selectbox(key=K("gap_pick")).set_value(1).run()
    args = map_args(ok(at))
    gap = gpd.GeoSeries([r.gaps.geometry.iloc[0]], crs=r.crs).to_crs(4326).iloc[0]
    key, ((south, west), (north, east)) = fit(args)
    minx, miny, maxx, maxy = gap.bounds
    assert key.startswith("gap:") and key.endswith(":1")
    assert west <= minx and east >= maxx and south <= miny and north >= maxy
    assert (east - west) < 0.1  # framed, not the whole district
    assert "选中的空白区域" in args["feature_group"]
    at.selectbox(key=K("gap_pick")).set_value(0).run()
    assert fit(map_args(ok(at)))[0] == "district"


# --------------------------------------------------------------------------- data, downloads


@pytest.mark.slow
def test_broken_data_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    folder = tmp_path / "boundaries"
    shutil.copytree(data.DATA_DIR, folder)
    (folder / "streets.geojson").write_text("{not json", encoding="utf-8")  # a broken layer file
    monkeypatch.setattr(data, "DATA_DIR", folder)
    import streamlit as st

    st.cache_resource.clear()  # layers cached by earlier tests must not answer for the broken folder
    st.cache_data.clear()
    at = start()
    assert not at.exception
    assert [e.value for e in at.error if "数据有误" in e.value and "streets" in e.value] == [at.error[0].value]


@pytest.mark.slow
def test_downloads_csv_and_xlsx(layers):
    at = ok(start())
    assert not at.get("download_button")  # the tables' section is closed at first
    at.session_state["tables_open"] = True
    at.run()
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("下载 CSV") == 1 and labels.count("下载 Excel（XLSX）") == 1  # the open tab's
    r = expected(layers)
    files = tables.export_bytes(("test-downloads",), "zh", "coverage", True, r, None)
    assert files["csv_0"].startswith("\ufeff".encode())
    csv = files["csv_1"].decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("村（社区）,所属街道,代码") and "数据说明" in csv.splitlines()[0]
    assert len(csv.splitlines()) == 126
    wb = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames == ["街道", "村（社区）", "空白区域", "说明"]
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
    assert any(c.value.startswith("路网连成一体，共 8") for c in at.sidebar.caption)  # one part, no fragment words
    from geo.io import networks
    graph = networks.load_network(network_dir / "grid.osm")
    want = cv.analyse(layers["district"], layers["streets"], layers["communities"], layers["centers"],
                      cv.Settings(mode="network"), graph=graph)
    assert covered(at) == pytest.approx(round(want.covered_pct, 1))

    # the resident page walks along the same network: the route and where it joins a street
    goto(at, "resident")
    at.segmented_control(key=K("resident_input")).set_value("coords").run()
    at.text_input(key=W("lon")).input("116.75")
    at.text_input(key=W("lat")).input(repr(float(np.linspace(23.305, 23.476, 25)[12]) + 0.0005)).run()
    fg = map_args(ok(at))["feature_group"]
    assert "lh-snap" in fg and "步行路线" in fg and "lh-near-3" in fg
    assert any("接入点" in c.value for c in at.caption)
    lons, lats = np.linspace(116.690, 116.840, 25), np.linspace(23.305, 23.476, 25)
    at.text_input(key=W("lon")).input(repr(float(lons[8] + lons[9]) / 2))
    at.text_input(key=W("lat")).input(repr(float(lats[12] + lats[13]) / 2)).run()
    assert any("超过 200 米" in w.value for w in ok(at).warning)

    goto(at, "planner")
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
    # the file name is the user's: Markdown-escaped (broken\.osm) in the message
    assert any("路网无法使用" in e.value and "broken.osm" in e.value.replace("\\", "") for e in at.sidebar.error)
    assert at.radio(key=K("mode")).disabled


# --------------------------------------------------------------------------- helpers of the pages


def test_community_search_in_characters_pinyin_and_initials(shipped_layers):
    names = shipped_layers["communities"]["name"].tolist()
    assert search.search_communities("金谷", names)[0] == "金谷居委会"
    assert search.search_communities("金谷居委会", names)[0] == "金谷居委会"
    assert set(search.search_communities("金洲", names)[:2]) == {"金洲居委会", "金洲村委会"}
    assert search.search_communities("鸥", names)[:2] == ["鸥上居委会", "鸥下居委会"]
    assert "香域水岸社区居委会" in search.search_communities("香域水岸", names)
    assert search.search_communities("   ", names) == []
    # pinyin, with or without spaces, capitals or tone marks, and initials
    for query in ("Jinzhu", "jin zhu", "Jīnzhū", "JINZHU"):
        assert search.search_communities(query, names)[0] == "金珠居委会", query
    assert search.search_communities("jingu", names)[0] == "金谷居委会"
    assert "珠东居委会" in search.search_communities("zd", names)
    assert search.search_communities("xyzq", names) == []


def test_click_conversion():
    lon, lat = 116.75, 23.40
    glon, glat = (float(v) for v in gcrs.convert(lon, lat, "wgs84", "gcj02"))
    assert maplayers.click_to_wgs84(glat, glon, "amap") == pytest.approx((lon, lat), abs=1e-7)
    assert maplayers.click_to_wgs84(lat, lon, "osm") == (lon, lat)
    assert state.minutes_for("bands", 20) == (5.0, 10.0, 15.0) and state.minutes_for("custom", 20) == (20.0,)
    assert state.speed_for("elderly", 9) == 3.0


def test_the_first_page_freezes_the_heap_once(monkeypatch):
    """After a server's first page the long-lived objects leave the collector's sight (so its
    full collections stop pausing changes); later pages do not collect or freeze again."""
    import gc

    from geo.app import page

    monkeypatch.setitem(page._HEAP, "frozen", False)
    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    runs = []
    wrapped = page.guarded(runs.append, "the district")  # the page is called with the run's District
    wrapped()
    wrapped()
    assert runs == ["the district"] * 2 and calls == ["collect", "freeze"]  # collected first: no garbage frozen
