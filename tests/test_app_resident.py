"""The resident's page (``/resident``) under AppTest: a place from a tap, a community search or typed
coordinates; the three nearest centres (headline and list agree), numbered on the map and fitted;
and every bad place -- not a number, out of range, swapped, outside China, far outside the
district -- is a message, never an answer.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import shapely

from geo.engine import crs as gcrs
from geo.engine import nearest
from tests.app_helpers import K, W, goto, map_args, ok, start

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def layers(shipped_layers):
    return shipped_layers


def typed(lon, lat, system: str = "wgs84", **state):
    """The resident page with typed coordinates."""
    at = start("resident", resident_input="coords", coord_crs=system, lon=str(lon), lat=str(lat), **state)
    return at


def cards(at) -> list[str]:
    """The three answers: '**1. name**  \\ntier · about x min on foot · y m'."""
    return [m.value for m in at.markdown if re.match(r"\*\*\d\. ", m.value)]


def fit_bounds(at) -> list[list[float]]:
    m = re.search(r"map\.fitBounds\((\[\[.*?\]\])", map_args(at)["feature_group"], re.S)
    return json.loads(m.group(1))


def answered(at) -> bool:
    return bool(cards(at)) or any("最近：" in s.value for s in at.success)


def test_typed_coordinates_give_three_centres_numbered_on_the_fitted_map(layers):
    c = layers["centers"].iloc[5]
    at = ok(typed(float(c["lon"]) + 0.002, float(c["lat"])))
    want = nearest.nearest_centers(layers["centers"], float(c["lon"]) + 0.002, float(c["lat"]), k=3)
    shown = cards(at)
    assert len(shown) == 3
    for (rank, row), text in zip(enumerate(want.table.itertuples(), start=1), shown):
        assert text.startswith(f"**{rank}. {row.name}**") and f"{row.distance_m:,.0f} 米" in text
        assert f"{row.minutes:.1f} 分钟" in text
    first = want.table.iloc[0]
    headline = next(s.value for s in at.success if "最近：" in s.value)
    assert f"{first['minutes']:.1f} 分钟" in headline  # the headline and the list say the same minutes
    fg = map_args(at)["feature_group"]
    assert "lh-query" in fg and all(f"lh-near-{i}" in fg for i in (1, 2, 3)) and fg.count("dashArray") >= 3
    (south, west), (north, east) = fit_bounds(at)
    pts = [shapely.Point(float(c["lon"]) + 0.002, float(c["lat"]))]
    pts += list(layers["centers"].set_index("id").geometry[want.table["id"]])
    assert all(west <= p.x <= east and south <= p.y <= north for p in pts)
    assert (east - west) < 0.05  # the neighbourhood, not the whole district
    assert not at.metric  # no planner figures on this page


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_chinese_coordinate_systems(layers, system):
    c = layers["centers"].iloc[40]
    lon, lat = (float(v) for v in gcrs.convert(c["lon"], c["lat"], "wgs84", system))
    at = ok(typed(lon, lat, system))
    assert cards(at)[0].startswith(f"**1. {c['name']}**") and "· 0 米" in cards(at)[0]


def test_swapped_coordinates_are_a_message_with_a_swap_button(layers):
    at = typed("23.37", "116.73")
    assert not at.exception and not answered(at)
    assert any("填反" in e.value for e in at.error)
    at.button(key="res_swap").click().run()
    ok(at)
    assert at.text_input(key=W("lon")).value == "116.73" and at.text_input(key=W("lat")).value == "23.37"
    assert answered(at) and len(cards(at)) == 3


def test_a_changed_latitude_is_used_never_the_old_one(layers):
    at = ok(typed("116.73", "23.37"))
    assert answered(at)
    at.text_input(key=W("lat")).input("116.73").run()  # a typo: the latitude now out of range
    assert not at.exception and not answered(at)
    assert any("纬度必须在 -90 到 90 之间" in e.value for e in at.error)
    assert "lh-near-1" not in map_args(at)["feature_group"]


@pytest.mark.parametrize("lon, lat, words", [
    ("abc", "23.37", "不是数字"), ("200", "23.37", "经度必须在 -180 到 180"), ("", "", None),
    ("2.35", "48.85", "不在中国境内"), ("116.40", "39.90", "龙湖区外约"), ("116.60", "23.20", "龙湖区外约"),
])
def test_bad_places_get_a_message_never_an_answer(lon, lat, words):
    at = typed(lon, lat)
    assert not at.exception and not answered(at)
    if words is None:  # nothing typed yet: a hint, no error
        assert not at.error and any("填写经度和纬度" in c.value for c in at.caption)
    else:
        assert any(words in e.value for e in at.error), [e.value for e in at.error]


def test_a_place_just_outside_the_district_is_answered_with_a_note(layers):
    d = layers["district"].to_crs(32650).geometry.iloc[0]
    out = shapely.Point(d.bounds[0] - 500, d.centroid.y)  # 500 m west of the outline's box
    lon, lat = (float(v) for v in shapely.get_coordinates(
        layers["district"].__class__(geometry=[out], crs=32650).to_crs(4326).geometry)[0])
    at = ok(typed(lon, lat))
    assert any("边界外不远" in w.value for w in at.warning) and len(cards(at)) == 3


def test_community_search_in_characters_and_pinyin(layers):
    at = ok(start("resident", resident_input="search"))
    at.text_input(key=W("comm_query")).input("Jinzhu").run()
    pick = ok(at).selectbox(key="comm_pick")
    assert pick.value == "金珠居委会"
    poly = layers["communities"].set_index("name").geometry["金珠居委会"]
    assert len(cards(at)) == 3
    (south, west), (north, east) = fit_bounds(at)
    p = poly.representative_point()
    assert west <= p.x <= east and south <= p.y <= north
    at.text_input(key=W("comm_query")).input("金谷社区").run()
    assert ok(at).selectbox(key="comm_pick").value == "金谷居委会"
    at.text_input(key=W("comm_query")).input("zzzz").run()
    assert any("没有找到" in w.value for w in ok(at).warning)


def test_a_tap_on_the_map_is_the_place_also_on_the_amap_basemap(layers):
    c = layers["centers"].iloc[100]
    at = ok(start("resident"))
    assert any("点按" in x.value for x in at.caption) and map_args(at)["returned_objects"] == ["last_clicked"]
    assert "locate" in map_args(at)["script"]  # the "use my location" button
    at.session_state["res_map"] = {"last_clicked": {"lat": float(c["lat"]), "lng": float(c["lon"])}}
    at.run()
    assert cards(ok(at))[0].startswith(f"**1. {c['name']}**")
    # on the AMap basemap the map draws in GCJ-02: a tap is converted back to WGS-84
    at.session_state["basemap"] = "amap"
    glon, glat = (float(v) for v in gcrs.convert(c["lon"], c["lat"], "wgs84", "gcj02"))
    at.session_state["res_map"] = {"last_clicked": {"lat": glat + 1e-9, "lng": glon}}
    at.run()
    assert cards(ok(at))[0].startswith(f"**1. {c['name']}**") and "· 0 米" in cards(at)[0]


def test_older_walking_speed_gives_longer_minutes(layers):
    c = layers["centers"].iloc[5]
    at = ok(typed(float(c["lon"]) + 0.003, float(c["lat"])))
    adult = float(re.search(r"约 ([\d.]+) 分钟", cards(at)[0]).group(1))
    at.radio(key=K("res_speed")).set_value("elderly").run()
    older = float(re.search(r"约 ([\d.]+) 分钟", cards(ok(at))[0]).group(1))
    assert older == pytest.approx(adult * 4 / 3, abs=0.1)


def test_the_place_stays_after_a_visit_to_the_planner(layers):
    at = ok(typed("116.73", "23.37"))
    goto(at, "planner")
    goto(at, "resident")
    assert ok(at).text_input(key=W("lat")).value == "23.37" and len(cards(at)) == 3
    assert np.isfinite(float(at.text_input(key=W("lon")).value))
