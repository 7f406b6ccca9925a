"""Is the app's memory bounded when one server shows many districts? (issue 24, item 12)

Views the planner page of ``--views`` different county-level units (default 200; a fixed sample
of the registry's units with an outline, seeded) one after the other in ONE process, the way one
server process serves them: every view runs the whole page (its District opened and its layers
built on first use, the coverage analysed, the map drawn) through Streamlit's AppTest, which shares
the process's ``st.cache_*`` caches exactly as sessions of one server do. After each view the
process's resident memory (RSS, psutil) is read after a garbage collection.

Prints RSS every ``--every`` views, then the verdict: the growth from the end of the warm-up
(``--warmup`` views, default 60: the caches' largest ``max_entries`` for a district is 48) to the
end, and the slope over the second half (MB per 100 views). The districts' layers are built into
a temporary folder (never the user's ``data/user/districts``) and the store is a private one.

Usage: python benchmarks/soak_districts.py [--views 200] [--warmup 60] [--every 10] [--seed 24]
The machine's load average is printed: the figures are memory, not time, and hold on a busy one.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def sample(n: int, seed: int) -> list[str]:
    """``n`` county-level units with an outline, a fixed random sample of the whole registry."""
    from geo.io import districts

    units = districts.units()
    codes = sorted(units.loc[units["has_outline"], "code"])
    return random.Random(seed).sample(codes, min(n, len(codes)))


def view(code: str) -> tuple[bool, str]:
    """The planner page of ``code`` in a new session: (drawn without an error, what went wrong)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["district"] = code
    at.run()
    if at.exception:
        return False, str(at.exception[0].value)[:200]
    if at.error:
        return False, at.error[0].value[:200]
    return True, ""


def rss_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 1e6


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--views", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--seed", type=int, default=24)
    args = ap.parse_args()

    from geo.io import districts

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    districts.CACHE_DIR = tmp / "districts"  # this process's cache of built layers, thrown away after
    os.environ["LONGHU_STORE"] = str(tmp / "store.gpkg")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; layers built into {tmp}")
    codes = sample(args.views, args.seed)
    series: list[float] = [rss_mb()]
    failed: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    print(f"{'views':>5} {'RSS MB':>8} {'code':>7}  seconds")
    for i, code in enumerate(codes, 1):
        ok, why = view(code)
        if not ok:
            failed.append((code, why))
        series.append(rss_mb())
        if i % args.every == 0 or i == len(codes):
            print(f"{i:5d} {series[-1]:8.0f} {code:>7}  {time.perf_counter() - t0:7.0f}", flush=True)
    verdict(series, args.warmup, failed)
    return 0


def verdict(series: list[float], warmup: int, failed: list[tuple[str, str]]) -> None:
    """The growth after the warm-up and the slope of the second half."""
    n = len(series) - 1
    half = n // 2
    after = series[min(warmup, n)]
    slope = (series[-1] - series[half]) / max(n - half, 1) * 100
    print(f"start {series[0]:.0f} MB, after {min(warmup, n)} views {after:.0f} MB, peak {max(series):.0f} MB, "
          f"end {series[-1]:.0f} MB")
    print(f"growth after the warm-up: {series[-1] - after:+.0f} MB; second half's slope {slope:+.1f} MB per 100 views")
    print(f"{len(failed)} of {n} views failed" + "".join(f"\n  {c}: {w}" for c, w in failed[:10]))


if __name__ == "__main__":
    sys.exit(main())
