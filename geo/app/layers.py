"""The map layers that change with the controls, and the fixed base map.

The changing layers (coverage, bands, catchments, overlap, gaps, centres, the chosen gap, the
query point) are :class:`folium.FeatureGroup` objects sent to ``st_folium`` through
``feature_group_to_add``, so the base map (district, streets, communities) and the user's zoom
stay put while the controls change. Symbols and colours come from :mod:`geo.render.maps`.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from branca.element import MacroElement
from jinja2 import Template

from geo.app.text import minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import crs as _crs
from geo.engine import nearest
from geo.locale import area_km2, percent
from geo.render import maps

BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b")
OVERLAP_COLOURS = ("#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8")
CATCH_COLOURS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
                 "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9")


# --------------------------------------------------------------------------- the base map


def base_map(result: cv.CoverageResult, basemap: str, illustrative: bool, lang: str = "zh") -> folium.Map:
    """A fresh base map: district outline, streets, communities (and the folded illustrative notice).

    Its content depends only on the layers, the basemap and the language, never on minutes
    or tiers, so streamlit-folium keeps the same map (and the user's zoom) while those change.
    """
    m = maps.base_map(result, basemap, lang)
    maps.communities_layer(result, basemap, lang).add_to(m)
    maps.streets_layer(result, basemap, lang).add_to(m)
    maps.district_layer(result, basemap, lang).add_to(m)
    # clicking a polygon must not leave the browser's focus rectangle around it
    m.get_root().header.add_child(folium.Element(
        "<style>.leaflet-interactive:focus{outline:none}</style>"), name="lh_focus_css")
    if illustrative:
        maps.notice(lang).add_to(m)
    return m


def gaps_group(result: cv.CoverageResult, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Uncovered gaps in the strong colour (geo.render.maps), named in ``lang``."""
    return maps.gaps_layer(result, basemap, lang)


# --------------------------------------------------------------------------- centres and coverage


def center_info(result: cv.CoverageResult) -> pd.DataFrame:
    """Centres with tier, street, community and that community's covered share (%)."""
    table = maps.center_table(result)
    comm = result.communities[["code", "geometry"]]
    hit = gpd.sjoin(result.centers[["geometry"]], comm, how="left", predicate="within")
    hit = hit[~hit.index.duplicated()]
    code = result.centers["community_code"].where(result.centers["community_code"] != "", hit["code"])
    pct = result.summary[result.summary["level"] == "community"].set_index("code")["covered_pct"]
    table["community_pct"] = code.map(pct)
    table["community_code"] = code.fillna("").astype(str)
    return table


def _center_tip_base(row: pd.Series, lang: str) -> list[str]:
    """A centre's tooltip lines that never change with the controls: name, tier, street, community."""
    sep = tr("tip_sep", lang)
    lines = [f"<b>{maps.esc(row['name'])}</b>",
             f"{tr('tip_tier', lang)}{sep}{maps.esc(tier_label(row['tier'], lang))}"]
    if row["street"]:
        lines.append(f"{tr('tip_street', lang)}{sep}{maps.esc(row['street'])}")
    if row["community"]:
        lines.append(f"{tr('tip_community', lang)}{sep}{maps.esc(row['community'])}")
    return lines


class CentreTier(MacroElement):
    """Registers a base map's tier of centres (``window.__lhCentres[tier]``) so the changing layers
    can show, hide and relabel it (:class:`CentresShown`) instead of drawing every marker again."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (window.__lhCentres = window.__lhCentres || {})[{{ this.tier|tojson }}] = {{ this._parent.get_name() }};
        {% endmacro %}
    """)

    def __init__(self, tier: str) -> None:
        super().__init__()
        self._name = "CentreTier"
        self.tier = tier


class CentresShown(MacroElement):
    """Which tiers of the base map's centres are shown, and each tooltip's last line (the covered
    share of the centre's community at the limit): set in the browser, no marker drawn again."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var reg = window.__lhCentres || {}, on = {{ this.tiers|tojson }};
            var pct = {{ this.pct|tojson }}, prefix = {{ this.prefix|tojson }};
            Object.keys(reg).forEach(function (tier) {
                var group = reg[tier];
                group.eachLayer(function (gj) {
                    if (!gj.eachLayer) { return; }
                    gj.eachLayer(function (marker) {
                        var p = marker.feature.properties, v = pct[p.code];
                        if (p.base === undefined) { p.base = p.tip; }
                        p.tip = v === undefined ? p.base : p.base + "<br>" + prefix + v;
                    });
                });
                if (on.indexOf(tier) >= 0) { if (!map.hasLayer(group)) { map.addLayer(group); } }
                else if (map.hasLayer(group)) { map.removeLayer(group); }
            });
        })({{ this._parent._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, tiers: list[str], pct: dict[str, str], prefix: str) -> None:
        super().__init__()
        self._name = "CentresShown"
        self.tiers, self.pct, self.prefix = list(tiers), dict(pct), prefix


def base_centres_groups(base: cv.CoverageResult, basemap: str, lang: str = "zh") -> list[folium.FeatureGroup]:
    """Every centre of the layers, one group per tier, for the planner's base map: drawn once per
    iframe; :func:`centres_state_group` chooses the tiers shown and completes the tooltips."""
    info = center_info(base)
    pts = maps.to_display(base.centers[["geometry"]], basemap)
    groups = []
    for tier in ("community", "station", "street", "district"):
        idx = info.index[info["tier"] == tier]
        if len(idx):
            tips = ["<br>".join(_center_tip_base(info.loc[i], lang)) for i in idx]
            gdf = gpd.GeoDataFrame({"tip": tips, "code": info.loc[idx, "community_code"].to_list()},
                                   geometry=pts.geometry.loc[idx].to_numpy(), crs="EPSG:4326")
            name = tr("layer_centres", lang, tier=tier_label(tier, lang), n=len(idx))
            group = maps.centre_group(tier, gdf.to_geo_dict(), name)
            CentreTier(tier).add_to(group)
            groups.append(group)
    return groups


def centres_state_group(result: cv.CoverageResult | None, lang: str = "zh") -> folium.FeatureGroup:
    """The base map's centres for ``result``: its tiers shown, each tooltip ending with the covered
    share of the centre's community at the limit (no centres when there is no analysis)."""
    fg = folium.FeatureGroup(name="centres", control=False)
    if result is None:
        CentresShown([], {}, "").add_to(fg)
        return fg
    info = center_info(result)
    info = info[info["community_pct"].notna() & (info["community_code"] != "")]
    pct = {c: percent(v, lang) for c, v in zip(info["community_code"], info["community_pct"])}
    minutes = minutes_text((result.settings.limit_minutes,), lang)
    prefix = tr("tip_community_covered", lang, minutes=minutes) + tr("tip_sep", lang)
    CentresShown(sorted(set(result.centers["tier"])), pct, prefix).add_to(fg)
    return fg


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage_geojson(key: tuple, basemap: str, _result: cv.CoverageResult) -> list[tuple[str, dict]]:
    """Per tier, the union of its centres' walking areas clipped to the district (cached)."""
    limit = _result.settings.limit_minutes
    out = []
    for tier in ("community", "station", "street", "district"):
        if tier not in set(_result.areas["tier"]):
            continue
        geom = shapely.intersection(cv.union_of(_result.areas, limit, [tier]), _result.district)
        gdf = maps.to_display(_gdf([geom], _result.crs, tier=[tier]), basemap)
        if len(gdf):
            out.append((tier, gdf.to_geo_dict()))
    return out


def coverage_group(result: cv.CoverageResult, basemap: str, lang: str = "zh",
                   key: tuple | None = None) -> folium.FeatureGroup:
    """Coverage at the limit, one translucent area per tier in the tier's colour (the style of
    :func:`geo.render.maps.coverage_layer`), from cached GeoJSON; named in ``lang``."""
    limit = result.settings.limit_minutes
    fg = folium.FeatureGroup(name=tr("layer_cover", lang, m=f"{limit:g}"))
    for tier, geo in _coverage_geojson(key or ("uncached", id(result)), basemap, result):
        colour = maps.TIER_COLOURS[tier]
        folium.GeoJson(geo, pane="lh-coverage", interactive=False,
                       style_function=lambda f, c=colour: {"color": c, "weight": 0.8, "fillColor": c,
                                                           "fillOpacity": 0.14}).add_to(fg)
    return fg


def _gdf(geoms, crs, **cols) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)
    gdf["geometry"] = shapely.simplify(np.asarray(gdf.geometry.values), maps.SIMPLIFY_M, preserve_topology=True)
    return gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]


def bands_group(result: cv.CoverageResult, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Nested walking bands (0–5, 5–10, 10–15 min), darker nearer the centres."""
    b = cv.bands(result.areas, result.district)
    fg = folium.FeatureGroup(name=tr("layer_bands", lang))
    labels = [tr("lg_band", lang, a=a, b=m) for a, m in zip(b["minutes_from"], b["minutes"])]
    gdf = maps.to_display(_gdf(b.geometry, b.crs, label=labels, colour=list(BAND_COLOURS[: len(b)])), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_bands", lang), pane="lh-coverage", interactive=False,
                       style_function=lambda f: {"color": f["properties"]["colour"], "weight": 0.5,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.45},
                       ).add_to(fg)
    return fg


def catchments_group(catch: gpd.GeoDataFrame, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Each centre's catchment in its own colour, with the centre's name and area served."""
    fg = folium.FeatureGroup(name=tr("layer_catch", lang))
    served = tr("tip_served", lang) + tr("tip_sep", lang)
    tips = [f"<b>{maps.esc(n)}</b><br>{maps.esc(tier_label(t, lang))}<br>{served}{area_km2(a, lang)}"
            for n, t, a in zip(catch["name"], catch["tier"], catch["area_km2"])]
    colours = [CATCH_COLOURS[i % len(CATCH_COLOURS)] for i in range(len(catch))]
    gdf = maps.to_display(_gdf(catch.geometry, catch.crs, tip=tips, colour=colours), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_catch", lang), pane="lh-coverage",
                       style_function=lambda f: {"color": "#555555", "weight": 0.6,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.6},
                       tooltip=folium.GeoJsonTooltip(["tip"], labels=False)).add_to(fg)
    return fg


def overlap_colour(count: int) -> str:
    """Fill colour for an overlap count (1, 2, … 6+)."""
    return OVERLAP_COLOURS[min(max(int(count), 1), len(OVERLAP_COLOURS)) - 1]


def overlap_group(ov: gpd.GeoDataFrame, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Places by how many centres reach them (count 0 is left to the gaps layer)."""
    fg = folium.FeatureGroup(name=tr("layer_overlap", lang))
    ov = ov[ov["count"] > 0]
    tips = [tr("lg_overlap", lang, n=int(c)) for c in ov["count"]]
    gdf = maps.to_display(_gdf(ov.geometry, ov.crs, tip=tips,
                               colour=[overlap_colour(c) for c in ov["count"]]), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_overlap", lang), pane="lh-coverage",
                       style_function=lambda f: {"color": f["properties"]["colour"], "weight": 0.3,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.7},
                       tooltip=folium.GeoJsonTooltip(["tip"], labels=False)).add_to(fg)
    return fg


def selected_gap_group(result: cv.CoverageResult, gap_id: int, basemap: str,
                       lang: str = "zh") -> folium.FeatureGroup:
    """A thick outline around the chosen gap."""
    fg = folium.FeatureGroup(name=tr("layer_selected", lang))
    row = result.gaps[result.gaps["gap_id"] == gap_id]
    if len(row):
        gdf = maps.to_display(_gdf(row.geometry, row.crs, gap=[int(gap_id)]), basemap)
        folium.GeoJson(gdf.to_json(), name=tr("layer_selected", lang), pane="lh-gaps", interactive=False,
                       style_function=lambda f: {"color": "#000000", "weight": 4, "dashArray": "8 4",
                                                 "fill": False}).add_to(fg)
    return fg


NEAR_COLOUR = "#e31a1c"


def near_icon(rank: int, colour: str = NEAR_COLOUR, css: str = "lh-near") -> folium.DivIcon:
    """A numbered round marker (the k nearest centres, the suggested sites)."""
    html = (f"<div style='width:24px;height:24px;border-radius:12px;background:{colour};color:#fff;"
            f"border:2px solid #fff;box-shadow:0 0 3px rgba(0,0,0,.6);font:bold 13px/20px sans-serif;"
            f"text-align:center'>{int(rank)}</div>")
    return folium.DivIcon(html=html, icon_size=(24, 24), icon_anchor=(12, 12), class_name=f"{css} {css}-{rank}")


def query_group(res: nearest.NearestResult, centers: gpd.GeoDataFrame, basemap: str,
                lang: str = "zh") -> folium.FeatureGroup:
    """The query point, the nearest centres numbered 1, 2, 3, and the way to them: the walking
    route to the first (network) or a straight line to each (circles)."""
    fg = folium.FeatureGroup(name=tr("layer_query", lang))
    by_id = centers.drop_duplicates("id").set_index("id").geometry
    near = [by_id.get(cid) for cid in res.table["id"]]
    geoms, kinds = [res.point], ["point"]
    if res.snapped is not None:
        geoms, kinds = geoms + [res.snapped], kinds + ["snap"]
    if res.route is not None:
        geoms, kinds = geoms + [res.route], kinds + ["route"]
    else:
        geoms += [shapely.LineString([res.point, c]) for c in near if c is not None]
        kinds += ["line"] * sum(c is not None for c in near)
    geoms += [c for c in near if c is not None]
    kinds += [f"near{i + 1}" for i, c in enumerate(near) if c is not None]
    gdf = maps.to_display(gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs="EPSG:4326"), basemap)
    names = dict(zip([f"near{i + 1}" for i in range(len(res.table))], res.table["name"].astype(str)))
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind in ("route", "line"):
            folium.PolyLine([(y, x) for x, y in geom.coords], color=NEAR_COLOUR, weight=5 if kind == "route" else 2.5,
                            opacity=0.9, dash_array=None if kind == "route" else "6 6",
                            tooltip=tr("lg_route", lang)).add_to(fg)
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind == "point":
            folium.CircleMarker([geom.y, geom.x], radius=9, color="#ffffff", weight=3, fill=True,
                                fill_color="#1f1f1f", fill_opacity=1.0, class_name="lh-query",
                                tooltip=tr("lg_point", lang)).add_to(fg)
        elif kind == "snap":
            folium.CircleMarker([geom.y, geom.x], radius=5, color=NEAR_COLOUR, weight=2, fill=True,
                                fill_color="#ffffff", fill_opacity=1.0, class_name="lh-snap",
                                tooltip=tr("lg_snap", lang)).add_to(fg)
        elif kind.startswith("near"):
            rank = int(kind[4:])
            folium.Marker([geom.y, geom.x], icon=near_icon(rank), z_index_offset=1000,
                          tooltip=maps.esc(f"{rank}. {names.get(kind, '')}")).add_to(fg)
    return fg


def click_to_wgs84(lat: float, lng: float, basemap: str) -> tuple[float, float]:
    """A map click (display coordinates) as WGS-84 ``(lon, lat)``; AMap maps draw in GCJ-02."""
    if basemap == "amap":
        lon, la = _crs.convert(lng, lat, "gcj02", "wgs84")
        return float(lon), float(la)
    return float(lng), float(lat)


