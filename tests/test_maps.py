"""Tests for geo.render.maps: the interactive folium map shared by the app and the HTML export."""

from __future__ import annotations

import json
import math
import re

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.engine import coverage as cv
from geo.engine import schema
from geo.io.district import District
from geo.render import maps
from geo.render.words import tier_name

LONGHU = District.open()
"""The shipped layers' district (its store is never opened here)."""

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE_BREAK = "站`+alert(2)+`${alert(3)}"


@pytest.fixture(scope="module")
def layers():
    return (LONGHU.outline, LONGHU.shipped("streets"), LONGHU.shipped("communities"), LONGHU.shipped("centers"))


@pytest.fixture(scope="module")
def result(layers):
    return cv.analyse(*layers, cv.Settings())


@pytest.fixture(scope="module")
def hostile_result(layers):
    """A result whose centre, street and community names are hostile HTML/JS."""
    district, streets, communities, centers = layers
    centers = centers.copy()
    centers.loc[centers.index[0], "name"] = XSS
    centers.loc[centers.index[1], "name"] = TEMPLATE_BREAK
    streets = streets.copy()
    streets.loc[streets.index[0], "name"] = XSS
    communities = communities.copy()
    communities.loc[communities.index[0], "name"] = XSS
    return cv.analyse(district, streets, communities, centers, cv.Settings())


def _has(html: str, text: str) -> bool:
    """``text`` appears in the page, as is or JSON-escaped (folium writes some text with tojson)."""
    return text in html or json.dumps(text)[1:-1] in html


def _markers(m: folium.Map) -> list[dict]:
    """The centre markers: point features of the GeoJSON layers drawn with a DivIcon symbol."""
    out, stack = [], [m]
    while stack:
        el = stack.pop()
        if isinstance(el, folium.GeoJson) and isinstance(getattr(el, "marker", None), folium.Marker):
            out += [f for f in el.data["features"] if f["geometry"]["type"] == "Point"]
        stack.extend(el._children.values())
    return out


def _locations(m: folium.Map) -> np.ndarray:
    """(lat, lon) of every centre marker."""
    return np.array([f["geometry"]["coordinates"][::-1] for f in _markers(m)])


def test_map_has_every_centre_and_the_layers(result):
    m = maps.interactive_map(result)
    marks = _markers(m)
    assert len(marks) == 172
    html = m.get_root().render()
    for tier in schema.TIERS:
        assert _has(html, tier_name(tier, "zh"))
    for colour in maps.TIER_COLOURS.values():
        assert colour in html
    assert len(set(maps.TIER_COLOURS.values())) == 4 and len({maps.symbol_svg(t) for t in maps.TIER_COLOURS}) == 4
    assert _has(html, "未覆盖空白区域") and _has(html, "图例")
    # a tooltip names the centre, its tier, street and community
    tips = [mk["properties"]["tip"] for mk in marks]
    assert any("级别：村（社区）中心" in t and "街道：" in t and "村（社区）：" in t for t in tips)


def test_layer_builders_are_separate(result):
    assert isinstance(maps.coverage_layer(result), folium.FeatureGroup)
    assert isinstance(maps.gaps_layer(result), folium.FeatureGroup)
    m = maps.base_map(result)
    maps.add_base_layers(m, result)
    assert len(_markers(m)) == 172
    assert "图例" in maps.legend(result).content


def test_names_are_escaped(hostile_result):
    raw = html = maps.interactive_map(hostile_result).get_root().render()
    assert "<img src=x" not in html
    # folium writes GeoJSON data with HTML-safe \u escapes; undo them, the tag must still not appear
    html = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # the template-literal breakout is neutralised too (folium puts tooltips between backticks)
    assert "`+alert(2)+`" not in html and "${alert(3)}" not in html
    assert "&#96;+alert(2)+&#96;&#36;{alert(3)}" in html
    # and no tag hides in the JSON data a tooltip's innerHTML would run
    names = [json.loads(f'"{m}"') for m in re.findall(r'"name": "((?:[^"\\]|\\.)*)"', raw)]
    assert names and all("<" not in n and "`" not in n for n in names)


def test_illustrative_notice_shows_only_for_illustrative_data(result, layers):
    html = maps.interactive_map(result).get_root().render()
    assert "lh-notice" in html and _has(html, "并非实测")
    district, streets, communities, centers = layers
    real = cv.analyse(district, streets.assign(geometry_source="user"),
                      communities.assign(geometry_source="user"),
                      centers.assign(position_source="user"), cv.Settings())
    html = maps.interactive_map(real).get_root().render()
    assert "lh-notice" not in html


def test_amap_basemap_shifts_layers_to_gcj02(result):
    plain = maps.interactive_map(result, "none")
    amap = maps.interactive_map(result, "amap")
    a = _locations(plain)
    b = _locations(amap)
    lat = np.radians(a[:, 0])
    dx = (b[:, 1] - a[:, 1]) * 111_320 * np.cos(lat)
    dy = (b[:, 0] - a[:, 0]) * 110_574
    shift = np.hypot(dx, dy)
    assert 480 < shift.mean() < 620          # about 540 m in Shantou
    assert dx.mean() > 400                   # mostly to the east
    assert shift.std() < 20                  # the same shift across the district
    assert "autonavi.com" in amap.get_root().render()
    assert "autonavi.com" not in plain.get_root().render()


def test_osm_basemap_is_not_shifted(result):
    a = _locations(maps.interactive_map(result, "none"))
    b = _locations(maps.interactive_map(result, "osm"))
    assert np.allclose(a, b)


def test_unknown_basemap(result):
    with pytest.raises(maps.MapError, match="unknown basemap 'google'"):
        maps.interactive_map(result, "google")


def test_esc():
    assert maps.esc("<b>&`${x}\\") == "&lt;b&gt;&amp;&#96;&#36;{x}&#92;"
    assert maps.esc(None) == "" and maps.esc(math.nan) == ""


def test_english_map_has_no_chinese_words(result):
    """Notice, legend, layer names and tooltips in English (names of places and centres aside)."""
    from tests.lang_check import stray_cjk

    html = maps.interactive_map(result, lang="en", title="Longhu").get_root().render()
    assert stray_cjk(html) == []
    assert _has(html, "Illustrative data") and _has(html, "Legend") and _has(html, "Uncovered gap")


def test_legend_and_notice_fold_and_leave_the_zoom_buttons_alone(result):
    """The notice is a one-line folded box (top right); the legend folds on narrow maps."""
    html = maps.interactive_map(result).get_root().render()
    assert "lh-notice" in html and "lh-legend" in html and "details" in html
    legend = maps.legend(result)
    assert legend.open_min_width == maps.NARROW_WIDTH and legend.position == "bottomleft"
    note = maps.notice("zh")
    assert note.position == "topright" and note.open_min_width is None
    assert "示意数据（非实测）" in note.content and "calc(100vw" in note.content


def test_fit_bounds_only_refits_for_a_new_target():
    m = folium.Map()
    maps.FitBounds([[23.3, 116.6], [23.5, 116.9]], "district").add_to(m)
    js = m.get_root().render()
    assert "fitBounds" in js and "__lh_fitted" in js and '"district"' in js


def test_an_island_county_is_fitted_to_its_main_island_and_a_printed_map_to_every_islet():
    from types import SimpleNamespace

    main = shapely.box(500_000, 2_580_000, 520_000, 2_590_000)  # 200 km2
    islets = [shapely.box(540_000 + i * 900, 2_570_000, 540_500 + i * 900, 2_570_500) for i in range(3)]
    result = SimpleNamespace(district=shapely.MultiPolygon([main, *islets]), crs="EPSG:32650")
    whole = maps.district_bounds(result)
    fitted = maps.district_bounds(result, share=0.95)
    ref = gpd.GeoSeries([main], crs="EPSG:32650").to_crs("EPSG:4326").total_bounds
    np.testing.assert_allclose(fitted, [[ref[1], ref[0]], [ref[3], ref[2]]])
    assert whole[1][1] > fitted[1][1] + 0.15 and whole[0][0] < fitted[0][0]  # the islets lie east and south
    one = SimpleNamespace(district=main, crs="EPSG:32650")
    assert maps.district_bounds(one, share=0.95) == maps.district_bounds(one)
