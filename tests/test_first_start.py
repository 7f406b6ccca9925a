"""A newcomer's first `streamlit run app.py`: from a fresh copy of the repository, with the
file watcher a user gets (watchdog), the terminal shows Streamlit's greeting and nothing else.

The app writes Leaflet & co. under static/vendor/ on its first run, inside the folder the watcher
watches; a burst of new folders there used to make watchdog print dozens of RuntimeWarnings
("Callback with id ... already exists", ~380 KB on one start). Each start here runs the page in
headless Chromium until the 172 centres are drawn, then fails on any warning or traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, LAUNCH_ARGS, REPO, require_chromium, streamlit_server

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'
N_CENTRES = 172  # the shipped layout: 1 district, 10 street, 125 community centres, 36 stations
NOISE = ("RuntimeWarning", "Traceback", "Warning:", "WARNING", "Error", "no static folder found")


def fresh_copy(dest: Path) -> Path:
    """The files a clone would have (tracked, plus new files not ignored), copied to ``dest``."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                 cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell which files a fresh clone has")
    for name in filter(None, listing.decode("utf-8").split("\0")):
        src = REPO / name
        if src.is_file():  # a tracked file deleted in the work tree is not in a clone either
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def draw_the_map(base: str) -> int:
    """Open the app in headless Chromium; the number of centre markers once the page is idle."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/")
            page.wait_for_selector(IDLE, timeout=90_000)
            frame = page.frame_locator(MAP)
            frame.locator(".lh-centre").first.wait_for(timeout=30_000)
            return frame.locator(".lh-centre").count()
        finally:
            browser.close()


def test_first_and_second_start_from_a_fresh_copy_are_quiet(tmp_path):
    require_chromium()
    app = fresh_copy(tmp_path / "repo")
    vendor = app / "static" / "vendor"
    assert not list(vendor.rglob("*.js")), "a fresh copy must not carry the vendored files"
    env_store = os.environ.pop("LONGHU_STORE", None)  # the copy's own data/user, not a shared store
    try:
        for start in ("first", "second"):
            log = tmp_path / f"{start}.log"
            with streamlit_server("app.py", log, timeout=60, cwd=app, file_watcher=None) as base:
                assert draw_the_map(base) == N_CENTRES
                time.sleep(2.0)  # let the watcher report whatever the run wrote
            text = log.read_text(errors="replace")
            noise = [line for line in text.splitlines() if any(word in line for word in NOISE)]
            assert not noise, f"{start} start printed {len(text)} bytes, e.g. {noise[:3]}"
            assert len(text) < 2_000, f"{start} start printed {len(text)} bytes:\n{text[:1500]}"
            assert list(vendor.rglob("*.js")), "the app did not write its offline assets"
    finally:
        if env_store is not None:
            os.environ["LONGHU_STORE"] = env_store


def test_installing_the_assets_under_a_watchdog_observer_warns_nothing(tmp_path):
    """The same start-up write, watched as Streamlit watches the app folder (watchdog, recursive):
    no warning, and no folder inside static/vendor."""
    import warnings

    observers = pytest.importorskip("watchdog.observers")
    events = pytest.importorskip("watchdog.events")
    from geo.render import webassets

    for shipped in (True, False):  # the folder as the repository ships it, and deleted
        root = tmp_path / ("shipped" if shipped else "deleted")
        if shipped:
            (root / "static" / "vendor").mkdir(parents=True)
        else:
            root.mkdir()
        observer = observers.Observer()
        observer.schedule(events.FileSystemEventHandler(), str(root), recursive=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            observer.start()
            try:
                url_map = webassets.install_static_assets(root / "static")
                time.sleep(1.0)  # the observer's thread handles the events
            finally:
                observer.stop()
                observer.join()
        assert [str(w.message)[:200] for w in caught] == []
        vendor = root / "static" / "vendor"
        assert [p.name for p in vendor.iterdir() if p.is_dir()] == []
        assert len(url_map) == len(list(vendor.glob("*.*s*"))) > 40


def test_assets_are_installed_when_the_temporary_folder_is_on_another_disk(tmp_path, monkeypatch):
    """Where the whole folder cannot be moved in (another file system), it is filled in place."""
    import errno

    from geo.render import webassets

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(webassets.os, "rename", cross_device)
    url_map = webassets.install_static_assets(tmp_path / "static")
    leaflet = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    path = tmp_path / url_map[leaflet].removeprefix("/app/")
    assert path.read_text(encoding="utf-8") == webassets.asset_sources()[leaflet]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_dir()) == ["static", "vendor"]
