"""Files that unpack far beyond their size are refused early and cheaply, with one line naming
the file, the limit and what to do (issue 24, item 5); a valid GeoJSON within the byte limit is
read whatever the size of its one feature (item 11)."""

from __future__ import annotations

import io
import time
import tracemalloc

import openpyxl
import pyogrio
import pytest

from geo.io import sources
from geo.io.errors import DataError
from tests.hostile_files import big_polygon_geojson, xlsx_bomb


def _refusal(raw: bytes, name: str) -> tuple[str, float, float]:
    """(message, seconds, peak MB traced) of reading ``raw`` as centres."""
    tracemalloc.start()
    t = time.perf_counter()
    try:
        with pytest.raises(DataError) as err:
            sources.load_table(raw, "centers", filename=name)
        return str(err.value), time.perf_counter() - t, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _one_line(message: str, name: str) -> None:
    assert "\n" not in message and message.startswith(f"{name}: ")
    assert "split the sheet" in message and "keep only the columns needed" in message


def test_the_issues_xlsx_bomb_is_refused_in_a_moment_from_its_directory():
    raw = xlsx_bomb()  # 24,000 x 499 cells: ~440 MB of XML, within the old 10 x 50 MB ratio
    assert len(raw) < 5e6
    message, seconds, peak = _refusal(raw, "bomb.xlsx")
    _one_line(message, "bomb.xlsx")
    assert f"over the {sources.MAX_XML_BYTES / 1e6:.0f} MB limit" in message
    assert seconds < 3 and peak < 64  # was 298 s and 1.15 GB


def test_cells_are_counted_before_the_sheet_is_parsed():
    raw = xlsx_bomb(rows=5_000, cell=b"<c><v>1</v></c>")  # 2.5 M cells in 37 MB of XML: under the byte limit
    message, seconds, peak = _refusal(raw, "cells.xlsx")
    _one_line(message, "cells.xlsx")
    assert f"more than {sources.MAX_CELLS:,} cells" in message
    assert seconds < 3 and peak < 64


def test_reading_stops_at_the_first_cell_over_the_limit_padding_included(monkeypatch):
    """One cell per row, in column SE (499): the XML holds 3,000 cells, openpyxl gives 499 a row."""
    raw = xlsx_bomb(rows=3_000, cols=1, cell=b'<c r="SE1"><v>1</v></c>')
    monkeypatch.setattr(sources, "MAX_CELLS", 100_000)
    t = time.perf_counter()
    with pytest.raises(DataError, match=r"^pad\.xlsx: the sheet holds more than 100,000 cells"):
        sources.read_plain(raw, "pad.xlsx")
    assert time.perf_counter() - t < 3


def _sheet(rows: int, cols: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("centres")
    ws.append(["name", "tier", "lon", "lat"] + [f"extra{j}" for j in range(cols - 4)])
    for i in range(rows):
        ws.append([f"站{i}", "station", 116.7 + i / 1e6, 23.4] + [i * j for j in range(cols - 4)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_normal_sheet_of_10000_rows_and_10_columns_still_reads(monkeypatch):
    raw = _sheet(10_000, 10)
    t = time.perf_counter()
    name, df = sources.read_plain(raw, "normal.xlsx")
    assert time.perf_counter() - t < 10
    assert df.shape == (10_000, 10) and df.iloc[-1]["name"] == "站9999" and df.index[-1] == 10_001
    monkeypatch.setattr(sources, "MAX_XML_BYTES", 100_000)  # the limits are the reader's, read per call
    with pytest.raises(DataError, match=r"^normal\.xlsx: the workbook unpacks to \d+ MB of XML, over the 0 MB"):
        sources.read_plain(raw, "normal.xlsx")


def _polygon(raw: bytes, name: str, max_bytes: int = sources.MAX_BYTES):
    src = sources.read_source(raw, name, max_bytes)
    return sources.vector_frame(src, None, sources.MAX_ROWS, max_bytes, [])


def test_gdals_object_limit_is_lifted_for_the_read_and_put_back():
    """GDAL's default (200 MB of parsed objects) refuses one polygon from ~37 MB of text (below);
    here a GDAL set to 10 MB refuses a 3 MB polygon unless the reader lifts the limit."""
    raw = big_polygon_geojson(3)
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": "10"})
    try:
        gdf = _polygon(raw, "big.geojson")
        assert pyogrio.get_gdal_config_option("OGR_GEOJSON_MAX_OBJ_SIZE") == 10  # as it was (read back as a number)
    finally:
        pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": None})
    assert len(gdf) == 1 and gdf.geometry.iloc[0].geom_type == "Polygon" and gdf["name"].iloc[0] == "大区"
    assert len(gdf.geometry.iloc[0].exterior.coords) > 90_000


def test_a_geojson_over_the_byte_limit_gets_our_line_not_gdals_hint():
    raw = big_polygon_geojson(3)
    with pytest.raises(DataError) as err:
        _polygon(raw, "big.geojson", max_bytes=len(raw) - 1)
    message = str(err.value)
    assert message.startswith("big.geojson: the file is ") and "over the" in message and "\n" not in message
    assert "OGR_" not in message and "GDAL" not in message


@pytest.mark.slow
def test_the_issues_37_mb_boundary_geojson_reads():
    """~5 s and ~800 MB: GDAL holds the parsed polygon as JSON objects, ~20 times its text."""
    raw = big_polygon_geojson(37)
    assert 35e6 < len(raw) < sources.MAX_BYTES
    gdf = _polygon(raw, "boundary.geojson")
    assert len(gdf) == 1 and len(gdf.geometry.iloc[0].exterior.coords) > 1_000_000
