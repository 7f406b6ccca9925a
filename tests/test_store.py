"""The versioned GeoPackage store: versions, diffs, restore, edits, crash safety, concurrency."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest

from geo.io import boundaries, editing, store
from geo.io.district import District
from geo.io.errors import DataError
from geo.io.store import ConflictError, Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def s(tmp_path, longhu) -> Store:
    return Store(tmp_path / "user" / "longhu.gpkg", district=longhu)


@pytest.fixture(scope="module")
def centers(shipped_layers):
    return shipped_layers["centers"]


def frame(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)


def assert_same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(frame(a), frame(b))
    assert a.geometry.reset_index(drop=True).geom_equals_exact(b.geometry.reset_index(drop=True), 0).all()


def points(n: int, value: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    x, y = 116.70 + rng.random(n) * 0.1, 23.35 + rng.random(n) * 0.08
    return gpd.GeoDataFrame({"fid_key": [f"P{i:06d}" for i in range(n)], "label": [f"点{i}" for i in range(n)],
                             "value": np.full(n, value, dtype="int64"), "w": rng.random(n)},
                            geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")


# --------------------------------------------------------------------------- versions


def test_default_path_is_git_ignored_user_folder(monkeypatch):
    monkeypatch.delenv("LONGHU_STORE", raising=False)
    assert store.default_path() == ROOT / "data" / "user" / "longhu.gpkg"
    assert District.open().store_path == ROOT / "data" / "user" / "longhu.gpkg"
    assert "data/user/" in (ROOT / ".gitignore").read_text().split()
    monkeypatch.setenv("LONGHU_STORE", "/tmp/x.gpkg")
    assert District.open().store().path == Path("/tmp/x.gpkg")
    assert store.default_path("440511") == Path("/tmp/x-440511.gpkg")  # each district its own store


def test_save_load_versions_diff_restore(s, centers):
    assert s.head("centers") is None
    shipped = s.load("centers")
    assert shipped.attrs["version"] == 0 and len(shipped) == 172  # not saved yet: the shipped layer
    v1 = s.save("centers", centers, "first import", base_version=0)
    assert v1.version == 1 and len(v1.added) == 172 and not v1.merged
    assert_same(s.load("centers"), centers)
    assert s.load("centers").attrs["version"] == 1

    edited = centers.copy()
    edited.loc[3, "name"] = "改名中心"
    edited = edited.drop(index=5)
    new = centers.iloc[[0]].copy()
    new["id"] = "NEW1"
    edited = gpd.GeoDataFrame(pd.concat([edited, new], ignore_index=True), crs="EPSG:4326")
    v2 = s.save("centers", edited, "rename, delete, add", base_version=1)
    assert (v2.version, v2.added, v2.removed, v2.changed) == (2, ["NEW1"], [centers["id"][5]], [centers["id"][3]])
    assert s.save("centers", edited, "again", base_version=2).created is False  # nothing changed

    hist = s.versions("centers")
    assert list(hist["version"]) == [2, 1]
    assert hist.iloc[0][["description", "added", "removed", "changed"]].tolist() == [
        "rename, delete, add", ["NEW1"], [centers["id"][5]], [centers["id"][3]]]
    assert pd.Timestamp(hist["created_at"].iat[0]).tzinfo is not None
    d = s.diff("centers", 1, 2)
    assert (d.added, d.removed, d.changed) == (["NEW1"], [centers["id"][5]], [centers["id"][3]])
    after, before = s.changed_rows("centers", 2)
    assert set(after["id"]) == {"NEW1", centers["id"][3]} and set(before["id"]) == {centers["id"][3], centers["id"][5]}

    assert_same(s.load("centers", 1), centers)  # old versions stay readable
    r = s.restore("centers", 1)
    assert r.version == 3 and s.versions("centers")["restored_from"].iat[0] == 1
    assert_same(s.load("centers"), centers)
    assert len(s.versions("centers")) == 3  # restoring made a new version


def test_store_is_a_geopackage_gdal_reads(s, centers, shipped_layers):
    s.save("centers", centers, "import")
    s.save("streets", shipped_layers["streets"], "import")
    con = sqlite3.connect(s.path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    layers = dict(pyogrio.list_layers(s.path))
    assert layers["centers"] == "Point" and "streets" in layers
    for name, want in (("centers", centers), ("streets", shipped_layers["streets"])):
        got = gpd.read_file(s.path, layer=name)
        assert got.crs.equals("EPSG:4326")
        assert_same(got, want)
    moved = editing.CenterEditor(s).move(centers["id"][20], centers["lon"][20] + 1e-4, centers["lat"][20])
    got = gpd.read_file(s.path, layer="centers")
    assert got.loc[20, "lon"] == pytest.approx(centers["lon"][20] + 1e-4) and moved.changed == [centers["id"][20]]


def test_generic_layer_schema_and_dtypes(s):
    g = points(50)
    g["flag"] = g["value"] > -1
    s.save("results", g, "a result", key="fid_key")
    back = s.load("results")
    assert_same(back, g)
    assert [str(t) for t in frame(back).dtypes] == ["str", "str", "int64", "float64", "bool"]
    g2 = g.drop(columns=["w"])  # schema change is a new version too
    assert s.save("results", g2, "drop a column", key="fid_key", base_version=1).created
    assert list(frame(s.load("results")).columns) == list(frame(g2).columns)
    assert list(frame(s.load("results", 1)).columns) == list(frame(g).columns)


@pytest.mark.parametrize("layer", ["../x", "gpkg_contents", "centers; DROP TABLE store_versions", "Centers", "",
                                   "store_x"])
def test_layer_names_cannot_touch_other_tables(s, layer):
    with pytest.raises(ValueError, match="not allowed"):
        s.save(layer, points(2), "x", key="fid_key")


def test_bad_layers_refused(s):
    g = points(3)
    g.loc[2, "fid_key"] = "P000000"
    with pytest.raises(DataError, match="duplicate fid_key"):
        s.save("results", g, "dup", key="fid_key")
    with pytest.raises(ValueError, match="description"):
        s.save("results", points(3), "   ", key="fid_key")
    assert s.head("results") is None


def test_not_a_store(tmp_path, longhu):
    p = tmp_path / "x.gpkg"
    p.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DataError, match="not a readable"):
        Store(p, district=longhu).versions()


# --------------------------------------------------------------------------- edits


def test_add_move_rename_delete(s, centers, shipped_layers):
    r = editing.CenterEditor(s).add("<img src=x onerror=alert(1)>", "服务站", 116.7420, 23.3960)
    assert r.version == 2 and r.added == ["C0001"]  # version 1 = the shipped layout copied in
    c = s.load("centers").set_index("id")
    assert c.at["C0001", "tier"] == "station" and c.at["C0001", "position_source"] == "user"
    assert c.at["C0001", "street_code"] != "" and c.at["C0001", "name"] == "<img src=x onerror=alert(1)>"
    comm = centers[centers["tier"] == "community"].iloc[0]
    other = shipped_layers["communities"].set_index("code").geometry.drop(comm["community_code"])
    target = other.iloc[0].representative_point()
    # a community centre moved into another community that already has one: refused
    with pytest.raises(DataError, match="already has a community-tier centre"):
        editing.CenterEditor(s).move(comm["id"], target.x, target.y)
    inside = shipped_layers["communities"].set_index("code").geometry[comm["community_code"]].representative_point()
    r = editing.CenterEditor(s).move(comm["id"], inside.x, inside.y)
    assert r.changed == [comm["id"]]
    c = s.load("centers").set_index("id")
    assert (
        c.at[comm["id"], "lon"] == pytest.approx(inside.x)
        and c.at[comm["id"], "community_code"] == comm["community_code"]
    )
    editing.CenterEditor(s).rename("C0001", "新站")
    editing.CenterEditor(s).delete(centers["id"].iat[-1])
    c = s.load("centers")
    assert "新站" in set(c["name"]) and centers["id"].iat[-1] not in set(c["id"])
    hist = s.versions("centers")
    assert list(hist["description"])[:3] == [
        f"deleted {centers['id'].iat[-1]}",
        "renamed C0001 to 新站",
        f"moved {comm['id']}",
    ]
    with pytest.raises(KeyError, match="no centre"):
        editing.CenterEditor(s).rename("nope", "x")
    with pytest.raises(DataError, match="outside Longhu District"):
        editing.CenterEditor(s).add("远", "station", 116.95, 23.45)
    with pytest.raises(DataError, match="unknown tier"):
        editing.CenterEditor(s).add("x", "castle", 116.742, 23.396)


def test_gcj02_positions_are_converted(s, centers):
    from geo.engine import crs

    gx, gy = crs.wgs84_to_gcj02(116.7420, 23.3960)
    editing.CenterEditor(s).add("高德点", "station", float(gx), float(gy), crs="gcj02")
    c = s.load("centers").set_index("name")
    assert c.at["高德点", "lon"] == pytest.approx(116.7420, abs=1e-8)


def test_stale_edits_merge_or_conflict(s, centers):
    s.seed("centers")
    base = s.load("centers").attrs["version"]
    a, b = centers["id"][11], centers["id"][12]
    r1 = editing.CenterEditor(s).rename(a, "甲", base_version=base)
    r2 = editing.CenterEditor(s).rename(b, "乙", base_version=base)  # other feature: merged
    assert r2.merged and not r1.merged
    names = s.load("centers").set_index("id")["name"]
    assert names[a] == "甲" and names[b] == "乙"
    head = s.head("centers")
    with pytest.raises(ConflictError, match="someone else saved") as e:
        editing.CenterEditor(s).rename(a, "丙", base_version=base)  # same feature, changed since base
    assert e.value.keys == [a] and s.head("centers") == head
    assert s.load("centers").set_index("id")["name"][a] == "甲"
    # a whole-layer restore from a stale base is refused too
    with pytest.raises(ConflictError):
        s.restore("centers", base, base_version=base)


def test_edits_from_the_shipped_state_merge(s, centers):
    shipped = s.load("centers")
    assert shipped.attrs["version"] == 0
    editing.CenterEditor(s).rename(centers["id"][1], "A", base_version=0)
    editing.CenterEditor(s).rename(centers["id"][2], "B", base_version=0)
    with pytest.raises(ConflictError):
        editing.CenterEditor(s).rename(centers["id"][1], "C", base_version=0)
    d = s.diff("centers", 0, s.head("centers"))  # version 0 = the shipped layer
    assert d.changed == [centers["id"][1], centers["id"][2]] and not d.added and not d.removed


def test_replace_boundaries_from_an_import(s, tmp_path, longhu, shipped_layers):
    comm = shipped_layers["communities"]
    part = comm.iloc[:30][["code", "name", "geometry"]]
    p = tmp_path / "c.geojson"
    part.to_file(p)
    rep = boundaries.import_boundaries(p, district=longhu)
    r = s.replace_boundaries("community", rep.layer, "real boundaries, 金霞 and 珠池")
    assert r.version == 1 and len(s.load("communities")) == 30
    r = s.replace_boundaries("community", rep.layer.iloc[:10], keep_missing=True, base_version=1)
    assert r.created is False  # same 30 features
    with pytest.raises(ConflictError):
        s.replace_boundaries("community", rep.layer.iloc[:5], base_version=0)
    assert (s.load("communities")["geometry_source"] == "user").all()


# --------------------------------------------------------------------------- crash safety

CHILD_SAVE = r"""
import sys, time
from geo.io import store
from geo.io.district import District
s = District.open().with_store(sys.argv[1]).store()
g = s.load("big")
g["value"] = g["value"] + 1
g["label"] = "changed"

def hook():
    print("in-transaction", flush=True)
    time.sleep(120)

store._BEFORE_COMMIT = hook
s.save("big", g, "bump every row", base_version=g.attrs["version"], key="fid_key")
print("committed", flush=True)
"""


def child(script: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_killed_mid_save_leaves_previous_version_intact(s):
    big = points(20_000)
    s.save("big", big, "original", key="fid_key")
    proc = child(CHILD_SAVE, str(s.path))
    try:
        line = proc.stdout.readline()
        assert line.strip() == "in-transaction", proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)  # inside the transaction, after all rows were written
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    reopened = Store(s.path, district=s.district)
    assert reopened.head("big") == 1 and len(reopened.versions("big")) == 1
    assert_same(reopened.load("big"), big)
    got = pyogrio.read_dataframe(s.path, layer="big")  # GDAL sees the previous version too
    assert (got["value"] == 0).all() and (got["label"] == big["label"]).all() and len(got) == 20_000
    con = sqlite3.connect(s.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    changed = big.copy()
    changed["value"] = 7
    assert reopened.save("big", changed, "after the crash", base_version=1, key="fid_key").version == 2


# --------------------------------------------------------------------------- two sessions

CHILD_EDITS = r"""
import json, os, sys, time
from geo.io import editing, store
from geo.io.district import District
path, go, ids, mode = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
s = store.Store(path, timeout=60, district=District.open())
c = s.load("centers").set_index("id")
base = s.load("centers").attrs["version"]
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
out = []
for i in ids:
    try:
        if mode == "move":
            r = editing.CenterEditor(s).move(i, float(c.at[i, "lon"]) + 1e-5, float(c.at[i, "lat"]), base_version=base)
        else:
            r = editing.CenterEditor(s).rename(i, "renamed by " + str(os.getpid()), base_version=base)
        out.append({"id": i, "version": r.version, "merged": r.merged})
    except store.ConflictError as e:
        out.append({"id": i, "conflict": str(e)})
print(json.dumps(out), flush=True)
"""


def run_two(s: Store, id_lists: list[list[str]], mode: str, tmp_path: Path) -> list[list[dict]]:
    go = tmp_path / "go"
    procs = [child(CHILD_EDITS, str(s.path), str(go), json.dumps(ids), mode) for ids in id_lists]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        go.touch()  # both start saving at the same moment
        outs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            outs.append(json.loads(out.strip().splitlines()[-1]))
        return outs
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


@pytest.mark.slow
def test_two_processes_editing_different_centres_both_saved(s, centers, tmp_path):
    s.seed("centers")
    stations = list(centers.loc[centers["tier"] == "station", "id"])
    a, b = stations[:6], stations[6:12]
    outs = run_two(s, [a, b], "move", tmp_path)
    assert all("version" in r for out in outs for r in out)  # nobody got a conflict
    final = s.load("centers").set_index("id")
    orig = centers.set_index("id")
    for i in a + b:  # every move of both sessions is there
        assert final.at[i, "lon"] == pytest.approx(orig.at[i, "lon"] + 1e-5, abs=1e-12)
    hist = s.versions("centers")
    assert len(hist) == 1 + 12 and sorted(k for ks in hist["changed"].iloc[:-1] for k in ks) == sorted(a + b)
    assert hist["merged"].sum() >= 6  # stale bases were merged, not overwritten
    con = sqlite3.connect(s.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert_same(gpd.read_file(s.path, layer="centers"), s.load("centers"))


def test_two_processes_editing_the_same_centre_one_conflicts(s, centers, tmp_path):
    s.seed("centers")
    target = centers["id"][40]
    outs = run_two(s, [[target], [target]], "rename", tmp_path)
    results = [out[0] for out in outs]
    winners = [r for r in results if "version" in r]
    losers = [r for r in results if "conflict" in r]
    assert len(winners) == 1 and len(losers) == 1
    assert "someone else saved" in losers[0]["conflict"] and "reload" in losers[0]["conflict"]
    assert s.head("centers") == 2 and len(s.versions("centers")) == 2
    assert s.load("centers").set_index("id").at[target, "name"].startswith("renamed by ")
