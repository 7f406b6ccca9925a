"""Each district keeps its own store, and the pages keep to it (AppTest): accepting suggested
sites, editing a centre, importing centres and restoring a version on one district leave every
other district's store file -- Longhu's too -- byte-identical; opening a page writes no store;
and a store of another district is a message, with the district's own layers still drawn.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.io import districts
from geo.io.editing import CenterEditor
from tests.app_helpers import TIMEOUT, edit, goto, metrics, ok, tab, upload
from tests.conftest import JINPING, NANAO, OTHERS

pytestmark = pytest.mark.slow


@pytest.fixture
def places(district_cache, other_district, longhu, monkeypatch):
    """Longhu and the three other districts, each with a store of two versions of its centres
    (the app finds the districts' layers in the test's cache)."""
    monkeypatch.setattr(districts, "CACHE_DIR", district_cache)
    out = {p.code: p for p in [longhu] + [other_district(c) for c in OTHERS]}
    for place in out.values():
        store = place.store()
        store.seed("centers")
        first = store.load("centers")
        CenterEditor(store).rename(str(first["id"].iloc[0]), f"{first['name'].iloc[0]}（改）")
    return out


def snapshot(places) -> dict[str, bytes | None]:
    """Every district's store file as bytes (None: no file), and no write-ahead log left beside it."""
    for p in places.values():
        assert not p.store_path.with_name(p.store_path.name + "-wal").exists(), p.code
    return {code: p.store_path.read_bytes() if p.store_path.is_file() else None for code, p in places.items()}


def others_unchanged(before: dict, after: dict, code: str) -> None:
    """Every store but ``code``'s is byte-identical; ``code``'s changed."""
    assert {c: b for c, b in after.items() if c != code} == {c: b for c, b in before.items() if c != code}
    assert after[code] != before[code]


def on(code: str, page: str, **state) -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params["district"] = code
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    return ok(at if page == "planner" else goto(at, page))


def test_opening_every_page_writes_no_store(places, tmp_path):
    before = snapshot(places)
    for code in places:
        at = on(code, "planner")
        for page in ("resident", "data", "planner"):
            ok(goto(at, page))
        tab(at, "版本记录")  # the history is read from the store, read-only
    assert snapshot(places) == before
    fresh = places[JINPING].with_store(tmp_path / "never.gpkg")  # a store not made yet stays unmade
    assert not fresh.store_path.exists()


def test_accepting_sites_on_nanao_saves_into_nanao_only(places):
    nanao = places[NANAO]
    n = len(nanao.layers().centers)
    before = snapshot(places)
    at = on(NANAO, "planner", work_tab="新增站点建议")
    at.button(key="suggest_run").click().run()
    at.button(key="suggest_accept").click().run()
    ok(at)
    others_unchanged(before, snapshot(places), NANAO)
    saved = nanao.store(readonly=True).load("centers")
    assert len(saved) == n + 5 and (saved["position_source"] == "proposed").sum() == 5
    assert all(nanao.owns(c) for c in saved["community_code"] if c)
    assert any(s.value.startswith("已保存 5 个拟建服务站") for s in at.success)  # said on the page that saved
    assert metrics(at)["纳入计算的中心"] == str(n + 5)  # the page counts Nanao's centres, the map stays
    assert len(at.get("component_instance")) == 1


def test_editing_importing_and_restoring_on_jinping_touch_jinping_only(places):
    jinping = places[JINPING]
    store = jinping.store(readonly=True)
    before = snapshot(places)
    at = on(JINPING, "data")
    ok(edit(at, edited_rows={2: {"name": "金平测试站（改名）"}}))
    after_edit = snapshot(places)
    others_unchanged(before, after_edit, JINPING)
    assert "金平测试站（改名）" in set(store.load("centers")["name"])

    lon, lat = jinping.point
    sheet = pd.DataFrame({"name": ["金平新站"], "tier": ["station"], "lon": [lon], "lat": [lat]})
    tab(at, "导入服务中心")
    upload(at, "imp_file_", "new.csv", sheet.to_csv(index=False).encode("utf-8-sig"))
    at.button(key="imp_go").click().run()
    ok(at)
    after_import = snapshot(places)
    others_unchanged(after_edit, after_import, JINPING)
    assert "金平新站" in set(store.load("centers")["name"])

    first = int(store.versions("centers")["version"].min())
    tab(at, "版本记录")
    at.selectbox(key="vs_pick__zh").set_value(first).run()
    at.button(key="vs_restore").click().run()
    at.button(key="vs_yes").click().run()
    ok(at)
    others_unchanged(after_import, snapshot(places), JINPING)
    assert store.versions("centers")["restored_from"].iloc[0] == first


def test_a_store_of_another_district_is_a_message_and_the_map_stays(places):
    """Nanao's store holding Longhu's history (what issue 20's accept did): a message naming both,
    Nanao's own layers drawn and counted, and accepting sites refused without a blank map."""
    nanao = places[NANAO]
    shutil.copy(places[districts.SHIPPED_CODE].store_path, nanao.store_path)
    wrong = nanao.store_path.read_bytes()
    own = len(nanao.layers(use_store=False).centers)
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.query_params["district"] = NANAO
    at.session_state["work_tab"] = "新增站点建议"
    at.run()
    assert not at.exception
    assert any("440507" in e.value and NANAO in e.value for e in at.error)  # the stamp names both
    assert metrics(at)["纳入计算的中心"] == str(own) and len(at.get("component_instance")) == 1
    at.button(key="suggest_run").click().run()
    at.button(key="suggest_accept").click().run()
    assert not at.exception
    assert any("440507" in e.value for e in at.error) and len(at.get("component_instance")) == 1
    assert nanao.store_path.read_bytes() == wrong  # nothing written
