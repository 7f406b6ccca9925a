"""Station siting: optima known by hand, greedy traps, network coverage, the shipped data."""

import json

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from geo.engine import coverage as cv
from geo.engine import covering, routing, siting, solvers
from geo.engine import graph as wg
from geo.io import candidates, results
from geo.io.district import District

LONGHU = District.open()
"""The shipped layers' district (its store is never opened here)."""

UTM = "EPSG:32650"
X0, Y0 = 470000.0, 2580000.0  # inside Longhu, UTM 50N
W, H = 10000.0, 1000.0
HEADLINE_KEYS = {"sites", "covered_pct_before", "covered_pct_after"}


def layers(clusters, centre_x=9500.0):
    """A 10 km × 1 km district; ``clusters`` = [(x, y, size, population)] square communities
    (relative metres) in a community of no population, and one centre at ``centre_x``."""
    dist = shapely.box(X0, Y0, X0 + W, Y0 + H)
    boxes = [shapely.box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s) for x, y, s, _ in clusters]
    rest = shapely.difference(dist, shapely.union_all(boxes))
    district = gpd.GeoDataFrame({"code": ["1"], "name": ["D"]}, geometry=[dist], crs=UTM)
    streets = gpd.GeoDataFrame({"code": ["11"], "name": ["S"], "geometry_source": "test"}, geometry=[dist], crs=UTM)
    comms = gpd.GeoDataFrame({"code": [f"c{i}" for i in range(len(boxes) + 1)],
                              "name": [f"C{i}" for i in range(len(boxes) + 1)], "street_code": "11",
                              "geometry_source": "test",
                              "population": [p for *_, p in clusters] + [0.0]},
                             geometry=boxes + [rest], crs=UTM)
    centers = gpd.GeoDataFrame({"id": ["e1"], "name": ["E1"], "tier": ["community"]},
                               geometry=[shapely.Point(X0 + centre_x, Y0 + H / 2)], crs=UTM)
    return [g.to_crs("EPSG:4326") for g in (district, streets, comms, centers)]


def analyse(clusters, **kw):
    return cv.analyse(*layers(clusters, **kw), cv.Settings(minutes=(15,)))  # reach 1000 m


def site_x(plan):
    """Sites' x (relative metres, metric CRS), in rank order."""
    return plan.sites.to_crs(UTM).geometry.x.to_numpy() - X0


# One 100 m demand cell per cluster, on a line (cell centres at x + 50):
# P=50, Q=1550, M=2450, R=3350, S=4850. One station reaches {P,Q}, {Q,M,R}, {R,S} at most.
# Greedy takes {Q,M,R} (6000 people) then P or S (3000) = 9000; the optimum {P,Q}+{R,S} = 10000.
TRAP = [(0, 400, 100, 3000), (1500, 400, 100, 2000), (2400, 400, 100, 2000),
        (3300, 400, 100, 2000), (4800, 400, 100, 3000)]


@pytest.fixture(scope="module")
def trap():
    return analyse(TRAP)


def test_two_clusters_get_one_station_each():
    r = analyse([(1000, 350, 300, 3000), (6000, 350, 300, 5000)])
    plan = siting.suggest(r, k=2, method="exact")
    assert len(plan.sites) == 2
    xs = site_x(plan)
    assert abs(xs[0] - 6150) < 900 and abs(xs[1] - 1150) < 900  # bigger cluster ranks first
    assert plan.sites["added_demand"].to_numpy() == pytest.approx([5000, 3000], rel=1e-9)
    assert plan.demand_unit == "people" and plan.demand_pct_after == pytest.approx(100.0)
    one = siting.suggest(r, k=1, method="exact")
    assert abs(site_x(one)[0] - 6150) < 900 and one.objective == pytest.approx(5000)


def test_greedy_trap_exact_beats_greedy_and_gap_is_reported(trap):
    plan = siting.suggest(trap, k=2, method="exact")
    assert plan.exact_objective == pytest.approx(10000)
    assert plan.greedy_objective == pytest.approx(9000)
    assert plan.gap_pct == pytest.approx(10.0)
    assert float(plan.sites["added_demand"].sum()) == pytest.approx(10000)
    xs = np.sort(site_x(plan))
    assert xs[0] < 1550 + 1000 and xs[1] > 3350 - 1000  # one site per outer pair
    greedy = siting.suggest(trap, k=2, method="greedy")
    assert greedy.method == "greedy" and greedy.gap_pct is None
    assert float(greedy.sites["added_demand"].sum()) == pytest.approx(9000)
    assert abs(site_x(greedy)[0] - 2450) <= 100  # greedy grabs the middle triple first


def test_lscp_minimum_counts(trap):
    full = siting.suggest_cover(trap, 100.0, method="exact")
    assert len(full.sites) == 3 and full.model == "LSCP"  # 5 clusters, at most 3 per station
    assert full.demand_pct_after == pytest.approx(100.0)
    # 9600 people: {P,Q}+{R,S} = 10000 with 2 stations; greedy needs 3 (6000 + 3000 + …)
    part = siting.suggest_cover(trap, 80.0, method="exact")
    assert len(part.sites) == 2 and part.exact_objective == 2 and part.greedy_objective == 3
    assert part.gap_pct == pytest.approx(50.0)


def test_matrix_models_known_optima():
    # set cover where greedy is fooled: rows 0-5; C0={0,1,2}, C1={3,4,5}, C2={0,1,3,4}
    cols = [[0, 1, 2], [3, 4, 5], [0, 1, 3, 4]]
    r = np.concatenate(cols)
    c = np.repeat(np.arange(3), [len(x) for x in cols])
    A = sp.csc_matrix((np.ones(len(r), bool), (r, c)), shape=(6, 3))
    w = np.ones(6)
    assert len(solvers.greedy_lscp(A, w, 6)) == 3
    assert sorted(solvers.exact_lscp(A, w, 6).chosen) == [0, 1]
    assert solvers.greedy_mclp(A, w, 1).tolist() == [2]
    assert sorted(solvers.exact_mclp(A, w, 2).chosen) == [0, 1]


@pytest.mark.slow
def test_reduction_is_exact():
    rng = np.random.default_rng(1)
    A = sp.random(300, 80, density=0.05, format="csc", random_state=2).astype(bool)
    A = sp.hstack([A, A[:, :10]]).tocsc()  # duplicate candidates
    A = sp.vstack([A, A[:50]]).tocsc()  # duplicate rows
    w = rng.integers(0, 5, A.shape[0]).astype(float)
    Ar, wr, _cols = solvers.reduce_instance(A, w)
    assert Ar.shape[0] < A.shape[0] and Ar.shape[1] <= 80
    for k in (3, 6):
        full = solvers.covered_weight(A, w, solvers.exact_mclp(A, w, k).chosen)
        red = solvers.covered_weight(Ar, wr, solvers.exact_mclp(Ar, wr, k).chosen)
        assert full == pytest.approx(red)


def test_headline_contract_outputs_and_accept(tmp_path, trap):
    plan = siting.suggest(trap, k=2, method="auto")
    head = json.loads(json.dumps(plan.headline()))
    assert set(head) == HEADLINE_KEYS
    assert all(set(s) == {"lon", "lat", "added_demand"} for s in head["sites"])
    assert head["covered_pct_after"] >= head["covered_pct_before"]
    assert "MCLP" in plan.describe("zh") and "服务站" in plan.describe("zh")
    assert "Suggested 2 new stations (MCLP" in plan.describe("en") and "服务" not in plan.describe("en")
    results.write_plan(plan, tmp_path, "user")
    assert {p.name for p in tmp_path.iterdir()} == {"sites.geojson", "sites.csv", "coverage_after.geojson"}
    after = gpd.read_file(tmp_path / "coverage_after.geojson")
    assert list(after["kind"]) == ["existing", "added", "added"]
    centers = LONGHU.shipped("centers")
    streets, communities = LONGHU.shipped("streets"), LONGHU.shipped("communities")
    once = siting.accept_sites(plan, centers, streets, communities)
    twice = siting.accept_sites(plan, once, streets, communities)
    assert len(twice) == len(centers) + 4 and twice["id"].is_unique
    new = twice.tail(4)
    assert list(new["name"]) == ["拟建服务站01", "拟建服务站02", "拟建服务站03", "拟建服务站04"]
    assert set(new["tier"]) == {"station"} and set(new["position_source"]) == {"proposed"}


def test_full_coverage_needs_nothing_and_bad_input():
    r = analyse([(1000, 350, 300, 3000)], centre_x=1150)
    r.gaps = r.gaps.iloc[0:0]  # pretend the district is fully covered
    plan = siting.suggest(r, k=3)
    assert len(plan.sites) == 0 and plan.covered_pct_after == pytest.approx(plan.covered_pct_before)
    with pytest.raises(siting.SitingError):
        siting.suggest(r, k=0)
    with pytest.raises(siting.SitingError):
        siting.suggest(r, k=21)
    with pytest.raises(siting.SitingError):
        siting.suggest(r, k=2, method="best")


def test_user_candidates(tmp_path, trap):
    # a user site at Q/M's midpoint: no better than the grid, but it must be usable and named
    pts = gpd.GeoDataFrame({"name": ["商场"]}, geometry=[shapely.Point(X0 + 2000, Y0 + 450)], crs=UTM)
    path = tmp_path / "cands.csv"
    ll = pts.to_crs("EPSG:4326")
    path.write_text(f"名称,经度,纬度\n商场,{ll.geometry.x.iat[0]},{ll.geometry.y.iat[0]}\n", encoding="utf-8")
    district = gpd.GeoDataFrame(geometry=[trap.district], crs=trap.crs)
    loaded = candidates.load_candidates(path, district=district)
    assert loaded["name"].tolist() == ["商场"] and loaded.crs.equals("EPSG:4326")
    inst = covering.build_instance(trap, candidates=loaded)
    assert inst.candidate_source[-1] == "user" and inst.candidate_name[-1] == "商场"
    with pytest.raises(siting.SitingError, match="GeoDataFrame"):
        siting.build_instance(trap, candidates=path)  # the engine reads no file


# --------------------------------------------------------------------------- network mode


def lattice(nx=41, ny=11, step=100.0, gap_x=None):
    """A street grid (metres from X0, Y0); with ``gap_x``, horizontal streets crossing x=gap_x
    are removed except the bottom one (a river with one bridge)."""
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    x, y = X0 + ix.ravel() * step, Y0 + iy.ravel() * step
    idx = np.arange(nx * ny).reshape(ny, nx)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    if gap_x is not None:
        xm = (x[u] + x[v]) / 2 - X0
        cut = (np.abs(xm - gap_x) < step / 2) & (y[u] == y[v]) & (y[u] > Y0)
        u, v = u[~cut], v[~cut]
    return wg.graph_from_arrays(x, y, u, v, crs=UTM)


def test_network_coverage_matches_shortest_routes():
    g = lattice(nx=21, ny=8, gap_x=1000)
    rng = np.random.default_rng(3)
    cxy = np.c_[X0 + rng.uniform(0, 2000, 12), Y0 + rng.uniform(-50, 750, 12)]
    dxy = np.c_[X0 + rng.uniform(0, 2000, 25), Y0 + rng.uniform(-50, 750, 25)]
    A = covering.coverage_matrix_network(g, cxy, dxy, 800.0).toarray()
    cs = wg.snap_points(g, cxy[:, 0], cxy[:, 1])
    ds = wg.snap_points(g, dxy[:, 0], dxy[:, 1])
    brute = np.array([[routing.shortest_route(g, cs, ds, j, i)[0] <= 800.0 for j in range(len(cxy))]
                      for i in range(len(dxy))])
    assert (A == brute).all() and 0 < A.sum() < A.size
    # the river makes walking coverage smaller than the straight-line one
    assert A.sum() < covering.coverage_matrix_circle(cxy, dxy, 800.0).toarray().sum()


def test_network_mode_suggest():
    g = lattice(nx=101, ny=11, gap_x=5000)  # 10 km × 1 km of streets, river at x = 5 km
    lay = layers([(1000, 350, 300, 3000), (6000, 350, 300, 5000)])
    settings = cv.Settings(mode="network", minutes=(15,))
    r = cv.analyse(*lay, settings, graph=g)
    with pytest.raises(siting.SitingError, match="graph"):
        siting.suggest(r, k=2)
    plan = siting.suggest(r, k=2, graph=g, method="exact")
    assert len(plan.sites) == 2 and plan.demand_pct_after == pytest.approx(100.0)
    assert plan.covered_pct_after > plan.covered_pct_before


# --------------------------------------------------------------------------- the shipped data


@pytest.mark.slow
def test_shipped_data_k3_increases_coverage(tmp_path):
    r = cv.analyse(LONGHU.outline, LONGHU.shipped("streets"), LONGHU.shipped("communities"), LONGHU.shipped("centers"))
    plan = siting.suggest(r, k=3)
    assert plan.method == "exact" and len(plan.sites) == 3
    assert plan.covered_pct_after > plan.covered_pct_before + 1.0
    assert plan.gap_pct is not None and plan.gap_pct >= 0
    inside = plan.sites.within(LONGHU.outline.geometry.iat[0])
    assert inside.all()
    assert set(plan.headline()) == HEADLINE_KEYS
