"""The 导入服务中心 panel: upload a centres file, see every problem in the page's language, choose
what the import does -- add or update by id (the default) or replace all -- see the counts and the
coverage before and after, then save it as one version.

Rows are labelled by where they came from: ``position_source`` is the file's name (or
``surveyed`` when the user says the positions were surveyed), never "real" by default.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from geo.app import cache
from geo.app.data_common import ensure_seeded, save, show_error, show_problems, ss, version_of
from geo.app.state import CRS_CHOICES, IMPORT_MODES, bound, choice, put
from geo.app.text import both, crs_label, md, tr
from geo.engine import schema
from geo.io import centers as center_io
from geo.io import editing, sources
from geo.io import store as gstore
from geo.io.district import District, Layers
from geo.io.errors import DataError

MAX_UPLOAD_MB = 50
SOURCE_CHARS = 100  # a file name kept as position_source is cut to this length


@st.cache_data(show_spinner=False, max_entries=8)
def _import_report(digest: str, filename: str, crs: str, code: str, layers_token: str, _payload: bytes,
                   _layers: Layers) -> center_io.ImportReport:
    """A centres file checked for the District of ``_layers`` (``code``) and its boundaries in use."""
    return center_io.import_centers(_payload, crs, filename=filename, district=_layers.place,
                                   streets=_layers.streets, communities=_layers.communities)


@st.cache_data(show_spinner=False, max_entries=8)
def _ids_in_file(digest: str, filename: str, _payload: bytes) -> tuple[dict[int, str], bool]:
    """``{spreadsheet row: id}`` for the rows whose id cell is filled, and whether the file names
    streets or communities (read by the one reader)."""
    _, table = sources.load_table(_payload, sources.CENTERS, filename=filename)
    names_places = bool(set(table.df.columns) & {"street_code", "street_name", "community_code", "community_name"})
    if "id" not in table.df:
        return {}, names_places
    ids = table.df["id"].astype(str).str.strip()
    return {int(r): i for r, i in zip(table.rows, ids) if i}, names_places


@dataclass
class ImportPlan:
    """What an import does to the centres: the new layer and the ids it adds, updates, leaves
    as they were (same values) and removes."""

    centers: gpd.GeoDataFrame
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]

    @property
    def touched(self) -> list[str]:
        return self.added + self.updated


_COMPARED = ["name", "tier", "street_code", "community_code", "lon", "lat"]


def plan_import(current: gpd.GeoDataFrame, incoming: gpd.GeoDataFrame, given: np.ndarray, mode: str,
                used: set[str] = frozenset(), keep_codes: bool = True, *, metric_crs: str) -> ImportPlan:
    """The new centres for an import. ``given[i]``: row ``i`` of ``incoming`` had its own id in the file.

    ``upsert``: a row whose id is a current centre updates it, a row with a new id is added with
    that id, a row without an id is added with a fresh ``C0001``-style id (outside ``used`` and
    every current id); every other centre stays. An updated centre that stays within
    :data:`SAME_PLACE_M` of where it was keeps its street and community when ``keep_codes`` (the
    file names none): a file read back from another coordinate system does not move centres
    between (illustrative) communities; distances in ``metric_crs`` (the district's own UTM
    zone, :attr:`geo.io.district.District.metric_crs`). ``replace``: the file's rows are the centres.
    """
    incoming = incoming.reset_index(drop=True).copy()
    cur_ids = current["id"].astype(str).tolist()
    taken = set(cur_ids) | set(used) | set(incoming["id"].astype(str)[given])
    fresh = []
    for _ in range(int((~given).sum())):
        new = editing.next_id(taken)
        taken.add(new)
        fresh.append(new)
    incoming.loc[~given, "id"] = fresh
    if mode == "replace":
        new_ids = set(incoming["id"].astype(str))
        return ImportPlan(incoming, incoming["id"].astype(str).tolist(), [], [],
                          [i for i in cur_ids if i not in new_ids])
    ids = incoming["id"].astype(str)
    existing = ids.isin(set(cur_ids)).to_numpy()
    incoming = _keep_codes(current, incoming, existing, keep_codes, metric_crs)
    old = current.set_index(current["id"].astype(str)).reindex(ids[existing])[_COMPARED].reset_index(drop=True)
    new = incoming.loc[existing, _COMPARED].reset_index(drop=True)
    same = (old.astype(str).to_numpy() == new.astype(str).to_numpy()).all(axis=1) if len(new) else np.array([], bool)
    keep = current[~current["id"].astype(str).isin(set(ids[existing]))]
    merged = pd.concat([current.iloc[0:0], keep, incoming.reindex(columns=current.columns)], ignore_index=True)
    order = {cid: k for k, cid in enumerate(cur_ids)}  # updated centres keep their place
    merged["_o"] = [order.get(str(i), len(order) + k) for k, i in enumerate(merged["id"])]
    merged = merged.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
    out = gpd.GeoDataFrame(merged, geometry=current.geometry.name, crs="EPSG:4326")
    return ImportPlan(out, ids[~existing].tolist(), ids[existing][~same].tolist(), ids[existing][same].tolist(), [])


SAME_PLACE_M = 100.0


def _keep_codes(current: gpd.GeoDataFrame, incoming: gpd.GeoDataFrame, existing: np.ndarray,
                keep: bool, metric_crs: str) -> gpd.GeoDataFrame:
    """Updated rows that stay in place take the current street and community codes."""
    if not keep or not existing.any():
        return incoming
    out = incoming.copy()
    cur = current.set_index(current["id"].astype(str)).reindex(out["id"].astype(str)[existing])
    here = gpd.GeoSeries(out.geometry[existing].to_numpy(), crs="EPSG:4326").to_crs(metric_crs)
    there = gpd.GeoSeries(cur.geometry.to_numpy(), crs="EPSG:4326").to_crs(metric_crs)
    still = (here.distance(there, align=False) <= SAME_PLACE_M).to_numpy()
    rows = np.flatnonzero(existing)[still]
    for col in ("street_code", "community_code"):
        out.loc[out.index[rows], col] = cur[col].to_numpy()[still]
    return out


def labelled(valid: gpd.GeoDataFrame, source: str, surveyed: bool) -> gpd.GeoDataFrame:
    """The imported rows labelled by where they came from (rows that say nothing of it)."""
    out = valid.copy()
    label = "surveyed" if surveyed else source[:SOURCE_CHARS]
    out["position_source"] = out["position_source"].where(out["position_source"] != "user", label)
    return out


# --------------------------------------------------------------------------- the panel


def import_section(layers: Layers, lang: str) -> None:
    """Upload a centres file, see every problem, choose add/update or replace, see before and
    after, save into the store of the layers' District."""
    st.caption(tr("data.imp_hint", lang))
    nonce = ss.get("imp_nonce", 0)
    up = st.file_uploader(tr("data.imp_file", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"],
                          key=f"imp_file_{nonce}", max_upload_size=MAX_UPLOAD_MB)
    crs = choice(st.radio, tr("data.imp_crs", lang), CRS_CHOICES, "imp_crs", lang, horizontal=True,
                 format_func=lambda c, lang=lang: crs_label(c, lang))
    if up is None:
        return
    payload = up.getvalue()
    digest = hashlib.sha1(payload).hexdigest()
    try:
        report = _import_report(digest, up.name, crs, layers.place.code, layers.token, payload, layers)
        in_file, names_places = _ids_in_file(digest, up.name, payload)
    except DataError as exc:
        show_error(exc, lang, "import_file")
        return
    _report(report, crs, lang, layers.place)
    if len(report.valid) == 0:
        st.error(tr("data.imp_none_valid", lang))
        return
    given = np.array([r in in_file for r in report.valid_rows], dtype=bool)
    _choose_and_save(report, given, not names_places, digest, layers, lang, nonce)


def _report(report: center_io.ImportReport, crs: str, lang: str, place: District) -> None:
    """The summary line, the coordinate-system advice and every problem (full width, translated)."""
    st.markdown(tr("data.imp_summary", lang, file=md(report.source), n=report.n_rows, ok=len(report.valid),
                   bad=len(report.rejected_rows)))
    if report.suggested_crs:
        best = report.suggested_crs
        st.warning(tr("data.imp_crs_warn", lang, place=place, chosen=crs_label(crs, lang), best=crs_label(best, lang),
                      n_chosen=report.inside_counts.get(crs, 0), n_best=report.inside_counts.get(best, 0),
                      n=report.n_rows))
        st.button(tr("data.imp_use_crs", lang, best=crs_label(best, lang)), key="imp_use_crs", on_click=put,
                  args=("imp_crs", best))
    items = report.problems + report.warnings
    if items:
        st.markdown(f"**{tr('data.imp_problems', lang)}**")
        show_problems(sorted(items, key=lambda p: (p.row or 0, p.level != "error")), lang)
    bad = report.rejected_rows
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        st.warning(tr("data.imp_left_out", lang, n=len(bad), rows=shown))
        st.caption(tr("data.imp_fix", lang))


def _choose_and_save(report: center_io.ImportReport, given: np.ndarray, keep_codes: bool, digest: str,
                     layers: Layers, lang: str, nonce: int) -> None:
    """What the import does, its before and after, and the save button (into the store of the
    layers' District)."""
    place = layers.place
    mode = choice(st.radio, tr("data.imp_mode", lang), IMPORT_MODES, "imp_mode", lang,
                  format_func=lambda m, lang=lang: tr(f"data.im_{m}", lang))
    surveyed = bound(st.checkbox, tr("data.imp_surveyed", lang), "imp_surveyed")
    incoming = labelled(report.valid, report.source, bool(surveyed))
    plan = plan_import(layers.centers, incoming, given, mode, keep_codes=keep_codes, metric_crs=place.metric_crs)
    bounds = (place, layers.streets, layers.communities)
    try:
        editing.check_touched(plan.centers, plan.touched, bounds)
    except DataError as exc:
        show_error(exc, lang, "import_check")
        return
    before, after = _figures(layers, plan, f"{digest}:{mode}:{report.crs}:{surveyed}")
    _preview(plan, before, after, lang)
    ok = True
    if mode == "replace" and plan.removed:
        st.warning(tr("data.imp_replace_warn", lang, n=len(plan.removed), total=len(layers.centers)))
        ok = bool(bound(st.checkbox, tr("data.imp_replace_ok", lang, n=len(plan.removed)), "imp_replace_ok"))
    if not st.button(tr("data.imp_go", lang, n=len(plan.touched)), key="imp_go", type="primary", disabled=not ok):
        return
    desc = both(lambda lg: tr("data.imp_desc", lg, file=report.source[:SOURCE_CHARS], mode=tr(f"data.im_{mode}", lg),
                              added=len(plan.added), updated=len(plan.updated),
                              removed=len(plan.removed)))[: gstore.MAX_DESCRIPTION]
    summary = tr("data.imp_after", lang, before_n=before[0], after_n=after[0], before_pct=before[1],
                 after_pct=after[1])

    def action() -> gstore.SaveResult:
        store = place.store()
        if mode == "replace":
            ensure_seeded(store, "centers")
            return store.save("centers", plan.centers, desc, base_version=version_of(layers.centers))
        return store.edit("centers", lambda gdf, used: plan_import(gdf, incoming, given, mode, used(), keep_codes,
                                                                   metric_crs=place.metric_crs).centers,
                          desc, base_version=version_of(layers.centers),
                          check=lambda gdf, touched: editing.check_touched(gdf, touched, bounds))

    def after_save() -> None:
        ss["imp_nonce"] = nonce + 1  # a fresh, empty uploader
        ss.pop("imp_replace_ok", None)

    save(action, lambda r: tr("data.imp_done", lang, added=len(plan.added), updated=len(plan.updated),
                              removed=len(plan.removed), v=r.version) + " " + summary, lang, "import", after_save)


def _figures(layers: Layers, plan: ImportPlan, tag: str) -> tuple[tuple[int, float], tuple[int, float]]:
    """(centres, covered %) before and after, at the standard walk (15 min, 4 km/h, every tier)."""
    def figures(lay: Layers, token: str) -> tuple[int, float]:
        r = cache.analysis(lay.place.code, token, "circle", (15.0,), 4.0, schema.TIERS, None, lay, None)
        return len(lay.centers), float(r.covered_pct)

    after = replace(layers, centers=plan.centers)
    return figures(layers, layers.token), figures(after, f"{layers.token}|import:{tag}")


def _preview(plan: ImportPlan, before: tuple[int, float], after: tuple[int, float], lang: str) -> None:
    """Before and after, side by side: the counts and the covered share."""
    st.markdown(f"**{tr('data.imp_preview', lang)}**")
    rows = [(tr("data.pv_centres", lang), f"{before[0]}", f"{after[0]}"),
            (tr("data.pv_added", lang), "", f"{len(plan.added)}"),
            (tr("data.pv_updated", lang), "", f"{len(plan.updated)}"),
            (tr("data.pv_unchanged", lang), "", f"{len(plan.unchanged)}"),
            (tr("data.pv_removed", lang), "", f"{len(plan.removed)}"),
            (tr("data.pv_covered", lang), f"{before[1]:.1f}%", f"{after[1]:.1f}%")]
    st.table(pd.DataFrame(rows, columns=[tr("data.pv_item", lang), tr("data.pv_before", lang),
                                         tr("data.pv_after", lang)]), hide_index=True)
    st.caption(tr("data.pv_note", lang))
