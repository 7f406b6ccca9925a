"""The 替换边界 panel: upload street or community boundaries, see what matched the registry
(:func:`geo.io.boundaries.import_boundaries`), save them as one version."""

from __future__ import annotations

import hashlib

import streamlit as st

from geo.app.data_common import (
    save,
    show_error,
    show_problems,
    ss,
    version_of,
    whole_base,
)
from geo.app.state import CRS_CHOICES, choice
from geo.app.text import both, crs_label, md, tr
from geo.io import boundaries
from geo.io import store as gstore
from geo.io.district import District, Layers
from geo.io.errors import DataError


@st.cache_data(show_spinner=False, max_entries=8)
def _boundary_report(digest: str, filename: str, level: str, crs: str, code: str, layers_token: str,
                     _payload: bytes, _place: District) -> boundaries.BoundaryReport:
    """A boundary file checked against the registry of ``_place`` (district ``code``)."""
    return boundaries.import_boundaries(_payload, level, crs, filename=filename, district=_place)


def boundaries_section(layers: Layers, lang: str) -> None:
    """Upload street or community boundaries, see what matched, save into the store of the
    layers' District."""
    place = layers.place
    st.caption(tr("data.bd_hint", lang))
    level = choice(st.radio, tr("data.bd_level", lang), ("street", "community"), "bd_level", lang, horizontal=True,
                    format_func=lambda x, lang=lang: tr(f"data.lv_{x}", lang))
    crs = choice(st.radio, tr("data.bd_crs", lang), CRS_CHOICES, "bd_crs", lang, horizontal=True,
                  format_func=lambda c, lang=lang: crs_label(c, lang))
    nonce = ss.get("bd_nonce", 0)
    up = st.file_uploader(tr("data.bd_file", lang), type=["geojson", "json", "gpkg", "zip"], key=f"bd_file_{nonce}",
                          max_upload_size=50)
    if up is None:
        return
    payload = up.getvalue()
    try:
        report = _boundary_report(hashlib.sha1(payload).hexdigest(), up.name, level, crs, place.code, layers.token,
                                  payload, place)
    except DataError as exc:
        show_error(exc, lang, "boundaries_file")
        return
    level_text = tr(f"data.lv_{report.level}", lang)
    st.markdown(tr("data.bd_summary", lang, file=md(report.source), n=report.n_features, ok=len(report.layer),
                  bad=len(report.problems), missing=len(report.missing)))
    if len(report.problems):
        st.markdown(f"**{tr('data.bd_unmatched', lang)}**")
        show_problems(report.problems, lang)
    if len(report.missing):
        st.markdown(f"**{tr('data.bd_missing', lang, level=level_text)}**")
        st.table(report.missing.rename(columns={"code": tr("data.c_code", lang), "name": tr("data.c_name", lang)}),
                 hide_index=True, height=300 if len(report.missing) > 8 else "content")
    if report.warnings:
        st.markdown(f"**{tr('data.bd_warnings', lang)}**")
        show_problems(report.warnings, lang)
    if len(report.layer) == 0:
        st.error(tr("data.bd_none", lang))
        return
    keep = st.checkbox(tr("data.bd_keep", lang), value=True, key="bd_keep")
    if st.button(tr("data.bd_save", lang, n=len(report.layer)), key="bd_save", type="primary"):
        layer = "streets" if report.level == "street" else "communities"
        n = len(report.layer)

        labelled = report.layer.assign(geometry_source=report.source[:100])  # where they came from

        desc = both(lambda lg: tr("data.bd_desc", lg, level=tr(f"data.lv_{report.level}", lg),
                                  file=report.source[:100], n=n))

        def action() -> gstore.SaveResult:
            store = place.store()
            base = whole_base(store, layer, version_of(getattr(layers, layer)))
            return store.replace_boundaries(report.level, labelled, desc, base_version=base, keep_missing=keep)

        def after() -> None:
            ss["bd_nonce"] = nonce + 1

        save(action, lambda r: tr("data.bd_done", lang, n=n, level=level_text, v=r.version), lang, "boundaries", after)
