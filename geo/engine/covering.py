"""The covering instance of a siting question: candidates, demand, and who covers whom.

*Candidates* are the centres of a regular grid (``candidate_cell_m``, default 100 m) inside the
uncovered area (the coverage report's gaps, optionally widened by ``candidate_margin_m``), one
point on the surface of every gap (so small gaps get a candidate too), and any user candidates
(vacant buildings, malls). *Demand* is a grid of district cells (``demand_cell_m``, default
100 m). A cell's demand is its area (m²), or its population when the communities carry
``population`` (community density × area). Demand already covered by the existing centres
weighs 0, so only the uncovered part of each cell is kept, represented by that part's centroid.
A candidate covers a cell when it is within the walking limit: Euclidean distance ≤ reach in
circle mode, walking distance on the street network in network mode (both points snapped to
the nearest street, access walks counted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geo.engine import coverage as cv
from geo.engine import graph as wg
from geo.engine import routing
from geo.engine.limits import Range
from geo.engine.solvers import SOLVERS, SitingError
from geo.locale import Msg

OPTION_RANGES: dict[str, Range] = {
    "candidate_cell_m": Range(10.0, 1000.0, "m"),
    "demand_cell_m": Range(10.0, 1000.0, "m"),
    "candidate_margin_m": Range(0.0, 5000.0, "m"),
    "exact_max_terms": Range(1, 10**10, integer=True),
    "time_limit_s": Range(0.0, 86_400.0, "s", low_open=True),
}
"""The allowed values of :class:`SitingOptions`' numbers (NaN and infinities never)."""


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
        for name, allowed in OPTION_RANGES.items():
            object.__setattr__(self, name, allowed.check(name, getattr(self, name), SitingError))
        if self.solver not in SOLVERS:
            raise SitingError(Msg.of("set.unknown_solver", solver=repr(self.solver)), setting="solver")


DEFAULT_OPTIONS = SitingOptions()


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


def coverage_matrix_network(graph: wg.WalkGraph, candidate_xy: np.ndarray, demand_xy: np.ndarray,
                            reach_m: float, max_snap_m: float = 200.0) -> sp.csc_matrix:
    """Boolean demand × candidate matrix: walking distance ≤ ``reach_m``.

    Both sets are snapped to the nearest street; a walk is candidate access + network + demand
    access, or the direct walk along a shared street segment. Points farther than
    ``max_snap_m`` from every street cover and are covered by nothing.
    """
    L = float(reach_m)
    cs = wg.snap_points(graph, candidate_xy[:, 0], candidate_xy[:, 1], max_distance_m=max_snap_m)
    ds = wg.snap_points(graph, demand_xy[:, 0], demand_xy[:, 1], max_distance_m=max_snap_m, toward=cs)
    shape = (len(demand_xy), len(candidate_xy))
    qi = np.flatnonzero(ds.edge >= 0)
    if qi.size == 0 or not cs.reachable.any():
        return sp.csc_matrix(shape, dtype=bool)
    reach = routing.reach_from_sources(graph, cs, L)
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
    i, pos = np.repeat(np.arange(lo.size), cnt), wg.expand_ranges(lo, cnt)
    ok = r_dist[i] + end_cost[pos] <= L
    rows, cols = [end_dem[pos[ok]]], [r_src[i[ok]]]
    # candidate and demand on the same street segment: walk along it directly
    ci = np.flatnonzero(cs.edge >= 0)
    ci = ci[np.argsort(cs.edge[ci], kind="stable")]
    lo = np.searchsorted(cs.edge[ci], e, "left")
    cnt = np.searchsorted(cs.edge[ci], e, "right") - lo
    j, pos = np.repeat(np.arange(lo.size), cnt), wg.expand_ranges(lo, cnt)
    c = ci[pos]
    ok = cs.access[c] + np.abs(cs.offset[c] - o[j]) + acc[j] <= L
    rows.append(qi[j[ok]])
    cols.append(c[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    m = sp.csc_matrix((np.ones(len(r), bool), (r, c)), shape=shape)
    m.sum_duplicates()
    return m


def _user_candidates(user: gpd.GeoDataFrame, crs) -> gpd.GeoDataFrame:
    """User sites as candidates (``source="user"``) in the analysis' CRS."""
    if not isinstance(user, gpd.GeoDataFrame):
        raise SitingError(Msg.of("set.candidates_type", type=type(user).__name__))
    if user.crs is None:
        raise SitingError(Msg.of("set.candidates_no_crs"))
    user = user.to_crs(crs)
    names = user["name"].astype(str).to_numpy() if "name" in user else ""
    return gpd.GeoDataFrame({"source": "user", "name": names}, geometry=np.asarray(user.geometry.values),
                            crs=crs)


def build_instance(result: cv.CoverageResult, graph: wg.WalkGraph | None = None,
                   candidates: gpd.GeoDataFrame | None = None,
                   options: SitingOptions = DEFAULT_OPTIONS) -> Instance:
    """Candidates, demand and the coverage matrix for a coverage result (see the module notes).

    ``candidates`` are extra user sites (points with a CRS and an optional ``name``).
    """
    s = result.settings
    if s.mode == "network" and graph is None:
        raise SitingError(Msg.of("set.needs_graph"), setting="network")
    cells, total, covered, unit = demand_cells(result, options.demand_cell_m)
    cands = grid_candidates(result, options.candidate_cell_m, options.candidate_margin_m)
    if candidates is not None:
        cands = pd.concat([cands, _user_candidates(candidates, result.crs)], ignore_index=True)
    cxy = shapely.get_coordinates(np.asarray(cands.geometry.values))
    dxy = shapely.get_coordinates(np.asarray(cells.geometry.values))
    if s.mode == "network":
        cover = coverage_matrix_network(graph, cxy, dxy, s.reach_m(), s.max_snap_m)
    else:
        cover = coverage_matrix_circle(cxy, dxy, s.reach_m())
    return Instance(cover, cells["weight"].to_numpy(float), dxy, cxy, cands["source"].to_numpy(),
                    cands["name"].to_numpy(), total, covered, unit, result.crs)
