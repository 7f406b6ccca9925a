"""The 数据管理 (data) screen: what is in use, and the panels to import, edit, replace
boundaries, restore versions and export (one module each: ``geo.app.data_*``).

Presentation only. The page's layers come from :func:`geo.app.cache.user_layers`, whose token
changes after every save, so the whole page (figures, map, tables) follows at the next run.
"""

from __future__ import annotations

import streamlit as st

from geo.app.cache import Layers, user_layers
from geo.app.data_boundaries import boundaries_section
from geo.app.data_common import (
    LAYER_NAMES,
    layer_label,
    open_store,
    show_error,
    ss,
    version_of,
)
from geo.app.data_edit import edit_section, move_group
from geo.app.data_export import export_section
from geo.app.data_import import import_section
from geo.app.data_versions import versions_section
from geo.app.screen import Ctx, Overlay, Screen
from geo.app.text import md, tr
from geo.engine import coverage as cv
from geo.io import data
from geo.io import store as gstore
from geo.io.errors import DataError


def data_page(layers: Layers, lang: str, store: gstore.Store,
              result: cv.CoverageResult | None = None) -> None:
    """The whole 数据管理 page (drawn in the side column next to the map)."""
    st.subheader(tr("data.head", lang))
    message = ss.pop("data_flash", None)
    if message:
        (st.success if message[0] == "success" else st.info)(message[1])
    in_use(layers, lang, store)
    tabs = st.tabs([tr("data.tab_import", lang), tr("data.tab_edit", lang), tr("data.tab_bounds", lang),
                    tr("data.tab_versions", lang), tr("data.tab_export", lang)])
    sections = (import_section, edit_section, boundaries_section, versions_section)
    for tab, section in zip(tabs, sections):
        with tab:
            try:
                section(layers, lang, store)
            except (DataError, gstore.ConflictError, KeyError, ValueError, OSError) as exc:
                show_error(exc, lang, section.__name__)
    with tabs[4]:
        try:
            export_section(layers, result, lang)
        except (DataError, ValueError, OSError) as exc:
            show_error(exc, lang, "export")


def in_use(layers: Layers, lang: str, store: gstore.Store) -> None:
    """Each layer in use: count, real or illustrative, and its version."""
    st.markdown(f"**{tr('data.in_use', lang)}**")
    frames = [getattr(layers, name) for name in LAYER_NAMES]
    st.dataframe({
        tr("data.col_layer", lang): [layer_label(n, lang) for n in LAYER_NAMES],
        tr("data.col_count", lang): [len(f) for f in frames],
        tr("data.col_status", lang): [tr("data.illustrative" if data.is_illustrative(f) else "data.real", lang)
                                      for f in frames],
        tr("data.col_version", lang): [f"v{version_of(f)}" if version_of(f) else tr("data.shipped", lang)
                                       for f in frames],
    }, hide_index=True)
    st.caption(tr("data.store_at", lang, path=md(store.path)))


def sidebar_status(lang: str) -> str:
    """One line for the sidebar: what is in use, and where to manage it."""
    try:
        layers = user_layers(open_store().path)
    except DataError as exc:
        return tr("data.error_data", lang, msg=md(exc))
    saved = any(version_of(getattr(layers, n)) for n in LAYER_NAMES)
    kind = tr("data.sb_illustrative" if layers.illustrative else "data.sb_real", lang)
    saved_text = tr("data.sb_saved", lang) if saved else ""
    return tr("data.sb_status", lang, kind=kind, n=len(layers.centers), saved=saved_text) + tr("data.sb_hint", lang)


# --------------------------------------------------------------------------- the screen


def side(ctx: Ctx) -> Overlay:
    """The data screen beside the map; on the map, the centre being moved and where to."""
    data_page(ctx.layers, ctx.lang, ctx.store, result=ctx.result)
    return Overlay(groups=lambda: [g for g in (move_group(ctx.layers, ctx.basemap, ctx.lang),) if g is not None])


def click(point: tuple[float, float]) -> None:
    """A click on the map is the new position of the centre being moved."""
    ss["data_click"] = point


SCREEN = Screen(side, click=click)

