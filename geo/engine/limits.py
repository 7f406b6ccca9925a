"""The allowed range of a number a user can set, and the one check that enforces it.

Every setting (minutes, walking speed, buffer, gap size, ``k``, margins …) is declared once as
a :class:`Range` next to the code that uses it, and checked by :meth:`Range.check`. NaN and the
infinities are never allowed; the message names the setting, the value and the range, on one
line, so the command line and the app can show it as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any


class SettingError(ValueError):
    """A setting outside its allowed range; ``setting`` names it (e.g. ``"speed_kmh"``)."""

    def __init__(self, message: str, setting: str | None = None):
        super().__init__(message)
        self.setting = setting


def _num(x: float) -> str:
    """A number as typed, without float noise: 120, 0.5, 120.0001 (``:g`` would say 120)."""
    return f"{x:.15g}"


@dataclass(frozen=True)
class Range:
    """Closed (or half-open) interval of allowed values; ``high=inf`` means no upper bound."""

    low: float
    high: float = math.inf
    unit: str = ""
    low_open: bool = False   # True: ``low`` itself is not allowed
    integer: bool = False    # True: whole numbers only

    def describe(self) -> str:
        """The range in words, e.g. ``a number above 0 and at most 120 min``."""
        kind = "a whole number" if self.integer else "a finite number"
        if self.integer and math.isfinite(self.high):
            text = f"{kind} from {_num(self.low)} to {_num(self.high)}"
        else:
            text = f"{kind} {'above' if self.low_open else 'of at least'} {_num(self.low)}"
            if math.isfinite(self.high):
                text += f" and at most {_num(self.high)}"
        return f"{text} {self.unit}".rstrip()

    def contains(self, value: float) -> bool:
        """True when ``value`` (a finite number) is inside the range."""
        above = value > self.low if self.low_open else value >= self.low
        return above and value <= self.high

    def check(self, setting: str, value: Any, error: type[SettingError] = SettingError) -> Any:
        """``value`` as a float (an int for whole-number ranges), or ``error`` naming the setting."""
        number = _as_number(value, self.integer)
        if number is None or not math.isfinite(number) or not self.contains(number):
            shown = _num(float(value)) if isinstance(value, Real) and not isinstance(value, bool) else repr(value)
            raise error(f"{setting} must be {self.describe()}, got {shown}", setting=setting)
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
