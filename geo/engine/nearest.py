"""Which centre is nearest to a resident, how far, and which way.

Circle mode measures the straight line (the circle model's own distance). Network mode snaps
the point to the nearest street segment, counts that access walk, and walks the street
network: one single-source search from the point answers every centre at once (the graph is
undirected, so the distance from the point to a centre equals the centre's distance to the
point), and the route to the nearest centre is returned as a line.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import coverage, routing
from geo.engine import crs as _crs
from geo.engine import graph as wg
from geo.engine.limits import Range
from geo.locale import Msg

COLUMNS = ["id", "name", "tier", "distance_m", "minutes"]
RANGES: dict[str, Range] = {
    "k": Range(1, 50, integer=True),
    "lon": Range(-180.0, 180.0, "°"),
    "lat": Range(-90.0, 90.0, "°"),
    "speed_kmh": coverage.RANGES["speed_kmh"],
    "max_snap_m": coverage.RANGES["max_snap_m"],
}
"""The allowed values of :func:`nearest_centers`' numbers (speed and snapping as in coverage)."""


@dataclass
class NearestResult:
    """The k nearest centres and, in network mode, the way to the first one (WGS-84)."""

    table: pd.DataFrame              # id, name, tier, distance_m, minutes (sorted by minutes)
    point: shapely.Point             # the query point, WGS-84
    snapped: shapely.Point | None    # where the walk joins the street network
    access_m: float | None           # straight walk from the point to the street
    route: shapely.LineString | None  # WGS-84 line to the nearest centre (network mode)
    inside_district: bool
    message: Msg | None = None       # the problem, e.g. too far from any street (``set.nearest_*``)


def nearest_centers(centers: gpd.GeoDataFrame, lon: float, lat: float, *, crs: str = "wgs84",
                    k: int = 3, speed_kmh: float = 4.0, mode: str = "circle",
                    graph: wg.WalkGraph | None = None, max_snap_m: float = 200.0,
                    district: gpd.GeoDataFrame | None = None) -> NearestResult:
    """The ``k`` nearest centres to a point given in WGS-84, GCJ-02 or BD-09.

    Returns a :class:`NearestResult`; when the point is farther than ``max_snap_m`` from
    every street (network mode) the table is empty and ``message`` says why. Numbers out of
    range (:data:`RANGES`) raise :class:`~geo.engine.coverage.CoverageError` naming them.
    """
    lon, lat, k, speed_kmh, max_snap_m = check_arguments(lon, lat, k, speed_kmh, max_snap_m)
    if len(centers) == 0:
        raise coverage.CoverageError(Msg.of("set.no_centres"))
    lon_w, lat_w = (float(v) for v in _crs.convert(lon, lat, crs, "wgs84"))
    if not (-180 <= lon_w <= 180 and -90 <= lat_w <= 90):
        raise coverage.CoverageError(Msg.of("set.coords_out_of_range", lon=f"{lon:.15g}", lat=f"{lat:.15g}"))
    point = shapely.Point(lon_w, lat_w)
    inside = True
    if district is not None:
        inside = bool(district.to_crs("EPSG:4326").geometry.union_all().covers(point))
    if mode == "network":
        if graph is None:
            raise coverage.CoverageError(Msg.of("set.needs_network"), setting="network")
        return _network_nearest(centers, point, k, speed_kmh, graph, max_snap_m, inside)
    metric = _crs.utm_crs(lon_w, lat_w)
    pts = centers.to_crs(metric)
    here = gpd.GeoSeries([point], crs="EPSG:4326").to_crs(metric).iloc[0]
    dist = shapely.distance(np.asarray(pts.geometry.values), here)
    table = _table(centers, dist, speed_kmh, k)
    return NearestResult(table, point, None, None, None, inside)


def check_arguments(lon: float, lat: float, k: int, speed_kmh: float = 4.0, max_snap_m: float = 200.0
                    ) -> tuple[float, float, int, float, float]:
    """The query's numbers checked against :data:`RANGES`: ``(lon, lat, k, speed_kmh, max_snap_m)``.

    Raises :class:`~geo.engine.coverage.CoverageError` whose ``setting`` names the first bad one.
    """
    values = {"lon": lon, "lat": lat, "k": k, "speed_kmh": speed_kmh, "max_snap_m": max_snap_m}
    checked = {name: RANGES[name].check(name, v, coverage.CoverageError) for name, v in values.items()}
    return checked["lon"], checked["lat"], checked["k"], checked["speed_kmh"], checked["max_snap_m"]


def _table(centers: gpd.GeoDataFrame, dist: np.ndarray, speed_kmh: float, k: int) -> pd.DataFrame:
    order = np.argsort(dist, kind="stable")
    order = order[np.isfinite(dist[order])][:k]
    t = centers.iloc[order][["id", "name", "tier"]].reset_index(drop=True)
    t["distance_m"] = np.round(dist[order], 1)
    t["minutes"] = np.round(dist[order] / (speed_kmh * 1000.0 / 60.0), 2)
    return t


def _network_nearest(centers, point, k, speed_kmh, graph, max_snap_m, inside) -> NearestResult:
    cx, cy = graph.from_lonlat(centers.geometry.x.to_numpy(), centers.geometry.y.to_numpy())
    c = wg.snap_points(graph, cx, cy, max_distance_m=max_snap_m)
    qx, qy = graph.from_lonlat([point.x], [point.y])
    q = wg.snap_points(graph, qx, qy, max_distance_m=max_snap_m, toward=c)
    if not q.reachable[0]:
        return NearestResult(pd.DataFrame(columns=COLUMNS), point, None, None, None, inside,
                             message=Msg.of("set.nearest_too_far", m=f"{max_snap_m:.0f}"))
    # the query is the only source; every centre asks for its distance to it
    dist, _ = routing.distance_to_nearest(graph, q, c)
    dist = np.where(c.reachable, dist, np.inf)
    table = _table(centers, dist, speed_kmh, k)
    slon, slat = graph.to_lonlat(q.x, q.y)
    snapped = shapely.Point(float(slon[0]), float(slat[0]))
    route = None
    message = None
    if len(table):
        j = int(np.flatnonzero(centers["id"].to_numpy() == table["id"].iat[0])[0])
        _, line = routing.shortest_route(graph, q, c, 0, j)
        if line is not None:
            xy = shapely.get_coordinates(line)
            lon, lat = graph.to_lonlat(xy[:, 0], xy[:, 1])
            route = shapely.LineString(np.column_stack([lon, lat]))
    else:
        message = Msg.of("set.nearest_no_route")
    return NearestResult(table, point, snapped, float(q.access[0]), route, inside, message)
