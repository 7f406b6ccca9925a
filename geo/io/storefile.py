"""Opening a store's file (:mod:`geo.io.store`): every read read-only, only a save read-write,
and one line -- never a raw SQLite or GEOS error -- for a file that is not a store, is damaged
or is read-only.

Reading (:func:`open_read`) opens the file with SQLite's ``mode=ro``: it never creates a file,
folder, table or ``-wal``/``-shm``, never changes the journal mode, and refuses a file that is
not a store. A store that does not exist yet (no file, or an empty one) reads as an empty store
(:func:`open_empty`, in memory) for a caller that may save later; nothing is created until a save.

Writing (:func:`open_write`) refuses, before anything is written, a read-only file or folder
and a file that is not a store (a plain SQLite file, a GeoPackage of GDAL's, anything
unreadable); only a new or empty file becomes a store.

A damaged store (a geometry that is not WKB, text that is not UTF-8, a row missing from a
version) is named by :func:`failure`: the file, the layer, the row and what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.request import pathname2url

from shapely.errors import GEOSException

from geo.io import gpkg, stamp
from geo.io.errors import DataError
from geo.locale import Msg

if TYPE_CHECKING:
    from geo.io.district import District

RESCUE = Msg.of("why.dmg_rescue", page=Msg.of("data.title"), tab=Msg.of("data.tab_versions"))
"""What to do about a damaged store (the command line has no restore: the app keeps the history)."""

DAMAGE = (gpkg.BadRow, sqlite3.DatabaseError, GEOSException, json.JSONDecodeError, zlib.error, UnicodeDecodeError)
"""What reading a damaged store raises; :func:`failure` words each as one line."""


def is_new(path: Path) -> bool:
    """Whether the store is still to be made: no file, or an empty one."""
    try:
        return path.stat().st_size == 0
    except FileNotFoundError:
        return True


def readonly_error(path: Path) -> DataError:
    """The one line for saving into a store that cannot be written."""
    return DataError(path, Msg.of("why.store_readonly", p=str(path)))


def damaged(path: Path, what: Msg) -> DataError:
    """The one line for a damaged store: ``what`` (``why.dmg_*``) is damaged, and what to do."""
    return DataError(path, Msg.of("why.store_damaged", rest=what, rescue=RESCUE))


def open_empty() -> sqlite3.Connection:
    """An empty store in memory: what a store not made yet holds (nothing is written anywhere)."""
    con = sqlite3.connect(":memory:", isolation_level=None)
    gpkg.create_schema(con)
    return con


def open_read(path: Path, timeout: float, district: District, own: str) -> tuple[sqlite3.Connection, bool]:
    """(a read-only connection, whether it is ``immutable``), after checking it is a store of
    ``district`` (``own``: the name of the store to give instead of a file that is not a store).

    With no ``-wal``/``-journal`` beside the file, every committed change is in the file
    itself: it is opened ``immutable`` (no locks, no ``-shm``) and the caller checks that the
    file did not change meanwhile. Otherwise a writer is active: plain ``mode=ro``.
    """
    if not path.is_file():
        raise DataError(path, Msg.of("why.store_missing"))
    if path.stat().st_size == 0:
        raise DataError(path, Msg.of("why.store_empty", name=own))
    quiet = not any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal"))
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro" + ("&immutable=1" if quiet else "")
    try:
        con = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise DataError(path, Msg.of("why.store_open", e=str(exc))) from None
    try:
        _kind(con, path, own, empty_ok=False)
        _stamp_checked(con, path, district)
    except BaseException:
        con.close()
        raise
    return con, quiet


def open_write(path: Path, timeout: float, district: District, own: str) -> sqlite3.Connection:
    """A read-write connection to the store of ``district``, made when the file is new or empty.

    Refused before anything is written: a read-only file or folder, a file that is not a store."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(path, Msg.of("why.store_folder", folder=str(path.parent), e=exc.strerror)) from None
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise readonly_error(path)  # SQLite would open it read-only and fail at the first write
    try:
        con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise DataError(path, Msg.of("why.store_open", e=str(exc))) from None
    try:
        con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        empty = _kind(con, path, own, empty_ok=True)
        _stamp_checked(con, path, district)  # before anything could change the file
        if empty:
            gpkg.create_schema(con)
        if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = FULL")
    except sqlite3.DatabaseError as exc:
        con.close()
        raise failure(path, exc) from None
    except BaseException:
        con.close()
        raise
    return con


def _kind(con: sqlite3.Connection, path: Path, own: str, *, empty_ok: bool) -> bool:
    """True for a file without any table (a store still to be made, when ``empty_ok``), False for
    a store; a file that is not a store is refused (:class:`DataError`)."""
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise DataError(path, Msg.of("why.store_unreadable", e=_one_line(exc), name=own)) from None
    if "store_versions" in tables:
        return False
    if tables or not empty_ok:
        raise DataError(path, Msg.of("why.not_store", name=own))
    return True


def _stamp_checked(con: sqlite3.Connection, path: Path, district: District) -> None:
    """:func:`geo.io.stamp.check_stamp`, a damaged row it reads named as one line."""
    try:
        stamp.check_stamp(con, path, district)
    except DAMAGE as exc:
        raise failure(path, exc) from None


def failure(path: Path, exc: BaseException, layer: str | None = None) -> BaseException:
    """What to raise for ``exc``, raised reading or writing the store at ``path``: one
    :class:`DataError` for a damaged store or a read-only file; ``exc`` itself for anything else
    (a store locked for longer than the timeout, a full disk)."""
    if isinstance(exc, gpkg.BadRow):
        return damaged(path, exc.msg)
    if isinstance(exc, sqlite3.DatabaseError):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
            return readonly_error(path)
        corrupt = type(exc) is sqlite3.DatabaseError or "decode" in str(exc)  # corrupt pages, not UTF-8
        if not corrupt:
            return exc
    e = f"{type(exc).__name__}: {_one_line(exc)}"
    return damaged(path, Msg.of("why.dmg_layer", layer=layer, e=e) if layer else Msg.of("why.dmg_file", e=e))


def _one_line(exc: BaseException) -> str:
    """An error's text on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:199] + "…"
