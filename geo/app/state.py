"""The app's session state in one place: the control keys, their defaults, the language, the
binding of widgets to values that outlive a page, and the analysis controls read back (and
checked) from them.

Streamlit gives a widget on each page (``st.navigation``) its own identity and forgets a
widget's value once a run does not draw it. So every value a user sets lives under a plain key
(``minutes_choice``, ``tier_street`` …) that no widget owns, and the widgets are bound to it
(:func:`choice`, :func:`bound`): leaving the planner for the resident page and coming back
keeps every setting. Other keys the pages keep (``res_point``, ``network``, ``plan``,
``data_*`` …) are named where they are used; their defaults, when they have one, are here.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.app import inputs
from geo.app.cache import graph_for
from geo.app.text import tr
from geo.engine import coverage as cv
from geo.engine import schema

ss = st.session_state

LANGS = ("zh", "en")
MINUTE_CHOICES = ("5", "10", "15", "custom", "bands")
SPEED_CHOICES = ("adult", "elderly", "custom")
RESIDENT_SPEEDS = ("adult", "elderly")
VIEWS = ("coverage", "catchments", "overlap")
INPUTS = ("click", "search", "coords")
CRS_CHOICES = ("wgs84", "gcj02", "bd09")
COORD_KEYS = ("lon", "lat")
IMPORT_MODES = ("upsert", "replace")

#: Every control's starting value (the typed coordinates are text: see :mod:`geo.app.inputs`).
DEFAULTS: dict[str, object] = {
    "lang": "zh", "minutes_choice": "15", "custom_minutes": 20.0, "speed_choice": "adult", "custom_speed": 3.5,
    "mode": "circle", "view": "coverage", "basemap": "none", "resident_input": "click", "res_speed": "adult",
    "lon": "", "lat": "", "coord_crs": "wgs84", "gap_pick": 0, "net_source": "dir", "suggest_k": 5,
    "suggest_method": "greedy", "imp_mode": "upsert", "comm_query": "", "imp_surveyed": False, "imp_replace_ok": False,
    **{f"tier_{t}": True for t in schema.TIERS},
}


def lang() -> str:
    """The page's language (``zh`` until the user switches)."""
    value = ss.get("lang", "zh")
    return value if value in LANGS else "zh"


def set_lang_from_widget(key: str = "lang_switch") -> None:
    """The language switch's callback: its value becomes the app's language before the rerun,
    so the navigation's titles follow at once."""
    value = ss.get(key)
    if value in LANGS:
        ss["lang"] = value


def init() -> None:
    """Defaults for every control; a network that is no longer loaded falls back to circles."""
    for key, value in DEFAULTS.items():
        ss.setdefault(key, value)
    for key in COORD_KEYS:  # a number put in state (tests, older sessions) becomes its text
        if not isinstance(ss[key], str):
            ss[key] = repr(float(ss[key])) if isinstance(ss[key], (int, float)) else str(ss[key])
    if ss.pop("net_just_loaded", False):
        put("mode", "network")
    if ss.get("network") is None or graph_for(ss["network"]["token"]) is None:
        unload_network()


def unload_network() -> None:
    """Forget the loaded network; the method goes back to circles."""
    ss["network"] = None
    put("mode", "circle")


def choice(widget, label: str, options, name: str, lang: str, **kwargs):
    """A radio/selectbox whose value lives in ``st.session_state[name]``, one widget per language.

    Streamlit's frontend forgets a radio's or selectbox's selection when its option labels
    change (as they do on a language switch) and then sends back the first option. A widget
    key per language (``name__zh``, ``name__en``) makes a fresh widget that starts from the
    stored value instead.
    """
    options = list(options)
    if ss.get(name) not in options:
        ss[name] = options[0]
    key = f"{name}__{lang}"
    if key not in ss or ss[key] not in options:
        ss[key] = ss[name]
    value = widget(label, options, key=key, **kwargs)
    ss[name] = value
    return value


def bound(widget, label: str, name: str, **kwargs):
    """A checkbox, number or text field whose value lives in ``st.session_state[name]``.

    The widget has its own key (``w_{name}``), filled from the stored value whenever the widget
    is new (first run, another page, another language), and its value is stored back.
    """
    key = f"w_{name}"
    if key not in ss:
        ss[key] = ss[name] if name in ss else DEFAULTS[name]
    value = widget(label, key=key, **kwargs)
    ss[name] = value
    return value


def put(name: str, value: object) -> None:
    """Set a :func:`choice` control's value from code (before its widget is drawn this run),
    in every language's widget so a later language switch does not bring back the old value."""
    ss[name] = value
    for key in (f"{name}__{code}" for code in LANGS):
        if key in ss:
            ss[key] = value
    if f"w_{name}" in ss:
        ss[f"w_{name}"] = value


def labeller(prefix: str, lang: str):
    """A format_func showing option ``x`` as the text ``{prefix}_{x}`` in ``lang``.

    The language is bound now, not read from session state later: AppTest and Streamlit
    may call format functions outside the script run.
    """
    return lambda x: tr(f"{prefix}_{x}", lang)


# --------------------------------------------------------------------------- controls


def minutes_for(choice: str, custom: object, lang: str = "zh") -> tuple[float, ...]:
    """The minutes tuple for a minutes control value; a custom value is checked
    (:func:`geo.app.inputs.minutes`, raises InputError)."""
    if choice == "bands":
        return (5.0, 10.0, 15.0)
    if choice == "custom":
        return (inputs.minutes(custom, lang),)
    return (float(choice),)


def speed_for(choice: str, custom: object, lang: str = "zh") -> float:
    """Walking speed (km/h) for a speed control value; a custom value is checked."""
    return inputs.speed(custom, lang) if choice == "custom" else cv.SPEED_PRESETS[choice]


def walk(lang: str) -> tuple[tuple[float, ...], float]:
    """The minutes and speed the controls ask for; raises InputError for a bad custom value."""
    return (minutes_for(ss["minutes_choice"], ss["custom_minutes"], lang),
            speed_for(ss["speed_choice"], ss["custom_speed"], lang))


@dataclass(frozen=True)
class Controls:
    """What to analyse, as the controls say; ``problem`` is the message when a typed number
    cannot be used (then ``minutes`` and ``speed`` are empty and nothing is computed)."""

    minutes: tuple[float, ...]
    speed: float | None
    tiers: tuple[str, ...]
    mode: str
    problem: str | None = None


def controls(lang: str, network_loaded: bool) -> Controls:
    """The analysis controls from session state, the typed numbers checked."""
    tiers = tuple(t for t in schema.TIERS if ss[f"tier_{t}"])
    mode = ss["mode"] if network_loaded else "circle"
    try:
        minutes, speed = walk(lang)
    except inputs.InputError as exc:
        return Controls((), None, tiers, mode, str(exc))
    return Controls(minutes, speed, tiers, mode)
