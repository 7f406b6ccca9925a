"""Hostile files made in well under a second: an XLSX whose sheet unpacks far beyond its size
(issue 24: 24,000 x 499 small cells, ~480 MB of XML in a few MB of zip) and a GeoJSON of one
big polygon. Used by tests/test_hostile_files.py and benchmarks/bench_hostile_files.py."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<workbook {_NS} xmlns:r="{_REL}"><sheets><sheet name="t" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def xlsx_bomb(rows: int = 24_000, cols: int = 499, cell: bytes = b'<c t="n" s="0"><v>12345678.25</v></c>') -> bytes:
    """A valid one-sheet workbook of ``rows`` x ``cols`` numeric cells and no ``<dimension>``
    (openpyxl then reads the whole sheet just to open it). The default is the issue's file:
    ~480 MB of XML."""
    buf = io.BytesIO()
    row = b"<row>" + cell * cols + b"</row>"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in _PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>'.encode())
            block = row * 1000
            for _ in range(rows // 1000):
                f.write(block)
            f.write(row * (rows % 1000))
            f.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def big_polygon_geojson(megabytes: float, name: str = "大区") -> bytes:
    """A valid GeoJSON FeatureCollection of one polygon (a circle near Shantou) of about
    ``megabytes`` MB: one feature larger than GDAL's default per-object limit can hold."""
    n = int(megabytes * 1e6 / 30.8)  # ~30.8 bytes of text a point
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.round(np.column_stack([116.7 + 0.05 * np.cos(angle), 23.4 + 0.05 * np.sin(angle)]), 9).tolist()
    ring.append(ring[0])
    feature = {"type": "Feature", "properties": {"name": name, "code": "440507001"},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False).encode()
