"""The planner's tools: the analysis layers of the map, new-station suggestions (numbered on the
map, in the legend and in their table) and the briefing outputs in the page's language.

Presentation only: the work is :class:`geo.jobs.siting.SitingJob` and :func:`geo.render.brief.export`;
this module caches their results on the page's controls and draws the widgets and map layers.
Accepted sites are saved into the store of the page's District (``ctx.place``), which refuses
rows of any other district; a refusal is a message, and the map stays.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import streamlit as st

from geo.app import cache, inputs
from geo.app import layers as lay
from geo.app.data_common import show_error
from geo.app.legend import SITE_COLOUR
from geo.app.page import section
from geo.app.screen import Ctx
from geo.app.state import CRS_CHOICES, DEFAULTS, choice, ss
from geo.app.text import both, crs_label, error_text, tr
from geo.engine import coverage as cv
from geo.engine import siting
from geo.io import store as gstore
from geo.io.candidates import load_candidates
from geo.io.district import District, Layers
from geo.io.editing import CenterEditor
from geo.io.errors import DataError
from geo.io.files import safe_filename
from geo.jobs.coverage import CoverageJob
from geo.jobs.siting import SitingJob
from geo.locale import area_km2, percent
from geo.render import brief, maps

LABELS = {"png": "plan.f_png", "pdf": "plan.f_pdf", "brief": "plan.f_brief", "html": "plan.f_html",
          "xlsx": "plan.f_xlsx"}
MIME = {"png": "image/png", "pdf": "application/pdf", "brief": "application/pdf", "html": "text/html",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
METHODS = ("greedy", "auto", "exact")  # greedy first: an answer in a blink; exact on request


def analysis_groups(ctx: Ctx) -> list[folium.FeatureGroup]:
    """The layers of the analysis in the chosen view, the gaps and the centres."""
    r, basemap, lang, key = ctx.result, ctx.basemap, ctx.lang, ctx.key
    if ctx.view == "coverage" and len(r.settings.minutes) > 1:
        groups = [lay.bands_group(r, basemap, lang)]
    elif ctx.view == "coverage":
        groups = [lay.coverage_group(r, basemap, lang, key)]
    elif ctx.view == "catchments":
        groups = [lay.catchments_group(cache.catchments(key, r, ctx.graph), basemap, lang)]
    else:
        groups = [lay.overlap_group(cache.overlap(key, r), basemap, lang)]
    groups.append(lay.gaps_group(r, basemap, lang))
    return groups + [lay.centres_state_group(r, lang)]  # the centres are in the base map


# --------------------------------------------------------------------------- station suggestions


def suggest_panel(ctx: Ctx) -> siting.SitingPlan | None:
    """How many stations, which method, the run button and the proposals; returns the plan that
    belongs to this analysis (for the map) or None."""
    lang, result, key = ctx.lang, ctx.result, ctx.key
    st.caption(tr("plan.suggest_hint", lang))
    k = k_slider(lang)
    c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
    method = choice(c1.selectbox, tr("plan.method", lang), METHODS, "suggest_method", lang,
                    format_func=lambda m: tr(f"plan.me_{m}", lang))
    run = c2.button(tr("plan.run", lang), key="suggest_run", type="primary", use_container_width=True)
    with st.expander(tr("plan.cand_head", lang)):
        extra = candidates_input(ctx.layers, lang)
    if run:
        with st.spinner(tr("plan.running", lang)):
            try:
                ss["plan"] = (key, suggestion(key, k, method, _digest(extra), result, ctx.layers, extra, ctx.graph))
            except cv.CoverageError as exc:
                st.error(tr("error_cov", lang, msg=error_text(exc, lang)))
    plan = held_plan(ctx)
    if plan is None:
        if ss.get("plan") is not None:  # suggested for other settings
            st.info(tr("plan.stale", lang))
        return None
    return show_plan(plan, ctx)


def held_plan(ctx: Ctx) -> siting.SitingPlan | None:
    """The plan suggested for this analysis (for the map, whichever tab is open), or None."""
    held = ss.get("plan")
    return held[1] if held is not None and held[0] == ctx.key else None


def _digest(sites) -> str | None:
    """A name for a set of extra candidate sites (their positions)."""
    if sites is None:
        return None
    xy = np.round(sites[["lon", "lat"]].to_numpy(float), 7)
    return hashlib.sha1(xy.tobytes()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=16)
def suggestion(key: tuple, k: int, method: str, candidates: str | None, _result: cv.CoverageResult,
               _layers: Layers, _extra, _graph) -> siting.SitingPlan:
    """The :class:`geo.jobs.siting.SitingJob` plan for an analysis (``key``, which starts with the
    district's code), ``k``, the method and the extra candidates (``candidates`` names them),
    shared by every session: asking again is instant."""
    job = CoverageJob(_layers, _result.settings, _graph if _result.settings.mode == "network" else None)
    return SitingJob(job, k, method, _extra).run(_result)


def k_slider(lang: str) -> int:
    """The number of stations to suggest; a value held in session state that is not a whole
    number in :data:`geo.engine.siting.K_RANGE` is reported and put back to the default."""
    low, high = siting.K_RANGE
    default = int(DEFAULTS["suggest_k"])
    try:
        inputs.count(ss.get("suggest_k", default), low, high, default, lang)
    except inputs.InputError as exc:
        st.error(str(exc))
        ss["suggest_k"] = default
        ss.pop("w_suggest_k", None)
    if "w_suggest_k" not in ss:
        ss["w_suggest_k"] = ss.get("suggest_k", default)
    ss["suggest_k"] = st.slider(tr("plan.k", lang), min_value=low, max_value=high, key="w_suggest_k")
    return int(ss["suggest_k"])


def show_plan(plan: siting.SitingPlan, ctx: Ctx) -> siting.SitingPlan:
    """The proposals: coverage before and after, the numbered sites, and the button to accept them."""
    lang = ctx.lang
    st.success(tr("plan.before_after", lang, before=percent(plan.covered_pct_before, lang),
                  after=percent(plan.covered_pct_after, lang),
                  method=tr(f"plan.me_{plan.method}", lang) if plan.method in METHODS else plan.method,
                  sec=plan.solve_seconds))
    if plan.gap_pct is not None:
        st.caption(tr("plan.gap", lang, gap=plan.gap_pct))
    if len(plan.sites) == 0:
        st.info(tr("plan.none", lang))
        return plan
    st.table(sites_table(plan, lang), hide_index=True)
    if st.button(tr("plan.accept", lang), key="suggest_accept"):
        try:
            version = save_plan(plan, ctx.place)
        except (DataError, gstore.ConflictError, KeyError, ValueError, OSError) as exc:
            show_error(exc, lang, "suggest_accept")  # refused: nothing saved, the map stays
            return plan
        ss["plan_flash"] = (ctx.place.code, tr("plan.accepted", lang, n=len(plan.sites), v=version))
        ss.pop("plan", None)
        st.rerun(scope="app")
    return plan


def candidates_input(layers: Layers, lang: str):
    """An optional upload of extra candidate sites, checked against the layers' district; returns
    them (WGS-84) or None."""
    up = st.file_uploader(tr("plan.cand", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"],
                          key="suggest_cand", max_upload_size=50)
    system = choice(st.selectbox, tr("plan.cand_crs", lang), CRS_CHOICES, "suggest_cand_crs", lang,
                    format_func=lambda c: crs_label(c, lang))
    if up is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / safe_filename(up.name)
            path.write_bytes(up.getvalue())
            sites = load_candidates(path, system, district=layers.district)
        except DataError as exc:
            st.error(error_text(exc, lang))
            return None
    st.caption(tr("plan.cand_n", lang, n=len(sites)))
    return sites


def _added(value: float, unit: str, lang: str) -> str:
    """What a site adds: an area (``m2``) or residents (``people``, the only other unit)."""
    return area_km2(value / 1e6, lang) if unit == "m2" else tr("plan.people", lang, n=value)


def sites_table(plan: siting.SitingPlan, lang: str) -> pd.DataFrame:
    """The proposals as a table for the page: the number on the map, position, added coverage."""
    s = plan.sites
    return pd.DataFrame({
        tr("plan.col_rank", lang): s["rank"].astype(int).to_numpy(),
        tr("plan.col_lon", lang): [f"{v:.6f}" for v in s["lon"]],
        tr("plan.col_lat", lang): [f"{v:.6f}" for v in s["lat"]],
        tr("plan.col_add", lang): [_added(v, plan.demand_unit, lang) for v in s["added_demand"]],
    })


def sites_group(plan: siting.SitingPlan, basemap: str, lang: str) -> folium.FeatureGroup:
    """The proposed sites as numbered magenta markers (the numbers of the table), shifted for AMap."""
    fg = folium.FeatureGroup(name=tr("plan.layer", lang), show=True)
    shown = maps.to_display(plan.sites, basemap)
    for rank, added, geom in zip(plan.sites["rank"], plan.sites["added_demand"], shown.geometry):
        tip = tr("plan.tip", lang, rank=int(rank), add=_added(added, plan.demand_unit, lang))
        folium.Marker([geom.y, geom.x], icon=lay.near_icon(int(rank), SITE_COLOUR, "lh-site"), z_index_offset=900,
                      tooltip=maps.esc(tip)).add_to(fg)
    return fg


def save_plan(plan: siting.SitingPlan, place: District) -> int:
    """Append the proposals to the current centres as ``proposed`` stations in the store of
    ``place`` (the page's District: its stamp refuses rows of another); returns the new version."""
    desc = both(lambda lg: tr("plan.accept_desc", lg, n=len(plan.sites)))
    return CenterEditor(place.store()).add_proposed(plan, description=desc).version


# --------------------------------------------------------------------------- briefing outputs


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(key: tuple, fmt: str, title: str, paper: str, basemap: str, lang: str,
                _result: cv.CoverageResult) -> bytes:
    """One briefing output as bytes, in ``lang`` (cached on the analysis key and the options)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = brief.export(_result, fmt, Path(tmp) / f"out{brief.SUFFIXES[fmt]}", title=title or None, paper=paper,
                            basemap=basemap if fmt == "html" else "none", lang=lang)
        return path.read_bytes()


def exports_section(place: District, result: cv.CoverageResult, key: tuple, basemap: str, lang: str) -> None:
    """Make-then-download buttons for the map PNG/PDF, the brief, the HTML map and the XLSX of
    ``place``'s analysis, in a section drawn only when open."""
    box = section(tr("plan.exports", lang), "exports_open")
    if box is not None:
        with box:
            _exports(place, result, key, basemap, lang)


def _exports(place: District, result: cv.CoverageResult, key: tuple, basemap: str, lang: str) -> None:
    """The open briefing section: the title, the paper and a button per format."""
    st.caption(tr("plan.exports_hint", lang))
    c1, c2 = st.columns([3, 1])
    default = brief.default_title(result, lang)
    if ss.get("brief_title_default") != default:  # a new language or walking time: a new default title
        ss["brief_title_default"] = ss["brief_title"] = default
    if "w_brief_title" not in ss or ss.get("brief_title_set") != default:
        ss["w_brief_title"], ss["brief_title_set"] = ss["brief_title"], default
    title = c1.text_input(tr("plan.title", lang), key="w_brief_title")
    ss["brief_title"] = title
    paper = choice(c2.selectbox, tr("plan.paper", lang), tuple(brief.PAPERS), "brief_paper", lang,
                   format_func=lambda p: tr(f"plan.p_{p}", lang))
    cols = st.columns(len(brief.FORMATS))
    tag = "_".join(f"{m:g}" for m in result.settings.minutes) + "min"
    for col, fmt in zip(cols, brief.FORMATS):
        what = tr(LABELS[fmt], lang)
        stamp = (key, title, paper, basemap, lang)
        made = ss.get(f"made_{fmt}")
        fresh = made is not None and made[0] == stamp
        # five to a row: long labels ("Make Interactive map (HTML)") wrap instead of being cut
        if col.button(tr("plan.make", lang, what=what), key=f"make_{fmt}", use_container_width=True, wrap=True):
            try:
                with st.spinner(tr("plan.making", lang, what=what)):
                    payload = export_file(key, fmt, title, paper, basemap, lang, result)
                ss[f"made_{fmt}"] = (stamp, payload)
                fresh = True
            except brief.ExportError as exc:
                col.error(tr("plan.export_error", lang, msg=error_text(exc, lang)))
        if fresh:
            col.download_button(tr("plan.download", lang, what=what), ss[f"made_{fmt}"][1],
                                f"{place.slug}_{fmt}_{lang}_{tag}{brief.SUFFIXES[fmt]}", MIME[fmt], key=f"dl_{fmt}",
                                on_click="ignore", use_container_width=True, wrap=True)
