"""The 版本记录 panel: every saved version, newest first; restore any of them after a
confirmation (the current state stays in the history)."""

from __future__ import annotations

from datetime import timedelta, timezone

import pandas as pd
import streamlit as st

from geo.app.data_common import (
    LAYER_NAMES,
    layer_label,
    save,
    ss,
    version_of,
    whole_base,
)
from geo.app.state import choice
from geo.app.text import both, tr
from geo.io import store as gstore
from geo.io.district import Layers

BEIJING = timezone(timedelta(hours=8))


def _described(text: str, lang: str) -> str:
    """A stored description in the page's language where the app wrote it ("zh / en" pairs, the
    seed copied by the store)."""
    if text == "copied from the shipped files":
        return tr("data.v_seed", lang)
    zh, sep, en = text.partition(" / ")
    return (en if lang == "en" else zh) if sep else text


def versions_table(versions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The history for display: version, Beijing time, layer, description, counts."""
    times = pd.to_datetime(versions["created_at"], utc=True, errors="coerce").dt.tz_convert(BEIJING)
    return pd.DataFrame({
        tr("data.v_version", lang): versions["version"].astype(int).to_numpy(),
        tr("data.v_time", lang): times.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("").to_numpy(),
        tr("data.v_layer", lang): [layer_label(x, lang) for x in versions["layer"]],
        tr("data.v_desc", lang): [_described(d, lang) for d in versions["description"].astype(str)],
        tr("data.v_added", lang): versions["added"].map(len).to_numpy(),
        tr("data.v_removed", lang): versions["removed"].map(len).to_numpy(),
        tr("data.v_changed", lang): versions["changed"].map(len).to_numpy(),
        tr("data.v_n", lang): versions["n_features"].astype(int).to_numpy(),
    })


def versions_section(layers: Layers, lang: str) -> None:
    """Every saved version of the store of the layers' District, newest first (read-only); restore
    any of them after a confirmation."""
    place = layers.place
    if not place.store_path.is_file():
        st.caption(tr("data.vs_none", lang))
        return
    vs = place.store(readonly=True).versions()
    if len(vs) == 0:
        st.caption(tr("data.vs_none", lang))
        return
    st.table(versions_table(vs, lang), hide_index=True, height=360 if len(vs) > 8 else "content")
    info = {int(r.version): r for r in vs.itertuples()}
    labels = {v: f"v{v} · {layer_label(r.layer, lang)} · {_described(str(r.description), lang)[:60]}"
              for v, r in info.items()}
    pick = choice(st.selectbox, tr("data.vs_pick", lang), list(labels), "vs_pick", lang, format_func=labels.get)
    if st.button(tr("data.vs_restore", lang), key="vs_restore"):
        ss["vs_confirm"] = (place.code, pick)
    if ss.get("vs_confirm") != (place.code, pick):
        return
    r = info[pick]
    layer_text = layer_label(r.layer, lang)
    st.warning(tr("data.vs_confirm", lang, layer=layer_text, v=pick, n=int(r.n_features)))
    c1, c2 = st.columns(2)
    if c2.button(tr("data.vs_no", lang), key="vs_no"):
        ss.pop("vs_confirm", None)
        st.rerun()
    if c1.button(tr("data.vs_yes", lang), key="vs_yes", type="primary"):
        shown = getattr(layers, r.layer, None) if r.layer in LAYER_NAMES else None

        def action() -> gstore.SaveResult:
            store = place.store()
            base = whole_base(store, r.layer, version_of(shown)) if shown is not None else None
            return store.restore(r.layer, pick, both(lambda lg: tr("data.vs_desc", lg, v=pick)), base_version=base)

        save(action, lambda res: tr("data.vs_done", lang, layer=layer_text, v=pick, new=res.version), lang, "restore",
              lambda: ss.pop("vs_confirm", None))
