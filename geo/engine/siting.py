"""Where the next station should go: maximal covering (MCLP) and set covering (LSCP).

The existing centres stay; new stations are chosen to reach the demand they leave uncovered.
The instance (candidates, demand, who covers whom) is :mod:`geo.engine.covering`; the greedy
and exact solvers are :mod:`geo.engine.solvers`. This module asks the question and ranks,
measures and explains the answer.

Models
    MCLP: ``k`` new stations (1–20) maximising the added covered demand. LSCP: the fewest new
    stations that bring covered demand to ``target_pct`` of the reachable demand (already
    covered plus what some candidate can reach). ``method="auto"`` solves exactly when the
    reduced instance is small enough, else greedily. When both run, the greedy answer's
    optimality gap is reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import coverage as cv
from geo.engine import graph as wg
from geo.engine import isochrones, schema, solvers
from geo.engine.covering import DEFAULT_OPTIONS, Instance, SitingOptions, build_instance
from geo.engine.limits import Range
from geo.engine.solvers import SitingError
from geo.locale import Msg

METHODS = ("auto", "exact", "greedy")
K_RANGE = (1, 20)
RANGES: dict[str, Range] = {
    "k": Range(*K_RANGE, integer=True),
    "target_pct": Range(0.0, 100.0, "%", low_open=True),
}
"""The allowed values of :func:`suggest`'s ``k`` and :func:`suggest_cover`'s ``target_pct``."""
PROPOSED_NAME = "拟建服务站"
METHOD_WORDS = {"exact": Msg.of("set.method_exact"), "greedy": Msg.of("set.method_greedy")}


def check_k(k: int) -> int:
    """``k`` (number of new stations) as an int, or :class:`SitingError` naming it."""
    return RANGES["k"].check("k", k, SitingError)


def check_method(method: str) -> str:
    """``method`` if it is one of :data:`METHODS`, else :class:`SitingError`."""
    if method not in METHODS:
        raise SitingError(Msg.of("set.unknown_method", method=repr(method)), setting="method")
    return method




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
    notes: tuple[Msg, ...] = field(default_factory=tuple)
    """What the reader should know about the answer (a fallback, a time limit), as messages."""

    @property
    def demand_pct_before(self) -> float:
        return 100.0 * self.covered_demand_before / self.total_demand if self.total_demand else 0.0

    @property
    def demand_pct_after(self) -> float:
        added = float(self.sites["added_demand"].sum())
        return 100.0 * (self.covered_demand_before + added) / self.total_demand if self.total_demand else 0.0

    def headline(self) -> dict:
        """The JSON ``python -m geo suggest --json`` prints (the command-line contract)."""
        return {"sites": [{"lon": round(float(r.lon), 6), "lat": round(float(r.lat), 6),
                           "added_demand": round(float(r.added_demand), 1)}
                          for r in self.sites.itertuples()],
                "covered_pct_before": round(self.covered_pct_before, 2),
                "covered_pct_after": round(self.covered_pct_after, 2)}

    def messages(self) -> list[Msg]:
        """The summary as messages, one per line (:meth:`describe` words them)."""
        n = len(self.sites)
        method, s = METHOD_WORDS[self.method], f"{self.solve_seconds:.1f}"
        how = (Msg.of("set.plan_exact", method=method, solver=self.solver, s=s) if self.method == "exact"
               else Msg.of("set.plan_greedy", method=method, s=s))
        lines = [Msg.of("set.plan_lscp", n=n, target=f"{self.target_pct:g}", how=how) if self.model == "LSCP"
                 else Msg.of("set.plan_mclp", n=n, how=how)]
        lines.append(Msg.of("set.plan_area", m=f"{self.settings.limit_minutes:g}",
                            mode=cv.MODE_WORDS[self.settings.mode], before=f"{self.covered_pct_before:.1f}",
                            after=f"{self.covered_pct_after:.1f}"))
        if self.demand_unit == "people":
            lines.append(Msg.of("set.plan_people", before=f"{self.demand_pct_before:.1f}",
                                after=f"{self.demand_pct_after:.1f}"))
        for r in self.sites.itertuples():
            added = (Msg.of("set.plan_added_km2", a=f"{r.added_demand / 1e6:.2f}") if self.demand_unit == "m2"
                     else Msg.of("set.plan_added_people", n=round(float(r.added_demand)),
                                 shown=f"{r.added_demand:,.0f}"))
            lines.append(Msg.of("set.plan_site", rank=f"{int(r.rank):2d}", lon=f"{r.lon:.6f}", lat=f"{r.lat:.6f}",
                                added=added, name=f"  {r.name}" if r.name else ""))
        if self.gap_pct is not None:
            lines.append(Msg.of("set.plan_gap", gap=f"{self.gap_pct:.2f}"))
        return lines + list(self.notes)

    def describe(self, lang: str = "en") -> str:
        """A short summary in ``lang`` for the terminal: the model, the coverage before and after,
        each site, the gap and the notes."""
        return "\n".join(m.text(lang) for m in self.messages())


def _use_exact(inst: Instance, method: str, options: SitingOptions) -> tuple[bool, Msg | None]:
    """Whether to solve exactly, and a note when ``auto`` falls back to greedy (too large)."""
    if method != "auto":
        return method == "exact", None
    A, _, _ = solvers.reduce_instance(inst.cover, inst.weight)
    size = A.shape[0] * A.shape[1]
    if size <= options.exact_max_terms:
        return True, None
    return False, Msg.of("set.note_too_large", rows=A.shape[0], cols=A.shape[1], limit=f"{options.exact_max_terms:,}")


def new_areas(result: cv.CoverageResult, xy: np.ndarray, graph: wg.WalkGraph | None = None) -> np.ndarray:
    """Walking areas of new sites (metric): circles, or isochrones in network mode (empty when off-street)."""
    s = result.settings
    if len(xy) == 0:
        return np.empty(0, dtype=object)
    if s.mode == "circle":
        return shapely.buffer(shapely.points(xy), s.reach_m(), quad_segs=16)
    snap = wg.snap_points(graph, xy[:, 0], xy[:, 1], max_distance_m=s.max_snap_m)
    polys = isochrones.isochrones(graph, snap, s.reach_m(), buffer_m=s.buffer_m)
    return np.array([p if p is not None else shapely.Polygon() for p in polys], dtype=object)


def _ranked_sites(inst: Instance, chosen: np.ndarray) -> gpd.GeoDataFrame:
    """The chosen candidates ranked by the demand each adds after the higher-ranked ones (WGS-84)."""
    sub = inst.cover[:, chosen]
    order_local = solvers.greedy_mclp(sub, inst.weight, len(chosen))
    gains = solvers.marginal_gains(sub, inst.weight, order_local)
    order = chosen[order_local]
    pts = gpd.GeoSeries(shapely.points(inst.candidate_xy[order]), crs=inst.crs).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"rank": np.arange(1, len(order) + 1), "lon": pts.x.to_numpy(),
                             "lat": pts.y.to_numpy(), "added_demand": gains,
                             "demand_unit": inst.unit, "source": inst.candidate_source[order],
                             "name": inst.candidate_name[order], "candidate": order},
                            geometry=pts.to_numpy(), crs="EPSG:4326")


def _added_areas(result: cv.CoverageResult, added: np.ndarray) -> tuple[gpd.GeoDataFrame, float]:
    """The existing coverage and each new site's increment beyond it (in rank order); % after."""
    before = shapely.intersection(result.covered, result.district)
    after = shapely.union_all(np.r_[np.array([before], dtype=object), added])
    increments, so_far = [], before
    for g in added:  # each site's area beyond the existing coverage and higher-ranked sites
        increments.append(shapely.difference(g, so_far))
        so_far = shapely.union(so_far, g)
    areas = gpd.GeoDataFrame({"kind": ["existing"] + ["added"] * len(added),
                              "rank": np.arange(len(added) + 1)},
                             geometry=[before, *increments], crs=result.crs)
    areas["area_m2"] = areas.area
    return areas, 100.0 * after.area / result.district.area


def _plan(result: cv.CoverageResult, inst: Instance, chosen: np.ndarray, model: str, graph,
          **info) -> SitingPlan:
    """Rank the chosen sites, recompute coverage and assemble the plan."""
    sites = _ranked_sites(inst, np.asarray(chosen, np.int64))
    xy = inst.candidate_xy[sites.pop("candidate").to_numpy()]
    added = shapely.intersection(new_areas(result, xy, graph), result.district)
    areas, pct_after = _added_areas(result, added)
    return SitingPlan(model=model, sites=sites, covered_pct_before=result.covered_pct,
                      covered_pct_after=max(pct_after, result.covered_pct), demand_unit=inst.unit,
                      total_demand=inst.total_demand, covered_demand_before=inst.covered_demand,
                      reachable_demand=inst.reachable_demand, areas=areas, settings=result.settings,
                      n_candidates=inst.cover.shape[1], n_demand=inst.cover.shape[0], **info)


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def _exact(solve, method: str, notes: list[Msg]) -> tuple[solvers.Exact, float] | None:
    """Run an exact solve; when it stops, ``None`` and a note (``auto``) or the error (``exact``)."""
    try:
        return _timed(solve)
    except SitingError as exc:
        if method == "exact":
            raise
        notes.append(Msg.of("set.note_exact_stopped", reason=exc.msg))
        return None


def _greedy_info(seconds: float, objective: float) -> dict:
    return {"method": "greedy", "solver": "greedy (scipy.sparse)", "solve_seconds": seconds,
                "exact_objective": None, "gap_pct": None, "objective": objective}


def _mclp(inst: Instance, k: int, method: str, options: SitingOptions) -> tuple[np.ndarray, dict, list[Msg]]:
    """The MCLP answer (greedy, or exact with greedy's gap): chosen candidates, plan fields, notes."""
    use_exact, note = _use_exact(inst, method, options)
    g_sel, g_sec = _timed(solvers.greedy_mclp, inst.cover, inst.weight, k)
    g_obj = solvers.covered_weight(inst.cover, inst.weight, g_sel)
    notes = [note] if note else []
    info: dict = {"greedy_objective": g_obj, "greedy_seconds": g_sec, "k": k}
    solved = _exact(lambda: solvers.exact_mclp(inst.cover, inst.weight, k, solver=options.solver,
                                               time_limit_s=options.time_limit_s),
                    method, notes) if use_exact else None
    if solved is None:
        return g_sel, {**info, **_greedy_info(g_sec, g_obj)}, notes
    ex, e_sec = solved
    e_obj = solvers.covered_weight(inst.cover, inst.weight, ex.chosen)
    if e_obj < g_obj:
        notes.append(Msg.of("set.note_below_greedy"))
    if not ex.optimal:
        notes.append(Msg.of("set.note_time_limit_within", s=f"{options.time_limit_s:g}",
                            pct=f"{100 * (ex.bound - e_obj) / ex.bound:.2f}") if ex.bound
                     else Msg.of("set.note_time_limit_best", s=f"{options.time_limit_s:g}"))
    info.update(method="exact", solver=f"{ex.solver} via spopt", solve_seconds=e_sec,
                exact_objective=e_obj, exact_seconds=e_sec, objective=max(e_obj, g_obj),
                gap_pct=100.0 * (e_obj - g_obj) / e_obj if e_obj > 0 else 0.0)
    return (ex.chosen if e_obj >= g_obj else g_sel), info, notes


def suggest(result: cv.CoverageResult, k: int = 5, method: str = "auto", *,
            graph: wg.WalkGraph | None = None, candidates: gpd.GeoDataFrame | None = None,
            options: SitingOptions = DEFAULT_OPTIONS) -> SitingPlan:
    """Maximal covering (MCLP): where ``k`` new stations add the most covered demand.

    ``method``: ``exact`` (spopt + HiGHS; greedy is run too and its gap reported), ``greedy``,
    or ``auto`` (exact when the reduced instance has at most ``options.exact_max_terms``
    entries). In network mode pass the walking ``graph`` the coverage was computed with.
    Sites that would add nothing are left out (the plan may hold fewer than ``k``).
    """
    k = check_k(k)
    check_method(method)
    inst = build_instance(result, graph, candidates, options)
    chosen, info, notes = _mclp(inst, k, method, options)
    chosen = np.asarray(chosen, np.int64)
    chosen = chosen[solvers.marginal_gains(inst.cover[:, chosen], inst.weight, np.arange(len(chosen))) > 0]
    if len(chosen) < k:
        notes.append(Msg.of("set.note_fewer_sites", n=len(chosen)))
    return _plan(result, inst, chosen, "MCLP", graph, notes=tuple(notes), **info)


def suggest_cover(result: cv.CoverageResult, target_pct: float = 100.0, method: str = "auto", *,
                  graph: wg.WalkGraph | None = None, candidates: gpd.GeoDataFrame | None = None,
                  options: SitingOptions = DEFAULT_OPTIONS) -> SitingPlan:
    """Set covering (LSCP): the fewest new stations bringing covered demand to ``target_pct``
    of the reachable demand (already covered + what any candidate reaches; default 100 %)."""
    target_pct = RANGES["target_pct"].check("target_pct", target_pct, SitingError)
    check_method(method)
    inst = build_instance(result, graph, candidates, options)
    need = target_pct / 100.0 * inst.reachable_demand - inst.covered_demand
    use_exact, note = _use_exact(inst, method, options)
    g_sel, g_sec = (_timed(solvers.greedy_lscp, inst.cover, inst.weight, need) if need > 0
                    else (np.zeros(0, np.int64), 0.0))
    notes = [note] if note else []
    info: dict = {"greedy_objective": float(len(g_sel)), "greedy_seconds": g_sec, "target_pct": target_pct}
    solved = _exact(lambda: solvers.exact_lscp(inst.cover, inst.weight, need, upper=len(g_sel),
                                               solver=options.solver, time_limit_s=options.time_limit_s),
                    method, notes) if use_exact and need > 0 else None
    if solved is None:
        return _plan(result, inst, g_sel, "LSCP", graph, notes=tuple(notes),
                     **info, **_greedy_info(g_sec, float(len(g_sel))))
    ex, e_sec = solved
    chosen = ex.chosen if len(ex.chosen) <= len(g_sel) else g_sel
    if not ex.optimal:
        notes.append(Msg.of("set.note_time_limit_count", s=f"{options.time_limit_s:g}"))
    info.update(method="exact", solver=f"{ex.solver} via spopt", solve_seconds=e_sec,
                exact_objective=float(len(chosen)), exact_seconds=e_sec, objective=float(len(chosen)),
                gap_pct=100.0 * (len(g_sel) - len(chosen)) / len(chosen) if len(chosen) else 0.0)
    return _plan(result, inst, chosen, "LSCP", graph, notes=tuple(notes), **info)


# --------------------------------------------------------------------------- output


def accept_sites(plan: SitingPlan, centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
                 communities: gpd.GeoDataFrame, taken: set[str] | None = None) -> gpd.GeoDataFrame:
    """The centres with the proposed sites appended as tier ``station``, ``position_source="proposed"``.

    Names continue any earlier proposals (拟建服务站01, 02, …); ids are ``proposed-NN``, none of
    them an id of ``centers`` or of ``taken`` (ids used before, e.g. by deleted centres). Street
    codes are found from the position in ``streets`` (community codes only matter for the
    community tier, see :func:`geo.engine.schema.locate`).
    """
    numbered = centers["name"].astype(str).str.extract(rf"^{PROPOSED_NAME}(\d+)$")[0].dropna().astype(int)
    start = int(numbered.max()) + 1 if len(numbered) else 1
    nums = np.arange(start, start + len(plan.sites))
    ids = [f"proposed-{i:02d}" for i in nums]
    used = set(centers["id"].astype(str)) | set(taken or ())
    while set(ids) & used:  # an id used by hand or before: move past it
        nums = nums + len(nums)
        ids = [f"proposed-{i:02d}" for i in nums]
    new = gpd.GeoDataFrame({
        "id": ids, "name": [f"{PROPOSED_NAME}{i:02d}" for i in nums], "tier": "station",
        "street_code": "", "community_code": "", "lon": plan.sites["lon"].to_numpy(),
        "lat": plan.sites["lat"].to_numpy(), "position_source": "proposed",
    }, geometry=gpd.points_from_xy(plan.sites["lon"], plan.sites["lat"]), crs="EPSG:4326")
    new = schema.locate(new, streets, communities)
    base = centers.to_crs("EPSG:4326")[schema.CENTER_COLUMNS + ["geometry"]]
    return gpd.GeoDataFrame(pd.concat([base, new], ignore_index=True), geometry="geometry", crs="EPSG:4326")
