"""Buffers of many lines united with a polygon, on an integer grid with Clipper (pyclipper).

The walking area of a centre (:mod:`geo.engine.isochrones`) is the union of a hundred or so
buffered street pieces and one polygon (the reached blocks). GEOS unites buffers pairwise (a
cascade of overlays, about 7 ms for a centre's hundred pieces); Clipper offsets every line and
unites the result in one sweep (about 3 ms), so this one step uses the well-kept ``pyclipper``
binding of Angus Johnson's Clipper, and GEOS the rest.

Clipper works on integer coordinates: points are taken relative to an origin and rounded to
a millimetre (:class:`Grid`), far finer than any street map. Round ends and joins are drawn
with as many chords as GEOS draws them for the same ``quad_segs`` (:func:`arc_tolerance`), so
the two agree to the arcs' approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyclipper
import shapely


@dataclass(frozen=True)
class Grid:
    """The integer grid: ``round((x - x0) * scale)``; 1,000 per metre keeps a 1,000 km wide
    area inside Clipper's fast 32-bit range."""

    x0: float
    y0: float
    scale: float = 1000.0

    def paths(self, geoms: np.ndarray) -> list[np.ndarray]:
        """The vertices of each line or ring as an integer array (one path per geometry), each
        walked from a canonical start (see :func:`canonical_order`)."""
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        q = np.rint((xy - (self.x0, self.y0)) * self.scale).astype(np.int64)
        count = np.bincount(idx, minlength=len(geoms))
        return np.split(q[canonical_order(q, count)], np.cumsum(count)[:-1])

    def geometry(self, tree: pyclipper.PyPolyNode) -> shapely.Geometry | None:
        """A Clipper polygon tree as one (multi)polygon in the original coordinates (rings may
        touch themselves: see :func:`buffer_union`)."""
        rings, owner = [], []
        stack = list(tree.Childs)
        k = 0
        while stack:  # outer rings, each with its holes; islands inside holes come again
            outer = stack.pop()
            for node in (outer, *outer.Childs):
                rings.append(np.asarray(node.Contour, dtype=float))
                owner.append(k)
            stack.extend(c for h in outer.Childs for c in h.Childs)
            k += 1
        if not rings:
            return None
        ring_of = np.repeat(np.arange(len(rings)), [len(r) for r in rings])
        xy = np.concatenate(rings) / self.scale + (self.x0, self.y0)
        polys = shapely.polygons(shapely.linearrings(xy, indices=ring_of), indices=owner)
        return polys[0] if polys.size == 1 else shapely.multipolygons(polys)


def canonical_order(q: np.ndarray, count: np.ndarray) -> np.ndarray:
    """The order that walks each path (``count`` vertices each, one after another) from a
    canonical start: an open path from its lexicographically smaller end, a closed one from its
    smallest vertex towards the smaller of that vertex's neighbours.

    Clipper draws a round turn in whole steps from where it begins and a shorter last chord
    where it ends, so a street's buffer depends on the way it is walked; walked one way, it does
    not depend on which way the street was drawn in the data, or chained with its neighbours.
    """
    key = q[:, 0] * (1 << 32) + q[:, 1]  # lexicographic (grid coordinates stay below 2**31)
    start = np.cumsum(count) - count
    end = start + count - 1
    group = np.repeat(np.arange(count.size), count)
    pos = np.arange(q.shape[0]) - start[group]
    closed = (count > 3) & (key[start] == key[np.maximum(end, 0)])
    flip = ~closed & (key[np.maximum(end, 0)] < key[start])
    out = np.where(flip[group], start[group] + count[group] - 1 - pos, np.arange(q.shape[0]))
    if closed.any():  # rotate the ring (its last vertex repeats the first) to its smallest vertex
        ring = closed[group] & (pos < count[group] - 1)
        m = count[group] - 1
        low = np.where(ring, key, np.iinfo(np.int64).max)
        first_min = np.full(count.size, -1)
        order = np.lexsort((pos, low, group))  # per path, its smallest vertex first
        heads = order[np.r_[0, np.flatnonzero(np.diff(group[order])) + 1]]
        first_min[group[heads]] = pos[heads]
        r0 = first_min[group]
        after = key[start[group] + (r0 + 1) % np.maximum(m, 1)]
        before = key[start[group] + (r0 - 1) % np.maximum(m, 1)]
        step = np.where(after <= before, 1, -1)
        rot = start[group] + (r0 + step * pos) % np.maximum(m, 1)
        out = np.where(closed[group], rot, out)
    return out


def arc_tolerance(r: float, quad_segs: int) -> float:
    """Clipper's arc tolerance that gives every turn as many chords as GEOS gives it
    (``4 * quad_segs`` per full circle).

    Both split a turn of angle ``a`` into ``round(a / q)`` chords, ``q`` GEOS's step
    ``pi / (2 * quad_segs)``: GEOS makes them equal, Clipper makes all but the last ``q``. So a
    round end or a right-angle corner is drawn alike, and in both the longest chord, on a turn
    just short of ``1.5 q``, spans ``1.5 q``. The step is taken a millionth smaller, so that
    rounding never gives Clipper one chord fewer than GEOS.
    """
    return r * (1.0 - np.cos(np.pi / (4 * max(int(quad_segs), 1)) * (1 - 1e-6)))  # half a step


def buffer_union(lines: np.ndarray, polygon: shapely.Geometry | None, r: float, quad_segs: int,
                 grid: Grid) -> shapely.Geometry | None:
    """``union(buffer(lines, r), polygon)``: round ends and joins; None when both are empty.

    Clipper offsets the lines and unites their buffers; GEOS adds the polygon (one overlay of
    two polygons, cheaper there, and without Python's global lock, so threads overlap it).
    """
    if len(lines) == 0:
        return polygon
    off = pyclipper.PyclipperOffset(2.0, arc_tolerance(r, quad_segs) * grid.scale)
    off.AddPaths(grid.paths(lines), pyclipper.JT_ROUND, pyclipper.ET_OPENROUND)
    streets = grid.geometry(off.Execute2(r * grid.scale))
    if streets is None:
        return polygon
    if polygon is None or polygon.is_empty:
        return streets if shapely.is_valid(streets) else shapely.make_valid(streets)
    try:  # GEOS's overlay reads rings touching themselves, and its result is valid
        return shapely.union(streets, polygon)
    except shapely.errors.GEOSException:
        return shapely.union(shapely.make_valid(streets), polygon)
