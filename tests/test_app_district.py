"""The district of a page (AppTest): one District per run, from the picker or the page's address,
is the district of every page and of every part that reruns alone (the resident's panel, the
planner's map and suggestions) -- its names, counts and messages, never Longhu's -- on a city
district (Jinping 440511), an island county (Nanao 440523) and a large rural county of the west
(Ruoqiang 652824). An unknown code in the address is a message until another district is picked.

The stores' side (what a save on one district leaves of the others) is tests/test_app_stores.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.app import cache, district
from geo.io import districts
from tests.app_helpers import TIMEOUT, W, frame, goto, metrics, ok, page_text, start, tab, upload
from tests.conftest import JINPING, NANAO, OTHERS

pytestmark = pytest.mark.slow

LONGHU_WORDS = ("龙湖", "Longhu")
OUTSIDE_JINPING = ("116.7500", "23.3900")  # Longhu, 3 km east of Jinping: the case of issue 20


@pytest.fixture
def app_cache(district_cache, monkeypatch):
    """The app finds the other districts' layers in the test's cache (never data/user)."""
    monkeypatch.setattr(districts, "CACHE_DIR", district_cache)
    return district_cache


def without_picker(text: str, lang: str) -> str:
    """The page's words less the picker's list of every unit of China (which names Longhu too)."""
    for label in district.options(lang).values():
        text = text.replace(label, " ")
    return text


def says_longhu(at: AppTest, lang: str = "zh") -> list[str]:
    """The lines of the page (less the picker's list) that name Longhu."""
    return [line for line in without_picker(page_text(at), lang).splitlines() if any(w in line for w in LONGHU_WORDS)]


def on(code: str, page: str = "planner", **state) -> AppTest:
    """A fresh session on ``page`` of district ``code`` (named in the address, as a shared link)."""
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params["district"] = code
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    return at if page == "planner" else goto(at, page)


# --------------------------------------------------------------------------- every page, three districts


@pytest.mark.parametrize("code", OTHERS)
def test_every_page_names_its_district_and_counts_its_data(app_cache, other_district, code):
    place = other_district(code)
    layers = place.layers()
    n, name, full = len(layers.centers), place.label("zh"), place.label("zh", full=True)
    at = ok(on(code))
    assert any(m.value == f"### {name}15分钟党群服务圈" for m in at.markdown)
    assert any(c.value.startswith(f"{full} · {n} 个党群服务中心") for c in at.caption)
    assert metrics(at)["纳入计算的中心"] == str(n)
    assert at.selectbox(key="district_pick_planner_zh").value == code
    assert not says_longhu(at)
    ok(goto(at, "resident"))
    assert any(c.value == f"{full} · {n} 个服务中心（站）" for c in at.caption) and not says_longhu(at)
    ok(goto(at, "data"))
    streets, comms = len(layers.streets), len(layers.communities)
    subtitle = f"{full} · 当前使用：{n} 个服务中心（站）、{streets} 个街道、{comms} 个村（社区）"
    assert any(c.value == subtitle for c in at.caption) and not says_longhu(at)
    at.session_state["lang"] = "en"
    for page in ("planner", "resident", "data"):
        ok(goto(at, page))
        assert place.label("en") in page_text(at) and not says_longhu(at, "en"), page
        assert at.query_params["district"] == code  # the address keeps naming it: a link can be shared


def test_the_resident_page_answers_in_its_district_name(app_cache, other_district):
    """Jinping's resident page: a place in Longhu is 'outside 金平区', in both languages; swapped
    values are 'swapped' with Jinping's position as the hint."""
    jinping = other_district(JINPING)
    lon, lat = OUTSIDE_JINPING
    at = ok_but_errors(on(JINPING, "resident", resident_input="coords", lon=lon, lat=lat))
    far = [e.value for e in at.error]
    assert len(far) == 1 and far[0].startswith("这个位置在金平区外约") and "本页只查找金平区的服务中心" in far[0]
    at.text_input(key=W("lon")).input(lat)
    at.text_input(key=W("lat")).input(lon).run()
    near_lon, near_lat = jinping.point
    assert [e.value for e in ok_but_errors(at).error] == [
        f"经度和纬度似乎填反了（经度 {float(lat):g}，纬度 {float(lon):g}）：金平区约在经度 {near_lon:.1f}、"
        f"纬度 {near_lat:.1f}，请交换两个值。"]
    at.session_state["lang"] = "en"
    at.text_input(key=W("lon")).input(lon)
    at.text_input(key=W("lat")).input(lat).run()
    assert any("outside Jinping District; this page finds the centres of Jinping District" in e.value
               for e in ok_but_errors(at).error)
    assert not says_longhu(at, "en")


def test_the_data_page_s_examples_and_reasons_are_the_district_s_own(app_cache, other_district):
    """An import on Jinping's data page: a cell that is not a number gets a point of Jinping as
    the example, a point in Longhu is 'not in 金平区'."""
    jinping = other_district(JINPING)
    lon, lat = jinping.point
    sheet = pd.DataFrame({"name": ["坏数", "远处"], "tier": ["station"] * 2, "lon": ["abc", OUTSIDE_JINPING[0]],
                          "lat": [lat, OUTSIDE_JINPING[1]]})
    at = on(JINPING, "data")
    tab(at, "导入服务中心")
    upload(at, "imp_file_", "x.csv", sheet.to_csv(index=False).encode())
    reasons = list(frame(ok_but_errors(at), "原因")["原因"])
    assert f"不是数字；请填写十进制度数，例如 {lon:.4f} 和 {lat:.4f}" in reasons
    assert any(r.startswith("不在金平区内") for r in reasons) and not says_longhu(at)


def ok_but_errors(at: AppTest) -> AppTest:
    """No exception (the error boxes are what the test reads)."""
    assert not at.exception, [e.value for e in at.exception]
    return at


# --------------------------------------------------------------------------- the parts that rerun alone


def resident_panel_alone(code: str, cache_dir: str) -> None:
    """The resident's fragment as its own rerun runs it: only the fragment, with the Frame it was
    given -- nothing of the page's start (no picker, no address, no header) runs before it."""
    from geo.app import cache, resident, state
    from geo.app.page import Frame
    from geo.io.district import District

    state.init()
    resident.panel(Frame(state.lang(), cache.layers(District.open(code, cache=cache_dir))))


def planner_workspace_alone(code: str, cache_dir: str) -> None:
    """The planner's fragment (map, gaps, suggestions) as its own rerun runs it."""
    from geo.app import cache, planner, screen, state
    from geo.app.page import Frame
    from geo.io.district import District

    state.init()
    frame = Frame(state.lang(), cache.layers(District.open(code, cache=cache_dir)))
    planner.workspace(screen.analyse(frame))


def alone(script, code: str, cache_dir, **state) -> AppTest:
    at = AppTest.from_function(script, args=(code, str(cache_dir)), default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    return ok_but_errors(at.run())


@pytest.mark.parametrize("lang, words", [("zh", "金平区"), ("en", "Jinping District")])
def test_the_resident_fragment_alone_names_its_district(app_cache, other_district, lang, words):
    """Typed coordinates, swapped ones and 'use my location' (a found position) outside Jinping:
    every message of the fragment's own rerun names Jinping."""
    lon, lat = OUTSIDE_JINPING
    at = alone(resident_panel_alone, JINPING, app_cache, lang=lang, resident_input="coords", lon=lon, lat=lat)
    assert len(at.error) == 1 and words in at.error[0].value and not says_longhu(at, lang)
    at.text_input(key=W("lon")).input(lat)
    at.text_input(key=W("lat")).input(lon).run()
    assert len(at.error) == 1 and words in at.error[0].value and not says_longhu(at, lang)
    assert at.button(key="res_swap")  # the swap button
    found = {"last_clicked": {"lat": float(lat), "lng": float(lon)}}  # the map's locate button
    at = alone(resident_panel_alone, JINPING, app_cache, lang=lang, resident_input="click", res_map=found)
    assert len(at.error) == 1 and words in at.error[0].value and not says_longhu(at, lang)


def test_the_resident_fragment_alone_answers_with_its_centres(app_cache, other_district):
    jinping = other_district(JINPING)
    centre = jinping.layers().centers.iloc[3]
    at = alone(resident_panel_alone, JINPING, app_cache, resident_input="coords",
               lon=f"{centre['lon']:.6f}", lat=f"{centre['lat']:.6f}")
    assert not at.error and any(s.value.startswith(f"最近：{centre['name']}") for s in at.success)


def test_the_planner_fragment_alone_suggests_for_its_district(app_cache, other_district):
    nanao = other_district(NANAO)
    n = len(nanao.layers().centers)
    at = alone(planner_workspace_alone, NANAO, app_cache, work_tab="新增站点建议")
    at.button(key="suggest_run").click().run()
    key, plan = ok(at).session_state["plan"]
    assert key[0] == NANAO  # the analysis' key names the district
    assert plan.covered_pct_before == pytest.approx(cache.analysis(
        NANAO, *key[1:], nanao.layers(), None).covered_pct)
    assert len(plan.sites) == 5 and not says_longhu(at)
    assert nanao.layers().centers.shape[0] == n  # nothing saved before the click


# --------------------------------------------------------------------------- the picker and the address


def test_the_picker_changes_the_district_and_the_address(app_cache, other_district):
    at = ok(start())
    assert "district" not in at.query_params  # Longhu, the default, needs no parameter
    at.selectbox(key="district_pick_planner_zh").set_value(NANAO).run()
    assert ok(at).query_params["district"] == NANAO
    assert any(c.value.startswith("汕头市南澳县 · ") for c in at.caption)
    for page in ("resident", "data", "planner"):  # the choice stays while the user moves between pages
        assert any("南澳县" in c.value for c in ok(goto(at, page)).caption), page
    at.selectbox(key="district_pick_planner_zh").set_value(districts.SHIPPED_CODE).run()
    assert "district" not in ok(at).query_params
    assert any(c.value.startswith("汕头市龙湖区 · 172 个") for c in at.caption)


@pytest.mark.parametrize("code", ["999999", "4405"])  # no such unit; a city, not a county-level unit
def test_an_unknown_code_is_a_message_until_another_district_is_picked(app_cache, code):
    at = start()
    at.query_params["district"] = code
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if code in w.value]
    assert any(c.value.startswith("汕头市龙湖区 · 172 个") for c in at.caption)  # the district stays
    at.selectbox(key="district_pick_planner_zh").set_value(JINPING).run()
    assert not [w.value for w in ok(at).warning if code in w.value]
    assert at.query_params["district"] == JINPING and any("金平区" in c.value for c in at.caption)
    goto(at, "resident")
    assert not [w.value for w in ok(at).warning if code in w.value]


@pytest.mark.parametrize("code, lang, says", [
    ("440500", "zh", "网址中的代码“440500”是汕头市，不是县级行政区；请在侧栏的区县选择框（手机上点左上角 »）中选择"
                     "其下辖的 7 个区县之一"),
    ("44", "en", "which is Guangdong Province, not a county-level unit; pick one of its 124 districts"),
])
def test_a_city_or_province_in_the_address_is_named_with_its_units(app_cache, code, lang, says):
    at = start()
    at.query_params["district"] = code
    if lang == "en":
        at.session_state["lang"] = "en"
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning if says in w.value]


def test_a_stray_newline_in_the_address_is_trimmed(app_cache):
    at = start()
    at.query_params["district"] = JINPING + "\n"
    ok(at.run())
    assert not [w.value for w in at.warning if JINPING in w.value] and at.query_params["district"] == JINPING
    assert any("金平区" in c.value for c in at.caption)


def test_two_districts_never_share_a_cached_layer(app_cache, other_district, longhu):
    places = [longhu] + [other_district(c) for c in OTHERS]
    tokens = [cache.layers_token(p) for p in places]
    assert [t.split(":")[0] for t in tokens] == [p.code for p in places]
    got = [cache.layers(p) for p in places]
    assert [g.place.code for g in got] == [p.code for p in places]
    assert len({len(g.centers) for g in got}) == len(places)


@pytest.mark.parametrize("code", (JINPING, NANAO))
def test_the_page_and_the_command_line_give_the_same_figures(app_cache, code, tmp_path):
    """One job behind both front ends: the planner's covered share, centres and gaps are the
    command line's ``coverage --district CODE --json`` for the same district and files."""
    from tests.app_helpers import covered
    from tests.cli_helpers import run

    cli = run("coverage", "--district", code, "--out", tmp_path / "out", "--json")
    assert cli.returncode == 0, cli.stderr
    head = json.loads(cli.stdout)
    at = ok(on(code))
    shown = metrics(at)
    # one decimal, and a share short of 100 never shown as 100.0 (Jinping's 99.99 is 99.9)
    assert covered(at) == pytest.approx(head["covered_pct"], abs=0.1)
    assert covered(at) < 100 or head["covered_pct"] >= 100
    assert shown["纳入计算的中心"] == str(head["n_centers"])
    assert shown["未覆盖空白"].split()[0] == str(head["n_gaps"])
