"""Buffers united on Clipper's integer grid (geo.engine.offsets) against GEOS's buffers."""

from __future__ import annotations

import numpy as np
import shapely

from geo.engine.offsets import Grid, arc_tolerance, buffer_union

R, Q = 30.0, 4
GAP = 2 * R * (1 - np.cos(np.pi / (4 * Q))) + 0.01 * R  # see tests/test_isochrones_fast.py


def same(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    return bool(b.is_valid and shapely.hausdorff_distance(a, b, densify=0.05) <= GAP)


def square(x0: float, y0: float, side: float) -> np.ndarray:
    c = [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side), (x0, y0)]
    return shapely.linestrings([c[i:i + 2] for i in range(4)])


def test_a_ring_of_streets_keeps_its_hole_and_an_island_inside_it():
    x0, y0 = 500_000.0, 2_580_000.0  # UTM-sized coordinates: the grid's origin keeps them small
    lines = np.r_[square(x0, y0, 200.0), shapely.linestrings([[(x0 + 90, y0 + 100), (x0 + 110, y0 + 100)]])]
    out = buffer_union(lines, None, R, Q, Grid(x0 - 1000, y0 - 1000))
    ref = shapely.union_all(shapely.buffer(lines, R, quad_segs=Q))
    assert out.geom_type == "MultiPolygon" and len(out.geoms) == 2  # the ring and the island
    ring = max(out.geoms, key=lambda p: p.area)
    assert len(ring.interiors) == 1  # the middle of the block stays empty
    assert same(ref, out)
    assert abs(out.area - ref.area) <= GAP * ref.length


def test_a_polygon_is_united_with_its_hole_whatever_its_rings_orientation():
    hole = [(40, 40), (160, 40), (160, 160), (40, 160)]
    shell = [(0, 0), (200, 0), (200, 200), (0, 200)]
    lines = shapely.linestrings([[(300.0, 100.0), (400.0, 100.0)]])
    for poly in (shapely.Polygon(shell, [hole]), shapely.Polygon(shell[::-1], [hole[::-1]])):
        out = buffer_union(lines, poly, R, Q, Grid(0.0, 0.0))
        ref = shapely.union(poly, shapely.buffer(lines[0], R, quad_segs=Q))
        assert len(shapely.get_parts(out)) == 2
        assert out.contains(shapely.Point(250, 100)) is False  # between the two: untouched
        assert out.contains(shapely.Point(100, 100)) is False  # the hole stays a hole
        assert same(ref, out)


def test_no_lines_give_the_polygon_back_and_no_chord_is_longer_than_geos():
    poly = shapely.box(0, 0, 10, 10)
    assert buffer_union(np.empty(0, dtype=object), poly, R, Q, Grid(0.0, 0.0)) is poly
    # a single point-like street end: the cap's chords are no longer than GEOS's 16-gon's
    out = buffer_union(shapely.linestrings([[(0.0, 0.0), (0.001, 0.0)]]), None, R, Q, Grid(-50.0, -50.0))
    xy = shapely.get_coordinates(out)
    chord = np.hypot(*np.diff(xy, axis=0).T).max()
    assert chord <= 2 * R * np.sin(np.pi / (4 * Q)) + 1e-3  # GEOS: 4 Q chords of 22.5 degrees
    assert arc_tolerance(R, Q) < R * (1 - np.cos(np.pi / (4 * Q)))


def test_every_turn_gets_as_many_chords_as_geos_gives_it():
    """A street bent by any angle: Clipper's buffer has GEOS's vertex count (the same chords per
    round end and per turn) and stays within the arcs' approximation of it."""
    for deg in range(5, 180, 5):
        a = np.radians(deg)
        line = shapely.linestrings([[(-100.0, 0.0), (0.0, 0.0), (100 * np.cos(a), 100 * np.sin(a))]])
        out = buffer_union(line, None, R, Q, Grid(-500.0, -500.0))
        ref = shapely.buffer(line[0], R, quad_segs=Q)
        assert shapely.get_num_coordinates(out) == shapely.get_num_coordinates(ref), deg
        assert same(ref, out), deg
