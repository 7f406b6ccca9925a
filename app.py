"""龙湖区15分钟党群服务圈 · Longhu 15-minute service circles — the Streamlit page.

Thin by design: widgets, layout and session state. Analysis lives in ``geo.engine.coverage`` /
``geo.engine.nearest``; cached loaders, words, tables and the changing map layers in ``geo.app.view``.

The base map (district, streets, communities) depends only on the layers, the basemap and the
language, so ``st_folium`` keeps it (and the user's zoom) while minutes, speed, tiers or the
view change; everything that changes is sent through ``feature_group_to_add``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.app import datapage as appdata
from geo.app import planner as appplan
from geo.app import view as av
from geo.engine import coverage as cv
from geo.engine import nearest
from geo.engine.graph import NetworkError
from geo.io import data, errors
from geo.render import maps

ROOT = Path(__file__).resolve().parent
LOG = logging.getLogger("longhu.app")
MAX_SNAP_M = cv.Settings().max_snap_m  # farther than this from any street = "too far"

st.set_page_config(page_title="龙湖区15分钟党群服务圈", page_icon="🗺️", layout="wide")
ss = st.session_state


def T(key: str, **fmt: object) -> str:
    """Page text in the chosen language."""
    return av.tr(key, ss.get("lang", "zh"), **fmt)


def labeller(prefix: str, lang: str):
    """A format_func showing option ``x`` as the text ``{prefix}_{x}`` in ``lang``.

    The language is bound now, not read from session state later: AppTest and Streamlit
    may call format functions outside the script run.
    """
    return lambda x: av.tr(f"{prefix}_{x}", lang)


def choice(widget, label: str, options, name: str, **kwargs):
    """:func:`geo.app.view.choice` in the page's current language."""
    return av.choice(widget, label, options, name, ss.get("lang", "zh"), **kwargs)


# --------------------------------------------------------------------------- sidebar


def _defaults() -> None:
    for key, value in {"minutes_choice": "15", "custom_minutes": 20, "speed_choice": "adult",
                       "custom_speed": 3.5, "mode": "circle", "view": "coverage", "basemap": "none",
                       "page": "planner", "resident_input": "click", "lon": 116.7300, "lat": 23.3700,
                       "coord_crs": "wgs84", "gap_pick": 0, "net_source": "dir",
                       **{f"tier_{t}": True for t in data.TIERS}}.items():
        ss.setdefault(key, value)
    if ss.pop("net_just_loaded", False):
        av.put("mode", "network")
    if ss.get("network") is None or av.graph_for(ss["network"]["token"]) is None:
        ss["network"] = None
        av.put("mode", "circle")


def _unload_network() -> None:
    ss["network"] = None
    av.put("mode", "circle")


def network_panel(lang: str) -> None:
    """Load a walking network from data/ or an upload, with a progress bar."""
    net = ss.get("network")
    if net is not None:
        st.success(T("net_loaded", name=net["name"], nodes=net["nodes"], edges=net["edges"]))
        st.button(T("net_unload"), key="net_unload", on_click=_unload_network)
        return
    src = choice(st.radio, T("net_source"), ("dir", "upload"), "net_source", horizontal=True,
                 format_func={"dir": T("net_from_dir"), "upload": T("net_upload")}.get)
    path = token = None
    if src == "dir":
        folder = av.network_dir()
        files = av.list_network_files(folder)
        if not files:
            st.caption(T("net_none", dir=str(folder)))
        else:
            pick = st.selectbox(T("net_pick"), files, key="net_pick")
            path = folder / pick
    else:
        up = st.file_uploader(T("net_upload_label"), key="net_upload",
                              type=["graphml", "osm", "pbf", "xml"])
        if up is not None:
            path, token = av.save_upload(up.name, up.getvalue())
    if st.button(T("net_load"), key="net_load", disabled=path is None, type="primary") and path:
        bar = st.progress(0.0, text=T("net_loading", name=Path(path).name))
        try:
            token = token or av.file_token(path)
            graph = av.load_graph(path, token, progress=lambda f: bar.progress(
                f, text=T("net_loading", name=Path(path).name)))
        except (NetworkError, OSError) as exc:
            bar.empty()
            st.error(T("error_net", msg=str(exc)))
            return
        ss["network"] = {"token": token, "name": Path(path).name if src == "dir" else up.name,
                         "nodes": graph.n_nodes, "edges": graph.n_edges}
        ss["net_just_loaded"] = True
        st.rerun()


def sidebar(lang: str) -> None:
    """Every analysis control; values are read back from session state."""
    sb = st.sidebar
    sb.header(T("settings"))
    choice(sb.radio, T("minutes"), av.MINUTE_CHOICES, "minutes_choice", format_func=labeller("m", lang))
    if ss["minutes_choice"] == "custom":
        sb.number_input(T("custom_minutes"), min_value=1, max_value=60, step=1, key="custom_minutes")
    choice(sb.radio, T("speed"), av.SPEED_CHOICES, "speed_choice", format_func=labeller("s", lang))
    if ss["speed_choice"] == "custom":
        sb.number_input(T("custom_speed"), min_value=0.5, max_value=10.0, step=0.1, format="%.1f",
                        key="custom_speed")
    minutes = av.minutes_for(ss["minutes_choice"], ss["custom_minutes"])
    speed = av.speed_for(ss["speed_choice"], ss["custom_speed"])
    sb.caption(T("reach", m=cv.reach_m(minutes[-1], speed), minutes=av.minutes_text((minutes[-1],), lang)))
    has_net = ss.get("network") is not None
    choice(sb.radio, T("mode"), cv.MODES, "mode", format_func=labeller("mode", lang), disabled=not has_net)
    if not has_net:
        sb.caption(T("mode_needs_network"))
    sb.markdown(f"**{T('tiers')}**")
    for tier in data.TIERS:
        sb.checkbox(av.tier_label(tier, lang), key=f"tier_{tier}")
    choice(sb.radio, T("view"), av.VIEWS, "view", format_func=labeller("v", lang))
    sb.divider()
    choice(sb.radio, T("basemap"), maps.BASEMAPS, "basemap", format_func=labeller("b", lang))
    with sb.expander(T("network"), expanded=False):
        network_panel(lang)
    with sb.expander(T("data"), expanded=False):
        st.caption(appdata.sidebar_status(lang))


# --------------------------------------------------------------------------- side panels


def planner_panel(result: cv.CoverageResult | None, key: tuple, lang: str) -> int:
    """The gap list (largest first) and the gap to zoom to; returns the chosen gap id or 0."""
    st.subheader(T("gap_list"))
    if result is None:
        return 0
    if len(result.gaps) == 0:
        st.success(T("no_gaps"))
        return 0
    info = av.gap_info(key, result)
    labels = {0: T("gap_none_option")}
    for gid, area, names in zip(info["gap_id"], info["area_m2"], info["communities"]):
        short = "、".join(names.split("、")[:3]) + ("…" if names.count("、") >= 3 else "")
        labels[int(gid)] = T("gap_option", id=int(gid), ha=area / 1e4, names=short or "—")
    pick = choice(st.selectbox, T("gap_pick"), list(labels), "gap_pick", format_func=labels.get)
    st.dataframe(av.gap_table(info, lang), hide_index=True, height=360)
    return int(pick)


def resident_panel(layers: av.Layers, result: cv.CoverageResult | None, graph, lang: str):
    """Where is the resident, and which centres are nearest; returns the NearestResult or None."""
    st.subheader(T("resident_head"))
    method = choice(st.radio, T("input"), av.INPUTS, "resident_input", horizontal=True,
                      format_func=labeller("i", lang))
    point = None
    if method == "click":
        if ss.get("click_point"):
            point = (*ss["click_point"], "wgs84")
        else:
            st.info(T("click_hint"))
    elif method == "coords":
        c1, c2 = st.columns(2)
        c1.number_input(T("lon"), min_value=-180.0, max_value=180.0, step=0.0001, format="%.6f", key="lon")
        c2.number_input(T("lat"), min_value=-90.0, max_value=90.0, step=0.0001, format="%.6f", key="lat")
        choice(st.selectbox, T("coord_crs"), ("wgs84", "gcj02", "bd09"), "coord_crs",
                     format_func=lambda c: av.crs_label(c, lang))
        point = (ss["lon"], ss["lat"], ss["coord_crs"])
    else:
        query = st.text_input(T("search"), key="comm_query", placeholder=T("search_ph"))
        if query.strip():
            names = av.search_communities(query, layers.communities["name"].tolist())
            if not names:
                st.warning(T("search_none"))
            else:
                if ss.get("comm_pick") not in names:
                    ss["comm_pick"] = names[0]
                name = st.selectbox(T("search_pick"), names, key="comm_pick")
                point = (*av.community_point(layers.communities, name), "wgs84")
    if point is None:
        return None
    tiers = result.settings.tiers if result is not None else data.TIERS
    mode = result.settings.mode if result is not None else "circle"
    speed = result.settings.speed_kmh if result is not None else cv.SPEED_PRESETS["adult"]
    centers = layers.centers[layers.centers["tier"].isin(tiers)]
    res = nearest.nearest_centers(centers, point[0], point[1], crs=point[2], k=3, speed_kmh=speed,
                                  mode=mode, graph=graph if mode == "network" else None,
                                  max_snap_m=MAX_SNAP_M, district=layers.district)
    st.caption(T("your_point", lon=res.point.x, lat=res.point.y))
    if not res.inside_district:
        st.warning(T("outside"))
    if res.message:
        st.warning(T("too_far", m=MAX_SNAP_M) if res.snapped is None else T("no_route"))
    if len(res.table):
        first = res.table.iloc[0]
        st.success(T("best", name=first["name"], min=first["minutes"], m=first["distance_m"]))
        st.markdown(f"**{T('nearest_head', k=len(res.table))}**")
        table = av.nearest_table(res, lang)
        st.dataframe(table, hide_index=True, column_order=[table.columns[i] for i in (0, 2, 3, 1)],
                     column_config={table.columns[0]: st.column_config.TextColumn(width="medium"),
                                    **{c: st.column_config.Column(width="small") for c in table.columns[1:]}})
        if mode == "network" and res.access_m is not None:
            st.caption(T("snap", m=res.access_m))
        elif mode == "circle":
            st.caption(T("circle_note"))
    return res


def tables_section(result: cv.CoverageResult, key: tuple, view: str, graph, illustrative: bool,
                   lang: str) -> None:
    """Per-street / per-community tables (sortable) with CSV and XLSX downloads."""
    st.subheader(T("tables"))
    st.caption(T("sort_hint"))
    streets = av.street_table(result, lang)
    comms = av.community_table(result, lang)
    gaps = av.gap_table(av.gap_info(key, result), lang)
    names = [T("t_streets"), T("t_communities"), T("t_gaps")]
    frames = [streets, comms, gaps]
    if view == "catchments":
        names.append(T("t_catchments"))
        frames.append(av.catchment_table(av.catchments(key, result, graph), lang))
    pct = av.pct_column(lang)
    cfg = {pct: st.column_config.ProgressColumn(pct, min_value=0, max_value=100, format="%.1f%%")}
    tag = "_".join(f"{m:g}" for m in result.settings.minutes) + "min"
    files = av.export_bytes(key, lang, view, illustrative, result, graph)
    stems = ["streets", "communities", "gaps", "catchments"]
    for i, (tab, frame) in enumerate(zip(st.tabs(names), frames)):
        with tab:
            st.dataframe(frame, hide_index=True, column_config=cfg, height=420)
            c1, c2 = st.columns(2)
            c1.download_button(T("dl_csv"), files[f"csv_{i}"], f"longhu_{stems[i]}_{tag}.csv",
                               "text/csv", key=f"dl_csv_{i}", on_click="ignore")
            c2.download_button(T("dl_xlsx"), files["xlsx"], f"longhu_coverage_{tag}.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               key=f"dl_xlsx_{i}", on_click="ignore")


# --------------------------------------------------------------------------- main


def _take_click() -> None:
    """A new map click becomes the query point (resident screen) or a centre's new position
    (data screen), in WGS-84."""
    raw = (ss.get("map") or {}).get("last_clicked")
    if raw and raw != ss.get("click_seen"):
        ss["click_seen"] = raw
        if ss.get("page") == "resident":
            ss["click_point"] = av.click_to_wgs84(raw["lat"], raw["lng"], ss.get("basemap", "none"))
            av.put("resident_input", "click")
        elif ss.get("page") == "data":
            ss["data_click"] = av.click_to_wgs84(raw["lat"], raw["lng"], ss.get("basemap", "none"))


def main() -> None:
    av.setup_assets(ROOT)
    _defaults()
    _take_click()
    lang = st.sidebar.radio("语言 / Language", av.LANGS, key="lang", horizontal=True,
                            format_func=lambda x: "中文" if x == "zh" else "English")
    st.title(T("title"))
    st.caption(T("subtitle"))
    store = appdata.open_store()
    try:
        layers = av.user_layers(store.path)
    except errors.DataError as exc:  # an unreadable store: say so, and keep working on the shipped files
        st.error(T("error_data", msg=str(exc)))
        try:
            layers = av.shipped_layers()
        except errors.DataError as exc2:
            st.error(T("error_data", msg=str(exc2)))
            return
    if layers.illustrative:
        notes = (data.ILLUSTRATIVE_NOTICE_EN, data.ILLUSTRATIVE_NOTICE_ZH) if lang == "en" else \
            (data.ILLUSTRATIVE_NOTICE_ZH, data.ILLUSTRATIVE_NOTICE_EN)
        st.warning("  \n".join(notes), icon="⚠️")
    sidebar(lang)
    page = choice(st.radio, T("page"), av.PAGES, "page", horizontal=True, format_func=labeller("p", lang),
                    label_visibility="collapsed")

    net = ss.get("network")
    graph = av.graph_for(net["token"]) if net else None
    tiers = tuple(t for t in data.TIERS if ss[f"tier_{t}"])
    minutes = av.minutes_for(ss["minutes_choice"], ss["custom_minutes"])
    speed = av.speed_for(ss["speed_choice"], ss["custom_speed"])
    mode = ss["mode"] if graph is not None else "circle"
    key = (layers.token, mode, minutes, speed, tiers, net["token"] if net else None)
    base = av.analysis(layers.token, "circle", (15.0,), 4.0, data.TIERS, None, layers, None)
    result = None
    if not tiers:
        st.warning(T("no_tier"))
    else:
        try:
            with st.spinner(T("computing")):
                result = av.analysis(*key, layers, graph)
        except (cv.CoverageError, NetworkError) as exc:
            st.error(T("error_cov", msg=str(exc)))

    if result is not None:
        metrics(result, lang)
        if mode == "network" and len(result.unreachable):
            st.warning(T("net_unreachable", n=len(result.unreachable), m=result.settings.max_snap_m))

    map_col, side = st.columns([3, 2], gap="small")
    gap_id, res = 0, None
    with side:
        if page == "planner":
            gap_id = planner_panel(result, key, lang)
        elif page == "resident":
            try:
                res = resident_panel(layers, result, graph, lang)
            except (cv.CoverageError, NetworkError) as exc:
                st.error(T("error_cov", msg=str(exc)))
            except errors.DataError as exc:
                st.error(T("error_data", msg=str(exc)))
        else:
            appdata.data_page(layers, lang, store, result=result)
    with map_col:
        draw_map(base, result, key, graph, layers, gap_id, res, lang)
    if result is not None and page == "planner":
        tables_section(result, key, ss["view"], graph, layers.illustrative, lang)
        planner_tools(result, key, graph, layers, lang)


def planner_tools(result: cv.CoverageResult, key: tuple, graph, layers: av.Layers, lang: str) -> None:
    """Briefing downloads and new-station suggestions (below the tables)."""
    st.divider()
    appplan.exports_section(result, key, ss["basemap"], lang)
    st.divider()
    appplan.suggest_section(result, key, graph, lang, save=lambda plan: appplan.save_plan(
        plan, layers.centers, layers.streets, layers.communities))


def metrics(result: cv.CoverageResult, lang: str) -> None:
    """Headline figures: covered share (per limit when banded), centres, gaps, district area."""
    s = result.settings
    cols = st.columns(len(s.minutes) + 3)
    for col, m in zip(cols, s.minutes):
        col.metric(T("covered", minutes=av.minutes_text((m,), lang)), f"{result.by_minutes[m]:.1f}%",
                   help=T("covered_help"))
    rest = cols[len(s.minutes):]
    rest[0].metric(T("n_centers"), f"{len(result.centers)}")
    rest[1].metric(T("n_gaps", km2=result.gaps["area_m2"].sum() / 1e6), T("gaps_value", n=len(result.gaps)))
    rest[2].metric(T("district_area"), f"{result.district_area_km2:.1f} km²")


def draw_map(base: cv.CoverageResult, result: cv.CoverageResult | None, key: tuple, graph,
             layers: av.Layers, gap_id: int, res, lang: str) -> None:
    """The map: fixed base layers plus the changing ones as feature groups."""
    basemap = ss["basemap"]
    view = ss["view"]
    try:
        m = av.base_map(base, basemap, layers.illustrative, lang)
        groups: list[folium.FeatureGroup] = []
        centre = zoom = None
        if result is not None:
            if view == "coverage" and len(result.settings.minutes) > 1:
                groups.append(av.bands_group(result, basemap, lang))
            elif view == "coverage":
                groups.append(av.coverage_group(result, basemap, lang, key))
            elif view == "catchments":
                groups.append(av.catchments_group(av.catchments(key, result, graph), basemap, lang))
            else:
                groups.append(av.overlap_group(av.overlap(key, result), basemap, lang))
            groups.append(av.gaps_group(result, basemap, lang))
            groups += av.centers_groups(result, basemap, lang, key)
            if gap_id:
                groups.append(av.selected_gap_group(result, gap_id, basemap, lang))
                view_box = av.gap_view(result, gap_id, basemap)
                if view_box:
                    centre, zoom = view_box
            if ss.get("page") == "data":
                move = appdata.move_group(layers, basemap, lang)
                if move is not None:
                    groups.append(move)
            plan = ss.get("plan")
            if plan is not None and plan[0] == key and len(plan[1].sites):
                groups.append(appplan.sites_group(plan[1], basemap, lang))
            if res is not None:
                groups.append(av.query_group(res, layers.centers, basemap, lang))
                centre, zoom = av.query_view(res, layers.centers, basemap)
            groups.append(av.legend_group(lang, result, view, query=res is not None,
                                          route=res is not None and res.route is not None,
                                          selected_gap=bool(gap_id)))
        if centre is None:
            centre, zoom = av.district_view(base, basemap)
    except maps.MapError as exc:
        st.error(T("error_map", msg=str(exc)))
        return
    st_folium(m, key="map", height=av.MAP_HEIGHT, use_container_width=True,
              returned_objects=["last_clicked"], feature_group_to_add=groups or None,
              layer_control=folium.LayerControl(collapsed=True, position="topright"),
              center=centre, zoom=zoom)


def run() -> None:
    """main() with every unexpected problem shown as a message, never a traceback."""
    try:
        main()
    except (errors.DataError, cv.CoverageError, NetworkError, maps.MapError) as exc:
        st.error(T("error_data", msg=str(exc)))
    except Exception as exc:  # noqa: BLE001 - the page must never show a traceback
        LOG.exception("unexpected error in the page")
        st.error(("出现意外错误，请调整设置后重试：" if ss.get("lang", "zh") == "zh"
                  else "Something went wrong; change a setting and try again: ") + f"{type(exc).__name__}: {exc}")


run()
