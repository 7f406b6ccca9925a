"""The 导出 panel: every layer in use and the current results, as one GeoPackage or a zip of
GeoJSON, CSV or XLSX files (written by :func:`geo.io.tables.export_layers`)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.app.data_common import LAYER_NAMES, ss
from geo.app.state import choice
from geo.app.text import md, minutes_text, tr
from geo.engine import coverage as cv
from geo.io import tables
from geo.io.district import Layers
from geo.io.errors import DataError
from geo.jobs.coverage import CoverageJob
from geo.locale import LANGS, number
from geo.render.words import notice_text

FORMATS = ("geojson", "gpkg", "csv", "xlsx")


def export_frames(layers: Layers, result: cv.CoverageResult | None, fmt: str) -> dict[str, pd.DataFrame]:
    """The layers in use and the results, as the tables/layers to write (WGS-84): the same layers as
    ``python -m geo export`` (for GeoJSON and GeoPackage the figures are on the street and community
    polygons, for CSV and XLSX they are also one ``summary`` table)."""
    if result is None:
        return {name: getattr(layers, name) for name in LAYER_NAMES}
    job = CoverageJob(layers, result.settings)  # the export's layers as the command line writes them
    frames = job.layers_out(result)
    frames["centers"] = layers.centers.assign(data_status=job.status)  # every centre, not only the tiers analysed
    if fmt in ("geojson", "gpkg"):
        frames.pop("summary")
    return frames


def export_bundle(layers: Layers, result: cv.CoverageResult | None, fmt: str) -> tuple[str, bytes, str]:
    """``(file name, bytes, MIME type)``: one GeoPackage, or a zip of one file per layer."""
    frames = export_frames(layers, result, fmt)
    place = layers.place
    stem = place.slug
    with tempfile.TemporaryDirectory(prefix="longhu-export-") as tmp:
        paths = tables.export_layers(frames, Path(tmp), fmt)
        if fmt == "gpkg":
            return f"{stem}_layers.gpkg", paths[0].read_bytes(), "application/geopackage+sqlite3"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
            z.writestr("README.txt", "\n\n".join(readme(layers, result, lang) for lang in LANGS) + "\n")
        return f"{stem}_{fmt}.zip", buf.getvalue(), "application/zip"


def readme(layers: Layers, result: cv.CoverageResult | None, lang: str) -> str:
    """The export's README in ``lang`` (the zip has one for readers of either language; the
    settings' codes are the values of the files' columns, the same in both)."""
    lines = [tr("title", lang, place=layers.place), tr("data.rm_crs", lang)]
    if result is not None:
        s = result.settings
        lines.append(tr("data.rm_settings", lang, minutes=minutes_text(s.minutes, lang),
                        speed=number(s.speed_kmh, lang), mode=s.mode, tiers=",".join(s.tiers)))
    if layers.illustrative:
        lines.append(notice_text(lang))
    return "\n".join(lines)


def export_section(layers: Layers, result: cv.CoverageResult | None, lang: str) -> None:
    """Choose a format, make the file, download it."""
    st.caption(tr("data.ex_hint", lang))
    fmt = choice(st.radio, tr("data.ex_fmt", lang), FORMATS, "ex_fmt", lang, horizontal=True,
                  format_func=lambda f, lang=lang: tr(f"data.f_{f}", lang))
    stamp = (layers.token, repr(result.settings) if result is not None else None, fmt)
    if st.button(tr("data.ex_make", lang), key="ex_make"):
        try:
            ss["data_export"] = (stamp, *export_bundle(layers, result, fmt))
        except (DataError, OSError, ValueError) as exc:
            st.error(tr("data.error_export", lang, msg=md(exc)))
    made = ss.get("data_export")
    if made and made[0] == stamp:
        _, name, payload, mime = made
        st.download_button(tr("data.ex_download", lang, name=name), payload, name, mime, key="ex_download",
                           on_click="ignore", type="primary")
