"""Other districts in headless Chromium (Playwright, Debian's /usr/bin/chromium), as their planners
and residents use them: the resident page of Jinping answers in Jinping's name when coordinates
are typed (the panel's own rerun), accepting suggested sites on Nanao keeps the map and counts
Nanao's centres, an unknown code in the address goes once another district is picked, and the
picker's district is never cut off (1400 px and a 390×844 phone, both languages).

The server runs app.py through a small launcher that points the districts' layer cache at the
tests' folder (tests/conftest.py: district_cache), so nothing is built into data/user.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import (
    DESK,
    MAP,
    PHONE,
    REPO,
    chromium,
    idle,
    private_store,
    require_chromium,
    streamlit_server,
    type_point,
)
from tests.conftest import JINPING, NANAO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHAOYANG = "440513"  # 潮阳区: not among the tests' prepared districts, so it is built when picked
SHOTS = Path(os.environ.get("DISTRICT_SHOTS", "")) if os.environ.get("DISTRICT_SHOTS") else None

LAUNCHER = """import runpy
import sys
from pathlib import Path

sys.path.insert(0, {repo!r})
from geo.io import districts

districts.CACHE_DIR = Path({cache!r})
runpy.run_path({app!r}, run_name="__main__")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory, district_cache):
    """`streamlit run` of the launcher, with its own stores; the launcher's folder serves the
    app's static files (a link to the repository's)."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser_district")
    (folder / "static").symlink_to(REPO / "static", target_is_directory=True)
    script = folder / "district_app.py"
    script.write_text(LAUNCHER.format(repo=str(REPO), cache=str(district_cache), app=str(REPO / "app.py")))
    with private_store(folder / "store.gpkg"):
        with streamlit_server(script, folder / "streamlit.log") as base:
            yield base, folder


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b



def open_page(browser, base: str, path: str, device: dict = DESK):
    """A fresh session on ``path`` (with its ``?district=``), idle and its map drawn."""
    page = browser.new_context(**device).new_page()
    page.goto(f"{base}/{path}")
    idle(page)
    page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=60_000, state="attached")
    page.wait_for_timeout(800)  # the fit animates
    return page


def shot(page, name: str) -> None:
    """A screenshot for a person to look at (DISTRICT_SHOTS=folder), none otherwise."""
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(600)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def alerts(page) -> list[str]:
    return [t.strip() for t in page.locator("[data-testid='stAlert']").all_inner_texts()]


def test_jinping_resident_page_answers_in_jinping_s_name(server, browser, other_district):
    """Typed coordinates rerun the panel alone (a fragment): its message still names 金平区."""
    base, _ = server
    page = open_page(browser, base, f"resident?district={JINPING}")
    page.get_by_text("输入坐标", exact=True).click()
    idle(page)
    type_point(page, "116.7500", "23.3900")
    page.get_by_text("本页只查找").wait_for(timeout=30_000)
    said = [a for a in alerts(page) if "本页只查找" in a]
    assert len(said) == 1 and said[0].startswith("这个位置在金平区外约") and "龙湖" not in said[0]
    assert "金平区" in page.locator("[data-testid='stCaptionContainer']").first.inner_text()
    shot(page, "jinping_resident_outside_zh")
    type_point(page, "23.3900", "116.7500")
    page.get_by_text("似乎填反了").wait_for(timeout=30_000)
    said = [a for a in alerts(page) if "填反" in a]
    lon, lat = other_district(JINPING).point
    assert len(said) == 1 and f"金平区约在经度 {lon:.1f}、纬度 {lat:.1f}" in said[0]


def test_accepting_sites_on_nanao_keeps_the_map_and_counts_nanao_s_centres(server, browser, other_district):
    base, _ = server
    n = len(other_district(NANAO).layers(use_store=False).centers)
    page = open_page(browser, base, f"?district={NANAO}")
    page.get_by_role("tab", name="新增站点建议").click()
    idle(page)
    page.get_by_role("button", name="计算选址").click()
    idle(page)
    page.get_by_role("button", name="采纳为拟建服务站（保存到我的数据）").click()
    idle(page)
    page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=60_000, state="attached")
    assert not [a for a in alerts(page) if "数据有误" in a or "有误" in a]
    metric = page.locator("[data-testid='stMetric']").filter(has_text="纳入计算的中心")
    assert metric.locator("[data-testid='stMetricValue']").inner_text().strip() == str(n + 5)
    assert page.frame_locator(MAP).locator(".lh-centre").count() == n + 5
    assert "南澳县" in page.locator("h3").first.inner_text()
    shot(page, "nanao_accepted_zh")


def test_an_unknown_code_goes_once_another_district_is_picked(server, browser):
    """Picked: the message goes at once, not after the new district's layers are built (潮阳区 is
    built here on first use, some seconds, while the rest of the old page stands greyed)."""
    base, _ = server
    page = open_page(browser, base, "?district=999999")
    assert any("999999" in a for a in alerts(page))
    box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input")
    box.click()
    box.fill("潮阳区")
    page.get_by_role("option", name=f"潮阳区 · 广东省汕头市 {CHAOYANG}").click()
    page.get_by_text("正在生成潮阳区的图层", exact=False).wait_for(timeout=30_000)
    assert not any("999999" in a for a in alerts(page)), "the message stands while the district is built"
    idle(page)
    page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=60_000, state="attached")
    assert "潮阳区" in page.locator("h3").first.inner_text()
    assert not any("999999" in a for a in alerts(page))
    assert f"district={CHAOYANG}" in page.url and "999999" not in page.url
    page.get_by_role("link", name="居民查询").click()
    idle(page)
    assert not any("999999" in a for a in alerts(page)) and f"district={CHAOYANG}" in page.url


FITS = """(name) => {
  const side = document.querySelector("[data-testid='stSidebar']");
  const els = [...side.querySelectorAll("[data-testid='stCaptionContainer'], p, span")]
    .filter(e => e.innerText && e.innerText.includes(name) && e.offsetWidth > 0);
  return els.length > 0 && els.every(e => e.scrollWidth <= e.clientWidth + 1
                                          && e.getBoundingClientRect().right <= side.getBoundingClientRect().right);
}"""


@pytest.mark.parametrize("device, size", [(DESK, "desk"), (PHONE, "phone")])
def test_the_picker_names_the_district_in_full(server, browser, other_district, device, size):
    base, _ = server
    for code in (JINPING, NANAO):
        page = open_page(browser, base, f"?district={code}", device)
        page.get_by_text("English", exact=True).click()
        idle(page)
        if size == "phone":
            page.locator("[data-testid='stExpandSidebarButton']").click()
            page.wait_for_timeout(800)
        name = other_district(code).label("en")
        assert page.evaluate(FITS, name), f"{name} is cut off in the sidebar ({size})"
        shot(page, f"picker_{code}_en_{size}")
