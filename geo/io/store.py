"""The user's layers, versioned, in one GeoPackage (SQLite) file.

One store per district (:func:`default_path`), stamped with its adcode; every row a save adds
must belong to that district (:mod:`geo.io.stamp`). The district's own files are version 0
and are never written. Generic: any layer with a key column; centre edits
(:mod:`geo.io.editing`) are built on :meth:`Store.edit`.

File layout: a GeoPackage 1.3 (:mod:`geo.io.gpkg`) whose feature tables hold each layer's
**current** version (GDAL/QGIS read them: ``geopandas.read_file(path, layer="centers")``), with
the history beside them; a save only adds the features it changed.

Reading never writes (:mod:`geo.io.storefile`): every read opens the file with SQLite's
``mode=ro``, whether the Store was made ``readonly`` or not; it never creates a file, folder,
table or ``-wal``/``-shm``, never changes the journal mode, and refuses a file that is not a
store. Only a save opens it read-write, and refuses first (one line, nothing written) a file
that is not a store and a read-only file or folder; a damaged row is one line naming it.
``readonly=True`` only forbids saving (and a missing file is an error, not an empty store).

Atomicity: a save is one SQLite transaction (``BEGIN IMMEDIATE`` … ``COMMIT``) writing the
version row, the history and the current table together; a process killed before ``COMMIT``
leaves the previous version intact (WAL journal, ``synchronous=FULL``).

Concurrency: ``BEGIN IMMEDIATE`` serialises writers (each waits up to ``timeout`` s). A save
says which version it started from (``base_version``, else ``gdf.attrs["version"]``); others'
saves since are **merged** feature by feature, a feature both changed differently raises
:class:`ConflictError` with nothing written, and a whole-layer save of unknown origin needs
``force=True``. New keys are taken inside the write lock outside every key the layer ever had;
every earlier state stays in the history.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import pandas as pd

from geo.io import data, gpkg, stamp, storefile
from geo.io.districts import SHIPPED_CODE
from geo.io.errors import DataError
from geo.io.gpkg import Diff, State
from geo.locale import Msg

if TYPE_CHECKING:
    from geo.io.district import District

DEFAULT_PATH: Path = data.ROOT / "data" / "user" / "longhu.gpkg"
"""The store used when neither ``path`` nor ``LONGHU_STORE`` says otherwise."""


def default_path(district: str = SHIPPED_CODE) -> Path:
    """The store of the district with adcode ``district``: Longhu's is ``$LONGHU_STORE``, else
    ``data/user/longhu.gpkg``; another district's lies beside it, ``longhu-440511.gpkg``, so
    each district keeps its own versions (and each store is stamped with its district)."""
    base = Path(os.environ.get("LONGHU_STORE") or DEFAULT_PATH)
    return base if district == SHIPPED_CODE else base.with_name(f"{base.stem}-{district}{base.suffix}")


KEYS: dict[str, str] = {"centers": "id", "streets": "code", "communities": "code", "district": "code"}
"""The key column of each known layer (other layers name theirs when saved)."""
SHIPPED = ("centers", "streets", "communities", "district")
"""The layers whose version 0 is the district's own file (:meth:`District.shipped`)."""
MAX_DESCRIPTION = 500

_LAYER_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_PREFIXES = ("gpkg_", "rtree_", "store_", "sqlite_")
_T = TypeVar("_T")

# Test hook: called inside the save transaction just before COMMIT (None in production).
_BEFORE_COMMIT: Callable[[], None] | None = None

EditFn = Callable[[gpd.GeoDataFrame, Callable[[], set[str]]], gpd.GeoDataFrame]  # (layer, used_keys) -> edited
CheckFn = Callable[[gpd.GeoDataFrame, list[str]], None]  # (edited layer, keys added/changed); raises to refuse


WHOLE_LAYER = "(whole layer)"
COLUMNS = "(columns)"
"""The 'keys' of a conflict over a whole layer or over its columns."""


class ConflictError(RuntimeError):
    """Someone else saved the same features since this edit's base version: ``msg``
    (``why.conflict``) says who, when and which features; :meth:`text` words it, ``str()`` is English."""

    def __init__(self, layer: str, base: int | None, head: int, keys: list[str], who: str = ""):
        self.layer, self.base_version, self.head_version, self.keys, self.who = layer, base, head, keys, who
        shown = [Msg.of("why.conflict_whole") if k == WHOLE_LAYER else Msg.of("why.conflict_columns") if k == COLUMNS
                 else k for k in keys[:10]]
        self.msg = Msg.of("why.conflict", n=len(keys), layer=layer, head=head, base=base, keys=shown,
                          who=Msg.of("why.conflict_who", who=who) if who else "", more=" …" if len(keys) > 10 else "")
        super().__init__(str(self.msg))

    def text(self, lang: str = "en") -> str:
        """The conflict in ``lang``."""
        return self.msg.text(lang)

    def __reduce__(self):
        return (ConflictError, (self.layer, self.base_version, self.head_version, self.keys, self.who))


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new version (or the unchanged head) and the keys it touched."""

    layer: str
    version: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    merged: bool = False
    """True when others' saves since ``base_version`` were merged in."""
    created: bool = True
    """False when nothing differed from the current version (no new version written)."""


# --------------------------------------------------------------------------- the store


class Store:
    """A versioned GeoPackage of the user's layers. Cheap to create; thread- and process-safe
    (every call opens its own SQLite connection). ``readonly=True``: reads only, and never
    changes the file (see the module's notes)."""

    def __init__(self, path: str | os.PathLike, timeout: float = 30.0, *, readonly: bool = False,
                 district: District):
        if not isinstance(getattr(district, "code", None), str):
            raise TypeError(f"Store({str(path)!r}) needs district=<geo.io.district.District>, got {district!r}")
        self.path = Path(path)
        self.timeout = timeout
        self.readonly = readonly
        self.district = district

    @property
    def made(self) -> bool:
        """Whether the file holds anything yet (no file or an empty one: the first save makes the store)."""
        return not storefile.is_new(self.path)

    # ---------------------------------------------------------------- connections

    def _own(self) -> str:
        """The store to give instead of a file that is not a store: its file name."""
        return default_path(self.district.code).name

    def _connect(self) -> sqlite3.Connection:
        """A read-write connection, for a save only (:func:`geo.io.storefile.open_write`)."""
        if self.readonly:
            raise ValueError(f"the store {self.path} was opened read-only; open it with readonly=False to save")
        return storefile.open_write(self.path, self.timeout, self.district, self._own())

    @contextmanager
    def _writing(self, layer: str) -> Iterator[sqlite3.Connection]:
        """A save's connection; a damaged or read-only store raised as one line."""
        con = self._connect()
        try:
            yield con
        except storefile.DAMAGE as exc:
            raise storefile.failure(self.path, exc, layer) from None
        finally:
            con.close()

    def _read(self, fn: Callable[[sqlite3.Connection], _T], layer: str | None = None) -> _T:
        """``fn(connection)`` on a read-only connection, whatever ``readonly`` says (reading never
        writes); read again when the file changed meanwhile. A store not made yet reads as empty
        unless the Store is ``readonly``."""
        if not self.readonly and storefile.is_new(self.path):
            with closing(storefile.open_empty()) as con:
                return fn(con)
        for _ in range(5):
            before = _stamp(self.path)
            con, immutable = storefile.open_read(self.path, self.timeout, self.district, self._own())
            try:
                result = fn(con)
            except storefile.DAMAGE as exc:
                if immutable and _stamp(self.path) != before:
                    continue  # torn by a concurrent checkpoint: read again
                raise storefile.failure(self.path, exc, layer) from None
            finally:
                con.close()
            if not immutable or _stamp(self.path) == before:
                return result
        raise DataError(self.path, Msg.of("why.store_busy"))

    # ---------------------------------------------------------------- reading

    @staticmethod
    def _head(con: sqlite3.Connection, layer: str) -> int | None:
        row = con.execute("SELECT MAX(version) FROM store_versions WHERE layer = ?", (layer,)).fetchone()
        return row[0]

    def _state(self, con: sqlite3.Connection, layer: str, version: int, *, tolerant: bool = False) -> State:
        """``layer`` at ``version`` (0: the district's own file), every row checked
        (:func:`geo.io.gpkg.decode_rows`: a damaged one raises :class:`geo.io.gpkg.BadRow`);
        ``tolerant``: damaged rows kept as values no save equals, missing ones left out (the
        current state a whole-layer save replaces, so a restore can mend a damaged store)."""
        if version == 0 and layer in SHIPPED:
            return _shipped_state(self.district, layer)
        meta = con.execute(
            "SELECT version, key_column, columns, key_order FROM store_versions WHERE layer = ? AND version <= ? "
            "ORDER BY version DESC LIMIT 1", (layer, version)).fetchone()
        if meta is None:
            raise KeyError(f"layer {layer!r} has no version {version}")
        try:
            key, columns, order = meta[1], json.loads(meta[2]), json.loads(zlib.decompress(meta[3]))
        except (ValueError, zlib.error) as exc:
            raise gpkg.BadRow(Msg.of("why.dmg_meta", layer=layer, v=meta[0], e=str(exc))) from None
        raw = con.execute("SELECT CAST(key AS BLOB), CAST(props AS BLOB), geom FROM store_features WHERE layer = ? "
                          "AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)", (layer, version, version))
        rows = gpkg.decode_rows(layer, version, raw.fetchall(), tolerant=tolerant)
        missing = [k for k in order if k not in rows]
        if missing and not tolerant:
            raise gpkg.BadRow(Msg.of("why.dmg_missing", layer=layer, fid=missing[0], v=version))
        return State(key, columns, [k for k in order if k in rows] if missing else order, rows)

    def layers(self) -> list[str]:
        """Names of the layers saved in the store."""
        return self._read(lambda con: [r[0] for r in con.execute(
            "SELECT DISTINCT layer FROM store_versions ORDER BY layer")])

    def head(self, layer: str) -> int | None:
        """The current version of ``layer``, or None when it was never saved."""
        _check_layer(layer)
        return self._read(lambda con: self._head(con, layer), layer)

    def load(self, layer: str, version: int | None = None, *, shipped: bool = True) -> gpd.GeoDataFrame:
        """A layer at ``version`` (default: current) as a GeoDataFrame in EPSG:4326.

        ``gdf.attrs["version"]`` holds the version to pass back as ``base_version`` when
        saving an edit (:meth:`save` takes it from there when not given). A layer never
        saved comes from the shipped files (version 0: the shipped state, which later saves
        merge against) when ``shipped`` is true, else ``KeyError``.
        """
        _check_layer(layer)
        return self._read(lambda con: self._load(con, layer, version, shipped), layer)

    def _load(self, con: sqlite3.Connection, layer: str, version: int | None, shipped: bool) -> gpd.GeoDataFrame:
        con.execute("BEGIN")  # one consistent snapshot
        try:
            head = self._head(con, layer)
            if head is None:
                if shipped and layer in SHIPPED:
                    gdf = self.district.shipped(layer)
                    gdf.attrs["version"] = 0
                    return gdf
                raise KeyError(f"layer {layer!r} is not in the store {self.path}")
            v = head if version is None else int(version)
            if v == 0 and layer in SHIPPED:
                return gpkg.gdf_from_state(_shipped_state(self.district, layer), 0, layer)
            if not con.execute("SELECT 1 FROM store_versions WHERE layer = ? AND version = ?",
                               (layer, v)).fetchone():
                raise KeyError(f"layer {layer!r} has no version {v}; see versions()")
            return gpkg.gdf_from_state(self._state(con, layer, v), v, layer)
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
        rows = self._read(lambda con: con.execute(sql + " ORDER BY version DESC", args).fetchall(), layer)
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
        return self._read(lambda con: gpkg.diff(self._state(con, layer, old), self._state(con, layer, new)), layer)

    def changed_rows(self, layer: str, version: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """(rows after, rows before) for the features a version added/changed/removed."""
        _check_layer(layer)

        def read(con: sqlite3.Connection) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
            row = con.execute("SELECT added, removed, changed FROM store_versions WHERE layer = ? AND version = ?",
                              (layer, version)).fetchone()
            if row is None:
                raise KeyError(f"layer {layer!r} has no version {version}")
            added, removed, changed = (set(json.loads(x)) for x in row)
            after = self._state(con, layer, version)
            prev = con.execute("SELECT MAX(version) FROM store_versions WHERE layer = ? AND version < ?",
                               (layer, version)).fetchone()[0]
            before = self._state(con, layer, prev) if prev is not None else State(after.key, after.columns, [], {})
            after.order = [k for k in after.order if k in added | changed]
            before.order = [k for k in before.order if k in removed | changed]
            return gpkg.gdf_from_state(after, version, layer), gpkg.gdf_from_state(before, prev, layer)

        return self._read(read, layer)

    # ---------------------------------------------------------------- writing

    def save(self, layer: str, gdf: gpd.GeoDataFrame, description: str, *,
             base_version: int | None = None, key: str | None = None, author: str = "",
             force: bool = False) -> SaveResult:
        """Save a whole layer as a new version.

        ``base_version`` is the version the edit started from; when not given it is
        ``gdf.attrs["version"]`` (set by :meth:`load`). If someone else saved since, their
        changes and these are merged feature by feature, or :class:`ConflictError` is raised
        when both changed the same feature. When neither says where ``gdf`` came from and the
        layer was saved before, ``ValueError`` (pass ``base_version``). ``force=True``
        replaces the layer whatever happened since (the replaced state stays in the history).
        """
        _check_layer(layer)
        key = key or KEYS.get(layer)
        if key is None:
            raise ValueError(f"say which column identifies the features of {layer!r} (key=...)")
        description = _check_description(description)
        if base_version is None and not force:
            base_version = _attrs_version(gdf)
        mine = gpkg.state_from_gdf(gdf, key, layer)
        with self._writing(layer) as con:
            return self._transaction(con, layer, lambda base: mine, description,
                                     None if force else base_version, author, force=force, require_base=not force)

    def edit(self, layer: str, fn: EditFn, description: str, *, base_version: int | None = None,
             author: str = "", key: str | None = None, check: CheckFn | None = None) -> SaveResult:
        """Apply ``fn`` to ``layer`` inside one write transaction and save the result.

        ``fn(gdf, used_keys)`` gets the layer at ``base_version`` (default: the current
        version) and returns it edited; ``used_keys()`` is every key the layer has ever had
        (current, deleted, shipped), so a new key taken outside it never collides with
        another session's. Saves by others since ``base_version`` are merged in, then
        ``check(merged layer, keys added or changed)`` may raise to refuse the edit (nothing
        is written). A shipped layer is copied into the store first (so it can be restored).
        """
        _check_layer(layer)
        key = key or KEYS.get(layer)
        if key is None:
            raise ValueError(f"say which column identifies the features of {layer!r} (key=...)")
        description = _check_description(description)
        if layer in SHIPPED and self.head(layer) is None:
            self.seed(layer, author)
        with self._writing(layer) as con:
            def build(base: State | None) -> State:
                if base is None:
                    raise KeyError(f"layer {layer!r} is not in the store {self.path}")

                def used() -> set[str]:  # read inside the write lock
                    return self._used_keys(con, layer)

                return gpkg.state_from_gdf(fn(gpkg.gdf_from_state(base, None, layer), used), key, layer)

            def checked(st: State, touched: list[str]) -> None:
                if check is not None and touched:
                    check(gpkg.gdf_from_state(st, None), touched)

            return self._transaction(con, layer, build, description, base_version, author, check=checked)

    def restore(self, layer: str, version: int, description: str | None = None, *,
                base_version: int | None = None, author: str = "") -> SaveResult:
        """Make ``version`` of ``layer`` current again, as a new version.

        With ``base_version``, fails with :class:`ConflictError` if someone saved since.
        """
        _check_layer(layer)
        desc = _check_description(description or f"restored version {version}")
        with self._writing(layer) as con:
            def build(_base: State | None) -> State:
                if not con.execute("SELECT 1 FROM store_versions WHERE layer = ? AND version = ?",
                                   (layer, version)).fetchone():
                    raise KeyError(f"layer {layer!r} has no version {version}")
                return self._state(con, layer, version)

            return self._transaction(con, layer, build, desc, base_version, author, restored_from=version,
                                     whole=True)

    def seed(self, layer: str, author: str = "") -> SaveResult:
        """Copy a shipped layer into the store as its first version (no-op if present)."""
        _check_layer(layer)
        if layer not in SHIPPED:
            raise KeyError(f"no shipped layer {layer!r}")
        head = self.head(layer)
        if head is not None:
            return SaveResult(layer, int(head), created=False)
        mine = gpkg.state_from_gdf(self.district.shipped(layer), KEYS[layer], layer)
        with self._writing(layer) as con:
            def build(base: State | None) -> State:
                return base if base is not None else mine  # someone else seeded meanwhile: keep theirs

            return self._transaction(con, layer, build, "copied from the shipped files", None, author)

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
        mine = gpkg.state_from_gdf(gdf, "code", layer)
        with self._writing(layer) as con:
            return self._transaction(con, layer, lambda base: mine, desc, base_version, author, whole=True)

    # ---------------------------------------------------------------- the write transaction

    def _transaction(self, con: sqlite3.Connection, layer: str, build: Callable[[State | None], State],
                     description: str, base_version: int | None, author: str, *, force: bool = False,
                     restored_from: int | None = None, whole: bool = False, require_base: bool = False,
                     check: Callable[[State, list[str]], None] | None = None) -> SaveResult:
        """Read head, build my state from the base, merge, check, write: all in one write transaction."""
        con.execute("BEGIN IMMEDIATE")
        try:
            stamp.stamp(con, self.path, self.district)
            head = self._head(con, layer)
            head_state, base_state = self._bases(con, layer, head, base_version, force=force, whole=whole,
                                                 require_base=require_base)
            mine = build(base_state)
            merged = False
            if head_state is not None and base_state is not head_state:
                mine = self._merge(con, layer, base_state, head_state, mine, base_version, head)
                merged = bool(gpkg.diff(base_state, head_state))
            d = gpkg.diff(head_state, mine)
            if check is not None:
                check(mine, d.added + d.changed)
            stamp.check_rows(self.path, self.district, layer, mine, d.added + d.changed)  # whatever the caller checked
            schema_changed = head_state is None or head_state.columns != mine.columns \
                or head_state.key != mine.key or head_state.order != mine.order
            if not (d or schema_changed):
                con.execute("ROLLBACK")
                return SaveResult(layer, int(head), created=False)
            v = self._write_version(con, layer, mine, d, head_state, description, author,
                                    base_version if base_version is not None else head, restored_from, merged)
            if _BEFORE_COMMIT is not None:
                _BEFORE_COMMIT()
            con.execute("COMMIT")
            return SaveResult(layer, v, d.added, d.removed, d.changed, merged)
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def _bases(self, con: sqlite3.Connection, layer: str, head: int | None, base_version: int | None, *,
               force: bool, whole: bool, require_base: bool) -> tuple[State | None, State | None]:
        """(the head's state, the state the save started from), or why the save cannot go on."""
        if base_version is not None and head is not None and base_version > head:
            raise KeyError(f"layer {layer!r} has no version {base_version}")
        if require_base and base_version is None and head is not None:
            raise ValueError(f"{layer} was saved before (version {head}) and this save does not say which "
                             f"version it started from, so it could overwrite others' changes: pass "
                             f"base_version=gdf.attrs['version'] of Store.load({layer!r}), or force=True to "
                             f"replace the layer on purpose")
        head_state = self._state(con, layer, head, tolerant=whole) if head is not None else None
        if whole and head is not None and base_version is not None and base_version != head:
            raise ConflictError(layer, base_version, head, [WHOLE_LAYER], self._who(con, layer, base_version))
        if base_version == 0 and head is not None and not force:
            if layer not in SHIPPED:
                raise KeyError(f"layer {layer!r} has no shipped version 0")
            return head_state, self._state(con, layer, 0)
        if head is None or base_version is None or base_version == head or force:
            return head_state, head_state
        return head_state, self._state(con, layer, base_version)

    @staticmethod
    def _write_version(con: sqlite3.Connection, layer: str, mine: State, d: Diff, old: State | None,
                       description: str, author: str, base_version: int | None, restored_from: int | None,
                       merged: bool) -> int:
        """Write the version row, the history rows and the current table; the new version."""
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        cur = con.execute(
            "INSERT INTO store_versions (layer, created_at, description, author, base_version, restored_from, "
            "merged, key_column, columns, key_order, added, removed, changed, n_features) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (layer, now, description, author, base_version, restored_from, int(merged), mine.key,
             json.dumps(mine.columns), zlib.compress(json.dumps(mine.order, ensure_ascii=False).encode()),
             json.dumps(d.added, ensure_ascii=False), json.dumps(d.removed, ensure_ascii=False),
             json.dumps(d.changed, ensure_ascii=False), len(mine.order)))
        v = int(cur.lastrowid)
        con.executemany("UPDATE store_features SET valid_to = ? WHERE layer = ? AND key = ? AND valid_to IS NULL",
                        [(v, layer, k) for k in d.removed + d.changed])
        con.executemany("INSERT INTO store_features (layer, key, valid_from, valid_to, props, geom) "
                        "VALUES (?,?,?,NULL,?,?)",
                        [(layer, k, v, mine.rows[k][0], mine.rows[k][1]) for k in d.added + d.changed])
        gpkg.write_current(con, layer, mine, old)
        return v

    def _used_keys(self, con: sqlite3.Connection, layer: str) -> set[str]:
        """Every key ``layer`` has ever had: in any saved version, or in the shipped layer."""
        used = {r[0] for r in con.execute("SELECT DISTINCT key FROM store_features WHERE layer = ?", (layer,))}
        if layer in SHIPPED:
            used.update(_shipped_state(self.district, layer).rows)
        return used

    @staticmethod
    def _who(con: sqlite3.Connection, layer: str, since: int) -> str:
        rows = con.execute("SELECT version, created_at, description FROM store_versions WHERE layer = ? "
                           "AND version > ? ORDER BY version", (layer, since)).fetchall()
        return "; ".join(f"{r[1][:19].replace('T', ' ')} UTC: {r[2]}" for r in rows[-3:])

    def _merge(self, con: sqlite3.Connection, layer: str, base: State, head: State, mine: State,
               base_version: int | None, head_version: int | None) -> State:
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
            raise ConflictError(layer, base_version, int(head_version), [COLUMNS],
                                self._who(con, layer, base_version or 0))
        columns = mine.columns if mine.columns != base.columns else head.columns
        # order: head's order, with my additions where I put them (appended otherwise)
        order = [k for k in head.order if k in out_rows]
        seen = set(order)
        order += [k for k in mine.order if k in out_rows and k not in seen]
        return State(mine.key, columns, order, out_rows)


# --------------------------------------------------------------------------- helpers


def _shipped_state(district: District, layer: str) -> State:
    """A district's own layer as a state (version 0), read once while its file is unchanged."""
    return _shipped_state_at(district, layer, (district.folder / data.FILES[layer]).stat().st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _shipped_state_at(district: District, layer: str, mtime_ns: int) -> State:
    return gpkg.state_from_gdf(district.shipped(layer), KEYS[layer], layer)


def _attrs_version(gdf: gpd.GeoDataFrame) -> int | None:
    """The version a frame was loaded at (``attrs["version"]`` set by :meth:`Store.load`), if known."""
    v = getattr(gdf, "attrs", {}).get("version")
    return None if v is None or pd.isna(v) else int(v)


def _stamp(path: Path) -> tuple[int, int, int]:
    """What changes when a file is written: inode, size, modification time."""
    try:
        st = path.stat()
    except OSError:
        return -1, -1, -1
    return st.st_ino, st.st_size, st.st_mtime_ns


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
