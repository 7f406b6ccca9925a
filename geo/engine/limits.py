"""The allowed range of a number a user can set, and the one check that enforces it.

Every setting (minutes, walking speed, buffer, gap size, ``k``, margins …) is declared once as
a :class:`Range` next to the code that uses it, and checked by :meth:`Range.check`. NaN and the
infinities are never allowed. A refused setting is a :class:`SettingError` carrying a
:class:`~geo.locale.Msg` (``set.out_of_range``: the setting, the range, the value as typed),
worded where it is shown (``exc.text(lang)``; ``str(exc)`` is English), on one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from geo.locale import Msg, Worded, has


class SettingError(Worded, ValueError):
    """A setting or input the engine refuses: ``msg`` says why (a code ``set.*`` and its
    parameters), ``setting`` names the setting when there is one (e.g. ``"speed_kmh"``).

    ``str(exc)`` is the English text; :meth:`text` words it in a language (:class:`~geo.locale.Worded`)."""

    def __init__(self, msg: Msg | str, setting: str | None = None):
        super().__init__(msg)
        self.setting = setting

    def __reduce__(self):
        return (self.__class__, (self.msg, self.setting))


def _num(x: float) -> str:
    """A number as typed, without float noise: 120, 0.5, 120.0001 (``:g`` would say 120)."""
    return f"{x:.15g}"


def setting_name(setting: str) -> Msg | str:
    """A setting in words (``set.setting_<name>``: 步行速度 / speed_kmh), or its name when the
    catalogue has no words for it."""
    key = f"set.setting_{setting}"
    return Msg(key) if has(key) else setting


#: units that are words in a language (the others, km/h, m, m², %, °, are the same in both)
UNIT_WORDS: dict[str, Msg] = {"min": Msg.of("set.unit_min"), "s": Msg.of("set.unit_s")}


def _with_unit(x: float, unit: str) -> Msg | str:
    if not unit:
        return _num(x)
    return Msg.of("set.with_unit", n=_num(x), unit=UNIT_WORDS.get(unit, unit))


@dataclass(frozen=True)
class Range:
    """Closed (or half-open) interval of allowed values; ``high=inf`` means no upper bound."""

    low: float
    high: float = math.inf
    unit: str = ""
    low_open: bool = False   # True: ``low`` itself is not allowed
    integer: bool = False    # True: whole numbers only

    def words(self) -> Msg:
        """The range as a message, e.g. ``a finite number above 0 and at most 120 min``."""
        kind = "int" if self.integer else "num"
        if self.integer and math.isfinite(self.high):
            return Msg.of("set.range_int", low=_num(self.low), high=_with_unit(self.high, self.unit))
        side = "above" if self.low_open else "least"
        if math.isfinite(self.high):
            return Msg.of(f"set.range_{kind}_{side}_max", low=_num(self.low), high=_with_unit(self.high, self.unit))
        return Msg.of(f"set.range_{kind}_{side}", low=_with_unit(self.low, self.unit))

    def describe(self, lang: str = "en") -> str:
        """The range in words in ``lang`` (see :meth:`words`)."""
        return self.words().text(lang)

    def contains(self, value: float) -> bool:
        """True when ``value`` (a finite number) is inside the range."""
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def check(self, setting: str, value: Any, error: type[SettingError] = SettingError) -> Any:
        """``value`` as a float (an int for whole-number ranges), or ``error`` naming the setting
        (``set.out_of_range``: ``setting``, ``range``, ``value`` as typed)."""
        number = _as_number(value, self.integer)
        if number is None or not math.isfinite(number) or not self.contains(number):
            shown = _num(float(value)) if isinstance(value, Real) and not isinstance(value, bool) else repr(value)
            raise error(Msg.of("set.out_of_range", setting=setting_name(setting), range=self.words(), value=shown),
                        setting=setting)
        return number


def _as_number(value: Any, integer: bool) -> float | int | None:
    """The value as a number, or None when it is not one (bools and text are not numbers)."""
    if isinstance(value, bool):
        return None
    if integer:
        return int(value) if isinstance(value, Integral) else None
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
