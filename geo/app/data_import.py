"""The 导入服务中心 panel: upload a centres file, choose its coordinate system, see every
problem (:func:`geo.io.centers.import_centers`), import the valid rows as one version."""

from __future__ import annotations

import hashlib

import streamlit as st

from geo.app.cache import Layers
from geo.app.data_common import (
    ensure_seeded,
    save,
    show_error,
    show_problems,
    ss,
    version_of,
)
from geo.app.state import CRS_CHOICES, choice, put
from geo.app.text import crs_label, md, tr
from geo.io import centers as center_io
from geo.io import store as gstore
from geo.io.errors import DataError


@st.cache_data(show_spinner=False, max_entries=8)
def _import_report(digest: str, filename: str, crs: str, layers_token: str, _payload: bytes,
                   _layers: Layers) -> center_io.ImportReport:
    return center_io.import_centers(_payload, crs, filename=filename, district=_layers.district,
                                   streets=_layers.streets, communities=_layers.communities)


def import_section(layers: Layers, lang: str, store: gstore.Store) -> None:
    """Upload a centres file, choose its coordinate system, see every problem, import."""
    st.caption(tr("data.imp_hint", lang))
    nonce = ss.get("imp_nonce", 0)
    up = st.file_uploader(tr("data.imp_file", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"],
                          key=f"imp_file_{nonce}")
    crs = choice(st.radio, tr("data.imp_crs", lang), CRS_CHOICES, "imp_crs", lang, horizontal=True,
                  format_func=lambda c, lang=lang: crs_label(c, lang))
    if up is None:
        return
    payload = up.getvalue()
    try:
        report = _import_report(hashlib.sha1(payload).hexdigest(), up.name, crs, layers.token, payload, layers)
    except DataError as exc:
        show_error(exc, lang, "import_file")
        return
    st.markdown(tr("data.imp_summary", lang, file=md(report.source), n=report.n_rows, ok=len(report.valid),
                   bad=len(report.rejected_rows)))
    if report.suggested_crs:
        _crs_advice(report, crs, lang)
    items = report.problems + report.warnings
    if items:
        st.markdown(f"**{tr('data.imp_problems', lang)}**")
        show_problems(sorted(items, key=lambda p: (p.row or 0, p.level != "error")), lang)
    if len(report.valid) == 0:
        st.error(tr("data.imp_none_valid", lang))
        return
    _import_button(report, layers, store, lang, nonce)


def _crs_advice(report: center_io.ImportReport, crs: str, lang: str) -> None:
    """Another coordinate system puts more points inside the district: say so, offer it."""
    best = report.suggested_crs
    st.warning(tr("data.imp_crs_warn", lang, chosen=crs_label(crs, lang), best=crs_label(best, lang),
                  n_chosen=report.inside_counts.get(crs, 0), n_best=report.inside_counts.get(best, 0),
                  n=report.n_rows))
    st.button(tr("data.imp_use_crs", lang, best=crs_label(best, lang)), key="imp_use_crs", on_click=put,
              args=("imp_crs", best))


def _import_button(report: center_io.ImportReport, layers: Layers, store: gstore.Store, lang: str,
                   nonce: int) -> None:
    """The import button (all rows, or only the valid ones) and the save it makes."""
    bad, n = report.rejected_rows, len(report.valid)
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        st.warning(tr("data.imp_left_out", lang, m=len(bad), rows=shown))
    clicked = st.button(tr("data.imp_valid", lang, n=n) if bad else tr("data.imp_all", lang, n=n),
                        key="imp_go", type="primary")
    if bad:
        st.caption(tr("data.imp_fix", lang))
    if clicked:
        skipped = tr("data.imp_skipped", lang, m=len(bad)) if bad else ""

        def action() -> gstore.SaveResult:
            ensure_seeded(store, "centers")
            desc = tr("data.imp_desc", lang, file=report.source, n=n, skipped=skipped)
            return store.save("centers", report.valid, desc, base_version=version_of(layers.centers))

        def after() -> None:
            ss["imp_nonce"] = nonce + 1  # a fresh, empty uploader

        save(action, lambda r: tr("data.imp_done", lang, n=n, v=r.version, skipped=skipped), lang, "import", after)
