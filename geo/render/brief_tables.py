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
from geo.locale import number
from geo.render import maps
from geo.render.words import date_text, date_value, list_sep, notice_text, tier_name, title_text, word


def default_title(result: cv.CoverageResult, lang: str = "zh") -> str:
    """``龙湖区15分钟党群服务圈覆盖图`` (with the result's largest limit), in ``lang``."""
    return title_text(result.place, result.settings.limit_minutes, lang)


def subtitle(result: cv.CoverageResult, lang: str = "zh") -> str:
    """Minutes, speed, distance, mode and tiers in one line."""
    s = result.settings
    tiers = (word("all_tiers", lang) if set(s.tiers) == set(schema.TIERS)
             else list_sep(lang).join(tier_name(t, lang) for t in schema.TIERS if t in s.tiers))
    mode = word(f"mode_{s.mode}", lang) if f"mode_{s.mode}" in ("mode_circle", "mode_network") else s.mode
    return word("subtitle", lang, minutes=maps.minutes_label(result, lang), speed=number(s.speed_kmh, lang, 1),
                reach=number(s.reach_m(), lang, 0), mode=mode, tiers=tiers, n=len(result.centers))


def source_line(result: cv.CoverageResult, lang: str = "zh") -> str:
    """The data-source line, saying which layers are illustrative, and the projection."""
    return ("" if lang == "zh" else " ").join(source_lines(result, lang))


def source_lines(result: cv.CoverageResult, lang: str = "zh") -> list[str]:
    """:func:`source_line` in two parts: the sources, and the projection."""
    geom_ill = data.is_illustrative(result.streets, result.communities)
    pos_ill = data.is_illustrative(result.centers)
    parts = [word("sources", lang),
             word("bounds_source", lang, what=word("src_illustrative" if geom_ill else "src_user", lang)),
             word("centres_source", lang, what=word("src_illustrative" if pos_ill else "src_user", lang))]
    try:
        proj = CRS.from_user_input(result.crs).name
    except CRSError:  # pragma: no cover - an exotic CRS object
        proj = str(result.crs)
    return [word("src_sep", lang).join(parts) + word("src_end", lang), word("projection", lang, proj=proj)]


def date_label(date: _dt.date | None = None, lang: str = "zh") -> str:
    """``制图日期：2025年6月1日`` / ``Made on 2025-06-01``."""
    return date_text(date, lang)



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


def _frame(columns: dict[str, object], lang: str) -> pd.DataFrame:
    """A table whose headers are render words (``x_…`` keys) in ``lang``."""
    return pd.DataFrame({word(f"x_{k}", lang): v for k, v in columns.items()})


def _with_population(df: pd.DataFrame, src: pd.DataFrame, lang: str) -> pd.DataFrame:
    if "population" in src.columns:
        df[word("x_population", lang)] = src["population"]
        df[word("x_pop_pct", lang)] = pd.to_numeric(src["covered_pop_pct"], errors="coerce").round(1)
    return df


def _notes(result: cv.CoverageResult, title: str | None, lang: str) -> pd.DataFrame:
    notes = [(word("n_title", lang), title or default_title(result, lang)), (word("n_settings", lang),
                                                                            subtitle(result, lang)),
             (word("n_pct", lang), round(result.covered_pct, 2)),
             (word("n_area", lang), round(result.district_area_km2, 3)),
             (word("n_gaps", lang), len(result.gaps)), (word("n_sources", lang), source_line(result, lang)),
             (word("n_date", lang), date_value(None, lang))]
    if maps.illustrative(result):
        notes.insert(0, (word("n_illustrative", lang), notice_text(lang)))
    return pd.DataFrame(notes, columns=[word("x_item", lang), word("x_value", lang)], dtype=object)


def workbook_sheets(result: cv.CoverageResult, title: str | None = None,
                    lang: str = "zh") -> dict[str, pd.DataFrame]:
    """The brief's tables with headers in ``lang``: streets, communities, gaps and notes (settings, sources)."""
    st = street_table(result)
    streets = _with_population(_frame({
        "street_code": st["code"], "street": st["name"], "n_communities": st["communities"],
        "n_centres": st["centers"], "area": st["area_km2"].round(3), "covered": st["covered_km2"].round(3),
        "pct": st["covered_pct"].round(1)}, lang), st, lang)
    ct = community_table(result)
    comms = _with_population(_frame({
        "comm_code": ct["code"], "community": ct["name"], "in_street": ct["street"], "n_centres": ct["centers"],
        "area": ct["area_km2"].round(3), "covered": ct["covered_km2"].round(3),
        "pct": ct["covered_pct"].round(1)}, lang), ct, lang)
    gt = gap_table(result)
    sep = list_sep(lang)
    gaps = _frame({"gap": gt["gap_id"], "gap_ha": gt["area_ha"].round(2), "gap_m2": gt["area_m2"].round(0),
                   "gap_comms": gt["communities"].str.replace("、", sep, regex=False),
                   "gap_streets": gt["streets"].str.replace("、", sep, regex=False), "lon": gt["lon"],
                   "lat": gt["lat"]}, lang)
    return {word("sheet_streets", lang): streets, word("sheet_communities", lang): comms,
            word("sheet_gaps", lang): gaps, word("sheet_notes", lang): _notes(result, title, lang)}


def write_xlsx(result: cv.CoverageResult, path: str | Path, title: str | None = None, lang: str = "zh") -> Path:
    """The brief's tables as one workbook (:func:`workbook_sheets`), through the table writer."""
    return tables.write_xlsx(workbook_sheets(result, title, lang), path)
