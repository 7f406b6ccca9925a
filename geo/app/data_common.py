"""What every panel of the 数据管理 (data) screen shares: the version a layer was loaded at, one
save with its message, and clear messages for what went wrong.

Every change is one save in the versioned store of the page's District
(:meth:`geo.io.district.District.store`, stamped with its code: a row of another district is
refused, and the refusal is a message). Problems
are shown as messages, never as tracebacks: a :class:`~geo.io.errors.DataError` with its
message (and every problem it lists), a :class:`~geo.io.store.ConflictError` as "someone else
saved; reload". Text from a user's file goes through ``st.dataframe`` (plain text) or
:func:`geo.app.text.md` (escaped Markdown), never as markup.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from geo import locale
from geo.app.text import error_text, tr
from geo.io import store as gstore
from geo.io.errors import DataError

ss = st.session_state

LAYER_NAMES = ("district", "streets", "communities", "centers")


def version_of(gdf: pd.DataFrame) -> int:
    """The store version a layer in use was loaded at (0 = the shipped file)."""
    v = gdf.attrs.get("version")
    return int(v) if v is not None else 0


def layer_label(layer: str, lang: str) -> str:
    """A layer's name in the page language (its own name when it has none)."""
    return tr(f"data.l_{layer}", lang) if locale.has(f"data.l_{layer}") else layer


def source_label(values, lang: str) -> str:
    """Where a layer's features came from, with counts: 示意 169 · 来自 new.csv 3 (never 真实 unless
    a user said the positions were surveyed)."""
    counts = pd.Series(list(values), dtype=object).fillna("").astype(str).value_counts(sort=True)
    known = {"illustrative": "data.src_illustrative", "surveyed": "data.src_surveyed", "user": "data.src_user",
             "proposed": "data.src_proposed", "": "data.src_unknown"}
    parts = [(tr(known[v], lang) if v in known else tr("data.src_file", lang, name=v)) + f" {n}"
             for v, n in counts.items()]
    return " · ".join(parts)


def flash(kind: str, text: str) -> None:
    """Remember a message (``success`` or ``info``) to show after the next rerun."""
    ss["data_flash"] = (kind, text)


# --------------------------------------------------------------------------- saving, errors


def show_problems(problems, lang: str, height: int | str = "content") -> None:
    """Every problem in one full-width table that wraps: row, column, value, reason (in the page's
    language, naming ``place`` in it), level. Long lists scroll (``height`` in pixels)."""
    table = problems_table(problems, lang)
    if len(table) > 12 and height == "content":
        height = 420
    st.table(table, hide_index=True, height=height)


def problems_table(problems, lang: str) -> pd.DataFrame:
    """Problems as a plain-text table in the page language (each reason worded from its code)."""
    levels = {"error": tr("data.lv_error", lang), "warning": tr("data.lv_warning", lang)}
    return pd.DataFrame({
        tr("data.p_level", lang): [levels.get(getattr(p, "level", "error"), "") for p in problems],
        tr("data.p_row", lang): [p.row if p.row is not None else "" for p in problems],
        tr("data.p_column", lang): [p.column or "" for p in problems],
        tr("data.p_value", lang): [str(p.value)[:80] if p.value is not None else "" for p in problems],
        tr("data.p_reason", lang): [p.why(lang) for p in problems],
    }).astype(str)


def show_error(exc: BaseException, lang: str, where: str = "") -> None:
    """A clear message for a failed action: conflicts ask for a reload; data errors list every
    problem."""
    if isinstance(exc, gstore.ConflictError):
        st.error(tr("data.conflict", lang, msg=error_text(exc, lang)))
        st.button(tr("data.reload", lang), key=f"reload_{where}", on_click=unpin)
    elif isinstance(exc, DataError):
        st.error(tr("data.error_data", lang, msg=error_text(exc, lang)))
        if len(exc.problems) > 1:
            show_problems(exc.problems, lang)
    else:
        st.error(tr("data.error_edit", lang, msg=error_text(exc, lang)))


def save(action: Callable[[], gstore.SaveResult], done: Callable[[gstore.SaveResult], str], lang: str,
         where: str, after: Callable[[], None] | None = None) -> None:
    """Run one store save; on success remember a message and rerun the whole page (it then
    shows the new layers), on failure show why."""
    try:
        res = action()
    except (gstore.ConflictError, DataError, KeyError, ValueError, OSError) as exc:
        show_error(exc, lang, where)
        return
    if res.created:
        flash("success", done(res) + (tr("data.merged", lang) if res.merged else ""))
    else:
        flash("info", tr("data.no_change", lang))
    if after is not None:
        after()
    st.rerun()


def ensure_seeded(store: gstore.Store, layer: str) -> None:
    """Copy a shipped layer into the store before its first change, so it can be restored."""
    if layer in gstore.SHIPPED and store.head(layer) is None:
        store.seed(layer)


def whole_base(store: gstore.Store, layer: str, shown: int) -> int:
    """``base_version`` for a whole-layer save (restore, replace): the version on screen; for
    the shipped layer (0), the store's copy of it."""
    if shown:
        return shown
    ensure_seeded(store, layer)
    return int(store.versions(layer)["version"].min())


def unpin() -> None:
    """Let the centres editor follow the latest version again (see :mod:`geo.app.data_edit`)."""
    ss.pop("ed_pin", None)
