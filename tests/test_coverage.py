"""Coverage engine: answers known exactly on synthetic layers, and the shipped data."""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.engine import coverage as cv
from geo.engine import crs, nearest
from geo.engine import graph as wg
from geo.io.district import District

LONGHU = District.open()
"""The shipped layers' district (its store is never opened here)."""

UTM = "EPSG:32650"
X0, Y0 = 470000.0, 2580000.0  # inside Longhu, UTM 50N


def square(x0, y0, size):
    return shapely.box(x0, y0, x0 + size, y0 + size)


def layers(size=10000.0, centers_xy=((5000.0, 5000.0),), population=None):
    """A square district of one street and two half communities, with centres at given points."""
    dist = square(X0, Y0, size)
    district = gpd.GeoDataFrame({"code": ["1"], "name": ["D"]}, geometry=[dist], crs=UTM)
    streets = gpd.GeoDataFrame({"code": ["11"], "name": ["S"], "geometry_source": "test"}, geometry=[dist], crs=UTM)
    west = shapely.box(X0, Y0, X0 + size / 2, Y0 + size)
    east = shapely.box(X0 + size / 2, Y0, X0 + size, Y0 + size)
    comms = gpd.GeoDataFrame({"code": ["111", "112"], "name": ["W", "E"], "street_code": ["11", "11"],
                              "geometry_source": "test"}, geometry=[west, east], crs=UTM)
    if population is not None:
        comms["population"] = population
    pts = gpd.GeoSeries([shapely.Point(X0 + x, Y0 + y) for x, y in centers_xy], crs=UTM)
    centers = gpd.GeoDataFrame({"id": [f"c{i}" for i in range(len(pts))], "name": [f"C{i}" for i in range(len(pts))],
                                "tier": "community"}, geometry=pts, crs=UTM)
    return [g.to_crs("EPSG:4326") for g in (district, streets, comms, centers)]


def test_circle_far_from_boundary_covers_pi_r_squared():
    r = cv.analyse(*layers(), cv.Settings(minutes=(15,), speed_kmh=4.0))
    assert abs(r.covered.area - math.pi * 1000.0 ** 2) / (math.pi * 1000.0 ** 2) < 0.005
    # the district (10 km × 10 km) minus one circle is one gap of known area
    assert len(r.gaps) == 1
    assert r.gaps["area_m2"].iat[0] == pytest.approx(1e8 - r.covered.area, rel=1e-6)
    assert r.covered_pct == pytest.approx(100 * math.pi * 1e6 / 1e8, rel=0.005)


def test_elderly_speed_shrinks_the_radius():
    s = cv.Settings(minutes=(15,), speed_kmh=cv.SPEED_PRESETS["elderly"])
    assert s.reach_m() == pytest.approx(750.0)
    r = cv.analyse(*layers(), s)
    assert r.covered.area == pytest.approx(math.pi * 750.0 ** 2, rel=0.005)


def test_bands_are_nested_rings():
    r = cv.analyse(*layers(), cv.Settings(minutes=(5, 10, 15)))
    b = cv.bands(r.areas, r.district)
    radii = [cv.reach_m(m, 4.0) for m in (5, 10, 15)]
    expected = [math.pi * radii[0] ** 2, math.pi * (radii[1] ** 2 - radii[0] ** 2),
                math.pi * (radii[2] ** 2 - radii[1] ** 2)]
    np.testing.assert_allclose(b.area.to_numpy(), expected, rtol=0.01)
    assert list(b["label"]) == ["0–5 分钟", "5–10 分钟", "10–15 分钟"]
    assert r.by_minutes[5.0] < r.by_minutes[10.0] < r.by_minutes[15.0]


def test_gaps_ignore_slivers_and_sort_largest_first():
    # two centres far apart: the uncovered area is one part; then add slivers by a tiny limit
    r = cv.analyse(*layers(centers_xy=((2000, 5000), (8000, 5000))), cv.Settings(min_gap_m2=2000))
    assert len(r.gaps) == 1
    district = square(X0, Y0, 100.0)
    covered = shapely.union_all([square(X0, Y0, 60.0), square(X0 + 61, Y0, 39.0), square(X0, Y0 + 61, 100)])
    gaps = cv.find_gaps(district, covered, min_area_m2=50.0)
    # uncovered, one connected part: strip x=[60,61]×y=[0,61] (61 m²), block [61,100]×[39,61]
    # (858 m²) and strip y=[60,61]×x=[0,60] (60 m²)
    assert len(gaps) == 1 and gaps["area_m2"].iat[0] == pytest.approx(61 + 858 + 60, rel=1e-6)
    assert len(cv.find_gaps(district, covered, min_area_m2=1000.0)) == 0


def test_summary_per_street_and_community_with_population():
    # a centre on the west/east border: each half community is half covered by a semicircle
    r = cv.analyse(*layers(centers_xy=((5000, 5000),), population=[1000, 3000]), cv.Settings())
    s = r.summary.set_index("code")
    half = math.pi * 1e6 / 2 / 1e6
    assert s.at["111", "covered_km2"] == pytest.approx(half, rel=0.005)
    assert s.at["111", "covered_pct"] == pytest.approx(100 * half / 50.0, rel=0.005)
    assert s.at["11", "area_km2"] == pytest.approx(100.0)
    assert s.at["112", "covered_population"] == pytest.approx(3000 * half / 50.0, rel=0.005)
    assert s.at["11", "population"] == 4000
    assert s.at["11", "covered_pop_pct"] == pytest.approx(100 * half / 50.0, rel=0.005)
    assert set(s["level"]) == {"street", "community"}


def test_tier_selection_and_errors():
    d, s, c, centers = layers(centers_xy=((2000, 5000), (8000, 5000)))
    centers["tier"] = ["street", "station"]
    r = cv.analyse(d, s, c, centers, cv.Settings(tiers=("station",)))
    assert list(r.centers["tier"]) == ["station"]
    with pytest.raises(cv.CoverageError, match="no centres of tier"):
        cv.analyse(d, s, c, centers, cv.Settings(tiers=("district",)))
    with pytest.raises(cv.CoverageError, match="unknown tier"):
        cv.Settings(tiers=("castle",))
    with pytest.raises(cv.CoverageError, match="network"):
        cv.analyse(d, s, c, centers, cv.Settings(mode="network"))


def test_catchments_split_between_two_centres_exactly():
    r = cv.analyse(*layers(centers_xy=((4500, 5000), (5500, 5000))), cv.Settings())
    k = cv.catchments(r.centers, r.district, r.settings, r.crs).set_index("center_id")
    # the Voronoi border is x = 5000: each catchment is its circle cut by that line, mirror images
    assert k.at["c0", "area_km2"] == pytest.approx(k.at["c1", "area_km2"], rel=1e-6)
    assert k["area_km2"].sum() * 1e6 == pytest.approx(r.covered.area, rel=1e-6)
    assert k.geometry["c0"].bounds[2] == pytest.approx(X0 + 5000, abs=1e-6)


@pytest.mark.slow
def test_overlap_count_matches_lens_area():
    r = cv.analyse(*layers(centers_xy=((4500, 5000), (5500, 5000))), cv.Settings())
    o = cv.overlap_count(r.areas, r.district, cell_m=10.0).set_index("count")
    lens = 2 * 1000 ** 2 * math.acos(0.5) - 500 * math.sqrt(4 * 1000 ** 2 - 1000 ** 2)  # two r=1000, d=1000
    assert o.geometry[2].area == pytest.approx(lens, rel=0.02)
    assert o.geometry[1].area == pytest.approx(2 * math.pi * 1e6 - 2 * lens, rel=0.02)


def grid_graph(n=41, spacing=100.0):
    xs, ys = np.meshgrid(np.arange(n) * spacing + X0 + 3000, np.arange(n) * spacing + Y0 + 3000)
    idx = np.arange(n * n).reshape(n, n)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    return wg.graph_from_arrays(xs.ravel(), ys.ravel(), u, v, crs=UTM)


def test_network_mode_isochrone_is_a_street_diamond_and_unreachable_centre_is_reported():
    g = grid_graph()
    # centre on a node in the middle of the grid, another 1 km away from any street
    d, s, c, centers = layers(centers_xy=((5000, 5000), (9500, 9500)))
    r = cv.analyse(d, s, c, centers, cv.Settings(mode="network", minutes=(3,), buffer_m=10.0), graph=g)
    iso = r.areas.set_index("center_id").geometry["c0"]
    limit = cv.reach_m(3, 4.0)  # 200 m: a diamond of streets, not a disc
    assert iso.contains(shapely.Point(X0 + 5000 + limit - 15, Y0 + 5000))
    assert not iso.contains(shapely.Point(X0 + 5000 + 120, Y0 + 5000 + 120))  # 240 m by street
    assert not iso.contains(shapely.Point(X0 + 5000 + 50, Y0 + 5000 + 50))  # block interior
    # covered street length: 4 arms of 200 m plus 4 × (2 side streets of 100 m)… checked by area
    assert list(r.unreachable["center_id"]) == ["c1"]
    assert r.areas.set_index("center_id").geometry["c1"].is_empty


def test_nearest_in_every_coordinate_system_on_shipped_data():
    centers = LONGHU.shipped("centers")
    row = centers[centers["tier"] == "street"].iloc[0]
    for system in ("wgs84", "gcj02", "bd09"):
        lon, lat = crs.convert(row["lon"], row["lat"], "wgs84", system)
        r = nearest.nearest_centers(centers, float(lon), float(lat), crs=system, k=3, district=LONGHU.outline)
        assert r.table["id"].iat[0] == row["id"]
        assert r.table["distance_m"].iat[0] < 0.05
        assert r.table["minutes"].is_monotonic_increasing and len(r.table) == 3
        assert r.inside_district


def test_nearest_network_route_and_far_point():
    g = grid_graph()
    _d, _s, _c, centers = layers(centers_xy=((5000, 5000), (6000, 5000)))
    # query 30 m north of the street y=5000 at x=5550: walk 30 + 450 m to c1 at x=6000
    q = gpd.GeoSeries([shapely.Point(X0 + 5550, Y0 + 5030)], crs=UTM).to_crs("EPSG:4326").iloc[0]
    r = nearest.nearest_centers(centers, q.x, q.y, k=2, mode="network", graph=g)
    assert list(r.table["id"]) == ["c1", "c0"]
    assert r.table["distance_m"].iat[0] == pytest.approx(480.0, abs=0.5)
    assert r.table["distance_m"].iat[1] == pytest.approx(580.0, abs=0.5)
    assert r.table["minutes"].iat[0] == pytest.approx(480.0 / (4000 / 60), abs=0.01)
    route = gpd.GeoSeries([r.route], crs="EPSG:4326").to_crs(UTM).iloc[0]
    assert route.length == pytest.approx(480.0, abs=0.5)
    far = gpd.GeoSeries([shapely.Point(X0 + 9500, Y0 + 9500)], crs=UTM).to_crs("EPSG:4326").iloc[0]
    r = nearest.nearest_centers(centers, far.x, far.y, mode="network", graph=g)
    assert len(r.table) == 0 and "200 m" in str(r.message)
