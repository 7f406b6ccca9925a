"""The map legend of the app: a collapsible Leaflet control that travels with the changing layers.

It is a :class:`geo.render.maps.FoldControl` in a feature group: sent with the layers, so it
follows the controls without rebuilding the base map, and folded on maps narrower than
:data:`geo.render.maps.NARROW_WIDTH` (phones), open on wider ones, keeping the reader's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import folium

from geo.app.layers import BAND_COLOURS, NEAR_COLOUR, OVERLAP_COLOURS, overlap_colour
from geo.app.text import minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.render import maps

SITE_COLOUR = "#c51b7d"  # magenta: unlike every tier colour and the red of gaps


@dataclass(frozen=True)
class Extras:
    """What else the map shows, for the legend: a chosen gap, suggested sites, a resident's query."""

    selected_gap: bool = False
    sites: int = 0
    query: bool = False
    route: bool = False


def _dot(colour: str, ring: str = "#ffffff") -> str:
    return (f"<span style='display:inline-block;width:14px;height:14px;border-radius:7px;background:{colour};"
            f"border:2px solid {ring};box-shadow:0 0 2px rgba(0,0,0,.6)'></span>")


def _badge(colour: str, text: str) -> str:
    return (f"<span style='display:inline-block;min-width:18px;height:18px;border-radius:9px;background:{colour};"
            f"color:#fff;font:bold 11px/18px sans-serif;text-align:center'>{text}</span>")


def _view_rows(result: cv.CoverageResult, view: str, lang: str) -> list[str]:
    """The rows for the analysis view: bands, coverage by tier, catchments or overlap counts."""
    s = result.settings
    rows = []
    if view == "coverage" and len(s.minutes) > 1:
        lower = 0.0
        for m, colour in zip(s.minutes, BAND_COLOURS):
            rows.append(maps.legend_row(maps.swatch(colour, opacity=0.7), tr("lg_band", lang, a=lower, b=m)))
            lower = m
    elif view == "coverage":
        chips = "".join(f"<span style='display:inline-block;width:6px;height:12px;background:{maps.TIER_COLOURS[t]};"
                        f"opacity:0.45'></span>" for t in s.tiers)
        rows.append(maps.legend_row(chips, tr("lg_cover_tier", lang, minutes=minutes_text(s.minutes, lang))))
    elif view == "catchments":
        rows.append(maps.legend_row(maps.swatch("#8dd3c7").replace(
            "background:#8dd3c7", "background-image:linear-gradient(90deg,#8dd3c7,#fb8072,#80b1d3,#fdb462)"),
            tr("lg_catch", lang)))
    else:
        for n in range(1, len(OVERLAP_COLOURS) + 1):
            label = tr("lg_overlap", lang, n=f"{n}+" if n == len(OVERLAP_COLOURS) else n)
            rows.append(maps.legend_row(maps.swatch(overlap_colour(n)), label))
    return rows


def _extra_rows(extras: Extras, lang: str) -> list[str]:
    rows = []
    if extras.selected_gap:
        rows.append(maps.legend_row(maps.swatch("transparent", "#000000"), tr("lg_selected", lang)))
    if extras.sites:
        rows.append(maps.legend_row(_badge(SITE_COLOUR, "1"), tr("lg_sites", lang, n=extras.sites)))
    if extras.query:
        rows.append(maps.legend_row(_dot("#1f1f1f"), tr("lg_point", lang)))
        rows.append(maps.legend_row(_badge(NEAR_COLOUR, "1"), tr("lg_nearest", lang)))
        rows.append(maps.legend_row(maps.swatch(NEAR_COLOUR, NEAR_COLOUR, 0.8), tr("lg_route", lang)))
        if extras.route:
            rows.append(maps.legend_row(_dot("#ffffff", NEAR_COLOUR), tr("lg_snap", lang)))
    return rows


def legend_group(lang: str, result: cv.CoverageResult | None, view: str = "coverage",
                 extras: Extras = Extras()) -> folium.FeatureGroup:
    """The legend for the current view and extras, as a feature group (kept out of the layer switcher)."""
    tiers = result.settings.tiers if result is not None else schema.TIERS  # no analysis: every centre shown
    rows = [maps.legend_row(maps.symbol_svg(t), tier_label(t, lang)) for t in schema.TIERS if t in tiers]
    if result is not None:
        rows += _view_rows(result, view, lang)
        rows.append(maps.legend_row(maps.swatch(maps.GAP_COLOUR, "#99000d", 0.75), tr("lg_gap", lang)))
    rows += _extra_rows(extras, lang)
    fg = folium.FeatureGroup(name=tr("legend", lang), control=False)
    maps.FoldControl(maps.esc(tr("legend", lang)), "".join(rows), "bottomleft", "lh-legend",
                     maps.NARROW_WIDTH).add_to(fg)
    return fg
