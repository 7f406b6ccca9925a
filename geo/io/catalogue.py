"""The facility catalogue of the life circle: read from TOML and checked, one clear error per problem.

The shipped catalogue is ``data/catalogue/lifecircle.toml`` (GB 50180-2018's 5-, 10- and
15-minute circles); planners edit it or pass their own (``--catalogue``). Every problem is a
:class:`~geo.io.errors.DataError` naming the file, the category and the key, e.g.
``my.toml: category 3 ('primary_school'), key limit_m: …`` (a code, ``why.cat_*``, worded where shown).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.engine.lifecircle import LEVELS, RANGES, Catalogue, Category
from geo.io.data import ROOT
from geo.io.errors import DataError, Problem
from geo.locale import Msg

CATALOGUE_PATH = ROOT / "data" / "catalogue" / "lifecircle.toml"
"""The shipped catalogue."""
MAX_BYTES = 1024 * 1024
REQUIRED = ("key", "name_zh", "name_en", "level", "limit_m", "source", "limit_source")
LISTS = ("aliases", "amap_typecodes", "amap_types", "amap_names", "osm_tags", "osm_names")
KNOWN = set(REQUIRED) | set(LISTS) | {"required"}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_TYPECODE = re.compile(r"^\d{6}$")
_TAG = re.compile(r"^[A-Za-z_:][\w:.-]*(=[^=]+)?$")


Where = Msg | str
"""Where in the file a problem is: a category (``why.cat_category``), the file, or a table (``[levels]``)."""


def _fail(path: str, where: Where, key: str | None, reason: Msg, value: Any = "") -> DataError:
    """The error naming the file, where in it (and the key) and why."""
    said = Msg.of("why.cat_at", where=where, k=key, reason=reason) if key \
        else Msg.of("why.named", name=where, reason=reason)
    return DataError(path, [Problem(None, None, "" if value == "" else str(value), said)])


def _text(path: str, where: Where, entry: dict, key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, key, Msg.of("why.cat_text"), value)
    return value.strip()


def _strings(path: str, where: Where, entry: dict, key: str) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, where, key, Msg.of("why.cat_list"), value)
    items = tuple(v.strip() for v in value)
    pattern = {"amap_typecodes": (_TYPECODE, Msg.of("why.cat_six_digits")),
               "osm_tags": (_TAG, Msg.of("why.cat_tag"))}.get(key)
    if pattern:
        bad = [v for v in items if not pattern[0].match(v)]
        if bad:
            raise _fail(path, where, key, Msg.of("why.cat_each", what=pattern[1]), bad[0])
    return items


def _category(path: str, i: int, entry: Any) -> Category:
    where: Where = Msg.of("why.cat_category_n", i=i)
    if not isinstance(entry, dict):
        raise _fail(path, where, None, Msg.of("why.cat_table"))
    if isinstance(entry.get("key"), str):
        where = Msg.of("why.cat_category", i=i, k=entry["key"])
    missing = [k for k in REQUIRED if k not in entry]
    if missing:
        raise _fail(path, where, missing[0], Msg.of("why.cat_missing", keys=list(REQUIRED)))
    unknown = sorted(set(entry) - KNOWN)
    if unknown:
        raise _fail(path, where, unknown[0], Msg.of("why.cat_unknown_key", keys=sorted(KNOWN)))
    key = _text(path, where, entry, "key")
    if not _KEY.match(key):
        raise _fail(path, where, "key", Msg.of("why.cat_key_chars"), key)
    level = entry["level"]
    if isinstance(level, bool) or level not in LEVELS:
        raise _fail(path, where, "level", Msg.of("why.cat_level", levels=[str(v) for v in LEVELS]), level)
    limit = entry["limit_m"]
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not RANGES["limit_m"].contains(limit):
        raise _fail(path, where, "limit_m", Msg.of("why.cat_range", range=RANGES["limit_m"].words()), limit)
    required = entry.get("required", True)
    if not isinstance(required, bool):
        raise _fail(path, where, "required", Msg.of("why.cat_bool"), required)
    lists = {k: _strings(path, where, entry, k) for k in LISTS}
    return Category(key, _text(path, where, entry, "name_zh"), _text(path, where, entry, "name_en"), int(level),
                    float(limit), _text(path, where, entry, "source"), _text(path, where, entry, "limit_source"),
                    required, **lists)


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", name)).strip().casefold()


def _check_unique(path: str, cats: list[Category]) -> None:
    """Keys, Chinese and English names and aliases each name one category."""
    seen: dict[str, tuple[str, str]] = {}
    for i, c in enumerate(cats, start=1):
        names = [("key", c.key), ("name_zh", c.name_zh), ("name_en", c.name_en)] + [("aliases", a) for a in c.aliases]
        for field, name in names:
            other = seen.get(_norm(name))
            if other is not None and other[0] != c.key:
                raise _fail(path, Msg.of("why.cat_category", i=i, k=c.key), field,
                            Msg.of("why.cat_dup", name=name, other=other[0], field=other[1]), name)
            seen[_norm(name)] = (c.key, field)


def _levels(path: str, doc: dict) -> dict[int, float]:
    raw = doc.get("levels", {})
    if not isinstance(raw, dict):
        raise _fail(path, "[levels]", None, Msg.of("why.cat_levels_table"))
    out = {5: 300.0, 10: 500.0, 15: 1000.0}
    for k, v in raw.items():
        if not k.isdigit() or int(k) not in LEVELS:
            raise _fail(path, "[levels]", k, Msg.of("why.cat_unknown_level", levels=[str(v) for v in LEVELS]))
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not RANGES["limit_m"].contains(v):
            raise _fail(path, "[levels]", k, Msg.of("why.cat_range", range=RANGES["limit_m"].words()), v)
        out[int(k)] = float(v)
    return out


def parse_catalogue(doc: dict, source: str = "catalogue") -> Catalogue:
    """A catalogue from a parsed TOML document (``[catalogue]``, ``[levels]``, ``[[category]]``)."""
    entries = doc.get("category")
    if not isinstance(entries, list) or not entries:
        raise _fail(source, Msg.of("why.cat_file"), "category", Msg.of("why.cat_none"))
    head = doc.get("catalogue", {})
    if not isinstance(head, dict):
        raise _fail(source, "[catalogue]", None, Msg.of("why.cat_head"))
    cats = [_category(source, i, e) for i, e in enumerate(entries, start=1)]
    _check_unique(source, cats)
    if not any(c.required for c in cats):
        raise _fail(source, Msg.of("why.cat_file"), "required", Msg.of("why.cat_required"))
    return Catalogue(tuple(cats), _levels(source, doc), str(head.get("title_zh", "")),
                     str(head.get("title_en", "")), source)


def load_catalogue(path: str | os.PathLike | None = None) -> Catalogue:
    """The catalogue in a TOML file (default: the shipped one), checked.

    Raises :class:`DataError` naming the file, the category and the key of the first problem.
    """
    p = Path(path) if path is not None else CATALOGUE_PATH
    if not p.is_file():
        raise DataError(p, Msg.of("why.cat_not_found", p=str(p)))
    if p.stat().st_size > MAX_BYTES:
        raise DataError(p, Msg.of("why.cat_too_big", limit=MAX_BYTES // (1024 * 1024)))
    try:
        doc = tomllib.loads(p.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(p, Msg.of("why.cat_not_utf8")) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(p, Msg.of("why.cat_toml", e=str(exc))) from None
    return parse_catalogue(doc, p.name)


def category_lookup(catalogue: Catalogue) -> dict[str, str]:
    """Every accepted name of a category (key, Chinese and English names, aliases), normalised
    (NFKC, case-folded, spaces collapsed) -> its key."""
    out: dict[str, str] = {}
    for c in catalogue.categories:
        for name in (c.key, c.name_zh, c.name_en, *c.aliases):
            out.setdefault(_norm(name), c.key)
    return out


def normalise_name(name: str) -> str:
    """A category name as :func:`category_lookup` keys it."""
    return _norm(name)


def closest_category(catalogue: Catalogue, name: str, cutoff: float = 0.5) -> Category | None:
    """The category whose Chinese name, English name or alias is closest to ``name`` (a word the
    catalogue does not accept, e.g. 社区卫生服务站), by :func:`difflib.get_close_matches`; None
    when none is at least ``cutoff`` alike."""
    names: dict[str, Category] = {}
    for c in catalogue.categories:
        for n in (c.name_zh, c.name_en, *c.aliases):
            names.setdefault(_norm(n), c)
    hit = difflib.get_close_matches(_norm(name), list(names), n=1, cutoff=cutoff)
    return names[hit[0]] if hit else None


# --------------------------------------------------------------------------- rows to categories


def _clean(values: pd.Series) -> pd.Series:
    return (values.fillna("").astype(str).str.normalize("NFKC").str.replace(r"\s+", " ", regex=True)
            .str.strip())


def _by_names(values: pd.Series, catalogue: Catalogue) -> pd.Series:
    """The key of each cell that is a category's key, name or alias (else NaN)."""
    return _clean(values).str.casefold().map(category_lookup(catalogue))


def _by_codes(codes: pd.Series, catalogue: Catalogue) -> pd.Series:
    """The key of each cell holding one of a category's AMap type codes (``141204|070000``: any)."""
    table: dict[str, str] = {}
    for c in catalogue.categories:
        for code in c.amap_typecodes:
            table.setdefault(code, c.key)
    parts = _clean(codes).str.replace(r"\.0$", "", regex=True).str.split(r"\s*[|;,]\s*").explode()
    return parts.map(table).groupby(level=0).first().reindex(codes.index)


def _by_type_text(text: pd.Series, catalogue: Catalogue) -> pd.Series:
    """The key of each AMap type text (``科教文化服务;学校;幼儿园``, several joined by ``|``) that
    holds one of a category's runs of type names, whole names only."""
    wrapped = ";" + _clean(text).str.replace(r"\s*([;|])\s*", r"\1", regex=True).str.replace("|", ";|;") + ";"
    out = pd.Series(np.nan, index=text.index, dtype=object)
    for c in catalogue.categories:
        for run in c.amap_types:
            hit = out.isna() & wrapped.str.contains(";" + re.sub(r"\s*;\s*", ";", run) + ";", regex=False)
            out[hit] = c.key
    return out


def _by_name_endings(names: pd.Series, catalogue: Catalogue) -> pd.Series:
    """The key of each facility name ending in one of a category's ``amap_names`` (a trailing
    bracketed note such as ``(东门)`` aside)."""
    stem = _clean(names).str.replace(r"[(（][^()（）]*[)）]$", "", regex=True).str.strip()
    out = pd.Series(np.nan, index=names.index, dtype=object)
    for c in catalogue.categories:
        if c.amap_names:
            hit = out.isna() & stem.str.endswith(tuple(c.amap_names))
            out[hit] = c.key
    return out


def match_categories(catalogue: Catalogue, frame: pd.DataFrame) -> pd.DataFrame:
    """The category of each row of a facilities table, and how it was found.

    ``frame`` holds text columns among ``category`` (the catalogue's names, or AMap type text),
    ``typecode``, ``type`` and ``name``. A row with a category cell is matched by it alone; a
    row without one by its type code, then its type (a catalogue name, or AMap type text),
    then its name's ending. Returns ``key`` (NaN when none), ``matched_by`` (``category``,
    ``typecode``, ``type``, ``name`` or "") and ``unknown`` (a category cell naming no category).
    """
    idx = frame.index
    empty = pd.Series("", index=idx, dtype=object)
    col = {f: frame[f] if f in frame else empty for f in ("category", "typecode", "type", "name")}
    has_cat = _clean(col["category"]) != ""
    key = pd.Series(np.nan, index=idx, dtype=object)
    how = pd.Series("", index=idx, dtype=object)
    steps = [("category", has_cat, lambda: _by_names(col["category"], catalogue)
              .fillna(_by_type_text(col["category"], catalogue))),
             ("typecode", ~has_cat, lambda: _by_codes(col["typecode"], catalogue)),
             ("type", ~has_cat, lambda: _by_names(col["type"], catalogue)
              .fillna(_by_type_text(col["type"], catalogue))),
             ("name", ~has_cat, lambda: _by_name_endings(col["name"], catalogue))]
    for label, allowed, find in steps:
        if not (allowed & key.isna()).any():
            continue
        found = find()
        hit = allowed & key.isna() & found.notna()
        key[hit], how[hit] = found[hit], label
    return pd.DataFrame({"key": key, "matched_by": how, "unknown": has_cat & key.isna()}, index=idx)
