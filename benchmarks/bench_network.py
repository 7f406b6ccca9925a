"""Benchmark the walking-graph engine (geo/engine/graph.py, routing.py, isochrones.py) against common alternatives.

Run:  python benchmarks/bench_network.py  [--seed 0] [--centres 172] [--side 300]

Synthetic network shaped like city streets: a side x side grid (default 300 x 300,
about 90,000 nodes), 50 m spacing, node positions jittered by +-15 m, 10 % of the
edges removed at random, largest connected component kept. 172 centres at random
positions (fixed seed).

What is timed, on the same graph, in one run:
  (a) this engine: the nearest-centre pass for every node (graph already loaded;
      centres already snapped), all isochrone polygons at 1000 m, 10,000 snaps;
  (b) the osmnx-notebook way with networkx: per centre ``ego_graph(radius=1000,
      distance="length")`` + convex hull of its nodes; and for every node, per-centre
      ``single_source_dijkstra_path_length`` keeping the minimum;
      (b') networkx's own one-pass ``multi_source_dijkstra_path_length``, for reference;
  (c) pandana: network build and ``nearest_pois``, reported separately;
  (d) the floor: one bare ``scipy.sparse.csgraph.dijkstra(csr, indices=centre_nodes,
      min_only=True)`` on the prebuilt CSR.

Agreement (the script exits 1 if any check fails):
  * (b), (d) and the engine run with every centre placed exactly on its nearest graph
    node ("node-snapped" centres: access walk 0, offset 0 or the edge length) must give
    the same distance for every node (1e-6 m);
  * the engine with the real random centre positions (access walk + partial edge) must
    match networkx multi-source Dijkstra on the same graph with one virtual node per
    centre joined to the ends of its snapped edge (1e-6 m);
  * pandana (float32 internally) is compared to (d) for information only.

Times are the best of ``--repeat`` runs for the fast steps (the machine is shared and
noisy); slow networkx steps are run once. Peak memory is ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import networkx as nx  # noqa: E402
import shapely  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from geo.engine import graph as wg  # noqa: E402
from geo.engine import isochrones, routing  # noqa: E402

LIMIT_M = 1000.0  # 15 min at 4 km/h
TOL_M = 1e-6


def maxrss_mb() -> float:
    """Peak resident memory of this process so far (MB; Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best_of(fn, repeat: int):
    """Run ``fn`` ``repeat`` times; return (best seconds, last result)."""
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def synthetic_streets(side: int, spacing: float, jitter: float, drop: float,
                      rng: np.random.Generator):
    """Jittered grid arrays: x, y, u, v (straight edges)."""
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = ii.ravel() * spacing + rng.uniform(-jitter, jitter, side * side)
    y = jj.ravel() * spacing + rng.uniform(-jitter, jitter, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    keep = rng.random(u.size) >= drop
    return x, y, u[keep], v[keep]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--side", type=int, default=300)
    ap.add_argument("--spacing", type=float, default=50.0)
    ap.add_argument("--centres", type=int, default=172)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-networkx", action="store_true",
                    help="skip the slow networkx steps (b)")
    args = ap.parse_args()
    t_total = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    rows: list[tuple[str, str]] = []
    failures: list[str] = []

    def row(label: str, value: str) -> None:
        rows.append((label, value))
        print(f"  {label:<58} {value}", flush=True)

    # ------------------------------------------------------------------ build
    x, y, u, v = synthetic_streets(args.side, args.spacing, 15.0, 0.10, rng)
    t = time.perf_counter()
    g = wg.graph_from_arrays(x, y, u, v, largest_component=True)
    t_build = time.perf_counter() - t
    print(f"graph: {g.n_nodes:,} nodes, {g.n_edges:,} edges (largest component)")
    row("engine: build WalkGraph from arrays (CSR + STRtree)", f"{t_build:8.3f} s")

    lo = np.array([g.x.min(), g.y.min()])
    hi = np.array([g.x.max(), g.y.max()])
    cxy = rng.uniform(lo, hi, size=(args.centres, 2))
    qxy = rng.uniform(lo, hi, size=(10_000, 2))

    # ------------------------------------------------------------- (a) engine
    t_snap, qsnap = best_of(lambda: wg.snap_points(g, qxy[:, 0], qxy[:, 1]), args.repeat)
    row("(a) snap 10,000 random points", f"{t_snap:8.3f} s")
    src = wg.snap_points(g, cxy[:, 0], cxy[:, 1])
    assert src.reachable.all()
    t_a, (dist_a, who_a) = best_of(lambda: routing.nearest_source(g, src), args.repeat)
    row(f"(a) nearest-centre pass, every node ({args.centres} centres)", f"{t_a:8.3f} s")
    t_q, _ = best_of(lambda: routing.distance_to_nearest(g, src, qsnap, (dist_a, who_a)),
                     args.repeat)
    row("(a) nearest-centre distance for the 10,000 snapped points", f"{t_q:8.3f} s")

    t = time.perf_counter()
    reach = routing.reach_from_sources(g, src, LIMIT_M)
    t_reach = time.perf_counter() - t
    iso = isochrones.isochrones(g, src, LIMIT_M, buffer_m=30.0, reach=reach)
    t_iso_cold = time.perf_counter() - t
    row(f"(a) {args.centres} isochrones @1000 m, first run (search {t_reach:.2f} s incl.)",
        f"{t_iso_cold:8.3f} s")
    t_iso, _ = best_of(lambda: isochrones.isochrones(g, src, LIMIT_M, buffer_m=30.0), args.repeat)
    row(f"(a) {args.centres} isochrones @1000 m, search + polygons, best of {args.repeat}",
        f"{t_iso:8.3f} s")
    t_iso1, iso1 = best_of(lambda: isochrones.isochrones(g, src, LIMIT_M, buffer_m=30.0, n_jobs=1), 1)
    row(f"(a) {args.centres} isochrones @1000 m, single thread (n_jobs=1)", f"{t_iso1:8.3f} s")
    assert all(a.equals(b) for a, b in zip(iso, iso1))
    t = time.perf_counter()
    multi = isochrones.isochrones_multi(g, src, [300.0, 600.0, 1000.0])
    t_multi = time.perf_counter() - t
    row(f"(a) {args.centres} x 3 isochrones @300/600/1000 m (one search)", f"{t_multi:8.3f} s")
    assert all(p is not None and p.is_valid for p in iso)
    assert all(a.area == b.area for a, b in zip(iso, multi[1000.0]))
    rss_engine = maxrss_mb()

    # ------------------------------------------------------------- (d) floor
    _, cnode = cKDTree(np.c_[g.x, g.y]).query(cxy)
    csr = g.csr
    t_d, dist_d = best_of(lambda: dijkstra(csr, directed=True, indices=cnode,
                                           min_only=True), args.repeat)
    row("(d) floor: bare csgraph.dijkstra(min_only) on prebuilt CSR", f"{t_d:8.3f} s")

    # engine with node-snapped centres must equal the floor
    src_nodes = wg.snap_points(g, g.x[cnode], g.y[cnode])
    t_an, (dist_an, _) = best_of(lambda: routing.nearest_source(g, src_nodes), args.repeat)
    err_ad = float(np.max(np.abs(dist_an - dist_d)))
    row("(a) nearest pass, centres placed on their nearest nodes", f"{t_an:8.3f} s")
    if not err_ad <= TOL_M:
        failures.append(f"(a) node-snapped vs (d): max |diff| {err_ad:.3g} m")

    # ------------------------------------------------------------- (b) networkx
    t = time.perf_counter()
    G = nx.Graph()
    G.add_nodes_from((i, {"x": g.x[i], "y": g.y[i]}) for i in range(g.n_nodes))
    coo = csr.tocoo()
    upper = coo.row < coo.col
    G.add_weighted_edges_from(zip(coo.row[upper].tolist(), coo.col[upper].tolist(),
                                  coo.data[upper].tolist()), weight="length")
    t_nxbuild = time.perf_counter() - t
    row("(b) networkx: build nx.Graph (not counted below)", f"{t_nxbuild:8.3f} s")

    # (b') one multi-source pass in networkx, with the engine's virtual nodes:
    # reference for the engine's random-position centres.
    H = G.copy()
    e, n = src.edge, g.n_nodes
    for j in range(len(src)):
        H.add_edge(n + j, int(g.u[e[j]]), length=src.access[j] + src.offset[j])
        H.add_edge(n + j, int(g.v[e[j]]), length=src.access[j] + g.length[e[j]] - src.offset[j])
    t = time.perf_counter()
    ref = nx.multi_source_dijkstra_path_length(H, set(range(n, n + len(src))), weight="length")
    t_bm = time.perf_counter() - t
    dist_ref = np.array([ref.get(i, np.inf) for i in range(n)])
    err_ab = float(np.max(np.abs(dist_ref - dist_a)))
    row("(b') networkx multi_source_dijkstra (virtual nodes), one pass", f"{t_bm:8.3f} s")
    if not err_ab <= TOL_M:
        failures.append(f"(a) random centres vs networkx virtual-node reference: {err_ab:.3g} m")
    del H, ref

    t_b = t_bego = np.nan
    if not args.skip_networkx:
        t = time.perf_counter()
        hulls = []
        for c in cnode:  # the notebook approach: one ego graph per centre
            sub = nx.ego_graph(G, int(c), radius=LIMIT_M, distance="length")
            nodes = np.fromiter(sub.nodes, np.int64)
            hulls.append(shapely.multipoints(np.c_[g.x[nodes], g.y[nodes]]).convex_hull)
        t_bego = time.perf_counter() - t
        row(f"(b) {args.centres} x ego_graph(1000 m) + convex hull", f"{t_bego:8.3f} s")

        t = time.perf_counter()
        dist_b = np.full(n, np.inf)
        for c in cnode:  # per-centre full single-source search, min per node
            d = nx.single_source_dijkstra_path_length(G, int(c), weight="length")
            keys = np.fromiter(d.keys(), np.int64, len(d))
            vals = np.fromiter(d.values(), float, len(d))
            np.minimum.at(dist_b, keys, vals)
        t_b = time.perf_counter() - t
        row(f"(b) {args.centres} x single_source_dijkstra, min per node", f"{t_b:8.3f} s")
        err_bd = float(np.max(np.abs(dist_b - dist_d)))
        if not err_bd <= TOL_M:
            failures.append(f"(b) vs (d): max |diff| {err_bd:.3g} m")
    del G

    # ------------------------------------------------------------- (c) pandana
    try:
        import pandana
        import pandas as pd
    except Exception as exc:  # noqa: BLE001 - report why, do not fail
        row("(c) pandana", f"unavailable ({type(exc).__name__}: {exc})")
    else:
        try:
            t = time.perf_counter()
            upper_u, upper_v = coo.row[upper], coo.col[upper]
            net = pandana.Network(pd.Series(g.x), pd.Series(g.y), pd.Series(upper_u),
                                  pd.Series(upper_v),
                                  pd.DataFrame({"length": coo.data[upper]}), twoway=True)
            t_pb = time.perf_counter() - t
            row("(c) pandana: Network build (contraction hierarchies)", f"{t_pb:8.3f} s")
            maxd = float(np.ceil(dist_d[np.isfinite(dist_d)].max())) + 1.0  # covers every node
            t = time.perf_counter()
            net.set_pois("centres", maxd, 1, pd.Series(g.x[cnode]), pd.Series(g.y[cnode]))
            res = net.nearest_pois(maxd, "centres", num_pois=1)
            t_pq = time.perf_counter() - t
            row("(c) pandana: set_pois + nearest_pois (every node)", f"{t_pq:8.3f} s")
            dist_p = res[1].to_numpy(float)
            ok = dist_p < maxd
            err_pd = float(np.max(np.abs(dist_p[ok] - dist_d[ok])))
            row("    pandana vs (d) max |diff| (float32, info only)", f"{err_pd:8.3f} m")
        except Exception as exc:  # noqa: BLE001
            row("(c) pandana", f"failed ({type(exc).__name__}: {exc})")

    # ------------------------------------------------------------- summary
    rss = maxrss_mb()
    total = time.perf_counter() - t_total
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    summary = [
        ("nodes / edges", f"{g.n_nodes:,} / {g.n_edges:,}", ""),
        ("(a) nearest pass, every node", f"{t_a * 1000:.1f} ms", ""),
        ("(d) floor (bare scipy dijkstra)", f"{t_d * 1000:.1f} ms", ""),
        ("(a)/(d)", f"{t_a / t_d:.2f}", "<= 2"),
        ("(b) networkx per-centre SSSP", f"{t_b:.1f} s", ""),
        ("(b)/(a)", f"{t_b / t_a:,.0f}", ">= 100"),
        ("(b') networkx one multi-source pass", f"{t_bm:.2f} s", ""),
        (f"(a) {args.centres} isochrones @1000 m ({os.cpu_count()} workers, best of "
         f"{args.repeat}; first run {t_iso_cold:.2f} s)", f"{t_iso:.2f} s", "< 5 s"),
        (f"(a) {args.centres} isochrones @1000 m (1 thread)", f"{t_iso1:.2f} s", ""),
        (f"(a) {args.centres} x 3 limits 300/600/1000 m, one search", f"{t_multi:.2f} s", ""),
        (f"(b) {args.centres} ego_graph + hull", f"{t_bego:.2f} s", ""),
        ("(a) 10,000 snaps", f"{t_snap * 1000:.0f} ms", "< 2 s"),
        ("peak memory after engine steps", f"{rss_engine:.0f} MB", ""),
        ("peak memory (whole run, incl. networkx/pandana)", f"{rss:.0f} MB", "< 1536 MB"),
        ("total run", f"{total:.0f} s", "< 600 s"),
        ("agreement (a)=(b)=(d), (a)=nx virtual-node ref", "FAIL" if failures else "OK",
         "1e-6 m"),
    ]
    for label, value, target in summary:
        print(f"| {label} | {value} | {target} |")
    for line in rows:
        if line[0].startswith("(c)") or "pandana" in line[0]:
            print(f"| {line[0].strip()} | {line[1].strip()} | |")
    if failures:
        print("\nDISAGREEMENT:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
