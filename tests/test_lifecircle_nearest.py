"""The resident's "nearest of each kind": one row per category, distances known exactly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from geo.engine import crs as _crs
from geo.engine import lifecircle as lc
from geo.io.catalogue import load_catalogue

LON, LAT = 116.74, 23.39


def _at(offsets: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    """Facilities at (east, north) metre offsets from the resident, in the resident's UTM zone."""
    metric = _crs.utm_crs(LON, LAT)
    origin = gpd.GeoSeries(gpd.points_from_xy([LON], [LAT]), crs="EPSG:4326").to_crs(metric).iat[0]
    pts = gpd.points_from_xy([origin.x + e for *_, e, _ in offsets], [origin.y + n for *_, n in offsets])
    return gpd.GeoDataFrame({"name": [o[0] for o in offsets], "category": [o[1] for o in offsets]},
                            geometry=pts, crs=metric).to_crs("EPSG:4326")


def test_nearest_of_each_kind_is_the_closest_facility_of_that_category():
    cat = load_catalogue()
    fac = _at([("近园", "kindergarten", 300.0, 400.0), ("远园", "kindergarten", 0.0, 900.0),
               ("小学", "primary_school", -600.0, 0.0)])
    out = lc.nearest_by_category(fac, LON, LAT, cat, speed_kmh=3.0)
    assert list(out["category_key"]) == cat.keys
    kg = out.set_index("category_key").loc["kindergarten"]
    assert kg["name"] == "近园" and kg["distance_m"] == pytest.approx(500.0, abs=0.5)
    assert kg["minutes"] == pytest.approx(10.0, abs=0.02)  # 500 m at 3 km/h
    assert bool(kg["within"]) == (500.0 <= cat.get("kindergarten").limit_m)
    ps = out.set_index("category_key").loc["primary_school"]
    assert ps["name"] == "小学" and ps["distance_m"] == pytest.approx(600.0, abs=0.5)
    missing = out[~out["category_key"].isin(["kindergarten", "primary_school"])]
    assert np.isinf(missing["distance_m"]).all() and (missing["name"] == "").all() and not missing["within"].any()


def test_a_bad_speed_is_refused():
    with pytest.raises(lc.LifeCircleError, match="speed"):
        lc.nearest_by_category(_at([("a", "kindergarten", 0.0, 10.0)]), LON, LAT, load_catalogue(),
                               speed_kmh=float("nan"))
