"""The store's file format: a GeoPackage 1.3 written with :mod:`sqlite3` alone.

What is here is encoding only (no versions, no merging, no transactions): the schema, the
GeoPackage geometry blob, one version of a layer as a :class:`State` (``{key: (props JSON,
WKB)}``) and back, the difference of two states, and the current feature table GDAL reads.
:mod:`geo.io.store` builds the versioned store on top of it.

The file: one feature table per layer holding its current version; ``store_versions``, one row
per save (global increasing number, layer, UTC time, description, keys added/removed/changed,
schema, row order); ``store_features``, the history: one row per feature state with the versions
in which it was current (``valid_from`` <= v < ``valid_to``); ``store_district``, the adcode the
store is stamped with (:mod:`geo.io.stamp`).
"""

from __future__ import annotations

import json
import math
import sqlite3
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io.errors import DataError, Problem
from geo.locale import Msg

GPKG_APPLICATION_ID = 0x47504B47  # 'GPKG'
GPKG_USER_VERSION = 10300

SCHEMA = """
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS store_versions (
    version INTEGER PRIMARY KEY AUTOINCREMENT, layer TEXT NOT NULL, created_at TEXT NOT NULL,
    description TEXT NOT NULL, author TEXT NOT NULL DEFAULT '', base_version INTEGER,
    restored_from INTEGER, merged INTEGER NOT NULL DEFAULT 0, key_column TEXT NOT NULL,
    columns TEXT NOT NULL, key_order BLOB NOT NULL, added TEXT NOT NULL, removed TEXT NOT NULL,
    changed TEXT NOT NULL, n_features INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS store_versions_layer ON store_versions(layer, version);
CREATE TABLE IF NOT EXISTS store_features (
    layer TEXT NOT NULL, key TEXT NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER,
    props TEXT NOT NULL, geom BLOB, PRIMARY KEY (layer, key, valid_from));
CREATE INDEX IF NOT EXISTS store_features_range ON store_features(layer, valid_from, valid_to);
"""


def create_schema(con: sqlite3.Connection) -> None:
    """Create the GeoPackage and store tables in one transaction (idempotent)."""
    from pyproj import CRS

    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        srs = [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),
             "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
        ]
        con.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", srs)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------- values


def json_value(v: object) -> object:
    """A cell as a JSON value (NaN -> null, numpy scalars -> Python, dates -> ISO text)."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return None if math.isnan(f) else (f if math.isfinite(f) else str(f))
    if isinstance(v, str):
        return v
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def sql_type(dtype: str) -> str:
    """The GeoPackage column type of a pandas dtype."""
    if dtype.startswith(("int", "Int", "uint", "UInt")):
        return "INTEGER"
    if dtype.startswith(("float", "Float")):
        return "DOUBLE"
    if dtype in ("bool", "boolean"):
        return "BOOLEAN"
    return "TEXT"


def gpkg_blob(wkb: bytes | None, geom: shapely.Geometry | None) -> bytes | None:
    """A GeoPackage geometry blob: 'GP', version 0, flags, srs_id 4326, envelope, WKB."""
    if wkb is None or geom is None:
        return None
    if geom.is_empty:
        return b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", 4326) + wkb
    if geom.geom_type == "Point":
        return b"GP\x00" + bytes([0b00000001]) + struct.pack("<i", 4326) + wkb
    minx, miny, maxx, maxy = geom.bounds
    return b"GP\x00" + bytes([0b00000011]) + struct.pack("<i4d", 4326, minx, maxx, miny, maxy) + wkb


def quote(name: str) -> str:
    """An SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- states


@dataclass
class State:
    """One version of a layer: schema, key order and {key: (props JSON, WKB)}."""

    key: str
    columns: list[list[str]]  # [[name, dtype], ...] without the geometry
    order: list[str]
    rows: dict[str, tuple[str, bytes | None]]


class BadRow(Exception):
    """A stored row that cannot be read back: ``msg`` (``why.dmg_*``) names its layer and row
    (the store words it as one line, naming its file)."""

    def __init__(self, msg: Msg):
        self.msg = msg
        super().__init__(str(msg))


def decode_rows(layer: str, version: int, raw: list[tuple[bytes, bytes, bytes | None]], *,
                tolerant: bool = False) -> dict[str, tuple[str, bytes | None]]:
    """Stored ``(key, props, geom)`` rows (text as bytes) as a state's rows, every one checked:
    UTF-8 text, geometry WKB (the properties' JSON: :func:`gdf_from_state`). A row that fails
    raises :class:`BadRow`
    naming its key; ``tolerant`` keeps it instead with empty properties and no geometry (a
    value no save ever equals, so a whole-layer save replaces it)."""
    wkb = np.array([g for *_, g in raw], dtype=object)
    geoms = shapely.from_wkb(wkb, on_invalid="ignore") if len(raw) else wkb
    rows: dict[str, tuple[str, bytes | None]] = {}
    for (k, p, g), geom in zip(raw, geoms):
        key = k.decode("utf-8", "replace")
        try:
            k.decode("utf-8")
            props = p.decode("utf-8")
            what = Msg.of("why.dmg_geom", layer=layer, fid=key, v=version) if g is not None and geom is None else None
        except UnicodeDecodeError:
            what = Msg.of("why.dmg_text", layer=layer, fid=key, v=version)
        if what and not tolerant:
            raise BadRow(what)
        rows[key] = ("", None) if what else (props, g)
    return rows


@dataclass(frozen=True)
class Diff:
    """Keys added, removed and changed between two versions of a layer."""

    added: list[str]
    removed: list[str]
    changed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def diff(old: State | None, new: State) -> Diff:
    """What changed from ``old`` (None: nothing) to ``new``, in ``new``'s order."""
    if old is None:
        return Diff(list(new.order), [], [])
    added = [k for k in new.order if k not in old.rows]
    removed = [k for k in old.order if k not in new.rows]
    changed = [k for k in new.order if k in old.rows and old.rows[k] != new.rows[k]]
    return Diff(added, removed, changed)


def _key_problems(gdf: gpd.GeoDataFrame, attrs: list, key: str) -> tuple[list[str], list[Problem]]:
    """The key of every feature as text, and the problems of the column names and keys."""
    problems = []
    seen_lower: dict[str, str] = {}
    for c in attrs:
        name = str(c)
        if not name or "\x00" in name or name.lower() in ("fid", "geom"):
            problems.append(Problem(1, name, "", Msg.of("why.column_not_allowed")))
        elif name.lower() in seen_lower:
            problems.append(Problem(1, name, "", Msg.of("why.column_case", other=seen_lower[name.lower()])))
        seen_lower[name.lower()] = name
    raw = gdf[key]
    keys = pd.Series(np.where(raw.isna(), "", raw.astype(object).astype(str).str.strip()), dtype=object)
    problems += [Problem(int(i) + 1, key, "", Msg.of("why.empty_key", col=key))
                 for i in np.flatnonzero((keys == "").to_numpy())]
    dup = keys.duplicated() & (keys != "")
    problems += [Problem(int(i) + 1, key, keys[i], Msg.of("why.duplicate_key", col=key))
                 for i in np.flatnonzero(dup.to_numpy())]
    return keys.tolist(), problems


def state_from_gdf(gdf: gpd.GeoDataFrame, key: str, layer: str) -> State:
    """A layer as a state (EPSG:4326); :class:`DataError` for a missing, empty or duplicate key."""
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise DataError(layer, Msg.of("why.not_a_layer"))
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geom_col = gdf.geometry.name
    attrs = [c for c in gdf.columns if c != geom_col]
    if key not in attrs:
        raise DataError(layer, Msg.of("why.no_key_column", col=key))
    keys, problems = _key_problems(gdf, attrs, key)
    if problems:
        raise DataError(layer, problems)
    columns = [[str(c), str(gdf[c].dtype)] for c in attrs]
    wkbs = shapely.to_wkb(np.asarray(gdf.geometry.values), byte_order=1)
    records = pd.DataFrame(gdf[attrs]).to_dict("records")
    rows: dict[str, tuple[str, bytes | None]] = {}
    for k, rec, wkb in zip(keys, records, wkbs):
        props = {str(c): json_value(v) for c, v in rec.items()}
        props[key] = k
        rows[k] = (json.dumps(props, ensure_ascii=False, sort_keys=True), wkb)
    return State(key, columns, keys, rows)


def gdf_from_state(st: State, version: int | None, layer: str = "") -> gpd.GeoDataFrame:
    """A state as a GeoDataFrame in EPSG:4326, ``attrs["version"] = version``; properties that
    are not a JSON object raise :class:`BadRow` naming the row (of ``layer``)."""
    try:
        recs = [dict(json.loads(st.rows[k][0])) for k in st.order]
    except (ValueError, TypeError):
        bad = next(k for k in st.order if not _json_object(st.rows[k][0]))
        raise BadRow(Msg.of("why.dmg_json", layer=layer, fid=bad, v=version) if version is not None
                     else Msg.of("why.dmg_json_any", layer=layer, fid=bad)) from None
    names = [c for c, _ in st.columns]
    df = pd.DataFrame(recs, columns=names)
    for c, dtype in st.columns:
        try:
            df[c] = df[c].astype(dtype)
        except (TypeError, ValueError):
            pass
    geoms = shapely.from_wkb(np.array([st.rows[k][1] for k in st.order], dtype=object))
    gdf = gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    gdf.attrs["version"] = version
    return gdf


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


# --------------------------------------------------------------------------- the current table


def write_current(con: sqlite3.Connection, layer: str, st: State, old: State | None) -> None:
    """Rewrite the GeoPackage feature table of ``layer`` with ``st`` (inside the caller's transaction)."""
    q = quote(layer)
    names = [c for c, _ in st.columns]
    if old is None or old.columns != st.columns:
        con.execute(f"DROP TABLE IF EXISTS {q}")
        cols = ", ".join(f"{quote(c)} {sql_type(t)}" for c, t in st.columns)
        con.execute(f"CREATE TABLE {q} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY"
                    f"{', ' + cols if cols else ''})")
    else:
        con.execute(f"DELETE FROM {q}")
    geoms = shapely.from_wkb(np.array([st.rows[k][1] for k in st.order], dtype=object))
    records = []
    for k, g in zip(st.order, geoms):
        props = json.loads(st.rows[k][0])
        records.append([gpkg_blob(st.rows[k][1], g)] + [props.get(c) for c in names])
    placeholders = ", ".join("?" * (len(names) + 1))
    collist = ", ".join(["geom"] + [quote(c) for c in names])
    con.executemany(f"INSERT INTO {q} ({collist}) VALUES ({placeholders})", records)
    types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist()) if len(geoms) else set()
    gtype = "POINT" if types == {0} else "GEOMETRY"
    bounds = shapely.total_bounds(geoms) if len(geoms) else [None] * 4
    bounds = [None if b is None or not math.isfinite(b) else float(b) for b in bounds]
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
                "last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (layer, "features", layer, f"{layer} (current version; history in store_versions)", now,
                 *bounds, 4326))
    con.execute("INSERT OR REPLACE INTO gpkg_geometry_columns VALUES (?,?,?,?,?,?)",
                (layer, "geom", gtype, 4326, 0, 0))
