"""One run of the Streamlit page: the layers in use, the sidebar, the analysis for the
controls, the headline figures, then the chosen screen beside the map and below it.

``app.py`` calls :func:`run` with the screens; nothing here knows what a screen draws. The
base map depends only on the layers, the basemap and the language, so ``st_folium`` keeps it
(and the user's zoom) while minutes, speed, tiers or the view change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from geo.app import cache, mapview, state
from geo.app.data_common import open_store
from geo.app.layers import click_to_wgs84
from geo.app.screen import Ctx, Screen
from geo.app.sidebar import sidebar
from geo.app.state import choice, labeller, ss
from geo.app.text import LANG_NAMES, minutes_text, tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.engine.graph import NetworkError
from geo.io import data, errors
from geo.io import store as gstore
from geo.render import maps

LOG = logging.getLogger("longhu.app")


def take_click(screens: Mapping[str, Screen]) -> None:
    """A new map click goes to the current screen, in WGS-84 (AMap draws in GCJ-02)."""
    raw = (ss.get("map") or {}).get("last_clicked")
    if raw and raw != ss.get("click_seen"):
        ss["click_seen"] = raw
        screen = screens.get(ss.get("page"))
        if screen is not None and screen.click is not None:
            screen.click(click_to_wgs84(raw["lat"], raw["lng"], ss.get("basemap", "none")))


def load_layers(store: gstore.Store, lang: str) -> cache.Layers | None:
    """The layers in use; an unreadable store is a message and the shipped files are used."""
    try:
        return cache.user_layers(store.path)
    except errors.DataError as exc:
        st.error(tr("error_data", lang, msg=str(exc)))
    try:
        return cache.shipped_layers()
    except errors.DataError as exc:
        st.error(tr("error_data", lang, msg=str(exc)))
        return None


def analyse(layers: cache.Layers, store: gstore.Store, lang: str) -> Ctx:
    """The analysis for the controls (None with a message when it cannot run) and the run's context."""
    net = ss.get("network")
    graph = cache.graph_for(net["token"]) if net else None
    c = state.controls(lang, graph is not None)
    key = (layers.token, c.mode, c.minutes, c.speed, c.tiers, net["token"] if net else None)
    result = None
    if c.problem:
        st.error(tr("bad_settings", lang))
    elif not c.tiers:
        st.warning(tr("no_tier", lang))
    else:
        try:
            with st.spinner(tr("computing", lang)):
                result = cache.analysis(*key, layers, graph)
        except (cv.CoverageError, NetworkError) as exc:
            st.error(tr("error_cov", lang, msg=str(exc)))
    return Ctx(layers, lang, store, c, result, key, graph, ss["basemap"], ss["view"])


def metrics(result: cv.CoverageResult, lang: str) -> None:
    """Headline figures: covered share (per limit when banded), centres, gaps, district area."""
    s = result.settings
    cols = st.columns(len(s.minutes) + 3)
    for col, m in zip(cols, s.minutes):
        col.metric(tr("covered", lang, minutes=minutes_text((m,), lang)), f"{result.by_minutes[m]:.1f}%",
                   help=tr("covered_help", lang))
    rest = cols[len(s.minutes):]
    rest[0].metric(tr("n_centers", lang), f"{len(result.centers)}")
    rest[1].metric(tr("n_gaps", lang, km2=result.gaps["area_m2"].sum() / 1e6),
                   tr("gaps_value", lang, n=len(result.gaps)))
    rest[2].metric(tr("district_area", lang), f"{result.district_area_km2:.1f} km²")


def notice(lang: str, layers: cache.Layers) -> None:
    """For illustrative layers, the notice (the page's language first)."""
    if layers.illustrative:
        notes = (data.ILLUSTRATIVE_NOTICE_EN, data.ILLUSTRATIVE_NOTICE_ZH) if lang == "en" else \
            (data.ILLUSTRATIVE_NOTICE_ZH, data.ILLUSTRATIVE_NOTICE_EN)
        st.warning("  \n".join(notes), icon="⚠️")


def main(root: Path, screens: Mapping[str, Screen]) -> None:
    """The whole page, once."""
    cache.setup_assets(root)
    state.init()
    take_click(screens)
    lang = st.sidebar.radio(
        tr("language", state.lang()), state.LANGS, key="lang", horizontal=True, format_func=LANG_NAMES.get
    )
    st.title(tr("title", lang))
    st.caption(tr("subtitle", lang))
    store = open_store()
    layers = load_layers(store, lang)
    if layers is None:
        return
    notice(lang, layers)
    sidebar(lang)
    page = choice(
        st.radio,
        tr("page", lang),
        list(screens),
        "page",
        lang,
        horizontal=True,
        format_func=labeller("p", lang),
        label_visibility="collapsed",
    )
    ctx = analyse(layers, store, lang)
    base = cache.analysis(layers.token, "circle", (15.0,), 4.0, schema.TIERS, None, layers, None)
    if ctx.result is not None:
        metrics(ctx.result, lang)
        if ctx.controls.mode == "network" and len(ctx.result.unreachable):
            st.warning(tr("net_unreachable", lang, n=len(ctx.result.unreachable), m=ctx.result.settings.max_snap_m))
    screen = screens[page]
    map_col, side = st.columns([3, 2], gap="small")
    with side:
        overlay = screen.side(ctx)
    with map_col:
        mapview.draw_map(ctx, base, overlay)
    if ctx.result is not None and screen.below is not None:
        screen.below(ctx)


def run(root: Path, screens: Mapping[str, Screen]) -> None:
    """:func:`main` with every unexpected problem shown as a message, never a traceback."""
    try:
        main(root, screens)
    except (errors.DataError, cv.CoverageError, NetworkError, maps.MapError) as exc:
        st.error(tr("error_data", state.lang(), msg=str(exc)))
    except Exception as exc:
        LOG.exception("unexpected error in the page")
        st.error(tr("error_unexpected", state.lang(), msg=f"{type(exc).__name__}: {exc}"))
