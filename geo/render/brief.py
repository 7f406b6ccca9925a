"""Briefing outputs: print-ready static maps, a one-page brief, standalone HTML and XLSX tables.

Static maps are drawn with matplotlib and geopandas in the result's metric CRS (UTM), with no
basemap tiles, so they work offline and the scale bar is exact. Chinese text uses the CJK font
chosen by :mod:`geo.render.fonts`; before anything is written every text on the page is checked
against that font, so an export never contains empty boxes.

Public entry point: :func:`export`. Figures can also be had directly (:func:`map_figure`,
:func:`brief_figure`) and tables as DataFrames (:func:`street_table`, :func:`gap_table`). The map
itself is drawn by :mod:`geo.render.cartography`; titles, source lines, tables and the XLSX
workbook come from :mod:`geo.render.brief_tables`.
"""

from __future__ import annotations

import datetime as _dt
import re
import tempfile
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from geo.engine import coverage as cv
from geo.io.files import atomic_write
from geo.locale import Msg, Worded, area_km2, number, percent
from geo.render import fonts, maps
from geo.render.brief_tables import (
    date_label,
    default_title,
    gap_table,
    source_lines,
    street_table,
    subtitle,
    write_xlsx,
)
from geo.render.cartography import (
    GREY,
    INK,
    draw_map,
    emptiest,
    fit_limits,
    frac_box,
    legend_handles,
    north_arrow,
    place_legend,
    scale_bar,
)
from geo.render.words import check_lang, list_sep, notice_text, word

FORMATS: tuple[str, ...] = ("png", "pdf", "html", "brief", "xlsx")
SUFFIXES: dict[str, str] = {"png": ".png", "pdf": ".pdf", "html": ".html", "brief": ".pdf", "xlsx": ".xlsx"}
# Paper sizes in inches, chosen so 300 dpi gives whole pixels: A4 3508×2480, A3 4961×3508,
# 16:9 slide 4000×2250 (13.33 × 7.5 in, PowerPoint's widescreen page).
PAPERS: dict[str, tuple[float, float]] = {
    "a4": (3508 / 300, 2480 / 300), "a3": (4961 / 300, 3508 / 300), "slide": (4000 / 300, 2250 / 300),
}
DPI = 300
LOW_PCT = 95.0  # street coverage below this is shown in red in the brief's table


_RENDER_LOCK = threading.Lock()  # rc_context changes matplotlib's global settings


class ExportError(Worded, ValueError):
    """An export that cannot be made: unknown format or paper, unwritable path, missing glyphs
    (``msg``: ``map.err_*``, worded where shown)."""


def _check_paper(paper: str) -> tuple[float, float]:
    if paper not in PAPERS:
        raise ExportError(Msg.of("map.err_paper", paper=repr(paper), papers=list(PAPERS)))
    return PAPERS[paper]


def _rc(family: str) -> dict:
    return {"font.family": [family], "font.size": 9, "axes.unicode_minus": False,
            "pdf.fonttype": 3, "svg.fonttype": "none", "hatch.linewidth": 0.6}


# --------------------------------------------------------------------------- the page


def _notice_box(fig: Figure, x: float, y: float, right: float, fs: float, va: str = "bottom",
                lang: str = "zh") -> None:
    """The illustrative notice in a yellow box from ``x`` to ``right`` (figure fractions)."""
    size, pad = 8.2 * fs, 0.55
    inner = (right - x) * fig.bbox.width - 2 * (pad + 0.3) * size * fig.dpi / 72
    fig.text(x, y, wrap_px(fig, notice_text(lang), inner, size), ha="left", va=va, fontsize=size, color="#7a4a00",
             linespacing=1.45,
             bbox={"boxstyle": f"round,pad={pad}", "facecolor": "#fff4ce", "edgecolor": "#e0b000", "linewidth": 0.8})


_NO_LINE_START = set("，。；：、）」』！？%,.;:)")
#: what a line is never broken inside: a number with its unit (``6.91 km²``, ``95.1%``), a Latin
#: word, or one other character
_TOKEN = re.compile(r"[-+]?\d[\d,.]*(?:\s?(?:km²|km|m²|m|ha|%)(?![A-Za-z]))?|[A-Za-z][A-Za-z0-9_'’-]*|\s+|.")


def _wrap(text: str, width: int, lang: str = "zh") -> str:
    """Wrap text at ``width`` characters (CJK has no spaces, so cut by count), never inside a
    number or a word and never starting a line with closing punctuation (it stays at the end
    of the line before). English is wrapped between words, about two letters to a Chinese
    character's width."""
    if lang == "en":
        return textwrap.fill(text, int(width * 1.7), break_long_words=False)
    lines: list[str] = []
    line = ""
    for tok in _TOKEN.findall(text):
        if line and len(line) + len(tok) > width and tok[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = "" if tok.isspace() else tok
            continue
        line += tok
    if line:
        lines.append(line)
    return "\n".join(lines)


def _header(fig: Figure, result: cv.CoverageResult, title: str, fs: float, date: _dt.date | None,
            x: float = 0.035, lang: str = "zh") -> None:
    date_text = fig.text(0.965, 0.953, date_label(date, lang), ha="right", va="top", fontsize=8.5 * fs, color=GREY)
    head = fig.text(x, 0.955, title, ha="left", va="top", fontsize=21 * fs, fontweight="bold", color=INK)
    _shrink_to(head, date_text.get_window_extent().x0 - 0.015 * fig.bbox.width)
    fig.text(x, 0.893, subtitle(result, lang), ha="left", va="top", fontsize=10 * fs, color=GREY)
    fig.add_artist(Line2D([x, 0.965], [0.862, 0.862], color=INK, linewidth=1.2 * fs))


def _shrink_to(text: Text, right_px: float, smallest: float = 0.6) -> None:
    """Make ``text`` smaller (down to ``smallest`` of its size) until it ends left of ``right_px``."""
    size = text.get_fontsize()
    for step in np.linspace(1.0, smallest, 9):
        text.set_fontsize(size * step)
        if text.get_window_extent().x1 <= right_px:
            return


def _footer(fig: Figure, result: cv.CoverageResult, fs: float, width_chars: int, lang: str = "zh") -> None:
    fig.add_artist(Line2D([0.035, 0.965], [0.052, 0.052], color="#b0b0b0", linewidth=0.6))
    width = width_chars if lang == "zh" else int(width_chars * 1.25)  # small Latin letters: a wider line
    lines = "\n".join(_wrap(t, width, lang) for t in source_lines(result, lang))
    fig.text(0.035, 0.038, lines, ha="left", va="top",
             fontsize=7 * fs, color=GREY, linespacing=1.4)


def _page(result: cv.CoverageResult, title: str | None, paper: str,
          date: _dt.date | None, lang: str = "zh") -> tuple[Figure, float]:
    """A white page of the paper size with its header; returns it and the font scale."""
    w, h = _check_paper(paper)
    fs = h / PAPERS["a4"][1]
    fig = Figure(figsize=(w, h), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)  # a renderer to measure text with (legend placement)
    _header(fig, result, title or default_title(result, lang), fs, date, lang=lang)
    return fig, fs


def map_figure(result: cv.CoverageResult, title: str | None = None, paper: str = "a4",
               date: _dt.date | None = None, lang: str = "zh") -> Figure:
    """The static coverage map as a matplotlib Figure (call inside :func:`font_context`)."""
    fig, fs = _page(result, title, paper, date, lang)
    ax = fig.add_axes((0.035, 0.075, 0.60, 0.77))
    draw_map(ax, result, fs)
    lim = fit_limits(ax, tuple(result.district.bounds), pad=0.035)
    scale_bar(ax, lim, fs, lang=lang)
    north_arrow(ax, lim, fs, lang=lang)
    # side panel: key figures, legend, notice
    px = 0.67
    fig.text(px, 0.835, word("covered_share", lang), ha="left", va="top", fontsize=10 * fs, color=GREY)
    fig.text(px, 0.805, percent(result.covered_pct, lang), ha="left", va="top", fontsize=30 * fs,
             fontweight="bold", color="#1b6f5f")
    facts = "\n".join([word("fact_area", lang, area=area_km2(result.district_area_km2, lang)),
                       word("fact_gaps", lang, n=len(result.gaps), area=area_km2(_gaps_km2(result), lang)),
                       word("fact_centres", lang, n=len(result.centers))])
    fig.text(px, 0.715, facts, ha="left", va="top", fontsize=9.5 * fs, color=INK, linespacing=1.6)
    leg_ax = fig.add_axes((px, 0.2, 0.3, 0.42))
    leg_ax.set_axis_off()
    leg = leg_ax.legend(handles=legend_handles(result, fs, lang), loc="upper left", frameon=False,
                        title=word("legend_title", lang), alignment="left", fontsize=9 * fs,
                        title_fontsize=10.5 * fs, handlelength=2.2, handleheight=1.1, labelspacing=0.75,
                        borderaxespad=0)
    leg.get_title().set_fontweight("bold")
    if maps.illustrative(result):
        _notice_box(fig, px + 0.005, 0.085, 0.965, fs, lang=lang)
    _footer(fig, result, fs, 120 if paper != "slide" else 130, lang)
    return fig


# --------------------------------------------------------------------------- the one-page brief


#: the brief's tables: left edge, width (figure fractions) and the share of each column
TABLE_X, TABLE_W = 0.52, 0.445
STREET_COLS, GAP_COLS = [0.28, 0.19, 0.15, 0.19, 0.19], [0.08, 0.16, 0.52, 0.24]
CELL_PAD = 0.012  # a cell's text starts this far (a fraction of the table's width) from its rule
TABLE_FS = 8.4


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
            ax.text(xs[c + 1] - CELL_PAD if right else xs[c] + CELL_PAD, mid, text, ha="right" if right else "left",
                    va="center", fontsize=TABLE_FS * fs, color=colour or INK, linespacing=1.3,
                    fontweight="bold" if (r == 0 or colour) else "normal")
        y -= hgt
        ax.add_artist(Line2D([0, 1], [y, y], color="#9a9a9a" if r == 0 else "#dddddd",
                             linewidth=0.8 if r == 0 else 0.5))
    ax.add_artist(Line2D([0, 1], [0, 0], color=INK, linewidth=1.0))
    ax.add_artist(Line2D([0, 1], [-total, -total], color=INK, linewidth=1.0))
    return top - total


def _gaps_km2(result: cv.CoverageResult) -> float:
    return float(result.gaps["area_m2"].sum()) / 1e6 if len(result.gaps) else 0.0


def name_parts(names: list[str], limit: int, lang: str = "zh") -> tuple[list[str], int]:
    """At most ``limit`` of ``names`` as the pieces a cell is made of (each but the last with
    the language's separator), then "and N more" naming how many are NOT listed; and that N."""
    if not names:
        return ["—"], 0
    shown = names[:limit]
    more = len(names) - len(shown)
    sep = list_sep(lang)
    parts = [n + sep for n in shown[:-1]] + [shown[-1]]
    return (parts + [word("and_more", lang, n=more)] if more else parts), more


def text_width(fig: Figure, text: str, fontsize: float) -> float:
    """The width in pixels ``text`` takes on ``fig`` at ``fontsize`` (the figure's fonts)."""
    return Text(0, 0, text, fontsize=fontsize, figure=fig).get_window_extent(fig.canvas.get_renderer()).width


def fit_lines(fig: Figure, parts: list[str], width_px: float, fontsize: float) -> str:
    """``parts`` in lines no wider than ``width_px``, broken only between parts (a part that
    alone is wider is broken between its characters, never inside a number or word)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        if line and text_width(fig, (line + part).rstrip(), fontsize) > width_px:
            lines.append(line.rstrip())
            line = part.lstrip()
        else:
            line += part
        toks = _TOKEN.findall(line)
        while len(toks) > 1 and text_width(fig, line.rstrip(), fontsize) > width_px:
            cuts = [k for k in range(1, len(toks)) if toks[k][0] not in _NO_LINE_START]
            fits = [k for k in cuts if text_width(fig, "".join(toks[:k]).rstrip(), fontsize) <= width_px]
            if not cuts:
                break
            cut = max(fits) if fits else cuts[0]
            lines.append("".join(toks[:cut]).rstrip())
            line = "".join(toks[cut:]).lstrip()
            toks = _TOKEN.findall(line)
    return "\n".join(lines + [line.rstrip()])


def wrap_px(fig: Figure, text: str, width_px: float, fontsize: float) -> str:
    """``text`` in lines no wider than ``width_px``, broken between words, numbers (with their
    units) and Chinese characters, never before closing punctuation."""
    parts: list[str] = []
    for tok in _TOKEN.findall(text):
        if parts and (tok[0] in _NO_LINE_START or (tok.isspace() and not parts[-1].isspace())):
            parts[-1] += tok
        else:
            parts.append(tok)
    return fit_lines(fig, parts, width_px, fontsize)


def _cell_names(fig: Figure, text: str, limit: int, width_px: float, fontsize: float, lang: str) -> str:
    """A 、-separated list of names in a table cell: at most ``limit`` and "and N more", fitted
    to the cell's width."""
    parts, _ = name_parts([n for n in str(text).split("、") if n], limit, lang)
    return fit_lines(fig, parts, width_px, fontsize)


def _brief_map(fig: Figure, result: cv.CoverageResult, fs: float, lang: str = "zh") -> None:
    """The brief's map on the left half, its legend, scale bar and north arrow where they hide
    the least of the district."""
    ax = fig.add_axes((0.025, 0.075, 0.46, 0.775))
    draw_map(ax, result, fs * 0.85)
    lim = fit_limits(ax, tuple(result.district.bounds), pad=0.03)
    _, taken = place_legend(ax, legend_handles(result, fs * 0.85, lang), result.district, frameon=True,
                            fontsize=7.4 * fs, handlelength=1.8, labelspacing=0.45, borderpad=0.6,
                            facecolor="white", edgecolor="#c8c8c8", framealpha=0.92, borderaxespad=0.2)
    bars = {(0.02, 0.03): frac_box(lim, 0.02, 0.01, 0.36, 0.09), (0.62, 0.03): frac_box(lim, 0.62, 0.01, 0.98, 0.09)}
    bar_at = emptiest(bars, result.district, taken)
    scale_bar(ax, lim, fs * 0.9, where=bar_at, lang=lang)
    taken = shapely.union(taken, bars[bar_at])
    arrows = {(fx, fy): frac_box(lim, fx - 0.06, fy - 0.08, fx + 0.06, fy + 0.08)
              for fx in (0.06, 0.94) for fy in (0.2, 0.5, 0.9)}
    north_arrow(ax, lim, fs * 0.9, where=emptiest(arrows, result.district, taken), lang=lang)


def brief_figure(result: cv.CoverageResult, title: str | None = None, paper: str = "a4",
                 date: _dt.date | None = None, lang: str = "zh") -> Figure:
    """One page: the map, the district coverage, a table per street and the five largest gaps."""
    fig, fs = _page(result, title, paper, date, lang)
    _brief_map(fig, result, fs, lang)
    px = TABLE_X
    _kpis(fig, result, px, fs, lang)
    bottom = _street_block(fig, result, px, fs, lang)
    _gaps_block(fig, result, px, bottom - 0.028, fs, lang)
    if maps.illustrative(result):
        _notice_box(fig, px + 0.004, 0.072, 0.965, fs * 0.92, lang=lang)
    _footer(fig, result, fs, 120 if paper != "slide" else 130, lang)
    return fig


def _kpis(fig: Figure, result: cv.CoverageResult, px: float, fs: float, lang: str) -> None:
    """The three key figures: covered share, gaps, centres."""
    n_gaps, n_centres = len(result.gaps), len(result.centers)
    kpis = [(percent(result.covered_pct, lang), word("covered_share", lang)),
            (word("kpi_gaps", lang, n=n_gaps), word("kpi_gaps_note", lang, n=n_gaps,
                                                      area=area_km2(_gaps_km2(result), lang))),
            (word("kpi_centres", lang, n=n_centres), word("kpi_centres_note", lang, n=n_centres))]
    for i, (big, small) in enumerate(kpis):
        x = px + i * 0.15
        fig.text(x, 0.84, big, ha="left", va="top", fontsize=(22 if i == 0 else 17) * fs, fontweight="bold",
                 color="#1b6f5f" if i == 0 else (maps.GAP_COLOUR if i == 1 else INK))
        fig.text(x, 0.772, _wrap(small, 11, lang), ha="left", va="top", fontsize=8 * fs, color=GREY)


def column_px(fig: Figure, shares: list[float], i: int) -> float:
    """The width in pixels text may take in column ``i`` of a brief's table."""
    return fig.bbox.width * TABLE_W * (shares[i] / sum(shares) - 2 * CELL_PAD)


def _street_block(fig: Figure, result: cv.CoverageResult, px: float, fs: float, lang: str) -> float:
    """The table per street (low coverage in red) with its total; returns its bottom."""
    st = street_table(result)
    fig.text(px, 0.735, word("street_head", lang), ha="left", va="top", fontsize=10.5 * fs, fontweight="bold",
             color=INK)
    name_px = column_px(fig, STREET_COLS, 0)
    rows = [[fit_lines(fig, [r.name], name_px, TABLE_FS * fs), number(r.communities, lang), number(r.centers, lang),
             number(r.area_km2, lang, 1), percent(r.covered_pct, lang)] for r in st.itertuples()]
    total_area = st["area_km2"].sum()
    total_cov = st["covered_km2"].sum()
    rows.append([word("total", lang), number(st["communities"].sum(), lang), number(st["centers"].sum(), lang),
                 number(total_area, lang, 1), percent(100 * total_cov / total_area if total_area else None, lang)])
    low = [p < LOW_PCT for p in st["covered_pct"]] + [False]
    row_h = 0.30 / (len(rows) + 1)
    header = [word(k, lang) for k in ("h_street", "h_communities", "h_centres", "h_area", "h_covered")]
    return _table(fig, px, 0.705, TABLE_W, header, rows, STREET_COLS, "lrrrr", fs,
                  row_h=min(row_h, 0.0255), highlight=lambda r, c: "#b2182b" if c == 4 and low[r] else None)


def _gaps_block(fig: Figure, result: cv.CoverageResult, px: float, gy: float, fs: float, lang: str) -> None:
    """The five largest gaps with the communities and streets they touch, each cell fitted to
    its column."""
    gt = gap_table(result, 5)
    fig.text(px, gy, word("gaps_head", lang, n=len(gt)) if len(gt) else word("gaps_none", lang),
             ha="left", va="top", fontsize=10.5 * fs, fontweight="bold", color=INK)
    if not len(gt):
        return
    size = TABLE_FS * fs
    comms_px, streets_px = column_px(fig, GAP_COLS, 2), column_px(fig, GAP_COLS, 3)
    rows = [[number(int(r.gap_id), lang), number(r.area_ha, lang, 1),
             _cell_names(fig, r.communities, 4, comms_px, size, lang),
             _cell_names(fig, r.streets, 2, streets_px, size, lang)] for r in gt.itertuples()]
    header = [word(k, lang) for k in ("h_gap", "h_gap_ha", "h_gap_comms", "h_gap_streets")]
    _table(fig, px, gy - 0.03, TABLE_W, header, rows, GAP_COLS, "lrll", fs, row_h=0.0255)


# --------------------------------------------------------------------------- guards and writing


def figure_text(fig: Figure) -> str:
    """Every text drawn on a figure, joined (for the font guard and tests)."""
    return "".join(t.get_text() for t in fig.findobj(Text))


def check_glyphs(fig: Figure, font: fonts.CJKFont) -> None:
    """:class:`ExportError` when the font lacks a glyph for any text on the figure."""
    missing = fonts.missing_glyphs(figure_text(fig), font)
    if missing:
        raise ExportError(Msg.of("map.err_glyphs", font=font.family, chars=repr("".join(missing[:10])),
                                 env=fonts.ENV_VAR))


def check_suffix(path: str | Path, fmt: str) -> None:
    """:class:`ExportError` when the file's name says another kind than ``fmt`` writes (a PNG
    named ``.pdf`` opens in nothing); a name without a suffix is refused the same way."""
    p, want = Path(path), SUFFIXES[fmt]
    if p.suffix.lower() != want:
        raise ExportError(Msg.of("map.err_suffix", path=str(p), format=fmt, suffix=want,
                                 name=f"{p.stem or 'map'}{want}"))


def check_writable(path: str | Path) -> Path:
    """The output path, after checking that its folder exists and accepts a new file;
    :class:`ExportError` with a one-line message otherwise. Nothing is left behind."""
    p = Path(path).expanduser()
    if p.exists() and p.is_dir():
        raise ExportError(Msg.of("map.err_is_folder", path=str(p)))
    folder = p.parent
    if not folder.exists():
        raise ExportError(Msg.of("map.err_no_folder", path=str(p), folder=str(folder)))
    if not folder.is_dir():
        raise ExportError(Msg.of("map.err_not_folder", path=str(p), folder=str(folder)))
    try:  # os.access says yes to root even on read-only mounts, so really try
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ExportError(Msg.of("map.err_not_writable", path=str(p), folder=str(folder), e=exc.strerror)) from None
    return p


def render_figure(result: cv.CoverageResult, kind: str, path: Path, fmt: str, *, title: str | None,
                  paper: str, dpi: int, date: _dt.date | None, lang: str = "zh") -> None:
    """Build the map or brief figure with the CJK font, check its glyphs, save it atomically."""
    try:
        font = fonts.cjk_font()
    except fonts.FontError as exc:
        raise ExportError(exc.msg) from None
    with _RENDER_LOCK, rc_context(_rc(font.family)):
        build = map_figure if kind == "map" else brief_figure
        fig = build(result, title=title, paper=paper, date=date, lang=lang)
        check_glyphs(fig, font)
        meta = {"Title": title or default_title(result, lang), "Creator": "longhu-service-circles"}
        if fmt == "png":
            meta = {"Title": meta["Title"], "Software": meta["Creator"]}
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", metadata=meta))


def export(result: cv.CoverageResult, fmt: str, path: str | Path, title: str | None = None,
           paper: str = "a4", *, basemap: str = "none", dpi: int = DPI,
           date: _dt.date | None = None, lang: str = "zh") -> Path:
    """Write one briefing output and return its path.

    ``fmt``: ``png`` (map, 300 dpi), ``pdf`` (map, vector), ``brief`` (one-page PDF: map,
    coverage, street table, largest gaps), ``html`` (standalone interactive map) or ``xlsx``
    (tables). ``paper``: ``a4`` (landscape, default), ``a3`` or ``slide`` (16:9). ``lang``: ``zh``
    (default) or ``en``, the language of every word on the output.
    Raises :class:`ExportError` (a ``ValueError``) with a one-line message for an unknown
    format or paper or a folder that does not exist or cannot be written, before any rendering.
    """
    if fmt not in FORMATS:
        raise ExportError(Msg.of("map.err_format", format=repr(fmt), formats=list(FORMATS)))
    _check_paper(paper)
    try:
        check_lang(lang)
    except ValueError:
        raise ExportError(Msg.of("map.err_lang", given=repr(lang))) from None
    if fmt == "html":
        try:
            maps.check_basemap(basemap)
        except maps.MapError as exc:
            raise ExportError(exc.msg) from None
    p = check_writable(path)
    check_suffix(p, fmt)
    if fmt in ("png", "pdf"):
        render_figure(result, "map", p, fmt, title=title, paper=paper, dpi=dpi, date=date, lang=lang)
    elif fmt == "brief":
        render_figure(result, "brief", p, "pdf", title=title, paper=paper, dpi=dpi, date=date, lang=lang)
    elif fmt == "html":
        from geo.render import webassets

        m = maps.interactive_map(result, basemap, title=title or default_title(result, lang), lang=lang)
        webassets.save_standalone_html(m, p)
    else:
        write_xlsx(result, p, title, lang)
    return p
