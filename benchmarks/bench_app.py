"""How fast is the page in a real browser? First load, and the update after changing minutes/tiers.

Starts `streamlit run app.py` on a free local port (cold: a fresh server process, empty caches),
drives Debian's headless Chromium with Playwright and prints:

- server start: process start -> /_stcore/health answers;
- first load: navigation -> map drawn with its 172 centre markers and the page idle;
- minutes change: click -> covered share, map legend updated and the page idle
  (each of 5/10/15 min, first visit (cold cache) and second visit (cached) reported apart);
- tiers change: click a tier checkbox -> marker count updated and the page idle.

Usage: python benchmarks/bench_app.py [--rounds 3]
Targets (issue 4): first load < 10 s; minutes/tiers update < 1.5 s after the first load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM, LAUNCH_ARGS, streamlit_server  # noqa: E402

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAP = 'iframe[title="streamlit_folium.st_folium"]'
METRIC = "[data-testid='stMetricValue']"


def settle(page, started: float, condition: str, arg) -> float:
    """Seconds from ``started`` until ``condition`` holds and the script is idle again."""
    page.wait_for_function(condition, arg=arg, timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="repetitions of each change")
    ap.add_argument("--verbose", action="store_true", help="print every measurement")
    opts = ap.parse_args()
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="bench_app_")) / "streamlit.log"
    results: dict[str, list[float]] = {}
    t0 = time.perf_counter()
    with streamlit_server("app.py", log) as base:
        server_start = time.perf_counter() - t0
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            start = time.perf_counter()
            page.goto(base + "/")
            frame = page.frame_locator(MAP)
            frame.locator(".lh-centre").nth(171).wait_for(timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)
            first_load = time.perf_counter() - start

            def legend_has(text: str) -> str:
                return (f"() => {{ const f = document.querySelector('{MAP}');"
                        f" const l = f && f.contentDocument && f.contentDocument.querySelector('.lh-legend');"
                        f" return !!l && l.innerText.includes({text!r}); }}")

            for rnd in range(opts.rounds):
                for label, minutes in (("5 分钟", 5), ("10 分钟", 10), ("15 分钟", 15)):
                    t = time.perf_counter()
                    page.get_by_text(label, exact=True).click()
                    page.wait_for_timeout(0)
                    took = settle(page, t, legend_has(f"步行{minutes}分钟覆盖"), None)
                    results.setdefault("minutes (first visit)" if rnd == 0 else "minutes (cached)", []).append(took)
                for want in (136, 172):
                    t = time.perf_counter()
                    page.get_by_text("服务站", exact=True).first.click()
                    cond = ("(n) => { const f = document.querySelector('" + MAP + "');"
                            " return !!f && f.contentDocument.querySelectorAll('.lh-centre').length === n; }")
                    took = settle(page, t, cond, want)
                    results.setdefault("tiers (first visit)" if rnd == 0 else "tiers (cached)", []).append(took)
            browser.close()

    print(f"server start (process -> health)      {server_start:6.2f} s")
    print(f"first load (navigate -> 172 markers)  {first_load:6.2f} s   target < 10 s")
    for name, values in results.items():
        print(f"{name:<38}{statistics.median(values):6.2f} s median, {max(values):.2f} s max "
              f"({len(values)} runs)   target < 1.5 s")
        if opts.verbose:
            print("    " + " ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
