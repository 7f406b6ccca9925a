"""Walking graph: load, fetch, snap points, nearest centre, isochrones, routes.

The graph is held as compact arrays (node coordinates, edge end indices, edge
lengths, edge geometries) plus a symmetric CSR matrix for
:mod:`scipy.sparse.csgraph`, so one multi-source Dijkstra pass answers "which
centre is nearest, and how far" for every node at once.

Conventions
-----------
* All coordinates held by a :class:`WalkGraph` are in a metric CRS (UTM zone
  derived from the data when the input is in degrees; EPSG:32650 for Shantou).
* Distances are metres of walking. Divide by the walking speed for time
  (:func:`minutes`).
* Walking is undirected: one-way tags are ignored, parallel edges keep the
  shortest length in the routing matrix.
* Centres and query points are first *snapped* (:func:`snap_points`) to the
  nearest point on the nearest street segment; the straight walk from the
  point to the street (``access``) is always counted.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

__all__ = [
    "NetworkError",
    "WalkGraph",
    "Snap",
    "Reach",
    "load_network",
    "graph_from_networkx",
    "graph_from_arrays",
    "utm_crs_for",
    "snap_points",
    "nearest_source",
    "distance_to_nearest",
    "reach_from_sources",
    "isochrone_lines",
    "isochrones",
    "isochrones_multi",
    "shortest_route",
    "fetch_network",
    "minutes",
]

#: Metric CRS used for Shantou (UTM zone 50N).
SHANTOU_CRS = "EPSG:32650"
_IN_MEMORY = "<in-memory graph>"


class NetworkError(ValueError):
    """A walking network could not be read, built or fetched.

    The message names the file (or source) and the problem, and says what to do.
    """


# --------------------------------------------------------------------------- #
# data structures
# --------------------------------------------------------------------------- #
@dataclass(eq=False)
class WalkGraph:
    """Walking network as compact arrays in a metric CRS.

    Attributes
    ----------
    crs : pyproj.CRS
        Metric CRS of ``x``, ``y`` and ``geometry``.
    node_ids : ndarray
        Original node identifiers (OSM ids, networkx keys or ``0..n-1``).
    x, y : ndarray of float
        Node coordinates (metres).
    u, v : ndarray of int64
        Edge end node *indices* (positions in ``node_ids``).
    length : ndarray of float
        Walking length of each edge (metres).
    geometry : ndarray of shapely.LineString
        Edge geometries, metric CRS, oriented from ``u`` to ``v``.
    geom_length : ndarray of float
        Planar length of ``geometry`` (used to map metres to positions on lines).
    csr : scipy.sparse.csr_matrix
        Symmetric ``n x n`` routing matrix; parallel edges keep the minimum length.
    csr_edge : ndarray of int64
        For each stored CSR entry, the edge index it came from.
    tree : shapely.STRtree
        Spatial index over ``geometry``.
    inc_indptr, inc_edge, inc_end : ndarray
        Node -> incident edges (``inc_end`` is 0 when the node is ``u``, 1 for ``v``).
    name : str
        Where the graph came from (file name), used in messages.
    """

    crs: pyproj.CRS
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    geometry: np.ndarray
    geom_length: np.ndarray
    csr: sp.csr_matrix
    csr_edge: np.ndarray
    tree: shapely.STRtree
    inc_indptr: np.ndarray
    inc_edge: np.ndarray
    inc_end: np.ndarray
    name: str = _IN_MEMORY
    _to_metric: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"WalkGraph({self.name!r}, {self.n_nodes} nodes, {self.n_edges} edges, "
                f"crs={self.crs.to_string()})")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.x.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return int(self.u.shape[0])

    def from_lonlat(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """Project WGS-84 longitude/latitude to the graph's metric CRS."""
        if self._to_metric is None:
            self._to_metric = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        x, y = self._to_metric.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x, float), np.asarray(y, float)

    def to_lonlat(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Project metric coordinates back to WGS-84 longitude/latitude."""
        t = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)
        lon, lat = t.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, float), np.asarray(lat, float)


@dataclass(frozen=True, eq=False)
class Snap:
    """Points snapped to the nearest point on the nearest street segment.

    Attributes
    ----------
    edge : ndarray of int64
        Edge index, ``-1`` when the point is farther than the snapping limit.
    offset : ndarray of float
        Walking distance from the edge's ``u`` end to the snapped point (m).
    x, y : ndarray of float
        Snapped point (metric; NaN when unreachable).
    access : ndarray of float
        Straight walk from the point to the street (m; inf when unreachable).
    px, py : ndarray of float
        The original points (metric).
    """

    edge: np.ndarray
    offset: np.ndarray
    x: np.ndarray
    y: np.ndarray
    access: np.ndarray
    px: np.ndarray
    py: np.ndarray

    def __len__(self) -> int:
        return int(self.edge.shape[0])

    @property
    def reachable(self) -> np.ndarray:
        """Boolean mask of points that were snapped to a street."""
        return self.edge >= 0

    def take(self, index: Any) -> "Snap":
        """Subset (by integer index array, slice or boolean mask)."""
        return Snap(*(np.atleast_1d(a[index]) for a in (
            self.edge, self.offset, self.x, self.y, self.access, self.px, self.py)))


@dataclass(frozen=True, eq=False)
class Reach:
    """Per-source node distances within a limit, stored row-compressed.

    Row ``s`` (source ``s`` in snap order) holds ``node[indptr[s]:indptr[s+1]]``
    and their walking distances ``dist[...]`` (m, access walk included), for all
    nodes with distance <= ``limit_m``. Distances of 0 are kept (unlike a
    scipy sparse matrix, which would drop them).
    """

    indptr: np.ndarray
    node: np.ndarray
    dist: np.ndarray
    limit_m: float
    n_nodes: int

    @property
    def n_sources(self) -> int:
        """Number of sources (rows)."""
        return int(self.indptr.shape[0] - 1)

    def row_of_entries(self) -> np.ndarray:
        """Source index of every stored entry."""
        return np.repeat(np.arange(self.n_sources), np.diff(self.indptr))

    def to_dense(self) -> np.ndarray:
        """Dense ``(n_sources, n_nodes)`` array, inf where not reached."""
        out = np.full((self.n_sources, self.n_nodes), np.inf)
        out[self.row_of_entries(), self.node] = self.dist
        return out


# --------------------------------------------------------------------------- #
# small helpers
# --------------------------------------------------------------------------- #
def minutes(dist_m: Any, speed_kmh: float = 4.0) -> np.ndarray:
    """Walking minutes for distances in metres at ``speed_kmh``."""
    return np.asarray(dist_m, float) / (speed_kmh * 1000.0 / 60.0)


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """WGS-84 UTM CRS of the zone containing ``(lon, lat)`` (EPSG:326xx / 327xx)."""
    zone = int(np.floor((float(lon) + 180.0) / 6.0)) % 60 + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for every pair, without a Python loop."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.cumsum(counts) - counts
    return (np.arange(total, dtype=np.int64) - np.repeat(first, counts)
            + np.repeat(np.asarray(starts, np.int64), counts))


def _substrings(geoms: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Vectorised ``shapely.ops.substring`` for ``0 <= t0 <= t1 <= line length``.

    ``t0``/``t1`` are planar distances along each line. Shapely has no array
    substring, so the pieces are assembled from the line vertices strictly
    between ``t0`` and ``t1`` plus the two interpolated end points, all in numpy.
    """
    k = len(geoms)
    if k == 0:
        return np.empty(0, dtype=object)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    step = np.zeros(len(coords))
    same = idx[1:] == idx[:-1]
    step[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    cum = np.cumsum(step)
    start_of = np.searchsorted(idx, np.arange(k))  # first vertex of each line
    cum -= cum[start_of][idx]
    inner = (cum > t0[idx]) & (cum < t1[idx])
    p0 = shapely.get_coordinates(shapely.line_interpolate_point(geoms, t0))
    p1 = shapely.get_coordinates(shapely.line_interpolate_point(geoms, t1))
    owner = np.concatenate([np.arange(k), idx[inner], np.arange(k)])
    key = np.concatenate([t0, cum[inner], t1])
    kind = np.concatenate([np.zeros(k), np.ones(int(inner.sum())), np.full(k, 2.0)])
    xy = np.concatenate([p0, coords[inner], p1])
    order = np.lexsort((kind, key, owner))
    return shapely.linestrings(xy[order], indices=owner[order])


# --------------------------------------------------------------------------- #
# building
# --------------------------------------------------------------------------- #
def _is_metric(crs: pyproj.CRS) -> bool:
    if crs.is_geographic:
        return False
    units = {a.unit_name for a in crs.axis_info[:2]}
    return units <= {"metre", "meter"}


def _build(node_ids: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray,
           v: np.ndarray, length: np.ndarray | None, geoms: np.ndarray | None,
           crs: Any, name: str, largest_component: bool) -> WalkGraph:
    """Validate arrays, project to a metric CRS and assemble a :class:`WalkGraph`."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    n = x.shape[0]
    if n == 0:
        raise NetworkError(f"walking network '{name}' has no nodes; "
                           "give a file that contains a street network")
    if u.shape[0] == 0:
        raise NetworkError(f"walking network '{name}' has {n} nodes but no edges; "
                           "give a file that contains streets or footpaths")
    if y.shape != x.shape or u.shape != v.shape:
        raise NetworkError(f"walking network '{name}': x/y or u/v arrays differ in length")
    if u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n:
        raise NetworkError(f"walking network '{name}': edge refers to a node that does not exist")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NetworkError(f"walking network '{name}': some nodes have no coordinates (x/y)")
    m = u.shape[0]
    length = (np.full(m, np.nan) if length is None else np.asarray(length, float).copy())
    if length.shape != (m,):
        raise NetworkError(f"walking network '{name}': 'length' must have one value per edge")
    if geoms is None:
        geoms = np.full(m, None, dtype=object)
    geoms = np.asarray(geoms, dtype=object)

    # --- CRS: keep a metric input, otherwise project to the local UTM zone.
    try:
        src_crs = pyproj.CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError and others
        raise NetworkError(f"walking network '{name}': unknown CRS {crs!r} ({exc})") from exc
    if _is_metric(src_crs):
        metric = src_crs
    else:
        if src_crs.is_geographic and not (np.abs(x).max() <= 180 and np.abs(y).max() <= 90):
            raise NetworkError(f"walking network '{name}': CRS {src_crs.name} is in degrees but "
                               "coordinates are out of range; give the right crs")
        t_ll = pyproj.Transformer.from_crs(src_crs, 4326, always_xy=True)
        lon, lat = t_ll.transform(x, y)
        metric = utm_crs_for(float(np.nanmean(lon)), float(np.nanmean(lat)))
        t = pyproj.Transformer.from_crs(src_crs, metric, always_xy=True)
        has = ~shapely.is_missing(geoms)
        if has.any():
            geoms[has] = shapely.transform(
                geoms[has], lambda a, b: t.transform(a, b), interleaved=False)
        x, y = (np.asarray(a, float) for a in t.transform(x, y))

    # --- geometries: LineStrings oriented u -> v; straight lines when missing.
    ok = shapely.get_type_id(geoms) == 1  # 1 = LineString (missing -> -1)
    ok &= ~shapely.is_empty(geoms)
    straight = shapely.linestrings(
        np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    geoms = np.where(ok, geoms, straight)
    first = shapely.get_point(geoms, 0)
    d_u = shapely.distance(first, shapely.points(x[u], y[u]))
    d_v = shapely.distance(first, shapely.points(x[v], y[v]))
    flip = d_v < d_u
    if flip.any():
        geoms[flip] = shapely.reverse(geoms[flip])
    geom_length = shapely.length(geoms)
    bad = ~np.isfinite(length) | (length < 0)
    length[bad] = geom_length[bad]

    # --- optional largest connected component.
    if largest_component:
        adj = sp.coo_matrix((np.ones(m), (u, v)), shape=(n, n)).tocsr()
        _, labels = connected_components(adj, directed=False)
        keep_label = np.bincount(labels).argmax()
        keep = labels == keep_label
        new_index = np.cumsum(keep) - 1
        e_keep = keep[u]  # both ends share a component
        node_ids = np.asarray(node_ids)[keep]
        x, y = x[keep], y[keep]
        u, v = new_index[u[e_keep]], new_index[v[e_keep]]
        length, geoms, geom_length = length[e_keep], geoms[e_keep], geom_length[e_keep]
        n, m = x.shape[0], u.shape[0]

    csr, csr_edge = _routing_matrix(n, u, v, length)

    # --- node -> incident edges (used to expand reached nodes to streets).
    ends = np.concatenate([u, v])
    order = np.argsort(ends, kind="stable")
    inc_edge = np.concatenate([np.arange(m), np.arange(m)])[order]
    inc_end = np.concatenate([np.zeros(m, np.int8), np.ones(m, np.int8)])[order]
    inc_indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(ends, minlength=n), out=inc_indptr[1:])

    return WalkGraph(crs=metric, node_ids=np.asarray(node_ids), x=x, y=y, u=u, v=v,
                     length=length, geometry=geoms, geom_length=geom_length, csr=csr,
                     csr_edge=csr_edge, tree=shapely.STRtree(geoms), inc_indptr=inc_indptr,
                     inc_edge=inc_edge, inc_end=inc_end, name=name)


def _routing_matrix(n: int, u: np.ndarray, v: np.ndarray,
                    length: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Symmetric CSR of edge lengths, parallel edges reduced to the minimum.

    The CSR arrays are built directly (not through COO, which would *sum*
    duplicates) so that the edge behind every entry is known (``csr_edge``).
    Self-loops are left out: they never shorten a path.
    """
    eid = np.arange(u.shape[0])
    loop = u == v
    a = np.concatenate([u[~loop], v[~loop]])
    b = np.concatenate([v[~loop], u[~loop]])
    w = np.concatenate([length[~loop], length[~loop]])
    e = np.concatenate([eid[~loop], eid[~loop]])
    order = np.lexsort((e, w, b, a))  # by row, column, then shortest first
    a, b, w, e = a[order], b[order], w[order], e[order]
    first = np.ones(a.shape[0], bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w, e = a[first], b[first], w[first], e[first]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(a, minlength=n), out=indptr[1:])
    csr = sp.csr_matrix((w, b.astype(np.int32 if n < 2**31 else np.int64), indptr),
                        shape=(n, n))
    return csr, e


def graph_from_arrays(x: Any, y: Any, u: Any, v: Any, length: Any = None, *,
                      geometry: Any = None, crs: Any = SHANTOU_CRS,
                      node_ids: Any = None, largest_component: bool = False,
                      name: str = _IN_MEMORY) -> WalkGraph:
    """Build a :class:`WalkGraph` from plain arrays.

    Parameters
    ----------
    x, y : array_like
        Node coordinates in ``crs``.
    u, v : array_like of int
        Edge end node indices (positions in ``x``).
    length : array_like, optional
        Edge lengths in metres; default the length of the (metric) geometry.
    geometry : array_like of LineString, optional
        Edge geometries in ``crs``; straight lines when omitted.
    crs : CRS-like
        CRS of the inputs. Metric CRSs are kept, degrees go to the UTM zone.
    node_ids : array_like, optional
        Node identifiers, default ``0..n-1``.
    largest_component : bool
        Keep only the largest connected component.
    """
    x = np.asarray(x, float)
    ids = np.arange(x.shape[0]) if node_ids is None else np.asarray(node_ids)
    return _build(ids, x, y, u, v, length, geometry, crs, name, largest_component)


def graph_from_networkx(G: Any, *, crs: Any = None, largest_component: bool = False,
                        name: str = _IN_MEMORY) -> WalkGraph:
    """Build a :class:`WalkGraph` from a networkx (Multi)(Di)Graph.

    Nodes need ``x`` and ``y``; edges use ``length`` (m) and optional
    ``geometry``. The CRS is ``crs``, else ``G.graph["crs"]``, else WGS-84 when
    the coordinates look like degrees. Directed twins (``u->v`` and ``v->u``
    with the same length, as osmnx stores two-way streets) are kept once.
    """
    # networkx stores graphs as Python dicts: reading them needs a Python pass.
    try:
        nodes = list(G.nodes(data=True))
        edges = list(G.edges(data=True))
    except Exception as exc:
        raise NetworkError(f"walking network '{name}' is not a networkx graph ({exc})") from exc
    if not nodes:
        raise NetworkError(f"walking network '{name}' has no nodes; "
                           "give a file that contains a street network")
    try:
        ids = np.empty(len(nodes), dtype=object)
        ids[:] = [k for k, _ in nodes]
        x = np.array([float(d["x"]) for _, d in nodes])
        y = np.array([float(d["y"]) for _, d in nodes])
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(f"walking network '{name}': nodes need numeric 'x' and 'y' "
                           f"attributes (missing or bad {exc})") from exc
    if all(isinstance(i, (int, np.integer)) for i in ids):
        ids = ids.astype(np.int64)
    position = {k: i for i, (k, _) in enumerate(nodes)}
    u = np.array([position[a] for a, _, _ in edges], np.int64)
    v = np.array([position[b] for _, b, _ in edges], np.int64)
    length = np.array([float(d.get("length", np.nan)) for _, _, d in edges])
    geoms = np.empty(len(edges), dtype=object)
    geoms[:] = [d.get("geometry") if isinstance(d.get("geometry"), shapely.Geometry) else None
                for _, _, d in edges]
    if len(edges) and G.is_directed():
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        key_len = np.round(np.nan_to_num(length, nan=-1.0), 3)
        _, keep = np.unique(np.c_[lo, hi, key_len], axis=0, return_index=True)
        keep.sort()
        u, v, length, geoms = u[keep], v[keep], length[keep], geoms[keep]
    if crs is None:
        crs = G.graph.get("crs")
    if crs is None:
        if np.abs(x).max() <= 180 and np.abs(y).max() <= 90:
            crs = "EPSG:4326"
        else:
            raise NetworkError(f"walking network '{name}' has no CRS; pass crs=")
    return _build(ids, x, y, u, v, length, geoms, crs, name, largest_component)


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
    return _build(ids, nodes["lon"].to_numpy(float), nodes["lat"].to_numpy(float),
                  order[iu[ok]], order[iv[ok]], edges["length"].to_numpy(float)[ok],
                  edges.geometry.to_numpy()[ok], edges.crs or "EPSG:4326", name,
                  largest_component)


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
    raise NetworkError(f"walking network '{os.path.basename(path)}': unknown file type; "
                       "give an osmnx GraphML (.graphml), OSM XML (.osm) or .osm.pbf file")


def load_network(path: str | os.PathLike, *, largest_component: bool = False) -> WalkGraph:
    """Load a walking network from GraphML, OSM XML or ``.osm.pbf``.

    Parameters
    ----------
    path : str or PathLike
        ``.graphml`` (osmnx), ``.osm``/``.xml`` (OSM XML) or ``.osm.pbf``.
    largest_component : bool
        Keep only the largest connected component.

    Raises
    ------
    NetworkError
        On any problem (missing file, not a graph, empty graph, no edges).
    """
    path = os.fspath(path)
    name = os.path.basename(path) or path
    if not os.path.isfile(path):
        raise NetworkError(f"walking network file '{path}' not found; check the path "
                           "given with --network (GraphML, .osm or .osm.pbf)")
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


# --------------------------------------------------------------------------- #
# snapping
# --------------------------------------------------------------------------- #
def snap_points(graph: WalkGraph, x: Any, y: Any,
                max_distance_m: float | None = 200.0) -> Snap:
    """Snap points to the nearest point on the nearest edge.

    Parameters
    ----------
    graph : WalkGraph
    x, y : array_like
        Points in the graph's metric CRS (see :meth:`WalkGraph.from_lonlat`).
    max_distance_m : float or None
        Points farther from every street get ``edge == -1`` (unreachable).

    Notes
    -----
    One ``STRtree.query_nearest`` call for all points; ties (equal distance
    to several edges, e.g. a point nearest to a junction) go to the lowest
    edge index.
    """
    px = np.atleast_1d(np.asarray(x, float))
    py = np.atleast_1d(np.asarray(y, float))
    k = px.shape[0]
    edge = np.full(k, -1, np.int64)
    access = np.full(k, np.inf)
    pts = shapely.points(px, py)
    valid = np.isfinite(px) & np.isfinite(py)
    if valid.any():
        qi = np.flatnonzero(valid)
        (src, tgt), dist = graph.tree.query_nearest(
            pts[qi], max_distance=max_distance_m, return_distance=True, all_matches=True)
        order = np.lexsort((tgt, src))  # per point, lowest edge index first
        src, tgt, dist = src[order], tgt[order], dist[order]
        first = np.ones(src.shape[0], bool)
        first[1:] = src[1:] != src[:-1]
        edge[qi[src[first]]] = tgt[first]
        access[qi[src[first]]] = dist[first]
    ok = edge >= 0
    offset = np.full(k, np.nan)
    sx, sy = np.full(k, np.nan), np.full(k, np.nan)
    if ok.any():
        g = graph.geometry[edge[ok]]
        along = shapely.line_locate_point(g, pts[ok])
        snapped = shapely.get_coordinates(shapely.line_interpolate_point(g, along))
        sx[ok], sy[ok] = snapped[:, 0], snapped[:, 1]
        gl = graph.geom_length[edge[ok]]
        frac = np.divide(along, gl, out=np.zeros_like(along), where=gl > 0)
        offset[ok] = np.clip(frac, 0.0, 1.0) * graph.length[edge[ok]]
    return Snap(edge=edge, offset=offset, x=sx, y=sy, access=access, px=px, py=py)


# --------------------------------------------------------------------------- #
# shortest paths
# --------------------------------------------------------------------------- #
def _augmented(graph: WalkGraph, sources: Snap) -> tuple[sp.csr_matrix, np.ndarray]:
    """Routing matrix plus one virtual node per reachable source.

    Virtual node ``n + j`` has directed edges to the ``u`` and ``v`` of its
    snapped edge, weighted ``access + offset`` and ``access + length - offset``.
    The virtual rows are appended to the CSR arrays (no re-sort, no COO).
    Returns the matrix and the snap index of each virtual node.
    """
    n = graph.n_nodes
    src_idx = np.flatnonzero(sources.edge >= 0)
    e = sources.edge[src_idx]
    k = src_idx.shape[0]
    w_u = sources.access[src_idx] + sources.offset[src_idx]
    w_v = sources.access[src_idx] + (graph.length[e] - sources.offset[src_idx])
    base = graph.csr
    indptr = np.concatenate([base.indptr, base.indptr[-1] + 2 * np.arange(1, k + 1)])
    cols = np.empty(2 * k, base.indices.dtype)
    cols[0::2], cols[1::2] = graph.u[e], graph.v[e]
    wts = np.empty(2 * k)
    wts[0::2], wts[1::2] = w_u, w_v
    aug = sp.csr_matrix((np.concatenate([base.data, wts]),
                         np.concatenate([base.indices, cols]), indptr),
                        shape=(n + k, n + k))
    return aug, src_idx


def nearest_source(graph: WalkGraph, sources: Snap) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance from every node to its nearest source, in one pass.

    Parameters
    ----------
    graph : WalkGraph
    sources : Snap
        Snapped sources (e.g. service centres); unreachable ones are skipped.

    Returns
    -------
    dist : ndarray of float, shape (n_nodes,)
        Metres (access walk included); inf where no source can be reached.
    source : ndarray of int64, shape (n_nodes,)
        Index (in ``sources``) of the nearest source; -1 where unreachable.
    """
    n = graph.n_nodes
    aug, src_idx = _augmented(graph, sources)
    if src_idx.size == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64)
    dist, _, origin = dijkstra(aug, directed=True, indices=n + np.arange(src_idx.size),
                               min_only=True, return_predecessors=True)
    dist = dist[:n]
    origin = origin[:n]
    src = np.full(n, -1, np.int64)
    hit = origin >= n
    src[hit] = src_idx[origin[hit] - n]
    return dist, src


def distance_to_nearest(graph: WalkGraph, sources: Snap, queries: Snap,
                        nearest: tuple[np.ndarray, np.ndarray] | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance from snapped query points to their nearest source.

    Uses the node distances at both ends of the query's edge plus the offset
    and the access walk, and the direct walk along the edge when a source
    sits on the same edge.

    Parameters
    ----------
    graph : WalkGraph
    sources, queries : Snap
    nearest : (dist, source), optional
        Result of :func:`nearest_source` to reuse.

    Returns
    -------
    dist : ndarray of float
        Metres; inf for queries (or all sources) off the network.
    source : ndarray of int64
        Index of the nearest source, -1 when none.
    """
    dist_n, src_n = nearest if nearest is not None else nearest_source(graph, sources)
    nq = len(queries)
    out_d = np.full(nq, np.inf)
    out_s = np.full(nq, -1, np.int64)
    qi = np.flatnonzero(queries.edge >= 0)
    if qi.size == 0:
        return out_d, out_s
    e = queries.edge[qi]
    o = queries.offset[qi]
    via_u = dist_n[graph.u[e]] + o
    via_v = dist_n[graph.v[e]] + (graph.length[e] - o)
    best = np.minimum(via_u, via_v)
    best_s = np.where(via_u <= via_v, src_n[graph.u[e]], src_n[graph.v[e]])

    # sources on the query's own edge: walk along the edge directly
    si = np.flatnonzero(sources.edge >= 0)
    order = si[np.argsort(sources.edge[si], kind="stable")]
    s_edge = sources.edge[order]
    lo = np.searchsorted(s_edge, e, "left")
    cnt = np.searchsorted(s_edge, e, "right") - lo
    if cnt.any():
        pq = np.repeat(np.arange(qi.size), cnt)
        ps = order[_expand_ranges(lo, cnt)]
        d = sources.access[ps] + np.abs(sources.offset[ps] - o[pq])
        first = np.lexsort((ps, d, pq))
        pq, ps, d = pq[first], ps[first], d[first]
        head = np.ones(pq.size, bool)
        head[1:] = pq[1:] != pq[:-1]
        pq, ps, d = pq[head], ps[head], d[head]
        better = d < best[pq]
        best[pq[better]] = d[better]
        best_s[pq[better]] = ps[better]
    out_d[qi] = best + queries.access[qi]
    out_s[qi] = np.where(np.isfinite(best), best_s, -1)
    return out_d, out_s


def reach_from_sources(graph: WalkGraph, sources: Snap, limit_m: float,
                       batch_size: int | None = None) -> Reach:
    """Per-source walking distances to all nodes within ``limit_m``.

    One ``scipy.sparse.csgraph.dijkstra`` call per batch of sources (``indices``
    = their virtual nodes, ``limit=limit_m``); batches bound the dense
    ``batch x n`` work array to about 64 MB.
    """
    n = graph.n_nodes
    aug, src_idx = _augmented(graph, sources)
    k_all = len(sources)
    if batch_size is None:
        batch_size = max(1, int(64e6 // (8 * aug.shape[0])))
    rows, nodes, dists = [], [], []
    for b in range(0, src_idx.size, batch_size):  # bounded-memory batches
        idx = n + np.arange(b, min(b + batch_size, src_idx.size))
        d = dijkstra(aug, directed=True, indices=idx, limit=float(limit_m))[:, :n]
        r, c = np.nonzero(np.isfinite(d))
        rows.append(src_idx[b + r])
        nodes.append(c)
        dists.append(d[r, c])
    if rows:
        row = np.concatenate(rows)
        node = np.concatenate(nodes).astype(np.int64)
        dist = np.concatenate(dists)
    else:
        row, node, dist = (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
    indptr = np.zeros(k_all + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=k_all), out=indptr[1:])
    # rows are produced in increasing source order already (src_idx is sorted)
    return Reach(indptr=indptr, node=node, dist=dist, limit_m=float(limit_m), n_nodes=n)


# --------------------------------------------------------------------------- #
# isochrones
# --------------------------------------------------------------------------- #
def _pieces(graph: WalkGraph, sources: Snap, limit_m: float, reach: Reach | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reachable street pieces: (lines, owner source, start node, end node).

    Start/end node is the graph node at that end of the piece, or -1 when the
    piece ends in the middle of an edge (cut by the limit) or off the street.
    """
    L = float(limit_m)
    if reach is None:
        reach = reach_from_sources(graph, sources, L)
    elif reach.limit_m < L:
        raise ValueError(f"reach was computed to {reach.limit_m} m, less than {L} m")
    m = graph.n_edges
    row = reach.row_of_entries()
    keep = reach.dist <= L
    row, node, rem = row[keep], reach.node[keep], L - reach.dist[keep]

    # reached node -> its incident edges, with the remaining budget at that end
    lo = graph.inc_indptr[node]
    cnt = graph.inc_indptr[node + 1] - lo
    pos = _expand_ranges(lo, cnt)
    p_src = np.repeat(row, cnt)
    p_rem = np.repeat(rem, cnt)
    p_edge = graph.inc_edge[pos]
    p_end = graph.inc_end[pos]
    key = p_src * m + p_edge
    uk, inv = np.unique(key, return_inverse=True)
    r_u = np.full(uk.size, -1.0)
    r_v = np.full(uk.size, -1.0)
    r_u[inv[p_end == 0]] = p_rem[p_end == 0]
    r_v[inv[p_end == 1]] = p_rem[p_end == 1]
    k_src, k_edge = uk // m, uk % m
    ln = graph.length[k_edge]
    # an edge is whole when the budgets from its two ends meet (or one suffices)
    full = (r_u >= ln) | (r_v >= ln) | ((r_u >= 0) & (r_v >= 0) & (r_u + r_v >= ln))
    part_u = ~full & (r_u > 0)
    part_v = ~full & (r_v > 0)

    # the source's own edge, around the snap point
    s_ok = np.flatnonzero((sources.edge >= 0) & (sources.access <= L))
    s_e = sources.edge[s_ok]
    half = L - sources.access[s_ok]
    s_len = graph.length[s_e]
    own0 = np.clip(sources.offset[s_ok] - half, 0, None)
    own1 = np.minimum(sources.offset[s_ok] + half, s_len)

    pe = np.concatenate([k_edge[part_u], k_edge[part_v], s_e])
    ps = np.concatenate([k_src[part_u], k_src[part_v], s_ok])
    t0 = np.concatenate([np.zeros(part_u.sum()), ln[part_v] - r_v[part_v], own0])
    t1 = np.concatenate([r_u[part_u], ln[part_v], own1])
    scale = np.divide(graph.geom_length[pe], graph.length[pe],
                      out=np.zeros(pe.size), where=graph.length[pe] > 0)
    gl = graph.geom_length[pe]
    partial = _substrings(graph.geometry[pe], np.clip(t0 * scale, 0, gl),
                          np.clip(t1 * scale, 0, gl))
    none_u, none_v = np.full(part_u.sum(), -1), np.full(part_v.sum(), -1)
    p_a = np.concatenate([graph.u[k_edge[part_u]], none_v,
                          np.where(own0 <= 0, graph.u[s_e], -1)])
    p_b = np.concatenate([none_u, graph.v[k_edge[part_v]],
                          np.where(own1 >= s_len, graph.v[s_e], -1)])

    # access walk: point -> snapped point, cut at the limit
    frac = np.minimum(1.0, np.divide(L, sources.access[s_ok], out=np.ones(s_ok.size),
                                     where=sources.access[s_ok] > 0))
    ax, ay = sources.px[s_ok], sources.py[s_ok]
    bx = ax + (sources.x[s_ok] - ax) * frac
    by = ay + (sources.y[s_ok] - ay) * frac
    access = shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[bx, by]], axis=1)) \
        if s_ok.size else np.empty(0, dtype=object)

    lines = np.concatenate([graph.geometry[k_edge[full]], partial, access])
    owner = np.concatenate([k_src[full], ps, s_ok]).astype(np.int64)
    a = np.concatenate([graph.u[k_edge[full]], p_a, np.full(s_ok.size, -1)]).astype(np.int64)
    b = np.concatenate([graph.v[k_edge[full]], p_b, np.full(s_ok.size, -1)]).astype(np.int64)
    order = np.argsort(owner, kind="stable")
    return lines[order], owner[order], a[order], b[order]


def isochrone_lines(graph: WalkGraph, sources: Snap, limit_m: float,
                    reach: Reach | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Reachable street pieces within ``limit_m`` of each source.

    Full edges, the reachable part of edges cut by the limit (from either
    end), the source's own edge around its snap point, and the access walk.

    Returns
    -------
    lines : ndarray of LineString
        Metric CRS; sorted by owner.
    owner : ndarray of int64
        Source index of each line.
    """
    lines, owner, _, _ = _pieces(graph, sources, limit_m, reach)
    return lines, owner


def _chain_labels(lines: np.ndarray, owner: np.ndarray, a: np.ndarray, b: np.ndarray
                  ) -> np.ndarray:
    """Label pieces that join into long lines through junctions.

    Buffering a few long lines and uniting them is an order of magnitude
    cheaper in GEOS than uniting one buffer per street segment. At every
    (source, node) the incident piece ends are sorted by direction and paired
    with the opposite one (straight on at a crossing); each piece then has at
    most two partners, so the linked pieces form paths or cycles, found with
    ``connected_components`` (later merged with ``shapely.line_merge``).
    """
    p = lines.size
    ends_piece = np.concatenate([np.arange(p), np.arange(p)])
    ends_node = np.concatenate([a, b])
    at_start = np.concatenate([np.ones(p, bool), np.zeros(p, bool)])
    use = ends_node >= 0
    ends_piece, ends_node, at_start = ends_piece[use], ends_node[use], at_start[use]
    # direction leaving the node: first segment (start) or reversed last segment (end)
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    v_first = np.searchsorted(idx, np.arange(p))
    v_last = np.append(v_first[1:], idx.size) - 1
    near = np.where(at_start, v_first[ends_piece], v_last[ends_piece])
    nxt = np.where(at_start, near + 1, near - 1)
    d = coords[nxt] - coords[near]
    ang = np.arctan2(d[:, 1], d[:, 0])
    own = owner[ends_piece]
    order = np.lexsort((ang, ends_node, own))
    ends_piece, ends_node, own = ends_piece[order], ends_node[order], own[order]
    new_group = np.ones(order.size, bool)
    new_group[1:] = (ends_node[1:] != ends_node[:-1]) | (own[1:] != own[:-1])
    gstart = np.flatnonzero(new_group)
    gsize = np.diff(np.append(gstart, order.size))
    first = np.repeat(gstart, gsize)
    rank = np.arange(order.size) - first
    half = np.repeat(gsize // 2, gsize)
    left = rank < half
    i = np.flatnonzero(left)
    link = sp.coo_matrix((np.ones(i.size), (ends_piece[i], ends_piece[i + half[i]])),
                         shape=(p, p))
    return connected_components(link, directed=False)[1]


def _polygons(lines: np.ndarray, owner: np.ndarray, a: np.ndarray, b: np.ndarray,
              n_sources: int, buffer_m: float, quad_segs: int, n_jobs: int | None) -> list:
    out: list = [None] * n_sources
    if lines.size == 0:
        return out
    label = _chain_labels(lines, owner, a, b)
    order = np.lexsort((label, owner))
    lines, owner, label = lines[order], owner[order], label[order]
    cut = np.flatnonzero(np.diff(owner)) + 1
    groups = list(zip(np.split(lines, cut), np.split(label, cut)))

    def area(group: tuple[np.ndarray, np.ndarray]) -> shapely.Geometry:
        pieces, lab = group
        chain = np.unique(lab, return_inverse=True)[1]
        merged = shapely.line_merge(shapely.multilinestrings(pieces, indices=chain))
        return shapely.union_all(shapely.buffer(merged, buffer_m, quad_segs=quad_segs))

    # one union per source: shapely has no grouped union, so map over sources;
    # GEOS releases the GIL, so threads use all cores for this, the costly step
    if n_jobs is None:
        n_jobs = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
    if n_jobs > 1 and len(groups) > 1:
        with ThreadPoolExecutor(min(n_jobs, len(groups))) as pool:
            unions = list(pool.map(area, groups))
    else:
        unions = [area(grp) for grp in groups]
    for src, poly in zip(owner[np.r_[0, cut]], unions):
        out[int(src)] = poly
    return out


def isochrones(graph: WalkGraph, sources: Snap, limit_m: float, buffer_m: float = 30.0,
               quad_segs: int = 4, reach: Reach | None = None,
               n_jobs: int | None = None) -> list:
    """Walking-area polygon of each source (metric CRS).

    The union of the reachable street pieces (see :func:`isochrone_lines`)
    buffered by ``buffer_m``; ``None`` for sources off the network.

    Parameters
    ----------
    graph : WalkGraph
    sources : Snap
    limit_m : float
        Walking distance (m), e.g. 1000 for 15 min at 4 km/h.
    buffer_m : float
        Half-width of the area around each street (m).
    quad_segs : int
        Segments per quarter circle of the buffer (fewer is faster).
    reach : Reach, optional
        Reuse a search done to at least ``limit_m``.
    n_jobs : int, optional
        Threads for the polygon unions (default: the usable CPUs).
    """
    lines, owner, a, b = _pieces(graph, sources, limit_m, reach)
    return _polygons(lines, owner, a, b, len(sources), buffer_m, quad_segs, n_jobs)


def isochrones_multi(graph: WalkGraph, sources: Snap, limits_m: Sequence[float],
                     buffer_m: float = 30.0, quad_segs: int = 4,
                     n_jobs: int | None = None) -> dict[float, list]:
    """Isochrones for several limits at once (one search, to the largest limit).

    Returns ``{limit: [polygon or None per source]}``.
    """
    limits = [float(x) for x in limits_m]
    reach = reach_from_sources(graph, sources, max(limits))
    return {L: isochrones(graph, sources, L, buffer_m, quad_segs, reach=reach, n_jobs=n_jobs)
            for L in limits}


# --------------------------------------------------------------------------- #
# routes
# --------------------------------------------------------------------------- #
def _edge_between(graph: WalkGraph, a: int, b: int) -> int:
    """Index of the (shortest) edge joining nodes ``a`` and ``b``."""
    start, stop = graph.csr.indptr[a], graph.csr.indptr[a + 1]
    j = start + np.searchsorted(graph.csr.indices[start:stop], b)
    return int(graph.csr_edge[j])


def _piece(graph: WalkGraph, e: int, t_from: float, t_to: float) -> np.ndarray:
    """Coordinates walking along edge ``e`` from offset ``t_from`` to ``t_to`` (m)."""
    s = graph.geom_length[e] / graph.length[e] if graph.length[e] > 0 else 0.0
    a, b = sorted((t_from * s, t_to * s))
    g = _substrings(graph.geometry[[e]], np.array([a]), np.array([b]))[0]
    xy = shapely.get_coordinates(g)
    return xy[::-1] if t_from > t_to else xy


def shortest_route(graph: WalkGraph, snap_from: Snap, snap_to: Snap, i_from: int = 0,
                   i_to: int = 0) -> tuple[float, shapely.LineString | None]:
    """Shortest walk between two snapped points, with its line.

    One single-source Dijkstra (with predecessors) from the start point; the
    line includes both access walks and the partial first and last edges.

    Returns
    -------
    distance_m : float
        inf when either point is off the network or they are not connected.
    line : LineString or None
        Metric CRS.
    """
    f, t = snap_from.take([i_from]), snap_to.take([i_to])
    if f.edge[0] < 0 or t.edge[0] < 0:
        return float("inf"), None
    n = graph.n_nodes
    aug, _ = _augmented(graph, f)
    dist, pred = dijkstra(aug, directed=True, indices=n, return_predecessors=True)
    et, ot, ef, of = int(t.edge[0]), float(t.offset[0]), int(f.edge[0]), float(f.offset[0])
    via_u = dist[graph.u[et]] + ot
    via_v = dist[graph.v[et]] + graph.length[et] - ot
    if via_u <= via_v:
        best, w, last_from = via_u, int(graph.u[et]), 0.0
    else:
        best, w, last_from = via_v, int(graph.v[et]), float(graph.length[et])
    # ``dist`` already includes the start's access walk (virtual edge weights)
    direct = f.access[0] + abs(of - ot) if ef == et else np.inf
    if not np.isfinite(min(best, direct)):
        return float("inf"), None
    start = np.array([[f.px[0], f.py[0]]])
    stop = np.array([[t.px[0], t.py[0]]])
    if direct <= best:
        parts = [start, _piece(graph, ef, of, ot), stop]
        total = direct
    else:
        path = [w]  # predecessor walk: inherently sequential, path-length loop
        while pred[path[-1]] != n:
            path.append(int(pred[path[-1]]))
        path.reverse()
        first = path[0]
        lf = graph.length[ef]
        if graph.u[ef] == graph.v[ef]:  # self-loop: leave by the cheaper way
            first_to = 0.0 if of <= lf - of else lf
        else:
            first_to = 0.0 if first == graph.u[ef] else lf
        parts = [start, _piece(graph, ef, of, first_to)]
        for a, b in zip(path[:-1], path[1:]):
            e = _edge_between(graph, a, b)
            xy = shapely.get_coordinates(graph.geometry[e])
            parts.append(xy if graph.u[e] == a else xy[::-1])
        parts += [_piece(graph, et, last_from, ot), stop]
        total = best
    xy = np.concatenate(parts)
    keep = np.ones(len(xy), bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(xy) == 1:
        xy = np.vstack([xy, xy])
    return float(total + t.access[0]), shapely.LineString(xy)


# --------------------------------------------------------------------------- #
# download
# --------------------------------------------------------------------------- #
def fetch_network(polygon_wgs84: Any, margin_m: float = 500.0,
                  path: str | os.PathLike = "data/network/walk.graphml",
                  largest_component: bool = True) -> WalkGraph:
    """Download the walking network around a WGS-84 polygon and save it as GraphML.

    The polygon is buffered by ``margin_m`` (in metres, in its UTM zone) so
    that walks crossing the boundary are kept.

    Raises
    ------
    NetworkError
        When OpenStreetMap cannot be reached, or the download is empty.
    """
    import osmnx as ox

    c = polygon_wgs84.centroid
    utm = utm_crs_for(c.x, c.y)
    fwd = pyproj.Transformer.from_crs(4326, utm, always_xy=True)
    back = pyproj.Transformer.from_crs(utm, 4326, always_xy=True)
    metric = shapely.transform(polygon_wgs84, lambda a, b: fwd.transform(a, b),
                               interleaved=False)
    area = shapely.transform(metric.buffer(margin_m), lambda a, b: back.transform(a, b),
                             interleaved=False)
    print(f"downloading walking network from OpenStreetMap (margin {margin_m:g} m)…",
          flush=True)
    try:
        G = ox.graph_from_polygon(area, network_type="walk", retain_all=not largest_component)
    except (OSError, ConnectionError) as exc:  # requests' errors derive from OSError
        raise NetworkError(f"could not reach OpenStreetMap ({type(exc).__name__}); load a "
                           "GraphML/.osm/.osm.pbf file with --network instead") from exc
    except Exception as exc:
        raise NetworkError(f"OpenStreetMap download failed ({exc}); load a "
                           "GraphML/.osm/.osm.pbf file with --network instead") from exc
    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    ox.save_graphml(G, path)
    print(f"saved {len(G)} nodes, {G.number_of_edges()} edges to {path}", flush=True)
    return graph_from_networkx(G, largest_component=largest_component,
                               name=os.path.basename(path))
