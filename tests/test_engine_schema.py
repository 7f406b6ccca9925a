"""geo.engine.schema: the centre tiers and columns defined once, and a locate that reads no file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geo.engine import schema

ENGINE = Path(schema.__file__).parent


def _centres() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"],
                             "tier": ["community", "station", "community"],
                             "street_code": ["", "", "999"], "community_code": ["", "", ""],
                             "lon": [0.5, 1.5, 5.0], "lat": [0.5, 0.5, 5.0], "position_source": "user"},
                            geometry=[shapely.Point(0.5, 0.5), shapely.Point(1.5, 0.5), shapely.Point(5, 5)],
                            crs="EPSG:4326")


def test_locate_uses_only_the_polygons_it_is_given():
    streets = gpd.GeoDataFrame({"code": ["S1", "S2"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
                               crs="EPSG:4326")
    comms = gpd.GeoDataFrame({"code": ["C1"]}, geometry=[shapely.box(0, 0, 2, 1)], crs="EPSG:4326")
    out = schema.locate(_centres(), streets, comms)
    assert list(out.columns) == schema.CENTER_COLUMNS + ["geometry"]
    assert out["street_code"].tolist() == ["S1", "S2", "999"]  # a given code is kept
    assert out["community_code"].tolist() == ["C1", "", ""]  # only the community tier keeps one


def test_locate_with_no_polygons_reads_no_shipped_file():
    empty = gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")
    out = schema.locate(_centres(), empty, empty)
    assert out["street_code"].tolist() == ["", "", "999"]
