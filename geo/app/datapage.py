"""The data page (``/data``): what is in use (counts and where each layer came from), and the panels
to import, edit, replace boundaries, restore versions and export (one module each: ``geo.app.data_*``).

Presentation only. The page's layers are those of its District (:func:`geo.app.cache.layers`),
whose token changes after every save, so every title, count and figure of every page follows at
the next run. Every panel receives the layers, and through them the District whose store it
reads (read-only) and saves into.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.app import mapview
from geo.app.data_boundaries import boundaries_section
from geo.app.data_common import LAYER_NAMES, layer_label, show_error, source_label, ss, version_of
from geo.app.data_edit import edit_section, move_section
from geo.app.data_export import export_section
from geo.app.data_import import import_section
from geo.app.data_versions import versions_section
from geo.app.page import Frame, notice, start
from geo.app.screen import analyse
from geo.app.text import md, tr
from geo.io import store as gstore
from geo.io.district import District, Layers
from geo.io.errors import DataError

SOURCE_COLUMNS = {"district": None, "streets": "geometry_source", "communities": "geometry_source",
                  "centers": "position_source"}


def subtitle(layers: Layers, lang: str) -> str:
    """The line under the title: the counts of the layers in use."""
    return tr("data.subtitle", lang, place=layers.place, centres=tr("data.n_centres", lang, n=len(layers.centers)),
              streets=tr("data.n_streets", lang, n=len(layers.streets)),
              communities=tr("data.n_communities", lang, n=len(layers.communities)))


def in_use(layers: Layers, lang: str) -> None:
    """Each layer in use: count, where its features came from, and its version."""
    st.markdown(f"**{tr('data.in_use', lang)}**")
    frames = {name: getattr(layers, name) for name in LAYER_NAMES}
    sources = [source_label(f[SOURCE_COLUMNS[n]], lang) if SOURCE_COLUMNS[n] in f else tr("data.src_outline", lang)
               for n, f in frames.items()]
    st.table(pd.DataFrame({
        tr("data.col_layer", lang): [layer_label(n, lang) for n in LAYER_NAMES],
        tr("data.col_count", lang): [len(f) for f in frames.values()],
        tr("data.col_status", lang): sources,
        tr("data.col_version", lang): [f"v{version_of(f)}" if version_of(f) else tr("data.shipped", lang)
                                       for f in frames.values()],
    }), hide_index=True)
    st.caption(tr("data.store_at", lang, path=md(layers.place.store_path)))
    if layers.notes:  # the layers that fell back to the district's own files, named in the page's words
        names = tr("list_sep", lang).join(layer_label(n, lang) for n in layers.notes)
        st.caption(tr("data.fallback", lang, place=layers.place, layers=names))


def sidebar_status(layers: Layers, lang: str) -> str:
    """One line for the planner's sidebar: what is in use, and where to manage it."""
    saved = any(version_of(getattr(layers, n)) for n in LAYER_NAMES)
    kind = tr("data.sb_illustrative", lang) if layers.illustrative else tr("data.sb_user", lang)
    saved_text = tr("data.sb_saved", lang) if saved else ""
    return tr("data.sb_status", lang, kind=kind, n=len(layers.centers), saved=saved_text) + tr("data.sb_hint", lang)


def take_click() -> None:
    """A new click on the data page's map is the new position of the centre being moved."""
    raw = (ss.get("data_map") or {}).get("last_clicked")
    if raw and raw != ss.get("data_click_seen"):
        from geo.app.layers import click_to_wgs84

        ss["data_click_seen"] = raw
        ss["data_click"] = click_to_wgs84(raw["lat"], raw["lng"], ss.get("basemap", "none"))


def _tab(section, frame: Frame, name: str) -> None:
    try:
        section(frame.layers, frame.lang)
    except (DataError, gstore.ConflictError, KeyError, ValueError, OSError) as exc:
        show_error(exc, frame.lang, name)


def page(place: District) -> None:
    """The data page on ``place``, the District of this run."""
    frame = start(place, "data.title", subtitle)
    if frame is None:
        return
    lang = frame.lang
    notice(lang, frame.layers, short=True)
    take_click()
    message = ss.pop("data_flash", None)
    if message:
        (st.success if message[0] == "success" else st.info)(message[1])
    in_use(frame.layers, lang)
    # lazy tabs: only the open panel runs (the editor and its map are heavy)
    tabs = st.tabs([tr("data.tab_import", lang), tr("data.tab_edit", lang), tr("data.tab_bounds", lang),
                    tr("data.tab_versions", lang), tr("data.tab_export", lang)], key=f"data_tab_{lang}",
                   on_change="rerun")
    panels = [lambda: _tab(import_section, frame, "import"), lambda: _edit_tab(frame),
              lambda: _tab(boundaries_section, frame, "boundaries"), lambda: _tab(versions_section, frame, "versions"),
              lambda: _export_tab(frame)]
    for tab, panel in zip(tabs, panels):
        if tab.open is not False:
            with tab:
                panel()


def _edit_tab(frame: Frame) -> None:
    _tab(edit_section, frame, "edit")
    lang = frame.lang
    move_section(frame.layers, lang, lambda build, key: mapview.show(
        frame.layers, ss["basemap"], lang, build, key, key="data_map", clicks=True, height=480, centres=True))


def _export_tab(frame: Frame) -> None:
    ctx = analyse(frame, quiet=True)
    try:
        export_section(frame.layers, ctx.result, frame.lang)
    except (DataError, ValueError, OSError) as exc:
        show_error(exc, frame.lang, "export")
