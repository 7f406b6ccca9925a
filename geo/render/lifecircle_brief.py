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
from geo.locale import number, percent
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
from geo.render.words import date_value, notice_text

LANGS = ("zh", "en")
FORMATS = ("pdf", "png")


class BriefError(brief.ExportError):
    """A brief that cannot be made: unknown language or format, unwritable path, missing glyphs."""


def brief_word(key: str, lang: str, **fmt: object) -> str:
    """The brief's text ``key`` in ``lang`` (the catalogue's ``lcb.`` keys), formatted with ``fmt``."""
    return locale.text(f"lcb.{key}", lang, **fmt)


def category_name(result: lc.LifeCircleResult, key: str, lang: str) -> str:
    """A category's name in ``lang``, from the result's catalogue (its key when it has none)."""
    try:
        return result.catalogue.get(key).name(lang)
    except lc.LifeCircleError:
        return key


def missing_names(result: lc.LifeCircleResult, lang: str) -> dict[str, list[str]]:
    """Per community code, the required categories it does not reach, named in ``lang`` (the
    catalogue's order)."""
    required = [c.key for c in result.catalogue.categories if c.required]
    t = result.table[result.table["category_key"].isin(required) & ~result.table["reached"].astype(bool)]
    order = {k: i for i, k in enumerate(required)}
    t = t.assign(_o=t["category_key"].map(order)).sort_values(["code", "_o"], kind="stable")
    return {str(code): [category_name(result, k, lang) for k in g["category_key"]]
            for code, g in t.groupby("code", sort=False)}


def wrap(text: str, width: int, lang: str) -> str:
    """Lines of at most ``width`` characters: Chinese cut by count, English between words."""
    if lang == "en":
        return "\n".join(textwrap.wrap(text, width)) or text
    return brief._wrap(text, width)


def _check(lang: str, fmt: str) -> None:
    if lang not in LANGS:
        raise BriefError(locale.Msg.of("map.err_lang", given=repr(lang)))
    if fmt not in FORMATS:
        raise BriefError(locale.Msg.of("map.err_brief_format", format=repr(fmt)))


def subtitle(result: lc.LifeCircleResult, lang: str) -> str:
    """Mode, basis, speed and the number of communities and categories in one line."""
    s = result.settings
    return " · ".join([brief_word(f"mode_{s.mode}", lang), brief_word(f"basis_{s.basis}", lang),
                       brief_word("speed_value", lang, speed=number(s.speed_kmh, lang, 1)),
                       brief_word("n_communities", lang, n=len(result.communities)),
                       brief_word("n_categories", lang, n=len(result.categories))])


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
    cax.set_title(brief_word("heat", lang), fontsize=8 * fs, color=INK, loc="left", pad=3)


def _mappable(cmap, norm):
    from matplotlib.cm import ScalarMappable

    return ScalarMappable(norm=norm, cmap=cmap)


# --------------------------------------------------------------------------- the panels


def _kpis(fig: Figure, result: lc.LifeCircleResult, x: float, fs: float, lang: str) -> None:
    head = result.headline()
    worst = result.categories.sort_values("covered_pct", kind="stable").iloc[0]
    kpis = [(f"{number(head['fully_served_communities'], lang)} / {number(head['communities'], lang)}",
             brief_word("kpi_full", lang), "#1b6f5f"),
            (percent(worst["covered_pct"], lang), brief_word("kpi_worst_named", lang, name=category_name(
                result, worst["category_key"], lang)), "#b2182b"),
            (number(head["categories"], lang), brief_word("kpi_cats", lang), INK)]
    for i, (big, small, colour) in enumerate(kpis):
        fig.text(x + i * 0.15, 0.84, big, ha="left", va="top", fontsize=(19 if i == 0 else 16) * fs,
                 fontweight="bold", color=colour)
        fig.text(x + i * 0.15, 0.782, wrap(small, 14 if lang == "zh" else 26, lang), ha="left", va="top",
                 fontsize=7.6 * fs, color=GREY, linespacing=1.3)


def _street_rows(result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, lang: str) -> list[list[str]]:
    st = lc.street_summary(result, streets)
    cols = [f"served_{lv}" for lv in lc.LEVELS] + ["fully_served"]
    rows = [[str(r["street"]), number(r["communities"], lang)] + [number(int(r[c]), lang) for c in cols]
            for _, r in st.iterrows()]
    rows.append([brief_word("total", lang)] + [number(int(st[c].sum()), lang) for c in ["communities"] + cols])
    return rows


def _worst_rows(result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, lang: str,
                top: int) -> list[list[str]]:
    worst = lc.worst_communities(result, top)
    names = dict(zip(streets["code"].astype(str), streets["name"])) if streets is not None else {}
    missing = missing_names(result, lang)
    rows = []
    for _, r in worst.iterrows():
        rows.append([str(r["name"]), str(names.get(str(r.get("street_code", "")), r.get("street_code", ""))),
                     number(int(r["n_missing"]), lang), shorten(missing.get(str(r["code"]), []),
                                                              22 if lang == "zh" else 46, 2, lang)])
    return rows


def shorten(names: list[str], width: int, lines: int, lang: str) -> str:
    """Names joined in at most ``lines`` lines of ``width`` characters, broken between names;
    what does not fit is counted: "and N more" names how many are not listed."""
    sep = locale.text("list_sep", lang)
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
        line = line.rstrip(sep.strip() + " ") + brief_word("and_more", lang, n=len(names) - shown)
    return "\n".join(out + [line])


def _tables(fig: Figure, result: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, x: float, fs: float,
            lang: str) -> None:
    fig.text(x, 0.735, brief_word("streets", lang), ha="left", va="top", fontsize=10 * fs, fontweight="bold", color=INK)
    rows = _street_rows(result, streets, lang)
    header = [brief_word(k, lang) for k in ("street", "n", "lv5", "lv10", "lv15", "all")]
    row_h = min(0.28 / (len(rows) + 1), 0.023)
    bottom = brief._table(fig, x, 0.705, 0.445, header, rows, [0.26, 0.16, 0.145, 0.145, 0.145, 0.145], "lrrrrr",
                          fs, row_h=row_h)
    top = 5
    worst = _worst_rows(result, streets, lang, top)
    y = bottom - 0.026
    fig.text(x, y, brief_word("worst", lang, n=len(worst)) if worst else brief_word("none_missing", lang), ha="left",
             va="top", fontsize=10 * fs, fontweight="bold", color=INK)
    if worst:
        header = [brief_word(k, lang) for k in ("community", "street", "missing_n", "missing")]
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
    fig.text(0.035, 0.955, title or brief_word("title", lang), ha="left", va="top", fontsize=19 * fs, fontweight="bold",
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
    return date_value(date, lang)


def _notice(status: str, illustrative_facilities: bool, lang: str) -> str:
    parts = ([notice_text(lang)] if status == "illustrative" else []) + (
        [brief_word("illustrative_facilities", lang)] if illustrative_facilities else [])
    return (" " if lang == "en" else "").join(parts)


def _footer(fig: Figure, result: lc.LifeCircleResult, notice: str, fs: float, lang: str) -> None:
    fig.add_artist(Line2D([0.035, 0.965], [0.052, 0.052], color="#b0b0b0", linewidth=0.6))
    text = brief_word("source", lang, cat=result.catalogue.source or "lifecircle.toml")
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
        raise BriefError(exc.msg) from None
    with brief._RENDER_LOCK, rc_context(brief._rc(font.family)):
        fig = brief_figure(result, streets, lang=lang, status=status, illustrative_facilities=illustrative_facilities,
                           title=title, date=date)
        brief.check_glyphs(fig, font)
        meta = {"Title": title or brief_word("title", lang), "Creator": "longhu-service-circles"}
        if fmt == "png":
            meta = {"Title": meta["Title"], "Software": meta["Creator"]}
        atomic_write(p, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=meta))
    return p
