"""Every word for people, in Chinese and English: one gettext catalogue per language.

The catalogues are ``geo/locale/<lang>/LC_MESSAGES/geo.po`` (Babel reads them, compiles them
in memory and hands them to the standard library's :mod:`gettext`). Their ``msgid`` is a
symbolic key (``"why.empty_lon"``, ``"map.legend"``); the text is Python's ``str.format``
template. Keys grouped by prefix:

* no prefix, ``data.``, ``plan.``, ``res.``: the app's pages;
* ``why.``: a problem with a user's data (the code of a :class:`Msg` the readers raise);
* ``map.``: maps, briefs and workbooks (:mod:`geo.render`); ``lcb.``: the life-circle brief;
* ``set.``, ``run.``: the engine's setting checks and notes, the command line's messages.

A problem is a :class:`Msg`, a code with parameters, never a sentence: the words are chosen
where they are shown, by :func:`text` (``text(key, lang, **params)``). An entry with plural
forms (``msgid_plural``) is chosen by its ``n`` parameter (``ngettext``). Parameters are
filled in one place, :class:`_Fill`: a :class:`Msg` is put in the same language, a
:class:`Name` gives its ``lang`` half, a list is joined with the language's separator, a
number without a format is :func:`number`, and ``None``/NaN is a dash.

``python scripts/catalogue.py check`` fails on a key the code uses and a catalogue lacks, a
fuzzy or empty entry, or placeholders that differ between the languages.
"""

from __future__ import annotations

import gettext
import io
import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

LANGS: tuple[str, ...] = ("zh", "en")
DOMAIN = "geo"
LOCALE_DIR = Path(__file__).parent
DASH = "—"


def po_path(lang: str, root: Path = LOCALE_DIR) -> Path:
    """The catalogue file of ``lang`` (under ``root``, the catalogues' folder)."""
    return root / check_lang(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"


def _absent(x: object) -> bool:
    """No value to show: ``None``, NaN or an infinity (shown as a dash)."""
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def check_lang(lang: str) -> str:
    """``lang`` when it is ``zh`` or ``en``; ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use {', '.join(LANGS)}")
    return lang


@lru_cache(maxsize=2)  # one per language
def translations(lang: str) -> gettext.GNUTranslations:
    """``lang``'s catalogue as standard gettext translations (fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def has(key: str) -> bool:
    """Whether the catalogues hold ``key`` (as a plain or a plural entry)."""
    cat = translations("zh")._catalog  # noqa: SLF001 - gettext keeps no public membership test
    return key in cat or (key, 0) in cat


def template(key: str, lang: str, n: float | None = None) -> str:
    """The raw template of ``key`` in ``lang`` (the plural form for ``n`` when it has forms)."""
    t = translations(check_lang(lang))
    cat = t._catalog  # noqa: SLF001
    if key in cat:
        return cat[key]
    if (key, 0) in cat:
        if n is None:
            raise KeyError(f"{key} has plural forms: give it n")
        return t.ngettext(key, key, int(n) if float(n).is_integer() else 2)
    raise KeyError(key)


def text(key: str, lang: str = "zh", /, **params: object) -> str:
    """The text ``key`` in ``lang``, its placeholders filled from ``params``.

    An entry with plural forms is chosen by ``params["n"]``. ``KeyError`` for a key the
    catalogue lacks (the catalogue check keeps that from reaching a user)."""
    tpl = template(key, lang, params.get("n"))  # type: ignore[arg-type]
    return _Fill(lang).vformat(tpl, (), params) if params or "{" in tpl else tpl


@dataclass(frozen=True)
class Name:
    """A name in both languages (a district, a category): the text shows ``lang``'s half."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en


@dataclass(frozen=True)
class Msg:
    """A message as a code and its parameters: words are chosen only where it is shown."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @classmethod
    def of(cls, code: str, /, **params: object) -> Msg:
        """``Msg.of("why.empty_lon")``, ``Msg.of("why.too_big", n=12, limit=10)``."""
        return cls(code, params)

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return text(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")

    def __reduce__(self):  # a mapping proxy cannot be pickled (st.cache_data, dask): rebuild from a dict
        return (Msg, (self.code, dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Msg) and (self.code, dict(self.params)) == (other.code, dict(other.params))


class Worded(Exception):
    """An error that carries a :class:`Msg` (put it before a built-in exception class:
    ``class ExportError(Worded, ValueError)``): ``msg``, :meth:`text` in a language, ``str()``
    the English text. A plain sentence is still taken (a caller not yet converted)."""

    def __init__(self, msg: Msg | str, *args: object):
        super().__init__(say(msg, "en"), *args)
        self.msg = msg

    @property
    def code(self) -> str:
        """The message's code ('' for a plain sentence)."""
        return self.msg.code if isinstance(self.msg, Msg) else ""

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        return say(self.msg, lang)

    def __reduce__(self):
        return (self.__class__, (self.msg,))


def say(value: object, lang: str = "zh") -> str:
    """Any shown value in ``lang``: a :class:`Msg`, or anything worded by ``text(lang)`` (an error
    or problem carrying a code), in its words; a :class:`Name` its half; a number by
    :func:`number`; ``None``/NaN as a dash; a list joined; anything else as ``str``."""
    if isinstance(value, Name):
        return value.en if lang == "en" else value.zh
    worded = getattr(value, "text", None)
    if callable(worded) and not isinstance(value, str):
        return worded(lang)
    if _absent(value):
        return DASH
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, lang)
    if isinstance(value, (list, tuple)):
        return text("list_sep", lang).join(say(v, lang) for v in value)
    return str(value)


def number(x: float, lang: str = "zh", digits: int | None = None) -> str:
    """``x`` with thousands separators (from 10,000 on when it is a whole number): ``digits``
    decimals, or (when ``None``) up to two; NaN/None is a dash."""
    if _absent(x):
        return DASH
    if digits is None:
        if float(x).is_integer():  # four digits (a year, a row) stay as they are
            return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
        return f"{x:,.2f}".rstrip("0").rstrip(".")
    return f"{x:,.{digits}f}"


def area_km2(km2: float, lang: str = "zh") -> str:
    """An area for people: two decimals below 10 km² (a gap's 0.05 km² is not 0.1), ``141.8 km²``,
    and from 10,000 km² on ``19.9 万 km²`` / ``198.5 thousand km²``."""
    if _absent(km2):
        return DASH
    if km2 >= 10_000:
        return text("area_big", check_lang(lang), wan=km2 / 10_000, k=km2 / 1_000)
    if abs(km2) < 10:
        return f"{number(km2, lang, 2)} km²"
    return text("area_km2", check_lang(lang), a=km2)


def pct(share: float, lang: str = "zh") -> str:
    """A share (0–100) with one decimal that never contradicts a count: a share short of 100
    (a gap is left) is never ``100.0`` (99.96 is ``99.9``), a non-zero one never ``0.0``."""
    if _absent(share):
        return DASH
    v = round(share, 1)
    if share < 100 and v >= 100:
        v = 99.9
    if 0 < share < 0.05:
        v = 0.1
    return f"{v:.1f}"


def percent(share: float, lang: str = "zh") -> str:
    """:func:`pct` with its ``%`` (a dash when there is no share)."""
    out = pct(share, lang)
    return out if out == DASH else out + "%"


class _Fill(string.Formatter):
    """Fills a template's placeholders: the one place values become words (see the module)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return DASH
        if isinstance(value, (Msg, Name, list, tuple)) or (not format_spec and isinstance(value, (int, float))):
            return say(value, self.lang)
        return super().format_field(value, format_spec)
