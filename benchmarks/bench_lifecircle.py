"""Benchmark the life-circle engine (geo/engine/lifecircle.py's network pass) against cityseer.

Run:  python benchmarks/bench_lifecircle.py  [--side 300] [--facilities 2000] [--categories 10] [--seed 0]

The question both answer: for every street node and every facility category, the walking
distance to the nearest facility of that category, within the category's limit (300, 500 or
1000 m: GB 50180-2018's 5-, 10- and 15-minute circles).

Same inputs for both, in one run: the synthetic street graph of benchmarks/bench_network.py
(a side x side jittered grid, 50 m spacing, 10 % of the edges removed: about 90,000 nodes at
the default side; its largest component), and ``--categories`` x ``--facilities`` facilities at
uniformly random positions (fixed seed). Category k has limit (300, 500, 1000)[k % 3].

  engine    geo.engine.graph.graph_from_arrays (CSR + STRtree), then per category one
            ``snap_points`` and one multi-source ``routing.nearest_source`` pass -- what
            ``lifecircle.analyse`` runs in network mode.
  cityseer  networkx graph -> ``io.network_structure_from_nx``, then one
            ``layers.compute_accessibilities`` call for all categories (distances=[1000],
            ``decay_fn="1"``: only what is needed), nearest distances from its
            ``cc_<key>_nearest_max_1000`` columns.

Each side runs in its own subprocess so its peak memory (``ru_maxrss``) is its own. Both snap a
facility to the nearest point of the nearest street segment and count the straight access walk
plus the walk along the segment (checked on a three-node graph: cityseer gives 50 m along +
30 m across = 80 m, as the engine does), within 200 m.

Agreement: on every node where either side finds a facility within the category's limit, the
two distances must agree within 1 % (or 0.1 m); the script exits 1 otherwise. Times are the best
of ``--repeat`` runs for the engine's compute step, single runs for the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_network import synthetic_streets  # noqa: E402

LIMITS = (300.0, 500.0, 1000.0)
SNAP_M = 200.0
REL_TOL = 0.01
ABS_TOL = 0.1


def maxrss_mb() -> float:
    """Peak resident memory of this process (MB; Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def inputs(args) -> dict:
    """The street graph (largest component, node order kept) and the facilities, from the seed."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(args.seed)
    x, y, u, v = synthetic_streets(args.side, 50.0, 15.0, 0.10, rng)
    n = x.size
    _, label = connected_components(coo_matrix((np.ones(u.size), (u, v)), shape=(n, n)), directed=False)
    keep = label == np.bincount(label).argmax()
    new = np.full(n, -1)
    new[keep] = np.arange(keep.sum())
    ok = keep[u] & keep[v]
    x, y, u, v = x[keep], y[keep], new[u[ok]], new[v[ok]]
    lo, hi = np.array([x.min(), y.min()]), np.array([x.max(), y.max()])
    fxy = rng.uniform(lo, hi, size=(args.categories * args.facilities, 2))
    cat = np.repeat(np.arange(args.categories), args.facilities)
    limits = np.array([LIMITS[k % 3] for k in range(args.categories)])
    return {"x": x, "y": y, "u": u, "v": v, "fxy": fxy, "cat": cat, "limits": limits}


# --------------------------------------------------------------------------- the two sides


def run_engine(d: dict, repeat: int) -> tuple[np.ndarray, dict]:
    from geo.engine import graph as wg
    from geo.engine import routing

    t = time.perf_counter()
    g = wg.graph_from_arrays(d["x"], d["y"], d["u"], d["v"])
    t_build = time.perf_counter() - t

    def compute() -> np.ndarray:
        out = np.empty((g.n_nodes, d["limits"].size))
        for k in range(d["limits"].size):
            f = d["fxy"][d["cat"] == k]
            snap = wg.snap_points(g, f[:, 0], f[:, 1], max_distance_m=SNAP_M)
            out[:, k] = routing.nearest_source(g, snap)[0]
        return out

    best, dist = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        dist = compute()
        best = min(best, time.perf_counter() - t)
    return dist, {"build_s": t_build, "compute_s": best}


def run_cityseer(d: dict) -> tuple[np.ndarray, dict]:
    os.environ["CITYSEER_QUIET_MODE"] = "1"
    import geopandas as gpd
    import networkx as nx
    import shapely
    from cityseer.metrics import layers
    from cityseer.tools import io

    t = time.perf_counter()
    G = nx.MultiGraph()
    G.graph["crs"] = "EPSG:32650"
    G.add_nodes_from((str(i), {"x": float(a), "y": float(b)}) for i, (a, b) in enumerate(zip(d["x"], d["y"])))
    lines = shapely.linestrings(np.stack([np.column_stack([d["x"][d["u"]], d["y"][d["u"]]]),
                                          np.column_stack([d["x"][d["v"]], d["y"][d["v"]]])], axis=1))
    G.add_edges_from((str(a), str(b), {"geom": g}) for a, b, g in zip(d["u"], d["v"], lines))
    nodes, _, structure = io.network_structure_from_nx(G)
    t_build = time.perf_counter() - t
    keys = [f"c{k}" for k in range(d["limits"].size)]
    data = gpd.GeoDataFrame({"cat": np.array(keys)[d["cat"]]},
                            geometry=shapely.points(d["fxy"]), crs="EPSG:32650")
    t = time.perf_counter()
    nodes = layers.compute_accessibilities(data, "cat", keys, nodes, structure, max_netw_assign_dist=SNAP_M,
                                           distances=[int(d["limits"].max())], decay_fn="1")
    t_compute = time.perf_counter() - t
    top = int(d["limits"].max())
    cols = [f"cc_{k}_nearest_max_{top}" for k in keys]
    dist = nodes.loc[[str(i) for i in range(len(d["x"]))]][cols].to_numpy(float)
    return dist, {"build_s": t_build, "compute_s": t_compute, "assignment": assignment(data, nodes, structure)}


def assignment(data, nodes, structure) -> list[list[float]]:
    """cityseer's own facility-to-node assignment (untimed): ``[node, facility, distance]`` rows."""
    from cityseer.metrics import layers

    dm = layers.build_data_map(data, structure, SNAP_M)
    node_of = np.array([int(k) for k in nodes.index])
    return [[int(node_of[n]), int(str(key).split(":")[-1]), float(dist)]
            for n, entries in dm.node_data_map.items() for key, dist, *_ in entries]


def with_assignment(d: dict, rows: list[list[float]]) -> np.ndarray:
    """The engine's Dijkstra started from cityseer's assignment (each facility at the nodes and
    distances cityseer gives it), to show that the differences are the assignment alone."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from geo.engine import graph as wg

    g = wg.graph_from_arrays(d["x"], d["y"], d["u"], d["v"])
    a = np.asarray(rows, float).reshape(-1, 3)
    node, fac, dist = a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2]
    n, out = g.n_nodes, np.empty((g.n_nodes, d["limits"].size))
    for k in range(d["limits"].size):
        start = np.full(n, np.inf)
        sel = d["cat"][fac] == k
        np.minimum.at(start, node[sel], dist[sel])
        at = np.flatnonzero(np.isfinite(start))  # a 0 m link would vanish from a sparse matrix: 1e-9 m
        link = sp.csr_matrix((start[at] + 1e-9, (np.zeros(at.size, int), at)), shape=(1, n + 1))
        aug = sp.vstack([sp.hstack([g.csr, sp.csr_matrix((n, 1))]), link]).tocsr()  # one virtual source, last
        out[:, k] = dijkstra(aug, directed=True, indices=n)[:n]
    return out


def part(args) -> int:
    """One side, in this (sub)process: distances to ``--work``/<side>.npy, figures to .json."""
    d = inputs(args)
    if args.part == "engine":
        dist, fig = run_engine(d, args.repeat)
    else:
        dist, fig = run_cityseer(d)
    fig["maxrss_mb"] = maxrss_mb()
    if "assignment" in fig:
        np.save(Path(args.work) / "assigned.npy", with_assignment(d, fig.pop("assignment")))
    fig["nodes"] = int(d["x"].size)
    fig["edges"] = int(d["u"].size)
    np.save(Path(args.work) / f"{args.part}.npy", dist)
    (Path(args.work) / f"{args.part}.json").write_text(json.dumps(fig))
    return 0


# --------------------------------------------------------------------------- comparison


def compare(e: np.ndarray, c: np.ndarray, limits: np.ndarray) -> dict:
    """Nodes where either side reaches a facility within the limit; how many agree within 1 %."""
    c = np.where(np.isfinite(c), c, np.inf)
    within = (e <= limits) | (c <= limits)
    diff = np.abs(e - c)
    agree = diff <= np.maximum(REL_TOL * np.minimum(e, c), ABS_TOL)
    both = within & np.isfinite(e) & np.isfinite(c)
    return {"pairs": int(within.sum()), "agree": int((agree & within).sum()),
            "max_abs_m": float(diff[both].max()) if both.any() else 0.0,
            "max_rel": float((diff[both] / np.maximum(np.minimum(e, c)[both], 1.0)).max()) if both.any() else 0.0,
            "only_engine": int(((e <= limits) & ~(c <= limits)).sum()),
            "only_cityseer": int(((c <= limits) & ~(e <= limits)).sum())}


def table(fe: dict, fc: dict, own: dict, same: dict, args) -> str:
    rows = [("graph", f"{fe['nodes']:,} nodes, {fe['edges']:,} edges", ""),
            ("facilities", f"{args.categories} categories x {args.facilities:,}", "limits 300/500/1000 m")]
    te, tc = fe["build_s"] + fe["compute_s"], fc["build_s"] + fc["compute_s"]
    for label, a, b in (("build (structure from arrays)", fe["build_s"], fc["build_s"]),
                        ("nearest distances, all categories", fe["compute_s"], fc["compute_s"]),
                        ("total", te, tc)):
        rows.append((label, f"engine {a:8.3f} s   cityseer {b:8.3f} s", f"cityseer/engine {b / a:6.1f}x"))
    rows.append(("peak memory (ru_maxrss)", f"engine {fe['maxrss_mb']:8.0f} MB  cityseer {fc['maxrss_mb']:8.0f} MB",
                 f"{fc['maxrss_mb'] / fe['maxrss_mb']:.1f}x"))
    for label, a in (("agreement, each its own snapping", own), ("agreement, cityseer's assignment", same)):
        share = 100 * a["agree"] / max(a["pairs"], 1)
        rows.append((label, f"{a['agree']:,} of {a['pairs']:,} pairs within 1 % ({share:.3f} %)",
                     f"max diff {a['max_abs_m']:.3f} m; reached by one side only: {a['only_engine']} engine, "
                     f"{a['only_cityseer']} cityseer"))
    return "\n".join(f"  {r[0]:<36} {r[1]:<48} {r[2]}" for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side", type=int, default=300)
    ap.add_argument("--facilities", type=int, default=2000)
    ap.add_argument("--categories", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--part", choices=("engine", "cityseer"), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:
        return part(args)
    common = ["--side", str(args.side), "--facilities", str(args.facilities), "--categories",
              str(args.categories), "--seed", str(args.seed), "--repeat", str(args.repeat)]
    with tempfile.TemporaryDirectory(prefix="bench-lc-") as work:
        for side in ("engine", "cityseer"):
            print(f"running {side} …", flush=True)
            subprocess.run([sys.executable, __file__, "--part", side, "--work", work, *common], check=True)
        fe, fc = (json.loads((Path(work) / f"{s}.json").read_text()) for s in ("engine", "cityseer"))
        de, dc, da = (np.load(Path(work) / f"{s}.npy") for s in ("engine", "cityseer", "assigned"))
    limits = np.array([LIMITS[k % 3] for k in range(args.categories)])
    own, same = compare(de, dc, limits), compare(da, dc, limits)
    print(table(fe, fc, own, same, args))
    ratio = (fc["build_s"] + fc["compute_s"]) / (fe["build_s"] + fe["compute_s"])
    ok = same["agree"] == same["pairs"] and own["agree"] >= 0.99 * own["pairs"] and ratio >= 10
    print("PASS" if ok else "FAIL: distances differ by more than 1 % or the engine is not 10x faster")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
