"""A region at once (``python -m geo batch``, geo.batch, geo.region): every county-level unit as
a task on dask.distributed, the same answer serially, on a LocalCluster and on a scheduler with
two ``dask worker`` processes, and one line for each bad input."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo import batch, cli
from geo import region as rg
from geo.io import districts
from geo.jobs import unit

ROOT = Path(__file__).resolve().parents[1]
WUHAI = "1503"  # 乌海市: 3 small units (22 streets, 87 communities), quick to build


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The three units' layers, built once (as the first batch would)."""
    cache = tmp_path_factory.mktemp("cache")
    for code in districts.units(WUHAI)["code"]:
        districts.build(code, cache / code)
    return cache


@pytest.fixture
def cache(built, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    shutil.copytree(built, folder)
    monkeypatch.setattr(districts, "CACHE_DIR", folder)
    return folder


def summary(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "region_summary.csv", dtype={"adcode": str})


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    figures = ["area_km2", "covered_pct"]  # the life circle's columns are compared exactly
    pd.testing.assert_frame_equal(a.drop(columns=figures), b.drop(columns=figures))
    for c in ("area_km2", "covered_pct"):
        np.testing.assert_allclose(a[c], b[c], rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- bad input: one line


def test_a_prefix_that_matches_no_unit_is_one_line(tmp_path, capsys):
    assert cli.main(["batch", "--region", "99", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no county-level unit's code starts with 99" in err


@pytest.mark.parametrize("args, says", [
    (["--scheduler", "nowhere"], "use local, serial or tcp://HOST:PORT"),
    (["--workers", "0"], "--workers: give 1 to 64"),
    (["--region", "44x"], "give the first digits of an adcode"),
    (["--facilities", "nowhere.csv", "--categories", "kindergarten,casino"], "--categories: "),
    (["--facilities", "nowhere.csv"], "nowhere.csv"),
])
def test_bad_options_are_one_line(tmp_path, capsys, args, says):
    argv = ["batch", "--region", WUHAI, "--out", str(tmp_path)] + args
    if "--region" in args:
        argv = ["batch", "--out", str(tmp_path)] + args
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and says in err


@pytest.mark.slow
def test_a_scheduler_that_does_not_answer_is_one_line_within_10_s(tmp_path, capsys):
    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    assert cli.main(["batch", "--region", WUHAI, "--out", str(tmp_path), "--scheduler",
                     f"tcp://127.0.0.1:{port}"]) == 2
    assert time.perf_counter() - start < 10.0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: --scheduler tcp://127.0.0.1:") and "no dask scheduler answers" in err[-1]


@pytest.mark.parametrize("category, where, says", [
    ("图书馆", "inside", "no row matches a category of the catalogue (1 row unassigned)"),
    ("幼儿园", "longhu", "the 1 facility lies outside the area analysed"),
])
def test_facilities_with_nothing_to_analyse_are_refused_as_by_lifecircle(cache, tmp_path, capsys, category, where,
                                                                         says):
    """Was: exit 0 and 0 % for every category, as if measured."""
    inside = pd.read_csv(cache / "150302" / "centers.csv", dtype=str).iloc[0]
    lon, lat = (inside["lon"], inside["lat"]) if where == "inside" else ("116.73", "23.39")
    f = tmp_path / "facilities.csv"
    pd.DataFrame({"名称": ["x"], "类别": [category], "经度": [lon], "纬度": [lat]}).to_csv(f, index=False)
    out = tmp_path / "out"
    assert cli.main(["batch", "--region", WUHAI, "--facilities", str(f), "--out", str(out), "--scheduler",
                     "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: facilities.csv") and says in err[-1]
    assert not out.exists()


@pytest.fixture
def silent_peer():
    """tcp://127.0.0.1:PORT of a peer that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for c in held:
        c.close()


@pytest.mark.slow
def test_a_scheduler_that_accepts_and_never_answers_is_one_line_within_15_s(silent_peer, tmp_path, capsys):
    start = time.perf_counter()  # dask's Client waited for ever on such a peer (its handshake has no deadline)
    assert cli.main(["batch", "--region", WUHAI, "--out", str(tmp_path), "--scheduler", silent_peer]) == 2
    assert time.perf_counter() - start < 15.0
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: --scheduler {silent_peer}: no dask scheduler answers there (no answer")
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_a_scheduler_without_workers_is_one_line_not_a_wait_for_ever(monkeypatch, tmp_path, capsys):
    from dask.distributed import LocalCluster

    monkeypatch.setattr(batch, "WORKERS_TIMEOUT_S", 1.0)
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        assert cli.main(["batch", "--region", WUHAI, "--out", str(tmp_path), "--scheduler",
                         cluster.scheduler_address]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "the scheduler has no workers" in err[-1] and "dask worker" in err[-1]


@pytest.mark.slow
def test_centre_rows_outside_every_unit_are_listed_per_row(cache, tmp_path, capsys):
    inside = pd.read_csv(cache / "150302" / "centers.csv", dtype=str).iloc[0]  # in 海勃湾区
    f = tmp_path / "centres.csv"
    f.write_text("name,tier,lon,lat\n"
                 f"甲,community,{inside.lon},{inside.lat}\n"
                 "乙,community,116.7417,23.3956\n"  # Shantou
                 "丙,community,not-a-number,39.5\n"
                 "丁,community,106.0,39.0\n", encoding="utf-8")
    assert cli.main(["batch", "--region", WUHAI, "--centers", str(f), "--out", str(tmp_path / "o"),
                     "--scheduler", "serial"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    rows = [line for line in err if line.startswith("error: centres.csv, row")]
    assert [r.split(",")[1].strip() for r in rows] == ["row 3", "row 4", "row 5"]
    assert "outside Wuhai City" in rows[0] and "not a number" in rows[1]
    assert "3 rows cannot be used" in err[-1]
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- the runs


@pytest.mark.slow
def test_a_region_is_split_and_a_failing_unit_never_stops_the_others(cache, tmp_path, capsys):
    units = districts.units(WUHAI)
    hb, hn, wd = units["code"]
    f = tmp_path / "centres.csv"
    lines = ["name,tier,lon,lat"]
    with_centres = pd.read_csv(cache / hb / "centers.csv", dtype=str)
    lines += [f"{r.name},{r.tier},{r.lon},{r.lat}" for r in with_centres.itertuples()]
    other = pd.read_csv(cache / hn / "centers.csv", dtype=str).iloc[0]
    lines += [f"海南区某中心,no-such-tier,{other.lon},{other.lat}"]  # one bad row in 海南区: that unit fails
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["batch", "--region", WUHAI, "--centers", str(f), "--out", str(out), "--scheduler", "serial",
                     "--lang", "zh"]) == 0
    s = summary(out).set_index("adcode")
    assert list(s.index) == [hb, hn, wd]
    assert s.at[hb, "status"] == "ok" and s.at[hb, "n_centers"] == len(with_centres)
    row = len(with_centres) + 2  # the header is row 1
    assert s.at[hn, "status"].startswith(f"failed: centres.csv, row {row}, column tier: unknown tier")
    assert s.at[wd, "status"] == "failed: centres.csv: no row of the file lies in 乌达区"
    assert (out / hb / "summary.csv").exists() and not (out / hn).exists()
    assert (out / "region_map.png").stat().st_size > 10_000
    brief = (out / "region_brief.md").read_text(encoding="utf-8")
    assert brief.startswith("# 乌海市15分钟党群服务圈覆盖简报") and "完成 1，失败 2" in brief


@pytest.fixture
def facilities(cache, tmp_path) -> Path:
    """TEST DATA (illustrative): facilities of every category inside random communities of Wuhai's
    three units, one of each category per unit and a second in the first unit."""
    import geopandas as gpd

    from geo.io.catalogue import load_catalogue

    cats = load_catalogue().categories
    rows = []
    for i, code in enumerate(districts.units(WUHAI)["code"]):
        cm = gpd.read_file(cache / code / "communities.geojson").to_crs("EPSG:32649")
        n = len(cats) * (2 if i == 0 else 1)
        pick = np.random.default_rng(i).permutation(len(cm))[np.arange(n) % len(cm)]
        pts = cm.representative_point().to_crs("EPSG:4326").iloc[pick]
        rows += [(f"测试设施{code}-{k}", cats[k % len(cats)].name_zh, p.x, p.y) for k, p in enumerate(pts)]
    f = tmp_path / "facilities_illustrative.csv"
    pd.DataFrame(rows, columns=["名称", "类别", "经度", "纬度"]).to_csv(f, index=False, encoding="utf-8-sig")
    return f


@pytest.mark.slow
def test_each_units_life_circle_is_the_single_district_answer(cache, facilities, tmp_path, capsys):
    """``batch --facilities`` gives every unit the region's facilities within reach of it: each
    unit's life circle equals ``lifecircle --district`` run on it with the whole file."""
    out = tmp_path / "out"
    assert cli.main(["batch", "--region", WUHAI, "--facilities", str(facilities), "--out", str(out),
                     "--scheduler", "serial", "--lang", "zh"]) == 0
    s = summary(out).set_index("adcode")
    assert list(s.columns[:len(rg.SUMMARY_COLUMNS) - 1]) == rg.SUMMARY_COLUMNS[1:]  # the contract first
    assert (s["status"] == "ok").all()
    for code in s.index:
        one = tmp_path / f"one-{code}"
        assert cli.main(["lifecircle", "--district", code, "--facilities", str(facilities), "--out", str(one)]) == 0
        mine = pd.read_csv(out / code / "lifecircle" / "lifecircle_communities.csv", dtype=str)
        pd.testing.assert_frame_equal(mine, pd.read_csv(one / "lifecircle_communities.csv", dtype=str))
        served = pd.read_csv(one / "lifecircle_summary.csv")
        assert s.at[code, "lc_fully_served"] == int(served["fully_served"].sum())
    assert s["lc_facilities"].min() >= 11  # each unit has its own and may use its neighbours' near the border
    assert "## 生活圈" in (out / "region_brief.md").read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def scheduler(tmp_path):
    """A dask scheduler at tcp://127.0.0.1:PORT with two ``dask worker`` processes, stopped after."""
    from dask.distributed import Client

    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT, "env": env}
    procs = [subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              **quiet)]
    address = f"tcp://127.0.0.1:{port}"
    try:
        for i in range(2):
            procs.append(subprocess.Popen(["dask", "worker", address, "--nthreads", "1", "--no-dashboard",
                                           "--local-directory", str(tmp_path / f"w{i}")], **quiet))
        with Client(address, timeout=30) as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.slow
def test_the_same_summary_serially_on_a_local_cluster_and_on_a_scheduler(cache, facilities, tmp_path, scheduler,
                                                                         capsys):
    runs = {}
    for how in ("serial", "local", scheduler):
        out = tmp_path / how.replace(":", "_").replace("/", "_")
        assert cli.main(["batch", "--region", WUHAI, "--facilities", str(facilities), "--out", str(out),
                         "--scheduler", how]) == 0
        runs[how] = summary(out)
        err = capsys.readouterr().err
        assert "[3/3]" in err  # progress, unit by unit
        if how != "serial":
            assert "dask: 2 workers" in err
    first = runs["serial"]
    assert (first["status"] == "ok").all() and first["covered_pct"].between(1, 100).all()
    assert first["lc_fully_served_pct"].between(0, 100).all() and first["lc_weakest"].notna().all()
    for s in runs.values():
        same(first, s)
    gaps = [pd.read_csv(tmp_path / h.replace(":", "_").replace("/", "_") / "150302" / "summary.csv") for h in runs]
    for g in gaps[1:]:
        pd.testing.assert_frame_equal(gaps[0], g)


def test_a_region_network_is_clipped_to_each_unit_and_its_walking_reach():
    import shapely

    from geo.engine import graph as wg

    xs, ys = np.meshgrid(np.arange(0, 5000.0, 100.0), np.arange(0, 5000.0, 100.0))
    idx = np.arange(xs.size).reshape(xs.shape)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    g = wg.graph_from_arrays(xs.ravel() + 470000, ys.ravel() + 2570000, u, v, crs="EPSG:32650")
    unit = pd.DataFrame({"code": ["x"]})
    outline = shapely.box(471000, 2571000, 472000, 2572000)
    import geopandas as gpd

    shape = gpd.GeoDataFrame(unit, geometry=[outline], crs="EPSG:32650").to_crs("EPSG:4326")
    part = rg.clip_graph(g, shape, 1000.0)
    assert part.crs == g.crs
    near = shapely.distance(outline, shapely.points(g.x, g.y)) <= 999.0
    wanted = near[g.u] | near[g.v]  # every street with an end within walking reach of the unit
    kept = {tuple(sorted(p)) for p in zip(part.node_ids[part.u], part.node_ids[part.v])}
    assert {tuple(sorted(p)) for p in zip(g.u[wanted], g.v[wanted])} <= kept
    far = shapely.distance(outline, shapely.points(g.x, g.y)) > 1101.0
    assert not far[part.node_ids].any()
    away = gpd.GeoDataFrame(unit, geometry=[shapely.box(0, 0, 1, 1)], crs="EPSG:32650").to_crs("EPSG:4326")
    assert rg.clip_graph(g, away, 1000.0) is None


def test_a_short_cut_of_the_region_s_main_network_stays_main_and_a_fragment_stays_a_fragment():
    """A unit whose outline the region's main street crosses twice gets two short pieces of it
    (600 m each): both stay main, so its residents snap to them; the region's 50 m stray path
    stays a fragment. Clipped without the region's labels, one piece would be a 'fragment'."""
    import geopandas as gpd
    import shapely

    from geo.engine import graph as wg

    line = np.arange(0, 5001.0, 100.0)  # a 5 km street: the region's main part
    x = np.r_[line, 2500.0, 2550.0] + 470000
    y = np.r_[np.zeros(line.size), 40.0, 40.0] + 2570000
    n = line.size
    g = wg.graph_from_arrays(x, y, np.r_[np.arange(n - 1), n], np.r_[np.arange(1, n), n + 1], crs="EPSG:32650")
    assert g.parts().fragments == 1
    boxes = shapely.MultiPolygon([shapely.box(470000, 2569900, 470500, 2570100),
                                  shapely.box(472400, 2569900, 472900, 2570100)])
    shape = gpd.GeoDataFrame({"code": ["x"]}, geometry=[boxes], crs="EPSG:32650").to_crs("EPSG:4326")
    part = rg.clip_graph(g, shape, 50.0)
    p = part.parts()
    assert (p.count, p.main, p.fragments) == (3, 2, 1)
    assert p.fragment_m == pytest.approx(50.0)


def test_every_job_travels_to_a_worker(cache):
    import pickle

    from geo.engine import coverage

    job = unit.UnitJob("150302", "海勃湾区", coverage.Settings(), Path("/tmp/out"), cache)
    again = pickle.loads(pickle.dumps(job))
    assert again == job
    place = again.place()  # the task opens its own District from the code and the cache
    assert (place.code, place.folder, place.label("zh")) == ("150302", cache / "150302", "海勃湾区")
    assert pickle.loads(pickle.dumps(place)) == place
    row = unit.summary_row(job, "ok", {"district_area_km2": 1.0, "covered_pct": 2.0, "n_centers": 3, "n_gaps": 4})
    assert list(row) == rg.SUMMARY_COLUMNS and row["n_streets"] == 8 and row["n_communities"] == 43


@pytest.mark.slow
def test_network_mode_runs_each_unit_on_its_part_of_the_region_network(cache, tmp_path):
    from geo.engine import coverage
    from geo.engine import graph as wg

    reg = rg.region(WUHAI)
    shapes = rg.outlines(reg)
    metric = districts.metric_crs(shapes)
    minx, miny, maxx, maxy = shapes.to_crs(metric).total_bounds
    xs, ys = np.meshgrid(np.arange(minx, maxx, 250.0), np.arange(miny, maxy, 250.0))
    idx = np.arange(xs.size).reshape(xs.shape)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    g = wg.graph_from_arrays(xs.ravel(), ys.ravel(), u, v, crs=metric)
    settings = coverage.Settings(mode="network", minutes=(10.0,))
    jobs = unit.jobs_for(reg, settings, tmp_path / "out", shapes, graph=g)
    assert all(j.graph is not None and j.graph.n_nodes < g.n_nodes for j in jobs)
    rows = batch.run(jobs, "serial")
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert all(0 < r["covered_pct"] <= 100 for r in rows)
