"""The one validator of candidate sites (vacant buildings, malls …) for new stations.

Read by the one reader (:mod:`geo.io.sources`, schema ``candidates``: name, lon/lat or
经度/纬度, or one 'longitude,latitude' column) and checked by the one coordinate check
(:func:`geo.io.registry.check_coordinates`): numbers, range, swapped, inside the district.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.io.centers import ImportReport
from geo.io.errors import ImportProblem
from geo.io.registry import crs_warning, point_columns, table_coordinates
from geo.io.sources import SCHEMAS, Table, import_options, load_table

CANDIDATE_COLUMNS = ["source", "name", "lon", "lat"]
"""The columns of valid candidate sites (plus ``geometry``); ``source`` is ``user``."""


def import_candidates(source: str | os.PathLike | bytes | io.IOBase, crs: str = "wgs84", *,
                      filename: str | None = None, sheet: str | None = None, layer: str | None = None,
                      district: gpd.GeoDataFrame, max_bytes: int | None = None,
                      max_rows: int | None = None) -> ImportReport:
    """Read and check a file of candidate sites; return the valid ones and every problem.

    ``source`` is a path, bytes (with ``filename``) or a binary file object: CSV/XLSX with
    longitude and latitude columns (an optional name), or GeoJSON/GeoPackage points. ``crs``
    is the coordinate system of the positions (``wgs84``, ``gcj02``, ``bd09``); ``district``
    the outline they must fall in (default: the shipped one). Raises :class:`DataError` when
    nothing can be read (unreadable, over a limit, no longitude/latitude column, no rows).
    """
    chosen, max_bytes, max_rows = import_options(crs, filename, max_bytes, max_rows)
    warnings: list[ImportProblem] = []
    src, table = load_table(source, SCHEMAS["candidates"], filename=filename, sheet=sheet, layer=layer,
                            max_bytes=max_bytes, max_rows=max_rows, warnings=warnings)
    return _validate_candidates(src.name, table, chosen, warnings, district)


def load_candidates(path: str | Path, crs: str = "wgs84", *,
                    district: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The candidate sites of a file, strictly: every problem raises one :class:`DataError`
    listing them all. Columns :data:`CANDIDATE_COLUMNS` + geometry, EPSG:4326."""
    report = import_candidates(path, crs, district=district)
    report.raise_for_problems()
    return report.valid


def _validate_candidates(name: str, t: Table, chosen: str, warnings: list[ImportProblem],
                         district: gpd.GeoDataFrame) -> ImportReport:
    problems, skip = point_columns(name, t, ("lon", "lat"), district)
    coords, found = table_coordinates(t, chosen, district, skip)
    problems += found
    if coords.suggested:
        warnings.append(crs_warning(chosen, coords.suggested, coords.counts, int(coords.usable.sum()), district))
    bad_rows = {p.row for p in problems}
    keep = np.flatnonzero(~np.isin(np.asarray(t.rows), list(bad_rows)))
    names = (t.df["name"].astype(str).str.strip().to_numpy(dtype=object) if "name" in t.df
             else np.full(len(t.df), "", dtype=object))
    valid = pd.DataFrame({"source": "user", "name": names[keep], "lon": coords.lon[keep].astype(float),
                          "lat": coords.lat[keep].astype(float)}, columns=CANDIDATE_COLUMNS)
    gdf = gpd.GeoDataFrame(valid, geometry=gpd.points_from_xy(valid["lon"], valid["lat"]), crs="EPSG:4326")
    return ImportReport(gdf, problems, warnings, name, len(t.df), [t.rows[i] for i in keep], chosen,
                        coords.counts, coords.suggested)
