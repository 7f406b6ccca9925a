"""Numbers the user types, checked before anything is computed with them.

Custom walking minutes and speed, the number of suggested stations and typed coordinates each
pass one function here. A value that is not a finite number, is negative or zero, or is absurd
(minutes over :data:`MAX_MINUTES`, speed over :data:`MAX_SPEED_KMH`) raises :class:`InputError`
whose message, in the page's language, says what is wrong and what to type instead. The engine
checks again (:class:`geo.engine.coverage.Settings`); the page shows either message, never a
traceback.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from geo.app.text import md, tr
from geo.io.registry import parse_number

if TYPE_CHECKING:
    from geo.io.district import District

MAX_MINUTES = 120.0
MAX_SPEED_KMH = 20.0


class InputError(ValueError):
    """A typed value that cannot be used; ``str(exc)`` is the message for the page, ``kind`` what
    is wrong (``number``, ``range``, ``swapped``, ``empty``)."""

    def __init__(self, message: str, kind: str = "range"):
        super().__init__(message)
        self.kind = kind


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
    """How a rejected value is quoted back (markup-safe)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value):g}"
    return md(value) if str(value).strip() else "—"


def minutes(value: object, lang: str = "zh") -> float:
    """A custom walking time in minutes: finite, above 0, at most :data:`MAX_MINUTES`."""
    v = _number(value)
    if not (math.isfinite(v) and 0 < v <= MAX_MINUTES):
        raise InputError(tr("bad_minutes", lang, max=MAX_MINUTES, value=_shown(value)))
    return v


def speed(value: object, lang: str = "zh") -> float:
    """A custom walking speed in km/h: finite, above 0, at most :data:`MAX_SPEED_KMH`."""
    v = _number(value)
    if not (math.isfinite(v) and 0 < v <= MAX_SPEED_KMH):
        raise InputError(tr("bad_speed", lang, max=MAX_SPEED_KMH, value=_shown(value)))
    return v


def count(value: object, low: int, high: int, default: int, lang: str = "zh") -> int:
    """A whole number from ``low`` to ``high`` (the number of stations to suggest)."""
    v = _number(value)
    if not (math.isfinite(v) and v == int(v) and low <= v <= high):
        raise InputError(tr("bad_k", lang, lo=low, hi=high, value=_shown(value), default=default))
    return int(v)


def coordinate(text: object, field: str, lang: str, place: District) -> float:
    """One typed coordinate (``field`` is ``lon`` or ``lat``) as a finite number of degrees; the
    message for a non-number gives a point of ``place`` as the example.

    Full-width digits and a trailing degree sign are accepted (:func:`geo.io.registry.parse_number`).
    """
    what = tr(field, lang)
    if not str(text).strip():
        raise InputError(tr("bad_coord_empty", lang, what=what), "empty")
    v = _number(text)
    if not math.isfinite(v):
        raise InputError(tr("bad_coord_number", lang, place=place, what=what, value=_shown(text)), "number")
    return v


def point(lon_text: object, lat_text: object, lang: str, place: District) -> tuple[float, float]:
    """Typed longitude and latitude, checked: numbers, in range, not swapped. The messages'
    examples and the swap hint name ``place``, the District of the page.

    The same rules as a centres file's coordinate cells (:mod:`geo.io.centers`).
    """
    lon = coordinate(lon_text, "lon", lang, place)
    lat = coordinate(lat_text, "lat", lang, place)
    if abs(lon) <= 90 and 70 <= lat <= 140:
        raise InputError(tr("bad_swapped", lang, place=place, lon=f"{lon:g}", lat=f"{lat:g}"), "swapped")
    if not -180 <= lon <= 180:
        raise InputError(tr("bad_lon_range", lang, value=f"{lon:g}"))
    if not -90 <= lat <= 90:
        raise InputError(tr("bad_lat_range", lang, value=f"{lat:g}"))
    return lon, lat
