"""A store knows its district: the stamp of its adcode and the check of every row written.

A store is stamped with the adcode of the district that first wrote to it (table
``store_district``). Opening it for another district is refused with one line, reading or
writing; and every row a save adds or changes must belong to the store's district -- street and
community codes under its adcode, positions and boundaries on its outline -- or the whole save
is refused and nothing is written. A page that hands a store the wrong layer cannot put one
district's centres into another's history.

A store from before stamps is read, and adopted by the first district that writes to it, only
when the rows it holds belong to that district; one that holds another district's rows is
refused, reading or writing.
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
from geo.locale import Msg, Name

if TYPE_CHECKING:
    from geo.io.district import District

TABLE = "store_district"
SLACK_M = 500.0
"""How far outside the outline a stored centre or boundary may lie (a point on the shore)."""
CODE_COLUMNS = {"district": ("code",), "streets": ("code",), "communities": ("code", "street_code"),
                "centers": ("street_code", "community_code")}
"""The columns holding division codes, per known layer (any other layer: street_code, community_code)."""
POSITIONED = ("centers", "streets", "communities")

Row = tuple[str, str, bytes | None]
"""(key, properties as JSON, WKB geometry)."""


def stamped(con: sqlite3.Connection) -> str | None:
    """The adcode a store is stamped with (None: a store from before stamps, or a new one)."""
    if not con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone():
        return None
    row = con.execute(f"SELECT adcode FROM {TABLE} LIMIT 1").fetchone()
    return str(row[0]) if row else None


def check_stamp(con: sqlite3.Connection, path: Path, district: District) -> None:
    """Refuse a store stamped with another district (one line naming both), or a store without a
    stamp whose rows are another district's (a store from before stamps is never analysed as
    the wrong district's)."""
    code = stamped(con)
    if code is None:
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'store_features'").fetchone():
            for layer, rows in _current_rows(con).items():
                _check(path, district, layer, rows, Msg.of("why.stamp_unstamped"))
        return
    if code != district.code:
        from geo.io import districts

        theirs = districts.name_of(code)
        raise DataError(path, Msg.of("why.stamp_other", theirs=Name(theirs, districts.english_name(theirs)) if theirs
                                     else code, adcode=code, district=_name(district), dcode=district.code))


def stamp(con: sqlite3.Connection, path: Path, district: District) -> None:
    """Stamp a store opened for writing with its district (once), after :func:`check_stamp`
    (which refuses an unstamped store holding another district's rows). Runs inside the save's
    transaction: a save that is refused or rolled back leaves the store unstamped."""
    check_stamp(con, path, district)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (adcode TEXT NOT NULL)")
    con.execute(f"INSERT INTO {TABLE} (adcode) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM {TABLE})",
                (district.code,))


def check_rows(path: Path, district: District, layer: str, state: State, keys: list[str]) -> None:
    """Refuse a save whose added or changed rows (``keys`` of ``state``) belong to another
    district: one line naming the first such row, the column and how many rows there are."""
    _check(path, district, layer, [(k, *state.rows[k]) for k in keys],
           Msg.of("why.stamp_not_saved", district=_name(district)))


def _name(district: District) -> Name:
    """The district's name in both languages."""
    return Name(district.label("zh"), district.label("en"))


def _check(path: Path, district: District, layer: str, rows: list[Row], then: Msg) -> None:
    """Raise one :class:`DataError` for the first row of another district (by code, else by position)."""
    if not rows:
        return
    props = [json.loads(p) for _, p, _ in rows]
    for col in CODE_COLUMNS.get(layer, ("street_code", "community_code")):
        bad = [i for i, rec in enumerate(props) if not _owned(layer, _code(rec.get(col)), district.code)]
        if bad:
            value = _code(props[bad[0]].get(col))
            raise DataError(path, Msg.of("why.stamp_code", layer=layer, fid=rows[bad[0]][0], col=col, value=value,
                                         district=_name(district), dcode=district.code, more=_more(bad),
                                         then=then))
    if layer not in POSITIONED:
        return
    metric = district.metric_crs
    outline = gpd.GeoSeries([district.geometry], crs="EPSG:4326").to_crs(metric).iat[0]
    there = gpd.GeoSeries(shapely.from_wkb(np.array([g for *_, g in rows], dtype=object)),
                          crs="EPSG:4326").to_crs(metric)
    far_m = np.asarray(there.distance(outline), dtype=float)
    bad = np.flatnonzero(far_m > SLACK_M).tolist()  # NaN (no geometry) is not far
    if bad:
        raise DataError(path, Msg.of("why.stamp_far", layer=layer, fid=rows[bad[0]][0], km=far_m[bad[0]] / 1000,
                                     district=_name(district), dcode=district.code, more=_more(bad), then=then))


def _current_rows(con: sqlite3.Connection) -> dict[str, list[Row]]:
    """The rows every layer holds now, by layer."""
    out: dict[str, list[Row]] = {}
    for layer, key, props, geom in con.execute(
            "SELECT layer, key, props, geom FROM store_features WHERE valid_to IS NULL ORDER BY layer, key"):
        out.setdefault(layer, []).append((key, props, geom))
    return out


def _code(value: object) -> str:
    return "" if value is None else str(value).strip()


def _owned(layer: str, value: str, code: str) -> bool:
    """Whether a code cell is this district's (an empty cell is nobody's and passes)."""
    if not value:
        return True
    return value == code if layer == "district" else value.startswith(code)


def _more(bad: list[int]) -> Msg | str:
    return Msg.of("why.stamp_more", n=len(bad) - 1) if len(bad) > 1 else ""
