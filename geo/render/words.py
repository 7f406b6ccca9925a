"""The words of the maps and briefs: ``geo.render``'s way into the catalogue (:mod:`geo.locale`).

A map, a briefing PNG/PDF, an HTML map or an XLSX workbook looks its words up with
:func:`word` (``word(key, lang, **fmt)``, the catalogue's ``map.`` keys) and shows its numbers
through :mod:`geo.locale` (``number``, ``area_km2``, ``percent``). The map title is
made in one place, :func:`title_text`, so the district's name changes in one line.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from geo import locale
from geo.io import districts

LANGS: tuple[str, ...] = locale.LANGS
check_lang = locale.check_lang


def word(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``fmt``."""
    return locale.text(f"map.{key}", check_lang(lang), **fmt)


def tier_name(tier: str, lang: str = "zh") -> str:
    """A tier's name, the pages' own (its code when it is not a known tier)."""
    return locale.text(f"tier_{tier}", check_lang(lang)) if locale.has(f"tier_{tier}") else str(tier)


def list_sep(lang: str = "zh") -> str:
    """What joins the names of a list in ``lang`` (``、`` / ``, ``), the pages' own."""
    return locale.text("list_sep", check_lang(lang))


def minutes_text(minutes, lang: str = "zh") -> str:
    """``15分钟`` / ``5/10/15 min`` for a number or a sequence of numbers."""
    values = minutes if isinstance(minutes, (list, tuple)) else (minutes,)
    return word("minutes", lang, m="/".join(f"{float(m):g}" for m in values))


def title_text(place: dict[str, str], minutes: float, lang: str = "zh") -> str:
    """The default title of a map or brief: the district and the walking time (one place)."""
    return word("title", lang, district=district_name(place, lang), m=f"{float(minutes):g}")


def district_name(place: dict[str, str], lang: str = "zh") -> str:
    """The name of the district a result is of (its outline's ``code``, ``name``, ``name_en``)."""
    if not place.get("name"):
        return word("the_district", lang)
    return districts.label(pd.DataFrame([place]), lang)


def date_value(date: _dt.date | None = None, lang: str = "zh") -> str:
    """``2025年6月1日`` / ``2025-06-01``."""
    d = date or _dt.date.today()
    return word("date_value", lang, y=d.year, m=d.month, d=d.day, iso=d.isoformat())


def date_text(date: _dt.date | None = None, lang: str = "zh") -> str:
    """``制图日期：2025年6月1日`` / ``Made on 2025-06-01``."""
    return word("date", lang, value=date_value(date, lang))


def notice_text(lang: str = "zh") -> str:
    """The illustrative-data notice in ``lang`` (the catalogue's ``illustrative_notice``)."""
    return locale.text("illustrative_notice", check_lang(lang))


