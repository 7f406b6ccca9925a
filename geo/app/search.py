"""Community search for the resident page: a typed name -- in Chinese characters, pinyin (with or
without spaces or tones: ``jinzhu``, ``Jin Zhu``) or initials (``jz``) -- to the matching
communities (best first), and a point inside the chosen one.

Pinyin comes from the PyPI package ``pypinyin``; each community's spellings are worked out once
per list of names.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata

import geopandas as gpd
from pypinyin import Style, lazy_pinyin

from geo.io import errors

_NAME_SUFFIXES = ("社区居委会", "居民委员会", "居委会", "村委会", "村民委员会", "社区", "村")
_LATIN = re.compile(r"[a-z]+")


def _core(name: str) -> str:
    n = name.strip()
    for s in _NAME_SUFFIXES:
        if n.endswith(s) and len(n) > len(s):
            return n[: -len(s)]
    return n


def _latin(query: str) -> str | None:
    """The query as plain lower-case letters when it is pinyin or initials (else None)."""
    q = unicodedata.normalize("NFKD", query).encode("ascii", "ignore").decode().lower()
    q = re.sub(r"[\s'’\-·1-5]", "", q)
    return q if q and _LATIN.fullmatch(q) and not re.search(r"[\u3400-\u9fff]", query) else None


@functools.lru_cache(maxsize=8)
def _spellings(names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    """Per name: (full pinyin of its core, initials of its core, full pinyin of the whole name)."""
    out = []
    for name in names:
        core = _core(name)
        out.append(("".join(lazy_pinyin(core)), "".join(lazy_pinyin(core, style=Style.FIRST_LETTER)),
                    "".join(lazy_pinyin(name))))
    return tuple(out)


def _pinyin_score(q: str, spelled: tuple[str, str, str]) -> float:
    full, initials, whole = spelled
    if q == full or q == initials:
        return 3.0
    if full.startswith(q) or whole.startswith(q):
        return 2.5
    if initials.startswith(q) and len(q) >= 2:
        return 2.2
    if q in whole:
        return 2.0
    ratio = difflib.SequenceMatcher(None, q, full).ratio()
    return ratio if ratio >= 0.75 else 0.0


def _hanzi_score(query: str, q: str, name: str) -> float:
    core = _core(name)
    if q == core or query.strip() == name:
        return 3.0
    if core.startswith(q):
        return 2.5
    if q in name:
        return 2.0
    score = difflib.SequenceMatcher(None, q, core).ratio()
    shared = len(set(q) & set(core)) / max(len(set(q)), 1)
    score = max(score, 0.9 * shared) if shared >= 0.5 else score
    return score if score >= 0.5 else 0.0


def search_communities(query: str, names: list[str], limit: int = 8) -> list[str]:
    """Community names matching ``query`` best first: exact, prefix, substring, then fuzzy.

    Suffixes such as 居委会/村委会/社区 are ignored on both sides, so 金谷, 金谷社区 and
    金谷居委会 all find 金谷居委会; ``jingu``, ``Jin Gu`` and ``jg`` find it too.
    """
    q = _core(query)
    if not q:
        return []
    latin = _latin(query)
    if latin:
        spelled = _spellings(tuple(names))
        scored = [(_pinyin_score(latin, s), n) for s, n in zip(spelled, names)]
    else:
        scored = [(_hanzi_score(query, q, n), n) for n in names]
    scored = [(s, n) for s, n in scored if s > 0]
    scored.sort(key=lambda x: (-x[0], len(x[1]), x[1]))
    return [n for _, n in scored[:limit]]


def example(names: list[str]) -> dict[str, str]:
    """How a search for the first of ``names`` (the district's communities) may be typed, for the
    field's placeholder: ``{hanzi: '金谷居委会', pinyin: 'jingu', initials: 'jg'}`` (the pinyin of the
    name without its suffix, as the search matches it)."""
    name = next((n for n in names if str(n).strip()), "")
    if not name:
        return {"hanzi": "—", "pinyin": "—", "initials": "—"}
    full, initials, _ = _spellings((name,))[0]
    return {"hanzi": name, "pinyin": full, "initials": initials}


def community_point(communities: gpd.GeoDataFrame, name: str) -> tuple[float, float]:
    """A point inside the named community (WGS-84 lon, lat)."""
    row = communities[communities["name"] == name]
    if len(row) == 0:
        raise errors.DataError(None, errors.Msg.of("why.unknown_community", name=name))
    p = row.to_crs("EPSG:4326").geometry.iloc[0].representative_point()
    return float(p.x), float(p.y)
