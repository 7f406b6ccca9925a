"""The union of blocks walked along the graph's half-edges (geo.engine.blocks)."""

from __future__ import annotations

import numpy as np
import shapely

from geo.engine import faces as fm
from geo.engine import graph as wg
from tests.test_isochrones_fast import grid, messy_graph

K, S = 8, 100.0  # an 8 x 8 grid of nodes, 100 m apart: 49 square blocks


def square_grid():
    g = wg.graph_from_arrays(*grid(K, S))
    f = fm.graph_faces(g)
    centre = shapely.centroid(f.polygon)
    at = {(int(c.x // S), int(c.y // S)): i for i, c in enumerate(centre)}  # block (column, row)
    return f, at


def test_a_rectangle_of_blocks_is_one_box():
    f, at = square_grid()
    blocks = [at[i, j] for i in range(1, 4) for j in range(2, 4)]
    union = f.walk.union(np.array(blocks))
    assert union.equals(shapely.box(100, 200, 400, 400))
    assert union.exterior.is_ccw


def test_a_ring_of_blocks_has_its_hole():
    f, at = square_grid()
    blocks = [at[i, j] for i in range(1, 4) for j in range(1, 4) if (i, j) != (2, 2)]
    union = f.walk.union(np.array(blocks))
    assert len(union.interiors) == 1
    assert union.equals(shapely.box(100, 100, 400, 400).difference(shapely.box(200, 200, 300, 300)))


def test_blocks_touching_at_a_corner_or_apart_go_to_geos():
    f, at = square_grid()
    corner = np.array([at[1, 1], at[2, 2]])
    apart = np.array([at[1, 1], at[4, 4]])
    assert f.walk.union(corner) is None and f.walk.union(apart) is None
    for blocks in (corner, apart):
        assert f.union(blocks).equals(shapely.union_all(f.polygon[blocks]))


def test_walked_unions_equal_geos_on_a_messy_network():
    """Dead ends, a hanging loop (a block with a hole), curved streets, crossings without nodes."""
    f = fm.graph_faces(messy_graph())
    rng = np.random.default_rng(1)
    walked = 0
    for _ in range(300):
        centre = rng.integers(f.n_usable)
        near = np.flatnonzero(shapely.dwithin(f.polygon, f.polygon[centre], rng.uniform(0, 150)))
        blocks = near[rng.random(near.size) < 0.85]
        union = f.walk.union(blocks)
        if union is not None:
            walked += 1
            assert union.is_valid
            assert union.equals(shapely.coverage_union_all(f.polygon[blocks]))
    assert walked > 150  # most unions are one polygon, walked
