"""Shortest walks on a :class:`~geo.engine.graph.WalkGraph`: nearest source, reach, routes.

Sources (centres, candidate sites) and queries are :class:`~geo.engine.graph.Snap` points.
Each reachable source becomes a virtual node joined to both ends of its street segment
(weights: access walk + offset along the segment), so scipy's Dijkstra answers many sources
in one pass. Distances are metres; :func:`minutes` turns them into walking time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from geo.engine.graph import Snap, WalkGraph, expand_ranges, substrings


def minutes(dist_m: Any, speed_kmh: float = 4.0) -> np.ndarray:
    """Walking minutes for distances in metres at ``speed_kmh``."""
    return np.asarray(dist_m, float) / (speed_kmh * 1000.0 / 60.0)


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

    def rows(self, lo: int, hi: int) -> Reach:
        """The searches of sources ``lo`` to ``hi - 1`` (numbered from 0 again)."""
        a, b = self.indptr[lo], self.indptr[hi]
        return Reach(self.indptr[lo:hi + 1] - a, self.node[a:b], self.dist[a:b], self.limit_m, self.n_nodes)

    def to_dense(self) -> np.ndarray:
        """Dense ``(n_sources, n_nodes)`` array, inf where not reached."""
        out = np.full((self.n_sources, self.n_nodes), np.inf)
        out[self.row_of_entries(), self.node] = self.dist
        return out


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
        ps = order[expand_ranges(lo, cnt)]
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


WHOLE_GRAPH_WORK = 2e7  # sources x nodes up to which one search on the whole graph is cheaper


def reach_from_sources(graph: WalkGraph, sources: Snap, limit_m: float,
                       batch_size: int | None = None) -> Reach:
    """Per-source walking distances to all nodes within ``limit_m``.

    A node walked to within the limit lies within ``limit_m`` (times the graph's largest ratio
    of a street's drawn length to its walking length, about 1) of the source's snapped point
    in a straight line. So sources are grouped by square cells of that size and each group is
    searched (``scipy.sparse.csgraph.dijkstra``, ``limit=limit_m``) on the nodes of its cell
    and the eight around it only: the work grows with the number of sources, not with sources
    × nodes. Batches bound the dense ``batch x nodes`` work array to about 64 MB. The result
    is the same as a search on the whole graph (which is used when the lengths give no bound).
    """
    lim = float(limit_m)
    src_idx = np.flatnonzero(sources.edge >= 0)
    stretch = _stretch(graph)
    if src_idx.size * graph.n_nodes <= WHOLE_GRAPH_WORK or not np.isfinite(stretch):
        row, node, dist = _reach_whole(graph, sources, lim, batch_size)
    else:
        row, node, dist = _reach_local(graph, sources, src_idx, lim, max(lim * stretch, 1.0), batch_size)
    k_all = len(sources)
    indptr = np.zeros(k_all + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=k_all), out=indptr[1:])
    return Reach(indptr=indptr, node=node, dist=dist, limit_m=lim, n_nodes=graph.n_nodes)


def _stretch(graph: WalkGraph) -> float:
    """The largest drawn length of a street per metre of its walking length (inf when a street
    of some length walks as 0 m: distances then give no bound on the straight line)."""
    if graph.n_edges == 0:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(graph.geom_length > 0, graph.geom_length / graph.length, 0.0)
    return float(max(1.0, np.nanmax(np.where(np.isnan(ratio), np.inf, ratio))))


def _reach_whole(graph: WalkGraph, sources: Snap, lim: float, batch_size: int | None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, node, distance) of every reach, searching the whole graph; sorted by source, node."""
    n = graph.n_nodes
    aug, src_idx = _augmented(graph, sources)
    if batch_size is None:
        batch_size = max(1, int(64e6 // (8 * aug.shape[0])))
    rows, nodes, dists = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for b in range(0, src_idx.size, batch_size):  # bounded-memory batches
        idx = n + np.arange(b, min(b + batch_size, src_idx.size))
        d = dijkstra(aug, directed=True, indices=idx, limit=lim)[:, :n]
        r, c = np.nonzero(np.isfinite(d))
        rows.append(src_idx[b + r])
        nodes.append(c.astype(np.int64))
        dists.append(d[r, c])
    return np.concatenate(rows), np.concatenate(nodes), np.concatenate(dists)


def _cells(x: np.ndarray, y: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    return np.floor(x / size).astype(np.int64), np.floor(y / size).astype(np.int64)


def _reach_local(graph: WalkGraph, sources: Snap, src_idx: np.ndarray, lim: float, radius: float,
                 batch_size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, node, distance) of every reach, each cell's sources searched on the nodes of the
    3 x 3 cells around theirs; sorted by source, node."""
    n = graph.n_nodes
    ni, nj = _cells(graph.x, graph.y, radius)
    span = int(nj.max() - nj.min()) + 3
    nkey = (ni - ni.min() + 1) * span + (nj - nj.min() + 1)
    order = np.argsort(nkey, kind="stable")
    sorted_key = nkey[order]
    si, sj = _cells(sources.x[src_idx], sources.y[src_idx], radius)
    skey = (si - ni.min() + 1) * span + (sj - nj.min() + 1)
    pos = np.full(n, -1, np.int64)
    rows, nodes, dists = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for key in np.unique(skey):
        around = (key + np.add.outer(np.array([-span, 0, span]), np.array([-1, 0, 1]))).ravel()
        lo, hi = np.searchsorted(sorted_key, around), np.searchsorted(sorted_key, around, side="right")
        local = np.sort(order[expand_ranges(lo, hi - lo)])
        members = src_idx[skey == key]
        size = batch_size or max(1, int(64e6 // (8 * (local.size + members.size))))
        pos[local] = np.arange(local.size)
        for b in range(0, members.size, size):
            batch = members[b:b + size]
            r, c, d = _search_local(graph, sources, batch, local, pos, lim)
            rows.append(batch[r])
            nodes.append(local[c])
            dists.append(d)
        pos[local] = -1
    row, node, dist = np.concatenate(rows), np.concatenate(nodes), np.concatenate(dists)
    keep = np.lexsort((node, row))
    return row[keep], node[keep], dist[keep]


def _search_local(graph: WalkGraph, sources: Snap, batch: np.ndarray, local: np.ndarray, pos: np.ndarray,
                  lim: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Dijkstra for the sources ``batch`` on the subgraph of the ``local`` nodes (``pos``:
    global node -> local index, -1 outside). Returns (batch row, local node, distance)."""
    csr = graph.csr
    start, count = csr.indptr[local], csr.indptr[local + 1] - csr.indptr[local]
    at = expand_ranges(start, count)
    col = pos[csr.indices[at]]
    row = np.repeat(np.arange(local.size), count)
    inside = col >= 0
    m, k = local.size, batch.size
    e = sources.edge[batch]
    w_u = sources.access[batch] + sources.offset[batch]
    w_v = sources.access[batch] + (graph.length[e] - sources.offset[batch])
    to_u, to_v = pos[graph.u[e]], pos[graph.v[e]]
    loop = to_u == to_v  # a street from a node back to itself: one link, the shorter way
    w_u = np.where(loop, np.minimum(w_u, w_v), w_u)
    vr = np.r_[np.arange(k), np.arange(k)]
    vc, vw = np.r_[to_u, to_v], np.r_[w_u, w_v]
    ok = (vc >= 0) & (vw <= lim) & np.r_[np.ones(k, bool), ~loop]  # an end outside the cells is beyond the limit
    aug = sp.csr_matrix((np.r_[csr.data[at][inside], vw[ok]],
                         (np.r_[row[inside], m + vr[ok]], np.r_[col[inside], vc[ok]])), shape=(m + k, m + k))
    d = dijkstra(aug, directed=True, indices=m + np.arange(k), limit=lim)[:, :m]
    r, c = np.nonzero(np.isfinite(d))
    return r, c, d[r, c]


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
    g = substrings(graph.geometry[[e]], np.array([a]), np.array([b]))[0]
    xy = shapely.get_coordinates(g)
    return xy[::-1] if t_from > t_to else xy


def _end_of_walk(graph: WalkGraph, dist: np.ndarray, t: Snap) -> tuple[float, int, float]:
    """Shortest way onto the target's edge: (distance, entry node, offset of that node on the edge)."""
    et, ot = int(t.edge[0]), float(t.offset[0])
    via_u = dist[graph.u[et]] + ot
    via_v = dist[graph.v[et]] + graph.length[et] - ot
    if via_u <= via_v:
        return float(via_u), int(graph.u[et]), 0.0
    return float(via_v), int(graph.v[et]), float(graph.length[et])


def _node_path(pred: np.ndarray, last: int, root: int) -> list[int]:
    """Nodes from the first after ``root`` to ``last``, following Dijkstra's predecessors."""
    path = [last]  # predecessor walk: inherently sequential, path-length loop
    while pred[path[-1]] != root:
        path.append(int(pred[path[-1]]))
    path.reverse()
    return path


def _network_parts(graph: WalkGraph, f: Snap, path: list[int], last_from: float, t: Snap) -> list[np.ndarray]:
    """Coordinates of a walk leaving ``f``'s edge, along ``path``, and onto ``t``'s edge."""
    ef, of, lf = int(f.edge[0]), float(f.offset[0]), float(graph.length[int(f.edge[0])])
    if graph.u[ef] == graph.v[ef]:  # self-loop: leave by the cheaper way
        first_to = 0.0 if of <= lf - of else lf
    else:
        first_to = 0.0 if path[0] == graph.u[ef] else lf
    parts = [_piece(graph, ef, of, first_to)]
    for a, b in itertools.pairwise(path):
        e = _edge_between(graph, a, b)
        xy = shapely.get_coordinates(graph.geometry[e])
        parts.append(xy if graph.u[e] == a else xy[::-1])
    parts.append(_piece(graph, int(t.edge[0]), last_from, float(t.offset[0])))
    return parts


def _line(parts: list[np.ndarray]) -> shapely.LineString:
    """One line through the parts' coordinates, repeated points dropped."""
    xy = np.concatenate(parts)
    keep = np.ones(len(xy), bool)
    keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
    xy = xy[keep]
    if len(xy) == 1:
        xy = np.vstack([xy, xy])
    return shapely.LineString(xy)


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
    best, last, last_from = _end_of_walk(graph, dist, t)
    # ``dist`` already includes the start's access walk (virtual edge weights)
    same_edge = f.edge[0] == t.edge[0]
    direct = f.access[0] + abs(f.offset[0] - t.offset[0]) if same_edge else np.inf
    if not np.isfinite(min(best, direct)):
        return float("inf"), None
    start, stop = np.array([[f.px[0], f.py[0]]]), np.array([[t.px[0], t.py[0]]])
    if direct <= best:
        middle, total = [_piece(graph, int(f.edge[0]), float(f.offset[0]), float(t.offset[0]))], direct
    else:
        middle, total = _network_parts(graph, f, _node_path(pred, last, n), last_from, t), best
    return float(total + t.access[0]), _line([start, *middle, stop])
