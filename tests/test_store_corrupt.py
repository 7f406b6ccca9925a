"""A damaged row of a store is one line (issue 24, item 7): a geometry that is not WKB, text that
is not UTF-8, properties that are not JSON and a row missing from a version each name the store
file, the layer, the row and what to do -- on the API, on the command line (exit 2) and on the pages (in Chinese, never
出现意外错误 with SQLite's or GEOS's words) -- and restoring an earlier version mends the store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import cli
from geo.io import editing
from geo.io.district import District
from geo.io.errors import DataError
from tests.app_helpers import TIMEOUT, goto

DAMAGE = {
    "geometry": ("UPDATE store_features SET geom = X'DEADBEEF00' WHERE layer = 'centers' AND key = ? "
                 "AND valid_to IS NULL", "its geometry is not valid WKB", "几何不是有效的 WKB"),
    "text": ("UPDATE store_features SET props = CAST(X'7B226E616D65223A2241FF227D' AS TEXT) WHERE layer = 'centers' "
             "AND key = ? AND valid_to IS NULL", "its key or properties are not UTF-8 text", "不是 UTF-8 文本"),
    "json": ("UPDATE store_features SET props = '{\"name\": ' WHERE layer = 'centers' AND key = ? AND valid_to IS NULL",
             "its properties are not a JSON object", "属性无法读取"),
    "missing": ("DELETE FROM store_features WHERE layer = 'centers' AND key = ? AND valid_to IS NULL",
                "the version lists it but the store holds no row for it", "文件中没有这一行"),
}


def damaged(p: Path, kind: str) -> str:
    """A store of two versions of Longhu's centres whose row of the centre renamed in version 2
    is damaged with plain sqlite3; that centre's id."""
    s = District.open().with_store(p).store()
    s.seed("centers")
    key = str(s.load("centers")["id"].iloc[3])
    editing.CenterEditor(s).rename(key, "改名")
    with sqlite3.connect(p) as con:
        assert con.execute(DAMAGE[kind][0], (key,)).rowcount == 1
    con.close()
    return key


def line(p: Path, key: str, kind: str) -> str:
    return f"the store is damaged: layer centers, key {key} (version 2): {DAMAGE[kind][1]}; restore an earlier version"


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_row_is_one_line_naming_the_row_and_a_restore_mends_it(kind, tmp_path):
    p = tmp_path / "longhu.gpkg"
    key = damaged(p, kind)
    place = District.open().with_store(p)
    for s in (place.store(readonly=True), place.store()):
        for read in (lambda s: s.load("centers"), lambda s: s.changed_rows("centers", 2)):
            with pytest.raises(DataError) as err:
                read(s)
            assert str(err.value).startswith(f"{p.name}: {line(p, key, kind)}"), err.value
            assert "\n" not in str(err.value) and "move the store file away" in str(err.value)
    with pytest.raises(DataError, match="the store is damaged: layer centers, key"):
        place.layers()
    with pytest.raises(DataError, match="the store is damaged: layer centers, key"):  # an edit on top: refused
        editing.CenterEditor(place.store()).rename(key, "又改")
    assert len(place.store().load("centers", 1)) == 172  # the earlier version reads
    assert place.store().restore("centers", 1).version == 3  # ... and the advice works
    mended = place.store(readonly=True).load("centers")
    assert len(mended) == 172 and mended.geometry.notna().all() and key in set(mended["id"])


@pytest.mark.parametrize("kind", DAMAGE)
def test_the_command_line_says_it_in_one_line_with_exit_2(kind, tmp_path, capsys):
    p = tmp_path / "longhu.gpkg"
    key = damaged(p, kind)
    code = cli.main(["coverage", "--out", str(tmp_path / "o"), "--store", str(p)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.strip().splitlines() == [f"error: --store {p}: {line(p, key, kind)}"
                                        f" on the app's data page (Data management → Versions), "
                                        "or move the store file away to start a new one"]
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", DAMAGE)
def test_the_pages_say_it_in_chinese(kind, tmp_path, monkeypatch):
    p = tmp_path / "longhu.gpkg"
    key = damaged(p, kind)
    monkeypatch.setenv("LONGHU_STORE", str(p))
    at = AppTest.from_file("../app.py", default_timeout=TIMEOUT)
    at.run()
    for page in ("planner", "data"):
        goto(at, page)
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value.replace("\\", "") for e in at.error]
        assert len(errors) == 1 and "出现意外错误" not in errors[0], errors
        assert errors[0].startswith(f"数据有误：{p.name}：数据文件已损坏：图层 centers"), errors
        assert key in errors[0] and DAMAGE[kind][2] in errors[0] and "版本记录" in errors[0], errors
        assert not at.error[0].value.isascii()
