"""The map of a page: the fixed base map (cached per layers, basemap and language) and the layers
that change, sent together to ``st_folium``.

The changing layers travel as feature groups (``feature_group_to_add``), so the base map and
the reader's pan and zoom stay while the controls change. Where the map looks is set by a
:class:`geo.render.maps.FitBounds` in those groups, keyed by what is shown (the district, a
gap, a resident's point): it fits the map's real size (a phone's too) and refits only when the
target changes.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo.app import cache
from geo.app import layers as lay
from geo.app.text import tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.render import maps

MAP_HEIGHT = 600
PHONE_MAP_HEIGHT = 440


def base_result(layers: cache.Layers) -> cv.CoverageResult:
    """A fixed analysis of the layers in use: the district, streets and communities the base map
    draws (it never changes with the controls)."""
    return cache.analysis(layers.token, "circle", (15.0,), 4.0, schema.TIERS, None, layers, None)


def district_fit(base: cv.CoverageResult, basemap: str) -> maps.FitBounds:
    """Fit the whole district (refits only after another target was shown)."""
    return maps.FitBounds(maps.district_bounds(base, basemap), "district", padding=(12, 12))


def points_fit(geoms: list, basemap: str, key: str) -> maps.FitBounds:
    """Fit a few WGS-84 geometries (a resident's point and its nearest centres, a gap …)."""
    box = maps.to_display(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326"), basemap).total_bounds
    minx, miny, maxx, maxy = (float(v) for v in box)
    pad = 0.0015  # about 150 m around the points, so no marker sits on the edge
    return maps.FitBounds([[miny - pad, minx - pad], [maxy + pad, maxx + pad]], key, padding=(28, 28))


def fit_group(fit: maps.FitBounds) -> folium.FeatureGroup:
    """A feature group holding only a fit (kept out of the layer switcher)."""
    fg = folium.FeatureGroup(name="fit", control=False)
    fit.add_to(fg)
    return fg


def show(layers: cache.Layers, basemap: str, lang: str, groups: list[folium.FeatureGroup], *, key: str,
         height: int = MAP_HEIGHT, clicks: bool = False, locate: bool = False) -> None:
    """Draw the map: the base map of ``layers`` plus ``groups``; ``clicks`` makes a click (or a
    found location, with ``locate``) rerun the page with ``st.session_state[key]["last_clicked"]``."""
    try:
        base = base_result(layers)
        m = lay.base_map(base, basemap, layers.illustrative, lang)
        if locate:
            maps.LocateButton(lang).add_to(m)
    except maps.MapError as exc:
        st.error(tr("error_map", lang, msg=str(exc)))
        return
    st_folium(m, key=key, height=height, use_container_width=True,
              returned_objects=["last_clicked"] if clicks else [], feature_group_to_add=groups or None,
              layer_control=folium.LayerControl(collapsed=True, position="topright"))
