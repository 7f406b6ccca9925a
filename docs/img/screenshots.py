"""Remake the README's screenshots: the app's three pages in headless Chromium.

    python docs/img/screenshots.py          # writes docs/img/planner.png, resident.png, data.png

Starts ``streamlit run app.py`` on a free local port with the shipped (illustrative) data, opens
it with Playwright on Debian's /usr/bin/chromium (never ``playwright install``), and refuses
every request that would leave the machine, as the app needs none.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.browser import CHROMIUM, LAUNCH_ARGS, LOCAL_HOSTS, streamlit_server  # noqa: E402

OUT = Path(__file__).resolve().parent
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'
VIEWPORT = {"width": 1440, "height": 1200}
_TO_TOP = "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"


def _guard(route) -> None:
    parts = urlsplit(route.request.url)
    if parts.scheme in ("data", "blob", "about") or (parts.hostname or "") in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort()


def _idle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def _show_nearest(page) -> None:
    """Click the map until the resident page lists the three nearest centres."""
    box = page.locator(MAP).bounding_box()
    for fx, fy in ((0.52, 0.55), (0.45, 0.62), (0.6, 0.4), (0.4, 0.45)):
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        _idle(page)
        if page.get_by_text("最近的 3 个服务中心").count():
            return


def take(base: str) -> list[Path]:
    """Screenshot the planner, resident and data pages; return the files written."""
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
            page.route("**/*", _guard)
            page.goto(base + "/")
            _idle(page)
            page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=30_000)
            for name, label in (("planner", None), ("resident", "居民查询"), ("data", "数据管理")):
                if label:
                    page.get_by_text(label, exact=True).click()
                    _idle(page)
                if name == "resident":
                    _show_nearest(page)
                page.wait_for_timeout(1500)  # let the map finish drawing
                page.evaluate(_TO_TOP)
                page.mouse.move(5, 5)  # no tooltip over the map
                page.wait_for_timeout(300)
                path = OUT / f"{name}.png"
                page.screenshot(path=str(path))
                written.append(path)
        finally:
            browser.close()
    return written


def main() -> int:
    # the data page names the store: show the default one, relative, without creating it
    os.environ["LONGHU_STORE"] = "data/user/longhu.gpkg"
    with tempfile.TemporaryDirectory() as tmp, streamlit_server("app.py", Path(tmp) / "streamlit.log") as base:
        for path in take(base):
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
