"""How fast are the pages in a real browser? First load, every control change, the in-app siting
run, and the server's CPU per page view with concurrent sessions.

Starts `streamlit run app.py` on a free local port (cold: a fresh server process, empty caches,
its own empty store), drives Debian's headless Chromium with Playwright and prints:

- first load: navigation -> map drawn with its centre markers and the page idle (planner `/`,
  then the resident page `/resident`), each in a new browser context (a new visitor, nothing
  cached in the browser): once on the cold server, then ``--loads`` times (default 5) on the
  warm one, reporting the median and every run;
- control changes: click -> what the change shows (figure, legend, markers, answer) and the page
  idle, for the minutes (5/10/15/bands), a tier, the map view, a gap, the resident's tap and the
  resident's search; first visits (the analysis is computed) and later visits (cached) apart,
  median and 95th percentile;
- suggest: "Suggest sites" for k = 5 -> the numbered sites in the table;
- CPU per page view: N sessions (default 10) load the planner at once; the server process's
  CPU seconds (user + system, from /proc through psutil) divided by N.

Usage: python benchmarks/bench_app.py [--rounds 5] [--sessions 10] [--loads 5] [--verbose]
Targets (issue 11): first load < 3 s; every control change < 0.5 s at the 95th percentile on a
quiet machine; suggest k=5 < 3 s. The load average is printed: on a busy machine the figures
are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.browser import CHROMIUM, LAUNCH_ARGS, free_port  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'
METRIC = "[data-testid='stMetricValue']"
DESK = {"viewport": {"width": 1400, "height": 1000}}


def start_server(log: Path, store: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free port with its own store; returns (process, base URL)."""
    port = free_port()
    env = {**os.environ, "LONGHU_STORE": str(store)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless",
             "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(log.read_text(errors="replace")[-3000:])


#: Installed in every page: the time of the last click and whether a script run began after it.
PROBE = """
window.__lh = {click: 0, ran: false};
document.addEventListener('click', () => { window.__lh.click = performance.now(); window.__lh.ran = false; }, true);
document.addEventListener('keydown', () => { window.__lh.click = performance.now(); window.__lh.ran = false; }, true);
(function watch() {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app) { setTimeout(watch, 50); return; }
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__lh.ran = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
})();
"""

#: Resolves with the milliseconds from the last click until a run began, ended and ``cond`` holds.
WAIT = """async ([cond, arg]) => {
  const ok = eval(cond);
  return await new Promise(resolve => {
    const t0 = performance.now();
    (function tick() {
      const idle = document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']");
      if (window.__lh.ran && idle && ok(arg)) resolve(performance.now() - window.__lh.click);
      else if (performance.now() - t0 > 20000) resolve(-1);
      else requestAnimationFrame(tick);
    })();
  });
}"""


def new_page(browser):
    ctx = browser.new_context(**DESK)
    ctx.add_init_script(PROBE)
    return ctx.new_page()


def settle(page, started: float, condition: str | None = None, arg=None) -> float:
    """Seconds from the last click (in the page's clock) until a script run has come and gone and
    ``condition`` holds; ``started`` (the test's clock) is used when no click came before."""
    cond = condition or "() => true"
    if page.evaluate("window.__lh && window.__lh.click > 0"):
        ms = page.evaluate(WAIT, [cond, arg])
        if ms < 0:
            raise TimeoutError(f"no settled page after 20 s waiting for {cond}")
        return ms / 1000
    page.wait_for_function(cond, arg=arg, timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    return time.perf_counter() - started


LOST: list[str] = []  # clicks the page did not answer (clicked again, not timed)


def timed_click(page, target, condition: str, arg, out: list[float]) -> None:
    """Click ``target`` and append the seconds until the page settles with ``condition``; a click
    that lands while the page is redrawing can be lost: it is then clicked again, untimed."""
    t = time.perf_counter()
    target.click()
    try:
        out.append(settle(page, t, condition, arg))
    except TimeoutError:
        LOST.append(str(arg))
        target.click()
        try:
            settle(page, time.perf_counter(), condition, arg)
        except TimeoutError:
            shot = Path(tempfile.gettempdir()) / "bench_app_lost.png"
            page.screenshot(path=str(shot))
            raise TimeoutError(f"no answer to a click waiting for {arg!r} (page: {shot}; alerts: "
                               f"{page.locator('[data-testid=stAlert]').all_inner_texts()})") from None


def in_map(js: str) -> str:
    """A condition on the map's document (``d``)."""
    return (f"(arg) => {{ const f = document.querySelector('{MAP}'); const d = f && f.contentDocument; "
            f"return !!d && ({js}); }}")


#: Resolves with the page's own clock (ms since its navigation began) once ``cond`` holds and the
#: page is idle: what a visitor waits from pressing Enter, without the driver's round trips.
LOADED = """async ([cond, arg]) => {
  const ok = eval(cond);
  return await new Promise(resolve => {
    (function tick() {
      const idle = document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']");
      if (idle && ok(arg)) resolve(performance.now()); else requestAnimationFrame(tick);
    })();
  });
}"""


def first_load(browser, url: str, markers: int) -> tuple[float, float]:
    """(seconds in the page's clock from navigation to the map drawn with its markers and the page
    idle, the same in the driver's clock, which adds Playwright's own round trips)."""
    page = new_page(browser)
    ctx = page.context
    t = time.perf_counter()
    page.goto(url)
    in_page = page.evaluate(LOADED, [in_map(f"d.querySelectorAll('.lh-centre').length >= {markers}"), None]) / 1000
    took = time.perf_counter() - t
    ctx.close()
    return in_page, took


def planner_changes(page, rounds: int, out: dict[str, list[float]]) -> None:
    """Minutes, a tier, the view and a gap, each clicked ``rounds`` times."""
    for rnd in range(rounds):
        tag = "first visit" if rnd == 0 else "cached"
        side = page.locator("[data-testid='stSidebar']")
        legend_has = in_map("[...d.querySelectorAll('.lh-legend')].some(l => l.textContent.includes(arg))")
        for label, legend in (("5 分钟", "步行5分钟覆盖"), ("10 分钟", "步行10分钟覆盖"),
                              ("5/10/15 分钟分层", "10–15 分钟"), ("15 分钟", "步行15分钟覆盖")):
            timed_click(page, side.get_by_text(label, exact=True), legend_has, legend,
                        out.setdefault(f"minutes ({tag})", []))
        for want in (136, 172):
            timed_click(page, side.get_by_text("服务站", exact=True).first,
                        in_map("d.querySelectorAll('.lh-centre').length === arg"), want,
                        out.setdefault(f"tier ({tag})", []))
        for view, legend in (("重叠覆盖次数", "可达中心数"), ("覆盖范围", "步行15分钟覆盖")):
            timed_click(page, side.get_by_text(view, exact=True), legend_has, legend,
                        out.setdefault(f"view ({tag})", []))
        # the gap picker by its label: the sidebar's district picker is a selectbox too, and first
        gap_box = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(
            has_text="在地图上查看空白区域")
        for option in ("#1 ", "— 全区 —"):
            gap_box.click()
            page.wait_for_timeout(200)
            t = time.perf_counter()
            page.get_by_role("option").filter(has_text=option).first.click()
            try:
                out.setdefault("gap on the map", []).append(settle(page, t))
            except TimeoutError:  # the list closed before the click landed: no change to time
                page.keyboard.press("Escape")


def suggest(page) -> float:
    page.get_by_role("tab", name="新增站点建议").click()
    page.wait_for_timeout(300)
    t = time.perf_counter()
    page.get_by_role("button", name="计算选址").click()
    return settle(page, t, in_map("d.querySelectorAll('.lh-site').length === 5"))


def resident_changes(browser, base: str, rounds: int, out: dict[str, list[float]]) -> None:
    """Taps on the map and community searches on the resident page."""
    page = new_page(browser)
    ctx = page.context
    page.goto(f"{base}/resident")
    settle(page, time.perf_counter(), in_map("d.querySelectorAll('.lh-centre').length >= 172"))
    box = page.locator(MAP).bounding_box()
    spots = [(0.50, 0.50), (0.55, 0.45), (0.45, 0.55), (0.60, 0.40), (0.40, 0.60)]
    for rnd in range(rounds):
        fx, fy = spots[rnd % len(spots)]
        t = time.perf_counter()
        # the tap lands in the map's frame, out of the probe's sight: start its clock here
        page.evaluate("() => { window.__lh.click = performance.now(); window.__lh.ran = false; }")
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        try:
            out.setdefault("resident tap", []).append(settle(page, t, in_map(
                "d.querySelectorAll('.lh-near-3').length === 1")))
        except TimeoutError:  # the tap hit a marker, not the map: nothing to time
            continue
        page.wait_for_timeout(400)
    page.get_by_text("搜村（社区）", exact=True).click()
    settle(page, time.perf_counter())
    for _, query in zip(range(rounds), ["jinzhu", "金谷", "zd", "jingu", "鸥上"] * rounds):
        field = page.get_by_label("村（社区）名称")
        field.fill(query)
        t = time.perf_counter()
        field.press("Enter")
        out.setdefault("resident search", []).append(settle(page, t))
    ctx.close()


def cpu_per_view(browser, base: str, pid: int, sessions: int) -> tuple[float, float]:
    """(server CPU seconds per planner page view, wall seconds) with ``sessions`` at once."""
    proc = psutil.Process(pid)
    procs = [proc] + proc.children(recursive=True)
    before = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
    pages = [browser.new_context(**DESK).new_page() for _ in range(sessions)]
    t = time.perf_counter()
    for page in pages:
        page.goto(base + "/", wait_until="commit")
    for page in pages:
        page.frame_locator(MAP).locator(".lh-centre").nth(171).wait_for(timeout=180_000, state="attached")
        page.wait_for_selector(IDLE, timeout=180_000)
    wall = time.perf_counter() - t
    after = sum(p.cpu_times().user + p.cpu_times().system for p in procs)
    for page in pages:
        page.context.close()
    return (after - before) / sessions, wall


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5, help="repetitions of each change")
    ap.add_argument("--sessions", type=int, default=10, help="concurrent sessions for the CPU figure")
    ap.add_argument("--verbose", action="store_true", help="print every measurement")
    ap.add_argument("--loads", type=int, default=5, help="first loads by new visitors on the warm server (median)")
    opts = ap.parse_args()
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="bench_app_"))
    load = os.getloadavg()
    proc, base = start_server(tmp / "streamlit.log", tmp / "store.gpkg")
    changes: dict[str, list[float]] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            loads = {"planner, cold server": [first_load(browser, base + "/", 172)],
                     "planner, warm server": [first_load(browser, base + "/", 172) for _ in range(opts.loads)],
                     "resident, warm server": [first_load(browser, base + "/resident", 172)
                                               for _ in range(opts.loads)]}
            page = new_page(browser)
            page.goto(base + "/")
            settle(page, time.perf_counter(), in_map("d.querySelectorAll('.lh-centre').length >= 172"))
            planner_changes(page, opts.rounds, changes)
            took_suggest = suggest(page)
            resident_changes(browser, base, opts.rounds, changes)
            cpu, wall = cpu_per_view(browser, base, proc.pid, opts.sessions)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    report(load, loads, changes, took_suggest, cpu, wall, opts)


def report(load, loads, changes, took_suggest, cpu, wall, opts) -> None:
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
          f"(1/5/15 min) before the run")
    for name, runs in loads.items():
        page_clock = statistics.median(r[0] for r in runs)
        driver = statistics.median(r[1] for r in runs)
        each = f"; each: {' '.join(f'{r[0]:.2f}' for r in runs)}" if len(runs) > 1 else ""
        print(f"first load, {name:<28}{page_clock:6.2f} s   target < 3 s  (page's clock{', median' if each else ''}"
              f"{each}; {driver:.2f} s in the driver's, with Playwright's round trips)")
    everything = []
    for name, values in changes.items():
        everything += values if "first visit" not in name else []
        print(f"{name:<40}{statistics.median(values):6.2f} s median, {p95(values):.2f} s p95 ({len(values)} runs)")
        if opts.verbose:
            print("    " + " ".join(f"{v:.2f}" for v in values))
    print(f"{'every change after the first visit':<40}{statistics.median(everything):6.2f} s median, "
          f"{p95(everything):.2f} s p95 ({len(everything)} runs)   target p95 < 0.5 s")
    print(f"{'suggest k=5 (in the page)':<40}{took_suggest:6.2f} s   target < 3 s")
    print(f"server CPU per planner page view, {opts.sessions} sessions at once: {cpu:.2f} s "
          f"(all loaded in {wall:.1f} s)")
    if LOST:
        print(f"clicks the page did not answer within 20 s (clicked again, not timed): {len(LOST)} ({', '.join(LOST)})")


if __name__ == "__main__":
    main()
