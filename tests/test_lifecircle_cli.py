"""``python -m geo lifecircle`` / ``fetch-facilities``: the output contract on the shipped layers,
the brief, and one-line errors with exit 2.

The facility tables are TEST DATA made by the tests (points inside the shipped, illustrative
community boundaries); there is no real POI data offline."""

import json

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.io import catalogue as cat_io
from geo.io import lifecircle_results, online
from geo.io.district import District
from tests.cli_helpers import run
from tests.conftest import OTHERS

CAT = cat_io.load_catalogue()


@pytest.fixture(scope="module")
def shipped():
    """The shipped district (Longhu) as a District value."""
    return District.open()


@pytest.fixture(scope="module")
def fac_file(tmp_path_factory, shipped):
    """Test facilities: two of every category, at points inside the shipped communities; the
    file name says they are illustrative."""
    cm = shipped.shipped("communities").to_crs("EPSG:32650")
    pts = cm.sample_points(2, rng=np.random.default_rng(7)).explode().to_crs("EPSG:4326").iloc[:2 * len(CAT.keys)]
    names = [c.name_zh if i % 2 else c.name_en for c in CAT.categories for i in range(2)]
    df = pd.DataFrame({"名称": [f"测试设施{i}" for i in range(len(names))], "类别": names,
                       "经度": pts.x.round(7).to_numpy(), "纬度": pts.y.round(7).to_numpy()})
    p = tmp_path_factory.mktemp("fac") / "test_facilities_illustrative.csv"
    df.to_csv(p, index=False, encoding="utf-8-sig")
    return p


@pytest.fixture(scope="module")
def circle_run(fac_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("lc")
    return run("lifecircle", "--facilities", fac_file, "--out", out, "--json"), out


def test_lifecircle_writes_the_contract_table_and_prints_one_json_line(circle_run, fac_file):
    p, out = circle_run
    assert p.returncode == 0, p.stderr
    head = json.loads(p.stdout)
    assert p.stdout.count("\n") == 1
    assert set(head) == {"communities", "categories", "fully_served_communities", "covered_pct_by_category"}
    assert head["communities"] == 125 and head["categories"] == len(CAT.keys) == 11
    assert set(head["covered_pct_by_category"]) == {c.name_zh for c in CAT.categories}
    t = pd.read_csv(out / "lifecircle_communities.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert list(t.columns[:8]) == ["code", "name", "category", "level", "limit_m", "covered_pct", "nearest_m",
                                   "nearest_minutes"]
    assert len(t) == 125 * 11 and set(t["category"]) == {c.name_zh for c in CAT.categories}
    assert t["covered_pct"].between(0, 100).all() and (t["data_status"] == "illustrative").all()
    assert np.allclose(t["nearest_minutes"], t["nearest_m"] / (4000 / 60), atol=0.01)
    assert "illustrative" in p.stderr.lower()


def test_nearest_m_is_the_straight_line_from_the_community_centroid(circle_run, fac_file, shipped):
    _, out = circle_run
    t = pd.read_csv(out / "lifecircle_communities.csv", dtype={"code": str}, encoding="utf-8-sig")
    cm = shipped.shipped("communities").to_crs("EPSG:32650").set_index("code")
    f = pd.read_csv(fac_file, encoding="utf-8-sig")
    kg = f[f["类别"].isin(["幼儿园", "Kindergarten"])]
    pts = gpd.GeoSeries(gpd.points_from_xy(kg["经度"], kg["纬度"]), crs="EPSG:4326").to_crs("EPSG:32650")
    for code in ("440507001001", cm.index[60]):
        c = cm.loc[code].geometry.centroid
        want = min(c.distance(p) for p in pts)
        got = t[(t["code"] == code) & (t["category"] == "幼儿园")]["nearest_m"].iat[0]
        assert got == pytest.approx(want, abs=0.05)


def test_the_grid_and_the_other_tables(circle_run):
    _, out = circle_run
    grid = gpd.read_file(out / "lifecircle_grid.geojson")
    assert grid["count"].between(0, 11).all() and (grid["n_categories"] == 11).all()
    assert grid.crs.to_epsg() == 4326 and (grid["data_status"] == "illustrative").all()
    summary = pd.read_csv(out / "lifecircle_summary.csv", encoding="utf-8-sig")
    assert len(summary) == 125 and {"fully_served", "missing", "reached_5", "missing_15"} <= set(summary.columns)
    cats = pd.read_csv(out / "lifecircle_categories.csv", encoding="utf-8-sig")
    assert len(cats) == 11 and (cats["facilities"] == 2).all()
    assert set(lifecircle_results.FILES.values()) <= {p.name for p in out.iterdir()}


def test_categories_speed_and_catalogue_options(fac_file, tmp_path):
    p = run("lifecircle", "--facilities", fac_file, "--out", tmp_path, "--json", "--categories",
            "kindergarten,middle_school", "--speed-kmh", "3", "--basis", "time")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["categories"] == 2
    t = pd.read_csv(tmp_path / "lifecircle_communities.csv", encoding="utf-8-sig")
    assert sorted(set(t["limit_m"])) == [250.0, 750.0]  # 5 and 15 minutes at 3 km/h


def test_unassigned_rows_are_counted_and_written(fac_file, tmp_path):
    f = pd.read_csv(fac_file, encoding="utf-8-sig")
    f.loc[len(f)] = ["测试图书馆", "图书馆", f["经度"].iat[0], f["纬度"].iat[0]]
    p2 = tmp_path / "f.csv"
    f.to_csv(p2, index=False)
    p = run("lifecircle", "--facilities", p2, "--out", tmp_path / "o")
    assert p.returncode == 0 and "1 row unassigned" in p.stdout and "图书馆" in p.stderr
    un = pd.read_csv(tmp_path / "o" / "lifecircle_unmatched.csv", encoding="utf-8-sig")
    assert list(un["name"]) == ["测试图书馆"] and list(un["row"]) == [len(f) + 1]


@pytest.mark.slow
def test_brief_pdf_and_png_in_both_languages(fac_file, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    p = run("lifecircle", "--facilities", fac_file, "--out", tmp_path / "o", "--brief", tmp_path / "brief.pdf",
            "--lang", "zh")
    assert p.returncode == 0, p.stderr
    text = "".join(pg.extract_text() for pg in pypdf.PdfReader(str(tmp_path / "brief.pdf")).pages)
    assert "居住区生活圈" in text and "示意" in text and "金霞街道" in text
    p = run("lifecircle", "--facilities", fac_file, "--out", tmp_path / "o", "--brief", tmp_path / "b.png",
            "--lang", "en")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "b.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _grid_graphml(path, bounds, step_deg=0.0025):
    """A test street grid over the district, saved as GraphML in degrees."""
    import osmnx as ox

    xs = np.arange(bounds[0], bounds[2] + step_deg, step_deg)
    ys = np.arange(bounds[1], bounds[3] + step_deg, step_deg)
    G = nx.MultiDiGraph(crs="epsg:4326")
    ids = np.arange(len(xs) * len(ys)).reshape(len(xs), len(ys))
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            G.add_node(int(ids[i, j]), x=float(x), y=float(y))
    for a, b in list(zip(ids[:-1].ravel(), ids[1:].ravel())) + list(zip(ids[:, :-1].ravel(), ids[:, 1:].ravel())):
        for s, t in ((a, b), (b, a)):
            G.add_edge(int(s), int(t))
    ox.save_graphml(ox.distance.add_edge_lengths(G), path)


@pytest.mark.slow
def test_network_mode_walks_at_least_the_straight_line(fac_file, tmp_path, circle_run, shipped):
    bounds = shipped.outline.total_bounds
    _grid_graphml(tmp_path / "grid.graphml", bounds)
    p = run("lifecircle", "--facilities", fac_file, "--out", tmp_path / "n", "--network", tmp_path / "grid.graphml",
            "--json")
    assert p.returncode == 0, p.stderr
    net = pd.read_csv(tmp_path / "n" / "lifecircle_communities.csv", dtype={"code": str}, encoding="utf-8-sig")
    circ = pd.read_csv(circle_run[1] / "lifecircle_communities.csv", dtype={"code": str}, encoding="utf-8-sig")
    both = net.merge(circ, on=["code", "category"], suffixes=("_n", "_c"))
    ok = both["nearest_m_n"].notna()
    assert ok.mean() > 0.9 and (net["mode"] == "network").all()
    assert (both.loc[ok, "nearest_m_n"] >= both.loc[ok, "nearest_m_c"] - 0.5).all()


@pytest.mark.parametrize("args, needle", [
    (["--facilities", "{tmp}/none.csv"], "none.csv"),
    (["--facilities", "{tmp}/nocat.csv"], "category/类别"),
    (["--facilities", "{fac}", "--facilities-crs", "utm"], "--facilities-crs"),
    (["--facilities", "{fac}", "--catalogue", "{tmp}/bad.toml"], "key limit_m"),
    (["--facilities", "{fac}", "--mode", "network"], "--network"),
    (["--facilities", "{fac}", "--speed-kmh", "0"], "--speed-kmh"),
    (["--facilities", "{fac}", "--cell-m", "nan"], "--cell-m"),
    (["--facilities", "{fac}", "--brief", "{tmp}/brief.txt"], "--brief"),
    (["--facilities", "{fac}", "--brief", "{tmp}/no/such/folder/b.pdf"], "does not exist"),
    (["--facilities", "{fac}", "--categories", "kindergarten,library"], "--categories"),
    (["--facilities", "{tmp}/nothing.csv"], "no row matches"),
    (["--facilities", "{fac}", "--network", "{tmp}/nocat.csv"], "nocat.csv"),
])
def test_bad_input_exits_2_with_one_line(args, needle, fac_file, tmp_path):
    pd.DataFrame({"名称": ["a"], "经度": [116.73], "纬度": [23.39]}).to_csv(tmp_path / "nocat.csv", index=False)
    pd.DataFrame({"名称": ["a"], "类别": ["图书馆"], "经度": [116.73], "纬度": [23.39]}).to_csv(
        tmp_path / "nothing.csv", index=False)
    text = cat_io.CATALOGUE_PATH.read_text(encoding="utf-8").replace("limit_m = 300", "limit_m = -1", 1)
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    argv = ["lifecircle", "--out", str(tmp_path / "out")] + [a.format(tmp=tmp_path, fac=fac_file) for a in args]
    p = run(*argv)
    assert p.returncode == 2, p.stderr
    assert needle in p.stderr and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("error:")
    assert [ln for ln in p.stderr.strip().splitlines() if ln.startswith("error")] == [p.stderr.strip().splitlines()[-1]]
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_fetch_facilities_offline_is_one_line_and_quick(monkeypatch, tmp_path):
    monkeypatch.setattr(online, "require_osm_online", _offline)
    p = run("fetch-facilities", "--out", tmp_path / "osm.csv")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "could not reach OpenStreetMap" in p.stderr
    assert not (tmp_path / "osm.csv").exists()
    p = run("fetch-facilities", "--margin-m", "-5")
    assert p.returncode == 2 and "--margin-m" in p.stderr


def test_fetch_facilities_saves_what_osm_returns(monkeypatch, tmp_path, shipped):
    import osmnx as ox

    monkeypatch.setattr(online, "require_osm_online", lambda *a, **k: None)
    pt = shipped.shipped("communities").to_crs("EPSG:32650").representative_point().to_crs("EPSG:4326").iat[0]
    features = gpd.GeoDataFrame({"name": ["测试幼儿园"], "amenity": ["kindergarten"]}, geometry=[pt], crs="EPSG:4326")
    monkeypatch.setattr(ox, "features_from_polygon", lambda polygon, tags: features)
    p = run("fetch-facilities", "--out", tmp_path / "osm.csv")
    assert p.returncode == 0, p.stderr
    saved = pd.read_csv(tmp_path / "osm.csv", encoding="utf-8-sig")
    assert list(saved["category"]) == ["幼儿园"] and saved["lon"].iat[0] == pytest.approx(pt.x)


def test_the_help_lists_the_commands():
    p = run("--help")
    assert p.returncode == 0 and "lifecircle" in p.stdout and "fetch-facilities" in p.stdout
    assert shapely is not None


def test_the_brief_speaks_the_language_asked_and_labels_illustrative_data(shipped):
    from matplotlib import rc_context

    from geo.engine import lifecircle as lc
    from geo.render import brief, fonts, lifecircle_brief

    cm = shipped.shipped("communities").iloc[:6]
    spots = cm.to_crs("EPSG:32650").representative_point().to_crs("EPSG:4326")
    test_fac = gpd.GeoDataFrame({"category": ["kindergarten", "middle_school"]}, geometry=list(spots.iloc[:2]),
                                crs="EPSG:4326")
    result = lc.analyse(cm, test_fac, CAT.select(["kindergarten", "middle_school"]))
    with rc_context(brief._rc(fonts.cjk_font().family)):
        en = brief.figure_text(lifecircle_brief.brief_figure(result, lang="en", status="illustrative"))
        zh = brief.figure_text(lifecircle_brief.brief_figure(result, lang="zh", illustrative_facilities=True))
    assert "Residential life circle" in en and "Illustrative data" in en and "居住区生活圈" not in en
    assert "北" not in en and "北" in zh and "千米" not in en  # the map furniture in the brief's language
    assert "居住区生活圈" in zh and "设施数据为示意" in zh and "Illustrative" not in zh
    with pytest.raises(lifecircle_brief.BriefError, match="unknown language"):
        lifecircle_brief.brief_figure(result, lang="fr")


def test_long_lists_of_missing_services_are_cut_between_names_and_counted():
    from geo.render.lifecircle_brief import shorten

    names = ["幼儿园", "老年人日间照料中心", "室外综合健身场地", "小学", "初中", "养老院"]
    text = shorten(names, 12, 2, "zh")
    listed = [n for n in text.replace("\n", "").split("及其他")[0].split("、") if n]
    assert text.count("\n") == 1 and listed == names[:2] and text.endswith(f"及其他{len(names) - 2}项")
    assert shorten(names[:2], 40, 2, "zh") == "幼儿园、老年人日间照料中心"  # all listed: no count
    # the count is of the names NOT listed (one shown of three: "and 2 more", never "3")
    assert shorten(["Kindergarten", "Primary school", "Middle school"], 16, 1, "en") == "Kindergarten and 2 more"


def _offline(instead: str, **_kw) -> None:
    raise online.OfflineError(f"could not reach OpenStreetMap (test: offline); {instead}")


# --------------------------------------------------------------------------- other districts


@pytest.fixture
def cache(district_cache, monkeypatch):
    """The command line finds the other districts' layers where the session built them."""
    from geo.io import districts

    monkeypatch.setattr(districts, "CACHE_DIR", district_cache)
    return district_cache


@pytest.mark.slow
@pytest.mark.parametrize("code", OTHERS)
def test_the_life_circle_of_another_district_is_of_its_communities(cache, other_district, tmp_path, code):
    """TEST DATA (illustrative): one facility per community of the district, inside it. Ruoqiang's
    198,535 km² take 500 m cells (at 50 m its heat-map grid does not fit in memory)."""
    pypdf = pytest.importorskip("pypdf")
    place = other_district(code)
    cm = place.shipped("communities")
    pts = cm.to_crs(place.metric_crs).representative_point().to_crs("EPSG:4326")
    f = tmp_path / "facilities_illustrative.csv"
    pd.DataFrame({"名称": [f"测试设施{i}" for i in range(len(pts))],
                  "类别": [CAT.categories[i % len(CAT.categories)].name_zh for i in range(len(pts))],
                  "经度": pts.x.round(7).to_numpy(), "纬度": pts.y.round(7).to_numpy()}).to_csv(f, index=False)
    cell = ["--cell-m", "500"] if cm.to_crs(place.metric_crs).area.sum() > 1e10 else []
    p = run("lifecircle", "--district", code, "--facilities", f, "--out", tmp_path / "o", "--json", *cell,
            "--brief", tmp_path / "brief.pdf")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["communities"] == len(cm)
    t = pd.read_csv(tmp_path / "o" / "lifecircle_communities.csv", dtype={"code": str}, encoding="utf-8-sig")
    assert set(t["code"]) == set(cm["code"]) and set(t["name"]) == set(cm["name"])
    cats = pd.read_csv(tmp_path / "o" / "lifecircle_categories.csv", encoding="utf-8-sig")
    assert cats["facilities"].sum() == len(pts)  # every facility of the file is inside the district
    text = "".join(page.extract_text() for page in pypdf.PdfReader(str(tmp_path / "brief.pdf")).pages)
    assert place.shipped("streets")["name"].iat[0] in text
    written = "".join(q.read_text(encoding="utf-8-sig") for q in (tmp_path / "o").iterdir())
    for out in (p.stdout, p.stderr, written, text):
        assert "龙湖" not in out and "Longhu" not in out


def test_fetch_facilities_asks_for_the_district_given(cache, other_district, monkeypatch, tmp_path):
    import osmnx as ox

    place = other_district(OTHERS[1])
    asked = []
    monkeypatch.setattr(online, "require_osm_online", lambda *a, **k: None)
    pt = place.geometry.representative_point()
    features = gpd.GeoDataFrame({"name": ["测试幼儿园"], "amenity": ["kindergarten"]}, geometry=[pt], crs="EPSG:4326")
    monkeypatch.setattr(ox, "features_from_polygon", lambda polygon, tags: asked.append(polygon) or features)
    p = run("fetch-facilities", "--district", place.code, "--out", tmp_path / "osm.csv", "--margin-m", 0)
    assert p.returncode == 0, p.stderr
    assert len(asked) == 1 and asked[0].buffer(1e-6).contains(place.geometry)
    assert not asked[0].intersects(District.open().geometry)  # Longhu is 30 km away, across the sea
