"""The user's layers, versioned, in one GeoPackage (SQLite) file.

Default file: ``data/user/longhu.gpkg`` (git-ignored), or the ``LONGHU_STORE`` environment
variable, or the ``path`` given to :class:`Store`. The shipped files in ``data/boundaries/``
are never written.

File layout (a valid GeoPackage 1.3 written with :mod:`sqlite3` alone):

- one GeoPackage feature table per layer (``centers``, ``streets``, ``communities`` …) holding
  the **current** version, registered in ``gpkg_contents``/``gpkg_geometry_columns``, EPSG:4326,
  geometries as GeoPackage blobs. GDAL/pyogrio/QGIS read it directly:
  ``geopandas.read_file("data/user/longhu.gpkg", layer="centers")``.
- ``store_versions``: one row per save (global, increasing number; the layer; UTC time; the
  description; the ids added, removed and changed; the column schema; the row order).
- ``store_features``: the history, one row per feature state with the range of versions in
  which it was current (``valid_from`` ≤ v < ``valid_to``); properties as JSON, geometry as
  WKB. A save only adds rows for the features it changed.

Atomicity: a save is one SQLite transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) that writes the
version row, the history rows and the current feature table together; a process killed before
``COMMIT`` leaves the previous version intact (the journal is WAL with ``synchronous=FULL``).

Concurrency (two browser sessions, two processes): ``BEGIN IMMEDIATE`` serialises writers,
and every connection waits up to ``timeout`` seconds for the lock. Each save says which
version it was based on (``base_version``). When someone else saved in between, the save is
**merged** feature by feature: a feature changed only by one side takes that side's state;
a feature changed by both sides to different states raises :class:`ConflictError`
("someone else saved …; reload") and nothing is written. No change is ever silently lost:
merged saves keep both sides, and every earlier state stays in the history.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import data
from geo.io.errors import DataError, Problem

DEFAULT_PATH: Path = data.ROOT / "data" / "user" / "longhu.gpkg"
"""The store used when neither ``path`` nor ``LONGHU_STORE`` says otherwise."""
KEYS: dict[str, str] = {"centers": "id", "streets": "code", "communities": "code", "district": "code"}
"""The key column of each known layer (other layers name theirs when saved)."""
SHIPPED: dict[str, Callable[[], gpd.GeoDataFrame]] = {
    "centers": data.load_centers, "streets": data.load_streets,
    "communities": data.load_communities, "district": data.load_district,
}
MAX_DESCRIPTION = 500

_LAYER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_PREFIXES = ("gpkg_", "rtree_", "store_", "sqlite_")
_GPKG_APPLICATION_ID = 0x47504B47  # 'GPKG'
_GPKG_USER_VERSION = 10300

_SCHEMA = """
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

# Test hook: called inside the save transaction just before COMMIT (None in production).
_BEFORE_COMMIT: Callable[[], None] | None = None


class ConflictError(RuntimeError):
    """Someone else saved the same features since this edit's base version."""

    def __init__(self, layer: str, base: int | None, head: int, keys: list[str], who: str = ""):
        self.layer, self.base_version, self.head_version, self.keys = layer, base, head, keys
        shown = ", ".join(keys[:10]) + (" …" if len(keys) > 10 else "")
        super().__init__(
            f"someone else saved {layer} (version {head}{', ' + who if who else ''}) after the version you "
            f"loaded ({base}) and changed the same feature(s): {shown}; reload and make your change again. "
            f"有人已保存了同一要素的修改，请重新加载后再修改。")


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new version (or the unchanged head) and the ids it touched."""

    layer: str
    version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    merged: bool = False
    """True when others' saves since ``base_version`` were merged in."""
    created: bool = True
    """False when nothing differed from the current version (no new version written)."""


@dataclass(frozen=True)
class Diff:
    """Keys added, removed and changed between two versions of a layer."""

    added: list[str]
    removed: list[str]
    changed: list[str]


# --------------------------------------------------------------------------- encoding


def _json_value(v: object) -> object:
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


def _sql_type(dtype: str) -> str:
    if dtype.startswith(("int", "Int", "uint", "UInt")):
        return "INTEGER"
    if dtype.startswith(("float", "Float")):
        return "DOUBLE"
    if dtype in ("bool", "boolean"):
        return "BOOLEAN"
    return "TEXT"


def _gpkg_blob(wkb: bytes | None, geom: shapely.Geometry | None) -> bytes | None:
    """A GeoPackage geometry blob: 'GP', version 0, flags, srs_id 4326, envelope, WKB."""
    if wkb is None or geom is None:
        return None
    if geom.is_empty:
        return b"GP\x00" + bytes([0b00010001]) + struct.pack("<i", 4326) + wkb
    if geom.geom_type == "Point":
        return b"GP\x00" + bytes([0b00000001]) + struct.pack("<i", 4326) + wkb
    minx, miny, maxx, maxy = geom.bounds
    return b"GP\x00" + bytes([0b00000011]) + struct.pack("<i4d", 4326, minx, maxx, miny, maxy) + wkb


@dataclass
class _State:
    """One version of a layer: schema, key order and {key: (props JSON, WKB)}."""

    key: str
    columns: list[list[str]]  # [[name, dtype], ...] without the geometry
    order: list[str]
    rows: dict[str, tuple[str, bytes | None]]


def _state_from_gdf(gdf: gpd.GeoDataFrame, key: str, layer: str) -> _State:
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise DataError(layer, "a layer must be a GeoDataFrame with a geometry column")
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    elif not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    geom_col = gdf.geometry.name
    attrs = [c for c in gdf.columns if c != geom_col]
    if key not in attrs:
        raise DataError(layer, f"the layer has no {key!r} column to identify its features")
    problems = []
    seen_lower: dict[str, str] = {}
    for c in attrs:
        name = str(c)
        if not name or "\x00" in name or name.lower() in ("fid", "geom"):
            problems.append(Problem(1, name, "", "column name not allowed (empty, 'fid' or 'geom'); rename it"))
        elif name.lower() in seen_lower:
            problems.append(Problem(1, name, "", f"column name differs from {seen_lower[name.lower()]!r} only by case"))
        seen_lower[name.lower()] = name
    keys = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip() for v in gdf[key]]
    for i, k in enumerate(keys):
        if not k:
            problems.append(Problem(i + 1, key, "", f"empty {key}; every feature needs one"))
    dup = pd.Series(keys).duplicated() & (pd.Series(keys) != "")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(int(i) + 1, key, keys[i], f"duplicate {key}"))
    if problems:
        raise DataError(layer, problems)
    columns = [[str(c), str(gdf[c].dtype)] for c in attrs]
    geoms = np.asarray(gdf.geometry.values)
    wkbs = shapely.to_wkb(geoms, byte_order=1)
    records = pd.DataFrame(gdf[attrs]).to_dict("records")
    rows: dict[str, tuple[str, bytes | None]] = {}
    for k, rec, wkb in zip(keys, records, wkbs):
        props = {str(c): _json_value(v) for c, v in rec.items()}
        props[key] = k
        rows[k] = (json.dumps(props, ensure_ascii=False, sort_keys=True), wkb)
    return _State(key, columns, keys, rows)


def _gdf_from_state(st: _State, version: int | None) -> gpd.GeoDataFrame:
    recs = [json.loads(st.rows[k][0]) for k in st.order]
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


# --------------------------------------------------------------------------- the store


class Store:
    """A versioned GeoPackage of the user's layers. Cheap to create; thread- and process-safe
    (every call opens its own SQLite connection)."""

    def __init__(self, path: str | os.PathLike | None = None, timeout: float = 30.0):
        self.path = Path(path if path is not None else os.environ.get("LONGHU_STORE", DEFAULT_PATH))
        self.timeout = timeout

    # ---------------------------------------------------------------- connection and schema

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise DataError(self.path, f"cannot open the store ({exc})") from None
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")
            if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'store_versions'").fetchone():
                self._create_schema(con)
        except sqlite3.DatabaseError as exc:
            con.close()
            raise DataError(self.path, f"the store is not a readable GeoPackage/SQLite file ({exc}); "
                                       "move it away to start a new one") from None
        return con

    @staticmethod
    def _create_schema(con: sqlite3.Connection) -> None:
        from pyproj import CRS

        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute(f"PRAGMA application_id = {_GPKG_APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {_GPKG_USER_VERSION}")
            for statement in _SCHEMA.split(";"):
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

    # ---------------------------------------------------------------- reading

    @staticmethod
    def _head(con: sqlite3.Connection, layer: str) -> int | None:
        row = con.execute("SELECT MAX(version) FROM store_versions WHERE layer = ?", (layer,)).fetchone()
        return row[0]

    @staticmethod
    def _state(con: sqlite3.Connection, layer: str, version: int) -> _State:
        if version == 0 and layer in SHIPPED:
            return _shipped_state(layer)
        meta = con.execute(
            "SELECT key_column, columns, key_order FROM store_versions WHERE layer = ? AND version <= ? "
            "ORDER BY version DESC LIMIT 1", (layer, version)).fetchone()
        if meta is None:
            raise KeyError(f"layer {layer!r} has no version {version}")
        key, columns, order = meta[0], json.loads(meta[1]), json.loads(zlib.decompress(meta[2]))
        rows = {k: (p, g) for k, p, g in con.execute(
            "SELECT key, props, geom FROM store_features WHERE layer = ? AND valid_from <= ? "
            "AND (valid_to IS NULL OR valid_to > ?)", (layer, version, version))}
        return _State(key, columns, order, rows)

    def layers(self) -> list[str]:
        """Names of the layers saved in the store."""
        with _closing(self._connect()) as con:
            return [r[0] for r in con.execute("SELECT DISTINCT layer FROM store_versions ORDER BY layer")]

    def head(self, layer: str) -> int | None:
        """The current version of ``layer``, or None when it was never saved."""
        _check_layer(layer)
        with _closing(self._connect()) as con:
            return self._head(con, layer)

    def load(self, layer: str, version: int | None = None, *, shipped: bool = True) -> gpd.GeoDataFrame:
        """A layer at ``version`` (default: current) as a GeoDataFrame in EPSG:4326.

        ``gdf.attrs["version"]`` holds the version to pass back as ``base_version`` when
        saving an edit. A layer never saved comes from the shipped files (version 0: the
        shipped state, which later saves merge against) when ``shipped`` is true, else
        ``KeyError``.
        """
        _check_layer(layer)
        with _closing(self._connect()) as con:
            con.execute("BEGIN")  # one consistent snapshot
            try:
                head = self._head(con, layer)
                if head is None:
                    if shipped and layer in SHIPPED:
                        gdf = SHIPPED[layer]()
                        gdf.attrs["version"] = 0
                        return gdf
                    raise KeyError(f"layer {layer!r} is not in the store {self.path}")
                v = head if version is None else int(version)
                if v == 0 and layer in SHIPPED:
                    gdf = _gdf_from_state(_shipped_state(layer), 0)
                    return gdf
                if not con.execute("SELECT 1 FROM store_versions WHERE layer = ? AND version = ?",
                                   (layer, v)).fetchone():
                    raise KeyError(f"layer {layer!r} has no version {v}; see versions()")
                return _gdf_from_state(self._state(con, layer, v), v)
            finally:
                con.execute("COMMIT")

    def versions(self, layer: str | None = None) -> pd.DataFrame:
        """The history, newest first: ``version, layer, created_at, description, author,
        base_version, restored_from, merged, added, removed, changed, n_features``."""
        sql = ("SELECT version, layer, created_at, description, author, base_version, restored_from, merged, "
               "added, removed, changed, n_features FROM store_versions")
        args: tuple = ()
        if layer is not None:
            _check_layer(layer)
            sql += " WHERE layer = ?"
            args = (layer,)
        with _closing(self._connect()) as con:
            rows = con.execute(sql + " ORDER BY version DESC", args).fetchall()
        cols = ["version", "layer", "created_at", "description", "author", "base_version", "restored_from",
                "merged", "added", "removed", "changed", "n_features"]
        df = pd.DataFrame(rows, columns=cols)
        for c in ("added", "removed", "changed"):
            df[c] = df[c].map(json.loads)
        df["merged"] = df["merged"].astype(bool)
        for c in ("base_version", "restored_from"):
            df[c] = df[c].astype("Int64")
        return df

    def diff(self, layer: str, old: int, new: int) -> Diff:
        """Keys added, removed and changed from version ``old`` to ``new`` of ``layer``."""
        _check_layer(layer)
        with _closing(self._connect()) as con:
            a, b = self._state(con, layer, old), self._state(con, layer, new)
        return _diff(a, b)

    def changed_rows(self, layer: str, version: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """(rows after, rows before) for the features a version added/changed/removed."""
        _check_layer(layer)
        with _closing(self._connect()) as con:
            row = con.execute("SELECT added, removed, changed FROM store_versions WHERE layer = ? AND version = ?",
                              (layer, version)).fetchone()
            if row is None:
                raise KeyError(f"layer {layer!r} has no version {version}")
            added, removed, changed = (json.loads(x) for x in row)
            after = self._state(con, layer, version)
            prev = con.execute("SELECT MAX(version) FROM store_versions WHERE layer = ? AND version < ?",
                               (layer, version)).fetchone()[0]
            before = self._state(con, layer, prev) if prev is not None else _State(after.key, after.columns, [], {})
        after.order = [k for k in after.order if k in set(added) | set(changed)]
        before.order = [k for k in before.order if k in set(removed) | set(changed)]
        return _gdf_from_state(after, version), _gdf_from_state(before, prev)

    # ---------------------------------------------------------------- writing

    def save(self, layer: str, gdf: gpd.GeoDataFrame, description: str, *,
             base_version: int | None = None, key: str | None = None, author: str = "",
             force: bool = False) -> SaveResult:
        """Save a whole layer as a new version.

        ``base_version`` is the version the edit started from (``gdf.attrs["version"]`` of
        :meth:`load`). If someone else saved since, their changes and these are merged
        feature by feature, or :class:`ConflictError` is raised when both changed the same
        feature. ``force=True`` replaces the layer whatever happened since (the replaced
        state stays in the history).
        """
        _check_layer(layer)
        key = key or KEYS.get(layer)
        if key is None:
            raise ValueError(f"say which column identifies the features of {layer!r} (key=...)")
        description = _check_description(description)
        mine = _state_from_gdf(gdf, key, layer)
        with _closing(self._connect()) as con:
            return self._transaction(con, layer, lambda base: mine, description,
                                     None if force else base_version, author, force=force)

    def restore(self, layer: str, version: int, description: str | None = None, *,
                base_version: int | None = None, author: str = "") -> SaveResult:
        """Make ``version`` of ``layer`` current again, as a new version.

        With ``base_version``, fails with :class:`ConflictError` if someone saved since.
        """
        _check_layer(layer)
        desc = _check_description(description or f"restored version {version}")
        with _closing(self._connect()) as con:
            def build(_base: _State | None) -> _State:
                if not con.execute("SELECT 1 FROM store_versions WHERE layer = ? AND version = ?",
                                   (layer, version)).fetchone():
                    raise KeyError(f"layer {layer!r} has no version {version}")
                return self._state(con, layer, version)

            return self._transaction(con, layer, build, desc, base_version, author, restored_from=version,
                                     whole=True)

    def _transaction(self, con: sqlite3.Connection, layer: str, build: Callable[[_State | None], _State],
                     description: str, base_version: int | None, author: str, *, force: bool = False,
                     restored_from: int | None = None, whole: bool = False,
                     check: Callable[[_State, set[str]], None] | None = None) -> SaveResult:
        """Read head, build my state from the base, merge, write: all in one write transaction."""
        con.execute("BEGIN IMMEDIATE")
        try:
            head = self._head(con, layer)
            if base_version is not None and head is not None and base_version > head:
                raise KeyError(f"layer {layer!r} has no version {base_version}")
            head_state = self._state(con, layer, head) if head is not None else None
            if whole and head is not None and base_version is not None and base_version != head:
                raise ConflictError(layer, base_version, head, ["(whole layer)"], self._who(con, layer, base_version))
            if base_version == 0 and head is not None and not force:
                if layer not in SHIPPED:
                    raise KeyError(f"layer {layer!r} has no shipped version 0")
                base_state = self._state(con, layer, 0)
            elif head is None or base_version is None or base_version == head or force:
                base_state = head_state
            else:
                base_state = self._state(con, layer, base_version)
            mine = build(base_state)
            merged = False
            if head_state is not None and base_state is not head_state:
                mine = self._merge(con, layer, base_state, head_state, mine, base_version, head)
                others = _diff(base_state, head_state)
                merged = bool(others.added or others.removed or others.changed)
            d = _diff(head_state, mine)
            if check is not None:
                check(mine, set(d.added + d.changed))
            schema_changed = head_state is None or head_state.columns != mine.columns \
                or head_state.key != mine.key or head_state.order != mine.order
            if not (d.added or d.removed or d.changed or schema_changed):
                con.execute("ROLLBACK")
                return SaveResult(layer, int(head), created=False)
            now = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            cur = con.execute(
                "INSERT INTO store_versions (layer, created_at, description, author, base_version, restored_from, "
                "merged, key_column, columns, key_order, added, removed, changed, n_features) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (layer, now, description, author, base_version if base_version is not None else head,
                 restored_from, int(merged), mine.key, json.dumps(mine.columns),
                 zlib.compress(json.dumps(mine.order, ensure_ascii=False).encode()),
                 json.dumps(d.added, ensure_ascii=False), json.dumps(d.removed, ensure_ascii=False),
                 json.dumps(d.changed, ensure_ascii=False), len(mine.order)))
            v = cur.lastrowid
            gone = d.removed + d.changed
            con.executemany("UPDATE store_features SET valid_to = ? WHERE layer = ? AND key = ? AND valid_to IS NULL",
                            [(v, layer, k) for k in gone])
            con.executemany("INSERT INTO store_features (layer, key, valid_from, valid_to, props, geom) "
                            "VALUES (?,?,?,NULL,?,?)",
                            [(layer, k, v, mine.rows[k][0], mine.rows[k][1]) for k in d.added + d.changed])
            self._write_current(con, layer, mine, head_state)
            if _BEFORE_COMMIT is not None:
                _BEFORE_COMMIT()
            con.execute("COMMIT")
            return SaveResult(layer, int(v), d.added, d.removed, d.changed, merged)
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    @staticmethod
    def _who(con: sqlite3.Connection, layer: str, since: int) -> str:
        rows = con.execute("SELECT version, created_at, description FROM store_versions WHERE layer = ? "
                           "AND version > ? ORDER BY version", (layer, since)).fetchall()
        return "; ".join(f"{r[1][:19].replace('T', ' ')} UTC: {r[2]}" for r in rows[-3:])

    def _merge(self, con: sqlite3.Connection, layer: str, base: _State, head: _State, mine: _State,
               base_version: int | None, head_version: int | None) -> _State:
        """Three-way, feature by feature: each side's changes since ``base``; same feature
        changed differently by both sides -> ConflictError."""
        conflicts = []
        out_rows: dict[str, tuple[str, bytes | None]] = {}
        for k in dict.fromkeys(list(head.order) + list(mine.order) + list(base.order)):
            b, h, m = base.rows.get(k), head.rows.get(k), mine.rows.get(k)
            if m == b:
                r = h
            elif h == b or h == m:
                r = m
            else:
                conflicts.append(k)
                continue
            if r is not None:
                out_rows[k] = r
        if conflicts:
            raise ConflictError(layer, base_version, int(head_version), conflicts,
                                self._who(con, layer, base_version or 0))
        if mine.columns != base.columns and head.columns != base.columns and mine.columns != head.columns:
            raise ConflictError(layer, base_version, int(head_version), ["(columns)"],
                                self._who(con, layer, base_version or 0))
        columns = mine.columns if mine.columns != base.columns else head.columns
        # order: head's order, with my additions where I put them (appended otherwise)
        order = [k for k in head.order if k in out_rows]
        seen = set(order)
        order += [k for k in mine.order if k in out_rows and k not in seen]
        return _State(mine.key, columns, order, out_rows)

    def _write_current(self, con: sqlite3.Connection, layer: str, st: _State, old: _State | None) -> None:
        """Rewrite the GeoPackage feature table of ``layer`` with ``st``."""
        q = _quote(layer)
        names = [c for c, _ in st.columns]
        if old is None or old.columns != st.columns:
            con.execute(f"DROP TABLE IF EXISTS {q}")
            cols = ", ".join(f"{_quote(c)} {_sql_type(t)}" for c, t in st.columns)
            con.execute(f"CREATE TABLE {q} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY"
                        f"{', ' + cols if cols else ''})")
        else:
            con.execute(f"DELETE FROM {q}")
        geoms = shapely.from_wkb(np.array([st.rows[k][1] for k in st.order], dtype=object))
        records = []
        for k, g in zip(st.order, geoms):
            props = json.loads(st.rows[k][0])
            records.append([_gpkg_blob(st.rows[k][1], g)] + [props.get(c) for c in names])
        placeholders = ", ".join("?" * (len(names) + 1))
        collist = ", ".join(["geom"] + [_quote(c) for c in names])
        con.executemany(f"INSERT INTO {q} ({collist}) VALUES ({placeholders})", records)
        types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist()) if len(geoms) else set()
        gtype = "POINT" if types == {0} else "GEOMETRY"
        bounds = shapely.total_bounds(geoms) if len(geoms) else [None] * 4
        bounds = [None if b is None or not math.isfinite(b) else float(b) for b in bounds]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (layer, "features", layer, f"{layer} (current version; history in store_versions)", now,
                     *bounds, 4326))
        con.execute("INSERT OR REPLACE INTO gpkg_geometry_columns VALUES (?,?,?,?,?,?)",
                    (layer, "geom", gtype, 4326, 0, 0))

    # ---------------------------------------------------------------- the app's edits

    def seed(self, layer: str, author: str = "") -> SaveResult:
        """Copy a shipped layer into the store as its first version (no-op if present)."""
        _check_layer(layer)
        if layer not in SHIPPED:
            raise KeyError(f"no shipped layer {layer!r}")
        with _closing(self._connect()) as con:
            if self._head(con, layer) is not None:
                return SaveResult(layer, int(self._head(con, layer)), created=False)
        gdf = SHIPPED[layer]()
        mine = _state_from_gdf(gdf, KEYS[layer], layer)
        with _closing(self._connect()) as con:
            def build(base: _State | None) -> _State:
                return base if base is not None else mine  # someone else seeded meanwhile: keep theirs

            return self._transaction(con, layer, build, "copied from the shipped files", None, author)

    def _edit_centers(self, fn: Callable[[gpd.GeoDataFrame, list], gpd.GeoDataFrame], description: str,
                      base_version: int | None, author: str) -> SaveResult:
        """Apply ``fn`` to the centres at ``base_version`` and save, merging with others' saves."""
        description = _check_description(description)
        if self.head("centers") is None:
            self.seed("centers", author)
        with _closing(self._connect()) as con:
            boundaries = self._boundaries(con)

            def build(base: _State | None) -> _State:
                return _state_from_gdf(fn(_gdf_from_state(base, None), boundaries), "id", "centers")

            def check(st: _State, touched: set[str]) -> None:
                _check_centers(_gdf_from_state(st, None), touched, *boundaries)

            return self._transaction(con, "centers", build, description, base_version, author, check=check)

    def _boundaries(self, con: sqlite3.Connection) -> list[gpd.GeoDataFrame]:
        """[district, streets, communities]: the store's, else the shipped ones."""
        out = []
        for layer in ("district", "streets", "communities"):
            head = self._head(con, layer)
            out.append(_gdf_from_state(self._state(con, layer, head), head) if head is not None
                       else SHIPPED[layer]())
        return out

    def add_center(self, name: str, tier: str, lon: float, lat: float, *, crs: str = "wgs84",
                   id: str | None = None, base_version: int | None = None, author: str = "",
                   description: str | None = None) -> SaveResult:
        """Add a centre (a new version). Street and community are found from the position."""
        from geo.io.registry import tier_of as _tier

        canon = _tier(tier)
        if canon is None:
            raise DataError("centers", [Problem(None, "tier", str(tier), "unknown tier; use district/street/"
                                                                           "community/station or 区级/街道/社区/服务站")])
        x, y = _point(lon, lat, crs)
        name = _check_name(name)

        def fn(gdf: gpd.GeoDataFrame, boundaries: list) -> gpd.GeoDataFrame:
            new_id = (id or "").strip() or _next_id(gdf["id"])
            if new_id in set(gdf["id"]):
                raise DataError("centers", [Problem(None, "id", new_id, "duplicate id; choose another")])
            row = gpd.GeoDataFrame({"id": [new_id], "name": [name], "tier": [canon], "street_code": [""],
                                    "community_code": [""], "lon": [x], "lat": [y], "position_source": ["user"]},
                                   geometry=gpd.points_from_xy([x], [y]), crs="EPSG:4326")
            row = _locate(row, boundaries)
            out = pd.concat([gdf, row.reindex(columns=gdf.columns)], ignore_index=True)
            return gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs="EPSG:4326")

        return self._edit_centers(fn, description or f"added {name}", base_version, author)

    def move_center(self, id: str, lon: float, lat: float, *, crs: str = "wgs84",
                    base_version: int | None = None, author: str = "",
                    description: str | None = None) -> SaveResult:
        """Move a centre (a new version); its street/community follow when it leaves them."""
        x, y = _point(lon, lat, crs)

        def fn(gdf: gpd.GeoDataFrame, boundaries: list) -> gpd.GeoDataFrame:
            i = _row_of(gdf, id)
            gdf = gdf.copy()
            gdf.loc[i, ["lon", "lat"]] = [x, y]
            gdf.loc[i, "position_source"] = "user"
            gdf.loc[i, gdf.geometry.name] = shapely.Point(x, y)
            one = _locate(gdf.loc[[i]], boundaries, keep_if_inside=True)
            gdf.loc[i, ["street_code", "community_code"]] = one.loc[i, ["street_code", "community_code"]].tolist()
            return gdf

        return self._edit_centers(fn, description or f"moved {id}", base_version, author)

    def rename_center(self, id: str, name: str, *, base_version: int | None = None, author: str = "",
                      description: str | None = None) -> SaveResult:
        """Rename a centre (a new version)."""
        name = _check_name(name)

        def fn(gdf: gpd.GeoDataFrame, boundaries: list) -> gpd.GeoDataFrame:
            i = _row_of(gdf, id)
            gdf = gdf.copy()
            gdf.loc[i, "name"] = name
            return gdf

        return self._edit_centers(fn, description or f"renamed {id} to {name}", base_version, author)

    def delete_center(self, id: str, *, base_version: int | None = None, author: str = "",
                      description: str | None = None) -> SaveResult:
        """Delete a centre (a new version; it stays in the history)."""
        def fn(gdf: gpd.GeoDataFrame, boundaries: list) -> gpd.GeoDataFrame:
            i = _row_of(gdf, id)
            return gdf.drop(index=i).reset_index(drop=True)

        return self._edit_centers(fn, description or f"deleted {id}", base_version, author)

    def replace_boundaries(self, level: str, gdf: gpd.GeoDataFrame, description: str | None = None, *,
                           base_version: int | None = None, keep_missing: bool = False,
                           author: str = "") -> SaveResult:
        """Replace the street or community boundaries (e.g. ``BoundaryReport.layer``).

        ``keep_missing=True`` keeps the current features the new file does not have.
        With ``base_version``, fails with :class:`ConflictError` if someone saved since.
        """
        layer = {"street": "streets", "streets": "streets", "community": "communities",
                 "communities": "communities"}.get(level)
        if layer is None:
            raise ValueError(f"unknown level {level!r}; use 'street' or 'community'")
        if keep_missing:
            current = self.load(layer)
            keep = current[~current["code"].isin(set(gdf["code"].astype(str)))]
            gdf = pd.concat([gdf, keep[[c for c in gdf.columns if c in keep.columns]]], ignore_index=True)
            gdf = gpd.GeoDataFrame(gdf, geometry=gdf.geometry.name, crs="EPSG:4326")
        desc = _check_description(description or f"replaced {layer} ({len(gdf)} features)")
        mine = _state_from_gdf(gdf, "code", layer)
        with _closing(self._connect()) as con:
            return self._transaction(con, layer, lambda base: mine, desc, base_version, author, whole=True)


# --------------------------------------------------------------------------- helpers


def _locate(rows: gpd.GeoDataFrame, boundaries: list, keep_if_inside: bool = False) -> gpd.GeoDataFrame:
    """Street/community codes from the boundaries; with ``keep_if_inside`` a code is kept
    while its polygon still covers the point."""
    _, streets, comms = boundaries
    rows = rows.copy()
    for col, layer in (("street_code", streets), ("community_code", comms)):
        polys = layer.set_index("code").geometry
        for i in rows.index:
            c = rows.at[i, col]
            if not (keep_if_inside and c and c in polys.index and polys[c].covers(rows.geometry[i])):
                rows.at[i, col] = ""
    return data.locate(rows, streets, comms)


_SHIPPED_STATES: dict[str, tuple[float, _State]] = {}


def _shipped_state(layer: str) -> _State:
    """The shipped layer as a state (version 0), cached while the file is unchanged."""
    fname = {"centers": "centers.csv", "streets": "streets.geojson", "communities": "communities.geojson",
             "district": "district.geojson"}[layer]
    mtime = (data.DATA_DIR / fname).stat().st_mtime
    hit = _SHIPPED_STATES.get(layer)
    if hit is None or hit[0] != mtime:
        hit = (mtime, _state_from_gdf(SHIPPED[layer](), KEYS[layer], layer))
        _SHIPPED_STATES[layer] = hit
    return hit[1]


class _closing:
    def __init__(self, con: sqlite3.Connection):
        self.con = con

    def __enter__(self) -> sqlite3.Connection:
        return self.con

    def __exit__(self, *exc) -> None:
        self.con.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_layer(layer: str) -> None:
    if not isinstance(layer, str) or not _LAYER_RE.match(layer) or layer.startswith(_RESERVED_PREFIXES):
        raise ValueError(f"layer name {layer!r} not allowed: use lower-case letters, digits and '_', "
                         "starting with a letter (not gpkg_/rtree_/store_/sqlite_)")


def _check_description(text: str | None) -> str:
    text = " ".join(str(text or "").split())
    if not text:
        raise ValueError("give a short description of the change")
    if len(text) > MAX_DESCRIPTION:
        raise ValueError(f"the description is {len(text)} characters; keep it under {MAX_DESCRIPTION}")
    return text


def _check_name(name: str) -> str:
    name = str(name or "").strip()
    if not name:
        raise DataError("centers", [Problem(None, "name", "", "empty name; fill in the centre's name")])
    if len(name) > 200:
        raise DataError("centers", [Problem(None, "name", name[:40] + "…", "name longer than 200 characters")])
    return name


def _point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise DataError("centers", [Problem(None, "lon", f"{lon}, {lat}", "not a number")]) from None
    if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
        raise DataError("centers", [Problem(None, "lon", f"{lon}, {lat}", "coordinates out of range")])
    wx, wy = _crs.convert(x, y, _crs.check_crs(crs), "wgs84")
    return float(wx), float(wy)


def _row_of(gdf: gpd.GeoDataFrame, id: str):
    hit = gdf.index[gdf["id"] == str(id)]
    if len(hit) == 0:
        raise KeyError(f"no centre with id {id!r} (it may have been deleted; reload)")
    return hit[0]


def _next_id(ids: Iterable[str]) -> str:
    used = set(ids)
    k = 1
    while f"C{k:04d}" in used:
        k += 1
    return f"C{k:04d}"


def _check_centers(gdf: gpd.GeoDataFrame, touched: set[str], district: gpd.GeoDataFrame,
                   streets: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> None:
    """The importer's checks for the centres an edit touched: inside the district, one
    community-tier centre per community."""
    from geo.io.registry import distance_m as _distance_m

    problems = []
    geom = shapely.union_all(np.asarray(district.geometry.values))
    mine = gdf[gdf["id"].isin(touched)]
    for r in mine.itertuples():
        if not shapely.contains_xy(geom, r.lon, r.lat):
            d = _distance_m(geom, np.array([r.lon]), np.array([r.lat]))[0]
            problems.append(Problem(None, "lon", f"{r.lon:.6f}, {r.lat:.6f}",
                                    f"{r.id}: outside Longhu District, {d:,.0f} m from its outline"))
        if r.tier == "community" and r.community_code:
            others = gdf[(gdf["tier"] == "community") & (gdf["community_code"] == r.community_code)
                         & (gdf["id"] != r.id)]
            if len(others):
                problems.append(Problem(None, "community_code", r.community_code,
                                        f"{r.id}: community {r.community_code} already has a community-tier "
                                        f"centre ({', '.join(others['id'])}); make this one a station"))
    if problems:
        raise DataError("centers", problems)


def _diff(old: _State | None, new: _State) -> Diff:
    if old is None:
        return Diff(list(new.order), [], [])
    added = [k for k in new.order if k not in old.rows]
    removed = [k for k in old.order if k not in new.rows]
    changed = [k for k in new.order if k in old.rows and old.rows[k] != new.rows[k]]
    return Diff(added, removed, changed)
