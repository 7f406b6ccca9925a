"""Walking networks in: GraphML (osmnx), OSM XML and ``.osm.pbf`` files, and OpenStreetMap downloads.

Every reader failure becomes one :class:`~geo.engine.graph.NetworkError` naming the file and
saying what to give instead. Files over :data:`MAX_BYTES` are refused before they are read.

One rule for every way in: a file and a download both keep every connected part of the
network; the snap (:func:`geo.engine.graph.snap_points`) uses a fragment only where nothing
else is within the access limit, so the same streets give the same answers however they were
loaded. :func:`describe` words the parts found, in the one line the command line prints.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pyproj
import shapely

from geo.engine import crs as _crs
from geo.engine.components import FRAGMENT_M, Parts
from geo.engine.graph import (
    NetworkError,
    WalkGraph,
    graph_from_arrays,
    graph_from_networkx,
)
from geo.engine.limits import Range
from geo.io import files
from geo.io.online import OfflineError, osmnx_limits, require_osm_online

__all__ = ["MARGIN_M", "MAX_BYTES", "OFFLINE_INSTEAD", "describe", "fetch_network", "load_network",
           "require_osm_online"]

MAX_BYTES: int = 2 * 1024**3
"""The largest network file read (2 GiB): a district's walking network is a few MB."""
MARGIN_M = Range(0.0, 10_000.0, "m")
"""Allowed margin around the district when downloading (metres)."""
_FILE_KINDS = "give an osmnx GraphML (.graphml), OSM XML (.osm) or .osm.pbf file"
OFFLINE_INSTEAD = ("use a walking network file instead: --network FILE (.osm.pbf, GraphML or .osm; "
                   "extracts of Shantou come from Geofabrik, BBBike or openstreetmap.org's Export, "
                   "see docs/cli.md)")
"""What to do when OpenStreetMap cannot be reached: the end of the one-line message."""


def _load_pbf(path: str, name: str, largest_component: bool) -> WalkGraph:
    """Read an ``.osm.pbf`` extract with pyrosm (walking network)."""
    import pyrosm  # local import: optional heavy dependency

    osm = pyrosm.OSM(path)
    res = osm.get_network(network_type="walking", nodes=True)
    if res is None or res[0] is None or res[1] is None or len(res[1]) == 0:
        raise NetworkError(f"walking network '{name}' contains no walkable streets; "
                           "give an extract that covers the study area")
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
    raise NetworkError(f"walking network '{os.path.basename(path)}': unknown file type; {_FILE_KINDS}")


def _check_file(path: str, name: str) -> None:
    """Refuse what is not a readable network file before any reader sees it."""
    if os.path.isdir(path):
        raise NetworkError(f"walking network '{path}' is a folder, not a file; {_FILE_KINDS}")
    if not os.path.isfile(path):
        raise NetworkError(f"walking network file '{path}' not found; check the path "
                           "given with --network (GraphML, .osm or .osm.pbf)")
    size = os.path.getsize(path)
    if size == 0:
        raise NetworkError(f"walking network '{name}' is an empty file (0 bytes); {_FILE_KINDS}")
    if size > MAX_BYTES:
        raise NetworkError(f"walking network '{name}' is {size / 1024**3:.1f} GB, over the "
                           f"{MAX_BYTES / 1024**3:.0f} GB limit; cut an extract of the district "
                           "(e.g. osmium extract) and load that")


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
        raise NetworkError(f"could not read walking network '{name}': {reason}; "
                           "give an osmnx GraphML, OSM XML (.osm) or .osm.pbf file "
                           "containing streets") from exc


def fetch_network(polygon_wgs84: Any, margin_m: float = 500.0,
                  path: str | os.PathLike = "data/network/walk.graphml",
                  largest_component: bool = False) -> WalkGraph:
    """Download the walking network around a WGS-84 polygon and save it as GraphML.

    Every connected part is kept, as :func:`load_network` keeps them when the saved file is
    loaded again: the same streets give the same graph and the same answers.

    The polygon is buffered by ``margin_m`` (in metres, in its UTM zone) so
    that walks crossing the boundary are kept. Before osmnx is even imported,
    :func:`require_osm_online` finds out in a few seconds whether OpenStreetMap can be reached.

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
        raise NetworkError(str(exc)) from None
    import osmnx as ox

    area = _widened(polygon_wgs84, margin_m)
    print(f"downloading walking network from OpenStreetMap (margin {margin_m:g} m)…",
          flush=True)
    try:
        with osmnx_limits():
            G = ox.graph_from_polygon(area, network_type="walk", retain_all=not largest_component)
    except (OSError, ConnectionError) as exc:  # requests' errors derive from OSError
        raise NetworkError(f"could not reach OpenStreetMap ({type(exc).__name__}); "
                           f"{OFFLINE_INSTEAD}") from exc
    except Exception as exc:
        raise NetworkError(f"OpenStreetMap download failed ({exc}); {OFFLINE_INSTEAD}") from exc
    path = os.fspath(path)
    files.atomic_write(path, lambda tmp: ox.save_graphml(G, tmp))
    print(f"saved {len(G)} nodes, {G.number_of_edges()} edges to {path}", flush=True)
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


def describe(parts: Parts) -> str:
    """The one line reporting a network's connected parts on load (English; the app words
    :meth:`WalkGraph.parts` from its own catalogue), e.g. ``walking network: 62 connected parts,
    82.9 km of streets, the largest 96.8 %; 61 fragments under 1,000 m (2.6 km) kept, used only
    by points with no other street within the access limit``."""
    s = "s" if parts.count != 1 else ""
    head = (f"walking network: {parts.count:,} connected part{s}, {parts.total_m / 1000:,.1f} km of "
            f"streets, the largest {100 * parts.largest_share:.1f} %")
    if not parts.fragments:
        return head
    s = "s" if parts.fragments != 1 else ""
    return (f"{head}; {parts.fragments:,} fragment{s} under {FRAGMENT_M:,.0f} m ({parts.fragment_m / 1000:,.1f} km) "
            "kept, used only by points with no other street within the access limit")
