"""The walking engine at city scale: how snapping, the nearest pass, the isochrone polygons and
peak memory grow from a district to a city.

Run:  python benchmarks/bench_scale.py                  # the three sizes, one process each
      python benchmarks/bench_scale.py --size 300 --centres 172 --compare   # one size

Synthetic street graphs like those of benchmarks/bench_network.py (a jittered 50 m grid,
10 % of the streets removed, largest component kept):

  side   300 ->    ~90,000 nodes,   172 centres (a district: Longhu)
  side   600 ->   ~360,000 nodes,   700 centres (a city district x 4)
  side  1183 -> ~1,400,000 nodes, 2,800 centres (a city: Shantou)

Timed per size, in a fresh process:
  * build: the WalkGraph from arrays (not a target);
  * snap: the centres and 100,000 random points to their nearest street;
  * nearest: the nearest-centre pass for every node (one multi-source Dijkstra);
  * isochrones @1000 m, in all: one call of ``isochrones`` on the new graph, as a user makes it
    -- the search, with the first tracing of the graph's blocks beside it, then the polygons
    in worker processes (:mod:`geo.engine.workers`);
  * then each step alone: the search, the tracing, and the polygons (given the search).
Peak memory: this process's resident size before the isochrones plus the largest rise of the
machine's memory in use during them, sampled every 50 ms by a separate process (pages the
workers share with this process count once); and this process's own peak resident size.
The tracer is compiled (numba) before timing; a first run after installing compiles it once,
about 5 s, and keeps it on disk.

``--compare`` (default for the smallest size) also times the isochrone polygons of the code
before the block fill -- ``geo/engine/isochrones.py`` as of commit ``OLD_COMMIT``, read with
``git show`` -- on the same graph, centres and search, and checks the areas agree (symmetric
difference / area). Targets on the 1.4M graph: nearest < 1 s, isochrones < 20 s, peak < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import shapely  # noqa: E402
from bench_network import synthetic_streets  # noqa: E402

from geo.engine import faces, isochrones, routing  # noqa: E402
from geo.engine import graph as wg  # noqa: E402

SIZES = ((300, 172), (600, 700), (1183, 2800))
LIMIT_M = 1000.0
OLD_COMMIT = "de909ca"  # the isochrones before the block fill


def maxrss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# Run as ``python -c SAMPLER``: the peak rise of the machine's memory in use (MemTotal minus
# MemAvailable, MB) until its standard input closes. A process, not a thread: a thread here
# would stop the workers' fork. Reading /proc/meminfo costs microseconds, where reading the
# processes' own page maps (for their PSS) slowed the run it measured by a quarter.
SAMPLER = """
import sys, threading, time
def used():
    with open("/proc/meminfo") as fh:
        info = {line.split(":")[0]: int(line.split()[1]) for line in fh}
    return (info["MemTotal"] - info["MemAvailable"]) / 1024.0
base, peak, done = used(), 0.0, threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.is_set():
    peak = max(peak, used() - base)
    time.sleep(0.05)
print(peak)
"""


class RunMemory:
    """The peak memory of this process and its workers in the ``with`` block (MB): this
    process's resident size at the start plus the largest rise of the machine's memory in use
    (so pages the workers share with this process count once). Other jobs' memory would count
    too: run it on a quiet machine."""

    def __enter__(self) -> RunMemory:
        self.start_mb = current_rss_mb()
        self.proc = subprocess.Popen([sys.executable, "-c", SAMPLER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.peak_mb = float("nan")
        return self

    def __exit__(self, *exc) -> None:
        out, _ = self.proc.communicate("")
        self.peak_mb = self.start_mb + float(out.strip() or "nan")


def current_rss_mb() -> float:
    """Resident memory of this process now (MB)."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024.0


CPU: dict[str, float] = {}  # processor seconds of the last timed step


def timed(fn):
    """(wall seconds, result); the processor seconds of this process go to ``CPU["last"]``, those
    of the worker processes that ended meanwhile to ``CPU["children"]`` (on a shared machine the
    wall time grows with the other jobs' load, the processor time much less)."""
    def children() -> float:
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime
    t, c, k = time.perf_counter(), time.process_time(), children()
    out = fn()
    CPU["last"], CPU["children"] = time.process_time() - c, children() - k
    return time.perf_counter() - t, out


def old_isochrones():
    """The isochrones module of ``OLD_COMMIT`` (from git), or None outside a git checkout."""
    try:
        text = subprocess.run(["git", "show", f"{OLD_COMMIT}:geo/engine/isochrones.py"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    mod = types.ModuleType("old_isochrones")
    exec(compile(text, f"{OLD_COMMIT}:geo/engine/isochrones.py", "exec"), mod.__dict__)  # noqa: S102
    return mod


def compare(g: wg.WalkGraph, src: wg.Snap, reach: routing.Reach, new: list, repeat: int = 3) -> dict:
    """Old and new polygons on the same search, both on threads (as the old code ran), run
    alternately ``repeat`` times (the machine is shared: the best of each is compared), and the
    largest area difference."""
    old = old_isochrones()
    if old is None:
        return {"old_polygons_s": None}
    out: dict = {}
    for jobs, tag in ((None, ""), (1, "_1thread")):
        t_old, t_new = [], []
        for _ in range(repeat):
            t, polys = timed(lambda j=jobs: old.isochrones(g, src, LIMIT_M, 30.0, reach=reach, n_jobs=j))
            t_old.append(t)
            t_new.append(timed(lambda j=jobs: isochrones.isochrones(g, src, LIMIT_M, 30.0, reach=reach,
                                                                    n_jobs=j, processes=False))[0])
        out.update({f"old_polygons{tag}_s": min(t_old), f"new_polygons{tag}_s": min(t_new),
                    f"speedup{tag}": min(t_old) / min(t_new), f"old_runs{tag}_s": t_old,
                    f"new_runs{tag}_s": t_new})
    diff = max(shapely.area(shapely.symmetric_difference(a, b)) / a.area for a, b in zip(polys, new))
    out["max_rel_symdiff"] = float(diff)
    return out


def run(side: int, n_centres: int, seed: int, with_compare: bool) -> dict:
    rng = np.random.default_rng(seed)
    t_build, g = timed(lambda: wg.graph_from_arrays(*synthetic_streets(side, 50.0, 15.0, 0.10, rng),
                                                    largest_component=True))
    lo, hi = np.array([g.x.min(), g.y.min()]), np.array([g.x.max(), g.y.max()])
    cxy = rng.uniform(lo, hi, size=(n_centres, 2))
    qxy = rng.uniform(lo, hi, size=(100_000, 2))
    cpu = {}
    faces.graph_faces(wg.graph_from_arrays(*synthetic_streets(4, 50.0, 0.0, 0.0, rng)))  # compiled
    t_snap, src = timed(lambda: wg.snap_points(g, cxy[:, 0], cxy[:, 1]))
    t_snapq, _ = timed(lambda: wg.snap_points(g, qxy[:, 0], qxy[:, 1]))
    cpu["snap_100k_cpu_s"] = CPU["last"]
    t_near, _ = timed(lambda: routing.nearest_source(g, src))
    cpu["nearest_cpu_s"] = CPU["last"]
    with RunMemory() as mem:
        t_all, polys = timed(lambda: isochrones.isochrones(g, src, LIMIT_M, 30.0))
    cpu["isochrones_cpu_s"] = CPU["last"] + CPU["children"]
    out = {"side": side, "nodes": g.n_nodes, "edges": g.n_edges, "centres": n_centres,
           "build_s": t_build, "snap_centres_s": t_snap, "snap_100k_s": t_snapq, "nearest_s": t_near,
           "isochrones_s": t_all, "peak_mb": mem.peak_mb, "peak_rss_mb": maxrss_mb(),
           "valid": bool(all(p is not None and p.is_valid for p in polys))}
    t_reach, reach = timed(lambda: routing.reach_from_sources(g, src, LIMIT_M))
    t_faces, f = timed(lambda: faces._trace(g))  # noqa: SLF001 -- a second tracing, timed alone
    del f
    t_poly, _ = timed(lambda: isochrones.isochrones(g, src, LIMIT_M, 30.0, reach=reach))
    cpu["polygons_cpu_s"] = CPU["last"] + CPU["children"]
    out.update({"search_s": t_reach, "faces_s": t_faces, "blocks": faces.graph_faces(g).n_usable,
                "polygons_s": t_poly, **cpu, "load": os.getloadavg()[0]})
    if with_compare:
        out.update(compare(g, src, reach, polys))
    return out


def growth(rows: list[dict], key: str) -> list[str]:
    """How a time grows with the node count: the exponent k of time ~ nodes^k between sizes."""
    out = ["-"]
    for a, b in zip(rows, rows[1:]):
        if a[key] > 0 and b[key] > 0:
            out.append(f"n^{np.log(b[key] / a[key]) / np.log(b['nodes'] / a['nodes']):.2f}")
        else:
            out.append("?")
    return out


def table(rows: list[dict]) -> str:
    keys = [("snap_100k_s", "snap 100,000 points"), ("nearest_s", "nearest pass, every node"),
            ("isochrones_s", "**isochrones in all** (one call: search beside tracing, then polygons)"),
            ("search_s", "isochrones, the search alone"), ("faces_s", "isochrones, tracing the blocks alone"),
            ("polygons_s", "isochrones, the polygons alone (2 worker processes)")]
    head = "| measure | " + " | ".join(f"{r['nodes']:,} nodes, {r['centres']:,} centres" for r in rows) + " | growth |"
    lines = [head, "|---" * (len(rows) + 2) + "|"]
    for key, label in keys:
        g = growth(rows, key)
        lines.append(f"| {label} | " + " | ".join(f"{r[key]:.2f} s" for r in rows) + f" | {', '.join(g[1:])} |")
    lines.append("| peak memory, this process and its workers | "
                 + " | ".join(f"{r['peak_mb']:,.0f} MB" for r in rows) + " | |")
    lines.append("| peak resident size of this process | "
                 + " | ".join(f"{r['peak_rss_mb']:,.0f} MB" for r in rows) + " | |")
    lines.append("| processor time of the isochrones in all (all processes) | "
                 + " | ".join(f"{r['isochrones_cpu_s']:.2f} s" for r in rows) + " | |")
    lines.append("| machine load (1 min) | " + " | ".join(f"{r['load']:.1f}" for r in rows) + " | |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, help="grid side (one size, in this process)")
    ap.add_argument("--centres", type=int, default=172)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--compare", action="store_true", help="also time the old isochrones")
    ap.add_argument("--json", action="store_true", help="print one JSON line (for the driver)")
    a = ap.parse_args()
    if a.size:
        r = run(a.size, a.centres, a.seed, a.compare)
        print(json.dumps(r) if a.json else json.dumps(r, indent=1))
        return 0
    rows = []
    for side, n in SIZES:
        cmd = [sys.executable, __file__, "--size", str(side), "--centres", str(n), "--json"]
        if side == SIZES[0][0]:
            cmd.append("--compare")
        print("running", " ".join(cmd[1:]), flush=True)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr, file=sys.stderr)
            return 1
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    print()
    print(table(rows))
    small, big = rows[0], rows[-1]
    if small.get("old_polygons_s"):
        for tag, label in (("", "threads"), ("_1thread", "one thread")):
            print(f"\nisochrone polygons, {small['centres']} centres on {small['nodes']:,} nodes, {label}: "
                  f"before {small[f'old_polygons{tag}_s']:.2f} s, now {small[f'new_polygons{tag}_s']:.2f} s "
                  f"({small[f'speedup{tag}']:.1f}x)")
        print(f"largest area difference (symmetric difference / area): {small['max_rel_symdiff']:.1e}")
    checks = [("nearest pass < 1 s", big["nearest_s"] < 1.0), ("isochrones < 20 s", big["isochrones_s"] < 20.0),
              ("peak memory < 4 GB", big["peak_mb"] < 4096), ("all polygons valid", all(r["valid"] for r in rows))]
    if small.get("speedup"):
        checks.append(("polygons >= 3x faster than before (one thread)", small["speedup_1thread"] >= 3.0))
        checks.append(("polygons >= 3x faster than before (threads)", small["speedup"] >= 3.0))
    for label, ok in checks:
        print(f"  {'ok  ' if ok else 'MISS'} {label}")
    print(f"(machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
