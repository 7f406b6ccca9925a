"""What a page or an export in English may still hold in Chinese: place and centre names only.

:func:`stray_cjk` removes every street, community and centre name (of the shipped layers and of
any extra names given) and returns the Chinese text left over -- a word that should have been
translated. :func:`raw_codes` finds internal codes a Chinese reader should never see.
"""

from __future__ import annotations

import functools
import re

from geo.io.district import District

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
RAW_CODES = ("wgs84", "gcj02", "bd09", "exact", "greedy", "station", "community", "district", "circle",
             "network", "illustrative", "catchments", "overlap", "planner", "resident")


@functools.cache
def place_names() -> frozenset[str]:
    """Every street, community and centre name of Longhu's shipped layers."""
    place = District.open()
    names: set[str] = set()
    for df in (place.shipped("streets"), place.shipped("communities"), place.shipped("centers")):
        names |= set(df["name"].astype(str))
    return frozenset(n for n in names if n)


def unescape(text: str) -> str:
    """JSON/JS ``\\uXXXX`` escapes turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def stray_cjk(text: str, extra_names: tuple[str, ...] = ()) -> list[str]:
    """The Chinese runs left in ``text`` once every place and centre name is taken out."""
    t = unescape(text)
    for name in sorted(place_names() | set(extra_names), key=len, reverse=True):
        t = t.replace(name, " ")
    return sorted(set(CJK.findall(t)))


def raw_codes(text: str) -> list[str]:
    """Internal codes (``wgs84``, ``exact``, ``station`` …) standing as words in ``text``."""
    return sorted({c for c in RAW_CODES if re.search(rf"(?<![\w/.-]){c}(?![\w/.-])", text)})


#: The language switch names each language in that language (中文 on the English page).
SWITCH_WORDS = ("中文", "语言 / Language", "语言")
