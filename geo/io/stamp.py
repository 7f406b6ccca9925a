"""A store knows its district: the stamp of its adcode and the check of every row written.

A store is stamped with the adcode of the district that first wrote to it (table
``store_district``). Opening it for another district is refused with one line, reading or
writing; and every row a save adds or changes must belong to the store's district -- street and
community codes under its adcode, positions and boundaries on its outline -- or the whole save
is refused and nothing is written. A page that hands a store the wrong layer cannot put one
district's centres into another's history.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import shapely

from geo.io.errors import DataError
from geo.io.gpkg import State

if TYPE_CHECKING:
    from geo.io.district import District

TABLE = "store_district"
SLACK_M = 500.0
"""How far outside the outline a stored centre or boundary may lie (a point on the shore)."""
CODE_COLUMNS = {"district": ("code",), "streets": ("code",), "communities": ("code", "street_code"),
                "centers": ("street_code", "community_code")}
POSITIONED = ("centers", "streets", "communities")


def stamped(con: sqlite3.Connection) -> str | None:
    """The adcode a store is stamped with (None: a store from before stamps, or a new one)."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone():
        return None
    row = con.execute(f"SELECT adcode FROM {TABLE} LIMIT 1").fetchone()
    return str(row[0]) if row else None


def check_stamp(con: sqlite3.Connection, path: Path, district: District) -> None:
    """Refuse a store stamped with another district (one line naming both)."""
    code = stamped(con)
    if code is not None and code != district.code:
        from geo.io import districts

        raise DataError(path, f"this store belongs to {districts.name_of(code) or code} ({code}), not to "
                              f"{district.label('en')} ({district.code}); open it with --district {code}, "
                              "or give this district's own store")


def stamp(con: sqlite3.Connection, path: Path, district: District) -> None:
    """Stamp a store opened for writing with its district (once), after checking the stamp."""
    check_stamp(con, path, district)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (adcode TEXT NOT NULL)")
    con.execute(f"INSERT INTO {TABLE} (adcode) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM {TABLE})",
                (district.code,))


def check_rows(path: Path, district: District, layer: str, state: State, keys: list[str]) -> None:
    """Refuse a save whose added or changed rows (``keys`` of ``state``) belong to another district."""
    if not keys:
        return
    rows = [state.rows[k] for k in keys]
    props = [json.loads(p) for p, _ in rows]
    for col in CODE_COLUMNS.get(layer, ("street_code", "community_code")):
        for key, rec in zip(keys, props):
            value = str(rec.get(col) or "").strip()
            if value and not _owned(layer, col, value, district.code):
                raise DataError(path, f"{layer} {key}: {col} {value} is not a division of {district.label('en')} "
                                      f"({district.code}); nothing was saved")
    if layer not in POSITIONED:
        return
    geoms = shapely.from_wkb(np.array([g for _, g in rows], dtype=object))
    metric = district.metric_crs
    outline = gpd.GeoSeries([district.geometry], crs="EPSG:4326").to_crs(metric).iat[0]
    there = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(metric)
    far = np.asarray(there.distance(outline)) > SLACK_M
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise DataError(path, f"{layer} {keys[i]}: lies {there.iat[i].distance(outline) / 1000:,.1f} km outside "
                              f"{district.label('en')} ({district.code}); nothing was saved")


def _owned(layer: str, col: str, value: str, code: str) -> bool:
    if layer == "district":
        return value == code
    return value.startswith(code)
