"""The store's safety: reading never writes, ids never collide, a save never silently
overwrites, centre edits go through the one validator, and the modules stay small."""

from __future__ import annotations

import ast
import multiprocessing
import os
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import cli
from geo.io import editing
from geo.io.district import District
from geo.io.errors import DataError
from geo.io.store import ConflictError, Store
from tests.conftest import JINPING, NANAO, RUOQIANG

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "user" / "longhu.gpkg"


def longhu_store(path: Path, **kw) -> Store:
    """Longhu's store at ``path`` (a test's private file)."""
    return Store(path, district=District.open(), **kw)


def points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    return gpd.GeoDataFrame({"k": [f"P{i:04d}" for i in range(n)], "value": np.zeros(n, dtype="int64")},
                            geometry=gpd.points_from_xy(116.70 + rng.random(n) * 0.1, 23.35 + rng.random(n) * 0.08),
                            crs="EPSG:4326")


def snapshot(p: Path) -> tuple:
    """The file's bytes, its mtime and what lies beside it."""
    return p.read_bytes(), p.stat().st_mtime_ns, sorted(os.listdir(p.parent))


def fallbacks(err: str) -> set[str]:
    """The layers the command says the store does not hold (taken from the district's own layout)."""
    found = re.findall(r"the store holds no ([a-z, ]+)", err)
    assert len(found) <= 1, err  # one note
    return set(found[0].split(", ")) if found else set()


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- 1. reading never writes


def saved_store(path: Path) -> Path:
    s = longhu_store(path)
    c = s.load("centers")
    s.save("centers", c[c["tier"] != "station"], "remove the stations", base_version=c.attrs["version"])
    return path


def test_cli_store_reads_without_writing(path, tmp_path, capsys):
    saved_store(path)
    before = snapshot(path)
    code, out, err = run_cli(capsys, "coverage", "--out", tmp_path / "o", "--store", path, "--json")
    assert code == 0, err
    assert snapshot(path) == before  # same bytes, same mtime, no -wal/-shm left behind
    assert cli.json.loads(out)["n_centers"] == 136  # the store's centres, not the shipped 172
    assert fallbacks(err) == {"district", "streets", "communities"}  # each shipped fallback is named, only those


def test_cli_store_uses_every_saved_layer(path, tmp_path, capsys):
    s = longhu_store(path)
    comm = s.load("communities")
    s.save("communities", comm.iloc[:40], "fewer communities", base_version=0)
    c = s.load("centers")
    s.save("centers", c.iloc[:50], "fewer centres", base_version=0)
    code, out, err = run_cli(capsys, "coverage", "--out", tmp_path / "o", "--store", path, "--json")
    assert code == 0, err
    summary = pd.read_csv(tmp_path / "o" / "summary.csv", encoding="utf-8-sig")
    assert (summary["level"] == "community").sum() == 40
    assert cli.json.loads(out)["n_centers"] == 50
    assert fallbacks(err) == {"district", "streets"}


@pytest.mark.parametrize("content", [b"", b"this is not a database\n" * 50, "sqlite-plain", "gpkg-no-store"],
                         ids=["empty", "text", "sqlite-plain", "gpkg-no-store"])
def test_cli_store_refuses_what_is_not_a_store(tmp_path, capsys, content):
    p = tmp_path / "x.gpkg"
    if content == "sqlite-plain":
        con = sqlite3.connect(p)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
    elif content == "gpkg-no-store":
        District.open().shipped("streets").to_file(p, layer="streets", driver="GPKG")
    else:
        p.write_bytes(content)
    before = snapshot(p)
    code, _, err = run_cli(capsys, "coverage", "--out", tmp_path / "o", "--store", p)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(p) in err and "store" in err
    assert snapshot(p) == before  # not turned into a store, no -wal/-shm
    assert not (tmp_path / "o").exists()  # nothing analysed


def test_cli_store_without_layers_is_an_error(path, tmp_path, capsys):
    longhu_store(path)._connect().close()  # a store made, nothing saved (reading never makes one)
    code, _, err = run_cli(capsys, "coverage", "--out", tmp_path / "o", "--store", path)
    assert code == 2 and "holds no layers" in err and len(err.strip().splitlines()) == 1


def test_readonly_store_api(path, tmp_path):
    saved_store(path)
    before = snapshot(path)
    ro = longhu_store(path, readonly=True)
    assert ro.layers() == ["centers"] and ro.head("centers") == 1
    assert len(ro.load("centers")) == 136 and len(ro.versions()) == 1
    assert ro.load("streets").attrs["version"] == 0  # not saved: the shipped layer
    with pytest.raises(ValueError, match="read-only"):
        ro.save("centers", ro.load("centers"), "x")
    assert snapshot(path) == before
    missing = tmp_path / "nowhere" / "x.gpkg"
    with pytest.raises(DataError, match="not found"):
        longhu_store(missing, readonly=True).layers()
    assert not missing.parent.exists()  # no mkdir


def test_readonly_sees_a_writer_that_is_still_open(path):
    saved_store(path)
    writer = sqlite3.connect(path, isolation_level=None)  # the app holds the store open (-wal exists)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("UPDATE store_versions SET description = 'seen' WHERE version = 1")
    try:
        assert longhu_store(path, readonly=True).versions()["description"].tolist() == ["seen"]
    finally:
        writer.close()


# --------------------------------------------------------------------------- 2. ids never collide


def test_two_sessions_adding_from_one_snapshot_both_kept(path):
    a, b = longhu_store(path), longhu_store(path)
    a.seed("centers")
    base = a.load("centers").attrs["version"]
    r1 = editing.CenterEditor(a).add("甲站", "station", 116.7420, 23.3960, base_version=base)
    r2 = editing.CenterEditor(b).add("乙站", "station", 116.7430, 23.3965, base_version=base)
    assert r1.added != r2.added and r2.merged
    names = a.load("centers").set_index("id")["name"]
    assert names[r1.added[0]] == "甲站" and names[r2.added[0]] == "乙站"


def test_a_deleted_id_is_never_given_again(path):
    ed = editing.CenterEditor(longhu_store(path))
    first = ed.add("甲站", "station", 116.7420, 23.3960).added[0]
    ed.delete(first)
    again = ed.add("乙站", "station", 116.7420, 23.3960).added[0]
    assert again != first


def _plan(*points: tuple[float, float]):
    """What accepting a siting plan reads of it: its sites' positions (inside Longhu)."""
    from types import SimpleNamespace

    return SimpleNamespace(sites=pd.DataFrame(points, columns=["lon", "lat"]))


def test_accepted_plans_keep_every_site_and_never_reuse_an_id(path):
    a, b = editing.CenterEditor(longhu_store(path)), editing.CenterEditor(longhu_store(path))
    first = a.add_proposed(_plan((116.7420, 23.3960), (116.7430, 23.3965)))
    second = b.add_proposed(_plan((116.7440, 23.3970)))  # another session, from the same page
    assert len(first.added) == 2 and len(second.added) == 1 and not set(first.added) & set(second.added)
    a.delete(second.added[0])
    third = a.add_proposed(_plan((116.7450, 23.3975)))
    assert third.added[0] not in set(first.added) | set(second.added)
    saved = longhu_store(path).load("centers")
    proposed = saved[saved["position_source"] == "proposed"]
    assert len(saved) == 172 + 3 and len(proposed) == 3 and proposed["id"].is_unique
    assert set(proposed["name"]) == {"拟建服务站01", "拟建服务站02", "拟建服务站04"}  # 03 was deleted, never reused


def _add_in_process(path: str, barrier, queue, n: int) -> None:
    s = longhu_store(path, timeout=60)
    base = s.load("centers").attrs["version"]
    barrier.wait()
    out = []
    for i in range(n):
        try:
            out.append(editing.CenterEditor(s).add(f"站{os.getpid()}-{i}", "station", 116.742 + i * 1e-4, 23.396,
                                                   base_version=base).added[0])
        except ConflictError as exc:
            out.append(f"conflict: {exc}")
    queue.put(out)


@pytest.mark.slow
def test_two_processes_adding_from_one_snapshot_all_kept(path):
    longhu_store(path).seed("centers")
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_add_in_process, args=(str(path), barrier, queue, 3)) for _ in range(2)]
    for p in procs:
        p.start()
    outs = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    ids = [i for out in outs for i in out]
    assert not [i for i in ids if i.startswith("conflict")], ids
    assert len(set(ids)) == 6
    assert set(ids) <= set(longhu_store(path).load("centers")["id"])


# --------------------------------------------------------------------------- 3. a save never silently overwrites


def test_save_without_base_merges_against_the_version_loaded(path):
    a, b = longhu_store(path), longhu_store(path)
    a.save("pts", points(10), "first", key="k")
    ga, gb = a.load("pts"), b.load("pts")
    ga.loc[1, "value"] = 1
    gb.loc[2, "value"] = 2
    a.save("pts", ga, "a edits 1", key="k")
    r = b.save("pts", gb, "b edits 2", key="k")  # no base_version: taken from gb.attrs
    assert r.merged
    assert a.load("pts")["value"].tolist()[:3] == [0, 1, 2]
    gb.loc[1, "value"] = 9  # the feature a changed
    with pytest.raises(ConflictError):
        b.save("pts", gb, "b edits 1 too", key="k")


def test_save_of_a_frame_of_unknown_origin_is_refused_when_a_head_exists(path):
    s = longhu_store(path)
    s.save("pts", points(5), "first", key="k")  # nothing saved yet: nothing to overwrite
    fresh = points(5)
    fresh["value"] = 5
    with pytest.raises(ValueError, match="base_version") as e:
        s.save("pts", fresh, "from elsewhere", key="k")
    assert "force=True" in str(e.value) and s.head("pts") == 1
    assert s.save("pts", fresh, "replace on purpose", key="k", force=True).version == 2


CHILD_WRITER = """
import os, sys, time
from geo.io.district import District
from geo.io.store import ConflictError, Store
s = Store(sys.argv[1], timeout=120, district=District.open())
lo, hi, go = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
retries = 0
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
for i in range(lo, hi):
    while True:
        g = s.load("pts")
        g.loc[g["k"] == f"P{i:04d}", "value"] = 1
        try:
            s.save("pts", g, f"edit {i}", key="k")
            break
        except ConflictError:
            retries += 1
print(retries)
"""


@pytest.mark.slow
def test_two_writers_100_saves_each_lose_nothing(path):
    import subprocess
    import sys

    longhu_store(path).save("pts", points(200), "first", key="k")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    go = path.parent / "go"
    procs = [subprocess.Popen([sys.executable, "-c", CHILD_WRITER, str(path), str(lo), str(lo + 100), str(go)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for lo in (0, 100)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    go.touch()  # both start writing at the same moment
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    final = longhu_store(path).load("pts")
    assert (final["value"] == 1).all(), f"{int((final['value'] == 0).sum())} edits lost"
    hist = longhu_store(path).versions("pts")
    assert len(hist) == 201 and hist["merged"].sum() > 0  # the two really wrote in between each other


# --------------------------------------------------------------------------- 4. centre edits: one validator


def test_edits_are_checked_by_the_centres_validator(path):
    ed = editing.CenterEditor(longhu_store(path))
    with pytest.raises(DataError, match="look swapped") as e:  # the validator's check, not a copy
        ed.add("反了", "station", 23.3960, 116.7420)
    assert str(e.value.problems[0].reason).startswith("C0001: ")  # named by the id it would have had
    with pytest.raises(DataError, match="empty name"):
        ed.add("  ", "station", 116.742, 23.396)
    with pytest.raises(DataError, match="unknown tier"):
        ed.add("x", "castle", 116.742, 23.396)
    assert ed.add("x", "服务站", 116.742, 23.396).added == ["C0001"]  # tier normalised


def test_only_the_touched_centres_problems_are_reported(path):
    s = longhu_store(path)
    c = s.load("centers")
    bad = c.copy()
    far = bad.index[-1]
    x, y = just_outside(s.district, bad.at[far, "geometry"], 200)  # within the store's 500 m, outside the outline
    bad.loc[far, ["lon", "lat"]] = [x, y]  # saved outside the district by a whole-layer save
    bad.loc[far, "geometry"] = gpd.points_from_xy([x], [y])[0]
    s.save("centers", bad, "an old mistake", base_version=0)
    ed = editing.CenterEditor(s)
    assert ed.rename(c["id"][3], "别的中心").changed == [c["id"][3]]  # the far one is not this edit's problem
    with pytest.raises(DataError, match="outside Longhu District") as e:
        ed.rename(c["id"][far], "远的中心")
    assert str(e.value.problems[0].reason).startswith(f"{c['id'][far]}: ")


def just_outside(place: District, near, metres: float) -> tuple[float, float]:
    """The point ``metres`` outside the district's outline nearest to ``near`` (WGS-84)."""
    import shapely

    metric = place.metric_crs
    ring = gpd.GeoSeries([place.geometry], crs="EPSG:4326").to_crs(metric).buffer(metres).exterior.iat[0]
    at = gpd.GeoSeries([near], crs="EPSG:4326").to_crs(metric).iat[0]
    out = gpd.GeoSeries([ring.interpolate(ring.project(at))], crs=metric).to_crs("EPSG:4326").iat[0]
    assert not shapely.intersects(place.geometry, out)
    return float(out.x), float(out.y)


def test_a_duplicate_community_centre_names_the_other_centre(path):
    ed = editing.CenterEditor(longhu_store(path))
    c = District.open().shipped("centers")
    comm = c[c["tier"] == "community"]
    first, other = comm.iloc[0], comm[comm["community_code"] != comm.iloc[0]["community_code"]].iloc[-1]
    # moving the first community centre into a community that has one: the moved one is refused
    with pytest.raises(DataError, match="already has a community-tier centre") as e:
        ed.move(first["id"], other["lon"], other["lat"])
    assert other["id"] in str(e.value.problems[0].reason)


def test_store_module_knows_nothing_of_centres():
    from geo.io import store

    for name in ("add_center", "move_center", "rename_center", "delete_center", "_edit_centers"):
        assert not hasattr(Store, name)
    src = Path(store.__file__).read_text(encoding="utf-8")
    for word in ("_check_centers", "_next_id", "_locate", "community_code", "tier"):
        assert word not in src


# --------------------------------------------------------------------------- 5. small modules, short functions


@pytest.mark.parametrize("module", ["geo/io/store.py", "geo/io/editing.py", "geo/io/gpkg.py"])
def test_module_and_function_sizes(module):
    src = (ROOT / module).read_text(encoding="utf-8")
    assert len(src.splitlines()) < 600
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 <= 60, f"{module}: {node.name} is too long"


# --------------------------------------------------------------------------- 6. a store knows its district


def file_state(p: Path) -> tuple:
    """A store file's bytes and mtime, and whether a -wal/-shm lies beside it."""
    return p.read_bytes(), p.stat().st_mtime_ns, Path(f"{p}-wal").exists(), Path(f"{p}-shm").exists()


def inside_points(place: District, n: int) -> list[tuple[float, float]]:
    """``n`` points well inside the district (in different communities)."""
    comm = place.shipped("communities")
    pts = comm.to_crs(place.metric_crs).representative_point().to_crs("EPSG:4326").iloc[:n]
    return [(float(p.x), float(p.y)) for p in pts]


def plan_at(points: list[tuple[float, float]]) -> SimpleNamespace:
    """A siting plan's sites (all that accepting a plan reads of it)."""
    lon, lat = zip(*points)
    return SimpleNamespace(sites=pd.DataFrame({"lon": lon, "lat": lat}))


def test_nanaos_store_refuses_longhus_centres_in_one_line_and_stays_byte_identical(other_district):
    from geo.engine import siting

    nanao, longhu = other_district(NANAO), District.open()
    s = nanao.store()
    s.seed("centers")
    before = file_state(s.path)
    theirs = longhu.shipped("centers")
    wrong_plan = plan_at(inside_points(longhu, 3))  # a suggestion computed for Longhu (the failure)
    # the page passes the wrong layer: Longhu's centres (with its plan accepted) saved as Nan'ao's
    wrong = siting.accept_sites(wrong_plan, theirs, longhu.shipped("streets"), longhu.shipped("communities"))
    with pytest.raises(DataError) as e:
        s.save("centers", wrong, "accepted 3 proposed sites", base_version=s.head("centers"))
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{s.path.name}: centers ")
    assert "is not a division of Nan'ao County (440523)" in msg and "nothing was saved" in msg
    with pytest.raises(DataError, match="outside Nan'ao County"):  # accepting the plan: the validator speaks first
        editing.CenterEditor(s).add_proposed(wrong_plan)
    with pytest.raises(DataError, match="outside Nan'ao County"):  # importing Longhu's centres
        editing.CenterEditor(s).replace(pd.DataFrame(theirs.drop(columns="geometry")), "import",
                                        base_version=s.head("centers"))
    assert file_state(s.path) == before
    assert len(s.load("centers")) == 50 and s.head("centers") == 1


def test_jinpings_store_opened_as_longhus_is_refused_for_reading_and_writing(other_district, tmp_path):
    jinping = other_district(JINPING)
    jinping.store().seed("centers")
    before = file_state(jinping.store_path)
    as_longhu = District.open().with_store(jinping.store_path)
    said = "this store belongs to Jinping District (440511), not to Longhu District (440507)"
    attempts = [lambda: as_longhu.store(readonly=True).load("centers"),
                lambda: as_longhu.store(readonly=True).versions(),
                lambda: as_longhu.store().load("centers"),
                lambda: as_longhu.store().seed("streets"),
                lambda: editing.CenterEditor(as_longhu.store()).add("站", "station", 116.742, 23.396),
                lambda: as_longhu.layers()]
    for attempt in attempts:
        with pytest.raises(DataError) as e:
            attempt()
        assert said in str(e.value) and "\n" not in str(e.value)
    assert file_state(jinping.store_path) == before
    assert len(jinping.store(readonly=True).load("centers")) == 183  # its own district reads it as before


def test_a_save_with_another_districts_codes_or_positions_is_refused(path, other_district):
    s = longhu_store(path)
    s.seed("centers")
    jinping = other_district(JINPING)
    c = s.load("centers")
    coded = c.copy()
    coded.loc[5, "street_code"] = "440511001"  # Jinping's 石炮台街道, the position still in Longhu
    with pytest.raises(DataError, match=rf"centers {c['id'][5]}: street_code 440511001 is not a division of "
                                        r"Longhu District \(440507\); nothing was saved"):
        s.save("centers", coded, "wrong code", base_version=1)
    moved = c.copy()
    x, y = jinping.point  # inside Jinping, codes blank: the position alone says it is not Longhu's
    moved.loc[6, ["lon", "lat", "street_code", "community_code"]] = [x, y, "", ""]
    moved.loc[6, "geometry"] = gpd.points_from_xy([x], [y])[0]
    with pytest.raises(DataError, match=rf"centers {c['id'][6]}: lies [\d.]+ km outside Longhu District"):
        s.save("centers", moved, "moved away", base_version=1)
    with pytest.raises(DataError, match="streets 440511001: code 440511001 is not a division of Longhu District"):
        s.save("streets", jinping.shipped("streets"), "Jinping's streets", base_version=0)
    assert s.head("centers") == 1 and s.head("streets") is None and len(s.versions()) == 1


def test_edits_accepts_imports_and_restores_leave_the_other_districts_stores_byte_identical(other_district):
    places = [District.open()] + [other_district(code) for code in (JINPING, NANAO, RUOQIANG)]
    assert len({p.store_path for p in places}) == 4
    for place in places:
        place.store().seed("centers")
    for place in places:
        others = {p.code: file_state(p.store_path) for p in places if p != place}
        mine = file_state(place.store_path)
        s, ed = place.store(), editing.CenterEditor(place.store())
        (ax, ay), (bx, by), (px, py) = inside_points(place, 3)
        added = ed.add("新站", "station", ax, ay).added[0]
        ed.move(added, bx, by)
        ed.rename(added, "新站（改名）")
        ed.add_proposed(plan_at([(px, py)]))  # accepting a suggestion
        table = pd.DataFrame(s.load("centers").drop(columns="geometry")).iloc[:-1]
        ed.replace(table, "imported a sheet", base_version=s.head("centers"))  # importing
        ed.delete(added)
        assert s.restore("centers", 2).created  # restoring (the version with the added centre)
        assert len(s.versions("centers")) == 8 and file_state(place.store_path) != mine
        assert {p.code: file_state(p.store_path) for p in places if p != place} == others, place.code
    for place in places:  # each store holds only its district's rows
        got = place.store(readonly=True).load("centers")
        assert got["street_code"].map(place.owns).all() and got.within(place.geometry.buffer(0.01)).all()


def test_reading_a_store_never_changes_the_file(path):
    s = longhu_store(path)
    c = s.load("centers")
    s.save("centers", c.iloc[:100], "fewer", base_version=0)
    editing.CenterEditor(s).rename(c["id"][3], "改名")
    before = file_state(path)
    place = District.open().with_store(path)
    ro = place.store(readonly=True)
    assert ro.layers() == ["centers"] and ro.head("centers") == 2 and len(ro.load("centers", 1)) == 100
    assert len(ro.versions()) == 2 and ro.diff("centers", 1, 2).changed == [c["id"][3]]
    assert len(ro.changed_rows("centers", 2)[0]) == 1 and ro.load("streets").attrs["version"] == 0
    assert place.layers().sources["centers"] == "store:2"
    assert file_state(path) == before  # same bytes, same mtime, no -wal/-shm


def test_a_store_from_before_stamps_is_adopted_only_by_its_own_district(path, other_district):
    from geo.io import stamp

    s = longhu_store(path)
    s.seed("centers")
    con = sqlite3.connect(path)
    con.execute("DROP TABLE store_district")  # as every store saved before stamps
    con.commit()
    con.close()
    before = file_state(path)
    nanao = other_district(NANAO).with_store(path)
    with pytest.raises(DataError, match="has no district stamp and holds another district's rows; open it with the "
                                        "--district it was made for"):
        nanao.store(readonly=True).load("centers")  # unstamped, but Longhu's rows: never read as Nan'ao's
    with pytest.raises(DataError, match="has no district stamp and holds another district's rows"):
        editing.CenterEditor(nanao.store()).rename(nanao.shipped("centers")["id"][0], "x")
    assert file_state(path) == before
    editing.CenterEditor(s).rename(s.load("centers")["id"][0], "龙湖中心")  # Longhu writes: adopted
    with closing(sqlite3.connect(path)) as con:
        assert stamp.stamped(con) == "440507"
    bad = s.load("centers")
    bad.loc[0, "community_code"] = "440523100001"  # its new rows are still checked
    with pytest.raises(DataError, match="community_code 440523100001 is not a division of Longhu District"):
        s.save("centers", bad, "a Nan'ao code")
    with pytest.raises(DataError, match="belongs to Longhu District"):
        nanao.store(readonly=True).load("centers")
