"""Buffers of many lines united with a polygon, on an integer grid with Clipper (pyclipper).

The walking area of a centre (:mod:`geo.engine.isochrones`) is the union of a hundred or so
buffered street pieces and one polygon (the reached blocks). GEOS unites buffers pairwise (a
cascade of overlays, about 7 ms for a centre's hundred pieces); Clipper offsets every line and
unites the result in one sweep (about 3 ms), so this one step uses the well-kept ``pyclipper``
binding of Angus Johnson's Clipper, and GEOS the rest.

Clipper works on integer coordinates: points are taken relative to an origin and rounded to
a millimetre (:class:`Grid`), far finer than any street map. Round ends and joins are drawn
with chords no longer than those of GEOS's ``quad_segs`` (:func:`arc_tolerance`), so the two
agree to the arcs' approximation.
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
        """The vertices of each line or ring as an integer array (one path per geometry)."""
        xy, idx = shapely.get_coordinates(geoms, return_index=True)
        q = np.rint((xy - (self.x0, self.y0)) * self.scale).astype(np.int64)
        return np.split(q, np.searchsorted(idx, np.arange(1, len(geoms))))

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


def arc_tolerance(r: float, quad_segs: int) -> float:
    """Clipper's arc tolerance that never draws a chord longer than GEOS's (``4 * quad_segs``
    segments per circle), so no chord strays farther from its arc than GEOS's do.

    Clipper splits a turn of angle ``a`` into ``round(a * k)`` steps (``k`` steps per radian,
    from the tolerance), so a step can span up to 1.5 of its nominal angle: the nominal step
    is therefore two thirds of GEOS's, ``pi / (3 * quad_segs)``.
    """
    return r * (1.0 - np.cos(np.pi / (6 * max(int(quad_segs), 1))))


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
