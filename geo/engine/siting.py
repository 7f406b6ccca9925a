"""Where the next station should go: maximal covering (MCLP) and set covering (LSCP).

The existing centres stay; new stations are chosen to reach the demand they leave uncovered.

Instance
    *Candidates* are the centres of a regular grid (``candidate_cell_m``, default 100 m) inside
    the uncovered area (the coverage report's gaps, optionally widened by
    ``candidate_margin_m``), one point on the surface of every gap (so small gaps get a candidate
    too), and any user candidates (vacant buildings, malls). *Demand* is a grid of district cells
    (``demand_cell_m``, default 100 m). A cell's demand is its area (m²), or its population when
    the communities carry ``population`` (community density × area). Demand already covered by
    the existing centres weighs 0, so only the uncovered part of each cell is kept, represented
    by that part's centroid. A candidate covers a cell when it is within the walking limit:
    Euclidean distance ≤ reach in circle mode, walking distance on the street network in network
    mode (both points snapped to the nearest street, access walks counted).

Models
    MCLP: ``k`` new stations (1–20) maximising the added covered demand. LSCP: the fewest new
    stations that bring covered demand to ``target_pct`` of the reachable demand (already
    covered plus what some candidate can reach). Exact answers come from spopt's models solved
    with HiGHS (through PuLP; CBC as fallback) on an exactly reduced instance (zero-weight and
    unreachable cells dropped, identical cells merged, empty and duplicate candidates dropped);
    a greedy heuristic on the sparse coverage matrix is the fast fallback. When both run, the
    greedy answer's optimality gap is reported.
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.engine import coverage as cv
from geo.engine import network
from geo.io import data

METHODS = ("auto", "exact", "greedy")
K_RANGE = (1, 20)
PROPOSED_NAME = "拟建服务站"
METHOD_LABELS = {"exact": "精确解 exact", "greedy": "贪心 greedy"}


class SitingError(cv.CoverageError):
    """Settings or inputs a siting model cannot use (k out of range, unknown method, …)."""


@dataclass(frozen=True)
class SitingOptions:
    """How the instance is built and solved.

    ``exact_max_terms`` is the largest reduced instance (demand rows × candidates) that
    ``method="auto"`` hands to the exact solver; spopt builds its constraints densely, so model
    building time grows with that product.
    """

    candidate_cell_m: float = 100.0
    demand_cell_m: float = 100.0
    candidate_margin_m: float = 0.0
    exact_max_terms: int = 2_000_000
    time_limit_s: float = 60.0
    solver: str = "highs"  # highs | cbc

    def __post_init__(self) -> None:
        for name in ("candidate_cell_m", "demand_cell_m"):
            if not 10.0 <= float(getattr(self, name)) <= 1000.0:
                raise SitingError(f"{name} must be between 10 and 1000 m")
        if self.candidate_margin_m < 0:
            raise SitingError("candidate_margin_m must not be negative")
        if self.solver not in ("highs", "cbc"):
            raise SitingError(f"unknown solver {self.solver!r}: use highs or cbc")


# --------------------------------------------------------------------------- the instance


@dataclass(frozen=True)
class Instance:
    """A covering instance in the analysis' metric CRS.

    ``cover`` is a boolean CSC matrix, demand rows × candidate columns. ``weight`` is the demand
    each row would add (already covered demand is not in the rows). ``covered_demand`` and
    ``total_demand`` are district totals in ``unit`` (``m2`` or ``people``).
    """

    cover: sp.csc_matrix
    weight: np.ndarray
    demand_xy: np.ndarray
    candidate_xy: np.ndarray
    candidate_source: np.ndarray
    candidate_name: np.ndarray
    total_demand: float
    covered_demand: float
    unit: str
    crs: object

    @property
    def reachable_demand(self) -> float:
        """Already covered demand plus the uncovered demand some candidate reaches."""
        reach = self.cover.getnnz(axis=1) > 0
        return self.covered_demand + float(self.weight[reach].sum())


def uncovered_area(result: cv.CoverageResult) -> shapely.Geometry:
    """The gaps of a coverage result as one geometry (slivers under ``min_gap_m2`` left out)."""
    geoms = np.asarray(result.gaps.geometry.values)
    return shapely.union_all(geoms) if len(geoms) else shapely.Polygon()


def _grid_xy(bounds: Sequence[float], cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = bounds
    xs = np.arange(minx + cell_m / 2, maxx, cell_m)
    ys = np.arange(miny + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    return gx.ravel(), gy.ravel()


def _densities(communities: gpd.GeoDataFrame) -> np.ndarray | None:
    """People per m² of each community, or None when there is no usable population."""
    if "population" not in communities.columns:
        return None
    pop = pd.to_numeric(communities["population"], errors="coerce").fillna(0.0).to_numpy(float)
    if pop.sum() <= 0:
        return None
    area = shapely.area(np.asarray(communities.geometry.values))
    return np.divide(pop, area, out=np.zeros_like(pop), where=area > 0)


def demand_cells(result: cv.CoverageResult, cell_m: float = 100.0) -> tuple[gpd.GeoDataFrame, float, float, str]:
    """The uncovered part of every district grid cell, with its demand.

    Returns ``(cells, total_demand, covered_demand, unit)``: ``cells`` (metric points at the
    centroid of each cell's uncovered part, columns ``cell``, ``area_m2``, ``weight``); the
    district's total demand and the part already covered; ``unit`` ``"people"`` when the
    communities carry ``population`` (demand = community density × area), else ``"m2"``.
    """
    gaps = np.asarray(result.gaps.geometry.values)
    gx, gy = _grid_xy(result.district.bounds, cell_m)
    h = cell_m / 2
    boxes = shapely.box(gx - h, gy - h, gx + h, gy + h)
    gap_i, box_i = shapely.STRtree(boxes).query(gaps, predicate="intersects") if len(gaps) else (
        np.zeros(0, int), np.zeros(0, int))
    pieces = shapely.intersection(boxes[box_i], gaps[gap_i])
    p_area = shapely.area(pieces)
    dens = _densities(result.communities)
    if dens is None:
        unit, p_weight = "m2", p_area
        total = float(result.district.area)
    else:
        unit = "people"
        comm = np.asarray(result.communities.geometry.values)
        piece_i, comm_i = shapely.STRtree(comm).query(pieces, predicate="intersects")
        part = shapely.area(shapely.intersection(pieces[piece_i], comm[comm_i])) * dens[comm_i]
        p_weight = np.bincount(piece_i, weights=part, minlength=len(pieces))
        total = float(pd.to_numeric(result.communities["population"], errors="coerce").fillna(0).sum())
    uncovered = float(p_weight.sum())
    cells, inv = np.unique(box_i, return_inverse=True)
    area = np.bincount(inv, weights=p_area, minlength=len(cells))
    weight = np.bincount(inv, weights=p_weight, minlength=len(cells))
    c = shapely.get_coordinates(shapely.centroid(pieces)) if len(pieces) else np.zeros((0, 2))
    safe = np.where(area > 0, area, 1.0)
    cx = np.bincount(inv, weights=c[:, 0] * p_area, minlength=len(cells)) / safe
    cy = np.bincount(inv, weights=c[:, 1] * p_area, minlength=len(cells)) / safe
    keep = area > 0
    out = gpd.GeoDataFrame({"cell": cells[keep], "area_m2": area[keep], "weight": weight[keep]},
                           geometry=shapely.points(cx[keep], cy[keep]), crs=result.crs)
    return out, total, max(total - uncovered, 0.0), unit


def grid_candidates(result: cv.CoverageResult, cell_m: float = 100.0,
                    margin_m: float = 0.0) -> gpd.GeoDataFrame:
    """Grid-cell centres inside the uncovered area (widened by ``margin_m``), plus a point in every gap."""
    gaps = np.asarray(result.gaps.geometry.values)
    region = uncovered_area(result)
    if margin_m > 0 and not region.is_empty:
        region = shapely.intersection(shapely.buffer(region, margin_m), result.district)
    shapely.prepare(region)
    gx, gy = _grid_xy(result.district.bounds, cell_m)
    inside = shapely.contains_xy(region, gx, gy) if not region.is_empty else np.zeros(len(gx), bool)
    rep = shapely.point_on_surface(gaps)
    pts = np.concatenate([shapely.points(gx[inside], gy[inside]), rep])
    source = np.r_[np.full(int(inside.sum()), "grid"), np.full(len(rep), "gap")]
    return gpd.GeoDataFrame({"source": source, "name": ""}, geometry=pts, crs=result.crs)


def coverage_matrix_circle(candidate_xy: np.ndarray, demand_xy: np.ndarray, reach_m: float) -> sp.csc_matrix:
    """Boolean demand × candidate matrix: straight-line distance ≤ ``reach_m``."""
    tree = shapely.STRtree(shapely.points(demand_xy))
    c, d = tree.query(shapely.points(candidate_xy), predicate="dwithin", distance=float(reach_m))
    return sp.csc_matrix((np.ones(len(c), bool), (d, c)), shape=(len(demand_xy), len(candidate_xy)))


def _expand(lo: np.ndarray, cnt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (owner i, position lo[i] + t) for t < cnt[i], without a Python loop."""
    owner = np.repeat(np.arange(len(lo)), cnt)
    first = np.cumsum(cnt) - cnt
    return owner, np.arange(int(cnt.sum())) - np.repeat(first, cnt) + np.repeat(lo, cnt)


def coverage_matrix_network(graph: network.WalkGraph, candidate_xy: np.ndarray, demand_xy: np.ndarray,
                            reach_m: float, max_snap_m: float = 200.0) -> sp.csc_matrix:
    """Boolean demand × candidate matrix: walking distance ≤ ``reach_m``.

    Both sets are snapped to the nearest street; a walk is candidate access + network + demand
    access, or the direct walk along a shared street segment. Points farther than
    ``max_snap_m`` from every street cover and are covered by nothing.
    """
    L = float(reach_m)
    cs = network.snap_points(graph, candidate_xy[:, 0], candidate_xy[:, 1], max_distance_m=max_snap_m)
    ds = network.snap_points(graph, demand_xy[:, 0], demand_xy[:, 1], max_distance_m=max_snap_m)
    shape = (len(demand_xy), len(candidate_xy))
    qi = np.flatnonzero(ds.edge >= 0)
    if qi.size == 0 or not cs.reachable.any():
        return sp.csc_matrix(shape, dtype=bool)
    reach = network.reach_from_sources(graph, cs, L)
    r_src, r_node, r_dist = reach.row_of_entries(), reach.node, reach.dist
    # demand ends: the two nodes of each demand's street, with the walk from there to the demand
    e, o, acc = ds.edge[qi], ds.offset[qi], ds.access[qi]
    end_node = np.r_[graph.u[e], graph.v[e]]
    end_cost = np.r_[o + acc, graph.length[e] - o + acc]
    end_dem = np.r_[qi, qi]
    order = np.argsort(end_node, kind="stable")
    end_node, end_cost, end_dem = end_node[order], end_cost[order], end_dem[order]
    lo = np.searchsorted(end_node, r_node, "left")
    cnt = np.searchsorted(end_node, r_node, "right") - lo
    i, pos = _expand(lo, cnt)
    ok = r_dist[i] + end_cost[pos] <= L
    rows, cols = [end_dem[pos[ok]]], [r_src[i[ok]]]
    # candidate and demand on the same street segment: walk along it directly
    ci = np.flatnonzero(cs.edge >= 0)
    ci = ci[np.argsort(cs.edge[ci], kind="stable")]
    lo = np.searchsorted(cs.edge[ci], e, "left")
    cnt = np.searchsorted(cs.edge[ci], e, "right") - lo
    j, pos = _expand(lo, cnt)
    c = ci[pos]
    ok = cs.access[c] + np.abs(cs.offset[c] - o[j]) + acc[j] <= L
    rows.append(qi[j[ok]])
    cols.append(c[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    m = sp.csc_matrix((np.ones(len(r), bool), (r, c)), shape=shape)
    m.sum_duplicates()
    return m


def build_instance(result: cv.CoverageResult, graph: network.WalkGraph | None = None,
                   candidates: gpd.GeoDataFrame | None = None,
                   options: SitingOptions = SitingOptions()) -> Instance:
    """Candidates, demand and the coverage matrix for a coverage result (see the module notes)."""
    s = result.settings
    if s.mode == "network" and graph is None:
        raise SitingError("network mode needs the walking network: pass graph= (the one used for the coverage)")
    cells, total, covered, unit = demand_cells(result, options.demand_cell_m)
    cands = grid_candidates(result, options.candidate_cell_m, options.candidate_margin_m)
    if candidates is not None:
        user = candidates  # read and checked by geo.io.candidates; the engine reads no file
        if not isinstance(user, gpd.GeoDataFrame):
            raise SitingError("candidate sites must be a GeoDataFrame of points "
                              "(read a file with geo.io.candidates.load_candidates)")
        if user.crs is None:
            raise SitingError("candidate sites have no CRS; set one (EPSG:4326 for longitude/latitude)")
        user = user.to_crs(result.crs)
        extra = gpd.GeoDataFrame({"source": "user",
                                  "name": user["name"].astype(str).to_numpy() if "name" in user else ""},
                                 geometry=np.asarray(user.geometry.values), crs=result.crs)
        cands = pd.concat([cands, extra], ignore_index=True)
    cxy = shapely.get_coordinates(np.asarray(cands.geometry.values))
    dxy = shapely.get_coordinates(np.asarray(cells.geometry.values))
    if s.mode == "network":
        cover = coverage_matrix_network(graph, cxy, dxy, s.reach_m(), s.max_snap_m)
    else:
        cover = coverage_matrix_circle(cxy, dxy, s.reach_m())
    return Instance(cover, cells["weight"].to_numpy(float), dxy, cxy, cands["source"].to_numpy(),
                    cands["name"].to_numpy(), total, covered, unit, result.crs)


# --------------------------------------------------------------------------- solving


def reduce_instance(cover: sp.spmatrix, weight: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """An exactly equivalent smaller instance for MCLP and LSCP.

    Drops rows of zero weight or that no candidate covers, merges identical rows (summing their
    weights), drops candidates covering no row and duplicates of a lower-numbered candidate.
    Returns ``(cover, weight, columns)`` where ``columns`` maps reduced to original candidates.
    """
    A = sp.csr_matrix(cover, dtype=bool)
    w = np.asarray(weight, float)
    rows = np.flatnonzero((w > 0) & (A.getnnz(axis=1) > 0))
    A, w = A[rows], w[rows]
    first, group = _identical_rows(A)
    A, w = A[first], np.bincount(group, weights=w, minlength=len(first))
    At = A.T.tocsr()
    cols, _ = _identical_rows(At)
    cols = cols[At[cols].getnnz(axis=1) > 0]
    return A[:, cols].tocsr(), w, cols


def _identical_rows(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Groups of identical rows: the first row of each group (ascending) and each row's group.

    Rows are hashed by two random 64-bit keys per column summed modulo 2**64 (exact and
    independent of order), then the grouping is verified exactly.
    """
    n = A.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.random.default_rng(7).integers(1, 2**63 - 1, size=(A.shape[1], 2), dtype=np.int64)
    h = A.astype(np.uint64) @ keys.astype(np.uint64)
    _, first, group = np.unique(h, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    if (A[first[group]] != A).nnz:  # a hash collision (never seen): merge nothing
        return np.arange(n), np.arange(n)
    rank = np.empty(len(first), np.int64)  # renumber groups by their first row
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return np.sort(first), rank[group]


def greedy_mclp(cover: sp.spmatrix, weight: np.ndarray, k: int) -> np.ndarray:
    """Greedy maximal covering: repeatedly add the candidate with the largest added demand.

    Stops early when nothing more can be gained. Ties go to the lowest candidate index.
    """
    A = sp.csc_matrix(cover, dtype=float)
    by_row = A.tocsr()
    rest = np.asarray(weight, float).copy()
    gain = A.T @ rest
    tol = 1e-12 * max(float(rest.sum()), 1.0)  # rounding left by the incremental updates
    chosen: list[int] = []
    for _ in range(min(int(k), A.shape[1])):  # k rounds, each vectorised
        j = int(np.argmax(gain))
        if gain[j] <= tol:
            break
        chosen.append(j)
        rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
        rows = rows[rest[rows] > 0]
        gain -= by_row[rows].T @ rest[rows]
        rest[rows] = 0.0
    return np.array(chosen, dtype=np.int64)


def greedy_lscp(cover: sp.spmatrix, weight: np.ndarray, need: float) -> np.ndarray:
    """Greedy set covering: add the best candidate until at least ``need`` demand is covered."""
    A = sp.csc_matrix(cover, dtype=float)
    order = greedy_mclp(A, weight, A.shape[1])
    gains = _marginal_gains(A, weight, order)
    n = int(np.searchsorted(np.cumsum(gains), need * (1 - 1e-9), "left")) + 1
    return order[: min(n, len(order))]


def _marginal_gains(cover: sp.spmatrix, weight: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Demand each candidate adds when added in ``order``."""
    A = sp.coo_matrix(sp.csc_matrix(cover, dtype=bool)[:, np.asarray(order, np.int64)])
    first = np.full(A.shape[0], len(order))  # first position along ``order`` covering each row
    np.minimum.at(first, A.row, A.col)
    hit = first < len(order)
    return np.bincount(first[hit], weights=np.asarray(weight, float)[hit], minlength=len(order))


def covered_weight(cover: sp.spmatrix, weight: np.ndarray, chosen: Sequence[int]) -> float:
    """Demand covered by the chosen candidates."""
    if len(chosen) == 0:
        return 0.0
    hit = sp.csc_matrix(cover, dtype=bool)[:, np.asarray(chosen)].getnnz(axis=1) > 0
    return float(weight[hit].sum())


@functools.cache
def _highs_ready() -> bool:
    """Import highspy and build one model with stdout closed.

    HiGHS prints a copyright banner to the process's stdout (C level, not ``sys.stdout``) the
    first time a model is built, whatever the options; that line would spoil ``--json`` output.
    """
    try:
        import highspy
    except ImportError:
        return False
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


def _solver(options: SitingOptions):
    """A PuLP solver (HiGHS through highspy, or CBC) and its name."""
    import pulp

    if options.solver == "highs" and _highs_ready():
        from importlib.metadata import version

        name = f"HiGHS (highspy {version('highspy')})"
        return pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=options.time_limit_s), name
    if pulp.PULP_CBC_CMD().available():
        return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, timeLimit=options.time_limit_s), "CBC"
    raise SitingError("no MILP solver available: pip install highspy (or use method='greedy')")


@dataclass(frozen=True)
class _Exact:
    chosen: np.ndarray  # original candidate indices
    optimal: bool
    bound: float | None  # best bound on the objective when not proven optimal
    solver: str


def _run(model, options: SitingOptions) -> tuple[np.ndarray, bool, float | None, str]:
    import pulp

    solver, name = _solver(options)
    try:
        model.solve(solver, results=False)
    except RuntimeError:  # spopt: the solver stopped without a solution
        vals = np.array([np.nan])
    else:
        vals = np.array([np.nan if v.value() is None else v.value() for v in model.fac_vars], float)
    if np.isnan(vals).any():
        raise SitingError(f"{name} found no solution within {options.time_limit_s:g} s "
                          "(raise time_limit_s or use method='greedy')")
    optimal = model.problem.sol_status == pulp.LpSolutionOptimal
    bound = None
    if not optimal and hasattr(model.problem, "solverModel"):
        bound = float(model.problem.solverModel.getInfo().mip_dual_bound)
    return np.flatnonzero(vals > 0.5), optimal, bound, name


def exact_mclp(cover: sp.spmatrix, weight: np.ndarray, k: int,
               options: SitingOptions = SitingOptions()) -> _Exact:
    """Maximal covering solved exactly (spopt ``MCLP`` + HiGHS) on the reduced instance."""
    from spopt.locate import MCLP

    A, w, cols = reduce_instance(cover, weight)
    p = min(int(k), A.shape[1])
    if p == 0 or A.shape[0] == 0:
        return _Exact(np.zeros(0, np.int64), True, None, "trivial")
    # coverage is decided upstream (circle or network): spopt gets 0 (covers) / 1 (does not)
    cost = np.where(A.toarray(), 0.0, 1.0)
    with warnings.catch_warnings():  # spopt builds variables in a way PuLP 3.3 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, w, service_radius=0.5, p_facilities=p, name="mclp")
        chosen, optimal, bound, name = _run(model, options)
    return _Exact(cols[chosen], optimal, bound, name)


def exact_lscp(cover: sp.spmatrix, weight: np.ndarray, need: float,
               options: SitingOptions = SitingOptions(), upper: int | None = None) -> _Exact:
    """Fewest candidates covering at least ``need`` demand, exactly.

    Covering all reachable demand is spopt's ``LSCP``; a partial target is the smallest ``p``
    whose exact MCLP optimum reaches it (binary search, MCLP being monotone in ``p``; ``upper``
    is a known feasible count, e.g. greedy's).
    """
    from spopt.locate import LSCP

    A, w, cols = reduce_instance(cover, weight)
    if need <= 0 or A.shape[0] == 0:
        return _Exact(np.zeros(0, np.int64), True, None, "trivial")
    if need >= w.sum() * (1 - 1e-9):
        cost = np.where(A.toarray(), 0.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = LSCP.from_cost_matrix(cost, service_radius=0.5, name="lscp")
            chosen, optimal, _, name = _run(model, options)
        return _Exact(cols[chosen], optimal, None, name)
    lo, hi = 1, int(upper) if upper else A.shape[1]
    best, proven, name = np.arange(A.shape[1]), True, "trivial"  # all candidates reach ``need``
    while lo <= hi:  # O(log n) exact MCLP solves
        mid = (lo + hi) // 2
        sol = exact_mclp(A, w, mid, options)
        proven, name = proven and sol.optimal, sol.solver
        if covered_weight(A, w, sol.chosen) >= need * (1 - 1e-9):
            best, hi = sol.chosen, mid - 1
        else:
            lo = mid + 1
    return _Exact(cols[best], proven, None, name)


# --------------------------------------------------------------------------- the plan


@dataclass
class SitingPlan:
    """Proposed new stations and what they change.

    ``sites`` is WGS-84 with ``rank, lon, lat, added_demand, source, name``; ``added_demand`` is
    what each site adds after the higher-ranked ones (in ``demand_unit``). Coverage percentages
    are of the district area, recomputed geometrically (circles or isochrones of the new sites
    united with the existing coverage). ``gap_pct`` is greedy's shortfall against the exact
    optimum, in % of the exact objective (MCLP: added demand; LSCP: number of sites).
    """

    model: str
    sites: gpd.GeoDataFrame
    covered_pct_before: float
    covered_pct_after: float
    method: str
    solver: str
    solve_seconds: float
    objective: float
    exact_objective: float | None
    greedy_objective: float | None
    gap_pct: float | None
    demand_unit: str
    total_demand: float
    covered_demand_before: float
    reachable_demand: float
    areas: gpd.GeoDataFrame
    settings: cv.Settings
    k: int | None = None
    target_pct: float | None = None
    greedy_seconds: float | None = None
    exact_seconds: float | None = None
    n_candidates: int = 0
    n_demand: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def demand_pct_before(self) -> float:
        return 100.0 * self.covered_demand_before / self.total_demand if self.total_demand else 0.0

    @property
    def demand_pct_after(self) -> float:
        added = float(self.sites["added_demand"].sum())
        return 100.0 * (self.covered_demand_before + added) / self.total_demand if self.total_demand else 0.0

    def headline(self) -> dict:
        """The JSON ``python -m geo suggest --json`` prints (DESIGN.md contract)."""
        return {"sites": [{"lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
                           "added_demand": round(float(r.added_demand), 1)}
                          for r in self.sites.itertuples()],
                "covered_pct_before": round(self.covered_pct_before, 2),
                "covered_pct_after": round(self.covered_pct_after, 2)}

    def describe(self) -> str:
        """A short bilingual summary for the terminal and the app."""
        n, mins, mode = len(self.sites), self.settings.limit_minutes, self.settings.mode
        how = METHOD_LABELS[self.method] + (f", {self.solver}" if self.method == "exact" else "") \
            + f", {self.solve_seconds:.1f} s"
        if self.model == "LSCP":
            lines = [f"最少新增 {n} 个服务站，可使覆盖需求达到可达需求的 {self.target_pct:g}%（LSCP，{how}）。",
                     f"At least {n} new station(s) bring covered demand to {self.target_pct:g}% "
                     f"of the reachable demand (LSCP, {how})."]
        else:
            lines = [f"建议新增 {n} 个服务站（MCLP，{how}）。",
                     f"Suggested {n} new station(s) (MCLP, {how})."]
        lines.append(f"{mins:g} 分钟步行覆盖面积 Area within {mins:g} min ({mode}): "
                     f"{self.covered_pct_before:.1f}% → {self.covered_pct_after:.1f}%")
        if self.demand_unit == "people":
            lines.append(f"覆盖人口 People covered: {self.demand_pct_before:.1f}% → {self.demand_pct_after:.1f}%")
        for r in self.sites.itertuples():
            added = (f"+{r.added_demand / 1e6:.2f} km²" if self.demand_unit == "m2"
                     else f"+{r.added_demand:,.0f} 人 people")
            label = f"  {r.name}" if r.name else ""
            lines.append(f"  {int(r.rank):2d}. {r.lon:.6f}, {r.lat:.6f}  {added}{label}")
        if self.gap_pct is not None:
            lines.append(f"贪心算法与最优解差距 Greedy vs exact gap: {self.gap_pct:.2f}%")
        return "\n".join(lines + list(self.notes))


def _check_method(method: str) -> str:
    if method not in METHODS:
        raise SitingError(f"unknown method {method!r}: use auto, exact or greedy")
    return method


def _use_exact(inst: Instance, method: str, options: SitingOptions) -> tuple[bool, str | None]:
    if method != "auto":
        return method == "exact", None
    A, _, _ = reduce_instance(inst.cover, inst.weight)
    size = A.shape[0] * A.shape[1]
    if size <= options.exact_max_terms:
        return True, None
    return False, (f"instance too large for the exact solver ({A.shape[0]} demand × {A.shape[1]} "
                   f"candidates after reduction > {options.exact_max_terms:,}); greedy used, gap unknown")


def new_areas(result: cv.CoverageResult, xy: np.ndarray, graph: network.WalkGraph | None = None) -> np.ndarray:
    """Walking areas of new sites (metric): circles, or isochrones in network mode (empty when off-street)."""
    s = result.settings
    if len(xy) == 0:
        return np.empty(0, dtype=object)
    if s.mode == "circle":
        return shapely.buffer(shapely.points(xy), s.reach_m(), quad_segs=16)
    snap = network.snap_points(graph, xy[:, 0], xy[:, 1], max_distance_m=s.max_snap_m)
    polys = network.isochrones(graph, snap, s.reach_m(), buffer_m=s.buffer_m)
    return np.array([p if p is not None else shapely.Polygon() for p in polys], dtype=object)


def _plan(result: cv.CoverageResult, inst: Instance, chosen: np.ndarray, model: str, graph,
          **info) -> SitingPlan:
    """Rank the chosen sites, recompute coverage and assemble the plan."""
    chosen = np.asarray(chosen, np.int64)
    sub = inst.cover[:, chosen]
    order_local = greedy_mclp(sub, inst.weight, len(chosen))
    gains = _marginal_gains(sub, inst.weight, order_local)
    order = chosen[order_local]
    xy = inst.candidate_xy[order]
    pts = gpd.GeoSeries(shapely.points(xy), crs=inst.crs).to_crs("EPSG:4326")
    sites = gpd.GeoDataFrame({"rank": np.arange(1, len(order) + 1), "lon": pts.x.to_numpy(),
                              "lat": pts.y.to_numpy(), "added_demand": gains,
                              "demand_unit": inst.unit, "source": inst.candidate_source[order],
                              "name": inst.candidate_name[order]}, geometry=pts.to_numpy(), crs="EPSG:4326")
    added = shapely.intersection(new_areas(result, xy, graph), result.district)
    before = shapely.intersection(result.covered, result.district)
    after = shapely.union_all(np.r_[np.array([before], dtype=object), added])
    pct_after = 100.0 * after.area / result.district.area
    increments, so_far = [], before
    for g in added:  # each site's area beyond the existing coverage and higher-ranked sites
        increments.append(shapely.difference(g, so_far))
        so_far = shapely.union(so_far, g)
    areas = gpd.GeoDataFrame({"kind": ["existing"] + ["added"] * len(added),
                              "rank": np.arange(len(added) + 1)},
                             geometry=[before] + increments, crs=result.crs)
    areas["area_m2"] = areas.area
    return SitingPlan(model=model, sites=sites, covered_pct_before=result.covered_pct,
                      covered_pct_after=max(pct_after, result.covered_pct), demand_unit=inst.unit,
                      total_demand=inst.total_demand, covered_demand_before=inst.covered_demand,
                      reachable_demand=inst.reachable_demand, areas=areas, settings=result.settings,
                      n_candidates=inst.cover.shape[1], n_demand=inst.cover.shape[0], **info)


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def suggest(result: cv.CoverageResult, k: int = 5, method: str = "auto", *,
            graph: network.WalkGraph | None = None,
            candidates: gpd.GeoDataFrame | None = None,
            options: SitingOptions = SitingOptions()) -> SitingPlan:
    """Maximal covering (MCLP): where ``k`` new stations add the most covered demand.

    ``method``: ``exact`` (spopt + HiGHS; greedy is run too and its gap reported), ``greedy``,
    or ``auto`` (exact when the reduced instance has at most ``options.exact_max_terms``
    entries). In network mode pass the walking ``graph`` the coverage was computed with.
    Sites that would add nothing are left out (the plan may hold fewer than ``k``).
    """
    if not isinstance(k, (int, np.integer)) or not K_RANGE[0] <= int(k) <= K_RANGE[1]:
        raise SitingError(f"k must be a whole number from {K_RANGE[0]} to {K_RANGE[1]}, got {k!r}")
    _check_method(method)
    inst = build_instance(result, graph, candidates, options)
    use_exact, note = _use_exact(inst, method, options)
    g_sel, g_sec = _timed(greedy_mclp, inst.cover, inst.weight, int(k))
    g_obj = covered_weight(inst.cover, inst.weight, g_sel)
    notes = [note] if note else []
    info: dict = dict(greedy_objective=g_obj, greedy_seconds=g_sec, k=int(k))
    if use_exact:
        try:
            ex, e_sec = _timed(exact_mclp, inst.cover, inst.weight, int(k), options)
        except SitingError as exc:
            if method == "exact":
                raise
            use_exact = False
            notes.append(f"exact solve stopped: {exc}; greedy answer shown, gap unknown")
    if use_exact:
        e_obj = covered_weight(inst.cover, inst.weight, ex.chosen)
        chosen = ex.chosen if e_obj >= g_obj else g_sel
        if e_obj < g_obj:
            notes.append("the time-limited exact solve fell below greedy: greedy's answer is kept")
        gap = 100.0 * (e_obj - g_obj) / e_obj if e_obj > 0 else 0.0
        if not ex.optimal:
            notes.append(f"time limit {options.time_limit_s:g} s reached: best solution found"
                         + (f", within {100 * (ex.bound - e_obj) / ex.bound:.2f}% of the optimum"
                            if ex.bound else ""))
        info.update(method="exact", solver=f"{ex.solver} via spopt", solve_seconds=e_sec,
                    exact_objective=e_obj, exact_seconds=e_sec, gap_pct=gap, objective=max(e_obj, g_obj))
    else:
        chosen = g_sel
        info.update(method="greedy", solver="greedy (scipy.sparse)", solve_seconds=g_sec,
                    exact_objective=None, gap_pct=None, objective=g_obj)
    chosen = np.asarray(chosen, np.int64)
    chosen = chosen[_marginal_gains(inst.cover[:, chosen], inst.weight, np.arange(len(chosen))) > 0]
    if len(chosen) < k:
        notes.append(f"只需 {len(chosen)} 个站即可覆盖候选点可达的全部需求 / {len(chosen)} site(s) "
                     "already reach all the demand the candidates can reach")
    return _plan(result, inst, chosen, "MCLP", graph, notes=tuple(notes), **info)


def suggest_cover(result: cv.CoverageResult, target_pct: float = 100.0, method: str = "auto", *,
                  graph: network.WalkGraph | None = None,
                  candidates: gpd.GeoDataFrame | None = None,
                  options: SitingOptions = SitingOptions()) -> SitingPlan:
    """Set covering (LSCP): the fewest new stations bringing covered demand to ``target_pct``
    of the reachable demand (already covered + what any candidate reaches; default 100 %)."""
    if not 0 < float(target_pct) <= 100:
        raise SitingError("target_pct must be above 0 and at most 100")
    _check_method(method)
    inst = build_instance(result, graph, candidates, options)
    need = float(target_pct) / 100.0 * inst.reachable_demand - inst.covered_demand
    use_exact, note = _use_exact(inst, method, options)
    g_sel, g_sec = _timed(greedy_lscp, inst.cover, inst.weight, need) if need > 0 else (np.zeros(0, np.int64), 0.0)
    notes = [note] if note else []
    info: dict = dict(greedy_objective=float(len(g_sel)), greedy_seconds=g_sec, target_pct=float(target_pct))
    if use_exact and need > 0:
        try:
            ex, e_sec = _timed(exact_lscp, inst.cover, inst.weight, need, options, upper=len(g_sel))
        except SitingError as exc:
            if method == "exact":
                raise
            use_exact = False
            notes.append(f"exact solve stopped: {exc}; greedy answer shown, gap unknown")
    if use_exact and need > 0:
        chosen = ex.chosen if len(ex.chosen) <= len(g_sel) else g_sel
        gap = 100.0 * (len(g_sel) - len(chosen)) / len(chosen) if len(chosen) else 0.0
        if not ex.optimal:
            notes.append(f"time limit {options.time_limit_s:g} s reached: the count may not be minimal")
        info.update(method="exact", solver=f"{ex.solver} via spopt", solve_seconds=e_sec,
                    exact_objective=float(len(chosen)), exact_seconds=e_sec, gap_pct=gap,
                    objective=float(len(chosen)))
    else:
        chosen = g_sel
        info.update(method="greedy", solver="greedy (scipy.sparse)", solve_seconds=g_sec,
                    exact_objective=None, gap_pct=None, objective=float(len(g_sel)))
    return _plan(result, inst, chosen, "LSCP", graph, notes=tuple(notes), **info)


# --------------------------------------------------------------------------- output


def write_plan(plan: SitingPlan, out_dir: str | Path, data_status: str) -> None:
    """``sites.geojson``, ``sites.csv`` and ``coverage_after.geojson`` in ``out_dir`` (atomic writes)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sites = plan.sites.copy()
    sites["added_demand"] = sites["added_demand"].round(1)
    sites["data_status"] = data_status
    data.write_geojson(sites, out / "sites.geojson")
    table = pd.DataFrame(sites.drop(columns="geometry"))
    table["lon"], table["lat"] = table["lon"].round(7), table["lat"].round(7)
    data.write_csv(table, out / "sites.csv")
    areas = plan.areas.copy()
    areas["area_m2"] = areas["area_m2"].round(1)
    areas["minutes"] = plan.settings.limit_minutes
    areas["mode"] = plan.settings.mode
    areas["data_status"] = data_status
    data.write_geojson(areas, out / "coverage_after.geojson")


def accept_sites(plan: SitingPlan, centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None = None,
                 communities: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The centres with the proposed sites appended as tier ``station``, ``position_source="proposed"``.

    Names continue any earlier proposals (拟建服务站01, 02, …); ids are ``proposed-NN``. Street
    codes are found from the position (``streets`` default: the shipped layer).
    """
    taken = centers["name"].astype(str).str.extract(rf"^{PROPOSED_NAME}(\d+)$")[0].dropna().astype(int)
    start = int(taken.max()) + 1 if len(taken) else 1
    nums = np.arange(start, start + len(plan.sites))
    ids = [f"proposed-{i:02d}" for i in nums]
    while set(ids) & set(centers["id"].astype(str)):  # an id used by hand: move past it
        nums = nums + len(nums)
        ids = [f"proposed-{i:02d}" for i in nums]
    new = gpd.GeoDataFrame({
        "id": ids, "name": [f"{PROPOSED_NAME}{i:02d}" for i in nums], "tier": "station",
        "street_code": "", "community_code": "", "lon": plan.sites["lon"].to_numpy(),
        "lat": plan.sites["lat"].to_numpy(), "position_source": "proposed",
    }, geometry=gpd.points_from_xy(plan.sites["lon"], plan.sites["lat"]), crs="EPSG:4326")
    new = data.locate(new, streets, communities)
    base = centers.to_crs("EPSG:4326")[data.CENTER_COLUMNS + ["geometry"]]
    return gpd.GeoDataFrame(pd.concat([base, new], ignore_index=True), geometry="geometry", crs="EPSG:4326")
