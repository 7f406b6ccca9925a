"""The map of the page: the fixed base map, the analysis layers for the current view, and
what the current screen adds (an :class:`geo.app.screen.Overlay`)."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.app import cache
from geo.app import layers as lay
from geo.app.legend import legend_group
from geo.app.planner import sites_group
from geo.app.screen import Ctx, Overlay
from geo.app.state import ss
from geo.app.text import tr
from geo.engine import coverage as cv
from geo.render import maps


def analysis_groups(ctx: Ctx) -> list[folium.FeatureGroup]:
    """The layers of the analysis in the chosen view, the gaps, the centres and (when they
    belong to this analysis) the suggested sites."""
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
    groups += lay.centers_groups(r, basemap, lang, key)
    plan = ss.get("plan")
    if plan is not None and plan[0] == key and len(plan[1].sites):
        groups.append(sites_group(plan[1], basemap, lang))
    return groups


def draw_map(ctx: Ctx, base: cv.CoverageResult, overlay: Overlay) -> None:
    """The map: fixed base layers plus the changing ones as feature groups (only with an
    analysis), centred on what the screen asks for, else the whole district."""
    try:
        m = lay.base_map(base, ctx.basemap, ctx.layers.illustrative, ctx.lang)
        groups: list[folium.FeatureGroup] = []
        view = None
        if ctx.result is not None:
            groups = analysis_groups(ctx) + overlay.groups()
            query = overlay.query
            groups.append(legend_group(ctx.lang, ctx.result, ctx.view, query=query is not None,
                                       route=query is not None and query.route is not None,
                                       selected_gap=overlay.selected_gap))
            view = overlay.view()
        centre, zoom = view or lay.district_view(base, ctx.basemap)
    except maps.MapError as exc:
        st.error(tr("error_map", ctx.lang, msg=str(exc)))
        return
    st_folium(m, key="map", height=lay.MAP_HEIGHT, use_container_width=True,
              returned_objects=["last_clicked"], feature_group_to_add=groups or None,
              layer_control=folium.LayerControl(collapsed=True, position="topright"),
              center=centre, zoom=zoom)
