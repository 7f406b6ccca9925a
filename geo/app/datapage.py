"""The 数据管理 (data) page: what is in use, import, editing, boundaries, versions, export.

Presentation only. Files are read and checked by :mod:`geo.io.centers` and :mod:`geo.io.boundaries`; every change is one
save in the user's versioned store (:class:`geo.io.store.Store`); the page's layers come from
:func:`geo.app.view.user_layers`, whose token changes after every save, so the whole page
(figures, map, tables) follows at the next run. Problems are shown as messages, never as
tracebacks: a :class:`~geo.io.errors.DataError` with its message (and every problem it lists), a
:class:`~geo.io.store.ConflictError` as "someone else saved; reload".

Text from a user's file (names, file names, values) is never markup: tables go through
``st.dataframe`` (plain text) and messages through :func:`md`, which escapes Markdown.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta, timezone
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo.app import view as av
from geo.engine import coverage as cv
from geo.io import boundaries, data, errors, tables
from geo.io import centers as center_io
from geo.io import store as gstore
from geo.io.errors import DataError
from geo.render import maps
from geo.render.safe_html import escape_text

ss = st.session_state

CRS_CHOICES = ("wgs84", "gcj02", "bd09")
FORMATS = ("geojson", "gpkg", "csv", "xlsx")
LAYER_NAMES = ("district", "streets", "communities", "centers")
BEIJING = timezone(timedelta(hours=8))

TEXT: dict[str, tuple[str, str]] = {
    "head": ("数据管理", "Data management"),
    "in_use": ("当前使用的数据", "Data in use"),
    "col_layer": ("图层", "Layer"), "col_count": ("数量", "Features"), "col_status": ("状态", "Status"),
    "col_version": ("版本", "Version"),
    "l_district": ("区界", "District outline"), "l_streets": ("街道", "Streets"),
    "l_communities": ("村（社区）", "Communities"), "l_centers": ("服务中心（站）", "Centres"),
    "real": ("真实", "real"), "illustrative": ("示意（程序生成）", "illustrative"),
    "shipped": ("程序自带", "shipped"),
    "store_at": ("我的数据保存在 {path}；每次修改都是一个新版本，可随时恢复。",
                 "Your data is kept in {path}; every change is a new version you can restore."),
    "tab_import": ("导入服务中心", "Import centres"), "tab_edit": ("编辑服务中心", "Edit centres"),
    "tab_bounds": ("替换边界", "Replace boundaries"), "tab_versions": ("版本记录", "Versions"),
    "tab_export": ("导出", "Export"),
    # import
    "imp_hint": ("上传 CSV / XLSX / GeoJSON / GeoPackage。必需列：名称、级别、经度、纬度（或 name, tier, lon, lat）；"
                 "可选：编号、街道、社区/村。导入后将替换当前全部服务中心（旧数据保留在版本记录中）。",
                 "Upload CSV / XLSX / GeoJSON / GeoPackage. Required columns: name, tier, lon, lat (or 名称, 级别, "
                 "经度, 纬度); optional: id, street, community. Importing replaces all current centres (the old "
                 "ones stay in the version history)."),
    "imp_file": ("服务中心文件", "Centres file"),
    "imp_crs": ("文件中的坐标系", "Coordinate system of the file"),
    "imp_summary": ("{file}：读取 {n} 行，有效 {ok} 行，有问题 {bad} 行。",
                    "{file}: {n} rows read, {ok} valid, {bad} with problems."),
    "imp_crs_warn": ("坐标系可能选错了：按 {chosen} 读取，{n_chosen}/{n} 个点落在龙湖区内；按 {best} 读取，"
                     "{n_best}/{n} 个点在区内。建议改用 {best}。",
                     "The coordinate system looks wrong: read as {chosen}, {n_chosen} of {n} points fall inside "
                     "Longhu; read as {best}, {n_best} do. Use {best}."),
    "imp_use_crs": ("改用 {best}", "Use {best}"),
    "imp_problems": ("问题清单（全部列出；“错误”行不会导入）", "Every problem (rows with an error are not imported)"),
    "p_row": ("行号", "Row"), "p_column": ("列", "Column"), "p_value": ("值", "Value"), "p_reason": ("原因", "Reason"),
    "p_level": ("级别", "Level"), "lv_error": ("错误", "error"), "lv_warning": ("提醒", "warning"),
    "imp_all": ("导入全部 {n} 个服务中心", "Import all {n} centres"),
    "imp_valid": ("导入全部有效行（{n} 行）", "Import only the valid rows ({n})"),
    "imp_left_out": ("{m} 行有问题，将不会导入（第 {rows} 行）。", "{m} row(s) with problems will be left out (rows {rows})."),
    "imp_fix": ("或者：按上表修改文件后重新上传，全部导入。", "Or fix the file as listed above and upload it again to import every row."),
    "imp_none_valid": ("没有可导入的有效行，请按上表修改文件后重新上传。",
                       "No valid row to import; fix the file as listed above and upload it again."),
    "imp_done": ("已导入 {n} 个服务中心（版本 {v}）{skipped}。", "Imported {n} centres (version {v}){skipped}."),
    "imp_skipped": ("，{m} 行有问题未导入", "; {m} row(s) with problems left out"),
    "imp_desc": ("导入服务中心 {file}：{n} 个{skipped}", "imported centres from {file}: {n}{skipped}"),
    # edit
    "ed_hint": ("直接在表中修改名称、级别和坐标（WGS-84）；在表格底部添加行，勾选行后删除。所有修改点“保存修改”后一次保存为一个版本。",
                "Edit names, tiers and coordinates (WGS-84) in the table; add rows at the bottom, select rows to "
                "delete them. “Save changes” saves everything as one version."),
    "c_id": ("编号", "ID"), "c_name": ("名称", "Name"), "c_tier": ("级别", "Tier"),
    "c_lon": ("经度", "Longitude"), "c_lat": ("纬度", "Latitude"), "c_street": ("所在街道", "Street"),
    "ed_desc": ("修改说明（可选）", "Description of the change (optional)"),
    "ed_save": ("保存修改", "Save changes"),
    "ed_stale": ("有人已保存了新版本（v{v}）。您的修改保存时会与之合并；如改的是同一个中心，会提示冲突。",
                 "Someone saved a newer version (v{v}). Your edits will be merged with it when you save; editing "
                 "the same centre gives a conflict."),
    "ed_discard": ("放弃我的修改，显示最新版本", "Discard my edits and show the latest version"),
    "ed_nothing": ("表中没有修改。", "Nothing was changed in the table."),
    "s_added": ("新增 {n}", "added {n}"), "s_deleted": ("删除 {n}", "deleted {n}"),
    "s_renamed": ("改名 {n}", "renamed {n}"), "s_moved": ("移动 {n}", "moved {n}"),
    "s_retiered": ("改级别 {n}", "tier changed {n}"),
    "ed_auto_desc": ("编辑服务中心：{summary}", "edited centres: {summary}"),
    "ed_invalid": ("修改未保存：{n} 处问题，请在表中改正后再保存。", "Not saved: {n} problem(s); correct them in the table and save again."),
    "ed_done": ("已保存（版本 {v}）：{summary}。", "Saved (version {v}): {summary}."),
    "mv_head": ("在地图上点选新位置", "Move a centre by clicking the map"),
    "mv_pick": ("要移动的服务中心", "Centre to move"),
    "mv_layer": ("移动服务中心", "Moving a centre"),
    "mv_from": ("要移动的服务中心：{name}", "Centre to move: {name}"),
    "mv_to": ("新位置", "New position"),
    "mv_hint": ("选择服务中心后，在左侧地图上点击新位置。", "Choose a centre, then click its new position on the map."),
    "mv_at": ("点击位置（WGS-84）：{lon:.6f}, {lat:.6f}，距原位置 {m:,.0f} 米。",
              "Clicked point (WGS-84): {lon:.6f}, {lat:.6f}, {m:,.0f} m from where it is now."),
    "mv_go": ("移到这里", "Move here"),
    "mv_desc": ("移动 {name}（{id}）", "moved {name} ({id})"),
    "mv_done": ("已将 {name} 移到新位置（版本 {v}）。", "Moved {name} (version {v})."),
    # boundaries
    "bd_hint": ("上传街道或村（社区）边界（GeoJSON / GeoPackage / 压缩的 Shapefile .zip），按代码或名称与区划名录匹配。",
                "Upload street or community boundaries (GeoJSON / GeoPackage / zipped Shapefile), matched to the "
                "registry by code or name."),
    "bd_level": ("边界层级", "Level"), "lv_street": ("街道", "Streets"), "lv_community": ("村（社区）", "Communities"),
    "bd_crs": ("边界的坐标系", "Coordinate system of the boundaries"),
    "bd_file": ("边界文件", "Boundaries file"),
    "bd_summary": ("{file}：{n} 个要素，匹配 {ok} 个，未匹配 {bad} 个；名录中 {missing} 个没有边界。",
                   "{file}: {n} features, {ok} matched, {bad} not matched; {missing} of the registry have no boundary."),
    "bd_unmatched": ("未匹配的要素（不会导入）", "Features not matched (not imported)"),
    "bd_missing": ("文件中缺少的{level}", "{level} missing from the file"),
    "bd_warnings": ("提醒", "Warnings"),
    "bd_keep": ("保留文件中缺少的现有边界", "Keep the current boundaries the file does not have"),
    "bd_save": ("保存边界（{n} 个）", "Save boundaries ({n})"),
    "bd_none": ("没有可导入的边界。", "No boundary to import."),
    "bd_desc": ("替换{level}边界 {file}：{n} 个", "replaced {level} boundaries from {file}: {n}"),
    "bd_done": ("已保存 {n} 个{level}边界（版本 {v}）。", "Saved {n} {level} boundaries (version {v})."),
    # versions
    "vs_none": ("还没有保存过任何修改。", "Nothing has been saved yet."),
    "v_version": ("版本", "Version"), "v_time": ("时间（北京时间）", "Time (Beijing)"), "v_layer": ("图层", "Layer"),
    "v_desc": ("说明", "Description"), "v_added": ("新增", "Added"), "v_removed": ("删除", "Removed"),
    "v_changed": ("修改", "Changed"), "v_n": ("要素数", "Features"),
    "vs_pick": ("要恢复的版本", "Version to restore"),
    "vs_restore": ("恢复此版本", "Restore this version"),
    "vs_confirm": ("确定把“{layer}”恢复到版本 {v}（{n} 个要素）吗？当前状态会保留在版本记录中。",
                   "Restore “{layer}” to version {v} ({n} features)? The current state stays in the history."),
    "vs_yes": ("确认恢复", "Yes, restore"), "vs_no": ("取消", "Cancel"),
    "vs_desc": ("恢复到版本 {v}", "restored version {v}"),
    "vs_done": ("已将“{layer}”恢复到版本 {v}（新版本 {new}）。", "Restored “{layer}” to version {v} (new version {new})."),
    # export
    "ex_hint": ("导出当前使用的全部图层（区界、街道、村（社区）、服务中心）和当前设置下的分析结果（覆盖范围、空白区域、分街道/村统计）。"
                "多个文件打包为一个 zip。",
                "Exports every layer in use (district, streets, communities, centres) and the results for the "
                "current settings (coverage, gaps, per street/community table). Several files come as one zip."),
    "ex_fmt": ("格式", "Format"),
    "f_geojson": ("GeoJSON", "GeoJSON"), "f_gpkg": ("GeoPackage", "GeoPackage"), "f_csv": ("CSV", "CSV"),
    "f_xlsx": ("Excel（XLSX）", "Excel (XLSX)"),
    "ex_make": ("生成导出文件", "Make the export"),
    "ex_download": ("下载 {name}", "Download {name}"),
    # messages
    "no_change": ("没有变化，未产生新版本。", "Nothing changed; no new version."),
    "merged": ("（已与他人同时保存的修改合并）", " (merged with someone else's changes saved meanwhile)"),
    "conflict": ("保存失败：有人在您加载数据后修改了同一内容。请点击“重新加载”，再做一次修改。详情：{msg}",
                 "Not saved: someone else changed the same data after you loaded it. Reload, then make your change "
                 "again. Details: {msg}"),
    "reload": ("重新加载", "Reload"),
    "error_data": ("数据有误：{msg}", "Data problem: {msg}"),
    "error_edit": ("无法保存：{msg}", "Cannot save: {msg}"),
    "error_export": ("导出失败：{msg}", "Export failed: {msg}"),
    "sb_status": ("当前使用：{kind}，服务中心 {n} 个{saved}。", "In use: {kind}, {n} centres{saved}."),
    "sb_illustrative": ("示意布局（非实测）", "illustrative layout (not surveyed)"), "sb_real": ("真实数据", "real data"),
    "sb_saved": ("（含我的修改）", " (with your changes)"),
    "sb_hint": ("导入、编辑、版本与导出请到“数据管理”页。", " Import, edit, versions and export: open the “Data” screen."),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """This page's text ``key`` in ``lang``, formatted with ``fmt``."""
    return av.text_of(TEXT, key, lang, **fmt)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(value: object) -> str:
    """User text made safe for Streamlit Markdown (messages): every markup character escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def open_store(path: str | Path | None = None) -> gstore.Store:
    """The user's store: ``path``, else ``$LONGHU_STORE``, else ``data/user/longhu.gpkg``."""
    return gstore.Store(path)


def version_of(gdf: pd.DataFrame) -> int:
    """The store version a layer in use was loaded at (0 = the shipped file)."""
    v = gdf.attrs.get("version")
    return int(v) if v is not None else 0


def _layer_label(layer: str, lang: str) -> str:
    return t(f"l_{layer}", lang) if f"l_{layer}" in TEXT else layer


def _flash(kind: str, text: str) -> None:
    ss["data_flash"] = (kind, text)


# --------------------------------------------------------------------------- saving, errors


def _show_problems(problems, lang: str) -> None:
    """Every problem in one table: row, column, value, reason, level."""
    table = _problems_table(problems, lang)
    small = st.column_config.TextColumn(width="small")
    st.dataframe(table, hide_index=True, column_config={
        t("p_row", lang): small, t("p_column", lang): small, t("p_value", lang): small,
        t("p_reason", lang): st.column_config.TextColumn(width="large"), t("p_level", lang): small})


def _problems_table(problems, lang: str) -> pd.DataFrame:
    levels = {"error": t("lv_error", lang), "warning": t("lv_warning", lang)}
    return pd.DataFrame({
        t("p_row", lang): [p.row if p.row is not None else "" for p in problems],
        t("p_column", lang): [p.column or "" for p in problems],
        t("p_value", lang): [str(p.value) if p.value is not None else "" for p in problems],
        t("p_reason", lang): [p.reason for p in problems],
        t("p_level", lang): [levels.get(getattr(p, "level", "error"), "") for p in problems],
    }).astype(str)


def show_error(exc: BaseException, lang: str, where: str = "") -> None:
    """A clear message for a failed action: conflicts ask for a reload; data errors list every problem."""
    if isinstance(exc, gstore.ConflictError):
        st.error(t("conflict", lang, msg=md(exc)))
        st.button(t("reload", lang), key=f"reload_{where}", on_click=_unpin)
    elif isinstance(exc, DataError):
        st.error(t("error_data", lang, msg=md(exc)))
        if len(exc.problems) > 1:
            _show_problems(exc.problems, lang)
    else:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        st.error(t("error_edit", lang, msg=md(msg)))


def _save(action: Callable[[], gstore.SaveResult], done: Callable[[gstore.SaveResult], str], lang: str,
          where: str, after: Callable[[], None] | None = None) -> None:
    """Run one store save; on success remember a message and rerun (the page then shows the
    new layers), on failure show why."""
    try:
        res = action()
    except (gstore.ConflictError, DataError, KeyError, ValueError, OSError) as exc:
        show_error(exc, lang, where)
        return
    if res.created:
        _flash("success", done(res) + (t("merged", lang) if res.merged else ""))
    else:
        _flash("info", t("no_change", lang))
    if after is not None:
        after()
    st.rerun()


def _ensure_seeded(store: gstore.Store, layer: str) -> None:
    """Copy a shipped layer into the store before its first change, so it can be restored."""
    if layer in gstore.SHIPPED and store.head(layer) is None:
        store.seed(layer)


def _whole_base(store: gstore.Store, layer: str, shown: int) -> int:
    """``base_version`` for a whole-layer save (restore, replace): the version on screen; for
    the shipped layer (0), the store's copy of it."""
    if shown:
        return shown
    _ensure_seeded(store, layer)
    return int(store.versions(layer)["version"].min())


# --------------------------------------------------------------------------- the page


def data_page(layers: av.Layers, lang: str, store: gstore.Store,
              result: cv.CoverageResult | None = None) -> None:
    """The whole 数据管理 page (drawn in the side column next to the map)."""
    st.subheader(t("head", lang))
    flash = ss.pop("data_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.info)(flash[1])
    in_use(layers, lang, store)
    tabs = st.tabs([t("tab_import", lang), t("tab_edit", lang), t("tab_bounds", lang),
                    t("tab_versions", lang), t("tab_export", lang)])
    sections = (import_section, edit_section, boundaries_section, versions_section)
    for tab, section in zip(tabs, sections):
        with tab:
            try:
                section(layers, lang, store)
            except (DataError, gstore.ConflictError, KeyError, ValueError, OSError) as exc:
                show_error(exc, lang, section.__name__)
    with tabs[4]:
        try:
            export_section(layers, result, lang)
        except (DataError, ValueError, OSError) as exc:
            show_error(exc, lang, "export")


def in_use(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """Each layer in use: count, real or illustrative, and its version."""
    st.markdown(f"**{t('in_use', lang)}**")
    frames = [getattr(layers, name) for name in LAYER_NAMES]
    st.dataframe({
        t("col_layer", lang): [_layer_label(n, lang) for n in LAYER_NAMES],
        t("col_count", lang): [len(f) for f in frames],
        t("col_status", lang): [t("illustrative" if data.is_illustrative(f) else "real", lang) for f in frames],
        t("col_version", lang): [f"v{version_of(f)}" if version_of(f) else t("shipped", lang) for f in frames],
    }, hide_index=True)
    st.caption(t("store_at", lang, path=md(store.path)))


def sidebar_status(lang: str) -> str:
    """One line for the sidebar: what is in use, and where to manage it."""
    try:
        layers = av.user_layers(open_store().path)
    except DataError as exc:
        return t("error_data", lang, msg=md(exc))
    saved = any(version_of(getattr(layers, n)) for n in LAYER_NAMES)
    kind = t("sb_illustrative" if layers.illustrative else "sb_real", lang)
    return (t("sb_status", lang, kind=kind, n=len(layers.centers), saved=t("sb_saved", lang) if saved else "")
            + t("sb_hint", lang))


# --------------------------------------------------------------------------- import


@st.cache_data(show_spinner=False, max_entries=8)
def _import_report(digest: str, filename: str, crs: str, layers_token: str, _payload: bytes,
                   _layers: av.Layers) -> center_io.ImportReport:
    return center_io.import_centers(_payload, crs, filename=filename, district=_layers.district,
                                   streets=_layers.streets, communities=_layers.communities)


def _crs_text(name: str, lang: str) -> str:
    return av.crs_label(name, lang)


def import_section(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """Upload a centres file, choose its coordinate system, see every problem, import."""
    st.caption(t("imp_hint", lang))
    nonce = ss.get("imp_nonce", 0)
    up = st.file_uploader(t("imp_file", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"],
                          key=f"imp_file_{nonce}")
    crs = av.choice(st.radio, t("imp_crs", lang), CRS_CHOICES, "imp_crs", lang, horizontal=True,
                  format_func=lambda c, lang=lang: _crs_text(c, lang))
    if up is None:
        return
    payload = up.getvalue()
    try:
        report = _import_report(hashlib.sha1(payload).hexdigest(), up.name, crs, layers.token, payload, layers)
    except DataError as exc:
        show_error(exc, lang, "import_file")
        return
    bad = report.rejected_rows
    st.markdown(t("imp_summary", lang, file=md(report.source), n=report.n_rows, ok=len(report.valid), bad=len(bad)))
    if report.suggested_crs:
        best = report.suggested_crs
        st.warning(t("imp_crs_warn", lang, chosen=_crs_text(crs, lang), best=_crs_text(best, lang),
                     n_chosen=report.inside_counts.get(crs, 0), n_best=report.inside_counts.get(best, 0),
                     n=report.n_rows))
        st.button(t("imp_use_crs", lang, best=_crs_text(best, lang)), key="imp_use_crs",
                  on_click=av.put, args=("imp_crs", best))
    items = report.problems + report.warnings
    if items:
        st.markdown(f"**{t('imp_problems', lang)}**")
        _show_problems(sorted(items, key=lambda p: (p.row or 0, p.level != "error")), lang)
    n = len(report.valid)
    if n == 0:
        st.error(t("imp_none_valid", lang))
        return
    if bad:
        shown = ", ".join(map(str, bad[:20])) + (" …" if len(bad) > 20 else "")
        st.warning(t("imp_left_out", lang, m=len(bad), rows=shown))
        label = t("imp_valid", lang, n=n)
    else:
        label = t("imp_all", lang, n=n)
    clicked = st.button(label, key="imp_go", type="primary")
    if bad:
        st.caption(t("imp_fix", lang))
    if clicked:
        skipped = t("imp_skipped", lang, m=len(bad)) if bad else ""

        def action() -> gstore.SaveResult:
            _ensure_seeded(store, "centers")
            desc = t("imp_desc", lang, file=report.source, n=n, skipped=skipped)
            return store.save("centers", report.valid, desc, base_version=version_of(layers.centers))

        def after() -> None:
            ss["imp_nonce"] = nonce + 1  # a fresh, empty uploader

        _save(action, lambda r: t("imp_done", lang, n=n, v=r.version, skipped=skipped), lang, "import", after)


# --------------------------------------------------------------------------- edit


EDIT_COLUMNS = ["id", "name", "tier", "lon", "lat", "street"]


def editor_table(layers: av.Layers) -> pd.DataFrame:
    """The centres as the editor shows them: id, name, tier, lon, lat (WGS-84), street name."""
    c = layers.centers
    streets = layers.streets.drop_duplicates("code").set_index("code")["name"]
    return pd.DataFrame({
        "id": c["id"].astype(str).to_numpy(),
        "name": c["name"].astype(str).to_numpy(),
        "tier": c["tier"].astype(str).to_numpy(),
        "lon": c["lon"].astype(float).to_numpy(),
        "lat": c["lat"].astype(float).to_numpy(),
        "street": c["street_code"].map(streets).fillna("").astype(str).to_numpy(),
    }, columns=EDIT_COLUMNS)


def _blank(v: object) -> bool:
    if v is None:
        return True
    try:
        if pd.isna(v):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(v, str) and not v.strip()


def _num(v: object) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _tier_code(v: object) -> str:
    if _blank(v):
        return ""
    return data.normalise_tier(str(v)) or str(v)


@dataclass
class EditPlan:
    """What an edit of the centres table changes, row by row (positions in the edited table)."""

    added: list[int] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    retiered: list[int] = field(default_factory=list)

    @property
    def touched(self) -> set[int]:
        return set(self.added) | set(self.renamed) | set(self.moved) | set(self.retiered)

    def empty(self) -> bool:
        return not (self.touched or self.deleted)

    def summary(self, lang: str) -> str:
        """E.g. '改名 1，移动 2' / 'renamed 1, moved 2' (only what happened)."""
        counts = {"s_added": self.added, "s_deleted": self.deleted, "s_renamed": self.renamed,
                  "s_moved": self.moved, "s_retiered": self.retiered}
        parts = [t(k, lang, n=len(v)) for k, v in counts.items() if v]
        return ("，" if lang != "en" else ", ").join(parts)


def edit_plan(before: pd.DataFrame, after: pd.DataFrame) -> EditPlan:
    """Compare the editor's table before and after editing (rows matched by id)."""
    plan = EditPlan()
    old = before.set_index("id")
    ids = ["" if _blank(v) else str(v) for v in after["id"]]
    kept = set(ids)
    plan.deleted = [i for i in before["id"] if i not in kept]
    for pos, (cid, rec) in enumerate(zip(ids, after.to_dict("records"))):
        if not cid or cid not in old.index:
            if not all(_blank(rec.get(c)) for c in ("name", "tier", "lon", "lat")):
                plan.added.append(pos)
            continue
        o = old.loc[cid]
        if str(rec.get("name") if not _blank(rec.get("name")) else "").strip() != str(o["name"]).strip():
            plan.renamed.append(pos)
        if _tier_code(rec.get("tier")) != o["tier"]:
            plan.retiered.append(pos)
        x, y = _num(rec.get("lon")), _num(rec.get("lat"))
        if not (math.isclose(x, o["lon"], abs_tol=1e-9) and math.isclose(y, o["lat"], abs_tol=1e-9)):
            plan.moved.append(pos)
    return plan


def _cell(v: object) -> object:
    return "" if _blank(v) else v


def apply_edit(layers: av.Layers, after: pd.DataFrame, plan: EditPlan,
               lang: str) -> tuple[gpd.GeoDataFrame | None, list]:
    """The new centres layer for an edit, checked by the centres validator (inside the district, tier,
    name, one community-tier centre per community …). Returns ``(layer, [])`` or
    ``(None, problems)``; a problem's row is the table row (1 = first)."""
    centers = layers.centers.reset_index(drop=True)
    by_id = {cid: i for i, cid in enumerate(centers["id"].astype(str))}
    touched = plan.touched
    relocate = set(plan.added) | set(plan.moved) | set(plan.retiered)
    rows = []
    order = []  # table position of each candidate row; untouched rows first
    positions = [p for p in range(len(after)) if p not in touched] + sorted(touched)
    recs = after.to_dict("records")
    for pos in positions:
        rec = recs[pos]
        cid = "" if _blank(rec.get("id")) else str(rec["id"])
        if pos not in touched and cid not in by_id:
            continue  # an empty added row
        src = centers.iloc[by_id[cid]] if cid in by_id else None
        if pos in touched:
            rows.append({
                "id": cid, "name": _cell(rec.get("name")), "tier": _tier_code(rec.get("tier")),
                "lon": _cell(rec.get("lon")), "lat": _cell(rec.get("lat")),
                "street_code": "" if src is None or pos in relocate else src["street_code"],
                "community_code": "" if src is None or pos in relocate else src["community_code"],
                "position_source": "user" if src is None or pos in plan.moved else src["position_source"],
            })
        else:
            rows.append({c: src[c] for c in ("id", "name", "tier", "lon", "lat", "street_code",
                                              "community_code", "position_source")})
        order.append(pos)
    table = pd.DataFrame(rows, columns=data.CENTER_COLUMNS)
    report = center_io.validate_centers(table, "wgs84", source="table", district=layers.district,
                                        streets=layers.streets, communities=layers.communities)
    to_pos = {i + 2: order[i] for i in range(len(order))}  # reported row (header = 1) -> table position
    problems = []
    for p in report.problems:
        pos = to_pos.get(p.row)
        if pos is None or pos in touched:
            name = "" if pos is None or _blank(recs[pos].get("name")) else str(recs[pos]["name"]).strip()
            problems.append(errors.ImportProblem(pos + 1 if pos is not None else None, p.column, p.value,
                                                   f"{name}: {p.reason}" if name else p.reason,
                                                   field=p.field, level=p.level))
    if problems:
        return None, problems
    valid = dict(zip([to_pos[r] for r in report.valid_rows], range(len(report.valid))))
    out_rows = []
    for pos, rec in enumerate(recs):
        cid = "" if _blank(rec.get("id")) else str(rec["id"])
        if pos in touched:
            if pos in valid:
                out_rows.append(report.valid.iloc[[valid[pos]]])
        elif cid in by_id:
            out_rows.append(centers.iloc[[by_id[cid]]])
    cols = list(centers.columns)
    frames = [f.reindex(columns=cols) for f in out_rows]
    out = pd.concat(frames, ignore_index=True) if frames else centers.iloc[0:0]
    gdf = gpd.GeoDataFrame(out, geometry=centers.geometry.name, crs="EPSG:4326")
    for c in cols:
        if c != gdf.geometry.name and c not in ("lon", "lat") and c in data.CENTER_COLUMNS:
            gdf[c] = gdf[c].fillna("").astype(str)
    return gdf, []


def _pinned_layers(layers: av.Layers) -> tuple[av.Layers, str]:
    """The layers the centres editor edits, and its widget key.

    The table stays on the version it was opened at while it holds unsaved edits, even when
    another session saves meanwhile (its rows would otherwise shift under the edits); the
    save then names that version as its base and the store merges, or reports a conflict.
    Without pending edits the table simply follows the latest version.
    """
    pin = ss.get("ed_pin")
    if pin is not None and pin["token"] != layers.token:
        state = ss.get(pin["key"]) or {}
        if not (state.get("edited_rows") or state.get("added_rows") or state.get("deleted_rows")):
            pin = None
    if pin is None:
        n = ss.get("ed_pin_n", 0) + 1
        pin = {"token": layers.token, "key": f"ed_centers_{n}", "centers": layers.centers}
        ss["ed_pin_n"] = n
        ss["ed_pin"] = pin
    return replace(layers, centers=pin["centers"]), pin["key"]


def _unpin() -> None:
    ss.pop("ed_pin", None)


def edit_section(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """The centres as an editable table, saved as one version; and moving one by a map click."""
    st.caption(t("ed_hint", lang))
    shown, key = _pinned_layers(layers)
    if version_of(shown.centers) != version_of(layers.centers):
        st.info(t("ed_stale", lang, v=version_of(layers.centers)))
        st.button(t("ed_discard", lang), key="ed_discard", on_click=_unpin)
    table = editor_table(shown)
    tiers = list(data.TIERS)
    cfg = {
        "id": st.column_config.TextColumn(t("c_id", lang), disabled=True),
        "name": st.column_config.TextColumn(t("c_name", lang), required=True, max_chars=200),
        "tier": st.column_config.SelectboxColumn(t("c_tier", lang), options=tiers, required=True,
                                                 format_func=lambda x, lang=lang: av.tier_label(x, lang)
                                                 if x in tiers else str(x)),
        "lon": st.column_config.NumberColumn(t("c_lon", lang), format="%.6f", min_value=-180.0, max_value=180.0,
                                             step=1e-6),
        "lat": st.column_config.NumberColumn(t("c_lat", lang), format="%.6f", min_value=-90.0, max_value=90.0,
                                             step=1e-6),
        "street": st.column_config.TextColumn(t("c_street", lang), disabled=True),
    }
    edited = st.data_editor(table, key=key, num_rows="dynamic", hide_index=True, column_config=cfg,
                            column_order=["name", "tier", "lon", "lat", "street", "id"],
                            disabled=["id", "street"], height=360)
    if ss.pop("ed_clear", False):
        ss["ed_desc"] = ""
    desc = st.text_input(t("ed_desc", lang), key="ed_desc", max_chars=200)
    if st.button(t("ed_save", lang), key="ed_save", type="primary"):
        plan = edit_plan(table, edited)
        if plan.empty():
            st.info(t("ed_nothing", lang))
        else:
            gdf, problems = apply_edit(shown, edited, plan, lang)
            if problems:
                st.error(t("ed_invalid", lang, n=len(problems)))
                _show_problems(problems, lang)
            else:
                summary = plan.summary(lang)
                text = " ".join(str(desc).split()) or t("ed_auto_desc", lang, summary=summary)
                if desc.strip():
                    text = f"{text}（{summary}）" if lang != "en" else f"{text} ({summary})"

                def action() -> gstore.SaveResult:
                    _ensure_seeded(store, "centers")
                    return store.save("centers", gdf, text[: gstore.MAX_DESCRIPTION],
                                      base_version=version_of(shown.centers))

                def after() -> None:
                    ss["ed_clear"] = True
                    _unpin()

                _save(action, lambda r: t("ed_done", lang, v=r.version, summary=summary), lang, "edit", after)
    st.divider()
    move_section(layers, lang, store)


def move_section(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """Choose a centre, click the map, move it there."""
    st.markdown(f"**{t('mv_head', lang)}**")
    c = layers.centers
    if len(c) == 0:
        return
    labels = {cid: f"{name}（{av.tier_label(tier, lang)}）· {cid}"
              for cid, name, tier in zip(c["id"].astype(str), c["name"].astype(str), c["tier"])}
    pick = av.choice(st.selectbox, t("mv_pick", lang), list(labels), "mv_pick", lang, format_func=labels.get)
    click = ss.get("data_click")
    if not click:
        st.info(t("mv_hint", lang))
        return
    lon, lat = float(click[0]), float(click[1])
    row = c[c["id"].astype(str) == pick].iloc[0]
    st.caption(t("mv_at", lang, lon=lon, lat=lat, m=_metres(row["lon"], row["lat"], lon, lat)))
    if st.button(t("mv_go", lang), key="mv_go", type="primary"):
        name = str(row["name"])

        def action() -> gstore.SaveResult:
            return store.move_center(pick, lon, lat, base_version=version_of(c),
                                     description=t("mv_desc", lang, name=name, id=pick))

        _save(action, lambda r: t("mv_done", lang, name=md(name), v=r.version), lang, "move",
              lambda: ss.pop("data_click", None))


def move_group(layers: av.Layers, basemap: str, lang: str) -> folium.FeatureGroup | None:
    """On the map: a ring around the centre chosen for moving and, once the map was clicked,
    the new position with a dashed line from the old one."""
    pick = ss.get("mv_pick")
    c = layers.centers
    row = c[c["id"].astype(str) == str(pick)]
    if pick is None or len(row) == 0:
        return None
    geoms = [row.geometry.iloc[0]]
    click = ss.get("data_click")
    if click:
        new = shapely.Point(float(click[0]), float(click[1]))
        geoms += [new, shapely.LineString([geoms[0], new])]
    shown = maps.to_display(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326"), basemap).geometry
    fg = folium.FeatureGroup(name=t("mv_layer", lang))
    old = shown.iloc[0]
    folium.CircleMarker([old.y, old.x], radius=14, color="#e31a1c", weight=3, fill=False, class_name="lh-move-from",
                        tooltip=escape_text(t("mv_from", lang, name=row["name"].iloc[0]))).add_to(fg)
    if click:
        new, line = shown.iloc[1], shown.iloc[2]
        folium.PolyLine([(y, x) for x, y in line.coords], color="#e31a1c", weight=2.5, dash_array="6 6").add_to(fg)
        folium.CircleMarker([new.y, new.x], radius=8, color="#ffffff", weight=3, fill=True, fill_color="#e31a1c",
                            fill_opacity=1.0, class_name="lh-move-to", tooltip=t("mv_to", lang)).add_to(fg)
    return fg


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (m); plenty for a few kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(min(1.0, a)))


# --------------------------------------------------------------------------- boundaries


@st.cache_data(show_spinner=False, max_entries=8)
def _boundary_report(digest: str, filename: str, level: str, crs: str, layers_token: str, _payload: bytes,
                     _district: gpd.GeoDataFrame) -> boundaries.BoundaryReport:
    return boundaries.import_boundaries(_payload, level, crs, filename=filename, district=_district)


def boundaries_section(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """Upload street or community boundaries, see what matched, save."""
    st.caption(t("bd_hint", lang))
    level = av.choice(st.radio, t("bd_level", lang), ("street", "community"), "bd_level", lang, horizontal=True,
                    format_func=lambda x, lang=lang: t(f"lv_{x}", lang))
    crs = av.choice(st.radio, t("bd_crs", lang), CRS_CHOICES, "bd_crs", lang, horizontal=True,
                  format_func=lambda c, lang=lang: _crs_text(c, lang))
    nonce = ss.get("bd_nonce", 0)
    up = st.file_uploader(t("bd_file", lang), type=["geojson", "json", "gpkg", "zip"], key=f"bd_file_{nonce}")
    if up is None:
        return
    payload = up.getvalue()
    try:
        report = _boundary_report(hashlib.sha1(payload).hexdigest(), up.name, level, crs, layers.token,
                                  payload, layers.district)
    except DataError as exc:
        show_error(exc, lang, "boundaries_file")
        return
    level_text = t(f"lv_{report.level}", lang)
    st.markdown(t("bd_summary", lang, file=md(report.source), n=report.n_features, ok=len(report.layer),
                  bad=len(report.problems), missing=len(report.missing)))
    if len(report.problems):
        st.markdown(f"**{t('bd_unmatched', lang)}**")
        _show_problems(report.problems, lang)
    if len(report.missing):
        st.markdown(f"**{t('bd_missing', lang, level=level_text)}**")
        st.dataframe(report.missing.rename(columns={"code": t("c_id", lang), "name": t("c_name", lang)}),
                     hide_index=True)
    if report.warnings:
        st.markdown(f"**{t('bd_warnings', lang)}**")
        _show_problems(report.warnings, lang)
    if len(report.layer) == 0:
        st.error(t("bd_none", lang))
        return
    keep = st.checkbox(t("bd_keep", lang), value=True, key="bd_keep")
    if st.button(t("bd_save", lang, n=len(report.layer)), key="bd_save", type="primary"):
        layer = "streets" if report.level == "street" else "communities"
        n = len(report.layer)

        def action() -> gstore.SaveResult:
            base = _whole_base(store, layer, version_of(getattr(layers, layer)))
            return store.replace_boundaries(report.level, report.layer,
                                            t("bd_desc", lang, level=level_text, file=report.source, n=n),
                                            base_version=base, keep_missing=keep)

        def after() -> None:
            ss["bd_nonce"] = nonce + 1

        _save(action, lambda r: t("bd_done", lang, n=n, level=level_text, v=r.version), lang, "boundaries", after)


# --------------------------------------------------------------------------- versions


def versions_table(versions: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The history for display: version, Beijing time, layer, description, counts."""
    times = pd.to_datetime(versions["created_at"], utc=True, errors="coerce").dt.tz_convert(BEIJING)
    return pd.DataFrame({
        t("v_version", lang): versions["version"].astype(int).to_numpy(),
        t("v_time", lang): times.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("").to_numpy(),
        t("v_layer", lang): [_layer_label(x, lang) for x in versions["layer"]],
        t("v_desc", lang): versions["description"].astype(str).to_numpy(),
        t("v_added", lang): versions["added"].map(len).to_numpy(),
        t("v_removed", lang): versions["removed"].map(len).to_numpy(),
        t("v_changed", lang): versions["changed"].map(len).to_numpy(),
        t("v_n", lang): versions["n_features"].astype(int).to_numpy(),
    })


def versions_section(layers: av.Layers, lang: str, store: gstore.Store) -> None:
    """Every saved version, newest first; restore any of them after a confirmation."""
    if not store.path.is_file():
        st.caption(t("vs_none", lang))
        return
    vs = store.versions()
    if len(vs) == 0:
        st.caption(t("vs_none", lang))
        return
    st.dataframe(versions_table(vs, lang), hide_index=True, height=300)
    info = {int(r.version): r for r in vs.itertuples()}
    labels = {v: f"v{v} · {_layer_label(r.layer, lang)} · {str(r.description)[:40]}" for v, r in info.items()}
    pick = av.choice(st.selectbox, t("vs_pick", lang), list(labels), "vs_pick", lang, format_func=labels.get)
    if st.button(t("vs_restore", lang), key="vs_restore"):
        ss["vs_confirm"] = pick
    if ss.get("vs_confirm") != pick:
        return
    r = info[pick]
    layer_text = _layer_label(r.layer, lang)
    st.warning(t("vs_confirm", lang, layer=layer_text, v=pick, n=int(r.n_features)))
    c1, c2 = st.columns(2)
    if c2.button(t("vs_no", lang), key="vs_no"):
        ss.pop("vs_confirm", None)
        st.rerun()
    if c1.button(t("vs_yes", lang), key="vs_yes", type="primary"):
        shown = getattr(layers, r.layer, None) if r.layer in LAYER_NAMES else None

        def action() -> gstore.SaveResult:
            base = _whole_base(store, r.layer, version_of(shown)) if shown is not None else None
            return store.restore(r.layer, pick, t("vs_desc", lang, v=pick), base_version=base)

        _save(action, lambda res: t("vs_done", lang, layer=layer_text, v=pick, new=res.version), lang, "restore",
              lambda: ss.pop("vs_confirm", None))


# --------------------------------------------------------------------------- export


def export_frames(layers: av.Layers, result: cv.CoverageResult | None, fmt: str) -> dict[str, pd.DataFrame]:
    """The layers in use and the results, as the tables/layers to write (WGS-84)."""
    frames: dict[str, pd.DataFrame] = {name: getattr(layers, name) for name in LAYER_NAMES}
    if result is None:
        return frames
    status = "illustrative" if layers.illustrative else "user"
    areas = result.areas[["center_id", "name", "tier", "minutes", "reachable", "geometry"]].to_crs("EPSG:4326")
    areas["data_status"] = status
    gaps = result.gaps.to_crs("EPSG:4326")
    gaps["data_status"] = status
    summary = result.summary.copy()
    for c in ("area_km2", "covered_km2"):
        summary[c] = summary[c].round(4)
    summary["covered_pct"] = summary["covered_pct"].round(2)
    summary["data_status"] = status
    if fmt in ("geojson", "gpkg"):
        polys = pd.concat([result.streets[["code", "geometry"]], result.communities[["code", "geometry"]]])
        geom = polys.drop_duplicates("code").set_index("code").geometry
        summary = gpd.GeoDataFrame(summary, geometry=gpd.GeoSeries(summary["code"].map(geom).to_numpy(),
                                                                   crs=result.crs)).to_crs("EPSG:4326")
    frames.update({"coverage": areas, "gaps": gaps, "summary": summary})
    return frames


def export_bundle(layers: av.Layers, result: cv.CoverageResult | None, fmt: str) -> tuple[str, bytes, str]:
    """``(file name, bytes, MIME type)``: one GeoPackage, or a zip of one file per layer."""
    frames = export_frames(layers, result, fmt)
    with tempfile.TemporaryDirectory(prefix="longhu-export-") as tmp:
        paths = tables.export_layers(frames, Path(tmp), fmt)
        if fmt == "gpkg":
            return "longhu_layers.gpkg", paths[0].read_bytes(), "application/geopackage+sqlite3"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
            notes = ["龙湖区15分钟党群服务圈 · Longhu 15-minute service circles",
                     "坐标系 / Coordinates: WGS-84 (EPSG:4326)"]
            if result is not None:
                s = result.settings
                notes.append(f"分析设置 / Settings: {'/'.join(f'{m:g}' for m in s.minutes)} min, "
                             f"{s.speed_kmh:g} km/h, {s.mode}, tiers {','.join(s.tiers)}")
            if layers.illustrative:
                notes += [data.ILLUSTRATIVE_NOTICE_ZH, data.ILLUSTRATIVE_NOTICE_EN]
            z.writestr("README.txt", "\n".join(notes) + "\n")
        return f"longhu_{fmt}.zip", buf.getvalue(), "application/zip"


def export_section(layers: av.Layers, result: cv.CoverageResult | None, lang: str) -> None:
    """Choose a format, make the file, download it."""
    st.caption(t("ex_hint", lang))
    fmt = av.choice(st.radio, t("ex_fmt", lang), FORMATS, "ex_fmt", lang, horizontal=True,
                  format_func=lambda f, lang=lang: t(f"f_{f}", lang))
    stamp = (layers.token, repr(result.settings) if result is not None else None, fmt)
    if st.button(t("ex_make", lang), key="ex_make"):
        try:
            ss["data_export"] = (stamp, *export_bundle(layers, result, fmt))
        except (DataError, OSError, ValueError) as exc:
            st.error(t("error_export", lang, msg=md(exc)))
    made = ss.get("data_export")
    if made and made[0] == stamp:
        _, name, payload, mime = made
        st.download_button(t("ex_download", lang, name=name), payload, name, mime, key="ex_download",
                           on_click="ignore", type="primary")
