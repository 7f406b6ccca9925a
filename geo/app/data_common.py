"""What every panel of the 数据管理 (data) screen shares: the user's store, the version a layer
was loaded at, one save with its message, and clear messages for what went wrong.

Every change is one save in the user's versioned store (:class:`geo.io.store.Store`). Problems
are shown as messages, never as tracebacks: a :class:`~geo.io.errors.DataError` with its
message (and every problem it lists), a :class:`~geo.io.store.ConflictError` as "someone else
saved; reload". Text from a user's file goes through ``st.dataframe`` (plain text) or
:func:`geo.app.text.md` (escaped Markdown), never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.app.text import TEXT, md, tr
from geo.io import store as gstore
from geo.io.errors import DataError

ss = st.session_state

LAYER_NAMES = ("district", "streets", "communities", "centers")


def open_store(path: str | Path | None = None) -> gstore.Store:
    """The user's store: ``path``, else ``$LONGHU_STORE``, else ``data/user/longhu.gpkg``."""
    return gstore.Store(path)


def version_of(gdf: pd.DataFrame) -> int:
    """The store version a layer in use was loaded at (0 = the shipped file)."""
    v = gdf.attrs.get("version")
    return int(v) if v is not None else 0


def layer_label(layer: str, lang: str) -> str:
    """A layer's name in the page language (its own name when it has none)."""
    return tr(f"data.l_{layer}", lang) if f"data.l_{layer}" in TEXT else layer


def flash(kind: str, text: str) -> None:
    """Remember a message (``success`` or ``info``) to show after the next rerun."""
    ss["data_flash"] = (kind, text)


# --------------------------------------------------------------------------- saving, errors


def show_problems(problems, lang: str) -> None:
    """Every problem in one table: row, column, value, reason, level."""
    table = problems_table(problems, lang)
    small = st.column_config.TextColumn(width="small")
    st.dataframe(table, hide_index=True, column_config={
        tr("data.p_row", lang): small, tr("data.p_column", lang): small, tr("data.p_value", lang): small,
        tr("data.p_reason", lang): st.column_config.TextColumn(width="large"), tr("data.p_level", lang): small})


def problems_table(problems, lang: str) -> pd.DataFrame:
    """Problems as a plain-text table in the page language."""
    levels = {"error": tr("data.lv_error", lang), "warning": tr("data.lv_warning", lang)}
    return pd.DataFrame({
        tr("data.p_row", lang): [p.row if p.row is not None else "" for p in problems],
        tr("data.p_column", lang): [p.column or "" for p in problems],
        tr("data.p_value", lang): [str(p.value) if p.value is not None else "" for p in problems],
        tr("data.p_reason", lang): [p.reason for p in problems],
        tr("data.p_level", lang): [levels.get(getattr(p, "level", "error"), "") for p in problems],
    }).astype(str)


def show_error(exc: BaseException, lang: str, where: str = "") -> None:
    """A clear message for a failed action: conflicts ask for a reload; data errors list every problem."""
    if isinstance(exc, gstore.ConflictError):
        st.error(tr("data.conflict", lang, msg=md(exc)))
        st.button(tr("data.reload", lang), key=f"reload_{where}", on_click=unpin)
    elif isinstance(exc, DataError):
        st.error(tr("data.error_data", lang, msg=md(exc)))
        if len(exc.problems) > 1:
            show_problems(exc.problems, lang)
    else:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        st.error(tr("data.error_edit", lang, msg=md(msg)))


def save(action: Callable[[], gstore.SaveResult], done: Callable[[gstore.SaveResult], str], lang: str,
         where: str, after: Callable[[], None] | None = None) -> None:
    """Run one store save; on success remember a message and rerun (the page then shows the
    new layers), on failure show why."""
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
