"""Cell values between Python and spreadsheets: text of a value, missing values, formula guarding."""

from __future__ import annotations

import re

import pandas as pd


def unguard_formula(cell: str) -> str:
    """Undo :func:`guard_formula`: "'=x" read back as "=x"."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in "=+@-\t\r" else cell


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


_FORMULA_START = ("=", "+", "@", "\t", "\r", "-")


def guard_formula(s: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (CSV only)."""
    if s and s.startswith(_FORMULA_START) and not (s[0] in "+-" and NUMBER.match(s)):
        return "'" + s
    return s
