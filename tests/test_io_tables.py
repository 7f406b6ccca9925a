"""One road out: every table the project writes goes through geo.io.tables, which neutralises
formula-leading text (OWASP "CSV injection") and writes multi-file outputs all or nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import cli
from geo.engine import coverage as cv
from geo.io import centers, data, results, tables
from geo.io.cells import guard_formula, unguard_formula
from geo.io.errors import DataError

ROOT = data.ROOT
LINK = '=HYPERLINK("http://x","y")'
SUM = "+SUM(1,2)"
AT = "@cmd"


def _formula_cells(wb: openpyxl.Workbook) -> list[str]:
    return [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.data_type == "f"]


def _texts(wb: openpyxl.Workbook) -> set:
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


@pytest.fixture(scope="module")
def shipped_result(shipped_layers) -> cv.CoverageResult:
    L = shipped_layers
    return cv.analyse(L["district"], L["streets"], L["communities"], L["centers"], cv.Settings())


@pytest.fixture(scope="module")
def poisoned(shipped_layers) -> cv.CoverageResult:
    """The shipped analysis with a street, a community and a centre named like formulas."""
    streets, communities = shipped_layers["streets"].copy(), shipped_layers["communities"].copy()
    streets.loc[0, "name"] = LINK
    communities.loc[0, "name"] = SUM
    c = shipped_layers["centers"].copy()
    c.loc[0, "name"] = AT
    return cv.analyse(shipped_layers["district"], streets, communities, c, cv.Settings())


# --------------------------------------------------------------------------- the guard


@pytest.mark.parametrize("text", ["=x", "+x", "-x", "@x", "\tx", "\rx", "'=x", "''+1", "'-3.5", "'abc",
                                  "-3.5", "+2", "1e5", "ok", "", "'", "=", "-"])
def test_guard_round_trips_exactly(text):
    assert unguard_formula(guard_formula(text)) == text


def test_guard_rules():
    assert guard_formula("=1+1") == "'=1+1" and guard_formula("-x") == "'-x"
    assert guard_formula("-3.5") == "-3.5" and guard_formula("+86") == "+86"  # numbers stay numbers
    assert guard_formula("'=x") == "''=x"  # else the reader would strip the user's own apostrophe
    assert guard_formula("'abc") == "'abc" and guard_formula("a=b") == "a=b"


def test_csv_writer_guards_text_and_keeps_numbers(tmp_path):
    df = pd.DataFrame({"name": [LINK, "-2", "@x", "'=y", "ok", None], "v": [-3.5, 2, 3, 4, 5, 6],
                       "=head": ["a", "b", "c", "d", "e", "f"]})
    p = tables.write_csv(df, tmp_path / "t.csv")
    text = p.read_text(encoding="utf-8-sig")
    assert p.read_bytes().startswith("\ufeff".encode())
    lines = text.splitlines()
    assert lines[0] == "name,v,'=head"
    assert lines[1].startswith("\"'=HYPERLINK(") and "\n-2,2.0,b\n" in text
    assert "\n'@x,3.0," in text and "\n''=y,4.0," in text and "\n,6.0,f" in text and ",-3.5," in text
    assert tables.csv_bytes(df) == p.read_bytes()


def test_xlsx_cells_are_never_formulas(tmp_path):
    df = pd.DataFrame({"name": [LINK, "-x", "'=y", "ok"], "v": [-3.5, 1, 2, None], "code": ["0101"] * 4})
    p = tables.write_xlsx({"表一": df, "=sheet": df.head(1)}, tmp_path / "t.xlsx", notes=["第一条", "second"])
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["表一", "=sheet", "说明"]
    assert _formula_cells(wb) == []
    ws = wb["表一"]
    assert [c.value for c in ws["A"]] == ["name", LINK, "-x", "'=y", "ok"]  # values unchanged
    assert ws["A2"].quotePrefix and ws["A3"].quotePrefix and not ws["A5"].quotePrefix
    assert [c.value for c in ws["B"]][1:] == [-3.5, 1, 2, None] and ws["C2"].value == "0101"
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    assert [c.value for c in wb["说明"]["A"]][1:] == ["第一条", "second"]
    again = openpyxl.load_workbook(io.BytesIO(tables.xlsx_bytes({"表一": df, "=sheet": df.head(1)},
                                                                notes=["第一条", "second"])))
    assert [[c.value for c in r] for r in again["表一"].iter_rows()] == [[c.value for c in r] for r in ws.iter_rows()]


def test_xlsx_replaces_what_xml_cannot_hold_and_still_writes(tmp_path):
    p = tables.write_xlsx({"t": pd.DataFrame({"name": ["ok", "bad\x01", "a\x00b", "x\r\ny\rz"]})}, tmp_path / "t.xlsx")
    assert [c.value for c in openpyxl.load_workbook(p)["t"]["A"]] == ["name", "ok", "bad\ufffd", "a\ufffdb", "x\ny\nz"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_names_survive_export_and_import_exactly(tmp_path, fmt, longhu):
    c = longhu.shipped("centers").iloc[:7].copy()
    names = ["'=x", "=x", "''+1", "'-3.5", "-3.5", "'abc", "@'=z"]
    c["name"] = names
    p = tables.export_layer(c, tmp_path / f"centres.{fmt}")
    back = centers.import_centers(p, district=longhu)
    assert back.ok, back.problems
    assert list(back.valid["name"]) == names
    again = tables.export_layer(back.valid, tmp_path / f"again.{fmt}")
    assert list(centers.import_centers(again, district=longhu).valid["name"]) == names


# --------------------------------------------------------------------------- every writer takes the road


def test_briefing_xlsx_has_no_formulas(poisoned, tmp_path):
    from geo.render import brief

    p = brief.export(poisoned, "xlsx", tmp_path / "b.xlsx", title="=TITLE()")
    wb = openpyxl.load_workbook(p)
    assert _formula_cells(wb) == []
    assert {LINK, SUM, "=TITLE()"} <= _texts(wb)
    assert [c.value for c in wb["街道"][1]][:2] == ["街道代码", "街道"] and wb["街道"].freeze_panes == "A2"


def test_app_downloads_have_no_formulas(poisoned):
    from geo.app import tables as app_tables

    files = app_tables.export_bytes(("poisoned-downloads",), "zh", "catchments", True, poisoned, None)
    csvs = "".join(files[k].decode("utf-8-sig") for k in files if k.startswith("csv_"))
    assert "'=HYPERLINK" in csvs and "'+SUM(1,2)" in csvs and "'@cmd" in csvs
    assert not re.search(r"(^|,)[=+@]", csvs, re.MULTILINE)
    wb = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    assert _formula_cells(wb) == [] and {LINK, SUM, AT} <= _texts(wb)


def test_coverage_summary_csv_is_guarded(poisoned, tmp_path):
    results.write_coverage(poisoned, tmp_path, "user")
    text = (tmp_path / "summary.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+SUM(1,2)" in text and "\n=" not in text
    assert {p.name for p in tmp_path.iterdir()} == {"coverage.geojson", "gaps.geojson", "summary.csv"}


def test_plan_sites_csv_is_guarded_and_written_outside_the_engine(tmp_path):
    from geo.engine import siting

    assert not hasattr(siting, "write_plan")  # the engine writes no files
    pts = gpd.points_from_xy([116.73, 116.74], [23.37, 23.38])
    sites = gpd.GeoDataFrame({"rank": [1, 2], "lon": [116.73, 116.74], "lat": [23.37, 23.38],
                              "added_demand": [10.04, 5.0], "source": ["candidate", "grid"],
                              "name": [LINK, "-3.5"]}, geometry=pts, crs="EPSG:4326")
    areas = gpd.GeoDataFrame({"kind": ["added", "added"], "area_m2": [1.04, 2.0]},
                             geometry=pts.buffer(0.001), crs="EPSG:4326")
    plan = SimpleNamespace(sites=sites, areas=areas, settings=cv.Settings())
    results.write_plan(plan, tmp_path, "user")
    text = (tmp_path / "sites.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",-3.5," in text and ",10.0," in text
    assert {p.name for p in tmp_path.iterdir()} == {"sites.geojson", "sites.csv", "coverage_after.geojson"}


def _code(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_no_table_is_written_outside_the_table_writer():
    sources = [p for p in (ROOT / "geo").rglob("*.py")] + [ROOT / "app.py"]
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in sources if p.name != "tables.py" or p.parent.name != "io"
                 for m in re.findall(r"\.to_csv\(|\.to_excel\(|Workbook\(|ExcelWriter\(", _code(p))]
    assert offenders == []


# --------------------------------------------------------------------------- export: all formats, all files


def test_a_failing_export_leaves_nothing(tmp_path, monkeypatch, shipped_layers):
    streets = shipped_layers["streets"]
    table = pd.DataFrame({"code": ["1"], "covered_pct": [5.0]})
    folder = tmp_path / "out"
    with pytest.raises(DataError, match="summary.*no geometry"):
        tables.export_layers({"streets": streets, "summary": table}, folder, "geojson")
    assert list(tmp_path.iterdir()) == []
    folder.mkdir()
    (folder / "streets.geojson").write_text("previous")
    calls = []

    def boom(gdf, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(gdf, path)

    real = tables.write_geojson
    monkeypatch.setattr(tables, "write_geojson", boom)
    with pytest.raises(OSError):
        tables.export_layers({"streets": streets, "more": streets}, folder, "geojson")
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert [p.name for p in folder.iterdir()] == ["streets.geojson"]
    assert (folder / "streets.geojson").read_text() == "previous"


@pytest.fixture
def cached_analysis(monkeypatch, shipped_result):
    """The CLI's analysis of the shipped data, computed once for the module."""
    monkeypatch.setattr(cv, "analyse", lambda *a, **k: shipped_result)


LAYER_FILES = {
    "geojson": {"streets.geojson", "communities.geojson", "centers.geojson", "coverage.geojson",
                "gaps.geojson"},
    "gpkg": {"layers.gpkg"},
    "csv": {"streets.csv", "communities.csv", "centers.csv", "coverage.csv", "gaps.csv", "summary.csv"},
}


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv"])
def test_export_layers_writes_everything(cached_analysis, tmp_path, fmt, capsys):
    out = tmp_path / "out"
    assert cli.main(["export", "--format", fmt, "--out", str(out)]) == 0, capsys.readouterr().err
    assert {p.name for p in out.iterdir()} == LAYER_FILES[fmt]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind
    if fmt == "csv":
        assert len(pd.read_csv(out / "summary.csv", encoding="utf-8-sig")) == 135
        return
    for name, n in (("streets", 10), ("communities", 125)):
        gdf = (gpd.read_file(out / f"{name}.geojson") if fmt == "geojson"
               else gpd.read_file(out / "layers.gpkg", layer=name))
        assert len(gdf) == n and gdf["covered_pct"].between(0, 100).all()
        assert {"area_km2", "covered_km2", "data_status"} <= set(gdf.columns)
    if fmt == "gpkg":
        names = {n for n, _ in pyogrio.list_layers(out / "layers.gpkg")}
        assert names == {"streets", "communities", "centers", "coverage", "gaps"}


def test_export_xlsx_in_process(cached_analysis, tmp_path, capsys):
    out = tmp_path / "t.xlsx"
    assert cli.main(["export", "--format", "xlsx", "--out", str(out), "--lang", "zh"]) == 0, capsys.readouterr().err
    assert openpyxl.load_workbook(out).sheetnames == ["街道", "村（社区）", "空白区域", "说明"]


@pytest.mark.slow
@pytest.mark.parametrize("fmt, suffix", [("html", ".html"), ("png", ".png"), ("pdf", ".pdf"),
                                         ("brief", ".pdf")])
def test_export_rendered_formats_in_process(cached_analysis, tmp_path, fmt, suffix, capsys):
    out = tmp_path / f"out{suffix}"
    assert cli.main(["export", "--format", fmt, "--out", str(out)]) == 0, capsys.readouterr().err
    assert out.stat().st_size > 1000 and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_the_cli_reference_says_where_the_summary_figures_go():
    text = _code(ROOT / "docs" / "cli.md")
    assert re.search(r"geojson.*gpkg.*covered_pct|covered_pct.*geojson.*gpkg", text, re.IGNORECASE)


# --------------------------------------------------------------------------- layers exported (moved from test_importer)


@pytest.mark.parametrize("fmt", tables.FORMATS)
def test_export_round_trip(tmp_path, shipped_layers, fmt, longhu):
    c = shipped_layers["centers"].iloc[:8].copy()
    c.loc[c.index[1], "name"] = '=HYPERLINK("http://x","点我")'
    c.loc[c.index[2], "name"] = "<img src=x onerror=alert(1)>"
    p = tables.export_layer(c, tmp_path / f"centres.{fmt}")
    assert p.exists() and not [f for f in tmp_path.iterdir() if f.name.startswith(".")]
    back = centers.import_centers(p, district=longhu)
    assert back.ok, back.problems
    assert list(back.valid["name"]) == list(c["name"])  # text, formula-looking or not, round-trips
    np.testing.assert_allclose(back.valid["lon"], c["lon"], atol=1e-7)
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(p)["centres"]
        assert ws.cell(row=3, column=2).data_type == "s"  # a string, never a formula
        assert load_workbook(p).sheetnames == ["centres", "说明"]  # illustrative notice


def test_csv_export_guards_formulas(tmp_path):
    df = pd.DataFrame({"name": ["=1+1", "-2", "@x", "ok"], "v": [1, 2, 3, 4]})
    tables.export_layer(df, tmp_path / "t.csv")
    text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and "\n-2," in text and "'@x" in text


def test_export_polygons_and_tables(tmp_path, shipped_layers):
    tables.export_layer(shipped_layers["communities"], tmp_path / "c.csv")
    back = pd.read_csv(tmp_path / "c.csv", dtype=str)
    g = shapely.from_wkt(back["geometry_wkt"].to_numpy())
    assert shapely.equals_exact(g, np.asarray(shipped_layers["communities"].geometry.values), 1e-6).all()
    tables.export_layer(shipped_layers["communities"], tmp_path / "c.xlsx")
    summary = pd.DataFrame({"code": ["440507001"], "covered_pct": [81.5]})
    tables.export_layer(summary, tmp_path / "s.xlsx")
    assert pd.read_excel(tmp_path / "s.xlsx", dtype={"code": str})["code"].iat[0] == "440507001"
    with pytest.raises(DataError, match="no geometry"):
        tables.export_layer(summary, tmp_path / "s.geojson")
    paths = tables.export_layers(
        {"streets": shipped_layers["streets"], "centers": shipped_layers["centers"]}, tmp_path / "out", "gpkg"
    )
    assert [n for n, _ in pyogrio.list_layers(paths[0])] == ["streets", "centers"]


def test_export_is_atomic(tmp_path, shipped_layers, monkeypatch):
    target = tmp_path / "c.xlsx"
    target.write_bytes(b"previous")
    import openpyxl.workbook.workbook as wbmod

    def boom(self, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(wbmod.Workbook, "save", boom)
    with pytest.raises(OSError):
        tables.export_layer(shipped_layers["centers"], target)
    assert target.read_bytes() == b"previous" and [f.name for f in tmp_path.iterdir()] == ["c.xlsx"]


def test_export_refuses_text_too_long_for_excel(tmp_path):
    df = pd.DataFrame({"note": ["x" * 40000]})
    with pytest.raises(DataError, match="does not fit an Excel cell"):
        tables.export_layer(df, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()
