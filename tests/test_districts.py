"""Any county-level unit of China (geo.io.districts, ``python -m geo init`` and ``--district``):
the registry and outlines, the layers built for a unit and their checks, and every message
following the district in use instead of saying Longhu."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import cli
from geo.engine import crs
from geo.io import data, districts, registry
from geo.io.district import District

ROOT = Path(__file__).resolve().parents[1]
NANAO = "440523"  # 南澳县: an island county, 3 streets and 46 communities -- the quickest to build


@pytest.fixture(scope="module")
def nanao(tmp_path_factory) -> Path:
    """南澳县's layers, built once for the module."""
    folder = tmp_path_factory.mktemp("districts") / NANAO
    districts.build(NANAO, folder)
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch, nanao) -> Path:
    """A district cache holding 南澳县's layers (as ``init`` would leave it)."""
    shutil.copytree(nanao, tmp_path / NANAO)
    monkeypatch.setattr(districts, "CACHE_DIR", tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- the registry


def test_the_registry_knows_every_unit_of_shantou_and_guangdong():
    st = districts.units("4405")
    assert list(st["name"]) == ["龙湖区", "金平区", "濠江区", "潮阳区", "潮南区", "澄海区", "南澳县"]
    assert st["n_communities"].tolist() == [125, 170, 61, 273, 232, 184, 46]
    assert st["n_communities"].sum() == 1091 and st["has_outline"].all()
    gd = districts.units("44")
    assert (len(gd), gd["n_streets"].sum(), gd["n_communities"].sum()) == (124, 1757, 26842)
    everything = districts.units("")
    assert len(everything) == 2978 and (~everything["has_outline"]).sum() == 144


def test_the_shipped_registry_is_the_nationwide_one_cut_to_longhu():
    shipped = data.load_divisions(data.DATA_DIR / "divisions.csv").sort_values("code").reset_index(drop=True)
    derived = districts.divisions("440507").sort_values("code").reset_index(drop=True)
    pd.testing.assert_frame_equal(shipped, derived)


@pytest.mark.parametrize("code, says", [
    ("4405", "Shantou City (4405) is a city, not a county-level unit; give one of its 7 units"),
    ("440500", "--district 440500: Shantou City (4405) is a city, not a county-level unit; give one of its 7 units"),
    ("440000", "--district 440000: Guangdong Province (44) is a province, not a county-level unit; give one of its"),
    ("440500000000", "Shantou City (4405) is a city"),
    ("44", "Guangdong Province (44) is a province, not a county-level unit; give one of its 124 units"),
    ("440511001", "Jinping District"),
    ("440511001001", "is a community"),
    ("440599", "unknown code"),
    ("abc", "not a code"),
])
def test_a_code_that_is_not_a_county_level_unit_is_one_line(code, says):
    with pytest.raises(districts.DistrictError) as e:
        districts.check_code(code)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_a_city_code_zero_padded_is_the_city_for_a_region():
    from geo import region as rg

    assert rg.region("440500").prefix == rg.region("4405").prefix == "4405"
    assert districts.region_code("440507") == "440507" and districts.region_code("440599") == "440599"


def test_a_unit_without_an_outline_says_so():
    with pytest.raises(districts.DistrictError, match="has no outline") as e:
        districts.outline("130171")
    assert "没有石家庄高新技术产业开发区的边界" in e.value.text("zh")


def test_the_outline_is_converted_from_gcj02_and_in_its_utm_zone():
    d = districts.outline("440511")
    assert d["name"].iat[0] == "金平区"
    x, y = shapely.get_coordinates(d.geometry.iat[0])[0]
    gx, gy = crs.wgs84_to_gcj02(x, y)
    assert abs(gx - x) > 0.004  # shifted by about 500 m, back to the source's GCJ-02
    assert districts.metric_crs(d) == "EPSG:32650"
    assert districts.metric_crs(districts.outline("650102")) == "EPSG:32645"  # Urumqi: zone 45
    area = d.to_crs("EPSG:32650").area.iat[0] / 1e6
    assert 140 < area < 160


# --------------------------------------------------------------------------- building a unit


@pytest.mark.slow
def test_a_unit_is_built_with_the_checks_of_the_shipped_layers(nanao):
    place = District.from_folder(nanao)
    district, div = place.outline, place.divisions
    streets, comms = place.shipped("streets"), place.shipped("communities")
    centers = place.shipped("centers")
    assert district["name"].iat[0] == "南澳县"
    assert len(streets) == 3 and len(comms) == 46 and len(div) == 49
    assert len(centers) == 1 + 3 + 46 and set(centers["tier"]) == {"district", "street", "community"}
    assert centers.loc[centers["tier"] == "district", "name"].iat[0] == "南澳县党群服务中心"
    metric = districts.metric_crs(district)
    outline = district.to_crs(metric).geometry.iat[0]
    geoms = np.asarray(comms.to_crs(metric).geometry.values)
    assert shapely.coverage_is_valid(geoms)
    assert shapely.coverage_union_all(geoms).symmetric_difference(outline).area < 1e-3 * outline.area
    assert data.is_illustrative(streets, comms, centers)


@pytest.mark.slow
def test_init_builds_any_unit_and_takes_stations(tmp_path, capsys):
    assert cli.main(["init", "--district", NANAO, "--out", str(tmp_path / "n"), "--stations", "4"]) == 0
    out = capsys.readouterr().out
    assert "Nan'ao County (440523)" in out and "3 streets, 46 communities, 54 centres" in out
    c = pd.read_csv(tmp_path / "n" / "centers.csv", dtype=str)
    assert (c["tier"] == "station").sum() == 4


def test_init_refuses_bad_codes_in_one_line(capsys):
    assert cli.main(["init", "--district", "4405"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "not a county-level unit" in err
    assert cli.main(["init", "--district", "130171"]) == 2
    assert "has no outline" in capsys.readouterr().err



@pytest.mark.parametrize("command", [["coverage", "--out", "out"], ["nearest", "--lon", "116.7", "--lat", "23.4"],
                                     ["fetch-network"]])
def test_every_command_refuses_a_unit_without_an_outline_in_one_line(capsys, tmp_path, monkeypatch, command):
    monkeypatch.setattr(districts, "CACHE_DIR", tmp_path)
    assert cli.main([*command, "--district", "130171"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: ") and "has no outline" in err
    assert list(tmp_path.iterdir()) == []  # nothing built


@pytest.mark.slow
def test_building_refuses_layers_that_fail_the_checks(monkeypatch, tmp_path):
    from geo.io import layout

    real = layout.build_layout

    def drop_a_community(*a, **k):
        streets, comms, centers = real(*a, **k)
        return streets, comms.iloc[1:], centers

    monkeypatch.setattr(layout, "build_layout", drop_a_community)
    with pytest.raises(districts.DistrictError, match="45 community polygons for the registry's 46"):
        districts.build(NANAO, tmp_path / "x")
    assert not (tmp_path / "x").exists()  # all or nothing


# --------------------------------------------------------------------------- the district in use


@pytest.mark.slow
def test_coverage_runs_on_any_district_and_names_it(cache, tmp_path, capsys):
    assert cli.main(["coverage", "--district", NANAO, "--out", str(tmp_path / "out"), "--json"]) == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.csv", dtype={"code": str})
    assert set(summary.loc[summary["level"] == "street", "code"]) == {"440523100", "440523101", "440523102"}
    bad = tmp_path / "far.csv"
    bad.write_text("name,tier,lon,lat\n龙湖的中心,community,116.7417,23.3956\n", encoding="utf-8")
    assert cli.main(["coverage", "--district", NANAO, "--centers", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "outside Nan'ao County" in err and "Longhu" not in err


@pytest.mark.slow
def test_titles_and_messages_follow_the_district_given(cache, tmp_path, capsys):
    from geo.render import brief_tables

    place = District.open(NANAO)
    assert place.label() == "南澳县" and place.label("en") == "Nan'ao County"
    check = registry.check_coordinates(["116.7417"], ["23.3956"], district=place.outline)
    assert "outside Nan'ao County" in str(check.issues[0].reason)
    warning = registry.crs_warning("wgs84", "gcj02", {"wgs84": 0, "gcj02": 3}, 3, place.outline)
    assert "Nan'ao County" in str(warning.reason)
    reg = place.registry
    assert "440523" in str(reg.resolve("不存在街道", "street")[1])
    assert "not in the registry of Nan'ao County's divisions" in str(reg.resolve("440507001", "street")[1])

    class Result:  # what default_title reads
        place = {"code": NANAO, "name": "南澳县"}

        class settings:  # noqa: N801
            limit_minutes = 15.0
    assert brief_tables.default_title(Result) == "南澳县15分钟党群服务圈覆盖图"
    assert District.open().label("en") == "Longhu District"  # each value names its own district
    assert cli.main(["nearest", "--district", NANAO, "--lon", "116.7417", "--lat", "23.3956"]) == 0
    assert "outside Nan'ao County" in capsys.readouterr().err


def test_no_module_hard_codes_longhu():
    """Only named constants may say Longhu: the shipped district's code and the English name
    its outline carries; everything else reads the district in use."""
    allowed = {("geo/io/districts.py", "440507"), ("geo/engine/graph.py", "EPSG:32650"),
               ("geo/io/registry.py", "EPSG:32650")}
    found = []
    files = [p for d in ("geo/io", "geo/render", "geo/engine") for p in (ROOT / d).glob("*.py")]
    files += [ROOT / "geo" / name for name in ("cli.py", "cli_common.py", "cli_lifecircle.py", "batch.py",
                                               "region.py", "__main__.py")]
    files += list((ROOT / "geo" / "jobs").glob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.value) for n in ast.walk(tree)  # docstrings: bare strings, not values
                if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                for word in ("龙湖", "Longhu", "440507", "EPSG:32650"):
                    if word in node.value and (rel, node.value) not in allowed and not _help_text(rel, node):
                        found.append(f"{rel}:{node.lineno} {node.value[:60]!r}")
    assert not found, "\n".join(found)


def _help_text(rel: str, node: ast.Constant) -> bool:
    """The command line's help may say what the default district is."""
    return rel in ("geo/cli.py", "geo/cli_common.py") and ("default" in node.value or "store" in node.value)


def test_the_layout_takes_any_utm_zone_and_cell():
    from geo.io import layout

    assert layout.cell_size(142e6) == 50.0  # Longhu keeps its 50 m cells
    assert layout.cell_size(3000e6) == 200.0  # a 3,000 km² county: at most 80,000 cells
    d = gpd.GeoDataFrame({"code": ["650102"], "name": ["天山区"]},
                         geometry=[shapely.box(87.60, 43.78, 87.66, 43.82)], crs="EPSG:4326")
    div = pd.DataFrame({"code": ["650102001", "650102001001", "650102001002"],
                        "name": ["甲街道", "乙社区居委会", "丙村委会"],
                        "level": ["street", "community", "community"],
                        "parent_code": ["650102", "650102001", "650102001"]})
    streets, comms, centers = layout.build_layout(d, div, n_stations=0)
    assert len(streets) == 1 and len(comms) == 2 and len(centers) == 4
    assert centers["id"].iat[0] == "district-650102"
    inside = shapely.contains_xy(d.geometry.iat[0], centers["lon"], centers["lat"])
    assert inside.all()


@pytest.mark.parametrize("name, kind, expected", [
    ("金平区", True, "Jinping District"), ("南澳县", True, "Nan'ao County"), ("汕头市", False, "Shantou"),
    ("朝阳区", True, "Chaoyang District"), ("连南瑶族自治县", True, "Liannan Yao Autonomous County"),
    ("广西壮族自治区", False, "Guangxi"), ("单县", True, "Shan County"),
])
def test_english_names_are_pinyin_with_the_kind_of_unit(name, kind, expected):
    assert districts.english_name(name, kind=kind) == expected


def test_the_district_label_is_the_districts_own(tmp_path):
    longhu = District.open()
    assert longhu.label("zh", full=True) == "汕头市龙湖区"
    assert longhu.label("en", full=True) == "Longhu District, Shantou"
    nanao = District.open("440523", cache=tmp_path)
    assert nanao.label("zh") == "南澳县"
    assert nanao.label("en", full=True) == "Nan'ao County, Shantou"
    assert nanao.slug == "nanao" and longhu.slug == "longhu"
    lon, lat = nanao.point
    assert shapely.Point(lon, lat).within(nanao.geometry)
    assert nanao.metric_crs == "EPSG:32650" and District.open("650102", cache=tmp_path).metric_crs == "EPSG:32645"


def test_each_district_has_its_own_store_beside_longhus(monkeypatch, tmp_path):
    from geo.io import store

    monkeypatch.setenv("LONGHU_STORE", str(tmp_path / "mine.gpkg"))
    assert store.default_path() == tmp_path / "mine.gpkg"
    assert store.default_path("440511") == tmp_path / "mine-440511.gpkg"
    assert District.open().store().path == tmp_path / "mine.gpkg"
    assert District.open("440523", cache=tmp_path).store().path == tmp_path / "mine-440523.gpkg"


def test_every_region_keeps_its_minimum_of_cells():
    from geo.io import layout

    xy = np.array([[x, y] for x in range(10) for y in range(10)], dtype=float)
    seeds = np.array([[2.0, 2.0], [7.0, 7.0], [7.2, 7.1]])  # the third seed sits inside the second's region
    labels = layout._power_partition(xy, np.ones(len(xy)), seeds, np.array([50.0, 49.9, 0.1]),
                                     minimum=np.array([1, 1, 4]))
    counts = np.bincount(labels, minlength=3)
    assert counts[2] >= 4 and counts.sum() == 100 and (counts >= 1).all()


@pytest.mark.slow
def test_a_unit_with_tiny_streets_builds(tmp_path):
    """高明区 lists two prisons, a forest farm and a tea farm as streets of one community each;
    the generated layers still hold every street and community of the registry."""
    built = districts.build("440608", tmp_path / "gaoming")
    assert (built.n_streets, built.n_communities) == (8, 81)
    streets = gpd.read_file(tmp_path / "gaoming" / "streets.geojson")
    assert "440608400" in set(streets["code"].astype(str))
