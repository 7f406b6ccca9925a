"""Headless Chromium for the browser tests: Debian's binary, driven by Playwright."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def require_chromium() -> None:
    """Skip when Chromium or Playwright is missing, but fail under ``CI=true``."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test required under CI: {problem}")
        pytest.skip(problem)


REPO = Path(__file__).resolve().parents[1]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESK = {"viewport": {"width": 1400, "height": 1000}}


@contextlib.contextmanager
def private_store(path: Path) -> Iterator[Path]:
    """``LONGHU_STORE`` pointed at ``path`` for a module's server (a test's own store), then restored."""
    old = os.environ.get("LONGHU_STORE")
    os.environ["LONGHU_STORE"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("LONGHU_STORE", None)
        else:
            os.environ["LONGHU_STORE"] = old


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def idle(page, timeout: float = 90_000) -> None:
    """Wait until the page's script run is over (after letting a rerun start)."""
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=timeout)


def type_point(page, lon: str, lat: str) -> None:
    """Type a longitude and latitude into the resident page's fields (Chinese labels), press Enter
    and wait for the answer."""
    page.get_by_label("经度").fill(lon)
    page.get_by_label("纬度").fill(lat)
    page.get_by_label("纬度").press("Enter")
    idle(page)


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str | Path, log: Path, timeout: float = 60.0, *, cwd: Path = REPO,
                     file_watcher: str | None = "none") -> Iterator[str]:
    """``streamlit run script`` on a free local port, from ``cwd`` (the repo by default, so its
    .streamlit/config.toml applies); yields the base URL once ``/_stcore/health`` answers, and
    always stops the server. ``file_watcher=None`` keeps the watcher a user gets (watchdog);
    the default ``"none"`` spares the tests a watcher over the repository."""
    port = free_port()
    watcher = [] if file_watcher is None else ["--server.fileWatcherType", file_watcher]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", *watcher],
            cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:  # refused while starting
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
