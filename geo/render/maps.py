"""Interactive (folium) maps of a coverage result, shared by the app and the HTML export.

The map is built from small layer builders (its Leaflet controls are :mod:`geo.render.controls`)
so the Streamlit page can keep the fixed layers
(:func:`add_base_layers`) apart from the ones that change with the controls
(:func:`coverage_layer`, :func:`gaps_layer`). Every text that may come from a user's file
(centre, street and community names) is HTML-escaped before it reaches a tooltip: Leaflet
shows tooltips as HTML.

Basemaps: ``"none"`` (no tiles: works offline, the default), ``"osm"`` (OpenStreetMap, WGS-84)
and ``"amap"`` (高德, whose tiles are drawn in GCJ-02: every layer is shifted WGS-84 → GCJ-02,
about 540 m in Shantou, so that it sits on the right streets of the tiles).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement

from geo.engine import coverage as cv
from geo.engine import crs as _crs
from geo.engine import schema
from geo.io import data
from geo.locale import Msg, Worded, number, percent
from geo.render.controls import BOX_STYLE, NARROW_WIDTH, FoldControl, HtmlControl, MapWords, ScaleBar
from geo.render.controls import FitBounds as FitBounds  # the app's and the tests' way in (re-exported)
from geo.render.controls import LocateButton as LocateButton
from geo.render.safe_html import escape_text
from geo.render.words import district_name, list_sep, minutes_text, notice_text, tier_name, word

BASEMAPS: tuple[str, ...] = ("none", "osm", "amap")
AMAP_TILES = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
              "&x={x}&y={y}&z={z}")

# Tier styles shared with the app and the static maps (geo.render.brief): a colour and a shape each
# (star, square, circle, triangle: see symbol_svg). Colours are from ColorBrewer
# "Paired"/"PuOr", distinguishable in print.
TIER_COLOURS: dict[str, str] = {
    "district": "#6a3d9a", "street": "#e66101", "community": "#1f78b4", "station": "#33a02c",
}
COVER_COLOUR = "#9fd3c7"     # covered area (union of every centre's walk)
GAP_COLOUR = "#d7301f"       # uncovered gaps: the strongest colour on the map
DISTRICT_COLOUR = "#252525"
STREET_COLOUR = "#4d4d4d"
COMMUNITY_COLOUR = "#a6a6a6"
CENTER_CLASS = "lh-centre"   # CSS class of every centre marker (tests count them)
SIMPLIFY_M = 3.0             # display simplification, metres
DISPLAY_DECIMALS = 6         # degrees on the map: 1e-6 is about 0.1 m
# Leaflet panes, so drawing order does not depend on the order layers are added (the app adds
# the changing layers after the fixed ones): coverage under the boundaries, gaps above them
# (their tooltips win), centres in the default overlay pane (z 400) on top of everything.
PANES: dict[str, int] = {"lh-coverage": 360, "lh-boundaries": 370, "lh-gaps": 390}


class MapError(Worded, ValueError):
    """A map option that cannot be honoured (unknown basemap, …): ``msg`` (``map.err_*``)."""


# One escaper for all user text shown in HTML (names come from user files): HTML special
# characters plus the backtick, ``$`` and backslash of the JavaScript template literal folium
# puts tooltips in.
esc = escape_text


def check_basemap(basemap: str) -> str:
    """The basemap name, or :class:`MapError`."""
    if basemap not in BASEMAPS:
        raise MapError(Msg.of("map.err_basemap", basemap=repr(basemap), basemaps=list(BASEMAPS)))
    return basemap


def to_display(gdf: gpd.GeoDataFrame, basemap: str = "none") -> gpd.GeoDataFrame:
    """Layer in the coordinates the map draws in: WGS-84, or GCJ-02 for AMap tiles, rounded to
    ``DISPLAY_DECIMALS`` (about 0.1 m; the layers are simplified by 3 m anyway), which makes the
    GeoJSON a map receives on every change about half as long."""
    out = gdf.to_crs("EPSG:4326")
    if check_basemap(basemap) == "amap":
        # AMap tiles are GCJ-02: shift our WGS-84 layers by the same obfuscation so they
        # line up with the tiles (coordinates shown to the user stay WGS-84 everywhere else).
        out = _crs.convert_gdf(out, "wgs84", "gcj02")
    geoms = np.asarray(out.geometry.values)
    out["geometry"] = shapely.transform(geoms, lambda xy: np.round(xy, DISPLAY_DECIMALS))
    return out


def _geom_gdf(geoms: Iterable, crs, **cols) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)
    gdf["geometry"] = shapely.simplify(np.asarray(gdf.geometry.values), SIMPLIFY_M, preserve_topology=True)
    return gdf[~gdf.geometry.is_empty]


def illustrative(result: cv.CoverageResult) -> bool:
    """True when the result's streets, communities or centres are illustrative."""
    return data.is_illustrative(result.streets, result.communities, result.centers)


def minutes_label(result: cv.CoverageResult, lang: str = "zh") -> str:
    """``15分钟`` or ``5/10/15分钟`` (``15 min`` in English)."""
    return minutes_text(tuple(result.settings.minutes), lang)


# --------------------------------------------------------------------------- tables for labels


def center_table(result: cv.CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """Centres with their tier label, street name and community name (community found by
    position when the centre carries no community code)."""
    c = result.centers
    street_names = result.streets.set_index("code")["name"]
    comm = result.communities[["code", "name", "geometry"]]
    comm_names = comm.set_index("code")["name"]
    hit = gpd.sjoin(c[["geometry"]], comm, how="left", predicate="within")
    hit = hit[~hit.index.duplicated()]
    by_code = c["community_code"].map(comm_names)
    out = pd.DataFrame({
        "id": c["id"].astype(str), "name": c["name"].astype(str), "tier": c["tier"],
        "tier_label": c["tier"].map(lambda t: tier_name(t, lang)),
        "street": c["street_code"].map(street_names).fillna(""),
        "community": by_code.fillna(hit["name"]).fillna(""),
    }, index=c.index)
    return out


# Four distinct shapes (colours from geo.render.maps): star, square, circle, triangle.
SYMBOL_SIZE: dict[str, int] = {"district": 24, "street": 16, "community": 12, "station": 14}


def symbol_svg(tier: str, size: int | None = None) -> str:
    """Inline SVG of a tier's marker symbol (needs no icon font or network)."""
    s = size or SYMBOL_SIZE[tier]
    c = TIER_COLOURS[tier]
    stroke = "stroke='#ffffff' stroke-width='1.5'"
    if tier == "district":
        pts = []
        for i in range(10):
            r = 11.5 if i % 2 == 0 else 5.0
            a = math.pi / 2 + i * math.pi / 5
            pts.append(f"{12 + r * math.cos(a):.2f},{12 - r * math.sin(a):.2f}")
        shape = f"<polygon points='{' '.join(pts)}' fill='{c}' {stroke}/>"
    elif tier == "street":
        shape = f"<rect x='3' y='3' width='18' height='18' rx='2' fill='{c}' {stroke}/>"
    elif tier == "community":
        shape = f"<circle cx='12' cy='12' r='9.5' fill='{c}' {stroke}/>"
    else:
        shape = f"<polygon points='12,2 22.5,20.5 1.5,20.5' fill='{c}' {stroke}/>"
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{s}' height='{s}' viewBox='0 0 24 24' "
            f"style='display:block;filter:drop-shadow(0 0 1px rgba(0,0,0,.7))'>{shape}</svg>")


def center_tooltip(row: pd.Series, lang: str = "zh") -> str:
    """Tooltip HTML of one centre (every field escaped)."""
    sep = word("tip_sep", lang)
    lines = [f"<b>{esc(row['name'])}</b>", f"{word('tip_tier', lang)}{sep}{esc(row['tier_label'])}"]
    if row["street"]:
        lines.append(f"{word('tip_street', lang)}{sep}{esc(row['street'])}")
    if row["community"]:
        lines.append(f"{word('tip_community', lang)}{sep}{esc(row['community'])}")
    return "<br>".join(lines)


# --------------------------------------------------------------------------- layers


def add_panes(m: folium.Map) -> folium.Map:
    """Create the panes the layers of this module draw into (:data:`PANES`). :func:`base_map`
    calls it; a map made elsewhere needs it before :func:`coverage_layer`/:func:`gaps_layer`
    are added to it (for example through ``st_folium(feature_group_to_add=...)``)."""
    for name, z in PANES.items():
        folium.map.CustomPane(name, z_index=z, pointer_events=name != "lh-coverage").add_to(m)
    return m


def base_map(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh", **kwargs) -> folium.Map:
    """An empty map fitted to the district, with the chosen basemap (or none)."""
    check_basemap(basemap)
    kwargs.setdefault("zoom_snap", 0.25)  # fit the district snugly, not to a whole zoom level
    zoom = kwargs.pop("zoom_control", True)
    m = folium.Map(tiles=None, control_scale=False, zoom_control=False, **kwargs)
    MapWords(lang, zoom=bool(zoom)).add_to(m)
    add_panes(m)
    ScaleBar().add_to(m)
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=word("basemap_osm", lang)).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(AMAP_TILES, attr=word("amap_attr", lang),
                         name=word("basemap_amap", lang), subdomains="1234",
                         max_zoom=18).add_to(m)
    m.fit_bounds(district_bounds(result, basemap))
    return m


def district_bounds(result: cv.CoverageResult, basemap: str = "none", share: float = 1.0
                    ) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the district as the map draws it.

    With ``share`` < 1, of its largest parts only, enough to hold that share of its area: an
    island county's main island, not every islet around it (the map still draws them all).
    """
    parts = shapely.get_parts(result.district)
    area = shapely.area(parts)  # the district's metric CRS
    order = np.argsort(area)[::-1]
    keep = order[: int(np.searchsorted(np.cumsum(area[order]), share * area.sum() * (1 - 1e-12))) + 1]
    dist = to_display(gpd.GeoDataFrame(geometry=parts[keep], crs=result.crs), basemap)
    minx, miny, maxx, maxy = (float(v) for v in dist.total_bounds)
    return [[miny, minx], [maxy, maxx]]


def district_layer(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> folium.GeoJson:
    """The district outline."""
    gdf = to_display(_geom_gdf([result.district], result.crs, name=[district_name(result.place, lang)]), basemap)
    return folium.GeoJson(gdf.to_json(), name=word("district_outline", lang), control=False, pane="lh-boundaries",
                          interactive=False,
                          style_function=lambda f: {"color": DISTRICT_COLOUR, "weight": 3, "fill": False})


def _suffix(layer: pd.DataFrame, col: str, lang: str = "zh") -> str:
    return word("illustrative_suffix", lang) if col in layer and (layer[col] == "illustrative").any() else ""


def streets_layer(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> folium.GeoJson:
    """Street boundaries with the (escaped) street name as tooltip."""
    s = result.streets
    gdf = to_display(_geom_gdf(s.geometry, s.crs, name=[esc(n) for n in s["name"]]), basemap)
    return folium.GeoJson(
        gdf.to_json(), name=word("streets", lang) + _suffix(s, "geometry_source", lang), pane="lh-boundaries",
        style_function=lambda f: {"color": STREET_COLOUR, "weight": 2, "dashArray": "6 3", "fill": False},
        tooltip=folium.GeoJsonTooltip(["name"], aliases=[word("tip_street", lang)]))


def communities_layer(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> folium.GeoJson:
    """Community boundaries with (escaped) community and street names as tooltip."""
    c = result.communities
    street_names = result.streets.set_index("code")["name"]
    gdf = to_display(_geom_gdf(c.geometry, c.crs, name=[esc(n) for n in c["name"]],
                               street=[esc(street_names.get(s, "")) for s in c["street_code"]]), basemap)
    return folium.GeoJson(
        gdf.to_json(), name=word("communities", lang) + _suffix(c, "geometry_source", lang), pane="lh-boundaries",
        style_function=lambda f: {"color": COMMUNITY_COLOUR, "weight": 0.8, "fill": True, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(["name", "street"], aliases=[word("tip_community", lang),
                                                                   word("tip_street", lang)]))


def centers_layers(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> list[folium.FeatureGroup]:
    """One feature group per tier, each centre drawn with its tier's symbol (largest tier on top)."""
    table = center_table(result, lang)
    pts = to_display(result.centers[["geometry"]], basemap)
    suffix = _suffix(result.centers, "position_source", lang)
    groups = []
    for tier in ("community", "station", "street", "district"):
        sel = table.index[table["tier"] == tier]
        if len(sel) == 0:
            continue
        gdf = gpd.GeoDataFrame({"tip": [center_tooltip(table.loc[i], lang) for i in sel]},
                               geometry=pts.geometry.loc[sel].to_numpy(), crs="EPSG:4326")
        name = word("centres_layer", lang, tier=tier_name(tier, lang), n=len(sel), suffix=suffix)
        groups.append(centre_group(tier, gdf.to_geo_dict(), name))
    return groups


def centre_group(tier: str, points: dict, name: str) -> folium.FeatureGroup:
    """One tier's centres (GeoJSON points with an escaped ``tip`` property), each drawn with the
    tier's symbol; one GeoJSON layer sharing one icon keeps the page light."""
    fg = folium.FeatureGroup(name=name)
    size = SYMBOL_SIZE[tier]
    icon = folium.DivIcon(html=symbol_svg(tier), icon_size=(size, size), icon_anchor=(size // 2, size // 2),
                          class_name=f"{CENTER_CLASS} {CENTER_CLASS}-{tier}")
    folium.GeoJson(points, name=name, marker=folium.Marker(icon=icon),
                   tooltip=folium.GeoJsonTooltip(["tip"], labels=False)).add_to(fg)
    return fg


def add_base_layers(m: folium.Map, result: cv.CoverageResult, basemap: str = "none",
                    lang: str = "zh") -> folium.Map:
    """Add the fixed layers (outline, streets, communities, centres by tier) to ``m``."""
    communities_layer(result, basemap, lang).add_to(m)
    streets_layer(result, basemap, lang).add_to(m)
    district_layer(result, basemap, lang).add_to(m)
    for fg in centers_layers(result, basemap, lang):
        fg.add_to(m)
    return m


def coverage_layer(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> folium.FeatureGroup:
    """Walking coverage at the largest limit, one translucent area per tier, clipped to the district."""
    limit = result.settings.limit_minutes
    mode = word(f"mode_{result.settings.mode}", lang)
    fg = folium.FeatureGroup(name=word("coverage_layer", lang, m=f"{limit:g}"))
    for tier in ("community", "station", "street", "district"):
        if tier not in set(result.areas["tier"]):
            continue
        geom = shapely.intersection(cv.union_of(result.areas, limit, [tier]), result.district)
        gdf = to_display(_geom_gdf([geom], result.crs, tier=[tier]), basemap)
        if len(gdf) == 0:
            continue
        colour = TIER_COLOURS[tier]
        folium.GeoJson(
            gdf.to_json(), name=word("coverage_tier", lang, tier=tier_name(tier, lang), m=f"{limit:g}", mode=mode),
            pane="lh-coverage", interactive=False,
            style_function=lambda f, c=colour: {"color": c, "weight": 0.8, "fillColor": c, "fillOpacity": 0.14},
        ).add_to(fg)
    return fg


def gaps_layer(result: cv.CoverageResult, basemap: str = "none", lang: str = "zh") -> folium.FeatureGroup:
    """Uncovered gaps in a strong colour, with area and the communities each touches."""
    fg = folium.FeatureGroup(name=word("gaps_layer", lang, n=len(result.gaps)))
    if len(result.gaps) == 0:
        return fg
    info = cv.gap_communities(result).set_index("gap_id")
    gaps = result.gaps.copy()
    sep = list_sep(lang)
    gaps["tip"] = [word("gap_tip", lang, id=int(g), ha=number(a / 1e4, lang, 1),
                        comms=esc(sep.join(str(info.at[g, "communities"] or "—").split("、"))),
                        streets=esc(sep.join(str(info.at[g, "streets"] or "—").split("、"))))
                   for g, a in zip(gaps["gap_id"], gaps["area_m2"])]
    gdf = to_display(_geom_gdf(gaps.geometry, gaps.crs, tip=gaps["tip"].to_list()), basemap)
    folium.GeoJson(
        gdf.to_json(), name=word("gaps", lang), pane="lh-gaps",
        style_function=lambda f: {"color": "#99000d", "weight": 1, "fillColor": GAP_COLOUR, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(["tip"], labels=False),
    ).add_to(fg)
    return fg


# --------------------------------------------------------------------------- legend, notice, title


def legend_row(symbol: str, label: str) -> str:
    """One legend line: a symbol (HTML, already safe) and its label (escaped here)."""
    return (f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-flex;"
            f"width:24px;justify-content:center;flex:none'>{symbol}</span><span>{esc(label)}</span></div>")


def swatch(colour: str, border: str = "#666666", opacity: float = 0.8) -> str:
    """A small filled rectangle for a legend line."""
    return (f"<span style='display:inline-block;width:22px;height:12px;background:{colour};opacity:{opacity};"
            f"border:1px solid {border}'></span>")


def legend(result: cv.CoverageResult | None = None, *, tiers: Iterable[str] = schema.TIERS,
           minutes: str | None = None, speed_kmh: float = 4.0, lang: str = "zh",
           open_min_width: int | None = NARROW_WIDTH) -> MacroElement:
    """The map legend (tiers, coverage, gaps) as a collapsible Leaflet control."""
    if result is not None:
        tiers = [t for t in schema.TIERS if t in set(result.centers["tier"])]
        minutes = minutes_label(result, lang)
        speed_kmh = result.settings.speed_kmh
    minutes = minutes or minutes_text(15, lang)
    tiers = list(tiers)
    rows = [legend_row(symbol_svg(t), tier_name(t, lang)) for t in tiers]
    chips = "".join(f"<span style='display:inline-block;width:5px;height:12px;background:{TIER_COLOURS[t]};"
                    f"opacity:0.35'></span>" for t in tiers)
    rows.append(legend_row(f"<span style='display:inline-flex;border:1px solid #999'>{chips}</span>",
                           word("legend_cover", lang, minutes=minutes, speed=number(speed_kmh, lang, 1))))
    rows.append(legend_row(swatch(GAP_COLOUR, "#99000d", 0.75), word("legend_gap", lang)))
    return FoldControl(esc(word("legend", lang)), "".join(rows), "bottomleft", "lh-legend", open_min_width)


def notice(lang: str = "zh", *, open_min_width: int | None = None) -> MacroElement:
    """The illustrative-data notice: a one-line folded box (top right) that opens to the full text.

    Folded, it is a short line that leaves the zoom buttons free on a phone; ``open_min_width``
    opens it by itself on wide maps (the standalone HTML export, which has no page around it).
    """
    head, sep, body = notice_text(lang).partition(word("tip_sep", lang))
    body = body if sep else notice_text(lang)
    summary = f"⚠ {esc(word('notice_short', lang))}"
    return FoldControl(summary, esc(body), "topright", "lh-notice", open_min_width,
                       style="background:#fff4ce;border:1px solid #e0b000;max-width:min(320px, calc(100vw - 90px));")


def title_box(text: str, subtitle: str = "") -> MacroElement:
    """A title in the top-left corner (below the zoom buttons)."""
    sub = f"<div style='font-size:12px;color:#555'>{esc(subtitle)}</div>" if subtitle else ""
    return HtmlControl(f"<div style=\"{BOX_STYLE}max-width:calc(100vw - 140px)\"><div style='font-size:15px;"
                        f"font-weight:bold'>{esc(text)}</div>{sub}</div>", "topleft", "lh-title")


# --------------------------------------------------------------------------- the whole map


def interactive_map(result: cv.CoverageResult, basemap: str = "none", *, title: str | None = None,
                    show_coverage: bool = True, show_gaps: bool = True, lang: str = "zh",
                    layer_control: bool = True, **map_kwargs) -> folium.Map:
    """The full interactive map of a result: base layers, coverage by tier, gaps, legend,
    title, the illustrative notice when it applies, and a layer switcher, in ``lang``.

    ``basemap``: ``"none"`` (offline), ``"osm"`` or ``"amap"`` (layers shifted to GCJ-02).
    """
    m = base_map(result, basemap, lang, **map_kwargs)
    if show_coverage:
        coverage_layer(result, basemap, lang).add_to(m)
    if show_gaps:
        gaps_layer(result, basemap, lang).add_to(m)
    add_base_layers(m, result, basemap, lang)
    if title is not None:
        s = result.settings
        title_box(title, word("map_subtitle", lang, minutes=minutes_label(result, lang),
                              speed=number(s.speed_kmh, lang, 1), pct=percent(result.covered_pct, lang))).add_to(m)
    if illustrative(result):
        notice(lang, open_min_width=NARROW_WIDTH).add_to(m)
    legend(result, lang=lang).add_to(m)
    if layer_control:
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m
