"""Planner tools on the Streamlit page: briefing downloads and new-station suggestions.

Presentation only: the work is :func:`geo.render.brief.export` and :func:`geo.engine.siting.suggest`; this
module caches their results on the page's controls and draws the widgets and map layer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import folium
import pandas as pd
import streamlit as st

from geo.app import view as av
from geo.engine import coverage as cv
from geo.engine import network, siting
from geo.io.candidates import load_candidates
from geo.io.errors import DataError
from geo.io.files import safe_filename
from geo.render import brief, maps
from geo.render.safe_html import escape_text

TEXT: dict[str, tuple[str, str]] = {
    "exports": ("导出汇报材料", "Briefing outputs"),
    "exports_hint": ("生成后点击下载。PNG 为 300 dpi，PDF 为矢量图；示意数据会在图上注明。",
                     "Make a file, then download it. PNG at 300 dpi, PDF as vectors; illustrative data is marked."),
    "title": ("图名", "Map title"),
    "paper": ("版面", "Page"),
    "p_a4": ("A4 横版", "A4 landscape"), "p_a3": ("A3 横版", "A3 landscape"), "p_slide": ("16:9 幻灯片", "16:9 slide"),
    "f_png": ("地图 PNG", "Map PNG"), "f_pdf": ("地图 PDF", "Map PDF"), "f_brief": ("一页简报 PDF", "One-page brief PDF"),
    "f_html": ("交互地图 HTML", "Interactive map HTML"), "f_xlsx": ("统计表 XLSX", "Tables XLSX"),
    "make": ("生成 {what}", "Make {what}"),
    "download": ("下载 {what}", "Download {what}"),
    "making": ("正在生成 {what} …", "Making {what} …"),
    "export_error": ("导出失败：{msg}", "Export failed: {msg}"),
    "suggest": ("新增服务站选址建议", "Where should new stations go"),
    "suggest_hint": ("在未覆盖区域内按 100 米网格选候选点，保留现有中心，求新增 k 个站点后覆盖面积（有人口数据时为人口）增加最多的方案（最大覆盖模型 MCLP）。",
                     "Candidates on a 100 m grid inside the gaps; existing centres kept; the k sites that add "
                     "the most covered area (population when known) — maximal covering (MCLP)."),
    "k": ("新增站点数 k", "New stations k"),
    "method": ("求解方法", "Method"),
    "me_auto": ("自动（精确优先）", "Auto (exact when feasible)"), "me_exact": ("精确（HiGHS）", "Exact (HiGHS)"),
    "me_greedy": ("贪心（快速）", "Greedy (fast)"),
    "run": ("计算选址", "Suggest sites"),
    "cand": ("另加候选点（可选：空置楼宇、商场等，CSV/XLSX 含经度纬度，或 GeoJSON 点）",
             "Extra candidate sites (optional: vacant buildings, malls… CSV/XLSX with lon/lat, or GeoJSON points)"),
    "cand_crs": ("候选点坐标系", "Candidates' coordinates"),
    "cand_n": ("已读入 {n} 个候选点，将与网格候选点一起参与比选。", "{n} candidate sites read; they compete with the grid."),
    "running": ("正在求解选址模型 …", "Solving the siting model …"),
    "before_after": ("覆盖率 {before:.1f}% → {after:.1f}%（{method}，{sec:.1f} 秒）",
                     "Coverage {before:.1f}% → {after:.1f}% ({method}, {sec:.1f} s)"),
    "gap": ("贪心算法与最优解差距：{gap:.2f}%", "Greedy's gap to the optimum: {gap:.2f}%"),
    "none": ("没有能增加覆盖的候选点。", "No candidate site adds coverage."),
    "accept": ("采纳为拟建服务站（保存到我的数据）", "Accept as proposed stations (save to my data)"),
    "accepted": ("已保存 {n} 个拟建服务站（版本 {v}）。", "Saved {n} proposed stations (version {v})."),
    "stale": ("设置已改变，请重新计算选址。", "Settings changed; run the suggestion again."),
    "col_rank": ("序号", "Rank"), "col_lon": ("经度", "Longitude"), "col_lat": ("纬度", "Latitude"),
    "col_add": ("新增覆盖", "Added coverage"),
    "layer": ("选址建议", "Suggested sites"),
    "tip": ("建议站点 {rank}：新增覆盖 {add}", "Suggested site {rank}: adds {add}"),
}
LABELS = {"png": "f_png", "pdf": "f_pdf", "brief": "f_brief", "html": "f_html", "xlsx": "f_xlsx"}
MIME = {"png": "image/png", "pdf": "application/pdf", "brief": "application/pdf", "html": "text/html",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SUFFIX = {"png": ".png", "pdf": ".pdf", "brief": ".pdf", "html": ".html", "xlsx": ".xlsx"}
SITE_COLOUR = "#c51b7d"  # magenta: unlike every tier colour and the red of gaps


def t(key: str, lang: str, **fmt: object) -> str:
    """Text of this module in ``lang``."""
    return av.text_of(TEXT, key, lang, **fmt)


# --------------------------------------------------------------------------- briefing outputs


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(key: tuple, fmt: str, title: str, paper: str, basemap: str,
                _result: cv.CoverageResult) -> bytes:
    """One briefing output as bytes (cached on the analysis key and the options)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = brief.export(_result, fmt, Path(tmp) / f"out{SUFFIX[fmt]}", title=title or None, paper=paper,
                            basemap=basemap if fmt == "html" else "none")
        return path.read_bytes()


def exports_section(result: cv.CoverageResult, key: tuple, basemap: str, lang: str) -> None:
    """Make-then-download buttons for the map PNG/PDF, the brief, the HTML map and the XLSX."""
    st.subheader(t("exports", lang))
    st.caption(t("exports_hint", lang))
    c1, c2 = st.columns([3, 1])
    title = c1.text_input(t("title", lang), value=brief.default_title(result), key="brief_title")
    paper = av.choice(c2.selectbox, t("paper", lang), tuple(brief.PAPERS), "brief_paper", lang,
                      format_func=lambda p: t(f"p_{p}", lang))
    cols = st.columns(len(brief.FORMATS))
    tag = "_".join(f"{m:g}" for m in result.settings.minutes) + "min"
    for col, fmt in zip(cols, brief.FORMATS):
        what = t(LABELS[fmt], lang)
        made = st.session_state.get(f"made_{fmt}")
        fresh = made is not None and made[0] == (key, title, paper, basemap)
        if col.button(t("make", lang, what=what), key=f"make_{fmt}", use_container_width=True):
            try:
                with st.spinner(t("making", lang, what=what)):
                    payload = export_file(key, fmt, title, paper, basemap, result)
                st.session_state[f"made_{fmt}"] = ((key, title, paper, basemap), payload)
                fresh = True
            except brief.ExportError as exc:
                col.error(t("export_error", lang, msg=str(exc)))
        if fresh:
            col.download_button(t("download", lang, what=what), st.session_state[f"made_{fmt}"][1],
                                f"longhu_{fmt}_{tag}{SUFFIX[fmt]}", MIME[fmt], key=f"dl_{fmt}",
                                on_click="ignore", use_container_width=True)


# --------------------------------------------------------------------------- station suggestions


def suggest_section(result: cv.CoverageResult, key: tuple, graph: network.WalkGraph | None, lang: str,
                    save) -> siting.SitingPlan | None:
    """The k slider, the run button and the proposals; returns the current plan (for the map).

    ``save(gdf, description)`` stores the accepted centres and returns the new version.
    """
    ss = st.session_state
    st.subheader(t("suggest", lang))
    st.caption(t("suggest_hint", lang))
    c1, c2, c3 = st.columns([2, 2, 1])
    k = c1.slider(t("k", lang), min_value=siting.K_RANGE[0], max_value=siting.K_RANGE[1], value=5, key="suggest_k")
    method = av.choice(c2.selectbox, t("method", lang), ("auto", "exact", "greedy"), "suggest_method", lang,
                       format_func=lambda m: t(f"me_{m}", lang))
    extra = candidates_input(lang)
    if c3.button(t("run", lang), key="suggest_run", type="primary", use_container_width=True):
        with st.status(t("running", lang), expanded=False) as status:
            try:
                plan = siting.suggest(result, k=int(k), method=method, candidates=extra,
                                      graph=graph if result.settings.mode == "network" else None)
                ss["plan"] = (key, plan)
                status.update(state="complete")
                st.rerun()  # redraw so the map shows the proposals
            except cv.CoverageError as exc:
                status.update(state="error")
                st.error(str(exc))
    held = ss.get("plan")
    if held is None:
        return None
    if held[0] != key:
        st.info(t("stale", lang))
        return None
    plan = held[1]
    st.success(t("before_after", lang, before=plan.covered_pct_before, after=plan.covered_pct_after,
                 method=plan.method, sec=plan.solve_seconds))
    if plan.gap_pct is not None:
        st.caption(t("gap", lang, gap=plan.gap_pct))
    if len(plan.sites) == 0:
        st.info(t("none", lang))
        return plan
    st.dataframe(sites_table(plan, lang), hide_index=True)
    if st.button(t("accept", lang), key="suggest_accept"):
        version = save(plan)
        st.success(t("accepted", lang, n=len(plan.sites), v=version))
        ss.pop("plan", None)
    return plan


def candidates_input(lang: str):
    """An optional upload of extra candidate sites; returns them (WGS-84) or None."""
    c1, c2 = st.columns([3, 1])
    up = c1.file_uploader(t("cand", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"], key="suggest_cand")
    system = av.choice(c2.selectbox, t("cand_crs", lang), ("wgs84", "gcj02", "bd09"), "suggest_cand_crs", lang)
    if up is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = Path(tmp) / safe_filename(up.name)
            path.write_bytes(up.getvalue())
            sites = load_candidates(path, system)
        except DataError as exc:
            st.error(str(exc))
            return None
    st.caption(t("cand_n", lang, n=len(sites)))
    return sites


def _added(value: float, unit: str) -> str:
    return f"{value / 1e6:.2f} km²" if unit == "m2" else f"{value:,.0f} {unit}"


def sites_table(plan: siting.SitingPlan, lang: str) -> pd.DataFrame:
    """The proposals as a table for the page."""
    s = plan.sites
    return pd.DataFrame({
        t("col_rank", lang): s["rank"].to_numpy(),
        t("col_lon", lang): s["lon"].round(6).to_numpy(),
        t("col_lat", lang): s["lat"].round(6).to_numpy(),
        t("col_add", lang): [_added(v, plan.demand_unit) for v in s["added_demand"]],
    })


def sites_group(plan: siting.SitingPlan, basemap: str, lang: str) -> folium.FeatureGroup:
    """The proposed sites as numbered purple markers (shifted for the AMap basemap)."""
    fg = folium.FeatureGroup(name=t("layer", lang), show=True)
    shown = maps.to_display(plan.sites, basemap)
    for (_, row), geom in zip(plan.sites.iterrows(), shown.geometry):
        folium.CircleMarker([geom.y, geom.x], radius=9, color="white", weight=2, fill=True,
                            fill_color=SITE_COLOUR, fill_opacity=0.95,
                            tooltip=escape_text(t("tip", lang, rank=int(row["rank"]),
                                                  add=_added(row["added_demand"], plan.demand_unit))),
                            ).add_to(fg)
    return fg


def save_plan(plan: siting.SitingPlan, centers, streets, communities, store_path=None) -> int:
    """Append the proposals to the centres as ``proposed`` stations in the user's store."""
    from geo.io import store

    merged = siting.accept_sites(plan, centers, streets, communities)
    result = store.Store(store_path).save("centers", merged, f"采纳选址建议 {len(plan.sites)} 处 / accepted "
                                          f"{len(plan.sites)} suggested sites",
                                          base_version=centers.attrs.get("version"))
    return result.version
