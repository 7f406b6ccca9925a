"""End to end: `streamlit run app.py` in headless Chromium (Debian's /usr/bin/chromium via
Playwright; never `playwright install`).

Proves in a real browser: the map renders with no internet (no request leaves localhost in the
default "no basemap" mode), the 172 centre markers and the legend are drawn, changing the
minutes changes the covered share and the map without rebuilding the map, and a click on the
map answers "which centre is nearest". Skipped when Chromium or Playwright is missing, except
under CI=true, where that is a failure.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from geo.app.text import tier_label
from geo.engine import coverage as cv
from geo.engine import schema
from geo.io.district import District
from tests.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    LOCAL_HOSTS,
    require_chromium,
    streamlit_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'


@pytest.fixture
def server(tmp_path):
    """A fresh `streamlit run app.py` on a free local port; always stopped afterwards."""
    require_chromium()
    log = tmp_path / "streamlit.log"
    with streamlit_server("app.py", log) as base:
        yield base + "/", log


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or (parts.hostname or "") in LOCAL_HOSTS


def _map_frame(page):
    for frame in page.frames:
        if "streamlit_folium" in (frame.url or ""):
            return frame
    raise AssertionError("map iframe not found")


def _checked(page, label: str) -> bool:
    """Is the radio option shown as ``label`` selected in the browser?"""
    return page.evaluate(
        """(label) => [...document.querySelectorAll("input[type=radio]")].some(
               i => i.checked && (i.closest('label') || i.parentElement).innerText.trim() === label)""",
        label)


def _wait_idle(page, timeout: float = 30_000) -> None:
    page.wait_for_timeout(150)  # let a rerun start before waiting for its end
    page.wait_for_selector(IDLE, timeout=timeout)


def test_app_in_headless_chromium(server, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    url, log = server
    place = District.open()
    layers = (place.outline, place.shipped("streets"), place.shipped("communities"), place.shipped("centers"))
    want = {m: round(cv.analyse(*layers, cv.Settings(minutes=(m,))).covered_pct, 1) for m in (5.0, 15.0)}
    external: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1200})

            def guard(route):
                if _is_local(route.request.url):
                    route.continue_()
                else:  # never let the test touch the internet; record and refuse
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(url)
            page.wait_for_selector(IDLE, timeout=60_000)
            frame = page.frame_locator(MAP)
            frame.locator(".lh-centre").first.wait_for(timeout=30_000)

            # 172 centres, four tiers, the legend (opened) with the four symbols
            assert frame.locator(".lh-centre").count() == 172
            counts = {t: frame.locator(f".lh-centre-{t}").count() for t in schema.TIERS}
            assert counts == {"district": 1, "street": 10, "community": 125, "station": 36}
            legend = frame.locator(".lh-legend")
            assert legend.is_visible()
            if not frame.locator(".lh-legend details[open]").count():
                frame.locator(".lh-legend summary").click()
            text = legend.inner_text()
            for tier in schema.TIERS:
                assert tier_label(tier, "zh") in text
            assert "未覆盖空白区域" in text and "步行15分钟覆盖" in text
            assert frame.locator(".leaflet-control-layers").count() == 1
            assert page.get_by_text("示意数据").first.is_visible()

            metric = page.locator("[data-testid='stMetricValue']").first
            assert metric.inner_text() == f"{want[15.0]:.1f}%"
            _map_frame(page).evaluate("window.__sameMap = true")

            # change the minutes: the figure and the map change, the map is not rebuilt
            page.get_by_text("5 分钟", exact=True).click()
            page.wait_for_function(
                "([sel, v]) => document.querySelector(sel)?.innerText === v",
                arg=["[data-testid='stMetricValue']", f"{want[5.0]:.1f}%"], timeout=20_000)
            _wait_idle(page)
            frame.locator(".lh-legend", has_text="步行5分钟覆盖").wait_for(timeout=10_000)
            assert _map_frame(page).evaluate("window.__sameMap === true"), "the map iframe was rebuilt"
            assert frame.locator(".lh-legend details[open]").count() == 1, "the reader's open legend stays open"
            assert frame.locator(".lh-centre").count() == 172
            page.screenshot(path=str(tmp_path / "app_5min.png"), full_page=True)

            # the resident's page: a click on the map gives the three nearest centres
            page.get_by_role("link", name="居民查询").click()
            _wait_idle(page)
            frame.locator(".lh-centre").first.wait_for(timeout=30_000)
            box = page.locator(MAP).bounding_box()
            answer = page.get_by_text("最近的 3 个服务中心")
            for fx, fy in ((0.52, 0.55), (0.45, 0.62), (0.6, 0.4), (0.4, 0.45)):
                page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
                try:
                    answer.wait_for(timeout=8_000)
                    break
                except PlaywrightTimeout:  # the click hit a marker (no map click); try elsewhere
                    continue
            _wait_idle(page)
            assert answer.is_visible()
            frame.locator(".lh-query").first.wait_for(timeout=10_000)

            # language switch: English words, and every setting survives the round trip
            page.get_by_text("English", exact=True).click()
            _wait_idle(page)
            page.get_by_text("My nearest party-and-public service centre").wait_for(timeout=10_000)
            page.get_by_text("The 3 nearest centres").wait_for(timeout=10_000)
            page.get_by_role("link", name="Planner").click()
            _wait_idle(page)
            assert _checked(page, "5 min")
            assert page.locator("[data-testid='stMetricValue']").first.inner_text() == f"{want[5.0]:.1f}%"
            page.get_by_text("中文", exact=True).click()
            _wait_idle(page)
            assert _checked(page, "5 分钟")
        finally:
            browser.close()
    assert (tmp_path / "app_5min.png").stat().st_size > 10_000
    assert not external, f"requests left the machine in no-basemap mode: {external[:5]}"
    assert "Traceback" not in log.read_text(errors="replace")
