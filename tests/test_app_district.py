"""The district picker (AppTest): another district chosen by the picker or named in the page's
address becomes the district of every page -- its title, counts, map, messages and store -- and
nothing says Longhu; an unknown code in the address is a message and the district stays."""

from __future__ import annotations

import pytest

from geo.app import district
from geo.io import data, districts
from tests.app_helpers import goto, metrics, ok, page_text, start

pytestmark = pytest.mark.slow

NANAO = "440523"  # 南澳县: 3 streets, 46 communities (small, so its layers build in seconds)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Other districts' layers built once into a private folder (never data/user)."""
    folder = tmp_path_factory.mktemp("districts")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(districts, "CACHE_DIR", folder)
        districts.ensure(NANAO, cache=folder)
        yield folder


def _without_picker(text: str, lang: str) -> str:
    """The page's words less the picker's list of every unit of China (which names Longhu too)."""
    for label in district.options(lang).values():
        text = text.replace(label, " ")
    return text


def test_the_address_names_the_district_of_every_page(cache_dir):
    at = start()
    at.query_params["district"] = NANAO
    ok(at.run())
    with data.district_data(cache_dir / NANAO):
        n_centres = len(data.load_centers())
    assert any(m.value == "### 南澳县15分钟党群服务圈" for m in at.markdown)
    assert any(c.value.startswith(f"汕头市南澳县 · {n_centres} 个") for c in at.caption)
    assert metrics(at)["纳入计算的中心"] == str(n_centres)
    assert at.selectbox(key="district_pick_planner_zh").value == NANAO
    assert "龙湖" not in _without_picker(page_text(at), "zh")
    at.session_state["lang"] = "en"
    for page in ("planner", "resident", "data"):
        words = _without_picker(page_text(ok(goto(at, page))), "en")
        assert "Longhu" not in words and "Nan'ao County" in words, page
        assert at.query_params["district"] == NANAO  # the address keeps naming it: a link can be shared
    store = next(c.value for c in at.caption if ".gpkg" in c.value)
    assert f"longhu\\-{NANAO}\\.gpkg" in store  # its own store beside Longhu's


def test_the_picker_changes_the_district_and_the_address(cache_dir):
    at = ok(start())
    assert "district" not in at.query_params  # Longhu, the default, needs no parameter
    at.selectbox(key="district_pick_planner_zh").set_value(NANAO).run()
    ok(at)
    assert at.query_params["district"] == NANAO
    assert any("南澳县" in c.value for c in at.caption)
    for page in ("resident", "data", "planner"):  # the choice stays while the user moves between pages
        assert any("南澳县" in c.value for c in ok(goto(at, page)).caption), page
    at.selectbox(key="district_pick_planner_zh").set_value(districts.SHIPPED_CODE).run()
    assert "district" not in ok(at).query_params
    assert any(c.value.startswith("汕头市龙湖区 · 172 个") for c in at.caption)


def test_an_unknown_code_in_the_address_is_a_message(cache_dir):
    at = start()
    at.query_params["district"] = "4405"  # a city, not a county-level unit
    at.run()
    assert not at.exception and not at.error
    assert any("4405" in w.value for w in at.warning)
    assert any(c.value.startswith("汕头市龙湖区 · 172 个") for c in at.caption)
