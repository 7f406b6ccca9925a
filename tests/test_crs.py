"""China coordinate systems: reference pairs, an independent implementation, round trips."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.engine import crs

GEOD = Geod(ellps="WGS84")

# A grid over Shantou city (all of Longhu plus its neighbours).
SHANTOU_LON, SHANTOU_LAT = np.meshgrid(np.linspace(116.40, 117.10, 36), np.linspace(23.10, 23.60, 26))
SHANTOU_LON = SHANTOU_LON.ravel()
SHANTOU_LAT = SHANTOU_LAT.ravel()


def metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


# Published test vectors of the googollee/eviltransform project (tests of its Python,
# PHP and JS ports): (wgs lat, wgs lon, gcj lat, gcj lon).
EVILTRANSFORM_PAIRS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize("wlat,wlon,glat,glon", EVILTRANSFORM_PAIRS)
def test_wgs_to_gcj_matches_published_pairs(wlat, wlon, glat, glon):
    lon, lat = crs.wgs84_to_gcj02(wlon, wlat)
    assert abs(lon - glon) < 1e-7 and abs(lat - glat) < 1e-7
    back_lon, back_lat = crs.gcj02_to_wgs84(glon, glat)
    assert metres(back_lon, back_lat, wlon, wlat) < 0.02


def test_gcj_to_bd_matches_gcoord_pair():
    # hujiulong/gcoord unit test: GCJ02 (123, 45) -> BD09 (123.00636499, 45.00636899)
    lon, lat = crs.gcj02_to_bd09(123.0, 45.0)
    assert abs(lon - 123.00636499) < 1e-7 and abs(lat - 45.00636899) < 1e-7


def test_agrees_with_prcoords_everywhere_in_shantou():
    prcoords = pytest.importorskip("prcoords")
    for lon, lat in zip(SHANTOU_LON[::7], SHANTOU_LAT[::7]):
        g = prcoords.wgs_gcj((lat, lon))
        glon, glat = crs.wgs84_to_gcj02(lon, lat)
        assert abs(glon - g.lon) < 1e-9 and abs(glat - g.lat) < 1e-9
        b = prcoords.wgs_bd((lat, lon))
        blon, blat = crs.wgs84_to_bd09(lon, lat)
        assert metres(blon, blat, b.lon, b.lat) < 0.01
        # prcoords' "bored" inverses iterate (to about a centimetre), as ours do.
        w = prcoords.gcj_wgs_bored((lat, lon))
        wlon, wlat = crs.gcj02_to_wgs84(lon, lat)
        assert metres(wlon, wlat, w.lon, w.lat) < 0.05
        w = prcoords.bd_wgs_bored((lat, lon))
        wlon, wlat = crs.bd09_to_wgs84(lon, lat)
        assert metres(wlon, wlat, w.lon, w.lat) < 0.05


@pytest.mark.parametrize("other", ["gcj02", "bd09"])
def test_round_trip_within_a_centimetre_in_shantou(other):
    lon, lat = crs.convert(SHANTOU_LON, SHANTOU_LAT, "wgs84", other)
    back_lon, back_lat = crs.convert(lon, lat, other, "wgs84")
    err = metres(back_lon, back_lat, SHANTOU_LON, SHANTOU_LAT)
    assert err.max() < 0.01


def test_offset_in_shantou_is_several_hundred_metres():
    glon, glat = crs.wgs84_to_gcj02(SHANTOU_LON, SHANTOU_LAT)
    d = metres(SHANTOU_LON, SHANTOU_LAT, glon, glat)
    assert 450 < d.min() and d.max() < 650
    # here the shift is east by ~540 m and slightly south
    assert np.all(glon > SHANTOU_LON) and np.all(glat < SHANTOU_LAT)
    blon, blat = crs.wgs84_to_bd09(SHANTOU_LON, SHANTOU_LAT)
    assert metres(SHANTOU_LON, SHANTOU_LAT, blon, blat).min() > 1000


@pytest.mark.parametrize("lon,lat", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2, -33.87), (0.0, 0.0)])
@pytest.mark.parametrize("src,dst", [("wgs84", "gcj02"), ("gcj02", "wgs84"), ("wgs84", "bd09"), ("bd09", "wgs84")])
def test_outside_china_unchanged(lon, lat, src, dst):
    out_lon, out_lat = crs.convert(lon, lat, src, dst)
    assert out_lon == lon and out_lat == lat


def test_geometry_and_geodataframe_conversion_match_points():
    poly = shapely.Polygon([(116.70, 23.35), (116.75, 23.35), (116.75, 23.40), (116.70, 23.40)])
    out = crs.convert_geometry(poly, "gcj02", "wgs84")
    coords = np.asarray(out.exterior.coords)
    lon, lat = crs.gcj02_to_wgs84(np.asarray(poly.exterior.coords)[:, 0], np.asarray(poly.exterior.coords)[:, 1])
    np.testing.assert_allclose(coords[:, 0], lon)
    np.testing.assert_allclose(coords[:, 1], lat)
    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[poly], crs="EPSG:4326")
    conv = crs.convert_gdf(gdf, "gcj02", "wgs84")
    assert conv.geometry.iloc[0].equals_exact(out, 1e-12)
    assert gdf.geometry.iloc[0].equals(poly)  # input untouched


def test_names_and_utm_zone():
    assert crs.check_crs("GCJ-02") == "gcj02"
    assert crs.check_crs("高德") == "gcj02"
    assert crs.check_crs("WGS84") == "wgs84"
    with pytest.raises(ValueError, match="unknown coordinate system"):
        crs.check_crs("mars")
    assert crs.utm_crs(116.7, 23.4) == "EPSG:32650"
    assert crs.utm_crs(24.9, 60.2) == "EPSG:32635"
    assert crs.utm_crs(151.2, -33.9) == "EPSG:32756"
