"""The residential life circle (GB 50180-2018): every daily service, for every community.

For every community and every facility category of a :class:`Catalogue` (kindergarten within
300 m, primary school within 500 m, middle school within 1000 m …): the share of the
community's area -- and of its residents, spread evenly over it -- within the category's
walking limit of a facility of that category, and the distance and walking time from the
community's centroid to the nearest one. Per community: which required categories of each
circle level (5, 10, 15 minutes) it reaches and which are missing. A grid of how many
categories each place reaches, for a heat map, and district totals.

Two modes, as in :mod:`geo.engine.coverage`:

``circle``
    straight-line distance: a KD-tree per category for the nearest distances, the exact area
    of the community inside the union of the facilities' discs for the shares.
``network``
    walking distance on a :class:`~geo.engine.graph.WalkGraph`: one multi-source Dijkstra pass
    per category (:func:`geo.engine.routing.nearest_source`) answers every node; centroids and
    grid cells walk to the street (``access``) and on to the nearest facility. A community's
    share is the share of its grid cells within the limit.

A community *reaches* a category when its centroid is within the category's limit. Limits
come from the catalogue (``basis="distance"``, GB 50180-2018's walking distances), or from the
circle's minutes at the walking speed (``basis="time"``: 15 minutes at 3 km/h is 750 m).

Pure: GeoDataFrames and a catalogue in, tables and GeoDataFrames out; reading the catalogue
and the facilities is :mod:`geo.io.catalogue` and :mod:`geo.io.facilities`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.engine import crs as _crs
from geo.engine import graph as wg
from geo.engine import routing
from geo.engine.limits import Range, SettingError
from geo.locale import Msg, Name

LEVELS: tuple[int, ...] = (5, 10, 15)
"""The circle levels (minutes) of GB 50180-2018's residential life circle."""
MODES = ("circle", "network")
BASES = ("distance", "time")
SPEEDS: dict[str, float] = {"adult": 4.0, "elderly": 3.0}
"""Walking speeds (km/h): adults, and the elderly (老年人步行)."""
MAX_LIMIT_M = 5000.0

RANGES: dict[str, Range] = {
    "speed_kmh": Range(0.0, 20.0, "km/h", low_open=True),
    "max_snap_m": Range(0.0, 5000.0, "m", low_open=True),
    "cell_m": Range(10.0, 500.0, "m"),
    "limit_m": Range(0.0, MAX_LIMIT_M, "m", low_open=True),
}
"""The allowed values of every number in :class:`Settings` and of a category's ``limit_m``."""


class LifeCircleError(SettingError):
    """Settings or inputs that cannot be analysed; ``setting`` names the setting when there is one."""


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Category:
    """One kind of facility: its circle level, walking limit, names, and how to recognise it."""

    key: str
    name_zh: str
    name_en: str
    level: int
    limit_m: float
    source: str = ""
    limit_source: str = ""
    required: bool = True
    aliases: tuple[str, ...] = ()
    amap_typecodes: tuple[str, ...] = ()
    amap_types: tuple[str, ...] = ()
    amap_names: tuple[str, ...] = ()
    osm_tags: tuple[str, ...] = ()
    osm_names: tuple[str, ...] = ()

    def name(self, lang: str = "zh") -> str:
        """The category's name in ``lang`` (``zh`` or ``en``)."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Catalogue:
    """The facility categories a life circle must offer (read by :mod:`geo.io.catalogue`)."""

    categories: tuple[Category, ...]
    levels: dict[int, float] = field(default_factory=lambda: {5: 300.0, 10: 500.0, 15: 1000.0})
    title_zh: str = ""
    title_en: str = ""
    source: str = ""
    """Where the catalogue was read from (file name), for messages and exports."""

    def __post_init__(self) -> None:
        if not self.categories:
            raise LifeCircleError(Msg.of("set.catalogue_empty"))
        keys = [c.key for c in self.categories]
        if len(set(keys)) != len(keys):
            raise LifeCircleError(Msg.of("set.catalogue_repeats", keys=sorted({k for k in keys if keys.count(k) > 1})))

    @property
    def keys(self) -> list[str]:
        """Category keys, in catalogue order."""
        return [c.key for c in self.categories]

    def get(self, key: str) -> Category:
        """The category with ``key``; :class:`LifeCircleError` when there is none."""
        for c in self.categories:
            if c.key == key:
                return c
        raise LifeCircleError(Msg.of("set.no_category", category=repr(key), keys=self.keys))

    def select(self, keys: list[str] | tuple[str, ...] | None) -> Catalogue:
        """The catalogue restricted to ``keys`` (all when None)."""
        if keys is None:
            return self
        chosen = tuple(self.get(k) for k in keys)
        return Catalogue(chosen, self.levels, self.title_zh, self.title_en, self.source)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """How to measure: mode, walking speed, what the limits are, snapping, grid cell."""

    mode: str = "circle"
    speed_kmh: float = SPEEDS["adult"]
    basis: str = "distance"
    max_snap_m: float = 200.0
    cell_m: float = 50.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise LifeCircleError(Msg.of("set.unknown_mode", mode=repr(self.mode)), setting="mode")
        if self.basis not in BASES:
            raise LifeCircleError(Msg.of("set.unknown_basis", basis=repr(self.basis)), setting="basis")
        for name in ("speed_kmh", "max_snap_m", "cell_m"):
            object.__setattr__(self, name, RANGES[name].check(name, getattr(self, name), LifeCircleError))

    @property
    def metres_per_minute(self) -> float:
        """Metres walked in a minute at :attr:`speed_kmh`."""
        return self.speed_kmh * 1000.0 / 60.0

    def limit_m(self, category: Category) -> float:
        """The walking limit of a category: its ``limit_m``, or its level's minutes at the speed."""
        if self.basis == "time":
            return float(category.level) * self.metres_per_minute
        return float(category.limit_m)


# --------------------------------------------------------------------------- distances


@dataclass
class _Places:
    """The places distances are measured from: community centroids and grid cells (metric)."""

    cx: np.ndarray
    cy: np.ndarray
    gx: np.ndarray
    gy: np.ndarray
    owner: np.ndarray
    """Community index of each grid cell."""
    centroid_snap: wg.Snap | None = None
    grid_snap: wg.Snap | None = None


def grid_cells(geoms: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres of a ``cell_m`` grid inside the polygons: ``(x, y, index of the polygon)``."""
    if len(geoms) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, np.int64)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    xs = np.arange(np.floor(minx / cell_m) * cell_m + cell_m / 2, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m + cell_m / 2, maxy, cell_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    tree = shapely.STRtree(geoms)
    pt, poly = tree.query(shapely.points(gx, gy), predicate="within")
    first = np.unique(pt, return_index=True)[1]  # a point on a shared edge goes to one polygon
    pt, poly = pt[first], poly[first]
    return gx[pt], gy[pt], poly.astype(np.int64)


def _places(geoms: np.ndarray, settings: Settings, graph: wg.WalkGraph | None) -> _Places:
    cent = shapely.centroid(geoms)
    cx, cy = shapely.get_x(cent), shapely.get_y(cent)
    gx, gy, owner = grid_cells(geoms, settings.cell_m)
    places = _Places(cx, cy, gx, gy, owner)
    if graph is not None:
        places.centroid_snap = wg.snap_points(graph, cx, cy, max_distance_m=settings.max_snap_m)
        places.grid_snap = wg.snap_points(graph, gx, gy, max_distance_m=settings.max_snap_m)
    return places


def circle_nearest(fx: np.ndarray, fy: np.ndarray, qx: np.ndarray, qy: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line distance from each query point to the nearest facility (inf when none) and
    that facility's index (-1 when none)."""
    if len(fx) == 0:
        return np.full(len(qx), np.inf), np.full(len(qx), -1, np.int64)
    d, i = cKDTree(np.column_stack([fx, fy])).query(np.column_stack([qx, qy]), k=1)
    return np.asarray(d, float), np.asarray(i, np.int64)


def circle_distances(fx: np.ndarray, fy: np.ndarray, qx: np.ndarray, qy: np.ndarray) -> np.ndarray:
    """Straight-line distance from each query point to the nearest facility (inf when none)."""
    return circle_nearest(fx, fy, qx, qy)[0]


def network_distances(graph: wg.WalkGraph, fx: np.ndarray, fy: np.ndarray, queries: list[wg.Snap],
                      max_snap_m: float) -> tuple[list[tuple[np.ndarray, np.ndarray]], int, int]:
    """Walking distance from each snapped query point to the nearest facility and that facility's
    index (-1 when none), for each list of queries, after one multi-source pass; how many
    facilities are off the network, and how many on a fragment of it. When a facility lies on a
    fragment, the queries are snapped again toward the facilities (the one rule of
    :func:`wg.snap_points`)."""
    src = wg.snap_points(graph, fx, fy, max_distance_m=max_snap_m)
    on_fragment = int(graph.on_fragment(src).sum())
    if on_fragment:
        queries = [wg.snap_points(graph, q.px, q.py, max_distance_m=max_snap_m, toward=src) for q in queries]
    nearest = routing.nearest_source(graph, src)
    out = [routing.distance_to_nearest(graph, src, q, nearest) for q in queries]
    return out, int((~src.reachable).sum()), on_fragment


def circle_shares(geoms: np.ndarray, fx: np.ndarray, fy: np.ndarray, limit_m: float) -> np.ndarray:
    """Exact share (0-1) of each polygon's area within ``limit_m`` of a facility (straight line)."""
    area = shapely.area(geoms)
    if len(fx) == 0:
        return np.zeros(len(geoms))
    discs = shapely.buffer(shapely.points(fx, fy), limit_m, quad_segs=32)
    near = np.unique(shapely.STRtree(geoms).query(discs, predicate="intersects")[0])
    reach = shapely.union_all(discs[near])  # only the discs that touch a community
    covered = shapely.area(shapely.intersection(geoms, reach))
    return np.divide(covered, area, out=np.zeros(len(geoms)), where=area > 0)


def grid_shares(within: np.ndarray, owner: np.ndarray, n: int, fallback: np.ndarray) -> np.ndarray:
    """Share (0-1) of each community's grid cells that are ``within``; ``fallback`` (0/1) for a
    community too small to hold a cell centre."""
    cells = np.bincount(owner, minlength=n)
    hit = np.bincount(owner, weights=within.astype(float), minlength=n)
    return np.where(cells > 0, hit / np.maximum(cells, 1), fallback.astype(float))


# --------------------------------------------------------------------------- the analysis


@dataclass
class LifeCircleResult:
    """Everything the command line, the brief and the app show, in one metric CRS."""

    settings: Settings
    catalogue: Catalogue
    crs: object
    table: pd.DataFrame
    """One row per community and category (:data:`TABLE_COLUMNS`)."""
    communities: gpd.GeoDataFrame
    """One row per community: reached and missing categories per level, ``fully_served``."""
    categories: pd.DataFrame
    """District totals per category."""
    grid: gpd.GeoDataFrame
    """Areas by how many categories they reach (``count``), from the ``cell_m`` grid."""
    notes: list[Msg] = field(default_factory=list)
    """What the reader should know (facilities off the streets or on a fragment), as messages."""

    def headline(self) -> dict:
        """The figures ``python -m geo lifecircle --json`` prints."""
        return {"communities": int(len(self.communities)), "categories": int(len(self.categories)),
                "fully_served_communities": int(self.communities["fully_served"].sum()),
                "covered_pct_by_category": {r.category: round(float(r.covered_pct), 2)
                                            for r in self.categories.itertuples()}}


TABLE_COLUMNS = ["code", "name", "street_code", "category", "category_key", "category_en", "level", "limit_m",
                 "covered_pct", "nearest_m", "nearest_minutes", "nearest_name", "reached", "population",
                 "population_covered", "population_out"]


def metric_crs(communities: gpd.GeoDataFrame, graph: wg.WalkGraph | None = None):
    """The CRS the analysis runs in: the graph's, else the communities' UTM zone."""
    if graph is not None:
        return graph.crs
    c = communities.to_crs("EPSG:4326").geometry.union_all().centroid
    return _crs.utm_crs(c.x, c.y)


def _check_inputs(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, settings: Settings,
                  graph: wg.WalkGraph | None) -> None:
    if settings.mode == "network" and graph is None:
        raise LifeCircleError(Msg.of("set.needs_network"), setting="network")
    if len(communities) == 0:
        raise LifeCircleError(Msg.of("set.no_communities"))
    missing = [c for c in ("code", "name") if c not in communities.columns]
    if missing:
        raise LifeCircleError(Msg.of("set.communities_no_column", n=len(missing), columns=missing))
    if communities.crs is None or facilities.crs is None:
        raise LifeCircleError(Msg.of("set.no_crs"))
    if "category" not in facilities.columns:
        raise LifeCircleError(Msg.of("set.facilities_no_category"))


def _population(communities: gpd.GeoDataFrame) -> np.ndarray | None:
    if "population" not in communities.columns:
        return None
    return pd.to_numeric(communities["population"], errors="coerce").fillna(0.0).to_numpy(float)


def _measure(cat: Category, limit: float, fac: gpd.GeoDataFrame, geoms: np.ndarray, places: _Places,
             settings: Settings, graph: wg.WalkGraph | None, notes: list[Msg]) -> tuple[np.ndarray, ...]:
    """(centroid distance, the nearest facility's name, area share, grid distance) of one
    category: one pass over its facilities."""
    pts = fac[fac["category"] == cat.key]
    fx, fy = shapely.get_x(np.asarray(pts.geometry.values)), shapely.get_y(np.asarray(pts.geometry.values))
    if settings.mode == "circle":
        near, which = circle_nearest(fx, fy, places.cx, places.cy)
        cells = circle_distances(fx, fy, places.gx, places.gy)
        return near, _facility_names(pts, which), circle_shares(geoms, fx, fy, limit), cells
    ((near, which), (cells, _)), off, stray = network_distances(
        graph, fx, fy, [places.centroid_snap, places.grid_snap], settings.max_snap_m)
    name = Name(cat.name_zh, cat.name_en)
    if off:
        notes.append(Msg.of("set.note_off_street", n=off, category=name, m=f"{settings.max_snap_m:g}"))
    if stray:
        notes.append(Msg.of("set.note_on_fragment", n=stray, category=name))
    share = grid_shares(cells <= limit, places.owner, len(geoms), near <= limit)
    return near, _facility_names(pts, which), share, cells


def _facility_names(pts: gpd.GeoDataFrame, which: np.ndarray) -> np.ndarray:
    """The name of facility ``which[i]`` of ``pts`` ('' for -1 or a facility without a name)."""
    names = pts["name"].fillna("").astype(str).to_numpy() if "name" in pts.columns else np.full(len(pts), "")
    return np.where(which >= 0, np.append(names, "")[which], "")


def analyse(communities: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, catalogue: Catalogue,
            settings: Settings = Settings(), graph: wg.WalkGraph | None = None) -> LifeCircleResult:
    """The life circle of every community for every category of the catalogue.

    ``communities``: polygons with ``code``, ``name`` (``street_code`` and ``population``
    when known); ``facilities``: points with ``category`` = a catalogue key (others are
    ignored). In network mode ``graph`` is required.
    """
    _check_inputs(communities, facilities, settings, graph)
    metric = metric_crs(communities, graph if settings.mode == "network" else None)
    cm = communities.to_crs(metric).reset_index(drop=True)
    fac = facilities.to_crs(metric)
    geoms = np.asarray(cm.geometry.values)
    places = _places(geoms, settings, graph if settings.mode == "network" else None)
    notes: list[Msg] = []
    frames, counts = [], np.zeros(len(places.gx), np.int64)
    for cat in catalogue.categories:
        limit = settings.limit_m(cat)
        near, name, share, cells = _measure(cat, limit, fac, geoms, places, settings, graph, notes)
        counts += cells <= limit
        frames.append(_category_rows(cm, cat, limit, near, share, settings).assign(nearest_name=name))
    table = pd.concat(frames, ignore_index=True)[TABLE_COLUMNS]
    summary = community_summary(cm, table, catalogue)
    totals = category_totals(table, cm, fac, catalogue, settings)
    grid = reach_grid(places.gx, places.gy, counts, len(catalogue.categories), settings.cell_m, geoms, metric)
    return LifeCircleResult(settings, catalogue, metric, table, summary, totals, grid, notes)


def _category_rows(cm: gpd.GeoDataFrame, cat: Category, limit: float, near: np.ndarray, share: np.ndarray,
                   settings: Settings) -> pd.DataFrame:
    pop = _population(cm)
    n = len(cm)
    near = np.where(np.isfinite(near), near, np.nan)
    return pd.DataFrame({
        "code": cm["code"].astype(str).to_numpy(), "name": cm["name"].to_numpy(),
        "street_code": cm["street_code"].astype(str).to_numpy() if "street_code" in cm else np.full(n, ""),
        "category": cat.name_zh, "category_key": cat.key, "category_en": cat.name_en, "level": cat.level,
        "limit_m": limit, "covered_pct": 100.0 * share, "nearest_m": near,
        "nearest_minutes": near / settings.metres_per_minute, "reached": near <= limit,
        "population": pop if pop is not None else np.nan,
        "population_covered": pop * share if pop is not None else np.nan,
        "population_out": pop * (1.0 - share) if pop is not None else np.nan,
    })


# --------------------------------------------------------------------------- tables


def _names(keys: pd.Series, mask: pd.Series) -> pd.Series:
    """The 、-joined category names of each community where ``mask`` holds."""
    return keys.where(mask).groupby(level=0).agg(lambda s: "、".join(s.dropna()))


def community_summary(cm: gpd.GeoDataFrame, table: pd.DataFrame, catalogue: Catalogue) -> gpd.GeoDataFrame:
    """Per community: required, reached and missing categories for each level and in all;
    ``fully_served`` when every required category is reached (metric CRS, the polygons kept)."""
    required = {c.key for c in catalogue.categories if c.required}
    t = table[table["category_key"].isin(required)].copy()
    t["row"] = pd.Categorical(t["code"], categories=cm["code"].astype(str).unique()).codes
    t = t.set_index("row")
    out = pd.DataFrame({"code": cm["code"].astype(str).to_numpy(), "name": cm["name"].to_numpy()})
    if "street_code" in cm:
        out["street_code"] = cm["street_code"].astype(str).to_numpy()
    pop = _population(cm)
    if pop is not None:
        out["population"] = pop
    for level in LEVELS + (None,):
        sel = t if level is None else t[t["level"] == level]
        tag = "" if level is None else f"_{level}"
        out[f"required{tag}"] = sel.groupby(level=0).size().reindex(out.index, fill_value=0).to_numpy()
        out[f"reached{tag}"] = sel["reached"].groupby(level=0).sum().reindex(out.index, fill_value=0).to_numpy()
        out[f"missing{tag}"] = _names(sel["category"], ~sel["reached"]).reindex(out.index, fill_value="").to_numpy()
        out[f"served{tag}"] = out[f"reached{tag}"] == out[f"required{tag}"]
    out = out.rename(columns={"served": "fully_served"})
    out["n_missing"] = out["required"] - out["reached"]
    return gpd.GeoDataFrame(out, geometry=np.asarray(cm.geometry.values), crs=cm.crs)


def category_totals(table: pd.DataFrame, cm: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, catalogue: Catalogue,
                    settings: Settings) -> pd.DataFrame:
    """District totals per category: facilities, area and residents within the limit, and the
    communities that reach it and that do not."""
    area = np.tile(shapely.area(np.asarray(cm.geometry.values)), len(catalogue.categories))
    t = table.assign(area=area, covered_area=area * table["covered_pct"].to_numpy() / 100.0)
    g = t.groupby("category_key", sort=False)
    out = pd.DataFrame({
        "category": g["category"].first(), "category_en": g["category_en"].first(), "level": g["level"].first(),
        "limit_m": g["limit_m"].first(),
        "facilities": fac["category"].value_counts().reindex(g.size().index, fill_value=0) if len(fac)
        else 0,
        "covered_pct": 100.0 * g["covered_area"].sum() / g["area"].sum().where(g["area"].sum() > 0),
        "communities_reached": g["reached"].sum(), "communities_missing": g["reached"].size() - g["reached"].sum(),
    })
    if _population(cm) is not None:
        pop = g["population"].sum()
        out["population"] = pop
        out["population_out"] = g["population_out"].sum()
        out["covered_pop_pct"] = 100.0 * g["population_covered"].sum() / pop.where(pop > 0)
    out["mode"] = settings.mode
    out["speed_kmh"] = settings.speed_kmh
    return out.reset_index(names="category_key")


def reach_grid(gx: np.ndarray, gy: np.ndarray, counts: np.ndarray, n_categories: int, cell_m: float,
               geoms: np.ndarray, crs) -> gpd.GeoDataFrame:
    """The grid cells dissolved by how many categories they reach (``count``, ``share_pct``),
    clipped to the communities."""
    h = cell_m / 2
    boxes = shapely.box(gx - h, gy - h, gx + h, gy + h)
    values = np.unique(counts)
    clip = shapely.union_all(geoms) if len(geoms) else shapely.Polygon()
    parts = [shapely.intersection(shapely.coverage_union_all(boxes[counts == v]), clip) for v in values]
    return gpd.GeoDataFrame({"count": values.astype(int), "n_categories": n_categories,
                             "share_pct": 100.0 * values / max(n_categories, 1)},
                            geometry=parts, crs=crs)


def street_summary(result: LifeCircleResult, streets: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Per street: communities, and how many are fully served at each level and in all."""
    c = result.communities
    if "street_code" not in c:
        c = c.assign(street_code="")
    cols = {f"served_{lv}": (f"served_{lv}", "sum") for lv in LEVELS}
    out = c.groupby("street_code", sort=True).agg(communities=("code", "size"), **cols,
                                                  fully_served=("fully_served", "sum")).reset_index()
    names = dict(zip(streets["code"].astype(str), streets["name"])) if streets is not None else {}
    out.insert(1, "street", out["street_code"].astype(str).replace(names))
    return out


def worst_communities(result: LifeCircleResult, top: int = 5) -> pd.DataFrame:
    """The ``top`` communities missing the most required categories (then most residents out)."""
    c = pd.DataFrame(result.communities.drop(columns="geometry"))
    keys = ["n_missing"] + (["population"] if "population" in c else [])
    c = c.sort_values(keys + ["code"], ascending=[False] * len(keys) + [True], kind="stable")
    return c[c["n_missing"] > 0].head(top).reset_index(drop=True)


def nearest_by_category(facilities: gpd.GeoDataFrame, lon: float, lat: float, catalogue: Catalogue,
                        speed_kmh: float = SPEEDS["adult"]) -> pd.DataFrame:
    """For a resident at (``lon``, ``lat``, WGS-84): the nearest facility of each category, straight line.

    One row per category of the catalogue, in its order: ``category_key, category, category_en,
    level, limit_m, name, distance_m, minutes, within`` (``name`` empty and ``distance_m`` inf when
    the category has no facility).
    """
    speed = RANGES["speed_kmh"].check("speed_kmh", speed_kmh, LifeCircleError)
    point = gpd.GeoSeries(gpd.points_from_xy([lon], [lat]), crs="EPSG:4326")
    metric = _crs.utm_crs(float(lon), float(lat))
    q = point.to_crs(metric).iat[0]
    fac = facilities.to_crs(metric)
    fx, fy = shapely.get_x(np.asarray(fac.geometry.values)), shapely.get_y(np.asarray(fac.geometry.values))
    rows = []
    for cat in catalogue.categories:
        sel = np.flatnonzero(fac["category"].to_numpy() == cat.key)
        d = np.hypot(fx[sel] - q.x, fy[sel] - q.y)
        best = int(sel[np.argmin(d)]) if len(sel) else -1
        dist = float(d.min()) if len(sel) else np.inf
        rows.append({"category_key": cat.key, "category": cat.name_zh, "category_en": cat.name_en,
                     "level": cat.level, "limit_m": cat.limit_m,
                     "name": str(fac["name"].iat[best]) if best >= 0 else "", "distance_m": dist,
                     "minutes": dist / (speed * 1000.0 / 60.0), "within": dist <= cat.limit_m})
    return pd.DataFrame(rows)
