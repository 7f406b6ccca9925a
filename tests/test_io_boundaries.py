"""Importing planners' boundary files: zipped shapefiles, GeoJSON and GeoPackage matched to the
registry by code or name, coordinate systems detected, unmatched and overlapping parts reported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.engine import crs
from geo.io import boundaries
from geo.io.district import District
from geo.io.errors import DataError

LONGHU = District.open()
"""The district the boundaries are matched to (its registry and outline)."""


def zipped_shapefile(gdf: gpd.GeoDataFrame, tmp_path: Path, encoding: str | None = None, cpg: bool = True) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir(exist_ok=True)
    kwargs = {"encoding": encoding} if encoding else {}
    gdf.to_file(folder / "boundaries.shp", engine="pyogrio", **kwargs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            if f.suffix == ".cpg" and not cpg:
                continue
            z.write(f, f"边界/{f.name}")
    return buf.getvalue()


def test_zipped_shapefile_matched_by_code_with_unmatched_listed(tmp_path, shipped_layers):
    comm = shipped_layers["communities"][["code", "name", "geometry"]].iloc[:20].copy()
    comm = comm.rename(columns={"code": "XZQDM", "name": "XZQMC"})
    extra = gpd.GeoDataFrame(
        {"XZQDM": ["440507099999"], "XZQMC": ["不存在村"]},
        geometry=[comm.geometry.iat[0].buffer(-0.0005)],
        crs="EPSG:4326",
    )
    gdf = pd.concat([comm, extra], ignore_index=True)
    rep = boundaries.import_boundaries(zipped_shapefile(gdf, tmp_path), filename="村界.zip", district=LONGHU)
    assert rep.level == "community" and rep.code_column == "XZQDM"
    assert len(rep.layer) == 20 and set(rep.layer["code"]) == set(comm["XZQDM"])
    assert list(rep.layer.columns) == ["code", "name", "street_code", "geometry_source", "geometry"]
    assert (rep.layer["geometry_source"] == "user").all()
    assert rep.unmatched[["row", "value"]].values.tolist() == [[21, "440507099999"]]
    assert "not matched" in str(rep.unmatched["reason"].iat[0])
    assert len(rep.missing) == 125 - 20
    by_code = rep.layer.set_index("code")
    for code, g in zip(comm["XZQDM"], comm.geometry):
        assert by_code.geometry[code].equals_exact(g, 1e-9)


def test_zipped_shapefile_matched_by_name_gbk_without_cpg(tmp_path, shipped_layers):
    streets = shipped_layers["streets"][["name", "geometry"]].copy()
    streets["name"] = streets["name"].str.replace("街道", "", regex=False)  # 金霞, 珠池 …
    streets.loc[streets.index[0], "name"] = "不存在"
    rep = boundaries.import_boundaries(
        zipped_shapefile(streets, tmp_path, encoding="GBK", cpg=False), filename="streets.zip", district=LONGHU)
    assert rep.level == "street" and rep.name_column == "name" and rep.code_column is None
    assert len(rep.layer) == 9
    assert rep.unmatched[["row", "column", "value"]].values.tolist() == [[1, "name", "不存在"]]
    assert list(rep.missing["name"]) == [shipped_layers["streets"]["name"].iat[0]]
    assert set(rep.layer["name"]) == set(shipped_layers["streets"]["name"].iloc[1:])


@pytest.mark.parametrize("driver,suffix", [("GeoJSON", ".geojson"), ("GPKG", ".gpkg")])
def test_boundaries_geojson_gpkg_and_merged_parts(tmp_path, shipped_layers, driver, suffix):
    s = shipped_layers["streets"][["code", "name", "geometry"]].copy()
    first = s.geometry.iat[0]
    left = first.intersection(shapely.box(-180, -90, first.centroid.x, 90))
    right = first.difference(left)
    s = s.iloc[1:]
    parts = gpd.GeoDataFrame(
        {"code": [shipped_layers["streets"]["code"].iat[0]] * 2, "name": ["a", "b"]},
        geometry=[left, right], crs="EPSG:4326",
    )
    gdf = pd.concat([s, parts], ignore_index=True)
    p = tmp_path / f"s{suffix}"
    gdf.to_file(p, driver=driver)
    rep = boundaries.import_boundaries(p, "street", district=LONGHU)
    assert rep.ok and len(rep.layer) == 10 and rep.missing.empty
    merged = rep.layer.set_index("code").geometry[shipped_layers["streets"]["code"].iat[0]]
    assert abs(merged.area - first.area) < 1e-9 * max(first.area, 1)
    assert any("merged" in str(w.reason) for w in rep.warnings)


def test_boundaries_crs_detection(tmp_path, shipped_layers):
    s = crs.convert_gdf(shipped_layers["communities"][["code", "name", "geometry"]], "wgs84", "gcj02")
    p = tmp_path / "amap.geojson"
    s.to_file(p)
    wrong = boundaries.import_boundaries(p, district=LONGHU)
    assert wrong.suggested_crs == "gcj02"
    right = boundaries.import_boundaries(p, crs="gcj02", district=LONGHU)
    assert right.suggested_crs is None and len(right.layer) == 125
    a = right.layer.set_index("code").geometry
    b = shipped_layers["communities"].set_index("code").geometry
    assert shapely.hausdorff_distance(a[b.index[0]], b.iat[0]) < 1e-7


def test_boundaries_refuse_tables_and_unmatched_files(tmp_path):
    with pytest.raises(DataError, match="GeoJSON, GeoPackage or a zipped Shapefile"):
        boundaries.import_boundaries(b"name,tier\n", filename="x.csv", district=LONGHU)
    g = gpd.GeoDataFrame({"name": ["foo"]}, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:4326")
    p = tmp_path / "x.geojson"
    g.to_file(p)
    with pytest.raises(DataError, match="no feature matches"):
        boundaries.import_boundaries(p, district=LONGHU)



def test_boundaries_that_overlap_or_leave_holes_are_flagged(tmp_path, shipped_layers):
    streets = shipped_layers["streets"]

    def report(gdf):
        p = tmp_path / "s.geojson"
        gdf.to_file(p, driver="GeoJSON")
        rep = boundaries.import_boundaries(p, "street", district=LONGHU)
        return [str(w.reason) for w in rep.warnings if w.field == "geometry"]

    assert report(streets) == []  # the shipped_layers tiling is clean
    grown = streets.copy()
    metric = grown.to_crs("EPSG:32650")
    metric.loc[metric.index[0], "geometry"] = metric.geometry.iloc[0].buffer(300)
    reasons = report(metric.to_crs("EPSG:4326"))
    assert any("overlap" in r and streets["name"].iat[0] in r for r in reasons)
    assert any("outside the district" in r for r in reasons)
    shrunk = streets.to_crs("EPSG:32650")
    shrunk.loc[shrunk.index[1], "geometry"] = shrunk.geometry.iloc[1].buffer(-200)
    reasons = report(shrunk.to_crs("EPSG:4326"))
    assert any("in no boundary" in r for r in reasons) and not any("overlap" in r for r in reasons)
