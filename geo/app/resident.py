"""The resident's page (``/resident``), phone first: where am I, and which three centres are nearest.

One column on a phone: how to give the place (tap the map or use the map's locate button,
search a community in characters, pinyin or initials, or type coordinates in WGS-84, GCJ-02
or BD-09), the map fitted to the place and its three nearest centres (numbered, with the route
or straight lines), and the three centres with tier, walking minutes and metres. No planner
figures. A place that cannot be right -- not a number, out of range, swapped, outside China,
far outside the district -- is a message (with a swap button for swapped values), never an answer.
The page below the header is one fragment: a tap on the map redraws only it.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
import streamlit as st

from geo.app import inputs, lifecircle_view, mapview
from geo.app import layers as lay
from geo.app.legend import Extras, legend_group
from geo.app.page import Frame, caught, network_graph, notice, start
from geo.app.search import community_point, example, search_communities
from geo.app.state import CRS_CHOICES, INPUTS, RESIDENT_SPEEDS, bound, choice, labeller, put, ss
from geo.app.text import crs_label, error_text, md, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import crs as gcrs
from geo.engine import nearest
from geo.engine.graph import NetworkError
from geo.io import registry
from geo.io.district import District, Layers
from geo.jobs.nearest import NearestJob

K_NEAREST = 3
MAX_SNAP_M = cv.Settings().max_snap_m  # farther than this from any street = "too far"
NEAR_OUTSIDE_M = 2000.0  # a place this close outside the district still gets an answer (with a note)


def subtitle(layers: Layers, lang: str) -> str:
    """The line under the title: the district of the layers and its number of centres."""
    return tr("res.subtitle", lang, place=layers.place, n=len(layers.centers))


# --------------------------------------------------------------------------- where am I


def clicked_point(lang: str) -> tuple[float, float] | None:
    """The last tap on the map (or found location), in WGS-84."""
    st.caption(tr("res.tap_hint", lang))
    return tuple(ss["res_point"]) if ss.get("res_point") else None


def searched_point(frame: Frame) -> tuple[float, float] | None:
    """A point inside the community whose name (characters, pinyin, initials) matches best."""
    lang = frame.lang
    names = frame.layers.communities["name"].tolist()
    query = bound(st.text_input, tr("search", lang), "comm_query", placeholder=tr("search_ph", lang, **example(names)))
    if not str(query).strip():
        return None
    names = search_communities(str(query), names)
    if not names:
        st.warning(tr("search_none", lang))
        return None
    if ss.get("comm_pick") not in names:
        ss["comm_pick"] = names[0]
    name = st.selectbox(tr("search_pick", lang), names, key="comm_pick")
    return community_point(frame.layers.communities, name)


def _swap() -> None:
    """The swap button: longitude and latitude change places (a callback: before the fields are drawn)."""
    lon, lat = ss.get("lon", ""), ss.get("lat", "")
    put("lon", lat)
    put("lat", lon)


def typed_point(frame: Frame) -> tuple[float, float] | None:
    """Longitude and latitude typed as text in a chosen coordinate system, checked (numbers, range,
    swapped, in China; the messages name the page's district); returns the WGS-84 point, or None
    after a message."""
    lang, place = frame.lang, frame.place
    c1, c2 = st.columns(2)
    with c1:
        bound(st.text_input, tr("lon", lang), "lon", placeholder=tr("coord_hint_lon", lang, place=place))
    with c2:
        bound(st.text_input, tr("lat", lang), "lat", placeholder=tr("coord_hint_lat", lang, place=place))
    system = choice(st.selectbox, tr("coord_crs", lang), CRS_CHOICES, "coord_crs", lang,
                    format_func=lambda c: crs_label(c, lang))
    if not (str(ss["lon"]).strip() or str(ss["lat"]).strip()):
        st.caption(tr("res.coords_hint", lang))
        return None
    try:
        lon, lat = inputs.point(ss["lon"], ss["lat"], lang, place)
    except inputs.InputError as exc:
        st.error(str(exc))
        if exc.kind == "swapped":
            st.button(tr("res.swap", lang), key="res_swap", on_click=_swap, type="primary")
        return None
    if not bool(gcrs.in_china(np.array([lon]), np.array([lat]))[0]):
        st.error(tr("res.not_china", lang, place=place, lon=f"{lon:g}", lat=f"{lat:g}"))
        return None
    x, y = gcrs.convert(lon, lat, system, "wgs84")
    return float(x), float(y)


POINTS = {"click": lambda frame: clicked_point(frame.lang), "search": searched_point, "coords": typed_point}


def checked_place(frame: Frame, point: tuple[float, float]) -> tuple[float, float, bool] | None:
    """The place checked against the page's district (the one coordinate check): ``(lon, lat,
    inside)``, or None after a message naming the district when it is farther than
    :data:`NEAR_OUTSIDE_M` outside."""
    check = registry.check_coordinates([point[0]], [point[1]], "wgs84", district=frame.layers.district,
                                       tolerance_m=NEAR_OUTSIDE_M, guess=False)
    if not check.ok[0]:
        dist = registry.distance_m(registry.district_geom(frame.layers.district), np.array([point[0]]),
                                   np.array([point[1]]))[0]
        st.error(tr("res.far_outside", frame.lang, place=frame.place, km=dist / 1000))
        return None
    inside = bool(shapely.covers(registry.district_geom(frame.layers.district), shapely.Point(point)))
    return point[0], point[1], inside


# --------------------------------------------------------------------------- the answer


def minutes_text(minutes: float, lang: str) -> str:
    """Walking minutes as the page shows them everywhere (headline and list): one decimal."""
    return tr("res.minutes", lang, m=math.floor(minutes * 10 + 0.5) / 10)


def answer(res: nearest.NearestResult, mode: str, inside: bool, frame: Frame) -> None:
    """The nearest centre, then all three with tier, walking minutes and metres."""
    lang = frame.lang
    if not inside:
        st.warning(tr("res.just_outside", lang, place=frame.place))
    if res.message or len(res.table) == 0:
        st.warning(tr("too_far", lang, m=MAX_SNAP_M) if res.snapped is None else tr("no_route", lang))
        return
    first = res.table.iloc[0]
    st.success(tr("res.best", lang, name=md(first["name"]), minutes=minutes_text(first["minutes"], lang),
                  m=first["distance_m"]))
    st.markdown(f"**{tr('nearest_head', lang, n=len(res.table))}**")
    for rank, row in enumerate(res.table.itertuples(), start=1):
        with st.container(border=True):
            st.markdown(f"**{rank}. {md(row.name)}**  \n{md(tier_label(row.tier, lang))} · "
                        f"{tr('res.walk', lang, minutes=minutes_text(row.minutes, lang), m=row.distance_m)}")
    st.caption(tr("snap", lang, m=res.access_m) if mode == "network" and res.access_m is not None
               else tr("circle_note", lang))


def query(frame: Frame, lon: float, lat: float) -> tuple[nearest.NearestResult, str]:
    """The three nearest centres of the page's district at the chosen speed, along streets when a
    network is loaded (:class:`geo.jobs.nearest.NearestJob`)."""
    graph = network_graph()
    mode = "network" if graph is not None else "circle"
    job = NearestJob(frame.layers, K_NEAREST, cv.SPEED_PRESETS[ss["res_speed"]], mode, graph)
    return job.run(lon, lat), mode


def map_groups(frame: Frame, res: nearest.NearestResult | None) -> list:
    """The centres, the query and its nearest centres, the legend and the fit."""
    basemap, lang = ss["basemap"], frame.lang
    base = mapview.base_result(frame.layers)
    groups = []  # the centres are in the base map (mapview.show(centres=True))
    if res is not None and len(res.table):
        groups.append(lay.query_group(res, frame.layers.centers, basemap, lang))
        near = frame.layers.centers.drop_duplicates("id").set_index("id").geometry.reindex(res.table["id"])
        geoms = [res.point, *[g for g in near if g is not None]] + ([res.route] if res.route is not None else [])
        fit = mapview.points_fit(geoms, basemap, f"q:{res.point.x:.6f},{res.point.y:.6f}:{frame.layers.token}")
    else:
        fit = mapview.district_fit(base, basemap)
    extras = Extras(query=res is not None, route=res is not None and res.route is not None)
    return groups + [legend_group(lang, None, extras=extras), mapview.fit_group(fit)]


def groups_key(frame: Frame, res: nearest.NearestResult | None) -> tuple:
    """What the resident's map layers depend on (they are built again only when it changes)."""
    net = ss.get("network")
    answer = None if res is None else (round(res.point.x, 7), round(res.point.y, 7), tuple(res.table["id"]),
                                       res.route.wkb_hex if res.route is not None else None)
    return ("resident", frame.place.code, frame.layers.token, ss["basemap"], frame.lang, answer,
            net["token"] if net else None)


def take_click() -> None:
    """A new tap on the map (or a found location) is the resident's place (WGS-84)."""
    raw = (ss.get("res_map") or {}).get("last_clicked")
    if raw and raw != ss.get("res_click_seen"):
        ss["res_click_seen"] = raw
        ss["res_point"] = lay.click_to_wgs84(raw["lat"], raw["lng"], ss.get("basemap", "none"))
        put("resident_input", "click")


def answer_for(frame: Frame, point: tuple[float, float] | None) -> tuple:
    """``(NearestResult, mode, inside)`` for a place, or Nones after a message."""
    place = checked_place(frame, point) if point is not None else None
    if place is None:
        return None, None, None
    try:
        res, mode = query(frame, place[0], place[1])
    except (cv.CoverageError, NetworkError) as exc:
        st.error(tr("error_cov", frame.lang, msg=error_text(exc, frame.lang)))
        return None, None, None
    return res, mode, place[2]


@st.fragment
@caught
def panel(frame: Frame) -> None:
    """Where am I, the map and the answer (one fragment: ``frame`` holds the page's District, so
    a tap's rerun of the fragment alone answers for the same district)."""
    lang = frame.lang
    take_click()
    ask, shown = st.columns([2, 3], gap="medium")
    with ask:
        how = choice(st.segmented_control, tr("input", lang), INPUTS, "resident_input", lang,
                     format_func=labeller("i", lang), required=True)
        point = POINTS[how](frame)
        choice(st.radio, tr("res.speed", lang), RESIDENT_SPEEDS, "res_speed", lang, horizontal=True,
               format_func=labeller("res.s", lang))
        res, mode, inside = answer_for(frame, point)
    with shown:
        mapview.show(frame.layers, ss["basemap"], lang, lambda: map_groups(frame, res), groups_key(frame, res),
                     key="res_map", height=mapview.PHONE_MAP_HEIGHT, clicks=True, locate=True, centres=True)
        if res is not None:
            answer(res, mode, inside, frame)
            lifecircle_view.resident_section(frame.place, res.point.x, res.point.y, lang,
                                             cv.SPEED_PRESETS[ss["res_speed"]])


def page(place: District) -> None:
    """The resident's page on ``place``, the District of this run."""
    frame = start(place, "res.title", subtitle)
    if frame is None:
        return
    notice(frame.lang, frame.layers, short=True)
    panel(frame)
