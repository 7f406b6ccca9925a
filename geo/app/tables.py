"""The planner's tables: coverage per street and community, the gap list, the catchments, the
nearest centres; their CSV/XLSX downloads; and the tables section of the planner screen.

Column names are in the page's language (:mod:`geo.app.text`); the figures come straight
from a :class:`geo.engine.coverage.CoverageResult`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.app.cache import catchments, gap_info
from geo.app.page import section
from geo.app.text import minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import nearest
from geo.engine.graph import WalkGraph
from geo.io import tables as io_tables
from geo.io.district import District
from geo.locale import number, percent
from geo.render.safe_html import html_table
from geo.render.words import notice_text


def _pct(v: float) -> float:
    return round(float(v), 1)


def street_table(result: cv.CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """Per-street coverage, lowest covered share first (column names in the page language)."""
    s = result.summary[result.summary["level"] == "street"]
    out = pd.DataFrame({
        "name": s["name"].to_numpy(), "code": s["code"].to_numpy(),
        "area": s["area_km2"].round(3).to_numpy(), "covered": s["covered_km2"].round(3).to_numpy(),
        "pct": s["covered_pct"].map(_pct).to_numpy(),
    })
    out = out.sort_values(["pct", "name"], kind="stable").reset_index(drop=True)
    return out.rename(columns=_headers(lang, street=True))


def community_table(result: cv.CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """Per-community coverage with its street, lowest covered share first."""
    s = result.summary[result.summary["level"] == "community"]
    street_names = result.streets.set_index("code")["name"]
    out = pd.DataFrame({
        "name": s["name"].to_numpy(), "street": s["street_code"].map(street_names).fillna("").to_numpy(),
        "code": s["code"].to_numpy(),
        "area": s["area_km2"].round(3).to_numpy(), "covered": s["covered_km2"].round(3).to_numpy(),
        "pct": s["covered_pct"].map(_pct).to_numpy(),
    })
    out = out.sort_values(["pct", "name"], kind="stable").reset_index(drop=True)
    return out.rename(columns=_headers(lang))


def _headers(lang: str, street: bool = False) -> dict[str, str]:
    return {"name": tr("col_street" if street else "col_community", lang), "street": tr("col_in_street", lang),
            "code": tr("col_code", lang), "area": tr("col_area", lang), "covered": tr("col_covered", lang),
            "pct": tr("col_pct", lang)}


def pct_column(lang: str) -> str:
    """Header of the covered-share column."""
    return tr("col_pct", lang)


def gap_table(info: pd.DataFrame, lang: str = "zh", text: bool = False) -> pd.DataFrame:
    """The gap list: number, area (ha), communities and streets touched (names joined in the
    page's language). ``text``: every cell as shown (a static table beside the map)."""
    sep = tr("list_sep", lang)
    area = (info["area_m2"] / 1e4).round(1)
    return pd.DataFrame({
        tr("col_gap_no", lang): info["gap_id"].astype(int).to_numpy(),
        tr("col_gap_ha", lang): [f"{a:,.1f}" for a in area] if text else area.to_numpy(),
        tr("col_gap_comms", lang): info["communities"].astype(str).str.replace("、", sep, regex=False).to_numpy(),
        tr("col_gap_streets", lang): info["streets"].astype(str).str.replace("、", sep, regex=False).to_numpy(),
    })


def catchment_table(catch: gpd.GeoDataFrame, lang: str = "zh") -> pd.DataFrame:
    """Area served by each centre (largest first)."""
    out = pd.DataFrame({
        tr("col_centre", lang): catch["name"].to_numpy(),
        tr("col_tier", lang): [tier_label(t, lang) for t in catch["tier"]],
        tr("col_served", lang): catch["area_km2"].round(3).to_numpy(),
    })
    return out.sort_values(out.columns[2], ascending=False, kind="stable").reset_index(drop=True)


def nearest_table(res: nearest.NearestResult, lang: str = "zh") -> pd.DataFrame:
    """The k nearest centres: name, tier, walking distance (m) and time (min)."""
    t = res.table
    return pd.DataFrame({
        tr("col_centre", lang): t["name"].to_numpy(),
        tr("col_tier", lang): [tier_label(x, lang) for x in t["tier"]],
        tr("col_distance", lang): t["distance_m"].round(0).astype(int).to_numpy() if len(t) else np.array([], int),
        tr("col_walk", lang): t["minutes"].round(1).to_numpy(),
    })


# --------------------------------------------------------------------------- downloads


def with_note(df: pd.DataFrame, illustrative: bool, lang: str = "zh") -> pd.DataFrame:
    """A copy for export that says, on every row, when the layout is illustrative."""
    out = df.copy()
    if illustrative:
        out[tr("col_data_note", lang)] = tr("illustrative_note", lang)
    return out


@st.cache_data(show_spinner=False, max_entries=32)
def export_bytes(key: tuple, lang: str, view: str, illustrative: bool, _result: cv.CoverageResult,
                 _graph: WalkGraph | None) -> dict[str, bytes]:
    """CSV per table and one XLSX of them all, cached on the analysis key and the language."""
    names = [tr("t_streets", lang), tr("t_communities", lang), tr("t_gaps", lang)]
    frames = [street_table(_result, lang), community_table(_result, lang), gap_table(gap_info(key, _result), lang)]
    if view == "catchments":
        names.append(tr("t_catchments", lang))
        frames.append(catchment_table(catchments(key, _result, _graph), lang))
    noted = [with_note(f, illustrative, lang) for f in frames]
    out = {f"csv_{i}": io_tables.csv_bytes(f) for i, f in enumerate(noted)}
    out["xlsx"] = io_tables.xlsx_bytes(dict(zip(names, noted)), settings_notes(_result, illustrative, lang))
    return out


def settings_notes(result: cv.CoverageResult, illustrative: bool, lang: str = "zh") -> list[str]:
    """The settings behind a table, for the export's notes sheet."""
    s = result.settings
    notes = [
        (tr("minutes", lang), minutes_text(s.minutes, lang)),
        (tr("speed", lang), tr("speed_value", lang, speed=number(s.speed_kmh, lang), m=number(s.reach_m(), lang, 0))),
        (tr("mode", lang), tr("mode_" + s.mode, lang)),
        (tr("tiers", lang), [tier_label(t, lang) for t in s.tiers]),
        (tr("covered", lang, minutes=minutes_text((s.limit_minutes,), lang)), percent(result.covered_pct, lang)),
    ]
    lines = [tr("note_line", lang, label=label, value=value) for label, value in notes]
    return lines + ([notice_text(lang)] if illustrative else [])


def static_table(frame: pd.DataFrame) -> None:
    """A short table as escaped HTML (not ``st.table``, whose Arrow code is 0.8 MB to load)."""
    st.markdown(html_table(frame, border=0, classes="lh-table"), unsafe_allow_html=True)


# --------------------------------------------------------------------------- the tables section


def tables_section(place: District, result: cv.CoverageResult, key: tuple, view: str, graph: WalkGraph | None,
                   illustrative: bool, lang: str) -> None:
    """Per-street / per-community tables (sortable) of ``place``'s analysis with CSV and XLSX
    downloads (named after the district), in an expander drawn only when open: a first screen
    with no data-frame loads none of their JavaScript (about 1.3 MB, which held the page's first
    drawing by some 0.8 s)."""
    box = section(tr("tables", lang), "tables_open")
    if box is not None:
        with box:
            _tables(place.slug, result, key, view, graph, illustrative, lang)


def _tables(stem: str, result: cv.CoverageResult, key: tuple, view: str, graph: WalkGraph | None,
            illustrative: bool, lang: str) -> None:
    """The open tables section: one lazy tab per table, each with its downloads."""
    st.caption(tr("sort_hint", lang))
    names = [tr("t_streets", lang), tr("t_communities", lang), tr("t_gaps", lang)]
    frames = [street_table(result, lang), community_table(result, lang), gap_table(gap_info(key, result), lang)]
    if view == "catchments":
        names.append(tr("t_catchments", lang))
        frames.append(catchment_table(catchments(key, result, graph), lang))
    pct = pct_column(lang)
    cfg = {pct: st.column_config.ProgressColumn(pct, min_value=0, max_value=100, format="%.1f%%")}
    tag = "_".join(f"{m:g}" for m in result.settings.minutes) + "min"
    files = export_bytes(key, lang, view, illustrative, result, graph)
    stems = ["streets", "communities", "gaps", "catchments"]
    # lazy tabs: only the open one is drawn (and sent to the browser) on each run
    for i, (tab, frame) in enumerate(zip(st.tabs(names, key="tables_tab", on_change="rerun"), frames)):
        if tab.open is False:
            continue
        with tab:
            st.dataframe(frame, hide_index=True, column_config=cfg, height=min(420, 35 * (len(frame) + 1) + 3))
            c1, c2 = st.columns(2)
            c1.download_button(tr("dl_csv", lang), files[f"csv_{i}"], f"{stem}_{stems[i]}_{tag}.csv",
                               "text/csv", key=f"dl_csv_{i}", on_click="ignore")
            c2.download_button(tr("dl_xlsx", lang), files["xlsx"], f"{stem}_coverage_{tag}.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key=f"dl_xlsx_{i}", on_click="ignore")
