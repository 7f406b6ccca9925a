"""Every number a user types is checked on the page: custom walking minutes and speed, the
number of suggested stations, typed coordinates.

NaN, infinity, negative or absurd values (minutes over 120, speed over 20 km/h) give a clear
message in the page's language, never a traceback, and never reach the analysis. The number
fields have no bounds (a bounded ``st.number_input`` silently replaces an out-of-range value),
so what a user types is what the page checks; values a widget cannot produce (NaN) are put in
session state, where a widget would pass them on.
"""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from geo.app import inputs
from geo.engine import coverage as cv
from geo.engine import nearest
from tests.app_helpers import W, start
from tests.conftest import RUOQIANG


def no_traceback(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def has_error(at: AppTest, *words: str) -> bool:
    return any(all(w in e for w in words) for e in errors(at))


def covered_metrics(at: AppTest) -> list[str]:
    return [m.label for m in at.metric if "%" in m.value]


@pytest.fixture
def analysed(monkeypatch) -> list[cv.Settings]:
    """Every Settings the page hands to the analysis (the page runs in this process)."""
    seen: list[cv.Settings] = []
    real = cv.analyse

    def spy(*args, **kwargs):
        seen.append(args[4] if len(args) > 4 else kwargs["settings"])
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "analyse", spy)
    return seen


@pytest.fixture
def searched(monkeypatch) -> list[tuple[float, float]]:
    """Every point the resident screen asks the nearest-centre search about."""
    seen: list[tuple[float, float]] = []
    real = nearest.nearest_centers

    def spy(centers, lon, lat, **kwargs):
        seen.append((lon, lat))
        return real(centers, lon, lat, **kwargs)

    monkeypatch.setattr(nearest, "nearest_centers", spy)
    return seen


def _sane(s: cv.Settings) -> bool:
    return all(math.isfinite(m) and 0 < m <= 120 for m in s.minutes) and 0 < s.speed_kmh <= 20


# --------------------------------------------------------------------------- the checks themselves


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -5, 0, 120.5, 1e9, "x", None, True])
def test_bad_minutes_are_refused_in_both_languages(value):
    with pytest.raises(inputs.InputError, match="自定义步行时间"):
        inputs.minutes(value, "zh")
    with pytest.raises(inputs.InputError, match="custom walking time"):
        inputs.minutes(value, "en")


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 0.0, 20.5, 400, "fast"])
def test_bad_speeds_are_refused(value):
    with pytest.raises(inputs.InputError, match="自定义步行速度"):
        inputs.speed(value, "zh")
    with pytest.raises(inputs.InputError, match="custom walking speed"):
        inputs.speed(value, "en")


def test_good_numbers_pass_unchanged(longhu):
    assert inputs.minutes(120, "zh") == 120.0 and inputs.minutes("7.5") == 7.5
    assert inputs.speed(20) == 20.0 and inputs.speed(0.8) == 0.8
    assert inputs.count(20, 1, 20, 5) == 20 and inputs.count(3.0, 1, 20, 5) == 3
    assert inputs.point("116.7300", "23.3700", "zh", longhu) == (116.73, 23.37)
    assert inputs.point(" １１６.７３° ", "23.37°", "zh", longhu) == (116.73, 23.37)  # full-width digits, degree sign


@pytest.mark.parametrize("value", [0, 21, 2.5, math.nan, math.inf, -3, "five"])
def test_bad_station_counts_are_refused(value):
    with pytest.raises(inputs.InputError, match="k"):
        inputs.count(value, 1, 20, 5, "zh")


@pytest.mark.parametrize("lon, lat, zh, en", [
    ("abc", "23.37", "不是数字", "not a number"),
    ("nan", "23.37", "不是数字", "not a number"),
    ("inf", "23.37", "不是数字", "not a number"),
    ("1e400", "23.37", "不是数字", "not a number"),
    ("", "23.37", "请填写经度", "Longitude is empty"),
    ("116.73", "  ", "请填写纬度", "Latitude is empty"),
    ("200", "23.37", "经度必须在 -180 到 180 之间", "Longitude must be between -180 and 180"),
    ("116.73", "-95", "纬度必须在 -90 到 90 之间", "Latitude must be between -90 and 90"),
    ("23.37", "116.73", "填反了", "swapped"),
])
def test_bad_coordinates_are_refused(lon, lat, zh, en, longhu):
    with pytest.raises(inputs.InputError, match=zh):
        inputs.point(lon, lat, "zh", longhu)
    with pytest.raises(inputs.InputError, match=en):
        inputs.point(lon, lat, "en", longhu)


def test_the_coordinate_messages_name_the_district_they_are_given(other_district):
    """The swap hint and the example of a number are the page's district's, not Longhu's."""
    ruoqiang = other_district(RUOQIANG)
    lon, lat = ruoqiang.point
    with pytest.raises(inputs.InputError) as info:
        inputs.point("39.0", "88.0", "zh", ruoqiang)
    assert "若羌县约在经度" in str(info.value) and f"经度 {lon:.1f}、纬度 {lat:.1f}" in str(info.value)
    with pytest.raises(inputs.InputError) as info:
        inputs.point("abc", "39.0", "en", ruoqiang)
    assert f"longitude {lon:.4f} and latitude {lat:.4f}" in str(info.value) and "116.7" not in str(info.value)


def test_typed_text_is_quoted_back_without_markup(longhu):
    with pytest.raises(inputs.InputError) as info:
        inputs.point("**[x](javascript:1)**", "23.37", "en", longhu)
    assert "\\*\\*\\[x\\]" in str(info.value)


# --------------------------------------------------------------------------- on the page


@pytest.mark.slow
@pytest.mark.parametrize("typed", [-5.0, 0.0, 500.0])
def test_typed_custom_minutes_out_of_range_is_a_message_and_nothing_is_computed(typed, analysed):
    at = no_traceback(start(minutes_choice="custom"))
    analysed.clear()
    at.number_input(key=W("custom_minutes")).set_value(typed).run()
    no_traceback(at)
    assert at.number_input(key=W("custom_minutes")).value == typed  # not silently clamped
    assert has_error(at, "自定义步行时间", "120", f"{typed:g}")
    assert has_error(at, "未计算覆盖范围")
    assert not covered_metrics(at)
    assert all(_sane(s) for s in analysed), [s.minutes for s in analysed]
    assert len(at.get("component_instance")) == 1  # the map is still there
    # a good value brings the figures back
    at.number_input(key=W("custom_minutes")).set_value(20.0).run()
    assert not no_traceback(at).error and covered_metrics(at)


@pytest.mark.slow
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_custom_minutes_nan_or_inf_in_state_is_a_message(value, analysed):
    at = no_traceback(start(minutes_choice="custom", custom_minutes=value))
    assert has_error(at, "自定义步行时间")
    assert not covered_metrics(at)
    assert all(_sane(s) for s in analysed)


@pytest.mark.slow
@pytest.mark.parametrize("typed", [-1.0, 0.0, 25.0, 1e6])
def test_typed_custom_speed_out_of_range_is_a_message(typed, analysed):
    at = no_traceback(start(speed_choice="custom"))
    analysed.clear()
    at.number_input(key=W("custom_speed")).set_value(typed).run()
    no_traceback(at)
    assert has_error(at, "自定义步行速度", "20 km/h")
    assert not covered_metrics(at)
    assert all(_sane(s) for s in analysed)


@pytest.mark.slow
def test_messages_follow_the_page_language(analysed):
    at = no_traceback(start(lang="en", speed_choice="custom", custom_speed=math.nan))
    assert has_error(at, "custom walking speed", "20 km/h", "nan")
    assert has_error(at, "nothing was computed")
    assert not covered_metrics(at)
    at.session_state["speed_choice"] = "adult"
    at.session_state["speed_choice__en"] = "adult"
    at.run()
    assert not no_traceback(at).error and covered_metrics(at)


@pytest.mark.slow
def test_the_engines_own_message_is_shown(monkeypatch):
    """A value the page lets through but the engine refuses: the engine's message, no traceback."""
    real = cv.analyse

    def refuse(*args, **kwargs):
        if args[4].speed_kmh == 17.25:
            raise cv.CoverageError("walking speed must be between 0.5 and 10 km/h")
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "analyse", refuse)
    at = no_traceback(start(speed_choice="custom", custom_speed=17.25))  # a key no earlier run cached
    assert has_error(at, "无法计算", "walking speed must be between")
    assert not covered_metrics(at)


def answers(at: AppTest) -> list[str]:
    """The resident page's answers ('**1. name** …')."""
    return [m.value for m in at.markdown if m.value.startswith("**1. ")]


@pytest.mark.slow
def test_a_bad_planner_speed_does_not_reach_the_resident_page(searched):
    """The resident page walks at its own speeds (adult, older person), never the planner's typed one."""
    at = no_traceback(start("resident", resident_input="coords", lon="116.73", lat="23.37", speed_choice="custom",
                            custom_speed=-2.0))
    assert not at.error and answers(at)
    assert searched and "4.0" not in str(searched)  # a point was searched; the speed is checked below
    assert any("约" in a for a in answers(at))


@pytest.mark.slow
@pytest.mark.parametrize("value", [100, 0, math.nan, 2.5])
def test_a_bad_station_count_is_a_message_and_put_back(value):
    at = no_traceback(start(suggest_k=value, work_tab="新增站点建议"))
    assert has_error(at, "新增站点数 k", "1 到 20")
    assert at.slider(key=W("suggest_k")).value == 5


@pytest.mark.slow
@pytest.mark.parametrize("lon, lat, words", [
    ("abc", "23.37", ("经度", "abc", "不是数字")),
    ("116.73", "nan", ("纬度", "不是数字")),
    ("inf", "23.37", ("不是数字",)),
    ("", "23.37", ("请填写经度",)),
    ("116.73", "123", ("纬度必须在 -90 到 90 之间",)),
    ("-181", "23.37", ("经度必须在 -180 到 180 之间",)),
    ("23.37", "116.73", ("填反了",)),
])
def test_typed_coordinates_are_checked_on_the_page(lon, lat, words, searched):
    at = no_traceback(start("resident", resident_input="coords"))
    assert not at.error  # nothing typed yet: a hint, not an error
    searched.clear()
    at.text_input(key=W("lon")).input(lon)
    at.text_input(key=W("lat")).input(lat).run()
    no_traceback(at)
    assert has_error(at, *words), errors(at)
    assert not searched, "a bad coordinate must not reach the search"
    assert not answers(at)
    assert len(at.get("component_instance")) == 1  # the map is still there


@pytest.mark.slow
def test_typed_coordinates_in_english_and_full_width_digits(searched, shipped_layers):
    c = shipped_layers["centers"].iloc[5]
    at = no_traceback(start("resident", resident_input="coords", lang="en"))
    at.text_input(key=W("lon")).input("1e400").run()
    assert has_error(no_traceback(at), "Longitude", "is not a number", "decimal degrees")
    full = str(round(float(c["lon"]), 6)).translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    at.text_input(key=W("lon")).input(full)
    at.text_input(key=W("lat")).input(f"{float(c['lat']):.6f}°").run()
    assert not no_traceback(at).error
    assert answers(at)[0].startswith(f"**1. {c['name']}**") and "· 0 m" in answers(at)[0]
    assert searched[-1] == pytest.approx((float(c["lon"]), float(c["lat"])), abs=1e-6)
