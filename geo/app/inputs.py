"""Numbers the user types, checked before anything is computed with them.

Custom walking minutes and speed, the number of suggested stations and typed coordinates each
pass one function here. A value that is not a finite number, is negative or zero, or is absurd
(minutes over :data:`MAX_MINUTES`, speed over :data:`MAX_SPEED_KMH`) raises :class:`InputError`,
a code with parameters (:class:`~geo.locale.Msg`) that says what is wrong and what to type
instead; ``str()`` is its text in the page's language. The engine checks again
(:class:`geo.engine.coverage.Settings`); the page shows either message, never a traceback.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from geo.app.text import district_words, md
from geo.io.registry import parse_number
from geo.locale import Msg, Name, Worded

if TYPE_CHECKING:
    from geo.io.district import District

MAX_MINUTES = 120.0
MAX_SPEED_KMH = 20.0


class InputError(Worded, ValueError):
    """A typed value that cannot be used: ``msg`` the code and parameters, ``kind`` what is wrong
    (``number``, ``range``, ``swapped``, ``empty``); ``str(exc)`` is the message in ``lang``, the
    page's language, and :meth:`text` words it in any."""

    def __init__(self, msg: Msg, kind: str = "range", lang: str = "en"):
        super().__init__(msg)
        self.kind = kind
        self.lang = lang

    def __str__(self) -> str:
        return self.text(self.lang)

    def __reduce__(self):
        return (self.__class__, (self.msg, self.kind, self.lang))


def _number(value: object) -> float:
    """``value`` as a float, NaN when it is not a number at all."""
    if isinstance(value, bool):
        return math.nan
    if isinstance(value, str):
        return parse_number(value)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _shown(value: object) -> str:
    """How a rejected value is quoted back: a number as typed (120.0001, not 120), text markup-safe."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):.15g}"
    return md(value) if str(value).strip() else "—"


def minutes(value: object, lang: str = "zh") -> float:
    """A custom walking time in minutes: finite, above 0, at most :data:`MAX_MINUTES`."""
    v = _number(value)
    if not (math.isfinite(v) and 0 < v <= MAX_MINUTES):
        raise InputError(Msg.of("bad_minutes", max=MAX_MINUTES, value=_shown(value)), lang=lang)
    return v


def speed(value: object, lang: str = "zh") -> float:
    """A custom walking speed in km/h: finite, above 0, at most :data:`MAX_SPEED_KMH`."""
    v = _number(value)
    if not (math.isfinite(v) and 0 < v <= MAX_SPEED_KMH):
        raise InputError(Msg.of("bad_speed", max=MAX_SPEED_KMH, value=_shown(value)), lang=lang)
    return v


def count(value: object, low: int, high: int, default: int, lang: str = "zh") -> int:
    """A whole number from ``low`` to ``high`` (the number of stations to suggest)."""
    v = _number(value)
    if not (math.isfinite(v) and v == int(v) and low <= v <= high):
        raise InputError(Msg.of("bad_k", lo=low, hi=high, value=_shown(value), default=default), lang=lang)
    return int(v)


def coordinate(text: object, field: str, lang: str, place: District) -> float:
    """One typed coordinate (``field`` is ``lon`` or ``lat``) as a finite number of degrees; the
    message for a non-number gives a point of ``place`` as the example.

    Full-width digits and a trailing degree sign are accepted (:func:`geo.io.registry.parse_number`).
    """
    what = Msg(field)  # 经度 / Longitude
    if not str(text).strip():
        raise InputError(Msg.of("bad_coord_empty", what=what), "empty", lang)
    v = _number(text)
    if not math.isfinite(v):
        ex = district_words(place, "en")
        raise InputError(Msg.of("bad_coord_number", what=what, value=_shown(text), ex_lon=ex["ex_lon"],
                                ex_lat=ex["ex_lat"]), "number", lang)
    return v


def point(lon_text: object, lat_text: object, lang: str, place: District) -> tuple[float, float]:
    """Typed longitude and latitude, checked: numbers, in range, not swapped. The messages'
    examples and the swap hint name ``place``, the District of the page.

    The same rules as a centres file's coordinate cells (:mod:`geo.io.centers`).
    """
    lon = coordinate(lon_text, "lon", lang, place)
    lat = coordinate(lat_text, "lat", lang, place)
    if abs(lon) <= 90 and 70 <= lat <= 140:
        near = district_words(place, "en")
        raise InputError(Msg.of("bad_swapped", district=Name(place.label("zh"), place.label("en")),
                                near_lon=near["near_lon"], near_lat=near["near_lat"], lon=f"{lon:.15g}",
                                lat=f"{lat:.15g}"), "swapped", lang)
    if not -180 <= lon <= 180:
        raise InputError(Msg.of("bad_lon_range", value=f"{lon:.15g}"), lang=lang)
    if not -90 <= lat <= 90:
        raise InputError(Msg.of("bad_lat_range", value=f"{lat:.15g}"), lang=lang)
    return lon, lat
