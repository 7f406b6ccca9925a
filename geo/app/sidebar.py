"""The sidebar: every analysis control, the walking-network loader and the data status.

Values are read back from session state (:mod:`geo.app.state`). The custom minutes and speed
are plain number fields without bounds, so what the user types reaches the page's own check
(:mod:`geo.app.inputs`), which says what is wrong instead of silently clamping.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.app import cache, inputs, state
from geo.app.datapage import sidebar_status
from geo.app.state import bound, choice, labeller, ss
from geo.app.text import error_text, minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.engine.graph import NetworkError
from geo.io.district import Layers
from geo.render import maps


def sidebar(layers: Layers, lang: str) -> None:
    """Every analysis control, and the status of ``layers`` (the page's); values are read back
    from session state."""
    sb = st.sidebar
    sb.header(tr("settings", lang))
    choice(sb.radio, tr("minutes", lang), state.MINUTE_CHOICES, "minutes_choice", lang,
           format_func=labeller("m", lang))
    if ss["minutes_choice"] == "custom":
        bound(sb.number_input, tr("custom_minutes", lang), "custom_minutes", step=1.0, format="%g")
    choice(sb.radio, tr("speed", lang), state.SPEED_CHOICES, "speed_choice", lang, format_func=labeller("s", lang))
    if ss["speed_choice"] == "custom":
        bound(sb.number_input, tr("custom_speed", lang), "custom_speed", step=0.1, format="%.1f")
    try:
        minutes, speed = state.walk(lang)
        sb.caption(tr("reach", lang, m=cv.reach_m(minutes[-1], speed), minutes=minutes_text((minutes[-1],), lang)))
    except inputs.InputError as exc:
        sb.error(str(exc))
    has_net = ss.get("network") is not None
    choice(sb.radio, tr("mode", lang), cv.MODES, "mode", lang, format_func=labeller("mode", lang),
           disabled=not has_net)
    if not has_net:
        sb.caption(tr("mode_needs_network", lang))
    sb.markdown(f"**{tr('tiers', lang)}**")
    for tier in schema.TIERS:
        bound(sb.checkbox, tier_label(tier, lang), f"tier_{tier}")
    choice(sb.radio, tr("view", lang), state.VIEWS, "view", lang, format_func=labeller("v", lang))
    sb.divider()
    choice(sb.radio, tr("basemap", lang), maps.BASEMAPS, "basemap", lang, format_func=labeller("b", lang))
    with sb.expander(tr("network", lang), expanded=False):
        network_panel(lang)
    with sb.expander(tr("data", lang), expanded=False):
        st.caption(sidebar_status(layers, lang))


def _network_file(src: str, lang: str) -> tuple[Path | None, str | None, str | None]:
    """The network file chosen (``path``, upload ``token``, ``name``), or Nones."""
    if src == "dir":
        folder = cache.network_dir()
        files = cache.list_network_files(folder)
        if not files:
            st.caption(tr("net_none", lang, dir=str(folder)))
            return None, None, None
        pick = st.selectbox(tr("net_pick", lang), files, key="net_pick")
        return folder / pick, None, Path(pick).name
    up = st.file_uploader(tr("net_upload_label", lang), key="net_upload", type=["graphml", "osm", "pbf", "xml"])
    if up is None:
        return None, None, None
    path, token = cache.save_upload(up.name, up.getvalue())
    return path, token, up.name


def network_panel(lang: str) -> None:
    """Load a walking network from data/ or an upload, with a progress bar."""
    net = ss.get("network")
    if net is not None:
        st.success(tr("net_loaded", lang, name=net["name"], nodes=net["nodes"], edges=net["edges"]))
        if "parts" in net:
            parts = net["parts"]
            words = [tr("net_parts" if parts["count"] > 1 else "net_one_part", lang, **parts)]
            if parts["fragments"]:
                words.append(tr("net_fragments", lang, n=parts["fragments"]))
            st.caption(" ".join(words))
        st.button(tr("net_unload", lang), key="net_unload", on_click=state.unload_network)
        return
    src = choice(st.radio, tr("net_source", lang), ("dir", "upload"), "net_source", lang, horizontal=True,
                 format_func={"dir": tr("net_from_dir", lang), "upload": tr("net_upload", lang)}.get)
    path, token, name = _network_file(src, lang)
    if not (st.button(tr("net_load", lang), key="net_load", disabled=path is None, type="primary") and path):
        return
    bar = st.progress(0.0, text=tr("net_loading", lang, name=Path(path).name))
    try:
        token = token or cache.file_token(path)
        graph = cache.load_graph(path, token, progress=lambda f: bar.progress(
            f, text=tr("net_loading", lang, name=Path(path).name)))
    except (NetworkError, OSError) as exc:
        bar.empty()
        st.error(tr("error_net", lang, msg=error_text(exc, lang)))
        return
    parts = graph.parts()
    ss["network"] = {"token": token, "name": name, "nodes": graph.n_nodes, "edges": graph.n_edges,
                     "parts": {"count": parts.count, "km": parts.total_m / 1000,
                               "share": 100 * parts.largest_share, "fragments": parts.fragments}}
    ss["net_just_loaded"] = True
    st.rerun()
