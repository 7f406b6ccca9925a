"""Hostile files against the reader of users' tables (issue 24): time and peak memory of each,
with the reader of today and, with ``--before``, the reader of an older commit.

Run:  python benchmarks/bench_hostile_files.py                       # today's reader
      python benchmarks/bench_hostile_files.py --before 0d006e1 --timeout 60

Cases (made by tests/hostile_files.py, in well under a second each):
  * bomb: the issue's workbook, 24,000 x 499 small cells, ~440 MB of XML in ~3 MB of zip;
  * cells: 5,000 x 499 cells in 37 MB of XML (under the XML limit, over the cell limit);
  * normal: an ordinary 10,000-row, 10-column sheet (must still read);
  * geojson: one polygon of 37 MB of text (GDAL's default object limit refused it).
Each case runs in a fresh process; its peak resident size is the process's own (ru_maxrss),
less the size before the read. ``--before`` loads ``geo/io/sources.py`` of that commit (``git
show``) in place of today's; a case that runs past ``--timeout`` seconds is stopped.

Measured (2 cores, shared machine; before = 0d006e1, the reader before issue 24):

  case     before                                   after
  bomb     stopped at 45 s, 219 MB and growing       0.09 s,   7 MB, refused (443 MB of XML)
           (the issue: 298 s, 1.15 GB)
  cells    26.5 s, 250 MB, read                      0.28 s,  13 MB, refused (over 1,000,000 cells)
  normal   1.7 s, 18 MB, read 10,000 rows            1.8 s,   18 MB, read 10,000 rows
  geojson  1.6 s, refused with GDAL's hint           3.2 s,  451 MB, read
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ("bomb", "cells", "normal", "geojson")


def _make(case: str) -> tuple[bytes, str]:
    sys.path.insert(0, str(ROOT))
    from tests.hostile_files import big_polygon_geojson, xlsx_bomb

    if case == "bomb":
        return xlsx_bomb(), "bomb.xlsx"
    if case == "cells":
        return xlsx_bomb(rows=5_000, cell=b"<c><v>1</v></c>"), "cells.xlsx"
    if case == "geojson":
        return big_polygon_geojson(37), "boundary.geojson"
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("centres")
    ws.append(["name", "tier", "lon", "lat"] + [f"extra{j}" for j in range(6)])
    for i in range(10_000):
        ws.append([f"站{i}", "station", 116.7 + i / 1e6, 23.4] + list(range(6)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), "normal.xlsx"


def _sources(before: str | None):
    """Today's geo.io.sources, or the one of commit ``before``."""
    if before is None:
        from geo.io import sources

        return sources
    import importlib.util

    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{before}:geo/io/sources.py"],
                          capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "sources_before.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("sources_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def _child(case: str, before: str | None) -> None:
    """Run one case in this process and print its result as JSON."""
    raw, name = _make(case)
    sources = _sources(before)
    from geo.io.errors import DataError

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    try:
        src = sources.read_source(raw, name, sources.MAX_BYTES)
        if src.kind == "xlsx":
            n = len(sources.read_plain(raw, name)[1])
        else:
            n = len(sources.vector_frame(src, None, sources.MAX_ROWS, sources.MAX_BYTES, []))
        outcome = f"read {n:,} rows"
    except DataError as exc:
        outcome = f"refused: {exc}"
    seconds = time.perf_counter() - t
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    print(json.dumps({"case": case, "mb": len(raw) / 1e6, "seconds": seconds, "peak_mb": peak, "outcome": outcome}))


def _peak_mb(pid: int) -> float:
    """The peak resident size of a running process (Linux), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", help="a commit whose geo/io/sources.py to measure instead of today's")
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a case is stopped")
    ap.add_argument("--case", choices=CASES, action="append", help="run only these cases")
    ap.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return _child(args.child, args.before)
    label = f"sources.py of {args.before}" if args.before else "today's sources.py"
    print(f"{label}: case, file size, time, peak memory above the start, outcome")
    for case in args.case or CASES:
        cmd = [sys.executable, __file__, "--child", case] + (["--before", args.before] if args.before else [])
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            stdout, stderr = proc.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"  {case:8s} stopped after {args.timeout:.0f} s, the process at {_peak_mb(proc.pid):.0f} MB at most")
            proc.kill()
            proc.communicate()
            continue
        if proc.returncode:
            print(f"  {case:8s} failed: {stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(stdout.strip().splitlines()[-1])
        print(f"  {r['case']:8s} {r['mb']:6.1f} MB {r['seconds']:7.2f} s {r['peak_mb']:7.0f} MB  {r['outcome'][:100]}")


if __name__ == "__main__":
    main()
