"""Walking coverage: circles or network isochrones, their union, gaps, bands, catchments.

All functions are pure: GeoDataFrames and settings in, GeoDataFrames and tables out. Work is
done in a metric CRS (the UTM zone of the district, EPSG:32650 for Shantou, or the walking
graph's own CRS in network mode); results keep that CRS and are converted to WGS-84 only when
written.

Two modes behind the same functions:

``circle``
    a disc of radius minutes × speed around each centre (GB 50180-2018's 15-minute life
    circle: 1000 m at the default 4.0 km/h).
``network``
    the real walking area on a street network (:mod:`geo.engine.isochrones`): the union of the reachable
    street segments, including the reachable part of segments cut by the limit, buffered by
    ``buffer_m``. A centre farther than ``max_snap_m`` from every street is reported as
    unreachable and covers nothing; it never fails the run. A centre on a fragment of the
    network (:mod:`geo.engine.components`) is kept and reported (``fragment_centers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.engine import graph as wg
from geo.engine import isochrones, routing
from geo.engine.limits import Range, SettingError
from geo.engine.schema import TIERS
from geo.locale import Msg, Name, text

MODES = ("circle", "network")
MODE_WORDS = {"circle": Msg.of("set.mode_circle"), "network": Msg.of("set.mode_network")}
"""The modes in words (直线距离 / circle)."""
SPEED_PRESETS: dict[str, float] = {"adult": 4.0, "elderly": 3.0}  # km/h; 老年人步行 3.0
DEFAULT_MINUTES = 15.0
GRID_M = 50.0  # resolution of catchment and overlap maps


RANGES: dict[str, Range] = {
    "minutes": Range(0.0, 120.0, "min", low_open=True),
    "speed_kmh": Range(0.0, 20.0, "km/h", low_open=True),
    "buffer_m": Range(0.0, 500.0, "m"),
    "min_gap_m2": Range(0.0, unit="m²"),
    "max_snap_m": Range(0.0, 5000.0, "m", low_open=True),
}
"""The allowed values of every number in :class:`Settings` (NaN and infinities never)."""


class CoverageError(SettingError):
    """Settings or inputs that cannot be analysed (unknown tier, no centres, a number out of range, …).

    ``setting`` names the offending setting when there is one (e.g. ``"minutes"``).
    """


@dataclass(frozen=True)
class Settings:
    """What to compute. ``minutes`` may hold several limits (nested bands)."""

    mode: str = "circle"
    minutes: tuple[float, ...] = (DEFAULT_MINUTES,)
    speed_kmh: float = SPEED_PRESETS["adult"]
    tiers: tuple[str, ...] = TIERS
    buffer_m: float = 30.0
    max_snap_m: float = 200.0
    min_gap_m2: float = 2000.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise CoverageError(Msg.of("set.unknown_mode", mode=repr(self.mode)), setting="mode")
        given = self.minutes if isinstance(self.minutes, (tuple, list, np.ndarray)) else (self.minutes,)
        if len(given) == 0:
            raise CoverageError(Msg.of("set.no_minutes"), setting="minutes")
        mins = tuple(sorted({RANGES["minutes"].check("minutes", m, CoverageError) for m in given}))
        object.__setattr__(self, "minutes", mins)
        for name in ("speed_kmh", "buffer_m", "min_gap_m2", "max_snap_m"):
            object.__setattr__(self, name, RANGES[name].check(name, getattr(self, name), CoverageError))
        tiers = tuple(self.tiers)
        unknown = [t for t in tiers if t not in TIERS]
        if unknown:
            raise CoverageError(Msg.of("set.unknown_tier", tier=repr(unknown[0]), tiers=list(TIERS)), setting="tiers")
        if not tiers:
            raise CoverageError(Msg.of("set.no_tier"), setting="tiers")
        object.__setattr__(self, "tiers", tiers)

    @property
    def limit_minutes(self) -> float:
        """The largest limit (the one gaps and tables refer to)."""
        return self.minutes[-1]

    def reach_m(self, minutes: float | None = None) -> float:
        """Walking distance (m) for a time limit at this speed."""
        return reach_m(self.limit_minutes if minutes is None else minutes, self.speed_kmh)


def reach_m(minutes: float, speed_kmh: float) -> float:
    """Metres walked in ``minutes`` at ``speed_kmh`` (15 min at 4 km/h = 1000 m)."""
    return float(minutes) * float(speed_kmh) * 1000.0 / 60.0


def metric_crs(district: gpd.GeoDataFrame, graph: wg.WalkGraph | None = None):
    """The CRS analysis runs in: the graph's, else the district's UTM zone."""
    if graph is not None:
        return graph.crs
    c = district.to_crs("EPSG:4326").geometry.union_all().centroid
    return _crs.utm_crs(c.x, c.y)


def select_centers(centers: gpd.GeoDataFrame, tiers: Sequence[str]) -> gpd.GeoDataFrame:
    """The centres of the chosen tiers; error when none is left."""
    out = centers[centers["tier"].isin(list(tiers))]
    if len(out) == 0:
        tiers_named = [Name(text(f"tier_{t}", "zh"), t) for t in tiers]  # the zh label, the key as typed in English
        raise CoverageError(Msg.of("set.no_centres_of_tiers", n=len(tiers), tiers=tiers_named))
    return out


# --------------------------------------------------------------------------- per-centre areas


def coverage_areas(centers: gpd.GeoDataFrame, settings: Settings, metric,
                   graph: wg.WalkGraph | None = None) -> gpd.GeoDataFrame:
    """Coverage polygon of every centre for every limit (metric CRS).

    Columns: ``center_id, name, tier, minutes, reachable, geometry``. In network mode a
    centre off the network has ``reachable=False`` and an empty geometry.
    """
    pts = centers.to_crs(metric)
    frames = []
    if settings.mode == "circle":
        for m in settings.minutes:
            geoms = shapely.buffer(np.asarray(pts.geometry.values), settings.reach_m(m), quad_segs=16)
            frames.append(_area_frame(pts, m, geoms, np.ones(len(pts), bool), metric))
    else:
        if graph is None:
            raise CoverageError(Msg.of("set.needs_network"), setting="network")
        snaps = snap_centers(pts, graph, settings.max_snap_m)
        polys = isochrones.isochrones_multi(graph, snaps, [settings.reach_m(m) for m in settings.minutes],
                                         buffer_m=settings.buffer_m)
        for m in settings.minutes:
            geoms = polys[settings.reach_m(m)]
            ok = np.array([g is not None for g in geoms])
            geoms = np.array([g if g is not None else shapely.Polygon() for g in geoms], dtype=object)
            frames.append(_area_frame(pts, m, geoms, ok, metric))
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=metric)


def snap_centers(pts: gpd.GeoDataFrame, graph: wg.WalkGraph, max_snap_m: float) -> wg.Snap:
    """Snap centres (already in the graph's CRS) to the nearest street segment."""
    xy = pts.get_coordinates()
    return wg.snap_points(graph, xy["x"].to_numpy(), xy["y"].to_numpy(), max_distance_m=max_snap_m)


def _area_frame(pts, minutes, geoms, reachable, metric) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "center_id": pts["id"].to_numpy(), "name": pts["name"].to_numpy(),
        "tier": pts["tier"].to_numpy(), "minutes": float(minutes), "reachable": reachable,
    }, geometry=list(geoms), crs=metric)


def union_of(areas: gpd.GeoDataFrame, minutes: float | None = None,
             tiers: Sequence[str] | None = None) -> shapely.Geometry:
    """Union of the coverage polygons (one limit; optionally some tiers only)."""
    sel = areas
    if minutes is not None:
        sel = sel[sel["minutes"] == float(minutes)]
    if tiers is not None:
        sel = sel[sel["tier"].isin(list(tiers))]
    geoms = np.asarray(sel.geometry.values)
    return shapely.union_all(geoms[~shapely.is_empty(geoms)]) if len(geoms) else shapely.Polygon()


def bands(areas: gpd.GeoDataFrame, clip: shapely.Geometry) -> gpd.GeoDataFrame:
    """Nested bands, e.g. 0–5, 5–10, 10–15 minutes, clipped to the district."""
    rows, inner, lower = [], shapely.Polygon(), 0.0
    for m in sorted(areas["minutes"].unique()):
        outer = shapely.intersection(union_of(areas, m), clip)
        rows.append({"minutes_from": lower, "minutes": m, "label": f"{lower:g}–{m:g} 分钟",
                     "geometry": shapely.difference(outer, inner)})
        inner, lower = outer, m
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=areas.crs)


# --------------------------------------------------------------------------- gaps and tables


def find_gaps(district: shapely.Geometry, covered: shapely.Geometry, min_area_m2: float = 2000.0,
              crs=None) -> gpd.GeoDataFrame:
    """Uncovered parts of the district, one row per part, largest first (``area_m2``)."""
    rest = shapely.difference(district, covered)
    parts = shapely.get_parts(rest)
    parts = parts[shapely.get_type_id(parts) == 3] if len(parts) else parts
    area = shapely.area(parts)
    keep = area >= min_area_m2
    gdf = gpd.GeoDataFrame({"area_m2": area[keep]}, geometry=parts[keep], crs=crs)
    gdf = gdf.sort_values("area_m2", ascending=False, kind="stable").reset_index(drop=True)
    gdf.insert(0, "gap_id", np.arange(1, len(gdf) + 1))
    return gdf


def summary_table(streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                  covered: shapely.Geometry) -> pd.DataFrame:
    """Area, covered area and covered % per street and per community (metric inputs).

    When communities carry a ``population`` column, population-weighted coverage is added
    (population assumed evenly spread within each community).
    """
    shapely.prepare(covered)
    frames = []
    for level, gdf in (("street", streets), ("community", communities)):
        geoms = np.asarray(gdf.geometry.values)
        area = shapely.area(geoms)
        cov = shapely.area(shapely.intersection(geoms, covered))
        frames.append(pd.DataFrame({
            "code": gdf["code"].to_numpy(), "name": gdf["name"].to_numpy(), "level": level,
            "street_code": gdf["street_code"].to_numpy() if "street_code" in gdf else gdf["code"].to_numpy(),
            "area_km2": area / 1e6, "covered_km2": cov / 1e6,
            "covered_pct": np.where(area > 0, 100.0 * cov / np.maximum(area, 1e-9), 0.0),
        }))
    table = pd.concat(frames, ignore_index=True)
    if "population" in communities.columns:
        pop = pd.to_numeric(communities["population"], errors="coerce").fillna(0).to_numpy()
        comm = table["level"] == "community"
        share = table.loc[comm, "covered_km2"].to_numpy() / np.maximum(table.loc[comm, "area_km2"].to_numpy(), 1e-12)
        table.loc[comm, "population"] = pop
        table.loc[comm, "covered_population"] = pop * share
        by_street = table[comm].groupby("street_code")[["population", "covered_population"]].sum()
        st = table["level"] == "street"
        table.loc[st, "population"] = table.loc[st, "code"].map(by_street["population"]).fillna(0).to_numpy()
        covered = by_street["covered_population"]
        table.loc[st, "covered_population"] = table.loc[st, "code"].map(covered).fillna(0).to_numpy()
        table["covered_pop_pct"] = (
            100.0 * table["covered_population"] / table["population"].where(table["population"] > 0)
        )
    return table


# --------------------------------------------------------------------------- catchments, overlap


def _grid(district: shapely.Geometry, cell_m: float):
    minx, miny, maxx, maxy = district.bounds
    xs = np.arange(minx + cell_m / 2, maxx, cell_m)
    ys = np.arange(miny + cell_m / 2, maxy, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(district, gx, gy)
    return gx[inside], gy[inside]


def _cells_to_polygons(gx, gy, labels, cell_m, clip, crs, name) -> gpd.GeoDataFrame:
    h = cell_m / 2
    boxes = shapely.box(gx - h, gy - h, gx + h, gy + h)
    gdf = gpd.GeoDataFrame({name: labels}, geometry=boxes, crs=crs)
    out = gdf.dissolve(by=name, method="coverage").reset_index()
    out["geometry"] = shapely.intersection(np.asarray(out.geometry.values), clip)
    return out


def catchments(
    centers: gpd.GeoDataFrame,
    district: shapely.Geometry,
    settings: Settings,
    metric,
    graph: wg.WalkGraph | None = None,
    communities: gpd.GeoDataFrame | None = None,
    cell_m: float = GRID_M,
) -> gpd.GeoDataFrame:
    """Each reachable part of the district assigned to its nearest centre, with the area served.

    Circle mode is exact: Voronoi cells of the centres clipped to each centre's circle. Network
    mode evaluates a ``cell_m`` grid: each cell's centre walks to the street and on to its
    nearest centre. ``population`` served is added when communities carry it.
    """
    pts = centers.to_crs(metric)
    limit = settings.reach_m()
    if settings.mode == "circle":
        xy = np.asarray(pts.geometry.values)
        env = shapely.box(*shapely.buffer(district, limit).bounds)
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(list(xy)), extend_to=env, ordered=True))
        geoms = shapely.intersection(shapely.intersection(cells, shapely.buffer(xy, limit, quad_segs=16)), district)
        out = gpd.GeoDataFrame(
            {"center_id": pts["id"].to_numpy(), "name": pts["name"].to_numpy(), "tier": pts["tier"].to_numpy()},
            geometry=geoms,
            crs=metric,
        )
    else:
        if graph is None:
            raise CoverageError(Msg.of("set.needs_network"), setting="network")
        gx, gy = _grid(district, cell_m)
        src = snap_centers(pts, graph, settings.max_snap_m)
        q = wg.snap_points(graph, gx, gy, max_distance_m=settings.max_snap_m, toward=src)
        dist, who = routing.distance_to_nearest(graph, src, q)
        ok = np.isfinite(dist) & (dist <= limit) & (who >= 0)
        poly = _cells_to_polygons(gx[ok], gy[ok], who[ok], cell_m, district, metric, "source")
        out = gpd.GeoDataFrame(
            {"center_id": pts["id"].to_numpy(), "name": pts["name"].to_numpy(), "tier": pts["tier"].to_numpy()},
            geometry=[shapely.Polygon()] * len(pts),
            crs=metric,
        )
        out.loc[poly["source"].to_numpy(), "geometry"] = poly.geometry.to_numpy()
    out["area_km2"] = out.area / 1e6
    if communities is not None and "population" in communities.columns:
        cm = communities.to_crs(metric)
        dens = pd.to_numeric(cm["population"], errors="coerce").fillna(0).to_numpy() / cm.area.to_numpy()
        inter = gpd.overlay(out[["center_id", "geometry"]], cm[["geometry"]].assign(d=dens), how="intersection")
        served = (inter.area * inter["d"]).groupby(inter["center_id"]).sum()
        out["population"] = out["center_id"].map(served).fillna(0.0)
    return out


def overlap_count(
    areas: gpd.GeoDataFrame, district: shapely.Geometry, minutes: float | None = None, cell_m: float = GRID_M
) -> gpd.GeoDataFrame:
    """How many centres reach each place within the limit (``count``), on a ``cell_m`` grid."""
    sel = areas if minutes is None else areas[areas["minutes"] == float(minutes)]
    gx, gy = _grid(district, cell_m)
    tree = shapely.STRtree(np.asarray(sel.geometry.values))
    pt_idx, _ = tree.query(shapely.points(gx, gy), predicate="within")
    count = np.bincount(pt_idx, minlength=len(gx))
    return _cells_to_polygons(gx, gy, count, cell_m, district, areas.crs, "count")


# --------------------------------------------------------------------------- the whole analysis


@dataclass
class CoverageResult:
    """Everything the app, the command line and the exports show, in one metric CRS."""

    settings: Settings
    crs: object
    district: shapely.Geometry
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    centers: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    covered: shapely.Geometry
    gaps: gpd.GeoDataFrame
    summary: pd.DataFrame
    by_minutes: dict[float, float] = field(default_factory=dict)  # minutes -> covered %
    graph: wg.WalkGraph | None = None  # the walking network used in network mode
    place: dict[str, str] = field(default_factory=dict)  # the outline's attributes: code, name[, name_en]

    @property
    def district_area_km2(self) -> float:
        return self.district.area / 1e6

    @property
    def covered_pct(self) -> float:
        return 100.0 * shapely.intersection(self.covered, self.district).area / self.district.area

    @property
    def unreachable(self) -> gpd.GeoDataFrame:
        """Centres that are farther than the snapping limit from every street."""
        a = self.areas[self.areas["minutes"] == self.settings.limit_minutes]
        return a[~a["reachable"]]

    @property
    def fragment_centers(self) -> gpd.GeoDataFrame:
        """Centres (network mode) whose nearest street within the limit is a fragment of the
        network, a piece joined to no main street: their walks stay on that piece."""
        if self.graph is None or len(self.centers) == 0:
            return self.centers.iloc[:0]
        snap = snap_centers(self.centers.to_crs(self.graph.crs), self.graph, self.settings.max_snap_m)
        return self.centers[self.graph.on_fragment(snap)]

    def headline(self) -> dict:
        """The figures ``python -m geo coverage --json`` prints."""
        return {
            "district_area_km2": round(self.district_area_km2, 3),
            "covered_pct": round(self.covered_pct, 2),
            "n_centers": len(self.centers),
            "n_gaps": len(self.gaps),
        }


def analyse(
    district: gpd.GeoDataFrame,
    streets: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    centers: gpd.GeoDataFrame,
    settings: Settings = Settings(),
    graph: wg.WalkGraph | None = None,
) -> CoverageResult:
    """Coverage, gaps and the per-street/community table for the chosen centres."""
    if settings.mode == "network" and graph is None:
        raise CoverageError(Msg.of("set.needs_network"), setting="network")
    metric = metric_crs(district, graph if settings.mode == "network" else None)
    chosen = select_centers(centers, settings.tiers)
    dist_geom = district.to_crs(metric).geometry.union_all()
    st = streets.to_crs(metric)
    cm = communities.to_crs(metric)
    areas = coverage_areas(chosen, settings, metric, graph)
    by_min = {}
    covered = shapely.Polygon()
    for m in settings.minutes:
        covered = union_of(areas, m)
        by_min[m] = 100.0 * shapely.intersection(covered, dist_geom).area / dist_geom.area
    gaps = find_gaps(dist_geom, covered, settings.min_gap_m2, crs=metric)
    summary = summary_table(st, cm, covered)
    return CoverageResult(
        settings,
        metric,
        dist_geom,
        st,
        cm,
        chosen.to_crs(metric),
        areas,
        covered,
        gaps,
        summary,
        by_min,
        graph if settings.mode == "network" else None,
        {c: str(district[c].iat[0]) for c in ("code", "name", "name_en") if c in district.columns},
    )


def gap_communities(result: CoverageResult, top: int | None = None) -> pd.DataFrame:
    """The gaps with the names of the communities each one touches (largest first)."""
    gaps = result.gaps if top is None else result.gaps.head(top)
    if len(gaps) == 0:
        return pd.DataFrame(columns=["gap_id", "area_m2", "communities", "streets"])
    hit = gpd.sjoin(
        gaps[["gap_id", "area_m2", "geometry"]],
        result.communities[["name", "street_code", "geometry"]],
        predicate="intersects",
    )
    street_names = result.streets.set_index("code")["name"]
    agg = hit.groupby("gap_id").agg(
        communities=("name", lambda s: "、".join(sorted(set(s)))),
        streets=("street_code", lambda s: "、".join(sorted({street_names.get(c, c) for c in s}))),
    )
    out = gaps[["gap_id", "area_m2"]].join(agg, on="gap_id")
    return out.fillna("")
