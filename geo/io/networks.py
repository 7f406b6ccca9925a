"""Walking networks in: GraphML (osmnx), OSM XML and ``.osm.pbf`` files, and OpenStreetMap downloads.

Every reader failure becomes one :class:`~geo.engine.graph.NetworkError` naming the file and
saying what to give instead. Files over :data:`MAX_BYTES` are refused before they are read.

One rule for every way in: a file and a download both keep every connected part of the
network; the snap (:func:`geo.engine.graph.snap_points`) uses a fragment only where nothing
else is within the access limit, so the same streets give the same answers however they were
loaded (:meth:`geo.engine.components.Parts.msg` words the parts found).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyproj
import shapely

from geo.engine import crs as _crs
from geo.engine.graph import (
    NetworkError,
    WalkGraph,
    graph_from_arrays,
    graph_from_networkx,
)
from geo.engine.limits import Range
from geo.io import files
from geo.io.online import OfflineError, osmnx_limits, require_osm_online
from geo.locale import Msg, text

__all__ = ["MARGIN_M", "MAX_BYTES", "OFFLINE_INSTEAD", "fetch_network", "load_network", "require_osm_online"]

MAX_BYTES: int = 2 * 1024**3
"""The largest network file read (2 GiB): a district's walking network is a few MB."""
MARGIN_M = Range(0.0, 10_000.0, "m")
"""Allowed margin around the district when downloading (metres)."""
_FILE_KINDS = Msg.of("why.net_kinds")
OFFLINE_INSTEAD = Msg.of("why.net_instead")
"""What to do when OpenStreetMap cannot be reached: the end of the one-line message."""


def _load_pbf(path: str, name: str, largest_component: bool) -> WalkGraph:
    """Read an ``.osm.pbf`` extract with pyrosm (walking network)."""
    import pyrosm  # local import: optional heavy dependency

    osm = pyrosm.OSM(path)
    res = osm.get_network(network_type="walking", nodes=True)
    if res is None or res[0] is None or res[1] is None or len(res[1]) == 0:
        raise NetworkError(Msg.of("why.net_no_streets", name=name))
    nodes, edges = res
    ids = nodes["id"].to_numpy(np.int64)
    order = np.argsort(ids)
    sorted_ids = ids[order]
    su, sv = edges["u"].to_numpy(np.int64), edges["v"].to_numpy(np.int64)
    iu = np.searchsorted(sorted_ids, su).clip(0, len(ids) - 1)
    iv = np.searchsorted(sorted_ids, sv).clip(0, len(ids) - 1)
    ok = (sorted_ids[iu] == su) & (sorted_ids[iv] == sv)  # drop edges to unknown nodes
    return graph_from_arrays(nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float),
                             order[iu[ok]], order[iv[ok]], edges["length"].to_numpy(float)[ok],
                             geometry=edges.geometry.to_numpy()[ok], crs=edges.crs or "EPSG:4326",
                             node_ids=ids, largest_component=largest_component, name=name)


def _sniff(path: str) -> str:
    low = path.lower()
    if low.endswith(".pbf"):
        return "pbf"
    if low.endswith(".graphml"):
        return "graphml"
    if low.endswith((".osm", ".xml", ".osm.xml")):
        return "osm"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if b"<graphml" in head:
        return "graphml"
    if b"<osm" in head:
        return "osm"
    raise NetworkError(Msg.of("why.net_unknown_kind", name=os.path.basename(path), kinds=_FILE_KINDS))


def _check_file(path: str, name: str) -> None:
    """Refuse what is not a readable network file before any reader sees it."""
    if os.path.isdir(path):
        raise NetworkError(Msg.of("why.net_folder", p=path, kinds=_FILE_KINDS))
    if not os.path.isfile(path):
        raise NetworkError(Msg.of("why.net_missing", p=path))
    size = os.path.getsize(path)
    if size == 0:
        raise NetworkError(Msg.of("why.net_empty", name=name, kinds=_FILE_KINDS))
    if size > MAX_BYTES:
        raise NetworkError(Msg.of("why.net_too_big", name=name, gb=size / 1024**3, limit=MAX_BYTES / 1024**3))


def load_network(path: str | os.PathLike, *, largest_component: bool = False) -> WalkGraph:
    """Load a walking network from GraphML, OSM XML or ``.osm.pbf``.

    Parameters
    ----------
    path : str or PathLike
        ``.graphml`` (osmnx), ``.osm``/``.xml`` (OSM XML) or ``.osm.pbf``.
    largest_component : bool
        Keep only the longest connected part (default: keep every part, as a download does;
        the snap prefers the main network, see :mod:`geo.engine.components`).

    Raises
    ------
    NetworkError
        On any problem (missing, empty or over-large file, not a graph, empty graph, no edges).
    """
    path = os.fspath(path)
    name = os.path.basename(path) or path
    _check_file(path, name)
    try:
        kind = _sniff(path)
        if kind == "pbf":
            return _load_pbf(path, name, largest_component)
        import osmnx as ox  # local import: slow to import, not needed for arrays

        if kind == "graphml":
            G = ox.load_graphml(path)
        else:
            G = ox.graph_from_xml(path, bidirectional=True, simplify=True, retain_all=True)
        return graph_from_networkx(G, largest_component=largest_component, name=name)
    except NetworkError:
        raise
    except Exception as exc:  # any reader failure becomes one clean message
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if len(reason) > 200:
            reason = reason[:200].rstrip() + "…"
        raise NetworkError(Msg.of("why.net_unreadable", name=name, e=reason)) from exc


def fetch_network(polygon_wgs84: Any, margin_m: float = 500.0,
                  path: str | os.PathLike = "data/network/walk.graphml",
                  largest_component: bool = False, lang: str = "en") -> WalkGraph:
    """Download the walking network around a WGS-84 polygon and save it as GraphML.

    Every connected part is kept, as :func:`load_network` keeps them when the saved file is
    loaded again: the same streets give the same graph and the same answers.

    The polygon is buffered by ``margin_m`` (in metres, in its UTM zone) so
    that walks crossing the boundary are kept. Before osmnx is even imported,
    :func:`require_osm_online` finds out in a few seconds whether OpenStreetMap can be reached.
    The two progress lines are printed in ``lang``.

    Raises
    ------
    NetworkError
        When ``margin_m`` is not a number from 0 to 10,000 m (checked before going online),
        OpenStreetMap cannot be reached (one line saying which files to load instead), or the
        download fails or is empty.
    """
    margin_m = MARGIN_M.check("margin_m", margin_m, NetworkError)
    try:
        require_osm_online(OFFLINE_INSTEAD)
    except OfflineError as exc:
        raise NetworkError(exc.msg) from None
    import osmnx as ox

    area = _widened(polygon_wgs84, margin_m)
    print(text("run.net_downloading", lang, m=margin_m), flush=True)
    try:
        with osmnx_limits():
            G = ox.graph_from_polygon(area, network_type="walk", retain_all=not largest_component)
    except (OSError, ConnectionError) as exc:  # requests' errors derive from OSError
        raise NetworkError(Msg.of("why.offline_during", e=type(exc).__name__, instead=OFFLINE_INSTEAD)) from exc
    except Exception as exc:
        raise NetworkError(Msg.of("why.net_download_failed", e=str(exc), instead=OFFLINE_INSTEAD)) from exc
    path = os.fspath(path)
    files.atomic_write(path, lambda tmp: ox.save_graphml(G, tmp))
    print(text("run.net_saved", lang, nodes=Msg.of("run.n_nodes", n=len(G)),
               edges=Msg.of("run.n_edges", n=G.number_of_edges()), path=path), flush=True)
    return graph_from_networkx(G, largest_component=largest_component,
                               name=os.path.basename(path))


def _widened(polygon_wgs84: Any, margin_m: float) -> Any:
    """The polygon buffered by ``margin_m`` metres (in its UTM zone), back in WGS-84."""
    c = polygon_wgs84.centroid
    utm = _crs.utm_crs(c.x, c.y)
    fwd = pyproj.Transformer.from_crs(4326, utm, always_xy=True)
    back = pyproj.Transformer.from_crs(utm, 4326, always_xy=True)
    metric = shapely.transform(polygon_wgs84, lambda a, b: fwd.transform(a, b), interleaved=False)
    return shapely.transform(metric.buffer(margin_m), lambda a, b: back.transform(a, b),
                             interleaved=False)
