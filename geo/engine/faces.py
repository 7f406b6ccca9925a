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
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from numba import njit
from scipy.sparse.csgraph import connected_components

from geo.engine.blocks import Walk
from geo.engine.graph import WalkGraph, expand_ranges

MIN_FACE_M2 = 1e-3  # faces smaller than this are slivers of duplicate streets: never used
MAX_WIDTH_VERTICES = 32  # loops whose width bounds their inside disc (the test is quadratic)


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
        The faces (metric CRS of the graph); :meth:`polygons` builds only those asked for.
    inradius : ndarray of float, shape (n_faces,)
        An upper bound of the radius of the largest disc inside each face: the least of
        ``2 A / P`` for a convex face (``sqrt(A / pi)`` otherwise) and half the shell's least
        extent across one of its sides. A face whose bound is at most ``r`` has an empty
        erosion by ``r`` (no buffer needed).
    walk : Walk
        The half-edges around the faces, to unite faces without GEOS (:mod:`geo.engine.blocks`).
    """

    left: np.ndarray
    right: np.ndarray
    n_ring: np.ndarray
    inradius: np.ndarray
    walk: Walk = field(repr=False)
    rings: _FaceLoops = field(repr=False)
    _cache: dict = field(default_factory=dict, repr=False)  # per-face values built once
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def polygon(self) -> np.ndarray:
        """Every face's polygon (built on first use)."""
        return self.polygons(np.arange(self.n_ring.size))

    def polygons(self, faces: np.ndarray) -> np.ndarray:
        """The polygons of ``faces``, each built once, when first asked for: the walking areas
        need few of a city's million (the union of the filled blocks is walked, not built from
        them), and a worker process builds its own."""
        n = self.n_ring.size
        return self._per_face("polygon", np.asarray(faces, np.int64),
                              lambda: (np.empty(n, dtype=object), np.zeros(n, bool)), self.rings.polygons)

    def union(self, faces: np.ndarray) -> shapely.Geometry | None:
        """The union of ``faces``: walked along their sides when it is one polygon, else GEOS's
        coverage union; None when that is not valid (faces that overlap after all)."""
        c = self.walk.union(faces)
        if c is None:
            c = shapely.coverage_union_all(self.polygons(faces))
            if not c.is_valid:
                return None
        return c

    @property
    def n_usable(self) -> int:
        """Number of usable faces."""
        return int(np.count_nonzero(self.n_ring))

    def erosions(self, faces: np.ndarray, r: float, quad_segs: int) -> np.ndarray:
        """The erosion (inward buffer by ``r``) of each face in ``faces``, computed once per face.

        Faces too small for a disc of radius ``r`` have an empty erosion without a buffer.
        """
        n = self.n_ring.size
        return self._per_face(("erosion", float(r), int(quad_segs)), faces,
                              lambda: (np.full(n, shapely.Polygon(), dtype=object), self.inradius <= r),
                              lambda todo: shapely.buffer(self.polygons(todo), -r, quad_segs=quad_segs))

    def _per_face(self, slot: object, faces: np.ndarray, fresh: Callable[[], tuple[np.ndarray, np.ndarray]],
                  build: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """The values of cache ``slot`` for ``faces`` (``fresh()`` makes its (values, known)
        arrays), those not yet known built by ``build`` once. Safe to call from several threads:
        the lock guards the cache, not the building (two threads may both build a face they
        need at once; each uses its own)."""
        with self._lock:
            if slot not in self._cache:
                self._cache[slot] = fresh()
            cache, known = self._cache[slot]
            need = ~known[faces]
            out = cache[faces]
        todo, inv = np.unique(faces[need], return_inverse=True)
        if todo.size:
            built = build(todo)
            out[need] = built[inv]
            with self._lock:
                cache[todo] = built
                known[todo] = True
        return out

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def graph_faces(graph: WalkGraph) -> Faces:
    """The usable faces of ``graph`` (traced on first use, then cached for the graph's lifetime)."""
    faces = _CACHE.get(graph)
    if faces is None:
        faces = _CACHE[graph] = _trace(graph)
    return faces


def is_traced(graph: WalkGraph) -> bool:
    """Whether ``graph``'s faces are cached already."""
    return graph in _CACHE


# --------------------------------------------------------------------------- tracing


@dataclass
class _HalfEdges:
    """Half-edge ``2e`` walks edge ``e`` from ``u`` to ``v``, ``2e + 1`` back."""

    origin: np.ndarray
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
    coords = shapely.get_coordinates(graph.geometry)
    n_vert = shapely.get_num_coordinates(graph.geometry)
    last = np.cumsum(n_vert) - 1
    first = last - n_vert + 1
    origin = np.empty(2 * m, np.int64)
    origin[0::2], origin[1::2] = graph.u, graph.v
    ends = np.c_[first, last]
    order, pos, cw = _around_nodes(origin, _leaving_angles(ends, coords), graph.n_nodes)
    return _HalfEdges(origin, order, pos, cw, coords, ends)


# The tracer's walks follow pointers (around a node, along a face), which numpy can only do
# in many whole-array passes; numba compiles these few loops instead (one pass each, and
# without Python's lock, so a search can run beside them).


@njit(cache=True, nogil=True)
def _leaving_angles(ends: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """The direction in which each half-edge leaves its node (its first segment)."""
    angle = np.empty(2 * ends.shape[0])
    for e in range(ends.shape[0]):
        a, b = ends[e, 0], ends[e, 1]
        a1, b1 = min(a + 1, coords.shape[0] - 1), max(b - 1, 0)
        angle[2 * e] = np.arctan2(coords[a1, 1] - coords[a, 1], coords[a1, 0] - coords[a, 0])
        angle[2 * e + 1] = np.arctan2(coords[b1, 1] - coords[b, 1], coords[b1, 0] - coords[b, 0])
    return angle


@njit(cache=True, nogil=True)
def _around_nodes(origin: np.ndarray, angle: np.ndarray, n_nodes: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Half-edges sorted by node, then counter-clockwise (ties by number): ``order``, the
    position of each half-edge in it, and by position the next position clockwise."""
    h = origin.size
    start = np.zeros(n_nodes + 1, np.int64)
    for i in range(h):
        start[origin[i] + 1] += 1
    for k in range(n_nodes):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    order = np.empty(h, np.int64)
    for i in range(h):
        order[fill[origin[i]]] = i
        fill[origin[i]] += 1
    cw = np.empty(h, np.int64)
    for k in range(n_nodes):
        a, b = start[k], start[k + 1]
        for p in range(a + 1, b):  # insertion sort: a node has a handful of streets
            e, q = order[p], p - 1
            while q >= a and angle[order[q]] > angle[e]:
                order[q + 1] = order[q]
                q -= 1
            order[q + 1] = e
        for p in range(a, b):
            cw[p] = p - 1 if p > a else b - 1
    pos = np.empty(h, np.int64)
    for p in range(h):
        pos[order[p]] = p
    return order, pos, cw


@njit(cache=True, nogil=True)
def _cycle_order(nxt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cycle, position along it) of every element of the permutation ``nxt``; cycles are
    numbered by their lowest element, where each walk starts."""
    h = nxt.size
    cyc = np.full(h, -1, np.int64)
    rank = np.empty(h, np.int64)
    k = 0
    for s in range(h):
        if cyc[s] < 0:
            i, r = s, 0
            while cyc[i] < 0:
                cyc[i] = k
                rank[i] = r
                r += 1
                i = nxt[i]
            k += 1
    return cyc, rank


@njit(cache=True, nogil=True)
def _loop_walks(cyc: np.ndarray, order: np.ndarray, pos: np.ndarray, cw: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """The half-edges on loops (twin in another face) in walking order, and their loop
    (numbered in that order). From a kept half-edge the next is the first kept one met turning
    clockwise at its end node: whatever lies between is an out-and-back excursion."""
    h = cyc.size
    kept = np.empty(h, np.bool_)
    for i in range(h):
        kept[i] = cyc[i] != cyc[i ^ 1]
    cont = np.full(h, -1, np.int64)
    for i in range(h):
        if kept[i]:
            p = cw[pos[i ^ 1]]
            while not kept[order[p]]:  # ends: the twin itself is kept
                p = cw[p]
            cont[i] = order[p]
    hs = np.empty(h, np.int64)
    loop = np.empty(h, np.int64)
    n, k = 0, 0
    for s in range(h):
        if cont[s] >= 0:
            i = s
            while cont[i] >= 0:
                hs[n], loop[n] = i, k
                n += 1
                nxt = cont[i]
                cont[i] = -1  # walked
                i = nxt
            k += 1
    return hs[:n], loop[:n]


@njit(cache=True, nogil=True)
def _loop_vertices(hs: np.ndarray, loop: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices of the walked half-edges, each edge's last one left to the next edge:
    (vertex index, loop of each vertex)."""
    total = 0
    for j in range(hs.size):
        total += ends[hs[j] // 2, 1] - ends[hs[j] // 2, 0]
    vert = np.empty(total, np.int64)
    of = np.empty(total, np.int64)
    n = 0
    for j in range(hs.size):
        a, b = ends[hs[j] // 2, 0], ends[hs[j] // 2, 1]
        for t in range(b - a):
            vert[n] = a + t if hs[j] % 2 == 0 else b - t
            of[n] = loop[j]
            n += 1
    return vert, of


@dataclass
class _Loops:
    """The boundary loops of every face: its half-edges whose twin lies in another face, in
    walking order, with out-and-back pieces (dead ends, and what hangs off a face by a single
    street) skipped. A block with an inner loop reached by a dead end has its shell and a hole."""

    xy: np.ndarray       # vertex coordinates, loop after loop, in walking order
    loop: np.ndarray     # loop of each vertex
    start: np.ndarray    # first vertex of each loop (and the vertex count at the end)
    cycle: np.ndarray    # face (cycle) of each loop
    kept: np.ndarray     # the half-edges on loops


def _loops(he: _HalfEdges, cyc: np.ndarray) -> _Loops:
    """Each face's loops (see :func:`_loop_walks`), with their vertices."""
    hs, loop = _loop_walks(cyc, he.order, he.pos, he.cw)
    ls = np.flatnonzero(np.r_[True, loop[1:] != loop[:-1]]) if hs.size else np.zeros(0, np.int64)
    vert, of = _loop_vertices(hs, loop, he.ends)
    start = np.r_[0, np.cumsum(np.bincount(of, minlength=ls.size))]
    return _Loops(he.coords[vert], of, start, cyc[hs[ls]], hs)


def _shape(lp: _Loops) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per loop: signed area (shoelace; > 0 counter-clockwise), perimeter, vertex count, whether it is
    convex (every turn the same way, one full turn in all) -- convex loops are simple -- and a
    bound of its inside disc's radius (see :func:`_loop_shapes`)."""
    area, perimeter, convex, half_width = _loop_shapes(lp.xy, lp.start)
    return area, perimeter, np.diff(lp.start), convex, half_width


@njit(cache=True, nogil=True)
def _loop_shapes(xy: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Signed area, perimeter, convexity and a bound of the inside disc's radius of each loop (vertices
    ``start[k]`` to ``start[k + 1] - 1``): half the loop's least extent across one of its own
    sides (no wider disc fits between those two parallel lines), for loops of up to
    ``MAX_WIDTH_VERTICES`` vertices (inf for larger ones)."""
    n_loop = start.size - 1
    area, perimeter = np.zeros(n_loop), np.zeros(n_loop)
    convex = np.zeros(n_loop, np.bool_)
    half_width = np.full(n_loop, np.inf)
    for k in range(n_loop):
        a, b = start[k], start[k + 1]
        twice, turning, left, right = 0.0, 0.0, False, False
        for i in range(a, b):
            j = i + 1 if i + 1 < b else a
            p = i - 1 if i > a else b - 1
            twice += xy[i, 0] * xy[j, 1] - xy[j, 0] * xy[i, 1]
            ax, ay = xy[i, 0] - xy[p, 0], xy[i, 1] - xy[p, 1]
            bx, by = xy[j, 0] - xy[i, 0], xy[j, 1] - xy[i, 1]
            cross = ax * by - ay * bx
            turning += np.arctan2(cross, ax * bx + ay * by)
            perimeter[k] += np.hypot(bx, by)
            left |= cross > 0
            right |= cross < 0
            if b - a <= MAX_WIDTH_VERTICES and (bx != 0 or by != 0):
                lo, hi = 0.0, 0.0
                for q in range(a, b):
                    t = bx * (xy[q, 1] - xy[i, 1]) - by * (xy[q, 0] - xy[i, 0])
                    lo, hi = min(lo, t), max(hi, t)
                half_width[k] = min(half_width[k], 0.5 * (hi - lo) / np.hypot(bx, by))
        area[k] = 0.5 * twice
        convex[k] = ((not right and abs(turning - 2 * np.pi) < 1e-6)
                     or (not left and abs(turning + 2 * np.pi) < 1e-6))
    return area, perimeter, convex, half_width


def _ring_coords(lp: _Loops | _FaceLoops, loops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The closed rings of the given loops, in that order: coordinates and ring offsets."""
    n = lp.start[loops + 1] - lp.start[loops]
    vert = expand_ranges(lp.start[loops], n + 1)
    off = np.r_[0, np.cumsum(n + 1)]
    vert[off[1:] - 1] = lp.start[loops]  # each ring ends where it began
    return lp.xy[vert], off


@dataclass(eq=False)
class _FaceLoops:
    """The loops of each usable face, its shell first: what its polygon is built from."""

    xy: np.ndarray     # the loops' vertices (see :class:`_Loops`)
    start: np.ndarray
    ptr: np.ndarray    # face f's loops are loops[ptr[f]:ptr[f + 1]]
    loops: np.ndarray

    def polygons(self, faces: np.ndarray) -> np.ndarray:
        """The polygons of ``faces``, from ragged arrays (GEOS's fastest way to many polygons)."""
        count = self.ptr[faces + 1] - self.ptr[faces]
        xy, ring_off = _ring_coords(self, self.loops[expand_ranges(self.ptr[faces], count)])
        return shapely.from_ragged_array(shapely.GeometryType.POLYGON, xy, (ring_off, np.r_[0, np.cumsum(count)]))


def _rings_of(lp: _Loops, loops: np.ndarray) -> np.ndarray:
    """Linear rings of the given loops, in that order."""
    xy, off = _ring_coords(lp, loops)
    return shapely.linearrings(xy, indices=np.repeat(np.arange(loops.size), np.diff(off)))


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
    half_width: np.ndarray  # per loop: a bound of its inside disc's radius
    perimeter: np.ndarray   # per loop


def _kinds(lp: _Loops, n_cyc: int) -> _Kinds:
    area, perimeter, n_vert, convex, half_width = _shape(lp)
    big = (np.abs(area) > MIN_FACE_M2) & (n_vert >= 3)
    simple, touching = _simple(lp, convex, n_vert)
    count = lambda mask: np.bincount(lp.cycle, mask, minlength=n_cyc)  # noqa: E731
    facelike = (count(~touching) == 0) & (count(big & (area > 0)) == 1)
    usable = facelike & (count(~simple | ~big) == 0)
    with_holes = np.flatnonzero(usable & (count(big & (area < 0)) > 0))
    if with_holes.size:
        usable[with_holes] = shapely.is_valid(_polygons(lp, with_holes, area))
    return _Kinds(usable, facelike, area, big, touching, convex, half_width, perimeter)


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
    face_id = np.full(lp.cycle.max() + 1, -1, np.int64)
    face_id[cycles] = np.arange(cycles.size)
    return _face_loops(lp, face_id, area, cycles.size).polygons(np.arange(cycles.size))


def _face_loops(lp: _Loops, face_id: np.ndarray, area: np.ndarray, n_faces: int) -> _FaceLoops:
    """The loops of the usable faces (``face_id`` of each cycle, -1 for the others), shells first."""
    loops = np.flatnonzero(face_id[lp.cycle] >= 0)
    loops = loops[np.lexsort((area[loops] < 0, face_id[lp.cycle[loops]]))]
    per_face = np.bincount(face_id[lp.cycle[loops]], minlength=n_faces)
    return _FaceLoops(lp.xy, lp.start, np.r_[0, np.cumsum(per_face)], loops)


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
    n_faces = int(usable.sum())
    face_id = np.full(n_cyc, -1, np.int64)
    face_id[usable] = np.arange(n_faces)
    side = np.full(2 * m, -1, np.int64)
    side[lp.kept] = face_id[cyc[lp.kept]]
    n_ring = np.bincount(side[side >= 0], minlength=n_faces)
    walk = Walk.build(side, he.origin, he.order[he.cw[he.pos]], he.ends, he.coords, n_faces)
    return Faces(left=side[0::2], right=side[1::2], n_ring=n_ring, inradius=_inradius(lp, k, face_id, n_faces),
                 walk=walk, rings=_face_loops(lp, face_id, k.area, n_faces))


def _inradius(lp: _Loops, k: _Kinds, face_id: np.ndarray, n_faces: int) -> np.ndarray:
    """Per usable face, a bound of its largest inside disc's radius (see :class:`Faces`)."""
    face = face_id[lp.cycle]  # of each loop
    mine = face >= 0
    area = np.bincount(face[mine], k.area[mine], minlength=n_faces)  # holes count negative
    shell = mine & k.big & (k.area > 0)
    convex, perimeter, half_width = np.zeros(n_faces, bool), np.zeros(n_faces), np.full(n_faces, np.inf)
    convex[face[shell]], perimeter[face[shell]] = k.convex[shell], k.perimeter[shell]
    half_width[face[shell]] = k.half_width[shell]
    convex &= np.bincount(face[mine], minlength=n_faces) == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = np.where(convex, 2.0 * area / perimeter, np.sqrt(area / np.pi))
    return np.minimum(disc, half_width)


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
