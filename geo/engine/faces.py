"""The faces (city blocks) of a walking graph, traced once per graph, for fast isochrones.

A walking area is the union of the reachable streets buffered by ``r`` metres
(:mod:`geo.engine.isochrones`). Inside a block whose every side is reachable, that union is
simply the block minus its *erosion* (the points farther than ``r`` from its sides), so the
isochrone does not need the buffers of the streets between such blocks: the union ``C`` of
those blocks, grown by ``r`` (one polygon buffer) and minus the erosions, replaces hundreds
of overlapping street buffers. This module finds the blocks.

Blocks are traced on the graph's half-edges: at every node the incident streets are sorted
by direction, and the walk that keeps a block on its left turns to the next street clockwise.
Each cycle of that walk is a face. Out-and-back pieces (dead ends, with both sides in the
same face) are dropped from a face's ring and stay ordinary streets.

A face is *usable* only when it can be trusted as a block of a planar drawing:

* its ring is one closed, simple, counter-clockwise polygon of non-trivial area;
* it is not the outer boundary of its connected component (the one clockwise cycle);
* no *anomaly* -- a cycle that is not simple, or a second clockwise cycle, which is what
  streets crossing without a shared node (bridges, tunnels) produce -- has an envelope that
  meets the face's envelope;
* when the graph has several components, its envelope meets no face of another component.

Then the usable faces do not overlap (the winding numbers of all cycles sum to zero at
every point, and each usable face winds once around its inside), so their union is a
coverage union. Streets on the ring of an unusable face are simply buffered as before.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.engine.graph import WalkGraph, expand_ranges

MIN_FACE_M2 = 1e-3  # faces smaller than this are slivers of duplicate streets: never used


@dataclass(eq=False)
class Faces:
    """Faces of a graph.

    Attributes
    ----------
    left : ndarray of int64, shape (n_edges,)
        Usable face on the left of each edge (walking ``u`` -> ``v``), -1 for none.
    right : ndarray of int64, shape (n_edges,)
        Usable face on the right, -1 for none.
    n_ring : ndarray of int64, shape (n_faces,)
        Number of edges on each face's ring.
    polygon : ndarray of Polygon, shape (n_faces,)
        The faces (metric CRS of the graph).
    inradius : ndarray of float, shape (n_faces,)
        An upper bound of the radius of the largest disc inside each face: ``2 A / P`` for a
        convex face, ``sqrt(A / pi)`` otherwise. A face whose bound is at most ``r`` has an
        empty erosion by ``r`` (no buffer needed).
    """

    left: np.ndarray
    right: np.ndarray
    n_ring: np.ndarray
    polygon: np.ndarray
    inradius: np.ndarray
    _erosion: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def n_usable(self) -> int:
        """Number of usable faces."""
        return int(np.count_nonzero(self.n_ring))

    def erosions(self, faces: np.ndarray, r: float, quad_segs: int) -> np.ndarray:
        """The erosion (inward buffer by ``r``) of each face in ``faces``, computed once per face.

        Faces too small for a disc of radius ``r`` have an empty erosion without a buffer.
        Safe to call from several threads: the lock guards the cache, not the buffers (two
        threads may both buffer a face they need at once; each uses its own).
        """
        key = (float(r), int(quad_segs))
        with self._lock:
            if key not in self._erosion:
                self._erosion[key] = (np.full(self.polygon.size, shapely.Polygon(), dtype=object),
                                      self.inradius <= r)  # (erosions, known) per face
            cache, known = self._erosion[key]
            need = ~known[faces]
            out = cache[faces]
        todo, inv = np.unique(faces[need], return_inverse=True)
        if todo.size:
            eroded = shapely.buffer(self.polygon[todo], -r, quad_segs=quad_segs)
            out[need] = eroded[inv]
            with self._lock:
                cache[todo] = eroded
                known[todo] = True
        return out


_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def graph_faces(graph: WalkGraph) -> Faces:
    """The usable faces of ``graph`` (traced on first use, then cached for the graph's lifetime)."""
    faces = _CACHE.get(graph)
    if faces is None:
        faces = _CACHE[graph] = _trace(graph)
    return faces


# --------------------------------------------------------------------------- tracing


@dataclass
class _HalfEdges:
    """Half-edge ``2e`` walks edge ``e`` from ``u`` to ``v``, ``2e + 1`` back."""

    origin: np.ndarray
    target: np.ndarray
    order: np.ndarray   # half-edges sorted counter-clockwise around each node
    pos: np.ndarray     # position of each half-edge in ``order``
    cw: np.ndarray      # by position: the position of the next half-edge clockwise (same node)
    coords: np.ndarray  # vertices of all edges
    ends: np.ndarray    # first and last vertex of each edge

    def next_on_left(self) -> np.ndarray:
        """The half-edge after each one along the face on its left: at the end node, the next
        street clockwise from the way back."""
        twin = np.arange(self.origin.size) ^ 1
        return self.order[self.cw[self.pos[twin]]]


def _half_edges(graph: WalkGraph) -> _HalfEdges:
    """The half-edges of ``graph`` with the order of streets around every node."""
    m = graph.n_edges
    coords, idx = shapely.get_coordinates(graph.geometry, return_index=True)
    first = np.searchsorted(idx, np.arange(m))
    last = np.append(first[1:], idx.size) - 1
    origin = np.empty(2 * m, np.int64)
    origin[0::2], origin[1::2] = graph.u, graph.v
    target = origin.reshape(-1, 2)[:, ::-1].ravel()
    near = np.empty(2 * m, np.int64)
    near[0::2], near[1::2] = first, last
    step = np.empty(2 * m, np.int64)
    step[0::2], step[1::2] = 1, -1
    d = coords[np.clip(near + step, 0, len(coords) - 1)] - coords[near]
    # counter-clockwise around each node: one sort on node + angle as a fraction of a turn
    turn = (np.arctan2(d[:, 1], d[:, 0]) + np.pi) / (2 * np.pi + 1e-9)
    order = np.argsort(origin + turn, kind="stable")
    counts = np.bincount(origin, minlength=graph.n_nodes)
    grp_start = np.repeat(np.cumsum(counts) - counts, counts)  # by sorted position
    p = np.arange(2 * m)
    cw = np.where(p > grp_start, p - 1, grp_start + np.repeat(counts, counts) - 1)
    pos = np.empty(2 * m, np.int64)
    pos[order] = p
    return _HalfEdges(origin, target, order, pos, cw, coords, np.c_[first, last])


def _cycle_order(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cycle id, position along the cycle) of every element of the permutation ``nxt``."""
    h = nxt.size
    if h == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    perm = sp.csr_matrix((np.ones(h, np.int8), (np.arange(h), nxt)), shape=(h, h))
    cyc = connected_components(perm, directed=True, connection="weak")[1].astype(np.int64)
    head = np.empty(int(cyc.max()) + 1, np.int64)
    _, first = np.unique(cyc, return_index=True)
    head[cyc[first]] = first  # the lowest element of each cycle
    # list ranking by pointer jumping: steps from each element to the last one of its cycle;
    # only the elements still short of the end are updated (short cycles finish in a few rounds)
    succ = np.where(nxt == head[cyc], np.arange(h), nxt)
    dist = (succ != np.arange(h)).astype(np.int64)
    active = np.flatnonzero(succ[succ] != succ)
    while active.size:
        s = succ[active]
        dist[active] = dist[active] + dist[s]
        succ[active] = succ[s]
        active = active[succ[succ[active]] != succ[active]]
    return cyc, -dist


@dataclass
class _Loops:
    """The boundary loops of every face: its half-edges whose twin lies in another face, in
    walking order, with out-and-back pieces (dead ends, and what hangs off a face by a single
    street) skipped. A block with an inner loop reached by a dead end has its shell and a hole."""

    xy: np.ndarray       # vertex coordinates, loop after loop, in walking order
    loop: np.ndarray     # loop of each vertex
    cycle: np.ndarray    # face (cycle) of each loop
    kept: np.ndarray     # the half-edges on loops


def _loops(he: _HalfEdges, cyc: np.ndarray) -> _Loops:
    """Each face's loops: from a kept half-edge, the next one is the first kept half-edge met
    turning clockwise at its end node (whatever lies between is an out-and-back excursion)."""
    h = he.origin.size
    kept = cyc != cyc[np.arange(h) ^ 1]
    mark = np.where(kept[he.order], np.arange(h), -1)
    upto = np.maximum.accumulate(mark) if h else mark
    counts = np.bincount(he.origin, minlength=int(he.origin.max()) + 1 if h else 0)
    starts = np.cumsum(counts) - counts
    grp_start = np.repeat(starts, counts)
    grp_last = np.repeat(np.maximum.reduceat(mark, starts[counts > 0]) if h else mark, counts[counts > 0])
    first_kept = np.where(upto >= grp_start, upto, grp_last)  # by position, wrapping in the node
    hs = np.flatnonzero(kept)
    compact = np.full(h, -1, np.int64)
    compact[hs] = np.arange(hs.size)
    cont = compact[he.order[first_kept[he.cw[he.pos[hs ^ 1]]]]]
    loop, rank = _cycle_order(cont)
    order = _walk_order(loop, rank)
    hs, loop = hs[order], loop[order]
    new = np.r_[True, loop[1:] != loop[:-1]] if hs.size else np.zeros(0, bool)
    loop, ls = np.cumsum(new) - 1, np.flatnonzero(new)  # numbered in walking order
    e = hs // 2
    cnt = he.ends[e, 1] - he.ends[e, 0]  # vertices per edge, without its last
    pos = expand_ranges(np.zeros(hs.size, np.int64), cnt)
    k = np.repeat(np.arange(hs.size), cnt)
    vert = np.where(np.repeat(hs % 2 == 0, cnt), he.ends[e, 0][k] + pos, he.ends[e, 1][k] - pos)
    return _Loops(he.coords[vert], loop[k], cyc[hs[ls]], hs)


def _walk_order(loop: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The order that sorts by loop, then along it: one sort on ``loop * n + rank`` in int64
    (loop numbers times walk lengths pass 2**31 on a city's graph)."""
    n = np.int64(loop.size + 1)
    return np.argsort(loop.astype(np.int64) * n + (rank.astype(np.int64) + n), kind="stable")


def _shape(lp: _Loops) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per loop: signed area (shoelace; > 0 counter-clockwise), vertex count, and whether it is
    convex (every turn the same way, one full turn in all) -- convex loops are simple."""
    n_loop = lp.cycle.size
    ring, xy = lp.loop, lp.xy
    n = np.bincount(ring, minlength=n_loop)
    if ring.size == 0:
        return np.zeros(n_loop), n, np.zeros(n_loop, bool)
    start = np.repeat(np.cumsum(n) - n, n)
    i = np.arange(ring.size)
    nxt = start + (i - start + 1) % n[ring]
    prv = start + (i - start - 1) % n[ring]
    area = 0.5 * np.bincount(ring, xy[:, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[:, 1], minlength=n_loop)
    a, b = xy - xy[prv], xy[nxt] - xy
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    turning = np.bincount(ring, np.arctan2(cross, (a * b).sum(axis=1)), minlength=n_loop)
    left = np.bincount(ring, cross > 0, minlength=n_loop) > 0
    right = np.bincount(ring, cross < 0, minlength=n_loop) > 0
    convex = ((~right & (np.abs(turning - 2 * np.pi) < 1e-6))
              | (~left & (np.abs(turning + 2 * np.pi) < 1e-6)))
    return area, n, convex


def _rings_of(lp: _Loops, loops: np.ndarray) -> np.ndarray:
    """Linear rings of the given loops (sorted ids), in that order."""
    sel = np.isin(lp.loop, loops)
    return shapely.linearrings(lp.xy[sel], indices=np.searchsorted(loops, lp.loop[sel]))


def _simple(lp: _Loops, convex: np.ndarray, n_vert: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per loop: simple, and simple or only touching itself at a vertex (a walk through a
    cut node: its lobes wind once each, like separate loops)."""
    simple = convex | (n_vert < 3)
    check = np.flatnonzero(~simple)
    touching = simple.copy()
    if check.size:  # only loops that are not convex need GEOS's tests
        rings = _rings_of(lp, check)
        ok = shapely.is_simple(rings)
        simple[check] = ok
        touching[check] = ok
        rest = check[~ok]
        if rest.size:
            why = shapely.is_valid_reason(shapely.polygons(rings[~ok]))
            touching[rest] = [str(w).startswith("Ring Self-intersection") for w in why]
    return simple, touching


@dataclass
class _Kinds:
    """What the loops and cycles are."""

    usable: np.ndarray     # per cycle: a face (one simple counter-clockwise shell, simple holes, valid)
    facelike: np.ndarray   # per cycle: one shell, its loops simple or touching themselves
    area: np.ndarray       # per loop: signed area
    big: np.ndarray        # per loop: not a sliver
    touching: np.ndarray   # per loop: simple, or touching itself only at vertices
    convex: np.ndarray     # per loop


def _kinds(lp: _Loops, n_cyc: int) -> _Kinds:
    area, n_vert, convex = _shape(lp)
    big = (np.abs(area) > MIN_FACE_M2) & (n_vert >= 3)
    simple, touching = _simple(lp, convex, n_vert)
    count = lambda mask: np.bincount(lp.cycle, mask, minlength=n_cyc)  # noqa: E731
    facelike = (count(~touching) == 0) & (count(big & (area > 0)) == 1)
    usable = facelike & (count(~simple | ~big) == 0)
    with_holes = np.flatnonzero(usable & (count(big & (area < 0)) > 0))
    if with_holes.size:
        usable[with_holes] = shapely.is_valid(_polygons(lp, with_holes, area))
    return _Kinds(usable, facelike, area, big, touching, convex)


def _anomalies(lp: _Loops, k: _Kinds, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Places (boxes, with their component) where winding numbers could let two usable faces of
    a component overlap: loops outside the usable faces that cross themselves, and where the
    insides of two clockwise loops of a component meet (holes inside their own face's shell
    excepted: the shell cancels them)."""
    other = ~k.usable[lp.cycle]
    bad = other & ~k.touching
    neg = other & k.touching & k.big & (k.area < 0)
    holes = np.flatnonzero(neg & k.facelike[lp.cycle])
    if holes.size:
        shell_of = np.full(k.usable.size, -1, np.int64)
        pos = np.flatnonzero(k.facelike[lp.cycle] & k.big & (k.area > 0))
        shell_of[lp.cycle[pos]] = pos
        shells = shell_of[lp.cycle[holes]]
        ring = _rings_of(lp, np.unique(np.r_[holes, shells]))
        poly = dict(zip(np.unique(np.r_[holes, shells]), shapely.make_valid(shapely.polygons(ring))))
        inside = shapely.covered_by([poly[h] for h in holes], [poly[s] for s in shells])
        neg[holes[inside]] = False
    idx = np.flatnonzero(neg)
    if idx.size > 1:
        polys = shapely.make_valid(shapely.polygons(_rings_of(lp, idx)))
        i, j = shapely.STRtree(polys).query(polys, predicate="intersects")
        pair = (i < j) & (comp[lp.cycle[idx[i]]] == comp[lp.cycle[idx[j]]])
        i, j = i[pair], j[pair]
        meet = shapely.relate_pattern(polys[i], polys[j], "T********")
        i, j = i[meet], j[meet]
        where = shapely.envelope(shapely.intersection(polys[i], polys[j]))
        return (np.r_[shapely.envelope(_rings_of(lp, np.flatnonzero(bad))), where],
                np.r_[comp[lp.cycle[bad]], comp[lp.cycle[idx[i]]]])
    bad = np.flatnonzero(bad)
    return shapely.envelope(_rings_of(lp, bad)), comp[lp.cycle[bad]]


def _polygons(lp: _Loops, cycles: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Polygons of the given cycles (sorted ids): the counter-clockwise loop is the shell."""
    loops = np.flatnonzero(np.isin(lp.cycle, cycles))
    loops = loops[np.lexsort((area[loops] < 0, lp.cycle[loops]))]
    rings = _rings_of(lp, np.sort(loops))[np.argsort(np.argsort(loops))]
    return shapely.polygons(rings, indices=np.searchsorted(cycles, lp.cycle[loops]))


def _trace(graph: WalkGraph) -> Faces:
    m = graph.n_edges
    he = _half_edges(graph)
    cyc, _ = _cycle_order(he.next_on_left())
    n_cyc = int(cyc.max()) + 1 if cyc.size else 0
    lp = _loops(he, cyc)
    k = _kinds(lp, n_cyc)
    comp = np.zeros(n_cyc, np.int64)
    comp[cyc] = connected_components(graph.csr, directed=False)[1][he.origin]
    usable = k.usable & ~_near(_envelopes(lp), k.usable[lp.cycle], _anomalies(lp, k, comp), lp.cycle, comp)
    face_id = np.full(n_cyc, -1, np.int64)
    face_id[usable] = np.arange(int(usable.sum()))
    polys = _polygons(lp, np.flatnonzero(usable), k.area) if usable.any() else np.empty(0, dtype=object)
    side = np.full(2 * m, -1, np.int64)
    side[lp.kept] = face_id[cyc[lp.kept]]
    n_ring = np.bincount(side[side >= 0], minlength=int(usable.sum()))
    return Faces(left=side[0::2], right=side[1::2], n_ring=n_ring, polygon=polys,
                 inradius=_inradius(lp, k, usable, polys))


def _inradius(lp: _Loops, k: _Kinds, usable: np.ndarray, polys: np.ndarray) -> np.ndarray:
    """Per usable face, a bound of its largest inside disc's radius (see :class:`Faces`)."""
    area = shapely.area(polys)
    loops = np.bincount(lp.cycle, minlength=usable.size)[usable]
    convex = np.zeros(usable.size, bool)
    shell = k.big & (k.area > 0)
    convex[lp.cycle[shell & k.convex]] = True
    convex = convex[usable] & (loops == 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(convex, 2.0 * area / shapely.length(polys), np.sqrt(area / np.pi))


def _envelopes(lp: _Loops) -> np.ndarray:
    """Bounding box (minx, miny, maxx, maxy) of each loop."""
    env = np.full((lp.cycle.size, 4), np.nan)
    if lp.loop.size:
        cuts = np.flatnonzero(np.r_[True, lp.loop[1:] != lp.loop[:-1]])
        env[:, :2] = np.minimum.reduceat(lp.xy, cuts, axis=0)
        env[:, 2:] = np.maximum.reduceat(lp.xy, cuts, axis=0)
    return env


def _near(env: np.ndarray, of_usable: np.ndarray, places: tuple[np.ndarray, np.ndarray],
          cycle: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """Cycles with a loop of a usable face whose envelope meets an anomaly of its component."""
    hit = np.zeros(comp.size, bool)
    boxes, where = places
    cand = np.flatnonzero(of_usable)
    if boxes.size and cand.size:
        tree = shapely.STRtree(shapely.box(*env[cand].T))
        i, j = tree.query(boxes)
        same = where[i] == comp[cycle[cand[j]]]
        hit[cycle[cand[j[same]]]] = True
    return hit
