"""The page's words: the app's way into the catalogue (:mod:`geo.locale`).

Every screen of the Streamlit app reads its text through :func:`tr` (``tr(key, lang, **fmt)``),
which adds the district's names to the placeholders that ask for them. Keys of the data screen
start with ``data.``, keys of the planner tools with ``plan.``; the rest belong to the page.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from geo import locale
from geo.render.words import minutes_text  # noqa: F401 - the pages' and the maps' one wording
from geo.render.words import tier_name as tier_label  # noqa: F401

if TYPE_CHECKING:
    from geo.io.district import District

def both(make) -> str:
    """A text saved for readers of either language (a version's description): ``make(lang)`` in
    Chinese and English, ``"中文 / English"`` (the versions panel shows the page's half)."""
    return f"{make('zh')} / {make('en')}"


def tr(key: str, lang: str = "zh", *, place: District | None = None, **fmt: object) -> str:
    """The text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    A text that names the district (``{district}``, ``{district_full}`` with its city,
    ``{near_lon}``/``{near_lat}`` a point inside it, ``{ex_lon}``/``{ex_lat}`` the same to four
    decimals for examples) takes those words from ``place``, the District of the page, unless
    ``fmt`` gives them; without either it raises ``KeyError`` (never a district from elsewhere).
    """
    if place is not None and _NAMES_PLACE.search(locale.template(key, lang, fmt.get("n"))):  # type: ignore[arg-type]
        fmt = {**district_words(place, lang), **fmt}
    return locale.text(key, lang, **fmt)


_NAMES_PLACE = re.compile(r"\{(district|near_|ex_)")


def district_words(place: District, lang: str) -> dict[str, str]:
    """The catalogue's placeholders for ``place`` in ``lang`` (see :func:`tr`)."""
    lon, lat = place.point
    return {"district": place.label(lang), "district_full": place.label(lang, full=True),
            "near_lon": f"{lon:.1f}", "near_lat": f"{lat:.1f}", "ex_lon": f"{lon:.4f}", "ex_lat": f"{lat:.4f}"}


def crs_label(name: str, lang: str = "zh") -> str:
    """A coordinate system's name in the page language."""
    return tr(f"crs_{name}", lang)


def error_text(exc: BaseException, lang: str) -> str:
    """A refused action's reason as one Markdown-safe line in ``lang``: an error that carries a
    code (a DataError, a setting, network, map or export error) in the words of ``lang``;
    anything else (an OSError) as it says itself."""
    words = getattr(exc, "text", None)
    if callable(words):
        return md(words(lang))
    return md(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(value: object) -> str:
    """User text made safe for Streamlit Markdown (messages): every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))
