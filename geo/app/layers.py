"""The map layers that change with the controls, and the fixed base map.

The changing layers (coverage, bands, catchments, overlap, gaps, centres, the chosen gap, the
query point) are :class:`folium.FeatureGroup` objects sent to ``st_folium`` through
``feature_group_to_add``, so the base map (district, streets, communities) and the user's zoom
stay put while the controls change. Symbols and colours come from :mod:`geo.render.maps`.
"""

from __future__ import annotations

import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from geo.app.text import minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import crs as _crs
from geo.engine import nearest
from geo.io import data
from geo.render import maps

MAP_HEIGHT = 620
BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b")
OVERLAP_COLOURS = ("#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8")
CATCH_COLOURS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
                 "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9")


# --------------------------------------------------------------------------- the base map


def base_map(result: cv.CoverageResult, basemap: str, illustrative: bool, lang: str = "zh") -> folium.Map:
    """A fresh base map: district outline, streets, communities (and the illustrative notice).

    Its content depends only on the layers, the basemap and the language, never on minutes
    or tiers, so streamlit-folium keeps the same map (and the user's zoom) while those change.
    """
    m = maps.base_map(result, basemap)
    comms = maps.communities_layer(result, basemap, (tr("tip_community", lang), tr("tip_street", lang)))
    streets = maps.streets_layer(result, basemap, tr("tip_street", lang))
    if lang == "en":  # the Chinese names (and their 示意 mark) are geo.render.maps' own
        suffix = tr("layer_illustrative", lang) if illustrative else ""
        comms.layer_name = tr("layer_communities", lang) + suffix
        streets.layer_name = tr("layer_streets", lang) + suffix
    comms.add_to(m)
    streets.add_to(m)
    maps.district_layer(result, basemap).add_to(m)
    # clicking a polygon must not leave the browser's focus rectangle around it
    m.get_root().header.add_child(folium.Element(
        "<style>.leaflet-interactive:focus{outline:none}</style>"), name="lh_focus_css")
    if illustrative:
        maps.notice(data.ILLUSTRATIVE_NOTICE_EN if lang == "en" else data.ILLUSTRATIVE_NOTICE_ZH).add_to(m)
    return m


def gaps_group(result: cv.CoverageResult, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Uncovered gaps in the strong colour (geo.render.maps), named in ``lang``."""
    fg = maps.gaps_layer(result, basemap)
    fg.layer_name = tr("layer_gaps", lang, n=len(result.gaps))
    return fg


def district_view(result: cv.CoverageResult, basemap: str) -> tuple[list[float], int]:
    """Map centre ``[lat, lon]`` and zoom showing the whole district."""
    d = maps.to_display(gpd.GeoDataFrame(geometry=[result.district], crs=result.crs), basemap)
    minx, miny, maxx, maxy = d.total_bounds
    return [(miny + maxy) / 2, (minx + maxx) / 2], zoom_for((maxx - minx) / 1.6, (maxy - miny) / 1.6)


def query_view(res: nearest.NearestResult, centers: gpd.GeoDataFrame,
               basemap: str) -> tuple[list[float], int]:
    """Map centre and zoom that show the query point and its nearest centres."""
    pts = [res.point] + [g for g in centers.set_index("id").geometry.reindex(res.table["id"]) if g is not None]
    if res.route is not None:
        pts.append(res.route)
    box = maps.to_display(gpd.GeoDataFrame(geometry=pts, crs="EPSG:4326"), basemap).total_bounds
    minx, miny, maxx, maxy = box
    # one level out: room for the legend and the surroundings of the nearest centres
    return [(miny + maxy) / 2, (minx + maxx) / 2], max(12, zoom_for(maxx - minx, maxy - miny) - 1)


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
    return table


def _center_tip(row: pd.Series, minutes: str, lang: str) -> str:
    lines = [f"<b>{maps.esc(row['name'])}</b>",
             f"{tr('tip_tier', lang)}：{maps.esc(tier_label(row['tier'], lang))}"]
    if row["street"]:
        lines.append(f"{tr('tip_street', lang)}：{maps.esc(row['street'])}")
    if row["community"]:
        lines.append(f"{tr('tip_community', lang)}：{maps.esc(row['community'])}")
    if pd.notna(row["community_pct"]):
        label = tr("tip_community_covered", lang, minutes=minutes)
        lines.append(f"{label}：{row['community_pct']:.1f}%")
    return "<br>".join(lines)


@st.cache_data(show_spinner=False, max_entries=64)
def _centres_geojson(key: tuple, basemap: str, lang: str, _result: cv.CoverageResult) -> list[tuple[str, dict]]:
    """Per included tier, the centres as GeoJSON with their tooltip HTML (cached)."""
    info = center_info(_result)
    pts = maps.to_display(_result.centers[["geometry"]], basemap)
    minutes = minutes_text((_result.settings.limit_minutes,), lang)
    out = []
    for tier in ("community", "station", "street", "district"):
        idx = info.index[info["tier"] == tier]
        if len(idx):
            gdf = gpd.GeoDataFrame({"tip": [_center_tip(info.loc[i], minutes, lang) for i in idx]},
                                   geometry=pts.geometry.loc[idx].to_numpy(), crs="EPSG:4326")
            out.append((tier, gdf.to_geo_dict()))
    return out


def centers_groups(result: cv.CoverageResult, basemap: str, lang: str = "zh",
                   key: tuple | None = None) -> list[folium.FeatureGroup]:
    """One feature group per included tier (:func:`geo.render.maps.centre_group`); the tooltip adds
    the covered share of the centre's community. ``key`` (the analysis' cache key) caches the
    GeoJSON."""
    return [maps.centre_group(tier, geo, tr("layer_centres", lang, tier=tier_label(tier, lang),
                                            n=len(geo["features"])))
            for tier, geo in _centres_geojson(key or ("uncached", id(result)), basemap, lang, result)]


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
    served = tr("tip_served", lang)
    tips = [f"<b>{maps.esc(n)}</b><br>{maps.esc(tier_label(t, lang))}<br>{served}：{a:.2f} km²"
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


def gap_view(result: cv.CoverageResult, gap_id: int, basemap: str) -> tuple[list[float], int] | None:
    """Map centre ``[lat, lon]`` and zoom that frame one gap (display coordinates)."""
    row = result.gaps[result.gaps["gap_id"] == gap_id]
    if len(row) == 0:
        return None
    minx, miny, maxx, maxy = maps.to_display(row[["geometry"]], basemap).total_bounds
    return [(miny + maxy) / 2, (minx + maxx) / 2], zoom_for(maxx - minx, maxy - miny)


def zoom_for(dlon: float, dlat: float, width_px: int = 700, height_px: int = MAP_HEIGHT) -> int:
    """The largest web-mercator zoom (12–17) at which a box of this size fits the map."""
    dlon = max(dlon, 1e-5) * 1.6  # margin around the box
    dlat = max(dlat, 1e-5) * 1.6 / math.cos(math.radians(23.4))
    z = min(math.log2(360 * width_px / 256 / dlon), math.log2(360 * height_px / 256 / dlat))
    return int(max(12, min(17, math.floor(z))))


def query_group(res: nearest.NearestResult, centers: gpd.GeoDataFrame, basemap: str,
                lang: str = "zh") -> folium.FeatureGroup:
    """The query point, the snapped point and route (network), or lines to the nearest centres."""
    fg = folium.FeatureGroup(name=tr("layer_query", lang))
    geoms, kinds = [res.point], ["point"]
    if res.snapped is not None:
        geoms.append(res.snapped)
        kinds.append("snap")
    if res.route is not None:
        geoms.append(res.route)
        kinds.append("route")
    elif len(res.table):
        by_id = centers.set_index("id").geometry
        for cid in res.table["id"]:
            c = by_id.get(cid)
            if c is not None:
                geoms.append(shapely.LineString([res.point, c]))
                kinds.append("line")
    gdf = maps.to_display(gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs="EPSG:4326"), basemap)
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind == "route":
            folium.PolyLine([(y, x) for x, y in geom.coords], color="#e31a1c", weight=5, opacity=0.9,
                            tooltip=tr("lg_route", lang)).add_to(fg)
        elif kind == "line":
            folium.PolyLine([(y, x) for x, y in geom.coords], color="#e31a1c", weight=2.5, opacity=0.8,
                            dash_array="6 6").add_to(fg)
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind == "point":
            folium.CircleMarker([geom.y, geom.x], radius=9, color="#ffffff", weight=3, fill=True,
                                fill_color="#e31a1c", fill_opacity=1.0, class_name="lh-query",
                                tooltip=tr("lg_point", lang)).add_to(fg)
        elif kind == "snap":
            folium.CircleMarker([geom.y, geom.x], radius=5, color="#e31a1c", weight=2, fill=True,
                                fill_color="#ffffff", fill_opacity=1.0, class_name="lh-snap",
                                tooltip=tr("lg_snap", lang)).add_to(fg)
    return fg


def click_to_wgs84(lat: float, lng: float, basemap: str) -> tuple[float, float]:
    """A map click (display coordinates) as WGS-84 ``(lon, lat)``; AMap maps draw in GCJ-02."""
    if basemap == "amap":
        lon, la = _crs.convert(lng, lat, "gcj02", "wgs84")
        return float(lon), float(la)
    return float(lng), float(lat)


