"""The walking graph: compact arrays in a metric CRS, built from arrays or networkx, and snapping.

The graph is held as compact arrays (node coordinates, edge end indices, edge
lengths, edge geometries) plus a symmetric CSR matrix for
:mod:`scipy.sparse.csgraph`, so one multi-source Dijkstra pass answers "which
centre is nearest, and how far" for every node at once (:mod:`geo.engine.routing`).

Conventions
-----------
* All coordinates held by a :class:`WalkGraph` are in a metric CRS (UTM zone
  derived from the data when the input is in degrees; EPSG:32650 for Shantou).
* Distances are metres of walking.
* Walking is undirected: one-way tags are ignored, parallel edges keep the
  shortest length in the routing matrix.
* Every connected part of the network is kept; the small ones joined to nothing
  are *fragments* (:mod:`geo.engine.components`: under 1 km of streets, not the longest).
* Centres and query points are first *snapped* (:func:`snap_points`) to the
  nearest point on the nearest street segment of the main network (or of a part
  holding a centre) within the access limit; to a fragment only when no such
  street is within the limit. The straight walk from the point to the street
  (``access``) is always counted.

Reading files and downloading from OpenStreetMap is :mod:`geo.io.networks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely

from geo.engine import components as _parts
from geo.engine import crs as _crs
from geo.engine.limits import SettingError
from geo.locale import Msg

#: Metric CRS used for Shantou (UTM zone 50N).
SHANTOU_CRS = "EPSG:32650"
IN_MEMORY = "<in-memory graph>"


class NetworkError(SettingError):
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
    part : ndarray of int64
        Connected part of each node (:func:`geo.engine.components.label`).
    main_part : ndarray of bool
        Whether each part is main (else a fragment).
    main_edges : ndarray of int64
        The edges on main parts, ascending; ``main_tree`` indexes their geometries (it is
        ``tree`` itself when the network has no fragment).
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
    part: np.ndarray
    main_part: np.ndarray
    main_edges: np.ndarray
    main_tree: shapely.STRtree
    name: str = IN_MEMORY
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

    def parts(self) -> _parts.Parts:
        """The network's connected parts in numbers (count, length, the largest's share,
        fragments), for the one-line report on load."""
        return _parts.summary(self.part, self.main_part, self.u, self.length)

    def on_fragment(self, snap: Snap) -> np.ndarray:
        """Boolean mask of the snapped points that lie on a fragment (never false alarms for
        unreachable points)."""
        out = np.zeros(len(snap), bool)
        ok = snap.reachable
        out[ok] = ~self.main_part[self.part[self.u[snap.edge[ok]]]]
        return out

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

    def take(self, index: Any) -> Snap:
        """Subset (by integer index array, slice or boolean mask)."""
        return Snap(*(np.atleast_1d(a[index]) for a in (
            self.edge, self.offset, self.x, self.y, self.access, self.px, self.py)))



# --------------------------------------------------------------------------- #
# array helpers (shared by routing, isochrones and siting)
# --------------------------------------------------------------------------- #
def expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``arange(s, s + c)`` for every pair, without a Python loop."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.cumsum(counts) - counts
    return (np.arange(total, dtype=np.int64) - np.repeat(first, counts)
            + np.repeat(np.asarray(starts, np.int64), counts))


def substrings(geoms: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
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
    # the running sum over all lines carries their rounding into each line: a vertex within a
    # nanometre-scale tolerance of an end is that end (else it would come twice, or not at all,
    # depending on the lines before it)
    tol = 1e-9 * (1.0 + cum[np.r_[start_of[1:], len(coords)] - 1])[idx]
    inner = (cum > t0[idx] + tol) & (cum < t1[idx] - tol)
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
@dataclass
class _Arrays:
    """The arrays a graph is built from, while they are checked, projected and trimmed."""

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    geoms: np.ndarray


def _is_metric(crs: pyproj.CRS) -> bool:
    if crs.is_geographic:
        return False
    units = {a.unit_name for a in crs.axis_info[:2]}
    return units <= {"metre", "meter"}


def _checked(node_ids: Any, x: Any, y: Any, u: Any, v: Any, length: Any, geoms: Any,
             name: str) -> _Arrays:
    """The inputs as arrays, or :class:`NetworkError` naming what is wrong with them."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    n, m = x.shape[0], u.shape[0]
    if n == 0:
        raise NetworkError(Msg.of("set.net_no_nodes", name=name))
    if m == 0:
        raise NetworkError(Msg.of("set.net_no_edges", name=name, n=n))
    if y.shape != x.shape or u.shape != v.shape:
        raise NetworkError(Msg.of("set.net_lengths_differ", name=name))
    if u.min() < 0 or v.min() < 0 or u.max() >= n or v.max() >= n:
        raise NetworkError(Msg.of("set.net_bad_edge", name=name))
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise NetworkError(Msg.of("set.net_no_xy", name=name))
    length = np.full(m, np.nan) if length is None else np.asarray(length, float).copy()
    if length.shape != (m,):
        raise NetworkError(Msg.of("set.net_bad_length", name=name))
    geoms = np.full(m, None, dtype=object) if geoms is None else np.asarray(geoms, dtype=object)
    return _Arrays(np.asarray(node_ids), x, y, u, v, length, geoms)


def _to_metric(a: _Arrays, crs: Any, name: str) -> pyproj.CRS:
    """Keep a metric CRS; otherwise project nodes and geometries to the local UTM zone (in place)."""
    try:
        src_crs = pyproj.CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError and others
        raise NetworkError(Msg.of("set.net_unknown_crs", name=name, crs=repr(crs), e=str(exc))) from exc
    if _is_metric(src_crs):
        return src_crs
    if src_crs.is_geographic and not (np.abs(a.x).max() <= 180 and np.abs(a.y).max() <= 90):
        raise NetworkError(Msg.of("set.net_degrees_out_of_range", name=name, crs=src_crs.name))
    lon, lat = pyproj.Transformer.from_crs(src_crs, 4326, always_xy=True).transform(a.x, a.y)
    metric = pyproj.CRS.from_user_input(_crs.utm_crs(float(np.nanmean(lon)), float(np.nanmean(lat))))
    t = pyproj.Transformer.from_crs(src_crs, metric, always_xy=True)
    has = ~shapely.is_missing(a.geoms)
    if has.any():
        a.geoms[has] = shapely.transform(a.geoms[has], lambda p, q: t.transform(p, q), interleaved=False)
    a.x, a.y = (np.asarray(c, float) for c in t.transform(a.x, a.y))
    return metric


def _orient(a: _Arrays) -> np.ndarray:
    """LineStrings oriented ``u -> v`` (straight lines where missing); fills bad lengths.

    Returns the planar length of each geometry.
    """
    x, y, u, v = a.x, a.y, a.u, a.v
    ok = (shapely.get_type_id(a.geoms) == 1) & ~shapely.is_empty(a.geoms)  # 1 = LineString
    straight = shapely.linestrings(np.stack([np.c_[x[u], y[u]], np.c_[x[v], y[v]]], axis=1))
    a.geoms = np.where(ok, a.geoms, straight)
    first = shapely.get_point(a.geoms, 0)
    flip = shapely.distance(first, shapely.points(x[v], y[v])) < shapely.distance(first, shapely.points(x[u], y[u]))
    if flip.any():
        a.geoms[flip] = shapely.reverse(a.geoms[flip])
    geom_length = shapely.length(a.geoms)
    bad = ~np.isfinite(a.length) | (a.length < 0)
    a.length[bad] = geom_length[bad]
    return geom_length


def _largest_component(a: _Arrays, geom_length: np.ndarray) -> np.ndarray:
    """Keep only the longest connected part (in place); returns the kept ``geom_length``."""
    part, _ = _parts.label(a.x.shape[0], a.u, a.v, a.length)
    street = np.bincount(part[a.u], weights=a.length, minlength=int(part.max()) + 1)
    keep = part == int(np.argmax(street))
    new_index = np.cumsum(keep) - 1
    e_keep = keep[a.u]  # both ends share a component
    a.node_ids, a.x, a.y = a.node_ids[keep], a.x[keep], a.y[keep]
    a.u, a.v = new_index[a.u[e_keep]], new_index[a.v[e_keep]]
    a.length, a.geoms = a.length[e_keep], a.geoms[e_keep]
    return geom_length[e_keep]


def _incidence(n: int, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node -> incident edges (used to expand reached nodes to streets): indptr, edge, end."""
    m = u.shape[0]
    ends = np.concatenate([u, v])
    order = np.argsort(ends, kind="stable")
    inc_edge = np.concatenate([np.arange(m), np.arange(m)])[order]
    inc_end = np.concatenate([np.zeros(m, np.int8), np.ones(m, np.int8)])[order]
    inc_indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(ends, minlength=n), out=inc_indptr[1:])
    return inc_indptr, inc_edge, inc_end


def _build(node_ids: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray,
           v: np.ndarray, length: np.ndarray | None, geoms: np.ndarray | None,
           crs: Any, name: str, largest_component: bool, main_nodes: np.ndarray | None = None) -> WalkGraph:
    """Validate arrays, project to a metric CRS and assemble a :class:`WalkGraph`."""
    a = _checked(node_ids, x, y, u, v, length, geoms, name)
    metric = _to_metric(a, crs, name)
    geom_length = _orient(a)
    if largest_component:
        geom_length = _largest_component(a, geom_length)
    n = a.x.shape[0]
    csr, csr_edge = _routing_matrix(n, a.u, a.v, a.length)
    inc_indptr, inc_edge, inc_end = _incidence(n, a.u, a.v)
    part, main_part = _parts.label(n, a.u, a.v, a.length, None if largest_component else main_nodes)
    tree = shapely.STRtree(a.geoms)
    main_edges = np.flatnonzero(main_part[part[a.u]])
    main_tree = tree if main_edges.size == a.u.shape[0] else shapely.STRtree(a.geoms[main_edges])
    return WalkGraph(crs=metric, node_ids=a.node_ids, x=a.x, y=a.y, u=a.u, v=a.v,
                     length=a.length, geometry=a.geoms, geom_length=geom_length, csr=csr,
                     csr_edge=csr_edge, tree=tree, inc_indptr=inc_indptr,
                     inc_edge=inc_edge, inc_end=inc_end, part=part, main_part=main_part,
                     main_edges=main_edges, main_tree=main_tree, name=name)


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
                      name: str = IN_MEMORY, main_nodes: Any = None) -> WalkGraph:
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
    main_nodes : array_like of bool, optional
        Per node: on a main part of the network this one is cut from (:func:`geo.region.clip_graph`),
        so a piece of the main network the cut leaves short is not taken for a fragment.
    """
    x = np.asarray(x, float)
    ids = np.arange(x.shape[0]) if node_ids is None else np.asarray(node_ids)
    return _build(ids, x, y, u, v, length, geometry, crs, name, largest_component, main_nodes)


def graph_from_networkx(G: Any, *, crs: Any = None, largest_component: bool = False,
                        name: str = IN_MEMORY) -> WalkGraph:
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
        raise NetworkError(Msg.of("set.net_not_networkx", name=name, e=str(exc))) from exc
    if not nodes:
        raise NetworkError(Msg.of("set.net_no_nodes", name=name))
    try:
        ids = np.empty(len(nodes), dtype=object)
        ids[:] = [k for k, _ in nodes]
        x = np.array([float(d["x"]) for _, d in nodes])
        y = np.array([float(d["y"]) for _, d in nodes])
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(Msg.of("set.net_node_xy", name=name, e=str(exc))) from exc
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
            raise NetworkError(Msg.of("set.net_no_crs", name=name))
    return _build(ids, x, y, u, v, length, geoms, crs, name, largest_component)


# --------------------------------------------------------------------------- #
# snapping
# --------------------------------------------------------------------------- #
def _preferred(graph: WalkGraph, toward: Snap | None) -> tuple[Any, np.ndarray | None]:
    """The index a snap searches first and its edges (None: every edge, in ``graph.tree``):
    the main parts, and the parts holding a reachable point of ``toward``."""
    if toward is None or not toward.reachable.any():
        prefer = graph.main_part
    else:
        prefer = graph.main_part.copy()
        prefer[graph.part[graph.u[toward.edge[toward.reachable]]]] = True
        if np.array_equal(prefer, graph.main_part):
            prefer = graph.main_part
    if prefer is graph.main_part:
        same = graph.main_edges.size == graph.n_edges
        return (graph.tree, None) if same else (graph.main_tree, graph.main_edges)
    edges = np.flatnonzero(prefer[graph.part[graph.u]])
    if edges.size == graph.n_edges:
        return graph.tree, None
    return shapely.STRtree(graph.geometry[edges]), edges


def _nearest(tree: Any, pts: np.ndarray, max_distance_m: float | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point, its nearest geometry of ``tree`` within the limit (ties: the lowest
    index): ``(point position, tree index, distance)`` of the points that have one."""
    (src, tgt), dist = tree.query_nearest(pts, max_distance=max_distance_m,
                                          return_distance=True, all_matches=True)
    order = np.lexsort((tgt, src))
    src, tgt, dist = src[order], tgt[order], dist[order]
    first = np.ones(src.shape[0], bool)
    first[1:] = src[1:] != src[:-1]
    return src[first], tgt[first], dist[first]


def snap_points(graph: WalkGraph, x: Any, y: Any,
                max_distance_m: float | None = 200.0, *, toward: Snap | None = None) -> Snap:
    """Snap points to the nearest point of the nearest street from which the walk can go on.

    Parameters
    ----------
    graph : WalkGraph
    x, y : array_like
        Points in the graph's metric CRS (see :meth:`WalkGraph.from_lonlat`).
    max_distance_m : float or None
        The access limit: points farther from every street get ``edge == -1`` (unreachable).
    toward : Snap, optional
        The points the walks go to or come from (the centres, already snapped): the parts
        they lie on are preferred too, so a centre on a fragment still serves its neighbours.

    Notes
    -----
    A point takes the nearest street within the limit among the main parts of the network
    and the parts ``toward`` lies on (:mod:`geo.engine.components`); only a point with no
    such street within the limit takes the nearest street of any part (a fragment). Two
    ``STRtree.query_nearest`` calls at most, for all points at once; ties (equal distance to
    several edges, e.g. a point nearest to a junction) go to the lowest edge index.
    """
    px = np.atleast_1d(np.asarray(x, float))
    py = np.atleast_1d(np.asarray(y, float))
    k = px.shape[0]
    edge = np.full(k, -1, np.int64)
    access = np.full(k, np.inf)
    pts = shapely.points(px, py)
    todo = np.flatnonzero(np.isfinite(px) & np.isfinite(py))
    tree, ids = _preferred(graph, toward)
    for _ in range(2):
        if todo.size == 0:
            break
        src, tgt, dist = _nearest(tree, pts[todo], max_distance_m)
        edge[todo[src]] = tgt if ids is None else ids[tgt]
        access[todo[src]] = dist
        if ids is None:
            break
        todo = todo[edge[todo] < 0]  # nothing preferred within the limit: any part
        tree, ids = graph.tree, None
    return _placed(graph, pts, edge, access, px, py)


def _placed(graph: WalkGraph, pts: np.ndarray, edge: np.ndarray, access: np.ndarray,
            px: np.ndarray, py: np.ndarray) -> Snap:
    """The :class:`Snap` of points given their edges: the snapped point and its offset."""
    k = edge.shape[0]
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
