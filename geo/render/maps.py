"""Interactive (folium) maps of a coverage result, shared by the app and the HTML export.

The map is built from small layer builders so the Streamlit page can keep the fixed layers
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
from branca.element import MacroElement, Template

from geo.engine import coverage as cv
from geo.engine import crs as _crs
from geo.engine import schema
from geo.io import data
from geo.render.safe_html import escape_text

BASEMAPS: tuple[str, ...] = ("none", "osm", "amap")
BASEMAP_LABELS: dict[str, str] = {"none": "无底图（离线）", "osm": "OpenStreetMap", "amap": "高德地图"}
AMAP_TILES = ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
              "&x={x}&y={y}&z={z}")
AMAP_ATTR = "&copy; 高德地图 AutoNavi"

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
# Leaflet panes, so drawing order does not depend on the order layers are added (the app adds
# the changing layers after the fixed ones): coverage under the boundaries, gaps above them
# (their tooltips win), centres in the default overlay pane (z 400) on top of everything.
PANES: dict[str, int] = {"lh-coverage": 360, "lh-boundaries": 370, "lh-gaps": 390}


class MapError(ValueError):
    """A map option that cannot be honoured (unknown basemap, …)."""


# One escaper for all user text shown in HTML (names come from user files): HTML special
# characters plus the backtick, ``$`` and backslash of the JavaScript template literal folium
# puts tooltips in.
esc = escape_text


def check_basemap(basemap: str) -> str:
    """The basemap name, or :class:`MapError`."""
    if basemap not in BASEMAPS:
        raise MapError(f"unknown basemap {basemap!r}: use {', '.join(BASEMAPS)}")
    return basemap


def to_display(gdf: gpd.GeoDataFrame, basemap: str = "none") -> gpd.GeoDataFrame:
    """Layer in the coordinates the map draws in: WGS-84, or GCJ-02 for AMap tiles."""
    out = gdf.to_crs("EPSG:4326")
    if check_basemap(basemap) == "amap":
        # AMap tiles are GCJ-02: shift our WGS-84 layers by the same obfuscation so they
        # line up with the tiles (coordinates shown to the user stay WGS-84 everywhere else).
        out = _crs.convert_gdf(out, "wgs84", "gcj02")
    return out


def _geom_gdf(geoms: Iterable, crs, **cols) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)
    gdf["geometry"] = shapely.simplify(np.asarray(gdf.geometry.values), SIMPLIFY_M, preserve_topology=True)
    return gdf[~gdf.geometry.is_empty]


def illustrative(result: cv.CoverageResult) -> bool:
    """True when the result's streets, communities or centres are illustrative."""
    return data.is_illustrative(result.streets, result.communities, result.centers)


def minutes_label(result: cv.CoverageResult) -> str:
    """``15分钟`` or ``5/10/15分钟``."""
    return "/".join(f"{m:g}" for m in result.settings.minutes) + "分钟"


# --------------------------------------------------------------------------- tables for labels


def center_table(result: cv.CoverageResult) -> pd.DataFrame:
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
        "tier_label": c["tier"].map(schema.TIER_LABELS),
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


def center_tooltip(row: pd.Series) -> str:
    """Tooltip HTML of one centre (every field escaped)."""
    lines = [f"<b>{esc(row['name'])}</b>", f"级别：{esc(row['tier_label'])}"]
    if row["street"]:
        lines.append(f"街道：{esc(row['street'])}")
    if row["community"]:
        lines.append(f"村（社区）：{esc(row['community'])}")
    return "<br>".join(lines)


# --------------------------------------------------------------------------- layers


def add_panes(m: folium.Map) -> folium.Map:
    """Create the panes the layers of this module draw into (:data:`PANES`). :func:`base_map`
    calls it; a map made elsewhere needs it before :func:`coverage_layer`/:func:`gaps_layer`
    are added to it (for example through ``st_folium(feature_group_to_add=...)``)."""
    for name, z in PANES.items():
        folium.map.CustomPane(name, z_index=z, pointer_events=name != "lh-coverage").add_to(m)
    return m


def base_map(result: cv.CoverageResult, basemap: str = "none", **kwargs) -> folium.Map:
    """An empty map fitted to the district, with the chosen basemap (or none)."""
    check_basemap(basemap)
    kwargs.setdefault("zoom_snap", 0.25)  # fit the district snugly, not to a whole zoom level
    m = folium.Map(tiles=None, control_scale=True, **kwargs)
    add_panes(m)
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=BASEMAP_LABELS["osm"]).add_to(m)
    elif basemap == "amap":
        folium.TileLayer(AMAP_TILES, attr=AMAP_ATTR, name=BASEMAP_LABELS["amap"], subdomains="1234",
                         max_zoom=18).add_to(m)
    dist = to_display(gpd.GeoDataFrame(geometry=[result.district], crs=result.crs), basemap)
    minx, miny, maxx, maxy = dist.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def district_layer(result: cv.CoverageResult, basemap: str = "none") -> folium.GeoJson:
    """The district outline."""
    gdf = to_display(_geom_gdf([result.district], result.crs, name=[data.district_label(lang="zh")]), basemap)
    return folium.GeoJson(gdf.to_json(), name="区界", control=False, pane="lh-boundaries", interactive=False,
                          style_function=lambda f: {"color": DISTRICT_COLOUR, "weight": 3, "fill": False})


def _suffix(layer: pd.DataFrame, col: str) -> str:
    return "（示意）" if col in layer and (layer[col] == "illustrative").any() else ""


def streets_layer(result: cv.CoverageResult, basemap: str = "none",
                  label: str = "街道") -> folium.GeoJson:
    """Street boundaries with the (escaped) street name as tooltip (``label`` names the field)."""
    s = result.streets
    gdf = to_display(_geom_gdf(s.geometry, s.crs, name=[esc(n) for n in s["name"]]), basemap)
    return folium.GeoJson(
        gdf.to_json(), name="街道" + _suffix(s, "geometry_source"), pane="lh-boundaries",
        style_function=lambda f: {"color": STREET_COLOUR, "weight": 2, "dashArray": "6 3", "fill": False},
        tooltip=folium.GeoJsonTooltip(["name"], aliases=[label]))


def communities_layer(result: cv.CoverageResult, basemap: str = "none",
                      labels: tuple[str, str] = ("村（社区）", "街道")) -> folium.GeoJson:
    """Community boundaries with (escaped) community and street names as tooltip."""
    c = result.communities
    street_names = result.streets.set_index("code")["name"]
    gdf = to_display(_geom_gdf(c.geometry, c.crs, name=[esc(n) for n in c["name"]],
                               street=[esc(street_names.get(s, "")) for s in c["street_code"]]), basemap)
    return folium.GeoJson(
        gdf.to_json(), name="村（社区）" + _suffix(c, "geometry_source"), pane="lh-boundaries",
        style_function=lambda f: {"color": COMMUNITY_COLOUR, "weight": 0.8, "fill": True, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(["name", "street"], aliases=list(labels)))


def centers_layers(result: cv.CoverageResult, basemap: str = "none") -> list[folium.FeatureGroup]:
    """One feature group per tier, each centre drawn with its tier's symbol (largest tier on top)."""
    table = center_table(result)
    pts = to_display(result.centers[["geometry"]], basemap)
    suffix = _suffix(result.centers, "position_source")
    groups = []
    for tier in ("community", "station", "street", "district"):
        sel = table.index[table["tier"] == tier]
        if len(sel) == 0:
            continue
        gdf = gpd.GeoDataFrame({"tip": [center_tooltip(table.loc[i]) for i in sel]},
                               geometry=pts.geometry.loc[sel].to_numpy(), crs="EPSG:4326")
        groups.append(centre_group(tier, gdf.to_geo_dict(), f"{schema.TIER_LABELS[tier]}（{len(sel)}）{suffix}"))
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


def add_base_layers(m: folium.Map, result: cv.CoverageResult, basemap: str = "none") -> folium.Map:
    """Add the fixed layers (outline, streets, communities, centres by tier) to ``m``."""
    communities_layer(result, basemap).add_to(m)
    streets_layer(result, basemap).add_to(m)
    district_layer(result, basemap).add_to(m)
    for fg in centers_layers(result, basemap):
        fg.add_to(m)
    return m


def coverage_layer(result: cv.CoverageResult, basemap: str = "none") -> folium.FeatureGroup:
    """Walking coverage at the largest limit, one translucent area per tier, clipped to the district."""
    limit = result.settings.limit_minutes
    mode = "圆形缓冲" if result.settings.mode == "circle" else "路网步行"
    fg = folium.FeatureGroup(name=f"{limit:g}分钟覆盖范围（按级别）")
    for tier in ("community", "station", "street", "district"):
        if tier not in set(result.areas["tier"]):
            continue
        geom = shapely.intersection(cv.union_of(result.areas, limit, [tier]), result.district)
        gdf = to_display(_geom_gdf([geom], result.crs, tier=[tier]), basemap)
        if len(gdf) == 0:
            continue
        colour = TIER_COLOURS[tier]
        folium.GeoJson(
            gdf.to_json(), name=f"{schema.TIER_LABELS[tier]} · 步行{limit:g}分钟覆盖（{mode}）",
            pane="lh-coverage", interactive=False,
            style_function=lambda f, c=colour: {"color": c, "weight": 0.8, "fillColor": c, "fillOpacity": 0.14},
        ).add_to(fg)
    return fg


def gaps_layer(result: cv.CoverageResult, basemap: str = "none") -> folium.FeatureGroup:
    """Uncovered gaps in a strong colour, with area and the communities each touches."""
    fg = folium.FeatureGroup(name=f"未覆盖空白区域（{len(result.gaps)}）")
    if len(result.gaps) == 0:
        return fg
    info = cv.gap_communities(result).set_index("gap_id")
    gaps = result.gaps.copy()
    gaps["tip"] = [
        (f"<b>空白区域 {int(g)}</b><br>面积：{a / 1e4:,.1f} 公顷"
         f"<br>涉及村（社区）：{esc(info.at[g, 'communities'] or '—')}"
         f"<br>所属街道：{esc(info.at[g, 'streets'] or '—')}")
        for g, a in zip(gaps["gap_id"], gaps["area_m2"])]
    gdf = to_display(_geom_gdf(gaps.geometry, gaps.crs, tip=gaps["tip"].to_list()), basemap)
    folium.GeoJson(
        gdf.to_json(), name="空白区域", pane="lh-gaps",
        style_function=lambda f: {"color": "#99000d", "weight": 1, "fillColor": GAP_COLOUR, "fillOpacity": 0.55},
        tooltip=folium.GeoJsonTooltip(["tip"], labels=False),
    ).add_to(fg)
    return fg


# --------------------------------------------------------------------------- controls


class _HtmlControl(MacroElement):
    """A Leaflet control holding a block of HTML (already escaped by the caller)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
            div.innerHTML = {{ this.content|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, content: str, position: str = "bottomleft", css_class: str = "lh-control"):
        super().__init__()
        self._name = "HtmlControl"
        self.content = content
        self.position = position
        self.css_class = css_class


_BOX = ("background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.5 'Noto Sans CJK SC','Microsoft YaHei',"
        "'PingFang SC',sans-serif;color:#222;")


def legend(result: cv.CoverageResult | None = None, *, tiers: Iterable[str] = schema.TIERS,
           minutes: str = "15分钟", speed_kmh: float = 4.0) -> MacroElement:
    """The map legend in Chinese (tiers, coverage, gaps) as a Leaflet control."""
    if result is not None:
        tiers = [t for t in schema.TIERS if t in set(result.centers["tier"])]
        minutes = minutes_label(result)
        speed_kmh = result.settings.speed_kmh
    rows = ["<div style='font-weight:bold;margin-bottom:4px'>图例</div>"]
    for t in tiers:
        rows.append(
            f"<div style='display:flex;align-items:center;gap:6px'>"
            f"<span style='display:inline-flex;width:22px;justify-content:center'>{symbol_svg(t)}</span>"
            f"{esc(schema.TIER_LABELS[t])}</div>")
    swatches = "".join(
        f"<span style='display:inline-block;width:5px;height:12px;background:{TIER_COLOURS[t]};opacity:0.35'></span>"
        for t in tiers)
    rows.append(
        f"<div style='display:flex;align-items:center;gap:6px;margin-top:4px'>"
        f"<span style='display:inline-flex;width:22px;border:1px solid #999'>{swatches}</span>"
        f"步行{esc(minutes)}覆盖范围（{speed_kmh:.1f} km/h，颜色同中心级别）</div>")
    rows.append(
        f"<div style='display:flex;align-items:center;gap:6px'>"
        f"<span style='display:inline-block;width:22px;height:12px;background:{GAP_COLOUR};"
        f"opacity:0.75;border:1px solid #99000d'></span>未覆盖空白区域</div>")
    return _HtmlControl(f"<div style=\"{_BOX}\">{''.join(rows)}</div>", "bottomleft", "lh-legend")


def notice(text: str = data.ILLUSTRATIVE_NOTICE_ZH) -> MacroElement:
    """A visible warning box (the illustrative-data notice)."""
    style = _BOX + "background:#fff4ce;border:1px solid #e0b000;max-width:340px;"
    head, sep, body = text.partition("：")
    if not sep:
        head, body = "注意", text
    return _HtmlControl(f"<div style=\"{style}\"><b>{esc(head)}</b><br>{esc(body)}</div>",
                        "topright", "lh-notice")


def title_box(text: str, subtitle: str = "") -> MacroElement:
    """A title in the top-left corner (below the zoom buttons)."""
    sub = f"<div style='font-size:12px;color:#555'>{esc(subtitle)}</div>" if subtitle else ""
    return _HtmlControl(f"<div style=\"{_BOX}\"><div style='font-size:15px;font-weight:bold'>"
                        f"{esc(text)}</div>{sub}</div>", "topleft", "lh-title")


# --------------------------------------------------------------------------- the whole map


def interactive_map(result: cv.CoverageResult, basemap: str = "none", *, title: str | None = None,
                    show_coverage: bool = True, show_gaps: bool = True,
                    layer_control: bool = True, **map_kwargs) -> folium.Map:
    """The full interactive map of a result: base layers, coverage by tier, gaps, legend,
    title, the illustrative notice when it applies, and a layer switcher.

    ``basemap``: ``"none"`` (offline), ``"osm"`` or ``"amap"`` (layers shifted to GCJ-02).
    """
    m = base_map(result, basemap, **map_kwargs)
    if show_coverage:
        coverage_layer(result, basemap).add_to(m)
    if show_gaps:
        gaps_layer(result, basemap).add_to(m)
    add_base_layers(m, result, basemap)
    if title is not None:
        s = result.settings
        title_box(title, f"步行{minutes_label(result)} · {s.speed_kmh:.1f} km/h · 覆盖率 {result.covered_pct:.1f}%"
                  ).add_to(m)
    if illustrative(result):
        notice().add_to(m)
    legend(result).add_to(m)
    if layer_control:
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return m
