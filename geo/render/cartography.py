"""Drawing the coverage map on a matplotlib axes: coverage, gaps, boundaries, centres, street
names, the legend, a scale bar and a north arrow (all in the result's metric CRS)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle

from geo.engine import coverage as cv
from geo.engine import schema
from geo.render import maps
from geo.render.words import tier_name, word

# The same symbols as the app: star, square, circle, triangle.
TIER_MARKERS = {"district": ("*", 15), "street": ("s", 6.0), "community": ("o", 4.2), "station": ("^", 4.6)}
BAND_COLOURS = ["#5fb3a1", "#8fcbbd", "#bfe2d9", "#e3f2ee"]  # nearest band darkest
INK = "#1a1a1a"
GREY = "#5a5a5a"


def label_point(geom: shapely.Geometry, avoid: shapely.Geometry | None = None) -> shapely.Point:
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
    except (shapely.errors.GEOSException, IndexError):  # pragma: no cover - degenerate geometry
        return geom.representative_point()
    return geom.representative_point()


def fit_limits(ax: Axes, bounds: tuple[float, float, float, float], pad: float = 0.04,
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
              where: tuple[float, float] = (0.05, 0.045), lang: str = "zh") -> None:
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
    ax.text(x0 + length + seg * 0.25, y0 + bar_h / 2, word("km" if unit_km else "m", lang), ha="left",
            va="center", fontsize=7.5 * fs, color=INK, zorder=30)


def north_arrow(ax: Axes, lim: tuple[float, float, float, float], fs: float,
                where: tuple[float, float] = (0.93, 0.9), lang: str = "zh") -> None:
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
    ax.text(cx, cy + h / 2 + h * 0.08, word("north", lang), ha="center", va="bottom", fontsize=10 * fs,
            fontweight="bold", color=INK, zorder=30)


def frac_box(lim: tuple[float, float, float, float], fx0: float, fy0: float, fx1: float,
              fy1: float) -> shapely.Geometry:
    """A box given in axes fractions, in data coordinates."""
    x0, x1, y0, y1 = lim
    return shapely.box(x0 + fx0 * (x1 - x0), y0 + fy0 * (y1 - y0), x0 + fx1 * (x1 - x0), y0 + fy1 * (y1 - y0))


def emptiest(boxes: dict, district: shapely.Geometry, taken: shapely.Geometry | None = None):
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
    best = emptiest(boxes, district)
    leg = ax.legend(handles=handles, loc=best, **kwargs)
    leg.set_zorder(40)
    return leg, boxes[best]


def halo_text(ax: Axes, x: float, y: float, text: str, halo: float = 2.6, **kwargs) -> None:
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
            p = label_point(geom, avoid)
            halo_text(ax, p.x, p.y, str(name), ha="center", va="center", fontsize=10.5 * fs,
                       fontweight="bold", color="#262626", zorder=20, halo=3.0 * fs)


def legend_handles(result: cv.CoverageResult, fs: float = 1.0, lang: str = "zh") -> list:
    """Legend entries: the tiers (with counts), coverage, gaps, boundaries."""
    counts = result.centers["tier"].value_counts()
    handles = []
    for tier in schema.TIERS:
        if tier not in counts:
            continue
        marker, size = TIER_MARKERS[tier]
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=size * fs * 1.05,
                              markerfacecolor=maps.TIER_COLOURS[tier], markeredgecolor="white",
                              markeredgewidth=0.6, label=word("lg_tier", lang, tier=tier_name(tier, lang),
                                                             n=counts[tier])))
    mins = sorted(result.settings.minutes)
    if len(mins) > 1:
        lower = 0.0
        for i, m in enumerate(mins):
            colour = BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)]
            label = word("lg_band", lang, a=f"{lower:g}", b=f"{m:g}")
            handles.append(Patch(facecolor=colour, edgecolor="none", label=label))
            lower = m
    else:
        handles.append(Patch(facecolor=maps.COVER_COLOUR, edgecolor="none",
                             label=word("lg_reach", lang, m=f"{mins[-1]:g}")))
    handles.append(Patch(facecolor=maps.GAP_COLOUR, edgecolor="#99000d", alpha=0.85, label=word("lg_gap", lang)))
    handles.append(Line2D([], [], color=INK, linewidth=1.8, label=word("lg_district", lang)))
    handles.append(Line2D([], [], color="#3a3a3a", linewidth=1.0, linestyle=(0, (5, 1.6, 1.2, 1.6)),
                          label=word("lg_streets", lang)))
    handles.append(Line2D([], [], color="#9a9a9a", linewidth=0.6, label=word("lg_communities", lang)))
    return handles

