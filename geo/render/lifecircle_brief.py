"""The one-page life-circle brief: per street the communities fully served at each level, the
five communities missing the most, and the heat map of how many services each place reaches.

PNG or PDF, in Chinese or English (``lang``), drawn with matplotlib in the result's metric CRS
like the coverage brief (:mod:`geo.render.brief`), with its page, tables, font guard and
writing; the map furniture (scale bar, north arrow, labels) is :mod:`geo.render.cartography`.
Illustrative layers are labelled on the page.
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from geo import locale
from geo.engine import lifecircle as lc
from geo.io.files import atomic_write
from geo.render import brief, fonts
from geo.render.cartography import (
    GREY,
    INK,
    emptiest,
    fit_limits,
    frac_box,
    halo_text,
    label_point,
    north_arrow,
    scale_bar,
)

LANGS = ("zh", "en")
FORMATS = ("pdf", "png")


class BriefError(brief.ExportError):
    """A brief that cannot be made: unknown language or format, unwritable path, missing glyphs."""


def tr(key: str, lang: str) -> str:
    """The brief's text ``key`` in ``lang``."""
    return locale.text(f"lcb.{key}", lang)


def wrap(text: str, width: int, lang: str) -> str:
    """Lines of at most ``width`` characters: Chinese cut by count, English between words."""
    if lang == "en":
        return "\n".join(textwrap.wrap(text, width)) or text
    return brief._wrap(text, width)


def _check(lang: str, fmt: str) -> None:
    if lang not in LANGS:
        raise BriefError(f"unknown language {lang!r}: use zh or en")
    if fmt not in FORMATS:
        raise BriefError(f"unknown brief format {fmt!r}: give a file ending in .pdf or .png")


def subtitle(result: lc.LifeCircleResult, lang: str) -> str:
    """Mode, basis, speed and the number of communities and categories in one line."""
    s = result.settings
    sep = " · "
    return sep.join([tr(f"mode_{s.mode}", lang), tr(f"basis_{s.basis}", lang),
                     f"{tr('speed', lang)} {s.speed_kmh:.1f} km/h",
                     f"{len(result.communities)} {tr('communities', lang)}",
                     f"{len(result.categories)} {tr('categories', lang)}"])


# --------------------------------------------------------------------------- the map


def _heat_colours(n: int) -> tuple[ListedColormap, BoundaryNorm]:
    base = colormaps["YlGnBu"](np.linspace(0.08, 0.95, n + 1))
    return ListedColormap(base), BoundaryNorm(np.arange(-0.5, n + 1.5), n + 1)


def draw_heat_map(ax, result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, fs: float,
                  lang: str) -> None:
    """The grid coloured by how many categories each place reaches, boundaries, street names."""
    ax.set_axis_off()
    n = len(result.categories)
    cmap, norm = _heat_colours(n)
    if len(result.grid):
        result.grid.plot(ax=ax, column="count", cmap=cmap, norm=norm, linewidth=0, zorder=2)
    result.communities.boundary.plot(ax=ax, color="white", linewidth=0.6 * fs, zorder=4)
    if streets is not None and len(streets):
        st = streets.to_crs(result.crs)
        st.boundary.plot(ax=ax, color="#3a3a3a", linewidth=0.9 * fs, linestyle=(0, (5, 1.6, 1.2, 1.6)), zorder=5)
        for name, geom in zip(st["name"], st.geometry):
            p = label_point(geom)
            halo_text(ax, p.x, p.y, str(name), ha="center", va="center", fontsize=8.5 * fs, fontweight="bold",
                      color="#262626", zorder=20, halo=2.6 * fs)
    outline = result.communities.geometry.union_all()
    gpd.GeoSeries([outline], crs=result.crs).boundary.plot(ax=ax, color=INK, linewidth=1.4 * fs, zorder=7)
    lim = fit_limits(ax, tuple(outline.bounds), pad=0.03)
    bars = {(0.02, 0.03): frac_box(lim, 0.02, 0.01, 0.36, 0.09), (0.62, 0.03): frac_box(lim, 0.62, 0.01, 0.98, 0.09)}
    scale_bar(ax, lim, fs * 0.85, where=emptiest(bars, outline), lang=lang)
    arrows = {(fx, fy): frac_box(lim, fx - 0.06, fy - 0.08, fx + 0.06, fy + 0.08) for fx in (0.06, 0.94)
              for fy in (0.2, 0.9)}
    north_arrow(ax, lim, fs * 0.85, where=emptiest(arrows, outline), lang=lang)


def _colour_key(fig: Figure, result: lc.LifeCircleResult, box: tuple[float, float, float, float], fs: float,
                lang: str) -> None:
    n = len(result.categories)
    cmap, norm = _heat_colours(n)
    cax = fig.add_axes(box)
    cb = fig.colorbar(_mappable(cmap, norm), cax=cax, orientation="horizontal", ticks=range(n + 1))
    cb.ax.tick_params(labelsize=7 * fs, length=0)
    cb.outline.set_linewidth(0.5)
    cax.set_title(tr("heat", lang), fontsize=8 * fs, color=INK, loc="left", pad=3)


def _mappable(cmap, norm):
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)


# --------------------------------------------------------------------------- the panels


def _kpis(fig: Figure, result: lc.LifeCircleResult, x: float, fs: float, lang: str) -> None:
    head = result.headline()
    worst = result.categories.sort_values("covered_pct", kind="stable").iloc[0]
    worst_name = worst["category_en"] if lang == "en" else worst["category"]
    kpis = [(f"{head['fully_served_communities']} / {head['communities']}", tr("kpi_full", lang), "#1b6f5f"),
            (f"{worst['covered_pct']:.1f}%", f"{tr('kpi_worst', lang)}：{worst_name}".replace(
                "：", ": " if lang == "en" else "："), "#b2182b"),
            (f"{head['categories']}", tr("kpi_cats", lang), INK)]
    for i, (big, small, colour) in enumerate(kpis):
        fig.text(x + i * 0.15, 0.84, big, ha="left", va="top", fontsize=(19 if i == 0 else 16) * fs,
                 fontweight="bold", color=colour)
        fig.text(x + i * 0.15, 0.782, wrap(small, 14 if lang == "zh" else 26, lang), ha="left", va="top",
                 fontsize=7.6 * fs, color=GREY, linespacing=1.3)


def _street_rows(result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None) -> list[list[str]]:
    st = lc.street_summary(result, streets)
    cols = [f"served_{lv}" for lv in lc.LEVELS] + ["fully_served"]
    rows = [[str(r["street"]), str(r["communities"])] + [str(int(r[c])) for c in cols] for _, r in st.iterrows()]
    rows.append([""] + [str(int(st[c].sum())) for c in ["communities"] + cols])
    return rows


def _worst_rows(result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, lang: str,
                top: int) -> list[list[str]]:
    worst = lc.worst_communities(result, top)
    names = dict(zip(streets["code"].astype(str), streets["name"])) if streets is not None else {}
    zh_to_en = dict(zip(result.categories["category"], result.categories["category_en"]))
    rows = []
    for _, r in worst.iterrows():
        missing = [m for m in str(r["missing"]).split("、") if m]
        if lang == "en":
            missing = [zh_to_en.get(m, m) for m in missing]
        rows.append([str(r["name"]), str(names.get(str(r.get("street_code", "")), r.get("street_code", ""))),
                     str(int(r["n_missing"])), shorten(missing, 22 if lang == "zh" else 46, 2, lang)])
    return rows


def shorten(names: list[str], width: int, lines: int, lang: str) -> str:
    """Names joined in at most ``lines`` lines of ``width`` characters, broken between names;
    what does not fit is counted (``等11项`` / ``… (11 in all)``)."""
    sep = "、" if lang == "zh" else ", "
    out, line, shown = [], "", 0
    for i, name in enumerate(names):
        piece = name + (sep if i < len(names) - 1 else "")
        if line and len(line) + len(piece) > width:
            if len(out) + 1 == lines:
                break
            out.append(line)
            line = ""
        line += piece
        shown += 1
    if shown < len(names):
        line = line.rstrip(sep.strip() + " ") + (f" 等{len(names)}项" if lang == "zh" else f" … ({len(names)} in all)")
    return "\n".join(out + [line])


def _tables(fig: Figure, result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, x: float, fs: float,
            lang: str) -> None:
    fig.text(x, 0.735, tr("streets", lang), ha="left", va="top", fontsize=10 * fs, fontweight="bold", color=INK)
    rows = _street_rows(result, streets)
    rows[-1][0] = tr("total", lang)
    header = [tr(k, lang) for k in ("street", "n", "lv5", "lv10", "lv15", "all")]
    row_h = min(0.28 / (len(rows) + 1), 0.023)
    bottom = brief._table(fig, x, 0.705, 0.445, header, rows, [0.26, 0.16, 0.145, 0.145, 0.145, 0.145], "lrrrrr",
                          fs, row_h=row_h)
    top = 5
    worst = _worst_rows(result, streets, lang, top)
    y = bottom - 0.026
    fig.text(x, y, tr("worst", lang).format(n=len(worst)) if worst else tr("none_missing", lang), ha="left",
             va="top", fontsize=10 * fs, fontweight="bold", color=INK)
    if worst:
        header = [tr(k, lang) for k in ("community", "street", "missing_n", "missing")]
        brief._table(fig, x, y - 0.03, 0.445, header, worst, [0.2, 0.15, 0.08, 0.57], "llrl", fs, row_h=0.023)


# --------------------------------------------------------------------------- the page


def brief_figure(result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None = None, *, lang: str = "zh",
                 status: str = "user", illustrative_facilities: bool = False, title: str | None = None,
                 date: _dt.date | None = None) -> Figure:
    """The one-page brief (A4 landscape) as a matplotlib Figure (call inside the CJK font's rc).

    ``status`` ``illustrative`` (generated boundaries) and ``illustrative_facilities`` put a
    notice on the page."""
    _check(lang, "pdf")
    w, h = brief.PAPERS["a4"]
    fs = 1.0
    fig = Figure(figsize=(w, h), dpi=brief.DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.035, 0.955, title or tr("title", lang), ha="left", va="top", fontsize=19 * fs, fontweight="bold",
             color=INK)
    fig.text(0.035, 0.897, subtitle(result, lang), ha="left", va="top", fontsize=9.5 * fs, color=GREY)
    fig.text(0.965, 0.953, _date(date, lang), ha="right", va="top", fontsize=8.5 * fs, color=GREY)
    fig.add_artist(Line2D([0.035, 0.965], [0.862, 0.862], color=INK, linewidth=1.2 * fs))
    ax = fig.add_axes((0.025, 0.13, 0.46, 0.72))
    draw_heat_map(ax, result, streets, fs * 0.85, lang)
    _colour_key(fig, result, (0.06, 0.095, 0.39, 0.014), fs, lang)
    _kpis(fig, result, 0.52, fs, lang)
    _tables(fig, result, streets, 0.52, fs, lang)
    _footer(fig, result, _notice(status, illustrative_facilities, lang), fs, lang)
    return fig


def _date(date: _dt.date | None, lang: str) -> str:
    d = date or _dt.date.today()
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


def _notice(status: str, illustrative_facilities: bool, lang: str) -> str:
    parts = ([tr("illustrative", lang)] if status == "illustrative" else []) + (
        [tr("illustrative_facilities", lang)] if illustrative_facilities else [])
    return (" " if lang == "en" else "").join(parts)


def _footer(fig: Figure, result: lc.LifeCircleResult, notice: str, fs: float, lang: str) -> None:
    fig.add_artist(Line2D([0.035, 0.965], [0.052, 0.052], color="#b0b0b0", linewidth=0.6))
    text = tr("source", lang).format(cat=result.catalogue.source or "lifecircle.toml")
    fig.text(0.035, 0.038, wrap(text, 150 if lang == "zh" else 260, lang), ha="left", va="top", fontsize=6.8 * fs,
             color=GREY, linespacing=1.4)
    if notice:
        fig.text(0.524, 0.072, wrap(notice, 44 if lang == "zh" else 86, lang), ha="left", va="bottom",
                 fontsize=7.6 * fs, color="#7a4a00", linespacing=1.45,
                 bbox={"boxstyle": "round,pad=0.55", "facecolor": "#fff4ce", "edgecolor": "#e0b000",
                       "linewidth": 0.8})


def export_brief(result: lc.LifeCircleResult, path: str | Path, *, streets: gpd.GeoDataFrame | None = None,
                 lang: str = "zh", status: str = "user", illustrative_facilities: bool = False,
                 title: str | None = None, dpi: int = 200, date: _dt.date | None = None) -> Path:
    """Write the brief as PDF or PNG (by the file's suffix) and return its path.

    Raises :class:`BriefError` (a ``ValueError``, one line) for an unknown language or suffix, a
    folder that does not exist or cannot be written, or text the font cannot draw.
    """
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    _check(lang, fmt)
    p = brief.check_writable(p)
    try:
        font = fonts.cjk_font()
    except fonts.FontError as exc:
        raise BriefError(str(exc)) from None
    with brief._RENDER_LOCK, rc_context(brief._rc(font.family)):
        fig = brief_figure(result, streets, lang=lang, status=status, illustrative_facilities=illustrative_facilities,
                           title=title, date=date)
        brief.check_glyphs(fig, font)
        meta = {"Title": title or tr("title", lang), "Creator": "longhu-service-circles"}
        if fmt == "png":
            meta = {"Title": meta["Title"], "Software": meta["Creator"]}
        atomic_write(p, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=meta))
    return p
