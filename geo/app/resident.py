"""The 居民查询 (resident) screen: where is the resident, and which centres are nearest.

The place comes from a click on the map, typed coordinates (checked by
:func:`geo.app.inputs.point`) or a community name (:mod:`geo.app.search`); the answer is
:func:`geo.engine.nearest.nearest_centers` with the page's speed, tiers and method.
"""

from __future__ import annotations

import streamlit as st

from geo.app import inputs, lifecircle_view
from geo.app import layers as lay
from geo.app.screen import Ctx, Overlay, Screen
from geo.app.search import community_point, search_communities
from geo.app.state import CRS_CHOICES, INPUTS, choice, labeller, put, ss
from geo.app.tables import nearest_table
from geo.app.text import crs_label, md, tr
from geo.engine import coverage as cv
from geo.engine import nearest, schema
from geo.engine.graph import NetworkError
from geo.io import errors

MAX_SNAP_M = cv.Settings().max_snap_m  # farther than this from any street = "too far"
K_NEAREST = 3

Point = tuple[float, float, str]  # lon, lat, coordinate system


def clicked_point(ctx: Ctx) -> Point | None:
    """The last map click (already WGS-84), or a hint to click."""
    if ss.get("click_point"):
        return (*ss["click_point"], "wgs84")
    st.info(tr("click_hint", ctx.lang))
    return None


def typed_point(ctx: Ctx) -> Point | None:
    """Longitude and latitude typed as text, and their coordinate system; a value that is not
    a usable coordinate is a message, and no search is made."""
    lang = ctx.lang
    c1, c2 = st.columns(2)
    c1.text_input(tr("lon", lang), key="lon", placeholder=tr("coord_hint", lang))
    c2.text_input(tr("lat", lang), key="lat", placeholder=tr("coord_hint", lang))
    choice(st.selectbox, tr("coord_crs", lang), CRS_CHOICES, "coord_crs", lang,
           format_func=lambda c: crs_label(c, lang))
    try:
        lon, lat = inputs.point(ss["lon"], ss["lat"], lang)
    except inputs.InputError as exc:
        st.error(str(exc))
        return None
    return lon, lat, ss["coord_crs"]


def searched_point(ctx: Ctx) -> Point | None:
    """A point inside the community whose name best matches what was typed."""
    lang = ctx.lang
    query = st.text_input(tr("search", lang), key="comm_query", placeholder=tr("search_ph", lang))
    if not query.strip():
        return None
    names = search_communities(query, ctx.layers.communities["name"].tolist())
    if not names:
        st.warning(tr("search_none", lang))
        return None
    if ss.get("comm_pick") not in names:
        ss["comm_pick"] = names[0]
    name = st.selectbox(tr("search_pick", lang), names, key="comm_pick")
    return (*community_point(ctx.layers.communities, name), "wgs84")


POINTS = {"click": clicked_point, "coords": typed_point, "search": searched_point}


def resident_panel(ctx: Ctx) -> nearest.NearestResult | None:
    """Where is the resident, and which centres are nearest; returns the NearestResult or None."""
    lang = ctx.lang
    st.subheader(tr("resident_head", lang))
    method = choice(st.radio, tr("input", lang), INPUTS, "resident_input", lang, horizontal=True,
                    format_func=labeller("i", lang))
    point = POINTS[method](ctx)
    c = ctx.controls
    if point is None or c.speed is None:  # a bad speed is already reported in the sidebar
        return None
    centers = ctx.layers.centers[ctx.layers.centers["tier"].isin(c.tiers or schema.TIERS)]
    res = nearest.nearest_centers(centers, point[0], point[1], crs=point[2], k=K_NEAREST, speed_kmh=c.speed,
                                  mode=c.mode, graph=ctx.graph if c.mode == "network" else None,
                                  max_snap_m=MAX_SNAP_M, district=ctx.layers.district)
    show_answer(res, c.mode, lang)
    lifecircle_view.resident_section(ctx.store, res.point.x, res.point.y, lang, c.speed)
    return res


def show_answer(res: nearest.NearestResult, mode: str, lang: str) -> None:
    """The query point, warnings, the nearest centre and the table of the k nearest."""
    st.caption(tr("your_point", lang, lon=res.point.x, lat=res.point.y))
    if not res.inside_district:
        st.warning(tr("outside", lang))
    if res.message:
        st.warning(tr("too_far", lang, m=MAX_SNAP_M) if res.snapped is None else tr("no_route", lang))
    if len(res.table) == 0:
        return
    first = res.table.iloc[0]
    st.success(tr("best", lang, name=md(first["name"]), min=first["minutes"], m=first["distance_m"]))
    st.markdown(f"**{tr('nearest_head', lang, k=len(res.table))}**")
    table = nearest_table(res, lang)
    st.dataframe(table, hide_index=True, column_order=[table.columns[i] for i in (0, 2, 3, 1)],
                 column_config={table.columns[0]: st.column_config.TextColumn(width="medium"),
                                **{col: st.column_config.Column(width="small") for col in table.columns[1:]}})
    if mode == "network" and res.access_m is not None:
        st.caption(tr("snap", lang, m=res.access_m))
    elif mode == "circle":
        st.caption(tr("circle_note", lang))


def side(ctx: Ctx) -> Overlay:
    """Beside the map: the query; on the map, the point, the route and the nearest centres."""
    try:
        res = resident_panel(ctx)
    except (cv.CoverageError, NetworkError) as exc:
        st.error(tr("error_cov", ctx.lang, msg=str(exc)))
        return Overlay()
    except errors.DataError as exc:
        st.error(tr("error_data", ctx.lang, msg=str(exc)))
        return Overlay()
    if res is None:
        return Overlay()
    centers, basemap, lang = ctx.layers.centers, ctx.basemap, ctx.lang
    return Overlay(groups=lambda: [lay.query_group(res, centers, basemap, lang)],
                   view=lambda: lay.query_view(res, centers, basemap), query=res)


def click(point: tuple[float, float]) -> None:
    """A click on the map is the resident's place."""
    ss["click_point"] = point
    put("resident_input", "click")


SCREEN = Screen(side, click=click)
