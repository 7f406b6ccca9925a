"""Community search for the resident screen: a typed name, however it is written, to the
matching communities (best first) and a point inside the chosen one."""

from __future__ import annotations

import difflib

import geopandas as gpd

from geo.io import errors

_NAME_SUFFIXES = ("社区居委会", "居民委员会", "居委会", "村委会", "村民委员会", "社区", "村")


def _core(name: str) -> str:
    n = name.strip()
    for s in _NAME_SUFFIXES:
        if n.endswith(s) and len(n) > len(s):
            return n[: -len(s)]
    return n


def search_communities(query: str, names: list[str], limit: int = 8) -> list[str]:
    """Community names matching ``query`` best first: exact, prefix, substring, then fuzzy.

    Suffixes such as 居委会/村委会/社区 are ignored on both sides, so 金谷, 金谷社区 and
    金谷居委会 all find 金谷居委会.
    """
    q = _core(query)
    if not q:
        return []
    scored: list[tuple[float, str]] = []
    for name in names:
        core = _core(name)
        if q == core or query.strip() == name:
            score = 3.0
        elif core.startswith(q):
            score = 2.5
        elif q in name:
            score = 2.0
        else:
            score = difflib.SequenceMatcher(None, q, core).ratio()
            shared = len(set(q) & set(core)) / max(len(set(q)), 1)
            score = max(score, 0.9 * shared) if shared >= 0.5 else score
            if score < 0.5:
                continue
        scored.append((score, name))
    scored.sort(key=lambda x: (-x[0], len(x[1]), x[1]))
    return [n for _, n in scored[:limit]]


def community_point(communities: gpd.GeoDataFrame, name: str) -> tuple[float, float]:
    """A point inside the named community (WGS-84 lon, lat)."""
    row = communities[communities["name"] == name]
    if len(row) == 0:
        raise errors.DataError(None, f"unknown community {name!r}")
    p = row.to_crs("EPSG:4326").geometry.iloc[0].representative_point()
    return float(p.x), float(p.y)

