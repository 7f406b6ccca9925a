"""Every table writer of geo.io.tables, fed random text, reads back unchanged under the ordinary
readers (pandas.read_csv, openpyxl, geopandas) -- same rows, same values -- except for the
documented neutralisation (module notes of :mod:`geo.io.tables`):

* CSV: formula-leading text gets a leading ``'`` (:func:`geo.io.cells.unguard_formula` undoes
  it exactly), NUL becomes U+FFFD; no cell read back starts a formula.
* XLSX: values unchanged but CR/CRLF -> LF and XML-illegal characters (NUL, C0 controls but tab
  and LF, U+FFFE/U+FFFF) -> U+FFFD; an empty text cell reads back empty; formula-looking text
  is a string cell with Excel's quote prefix, never a formula.
* GeoJSON, GeoPackage: NUL becomes U+FFFD.

Every other writer of user tables (results, lifecircle, region, the app's downloads, the brief's
workbook, the district cache) calls one of these; none calls to_csv/to_excel/openpyxl itself
(checked below).
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.io import centers, data, tables
from geo.io.cells import NUMBER, unguard_formula

REPLACEMENT = "\ufffd"
SPECIAL = ["\x00", "\r", "\n", "\r\n", "\t", "=", "+", "-", "@", "'", '"', ",", ";", " ", "\u202e", "\u200f",
           "中", "区", "😀", "\x01", "\x0b", "\x1f", "\x7f", "\x85", "\u2028", "\ufeff", "\ufffe", "1", ".", "e"]
CHARS = st.one_of(st.sampled_from(SPECIAL), st.characters(exclude_categories=("Cs",)))
TEXT = st.lists(CHARS, max_size=10).map("".join)
NAMES = st.lists(TEXT, min_size=1, max_size=8)
FUZZ = settings(max_examples=int(os.environ.get("GEO_FUZZ_EXAMPLES", "40")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
LEADER = re.compile(r"[=+\-@\t\r]")


def _frame(names: list[str], header: str = "name") -> gpd.GeoDataFrame:
    n = len(names)
    return gpd.GeoDataFrame({header: names, "tag": names[::-1]},
                            geometry=gpd.points_from_xy([116.7 + i / 1e3 for i in range(n)], [23.4] * n),
                            crs="EPSG:4326")


def _starts_formula(cell: str) -> bool:
    """What a spreadsheet would run: a leader, unless the cell is a number such as -3.5."""
    return bool(LEADER.match(cell)) and not NUMBER.match(cell)


def _xlsx_expected(v: str) -> str:
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", REPLACEMENT, re.sub("\r\n?", "\n", v))


CSV_WRITERS = {
    "csv_bytes": lambda df, tmp: tables.csv_bytes(df),
    "write_csv": lambda df, tmp: tables.write_csv(df, tmp / "t.csv").read_bytes(),
    "export_layer": lambda df, tmp: tables.export_layer(df, tmp / "t.csv").read_bytes(),
    "export_layers": lambda df, tmp: tables.export_layers({"t": df}, tmp / "out", "csv")[0].read_bytes(),
}
XLSX_WRITERS = {
    "xlsx_bytes": lambda df, tmp: tables.xlsx_bytes({"t": df}, notes=list(df.iloc[:, 0])),
    "write_xlsx": lambda df, tmp: tables.write_xlsx({"t": df}, tmp / "t.xlsx", notes=["n"]).read_bytes(),
    "export_layer": lambda df, tmp: tables.export_layer(df, tmp / "t.xlsx").read_bytes(),
    "export_layers": lambda df, tmp: tables.export_layers({"t": df}, tmp / "out", "xlsx")[0].read_bytes(),
}
VECTOR_WRITERS = {
    "write_geojson": lambda df, tmp: tables.write_geojson(df, tmp / "t.geojson"),
    "write_gpkg": lambda df, tmp: tables.write_gpkg({"t": df}, tmp / "t.gpkg"),
    "export_layer geojson": lambda df, tmp: tables.export_layer(df, tmp / "t.geojson"),
    "export_layer gpkg": lambda df, tmp: tables.export_layer(df, tmp / "t.gpkg"),
    "export_layers geojson": lambda df, tmp: tables.export_layers({"t": df}, tmp / "out", "geojson")[0],
    "export_layers gpkg": lambda df, tmp: tables.export_layers({"t": df}, tmp / "out", "gpkg")[0],
}


def _check_csv(raw: bytes, header: str, names: list[str]) -> None:
    text = raw.decode("utf-8-sig")
    back = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    assert len(back) == len(names)  # a line break inside a cell never starts a row
    assert [unguard_formula(c) for c in back.columns] == [header.replace("\x00", REPLACEMENT), "tag", "lon", "lat"]
    assert [unguard_formula(c) for c in back.iloc[:, 0]] == [v.replace("\x00", REPLACEMENT) for v in names]
    cells = [c for rec in csv.reader(io.StringIO(text, newline="")) for c in rec]
    assert len(cells) == 4 * (len(names) + 1)  # the plain csv module agrees: no cell split or merged
    assert not [c for c in cells if _starts_formula(c)]


@FUZZ
@given(names=NAMES, header=TEXT.filter(lambda h: h.strip() not in ("", "tag", "lon", "lat")),
       writer=st.sampled_from(sorted(CSV_WRITERS)))
def test_every_csv_writer_reads_back_unchanged_and_never_starts_a_formula(names, header, writer):
    with tempfile.TemporaryDirectory() as tmp:
        raw = CSV_WRITERS[writer](_frame(names, header), Path(tmp))
    _check_csv(raw, header, names)


@FUZZ
@given(names=NAMES, writer=st.sampled_from(sorted(XLSX_WRITERS)))
def test_every_xlsx_writer_reads_back_unchanged_and_holds_no_formula(names, writer):
    with tempfile.TemporaryDirectory() as tmp:
        raw = XLSX_WRITERS[writer](_frame(names), Path(tmp))
    ws = openpyxl.load_workbook(io.BytesIO(raw)).worksheets[0]
    rows = list(ws.iter_rows())
    assert len(rows) == len(names) + 1
    assert [c.value or "" for c in ws["A"]][1:] == [_xlsx_expected(v) for v in names]
    for cell in (c for row in rows for c in row):
        assert cell.data_type != "f"
        if isinstance(cell.value, str) and _starts_formula(cell.value):
            assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert list(pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False).iloc[:, 0]) == [
        _xlsx_expected(v) for v in names]


@FUZZ
@given(names=NAMES, writer=st.sampled_from(sorted(VECTOR_WRITERS)))
def test_every_geojson_and_geopackage_writer_reads_back_unchanged(names, writer):
    with tempfile.TemporaryDirectory() as tmp:
        back = gpd.read_file(VECTOR_WRITERS[writer](_frame(names), Path(tmp)))
    assert len(back) == len(names)
    assert list(back["name"].fillna("")) == [v.replace("\x00", REPLACEMENT) for v in names]
    assert list(back["tag"].fillna("")) == [v.replace("\x00", REPLACEMENT) for v in names[::-1]]


def test_a_name_with_a_carriage_return_keeps_172_centres_172_rows(tmp_path, longhu):
    """The issue's case: one centre named '"x<CR>@SUM(1+1)' made the export read back as 173 rows,
    one starting '@SUM(1+1)'."""
    c = longhu.shipped("centers").copy()
    c.loc[c.index[5], "name"] = '"x\r@SUM(1+1)'
    c.loc[c.index[6], "name"] = "y\r=2+2"
    p = tables.export_layer(c, tmp_path / "centres.csv")
    back = pd.read_csv(p, dtype=str, keep_default_na=False)
    assert len(back) == len(c) == 172
    assert list(back["name"])[5:7] == ['"x\r@SUM(1+1)', "y\r=2+2"]
    assert not any(_starts_formula(v) for v in back["name"])
    assert len(centers.import_centers(p, district=longhu).valid) == 172  # and our own reader agrees


def test_the_unmatched_table_cannot_start_a_row_with_a_formula(tmp_path):
    raw = tables.write_csv(pd.DataFrame({"row": [2, 3], "name": ["a\n=2+2", "b\r+1"]}), tmp_path / "u.csv")
    rows = list(csv.reader(io.StringIO(raw.read_bytes().decode("utf-8-sig"), newline="")))
    assert rows == [["row", "name"], ["2", "a\n=2+2"], ["3", "b\r+1"]]


def test_xlsx_still_refuses_text_longer_than_a_cell(tmp_path):
    with pytest.raises(tables.DataError, match=r"row 3, column name.*32,767"):
        tables.write_xlsx({"t": pd.DataFrame({"name": ["ok", "x" * 40_000]})}, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_no_module_writes_a_table_but_geo_io_tables():
    writers = re.compile(r"\.to_csv\(|\.to_excel\(|openpyxl\.Workbook|from openpyxl import Workbook|\.to_file\(")
    found = [str(p.relative_to(data.ROOT)) for p in (data.ROOT / "geo").rglob("*.py")
             if writers.search(p.read_text(encoding="utf-8"))]
    assert found == ["geo/io/tables.py"]
