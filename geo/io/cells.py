"""Cell values between Python and spreadsheets: text of a value, missing values, formula guarding."""

from __future__ import annotations

import re

import pandas as pd


def unguard_formula(cell: str) -> str:
    """Undo :func:`guard_formula`: "'=x" read back as "=x", "''=x" as "'=x"."""
    return cell[1:] if GUARDED.match(cell) else cell


def cell_text(v: object) -> str:
    """The text a spreadsheet shows for a value: integers without '.0', floats in full."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):  # numpy's float64 too, written as a plain number
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(float(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def isna(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


_LEAD = r"[=+\-@\t\r]"
FORMULA_LEADING = re.compile(
    r"[=@\t\r]"                                                  # always a formula
    r"|[+-](?!(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z)"        # + or -, unless a number: -3.5
    rf"|'+{_LEAD}")                                                # already guarded text: guard again
"""Text a spreadsheet would run as a formula (OWASP: ``= + - @`` tab, CR; numbers such as -3.5
excepted), or text that the reader would take for guarded text (``'`` then one of those)."""
GUARDED = re.compile(rf"'+{_LEAD}")


def guard_formula(s: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV); exact to undo with
    :func:`unguard_formula`, because text already starting ``'=`` gets one more ``'``."""
    return "'" + s if FORMULA_LEADING.match(s) else s
