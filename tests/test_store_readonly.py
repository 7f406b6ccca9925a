"""Every opening of a store for reading is read-only, everywhere (issue 24, items 2 and 6).

A plain SQLite file, a GeoPackage of GDAL's, a damaged store and a store of ours stay
byte-identical, with nothing beside them, through every read the API, the command line and the
pages do -- also through a Store made with ``readonly=False``; a save refuses what is not a store
in one line and writes nothing. A read-only store loads, and a save into it is one line naming
it (checked in a child process that really cannot write: as root, without the capability that
overrides file modes; and on a read-only file system where one can be mounted).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from geo import cli
from geo.app import cache
from geo.io import editing, storefile
from geo.io.district import District
from geo.io.errors import DataError
from tests.app_helpers import TIMEOUT, goto, tab

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("sqlite-plain", "gdal-gpkg", "damaged", "ours")
READONLY = "the store is read-only: {p}; make it writable or choose another store"


def make(kind: str, p: Path) -> Path:
    """A file of ``kind`` at ``p``: what LONGHU_STORE or --store may point at."""
    p.parent.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite-plain":
        with sqlite3.connect(p) as con:
            con.execute("CREATE TABLE t (x)")
            con.execute("INSERT INTO t VALUES (1)")
        con.close()
    elif kind == "gdal-gpkg":
        gpd.GeoDataFrame({"a": [1]}, geometry=[Point(116.7, 23.4)], crs="EPSG:4326").to_file(p, driver="GPKG")
    else:
        s = District.open().with_store(p).store()
        s.seed("centers")
        c = s.load("centers")
        editing.CenterEditor(s).rename(str(c["id"].iloc[0]), "改名")
        if kind == "damaged":
            data = p.read_bytes()
            p.write_bytes(data[: len(data) // 2])
    return p


def state(p: Path) -> tuple:
    """The file's bytes (hashed), its mtime and every file beside it (no -wal/-shm appears)."""
    return hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, sorted(os.listdir(p.parent))


def every_read(place: District) -> list[str]:
    """Every read the API, the app's cache and the command line do on ``place``'s store; what
    each gave (a type, or the DataError's message) -- anything else fails the test."""
    got = []
    for s in (place.store(readonly=True), place.store()):
        for read in (lambda s: s.layers(), lambda s: s.head("centers"), lambda s: s.load("centers"),
                     lambda s: s.load("centers", 1), lambda s: s.versions(), lambda s: s.versions("centers"),
                     lambda s: s.diff("centers", 1, 2), lambda s: s.changed_rows("centers", 2)):
            try:
                got.append(type(read(s)).__name__)
            except DataError as exc:
                got.append(str(exc))
    for read in (lambda: place.layers(), lambda: cache.store_heads(place), lambda: cache.layers_token(place)):
        try:
            got.append(type(read()).__name__)
        except DataError as exc:
            got.append(str(exc))
    out = place.store_path.parent.parent / "out"
    code = cli.main(["coverage", "--out", str(out), "--store", str(place.store_path)])
    got.append(f"exit {code}")
    return got


@pytest.mark.parametrize("kind", KINDS)
def test_every_read_leaves_the_file_as_it_was(kind, tmp_path, capsys):
    p = make(kind, tmp_path / "s" / "longhu.gpkg")
    before = state(p)
    got = every_read(District.open().with_store(p))
    capsys.readouterr()
    assert state(p) == before  # same bytes, same mtime, no -wal/-shm/-journal beside it
    if kind == "ours":
        assert "DataError" not in " ".join(got) and got[-1] == "exit 0"
    else:  # refused, one line, from the read-only and the read-write Store alike
        assert all("not a store" in g or "not a readable store" in g for g in got[:-1]) and got[-1] == "exit 2"


@pytest.mark.parametrize("kind", KINDS[:3])
def test_a_save_refuses_what_is_not_a_store_and_writes_nothing(kind, tmp_path):
    p = make(kind, tmp_path / "s" / "longhu.gpkg")
    before = state(p)
    place = District.open().with_store(p)
    for save in (lambda s: s.seed("centers"), lambda s: editing.CenterEditor(s).rename("x", "y"),
                 lambda s: s.save("centers", place.shipped("centers"), "all", force=True)):
        with pytest.raises(DataError, match="not a store|not a readable store") as err:
            save(place.store())
        assert "\n" not in str(err.value)
    assert state(p) == before


@pytest.mark.parametrize("content", [None, b""], ids=["no-file", "empty-file"])
def test_a_store_still_to_be_made_reads_as_empty_and_is_made_by_the_first_save(content, tmp_path):
    p = tmp_path / "s" / "longhu.gpkg"
    if content is not None:
        p.parent.mkdir()
        p.write_bytes(content)
    place = District.open().with_store(p)
    s = place.store()
    assert s.layers() == [] and s.head("centers") is None and s.versions().empty
    assert s.load("centers").attrs["version"] == 0 and not s.made
    assert place.layers().sources["centers"] == "shipped" and cache.store_heads(place) == {}  # the pages
    assert (p.read_bytes() if p.exists() else None) == content  # reading made nothing
    assert s.seed("centers").version == 1 and s.layers() == ["centers"] and s.made
    assert place.layers().sources["centers"] == "store:1" and cache.store_heads(place) == {"centers": 1}


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_viewing_the_pages_leaves_the_file_as_it_was(kind, tmp_path, monkeypatch):
    p = make(kind, tmp_path / "s" / "longhu.gpkg")
    monkeypatch.setenv("LONGHU_STORE", str(p))
    before = state(p)
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.run()
    for page in ("resident", "data", "planner", "data"):
        goto(at, page)
        assert not at.exception, [e.value for e in at.exception]
    tab(at, "版本记录")
    assert not at.exception
    assert state(p) == before
    errors = [e.value for e in at.error]
    if kind == "ours":
        assert not errors
    else:  # the page's language, not SQLite's
        assert errors and all("不是本工具的数据文件" in e or "无法读取数据文件" in e for e in errors), errors


# --------------------------------------------------------------------------- read-only stores (item 6)


def _unprivileged() -> list[str]:
    """The command prefix that runs a child which file modes bind: none for a user; as root,
    ``setpriv`` dropping the capabilities that override them (skip when there is none)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: chmod cannot make a file read-only for this process")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot drop the file-mode override as root: {probe.stderr.decode().strip()}")
    return prefix


CHILD = r"""
import json, sys
from pathlib import Path
from geo.io import editing
from geo.io.district import District
place = District.open().with_store(Path(sys.argv[1]))
out = {}
for name, fn in [("ro", lambda: len(place.store(readonly=True).load("centers"))),
                 ("rw", lambda: len(place.store().load("centers"))),
                 ("versions", lambda: len(place.store().versions())),
                 ("layers", lambda: place.layers().sources["centers"]),
                 ("rename", lambda: editing.CenterEditor(place.store()).rename(
                     place.store().load("centers")["id"].iloc[0], "只读").version)]:
    try:
        out[name] = fn()
    except Exception as exc:
        out[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(out, ensure_ascii=False))
"""


def _child(prefix: list[str], store: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([*prefix, sys.executable, "-c", CHILD, str(store)], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def _readonly_ok(got: dict, p: Path) -> None:
    """Loads as it is; the save is the one line naming the store, never SQLite's words."""
    assert got["ro"] == got["rw"] == 172 and got["versions"] == 2 and got["layers"] == "store:2", got
    assert got["rename"] == f"DataError: {p.name}: " + READONLY.format(p=p), got


def _wal_store(folder: Path) -> Path:
    """A store of two versions whose last commit is still in its -wal (as a writer killed before
    a checkpoint leaves it): the file, -wal and -shm beside it."""
    src = make("ours", folder.parent / "src" / "longhu.gpkg")
    con = sqlite3.connect(src)
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("UPDATE store_versions SET author = 'still in the wal' WHERE version = 2")
    con.commit()
    folder.mkdir()
    for f in ("longhu.gpkg", "longhu.gpkg-wal", "longhu.gpkg-shm"):
        shutil.copy(src.with_name(f), folder / f)
    con.close()
    return folder / "longhu.gpkg"


@pytest.fixture
def open_folder():
    """A folder others may enter (pytest's own are private to root), given back writable."""
    made = []

    def mk(tmp: Path) -> Path:
        tmp.chmod(0o755)
        made.append(tmp)
        return tmp

    yield mk
    for d in made:
        for f in [d, *d.rglob("*")]:
            f.chmod(0o755 if f.is_dir() else 0o644)


def test_a_read_only_store_file_loads_and_a_save_is_one_line(tmp_path, open_folder):
    prefix = _unprivileged()
    p = make("ours", open_folder(tmp_path) / "s" / "longhu.gpkg")
    p.chmod(0o444)
    before = state(p)
    _readonly_ok(_child(prefix, p), p)
    assert state(p) == before


def test_a_wal_store_in_a_read_only_folder_loads_and_a_save_is_one_line(tmp_path, open_folder):
    prefix = _unprivileged()
    p = _wal_store(open_folder(tmp_path) / "ro")
    for f in p.parent.iterdir():
        f.chmod(0o444)
    p.parent.chmod(0o555)
    before = state(p)
    got = _child(prefix, p)
    _readonly_ok(got, p)
    assert state(p) == before


def test_a_wal_store_on_a_read_only_file_system(tmp_path):
    """A real read-only mount (a private mount namespace; root with CAP_SYS_ADMIN only)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a read-only file system")
    folder = tmp_path / "ro"
    p = _wal_store(folder)
    before = state(p)
    script = (f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
              f"! touch {folder}/probe 2>/dev/null && exec \"$@\"")
    probe = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {probe.stderr.decode().strip()[:200]}")
    _readonly_ok(_child(["unshare", "-m", "sh", "-c", script, "sh"], p), p)
    assert state(p) == before


def test_sqlites_read_only_refusal_is_the_same_one_line(tmp_path):
    """Whatever SQLite says about a write it cannot do (a race after the check) is the same line."""
    p = make("ours", tmp_path / "longhu.gpkg")
    con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as err:
        con.execute("DELETE FROM store_versions")
    con.close()
    said = storefile.failure(p, err.value)
    assert isinstance(said, DataError) and str(said.problems[0].reason) == READONLY.format(p=p)
