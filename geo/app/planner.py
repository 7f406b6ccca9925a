"""The planner's page (``/``): the analysis controls in the sidebar, the headline figures, the map
with the gaps and the suggested new stations beside it, then three sections drawn when opened:
the tables, the briefing outputs and the life circle.

The map and the panels beside it are one fragment (:func:`workspace`): choosing a gap or
running the siting model redraws only them. Presentation only: the work is
:mod:`geo.engine.coverage` and :mod:`geo.engine.siting`, cached in :mod:`geo.app.cache`.
"""

from __future__ import annotations

import streamlit as st

from geo.app import cache, lifecircle_view, mapview, plan_tools, tables
from geo.app import layers as lay
from geo.app.legend import Extras, legend_group
from geo.app.page import caught, notice, start
from geo.app.screen import Ctx, analyse
from geo.app.sidebar import sidebar
from geo.app.state import choice, ss
from geo.app.text import minutes_text, tr
from geo.engine import coverage as cv
from geo.io.district import District, Layers
from geo.locale import area_km2, number, percent


def subtitle(layers: Layers, lang: str) -> str:
    """The line under the title: the district of the layers and the number of centres in use."""
    return tr("subtitle", lang, place=layers.place, n=len(layers.centers))


def metrics(result: cv.CoverageResult, lang: str) -> None:
    """Headline figures: covered share (per limit when banded), centres, gaps, district area.

    Labels are short (so nothing is cut at 1400 px, even with three limits); the full wording is
    the help tooltip.
    """
    s = result.settings
    row = st.container(horizontal=True, gap="medium")  # two to a line on a phone, one line on a desk
    width = 165
    for m in s.minutes:
        row.metric(tr("covered", lang, minutes=minutes_text((m,), lang)), percent(result.by_minutes[m], lang),
                   help=tr("covered_help", lang, minutes=minutes_text((m,), lang)), width=width)
    row.metric(tr("n_centers", lang), number(len(result.centers), lang), help=tr("n_centers_help", lang), width=width)
    row.metric(tr("n_gaps", lang), tr("gaps_value", lang, n=len(result.gaps)),
               help=tr("n_gaps_help", lang, area=area_km2(result.gaps["area_m2"].sum() / 1e6, lang)), width=width)
    # a county of the west is 200,000 km²: 19.9 万 km² / 198.5 thousand km², the width it needs
    row.metric(tr("district_area", lang), area_km2(result.district_area_km2, lang),
               width=width if result.district_area_km2 < 1000 else "content")


def gap_panel(ctx: Ctx) -> int:
    """The gaps (largest first) and the one to show on the map; returns the chosen gap id or 0."""
    lang, result = ctx.lang, ctx.result
    if len(result.gaps) == 0:
        st.success(tr("no_gaps", lang))
        return 0
    info = cache.gap_info(ctx.key, result)
    labels = {0: tr("gap_none_option", lang)}
    sep = tr("list_sep", lang)
    for gid, m2, names in zip(info["gap_id"], info["area_m2"], info["communities"]):
        parts = [n for n in str(names).split("、") if n]
        short = sep.join(parts[:2]) + ("…" if len(parts) > 2 else "")
        labels[int(gid)] = tr("gap_option", lang, id=int(gid), ha=m2 / 1e4, names=short or "—")
    pick = choice(st.selectbox, tr("gap_pick", lang), list(labels), "gap_pick", lang, format_func=labels.get)
    with st.container(height=380):
        tables.static_table(tables.gap_table(info, lang, text=True))
    return int(pick)


def shown_gap(ctx: Ctx) -> int:
    """The gap chosen in the gaps tab while it is closed (0 when that gap is gone)."""
    gid = int(ss.get("gap_pick") or 0)
    return gid if gid in set(ctx.result.gaps["gap_id"].astype(int)) else 0


def map_groups(ctx: Ctx, gap_id: int, plan) -> list:
    """Every changing layer: the analysis, the chosen gap, the sites, the legend and the fit."""
    base = mapview.base_result(ctx.layers)
    groups = plan_tools.analysis_groups(ctx)
    if gap_id:
        groups.append(lay.selected_gap_group(ctx.result, gap_id, ctx.basemap, ctx.lang))
        row = ctx.result.gaps[ctx.result.gaps["gap_id"] == gap_id].to_crs("EPSG:4326")
        fit = mapview.points_fit(list(row.geometry), ctx.basemap, f"gap:{ctx.key}:{gap_id}")
    else:
        fit = mapview.district_fit(base, ctx.basemap)
    n_sites = 0
    if plan is not None and len(plan.sites):
        groups.append(plan_tools.sites_group(plan, ctx.basemap, ctx.lang))
        n_sites = len(plan.sites)
    groups.append(legend_group(ctx.lang, ctx.result, ctx.view, Extras(selected_gap=bool(gap_id), sites=n_sites)))
    groups.append(mapview.fit_group(fit))
    return groups


@st.fragment
@caught
def workspace(ctx: Ctx) -> None:
    """The map, with the gaps and the suggested sites beside it (one fragment: ``ctx`` holds the
    page's District, so the fragment's rerun alone works on the same district)."""
    map_col, side = st.columns([3, 2], gap="medium")
    with side:  # lazy tabs: only the open one is drawn; the other's choice is kept
        gaps_tab, sites_tab = st.tabs([tr("gap_list_n", ctx.lang, n=len(ctx.result.gaps)),
                                       tr("plan.suggest", ctx.lang)], key="work_tab", on_change="rerun")
        with gaps_tab:
            gap_id = gap_panel(ctx) if gaps_tab.open is not False else shown_gap(ctx)
        with sites_tab:
            plan = plan_tools.suggest_panel(ctx) if sites_tab.open is not False else plan_tools.held_plan(ctx)
    with map_col:
        sites = () if plan is None else tuple(map(tuple, plan.sites[["rank", "lon", "lat"]].to_numpy().tolist()))
        mapview.show(ctx.layers, ctx.basemap, ctx.lang, lambda: map_groups(ctx, gap_id, plan),
                     ("planner", ctx.key, ctx.view, ctx.basemap, ctx.lang, gap_id, sites), key="planner_map",
                     centres="analysis")


def page(place: District) -> None:
    """The planner's page on ``place``, the District of this run."""
    frame = start(place, "title", subtitle)
    if frame is None:
        return
    lang = frame.lang
    notice(lang, frame.layers)
    flash = ss.pop("plan_flash", None)  # sites accepted on this district's page: said once, after the save
    if flash is not None and flash[0] == place.code:
        st.success(flash[1])
    sidebar(frame.layers, lang)
    ctx = analyse(frame)
    if ctx.result is None:
        basemap = ss["basemap"]
        mapview.show(frame.layers, basemap, lang, lambda: [lay.centres_state_group(None), mapview.fit_group(
            mapview.district_fit(mapview.base_result(frame.layers), basemap))],
            ("planner-empty", place.code, frame.layers.token, basemap), key="planner_map", centres="analysis")
        return
    metrics(ctx.result, lang)
    if ctx.controls.mode == "network" and len(ctx.result.unreachable):
        st.warning(tr("net_unreachable", lang, n=len(ctx.result.unreachable), m=ctx.result.settings.max_snap_m))
    workspace(ctx)
    # the sections below are drawn only when opened: the first screen stays light
    tables.tables_section(ctx.place, ctx.result, ctx.key, ctx.view, ctx.graph, ctx.layers.illustrative, lang)
    plan_tools.exports_section(ctx.place, ctx.result, ctx.key, ctx.basemap, lang)
    lifecircle_view.planner_section(ctx.layers, lang, ctx.controls.speed or 4.0)

