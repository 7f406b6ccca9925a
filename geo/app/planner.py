"""The 规划视图 (planner) screen: the gap list beside the map; below it the tables, the
briefing downloads and new-station suggestions.

Presentation only: the work is :func:`geo.render.brief.export` and :func:`geo.engine.siting.suggest`; this
module caches their results on the page's controls and draws the widgets and map layer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st

from geo.app import inputs, lifecircle_view, tables
from geo.app import layers as lay
from geo.app.cache import gap_info
from geo.app.screen import Ctx, Overlay, Screen
from geo.app.state import CRS_CHOICES, DEFAULTS, choice, ss
from geo.app.text import tr
from geo.engine import coverage as cv
from geo.engine import siting
from geo.engine.graph import WalkGraph
from geo.io.candidates import load_candidates
from geo.io.errors import DataError
from geo.io.files import safe_filename
from geo.render import brief, maps
from geo.render.safe_html import escape_text

LABELS = {"png": "plan.f_png", "pdf": "plan.f_pdf", "brief": "plan.f_brief", "html": "plan.f_html",
          "xlsx": "plan.f_xlsx"}
MIME = {"png": "image/png", "pdf": "application/pdf", "brief": "application/pdf", "html": "text/html",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SUFFIX = {"png": ".png", "pdf": ".pdf", "brief": ".pdf", "html": ".html", "xlsx": ".xlsx"}
SITE_COLOUR = "#c51b7d"  # magenta: unlike every tier colour and the red of gaps


# --------------------------------------------------------------------------- the screen


def planner_panel(result: cv.CoverageResult | None, key: tuple, lang: str) -> int:
    """The gap list (largest first) and the gap to zoom to; returns the chosen gap id or 0."""
    st.subheader(tr("gap_list", lang))
    if result is None:
        return 0
    if len(result.gaps) == 0:
        st.success(tr("no_gaps", lang))
        return 0
    info = gap_info(key, result)
    labels = {0: tr("gap_none_option", lang)}
    for gid, area, names in zip(info["gap_id"], info["area_m2"], info["communities"]):
        short = "、".join(names.split("、")[:3]) + ("…" if names.count("、") >= 3 else "")
        labels[int(gid)] = tr("gap_option", lang, id=int(gid), ha=area / 1e4, names=short or "—")
    pick = choice(st.selectbox, tr("gap_pick", lang), list(labels), "gap_pick", lang, format_func=labels.get)
    st.dataframe(tables.gap_table(info, lang), hide_index=True, height=360)
    return int(pick)


def side(ctx: Ctx) -> Overlay:
    """Beside the map: the gap list; on the map, the chosen gap outlined and framed."""
    gap_id = planner_panel(ctx.result, ctx.key, ctx.lang)
    if not gap_id or ctx.result is None:
        return Overlay()
    result, basemap, lang = ctx.result, ctx.basemap, ctx.lang
    return Overlay(groups=lambda: [lay.selected_gap_group(result, gap_id, basemap, lang)],
                   view=lambda: lay.gap_view(result, gap_id, basemap), selected_gap=True)


def below(ctx: Ctx) -> None:
    """Under the map: the tables with their downloads, the briefing outputs, the suggestions."""
    tables.tables_section(ctx.result, ctx.key, ctx.view, ctx.graph, ctx.layers.illustrative, ctx.lang)
    st.divider()
    exports_section(ctx.result, ctx.key, ctx.basemap, ctx.lang)
    st.divider()
    layers = ctx.layers
    suggest_section(ctx.result, ctx.key, ctx.graph, ctx.lang, save=lambda plan: save_plan(
        plan, layers.centers, layers.streets, layers.communities))
    st.divider()
    lifecircle_view.planner_section(layers.communities, ctx.store, ctx.lang, ctx.controls.speed or 4.0, layers.token)


# --------------------------------------------------------------------------- briefing outputs


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(key: tuple, fmt: str, title: str, paper: str, basemap: str,
                _result: cv.CoverageResult) -> bytes:
    """One briefing output as bytes (cached on the analysis key and the options)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = brief.export(_result, fmt, Path(tmp) / f"out{SUFFIX[fmt]}", title=title or None, paper=paper,
                            basemap=basemap if fmt == "html" else "none")
        return path.read_bytes()


def exports_section(result: cv.CoverageResult, key: tuple, basemap: str, lang: str) -> None:
    """Make-then-download buttons for the map PNG/PDF, the brief, the HTML map and the XLSX."""
    st.subheader(tr("plan.exports", lang))
    st.caption(tr("plan.exports_hint", lang))
    c1, c2 = st.columns([3, 1])
    title = c1.text_input(tr("plan.title", lang), value=brief.default_title(result), key="brief_title")
    paper = choice(c2.selectbox, tr("plan.paper", lang), tuple(brief.PAPERS), "brief_paper", lang,
                   format_func=lambda p: tr(f"plan.p_{p}", lang))
    cols = st.columns(len(brief.FORMATS))
    tag = "_".join(f"{m:g}" for m in result.settings.minutes) + "min"
    for col, fmt in zip(cols, brief.FORMATS):
        what = tr(LABELS[fmt], lang)
        made = ss.get(f"made_{fmt}")
        fresh = made is not None and made[0] == (key, title, paper, basemap)
        if col.button(tr("plan.make", lang, what=what), key=f"make_{fmt}", use_container_width=True):
            try:
                with st.spinner(tr("plan.making", lang, what=what)):
                    payload = export_file(key, fmt, title, paper, basemap, result)
                ss[f"made_{fmt}"] = ((key, title, paper, basemap), payload)
                fresh = True
            except brief.ExportError as exc:
                col.error(tr("plan.export_error", lang, msg=str(exc)))
        if fresh:
            col.download_button(tr("plan.download", lang, what=what), ss[f"made_{fmt}"][1],
                                f"longhu_{fmt}_{tag}{SUFFIX[fmt]}", MIME[fmt], key=f"dl_{fmt}",
                                on_click="ignore", use_container_width=True)


# --------------------------------------------------------------------------- station suggestions


def suggest_section(result: cv.CoverageResult, key: tuple, graph: WalkGraph | None, lang: str,
                    save) -> siting.SitingPlan | None:
    """The k slider, the run button and the proposals; returns the current plan (for the map).

    ``save(plan)`` stores the accepted sites and returns the new version.
    """
    st.subheader(tr("plan.suggest", lang))
    st.caption(tr("plan.suggest_hint", lang))
    c1, c2, c3 = st.columns([2, 2, 1])
    k = k_slider(c1, lang)
    method = choice(c2.selectbox, tr("plan.method", lang), ("auto", "exact", "greedy"), "suggest_method", lang,
                    format_func=lambda m: tr(f"plan.me_{m}", lang))
    extra = candidates_input(lang)
    if c3.button(tr("plan.run", lang), key="suggest_run", type="primary", use_container_width=True):
        with st.status(tr("plan.running", lang), expanded=False) as status:
            try:
                plan = siting.suggest(result, k=k, method=method, candidates=extra,
                                      graph=graph if result.settings.mode == "network" else None)
                ss["plan"] = (key, plan)
                status.update(state="complete")
                st.rerun()  # redraw so the map shows the proposals
            except cv.CoverageError as exc:
                status.update(state="error")
                st.error(str(exc))
    held = ss.get("plan")
    if held is None:
        return None
    if held[0] != key:
        st.info(tr("plan.stale", lang))
        return None
    return show_plan(held[1], lang, save)


def k_slider(col, lang: str) -> int:
    """The number of stations to suggest; a value held in session state that is not a whole
    number in :data:`geo.engine.siting.K_RANGE` is reported and put back to the default."""
    low, high = siting.K_RANGE
    default = int(DEFAULTS["suggest_k"])
    try:
        inputs.count(ss.get("suggest_k", default), low, high, default, lang)
    except inputs.InputError as exc:
        st.error(str(exc))
        ss["suggest_k"] = default
    return int(col.slider(tr("plan.k", lang), min_value=low, max_value=high, key="suggest_k"))


def show_plan(plan: siting.SitingPlan, lang: str, save) -> siting.SitingPlan:
    """The proposals: coverage before and after, the sites, and the button to accept them."""
    st.success(tr("plan.before_after", lang, before=plan.covered_pct_before, after=plan.covered_pct_after,
                  method=plan.method, sec=plan.solve_seconds))
    if plan.gap_pct is not None:
        st.caption(tr("plan.gap", lang, gap=plan.gap_pct))
    if len(plan.sites) == 0:
        st.info(tr("plan.none", lang))
        return plan
    st.dataframe(sites_table(plan, lang), hide_index=True)
    if st.button(tr("plan.accept", lang), key="suggest_accept"):
        version = save(plan)
        st.success(tr("plan.accepted", lang, n=len(plan.sites), v=version))
        ss.pop("plan", None)
    return plan


def candidates_input(lang: str):
    """An optional upload of extra candidate sites; returns them (WGS-84) or None."""
    c1, c2 = st.columns([3, 1])
    up = c1.file_uploader(tr("plan.cand", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"], key="suggest_cand")
    system = choice(c2.selectbox, tr("plan.cand_crs", lang), CRS_CHOICES, "suggest_cand_crs", lang)
    if up is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / safe_filename(up.name)
            path.write_bytes(up.getvalue())
            sites = load_candidates(path, system)
        except DataError as exc:
            st.error(str(exc))
            return None
    st.caption(tr("plan.cand_n", lang, n=len(sites)))
    return sites


def _added(value: float, unit: str) -> str:
    return f"{value / 1e6:.2f} km²" if unit == "m2" else f"{value:,.0f} {unit}"


def sites_table(plan: siting.SitingPlan, lang: str) -> pd.DataFrame:
    """The proposals as a table for the page."""
    s = plan.sites
    return pd.DataFrame({
        tr("plan.col_rank", lang): s["rank"].to_numpy(),
        tr("plan.col_lon", lang): s["lon"].round(6).to_numpy(),
        tr("plan.col_lat", lang): s["lat"].round(6).to_numpy(),
        tr("plan.col_add", lang): [_added(v, plan.demand_unit) for v in s["added_demand"]],
    })


def sites_group(plan: siting.SitingPlan, basemap: str, lang: str) -> folium.FeatureGroup:
    """The proposed sites as numbered purple markers (shifted for the AMap basemap)."""
    fg = folium.FeatureGroup(name=tr("plan.layer", lang), show=True)
    shown = maps.to_display(plan.sites, basemap)
    for (_, row), geom in zip(plan.sites.iterrows(), shown.geometry):
        folium.CircleMarker([geom.y, geom.x], radius=9, color="white", weight=2, fill=True,
                            fill_color=SITE_COLOUR, fill_opacity=0.95,
                            tooltip=escape_text(tr("plan.tip", lang, rank=int(row["rank"]),
                                                  add=_added(row["added_demand"], plan.demand_unit))),
                            ).add_to(fg)
    return fg


def save_plan(plan: siting.SitingPlan, centers, streets, communities, store_path=None) -> int:
    """Append the proposals to the centres as ``proposed`` stations in the user's store."""
    from geo.io import store

    merged = siting.accept_sites(plan, centers, streets, communities)
    result = store.Store(store_path).save("centers", merged, f"采纳选址建议 {len(plan.sites)} 处 / accepted "
                                          f"{len(plan.sites)} suggested sites",
                                          base_version=centers.attrs.get("version") or 0)  # none: shipped
    return result.version


SCREEN = Screen(side, below=below)
