"""What every page of the app shares: the header with the language switch, the layers in use,
the illustrative-data notice, the analysis for the controls, and the guard that turns any
problem into a message.

``app.py`` wires the pages (``st.navigation``): the planner at ``/``, the resident page at
``/resident``, the data page at ``/data``, each called with the District of the run
(:func:`geo.app.district.resolve`). Each page's ``page(place)`` calls :func:`start` for the
shared part and draws the rest; :func:`guarded` wraps it so no traceback reaches a user.
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from geo.app import cache, district, state
from geo.app.state import ss
from geo.app.text import error_text, md, tr
from geo.engine import coverage as cv
from geo.engine.graph import NetworkError, WalkGraph
from geo.io import errors, sources
from geo.io.district import District, Layers
from geo.render import maps

LOG = logging.getLogger("longhu.app")
ROOT = Path(__file__).resolve().parents[2]

#: Page CSS: table cells wrap instead of being cut; the map iframe never wider than the page.
CSS = """<style>
[data-testid="stMainBlockContainer"] {padding-top: 3.5rem; padding-bottom: 3rem;}
[data-testid="stMetricLabel"] p {white-space: normal; overflow-wrap: anywhere;}
[data-testid="stMetricLabel"] {height: auto;}
iframe[title="streamlit_folium.st_folium"] {max-width: 100%;}
[data-testid="stMarkdownContainer"] table.lh-table {width: 100%; font-size: 0.85rem; border-collapse: collapse;}
[data-testid="stMarkdownContainer"] table.lh-table th {white-space: nowrap; text-align: left;}
[data-testid="stMarkdownContainer"] table.lh-table th,
[data-testid="stMarkdownContainer"] table.lh-table td {padding: 0.3rem 0.45rem; vertical-align: top;}
</style>"""


def uploader_css(lang: str) -> str:
    """Streamlit's file uploader words its button and limit in English only ("Upload", "200MB
    per file • CSV"); on a Chinese page the page's own words replace them (the English stays
    for screen readers, at size 0)."""
    button = '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p'
    limit = '[data-testid="stFileUploaderDropzoneInstructions"] span'
    words = {button: tr("upload_button", lang), limit: tr("upload_limit", lang, mb=sources.MAX_BYTES // 2**20)}
    rules = "".join(f"{sel} {{font-size: 0;}} {sel}::after {{content: \"{text}\"; font-size: 14px;}}"
                    for sel, text in words.items())
    return f"<style>{rules}</style>"


@dataclass(frozen=True)
class Frame:
    """What a page starts from: the language and the layers in use of the page's District
    (:attr:`place`). Fragments receive it (or the :class:`~geo.app.screen.Ctx` holding it) as a
    parameter, so a fragment's rerun alone still knows its district."""

    lang: str
    layers: Layers

    @property
    def place(self) -> District:
        """The District of the page."""
        return self.layers.place


def language_switch(lang: str, page: str) -> None:
    """中文 / English on every page; its value is the app's language (a widget per page: Streamlit
    gives each page's widgets their own identity, so each starts from the language in use)."""
    key = f"lang_switch_{page}"
    if ss.get(key) != lang:
        ss[key] = lang
    st.segmented_control(tr("language", lang), state.LANGS, key=key, format_func=lambda code: tr(f"lang_{code}", code),
                         required=True, label_visibility="collapsed", on_change=state.set_lang_from_widget,
                         args=(key,))


def header(title: str, subtitle: str, lang: str, page: str) -> None:
    """The page's title and one line under it, with the language switch on the right."""
    head, switch = st.columns([5, 1], vertical_alignment="center")
    with switch:
        language_switch(lang, page)
    head.markdown(f"### {title}")
    if subtitle:
        st.caption(subtitle)


def load_layers(place: District, lang: str) -> Layers | None:
    """The layers in use of ``place``; a store that cannot be read (e.g. stamped with another
    district) is a message, and the district's own files are used."""
    try:
        return cache.layers(place)
    except errors.DataError as exc:
        first = str(exc)
        st.error(tr("error_data", lang, msg=error_text(exc, lang)))
    try:
        return place.layers(use_store=False)
    except errors.DataError as exc:
        if str(exc) != first:  # the folder's own problem, not the store's said again
            st.error(tr("error_data", lang, msg=error_text(exc, lang)))
        return None


def start(place: District, title_key: str, subtitle: Callable[[Layers, str], str] | None = None) -> Frame | None:
    """The shared start of a page on ``place`` (the District of this run): assets, state
    defaults, the picker, header and layers.

    ``subtitle(layers, lang)`` makes the line under the title from the layers in use (so a
    count follows the data). Returns None (after a message) when no layers can be read.
    """
    cache.setup_assets(ROOT)
    state.init()
    lang = state.lang()
    st.markdown(CSS + (uploader_css(lang) if lang != "en" else ""), unsafe_allow_html=True)
    page = title_key.split(".")[0] if "." in title_key else "planner"  # res.title -> res, data.title -> data
    district.picker(place, lang, page)
    layers = load_layers(place, lang)
    header(tr(title_key, lang, place=place), subtitle(layers, lang) if (subtitle and layers is not None) else "",
           lang, page)
    if layers is None:
        return None
    return Frame(lang, layers)


def notice(lang: str, layers: Layers, short: bool = False) -> None:
    """For illustrative layers, the notice in the page's language (``short``: one line)."""
    if layers.illustrative:
        st.warning(tr("notice_short" if short else "illustrative_notice", lang), icon="⚠️")


def network_graph() -> WalkGraph | None:
    """The walking network loaded in this session (None when none is)."""
    net = ss.get("network")
    return cache.graph_for(net["token"]) if net else None


_HEAP = {"frozen": False}
_HEAP_LOCK = threading.Lock()


def settle_heap() -> None:
    """Once per server, after its first page: collect the garbage, then move every object left
    (the analysis stack, the layers and caches loaded so far) out of the collector's sight
    (``gc.freeze``), so its later full collections scan only what came after -- 0.1 s pauses
    that held changes before (docs/performance-app.md)."""
    with _HEAP_LOCK:
        if _HEAP["frozen"]:
            return
        _HEAP["frozen"] = True
    gc.collect()
    gc.freeze()


def section(label: str, key: str) -> DeltaGenerator | None:
    """A collapsed section of a page, drawn only when open (the first screen then loads none of
    its code): the expander to write into, or None while it is closed."""
    box = st.expander(f"**{label}**", key=key, on_change="rerun")
    return box if box.open else None


def caught(fn: Callable[..., None]) -> Callable[..., None]:
    """``fn`` with every problem shown as a message in the page's language, never a traceback.

    Pages get it through :func:`guarded`; a fragment needs it too (under ``@st.fragment``): its
    rerun alone runs outside the page's guard.
    """

    @functools.wraps(fn)
    def run(*args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)
        except (errors.DataError, cv.CoverageError, NetworkError, maps.MapError) as exc:
            st.error(tr("error_data", state.lang(), msg=error_text(exc, state.lang())))
        except Exception as exc:  # st.rerun and st.stop are BaseExceptions: they pass
            LOG.exception("unexpected error in the page")
            st.error(tr("error_unexpected", state.lang(), msg=md(f"{type(exc).__name__}: {exc}")))

    return run


def guarded(page: Callable[[District], None], place: District) -> Callable[[], None]:
    """``page(place)`` with every problem shown as a message (:func:`caught`); ``place`` is the
    District of the run (:func:`geo.app.district.resolve`)."""

    @functools.wraps(page)
    def run() -> None:
        caught(page)(place)
        settle_heap()

    return run
