"""Walking areas (isochrones): the streets reachable within a limit, buffered into polygons.

An isochrone is the union of the reachable street pieces -- whole edges, the reachable part of
edges cut by the limit (from either end), the source's own edge around its snap point, and the
access walk -- buffered by ``buffer_m``. Blocks whose every side is reached are filled at once
(:mod:`geo.engine.faces`); the other pieces are chained through junctions into long lines and
buffered and united in one Clipper sweep (:mod:`geo.engine.offsets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.engine.faces import Faces, graph_faces, is_traced
from geo.engine.graph import Snap, WalkGraph, expand_ranges, substrings
from geo.engine.offsets import Grid, buffer_union
from geo.engine.routing import Reach, reach_from_sources
from geo.engine.workers import map_batches, usable_cpus

BATCH = 32  # sources per batch of work (see :func:`isochrones`)


@dataclass(frozen=True)
class _Budgets:
    """Per (source, edge) reached from a node: the walking budget left at each end (-1: none)."""

    src: np.ndarray
    edge: np.ndarray
    at_u: np.ndarray
    at_v: np.ndarray
    whole: np.ndarray   # the edge is walked end to end
    part_u: np.ndarray  # a piece from the u end
    part_v: np.ndarray  # a piece from the v end


def _budgets(graph: WalkGraph, reach: Reach, limit_m: float) -> _Budgets:
    """Expand every reached node to its incident edges, with the budget left at that end."""
    m = graph.n_edges
    row = reach.row_of_entries()
    keep = reach.dist <= limit_m
    row, node, rem = row[keep], reach.node[keep], limit_m - reach.dist[keep]
    lo = graph.inc_indptr[node]
    cnt = graph.inc_indptr[node + 1] - lo
    pos = expand_ranges(lo, cnt)
    p_src, p_rem = np.repeat(row, cnt), np.repeat(rem, cnt)
    p_edge, p_end = graph.inc_edge[pos], graph.inc_end[pos]
    uk, inv = np.unique(p_src * m + p_edge, return_inverse=True)
    r_u, r_v = np.full(uk.size, -1.0), np.full(uk.size, -1.0)
    r_u[inv[p_end == 0]] = p_rem[p_end == 0]
    r_v[inv[p_end == 1]] = p_rem[p_end == 1]
    k_edge = uk % m
    ln = graph.length[k_edge]
    # an edge is whole when the budgets from its two ends meet (or one suffices)
    whole = (r_u >= ln) | (r_v >= ln) | ((r_u >= 0) & (r_v >= 0) & (r_u + r_v >= ln))
    return _Budgets(uk // m, k_edge, r_u, r_v, whole, ~whole & (r_u > 0), ~whole & (r_v > 0))


def _cut_pieces(graph: WalkGraph, sources: Snap, b: _Budgets, limit_m: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges walked only in part: from the u end, from the v end, and each source's own edge.

    Returns ``(lines, owner, start node, end node)``, -1 for an end inside an edge.
    """
    s_ok = np.flatnonzero((sources.edge >= 0) & (sources.access <= limit_m))
    s_e = sources.edge[s_ok]
    half = limit_m - sources.access[s_ok]
    s_len = graph.length[s_e]
    own0 = np.clip(sources.offset[s_ok] - half, 0, None)
    own1 = np.minimum(sources.offset[s_ok] + half, s_len)
    eu, ev = b.edge[b.part_u], b.edge[b.part_v]
    pe = np.concatenate([eu, ev, s_e])
    owner = np.concatenate([b.src[b.part_u], b.src[b.part_v], s_ok])
    t0 = np.concatenate([np.zeros(eu.size), graph.length[ev] - b.at_v[b.part_v], own0])
    t1 = np.concatenate([b.at_u[b.part_u], graph.length[ev], own1])
    scale = np.divide(graph.geom_length[pe], graph.length[pe], out=np.zeros(pe.size),
                      where=graph.length[pe] > 0)
    gl = graph.geom_length[pe]
    lines = substrings(graph.geometry[pe], np.clip(t0 * scale, 0, gl), np.clip(t1 * scale, 0, gl))
    start = np.concatenate([graph.u[eu], np.full(ev.size, -1), np.where(own0 <= 0, graph.u[s_e], -1)])
    end = np.concatenate([np.full(eu.size, -1), graph.v[ev], np.where(own1 >= s_len, graph.v[s_e], -1)])
    return lines, owner, start, end


def _access_walks(sources: Snap, limit_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The straight walk from each source to its snap point, cut at the limit: (lines, owner)."""
    s_ok = np.flatnonzero((sources.edge >= 0) & (sources.access <= limit_m))
    if s_ok.size == 0:
        return np.empty(0, dtype=object), s_ok
    acc = sources.access[s_ok]
    frac = np.minimum(1.0, np.divide(limit_m, acc, out=np.ones(s_ok.size), where=acc > 0))
    ax, ay = sources.px[s_ok], sources.py[s_ok]
    bx = ax + (sources.x[s_ok] - ax) * frac
    by = ay + (sources.y[s_ok] - ay) * frac
    return shapely.linestrings(np.stack([np.c_[ax, ay], np.c_[bx, by]], axis=1)), s_ok


@dataclass(frozen=True)
class _Blocks:
    """Blocks (usable faces) closed for each source -- every side walked end to end -- and the
    whole edges left out of the buffers because a closed block lies on one side of them."""

    src: np.ndarray
    face: np.ndarray
    drop_src: np.ndarray
    drop_edge: np.ndarray

    @staticmethod
    def none() -> _Blocks:
        e = np.zeros(0, np.int64)
        return _Blocks(e, e, e, e)


def _closed_blocks(faces: Faces, src: np.ndarray, edge: np.ndarray) -> tuple[_Blocks, np.ndarray]:
    """The closed blocks of each source from its whole edges, and which of those edges to drop.

    A block is closed for a source when all ``n_ring`` edges of its ring are whole for it. A
    whole edge with a closed block on either side lies inside ``buffer(C, r)`` (C: the union of
    the closed blocks), so its own buffer adds nothing.
    """
    n_f = max(faces.n_ring.size, 1)
    left, right = faces.left[edge], faces.right[edge]
    has_l, has_r = left >= 0, right >= 0
    keys = np.concatenate([src[has_l] * n_f + left[has_l], src[has_r] * n_f + right[has_r]])
    uk, inv, cnt = np.unique(keys, return_inverse=True, return_counts=True)
    is_closed = cnt == faces.n_ring[uk % n_f]
    drop = np.zeros(edge.size, bool)
    drop[has_l] = is_closed[inv[:int(has_l.sum())]]
    drop[has_r] |= is_closed[inv[int(has_l.sum()):]]
    closed = uk[is_closed]
    return _Blocks(closed // n_f, closed % n_f, src[drop], edge[drop]), drop


def _search_and_faces(graph: WalkGraph, sources: Snap, limit_m: float, reach: Reach | None,
                      blocks: bool) -> tuple[Reach, Faces | None]:
    """The search and the graph's faces; a first tracing runs on a thread beside the search
    (the tracer's walks and scipy's Dijkstra both run without Python's lock)."""
    if not blocks:
        return _search(graph, sources, limit_m, reach), None
    if reach is not None or is_traced(graph):
        return _search(graph, sources, limit_m, reach), graph_faces(graph)
    with ThreadPoolExecutor(1) as pool:
        traced = pool.submit(graph_faces, graph)
        return _search(graph, sources, limit_m, None), traced.result()


def _search(graph: WalkGraph, sources: Snap, limit_m: float, reach: Reach | None) -> Reach:
    """``reach`` when it goes far enough, else a new search to ``limit_m``."""
    if reach is None:
        return reach_from_sources(graph, sources, limit_m)
    if reach.limit_m < limit_m:
        raise ValueError(f"reach was computed to {reach.limit_m} m, less than {limit_m} m")
    return reach


def _pieces(graph: WalkGraph, sources: Snap, limit_m: float, reach: Reach | None,
            faces: Faces | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, _Blocks]:
    """Reachable street pieces: (lines, owner source, start node, end node, blocks), sorted by owner.

    Start/end node is the graph node at that end of the piece, or -1 when the
    piece ends in the middle of an edge (cut by the limit) or off the street.
    With ``faces``, the whole edges next to a closed block are left out (see :class:`_Blocks`).
    """
    lim = float(limit_m)
    b = _budgets(graph, _search(graph, sources, lim, reach), lim)
    cut, cut_owner, cut_a, cut_b = _cut_pieces(graph, sources, b, lim)
    access, acc_owner = _access_walks(sources, lim)
    whole, whole_src = b.edge[b.whole], b.src[b.whole]
    blocks = _Blocks.none()
    if faces is not None and faces.n_usable:
        blocks, drop = _closed_blocks(faces, whole_src, whole)
        whole, whole_src = whole[~drop], whole_src[~drop]
    none = np.full(acc_owner.size, -1)
    lines = np.concatenate([graph.geometry[whole], cut, access])
    owner = np.concatenate([whole_src, cut_owner, acc_owner]).astype(np.int64)
    a = np.concatenate([graph.u[whole], cut_a, none]).astype(np.int64)
    z = np.concatenate([graph.v[whole], cut_b, none]).astype(np.int64)
    order = np.argsort(owner, kind="stable")
    return lines[order], owner[order], a[order], z[order], blocks


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
    lines, owner, _, _, _ = _pieces(graph, sources, limit_m, reach)
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


def _groups(keys: np.ndarray, values: np.ndarray, n: int) -> list:
    """``values`` split by their (sorted) ``keys`` into a list of ``n`` arrays."""
    cut = np.searchsorted(keys, np.arange(n + 1))
    return [values[cut[i]:cut[i + 1]] for i in range(n)]


@dataclass(frozen=True)
class _Shape:
    """How the pieces become polygons: buffer width, arcs, the graph, its faces and the grid."""

    graph: WalkGraph
    faces: Faces | None
    buffer_m: float
    quad_segs: int
    grid: Grid

    def streets(self, pieces: np.ndarray, lab: np.ndarray, d: shapely.Geometry | None
                ) -> shapely.Geometry | None:
        """The pieces chained into long lines (``lab``: chain of each piece), buffered and
        united with ``d``."""
        if pieces.size:
            chain = np.unique(lab, return_inverse=True)[1]
            pieces = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(pieces, indices=chain)))
        return buffer_union(pieces, d, self.buffer_m, self.quad_segs, self.grid)

    def blocks_area(self, faces: np.ndarray, erosion: np.ndarray) -> shapely.Geometry | None:
        """``buffer(C, r)`` minus the erosions, C the union of the closed blocks; None when the
        union is not valid (faces that overlap after all), so the caller buffers the streets."""
        c = self.faces.union(faces)
        if c is None:
            return None
        d = shapely.buffer(c, self.buffer_m, quad_segs=self.quad_segs)
        holes = erosion[~shapely.is_empty(erosion)]
        if holes.size:
            d = shapely.difference(d, shapely.multipolygons(shapely.get_parts(holes)))
        return d


def _polygons(lines: np.ndarray, owner: np.ndarray, a: np.ndarray, b: np.ndarray, blocks: _Blocks,
              n_sources: int, shape: _Shape) -> list:
    """The walking area of each source from its pieces and closed blocks (see :func:`_pieces`)."""
    if lines.size == 0:
        return [None] * n_sources
    label = _chain_labels(lines, owner, a, b)
    order = np.lexsort((label, owner))
    lines, owner, label = lines[order], owner[order], label[order]
    erosion = np.empty(blocks.face.size, dtype=object)
    if blocks.face.size:
        erosion[:] = shape.faces.erosions(blocks.face, shape.buffer_m, shape.quad_segs)
    work = zip(_groups(owner, lines, n_sources), _groups(owner, label, n_sources),
               _groups(blocks.src, blocks.face, n_sources), _groups(blocks.src, erosion, n_sources),
               _groups(blocks.drop_src, blocks.drop_edge, n_sources))
    return [_area(shape, *item) for item in work]


def _area(shape: _Shape, pieces: np.ndarray, lab: np.ndarray, faces: np.ndarray, eroded: np.ndarray,
          dropped: np.ndarray) -> shapely.Geometry | None:
    """One source's area: its closed blocks grown by the buffer, united with its other streets."""
    if pieces.size == 0 and faces.size == 0:
        return None
    d = shape.blocks_area(faces, eroded) if faces.size else None
    if d is None and dropped.size:  # the blocks could not be trusted: buffer their streets
        extra = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(shape.graph.geometry[dropped])))
        pieces, lab = np.concatenate([pieces, extra]), np.concatenate([lab, -1 - np.arange(extra.size)])
    return shape.streets(pieces, lab, d)


def isochrones(graph: WalkGraph, sources: Snap, limit_m: float, buffer_m: float = 30.0,
               quad_segs: int = 4, reach: Reach | None = None,
               n_jobs: int | None = None, blocks: bool = True, processes: bool | None = None) -> list:
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
        Workers (default: the usable CPUs); sources are worked in batches of ``BATCH``.
    processes : bool, optional
        Run the batches in forked worker processes (True) or on threads (False); by default
        processes wherever forking is safe (:mod:`geo.engine.workers`).
    blocks : bool
        Fill the blocks whose every side is reached at once (:mod:`geo.engine.faces`), instead
        of uniting the buffers of their streets: the same area (to the arcs' approximation),
        several times faster. ``False`` buffers every piece.
    """
    lim, n = float(limit_m), len(sources)
    reach, faces = _search_and_faces(graph, sources, lim, reach, blocks)
    grid = Grid(float(graph.x.min()), float(graph.y.min())) if graph.n_nodes else Grid(0.0, 0.0)
    shape = _Shape(graph, faces, float(buffer_m), int(quad_segs), grid)

    def batch(lo: int) -> list:
        hi = min(lo + BATCH, n)
        rows = np.arange(lo, hi)
        return _polygons(*_pieces(graph, sources.take(rows), lim, reach.rows(lo, hi), faces), hi - lo, shape)

    # batches of sources, each from its pieces to its polygons, in worker processes or on
    # threads (GEOS and most of numpy release the GIL, Clipper does not); batches also bound
    # the memory of the pieces
    parts = map_batches(batch, range(0, n, BATCH), usable_cpus(n_jobs), processes)
    return [p for part in parts for p in part]


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
