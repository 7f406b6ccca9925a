"""The life-circle analysis (geo/engine/lifecircle.py) on synthetic cases whose answer is known
exactly: a square community, facilities at known distances, a straight street.

All facilities here are test data made up for the test, in EPSG:32650 near Shantou."""

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.engine import graph as wg
from geo.engine import lifecircle as lc

X0, Y0 = 470_000.0, 2_580_000.0  # south-west corner of the test community (UTM 50N)
CRS = "EPSG:32650"


def catalogue(**limits) -> lc.Catalogue:
    """Two test categories: a 5-minute one (300 m) and a 15-minute one (1000 m)."""
    return lc.Catalogue((
        lc.Category("kindergarten", "幼儿园", "Kindergarten", 5, limits.get("kindergarten", 300.0)),
        lc.Category("middle_school", "初中", "Middle school", 15, limits.get("middle_school", 1000.0)),
    ), source="test")


def square(side: float = 1000.0, population: float | None = None, code: str = "c1") -> gpd.GeoDataFrame:
    cols = {"code": [code], "name": ["测试社区"], "street_code": ["s1"]}
    if population is not None:
        cols["population"] = [population]
    return gpd.GeoDataFrame(cols, geometry=[shapely.box(X0, Y0, X0 + side, Y0 + side)], crs=CRS)


def facilities(*rows: tuple[str, float, float]) -> gpd.GeoDataFrame:
    """Test facilities: (category key, x offset, y offset) from the community's corner."""
    return gpd.GeoDataFrame({"category": [r[0] for r in rows]},
                            geometry=[shapely.Point(X0 + r[1], Y0 + r[2]) for r in rows], crs=CRS)


def row(result: lc.LifeCircleResult, key: str, code: str = "c1"):
    t = result.table
    return t[(t["category_key"] == key) & (t["code"] == code)].iloc[0]


# --------------------------------------------------------------------------- circle mode


def test_a_facility_at_the_corner_covers_a_quarter_disc_and_the_centroid_is_its_diagonal_away():
    r = lc.analyse(square(population=1000), facilities(("kindergarten", 0, 0)), catalogue())
    k = row(r, "kindergarten")
    assert k["covered_pct"] == pytest.approx(100 * math.pi * 300**2 / 4 / 1e6, rel=1e-3)  # 7.07 %
    assert k["nearest_m"] == pytest.approx(math.hypot(500, 500), abs=1e-6)
    assert k["nearest_minutes"] == pytest.approx(math.hypot(500, 500) / (4000 / 60))
    assert not k["reached"] and k["limit_m"] == 300
    assert k["population_covered"] == pytest.approx(1000 * k["covered_pct"] / 100)
    assert k["population_out"] == pytest.approx(1000 - k["population_covered"])
    m = row(r, "middle_school")  # no middle school at all
    assert m["covered_pct"] == 0 and np.isnan(m["nearest_m"]) and not m["reached"]


def test_a_facility_at_the_centre_covers_its_whole_disc_and_is_reached():
    r = lc.analyse(square(), facilities(("kindergarten", 500, 500), ("middle_school", 500, 1400)), catalogue())
    assert row(r, "kindergarten")["covered_pct"] == pytest.approx(100 * math.pi * 0.09, rel=1e-3)
    assert row(r, "kindergarten")["nearest_m"] == 0 and row(r, "kindergarten")["reached"]
    # the school 900 m north of the centroid: reached; its disc leaves the square's southern strip
    m = row(r, "middle_school")
    assert m["nearest_m"] == pytest.approx(900) and m["reached"]
    inside = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000).intersection(shapely.Point(X0 + 500, Y0 + 1400).buffer(
        1000, quad_segs=256)).area / 1e6
    assert m["covered_pct"] == pytest.approx(100 * inside, rel=2e-3)


def test_the_nearest_of_several_facilities_counts():
    r = lc.analyse(square(), facilities(("kindergarten", 500, 1300), ("kindergarten", 800, 500),
                                        ("kindergarten", -900, -900)), catalogue())
    assert row(r, "kindergarten")["nearest_m"] == pytest.approx(300)


def test_the_nearest_facility_is_named_on_foot_and_in_a_straight_line():
    """Two kindergartens seen from the community's centre (500, 500), on the street y = 500:
    甲 at (300, 200) is 361 m away in a straight line but 300 m off the street (500 m on foot);
    乙 at (900, 500) is 400 m either way."""
    fac = facilities(("kindergarten", 300, 200), ("kindergarten", 900, 500)).assign(name=["甲", "乙"])
    circle = lc.analyse(square(), fac, catalogue())
    assert row(circle, "kindergarten")["nearest_name"] == "甲"
    walked = lc.analyse(square(), fac, catalogue(), lc.Settings(mode="network", max_snap_m=400), graph=street())
    assert row(walked, "kindergarten")["nearest_name"] == "乙"
    assert row(walked, "kindergarten")["nearest_m"] == pytest.approx(400)
    assert row(circle, "middle_school")["nearest_name"] == ""  # none of that kind


@pytest.mark.parametrize("speed, minutes", [(4.0, 7.5), (3.0, 10.0)])
def test_both_walking_speeds_give_the_walking_time(speed, minutes):
    r = lc.analyse(square(), facilities(("kindergarten", 500, 1000)), catalogue(),
                   lc.Settings(speed_kmh=speed))
    assert row(r, "kindergarten")["nearest_minutes"] == pytest.approx(minutes)


def test_time_basis_takes_the_circle_minutes_at_the_speed():
    s = lc.Settings(speed_kmh=3.0, basis="time")
    r = lc.analyse(square(), facilities(("middle_school", 500, 1260)), catalogue(), s)
    m = row(r, "middle_school")
    assert m["limit_m"] == pytest.approx(750) and not m["reached"]  # 760 m > 15 min at 3 km/h
    assert row(lc.analyse(square(), facilities(("middle_school", 500, 1260)), catalogue()), "middle_school")["reached"]


def test_community_summary_counts_each_level_and_names_what_is_missing():
    cm = gpd.GeoDataFrame(
        {"code": ["a", "b"], "name": ["甲社区", "乙社区"], "street_code": ["s1", "s1"]},
        geometry=[shapely.box(X0, Y0, X0 + 400, Y0 + 400), shapely.box(X0 + 5000, Y0, X0 + 5400, Y0 + 400)], crs=CRS)
    fac = facilities(("kindergarten", 200, 200), ("middle_school", 200, 900))
    r = lc.analyse(cm, fac, catalogue())
    s = r.communities.set_index("code")
    assert s.loc["a", "fully_served"] and s.loc["a", "reached"] == 2 and s.loc["a", "missing"] == ""
    assert not s.loc["b", "fully_served"] and s.loc["b", "n_missing"] == 2
    assert s.loc["b", "missing_5"] == "幼儿园" and s.loc["b", "missing_15"] == "初中"
    assert s.loc["b", "missing"] == "幼儿园、初中" and s.loc["b", "required_10"] == 0 and s.loc["b", "served_10"]
    head = r.headline()
    assert head == {"communities": 2, "categories": 2, "fully_served_communities": 1,
                    "covered_pct_by_category": head["covered_pct_by_category"]}
    assert set(head["covered_pct_by_category"]) == {"幼儿园", "初中"}
    assert list(lc.worst_communities(r)["code"]) == ["b"]
    st = lc.street_summary(r)
    assert st.loc[0, "communities"] == 2 and st.loc[0, "fully_served"] == 1 and st.loc[0, "served_5"] == 1


def test_a_category_not_required_is_shown_but_not_counted():
    cat = lc.Catalogue((lc.Category("kindergarten", "幼儿园", "Kindergarten", 5, 300.0),
                        lc.Category("market", "菜市场", "Food market", 15, 1000.0, required=False)))
    r = lc.analyse(square(), facilities(("kindergarten", 500, 500)), cat)
    assert r.communities["fully_served"].iat[0] and len(r.table) == 2


def test_district_totals_weight_communities_by_area():
    cm = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["甲", "乙"], "population": [100, 300]},
                          geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100),
                                    shapely.box(X0 + 5000, Y0, X0 + 5300, Y0 + 100)], crs=CRS)
    r = lc.analyse(cm, facilities(("kindergarten", 50, 50)), catalogue())  # covers a only
    k = r.categories.set_index("category_key").loc["kindergarten"]
    assert k["covered_pct"] == pytest.approx(25.0, rel=1e-6)  # 100 of 400 × 100 m
    assert k["covered_pop_pct"] == pytest.approx(25.0) and k["population_out"] == pytest.approx(300)
    assert k["communities_reached"] == 1 and k["communities_missing"] == 1 and k["facilities"] == 1


def test_the_grid_counts_categories_reached_cell_by_cell():
    r = lc.analyse(square(), facilities(("kindergarten", 0, 0), ("middle_school", 500, 500)), catalogue(),
                   lc.Settings(cell_m=50.0))
    g = r.grid.set_index("count")
    assert set(g.index) == {1, 2}  # the school reaches the whole square, the kindergarten a corner
    cx = np.arange(25, 1000, 50.0)
    gx, gy = np.meshgrid(cx, cx)
    corner_cells = int((np.hypot(gx, gy) <= 300).sum())
    assert g.loc[2, "geometry"].area == pytest.approx(corner_cells * 2500)
    assert g.loc[1, "geometry"].area + g.loc[2, "geometry"].area == pytest.approx(1e6)
    assert g.loc[2, "share_pct"] == 100 and (r.grid["n_categories"] == 2).all()


# --------------------------------------------------------------------------- network mode


def street(y_offset: float = 500.0) -> wg.WalkGraph:
    """A straight east-west street through the test community, nodes every 100 m."""
    x = X0 + np.arange(-1000.0, 2100.0, 100.0)
    u = np.arange(len(x) - 1)
    return wg.graph_from_arrays(x, np.full(len(x), Y0 + y_offset), u, u + 1, crs=CRS)


def test_network_distance_walks_along_the_street_and_counts_the_access_walk():
    g = street()
    fac = facilities(("kindergarten", 100, 530), ("middle_school", 1300, 500))
    r = lc.analyse(square(), fac, catalogue(), lc.Settings(mode="network"), graph=g)
    assert row(r, "kindergarten")["nearest_m"] == pytest.approx(400 + 30)  # 30 m to the street, 400 along it
    assert row(r, "middle_school")["nearest_m"] == pytest.approx(800)
    circle = lc.analyse(square(), fac, catalogue())
    assert row(circle, "kindergarten")["nearest_m"] == pytest.approx(math.hypot(400, 30))


def test_network_share_is_the_share_of_cells_within_the_limit_on_foot():
    g = street()
    r = lc.analyse(square(), facilities(("kindergarten", 100, 500)), catalogue(),
                   lc.Settings(mode="network", cell_m=50.0, max_snap_m=200.0), graph=g)
    cx = np.arange(25, 1000, 50.0)
    gx, gy = np.meshgrid(cx, cx)
    dy = np.abs(gy - 500)
    within = (dy <= 200) & (np.abs(gx - 100) + dy <= 300)  # walk to the street, then along it
    assert row(r, "kindergarten")["covered_pct"] == pytest.approx(100 * within.mean())


def test_network_mode_needs_a_graph_and_leaves_out_facilities_off_the_streets():
    with pytest.raises(lc.LifeCircleError, match="network"):
        lc.analyse(square(), facilities(("kindergarten", 0, 0)), catalogue(), lc.Settings(mode="network"))
    r = lc.analyse(square(), facilities(("kindergarten", 100, 900)), catalogue(),
                   lc.Settings(mode="network", max_snap_m=200), graph=street())
    assert np.isnan(row(r, "kindergarten")["nearest_m"]) and any("more than 200 m" in str(n) for n in r.notes)


# --------------------------------------------------------------------------- settings and catalogue


@pytest.mark.parametrize("kwargs, setting", [({"mode": "x"}, "mode"), ({"speed_kmh": 0}, "speed_kmh"),
                                             ({"speed_kmh": float("nan")}, "speed_kmh"),
                                             ({"basis": "minutes"}, "basis"), ({"cell_m": 1}, "cell_m")])
def test_bad_settings_name_themselves(kwargs, setting):
    with pytest.raises(lc.LifeCircleError) as exc:
        lc.Settings(**kwargs)
    assert exc.value.setting == setting


def test_catalogue_lookups():
    cat = catalogue()
    assert cat.get("middle_school").name("en") == "Middle school" and cat.keys == ["kindergarten", "middle_school"]
    assert cat.select(["middle_school"]).keys == ["middle_school"]
    with pytest.raises(lc.LifeCircleError, match="no category 'x'"):
        cat.select(["x"])
    with pytest.raises(lc.LifeCircleError, match="repeats"):
        lc.Catalogue(cat.categories * 2)
