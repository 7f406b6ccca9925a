"""The map of a page: the fixed base map (cached per layers, basemap and language) and the layers
that change, sent together to ``st_folium``.

The changing layers travel as feature groups (``feature_group_to_add``), so the base map and
the reader's pan and zoom stay while the controls change. Where the map looks is set by a
:class:`geo.render.maps.FitBounds` in those groups, keyed by what is shown (the district, a
gap, a resident's point): it fits the map's real size (a phone's too) and refits only when the
target changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import folium
import geopandas as gpd
import streamlit as st
import streamlit_folium as sf
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.app import cache
from geo.app import layers as lay
from geo.app.state import ss
from geo.app.text import error_text, tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.io.district import Layers
from geo.render import maps

MAP_HEIGHT = 600
PHONE_MAP_HEIGHT = 440


def base_result(layers: Layers) -> cv.CoverageResult:
    """A fixed analysis of the layers in use: the district, streets and communities the base map
    draws (it never changes with the controls)."""
    return cache.analysis(layers.place.code, layers.token, "circle", (15.0,), 4.0, schema.TIERS, None, layers, None)


def district_fit(base: cv.CoverageResult, basemap: str) -> maps.FitBounds:
    """Fit the district -- the parts holding 95 % of its area, so an island county fills a phone
    -- (refits only after another target was shown)."""
    return maps.FitBounds(maps.district_bounds(base, basemap, share=0.95), "district", padding=(12, 12))


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


class FlatMarkers(MacroElement):
    """Markers placed with ``left``/``top`` instead of a 3-D transform.

    Leaflet positions every marker with ``translate3d``, which makes Chrome give each of the
    planner's 172 centres its own compositing layer; every frame the page draws while a change
    runs then pays for building that layer tree again (Chrome's "Layerize", measured at
    0.1–0.2 s per change). Panes, tiles and the zoom animation keep their 3-D transforms."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var P = L.Marker.prototype;
            if (P.__lhFlat) { return; }
            var setPos = P._setPos;
            P._setPos = function (pos) {
                var any3d = L.Browser.any3d;
                L.Browser.any3d = false;
                try { return setPos.call(this, pos); } finally { L.Browser.any3d = any3d; }
            };
            P.__lhFlat = true;
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "FlatMarkers"


class ImmediateClicks(MacroElement):
    """A tap on the map answered at once: streamlit-folium sends a click to the page only after
    its own 250 ms debounce. This handler sends the same value (``{"last_clicked": latlng}``,
    what the component sends with ``returned_objects=["last_clicked"]``) straight away through
    the component's ``window.Streamlit`` and records it as the component's last value, so the
    debounced call that follows finds nothing new and sends nothing.

    A tap on a marker is a tap on the map too: Leaflet's markers keep their clicks to themselves
    (``bubblingMouseEvents: false``), so in the dense west of Longhu a resident's tap opened a
    centre's tooltip and asked nothing. Every marker, those drawn later included, lets its clicks
    reach the map, which answers for the marker's place."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            function through(layer) { if (layer instanceof L.Marker) { layer.options.bubblingMouseEvents = true; } }
            map.eachLayer(through);
            map.on('layeradd', function (e) { through(e.layer); });
        })({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.on('click', function (e) {
            var g = window.__GLOBAL_DATA__, st = window.Streamlit;
            if (!g || !st || !(g.returned_objects || []).includes('last_clicked')) { return; }
            g.lat_lng_clicked = e.latlng;
            var value = {last_clicked: e.latlng};
            if (JSON.stringify(g.previous_data) !== JSON.stringify(value)) {
                g.previous_data = value;
                st.setComponentValue(value);
            }
        });
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "ImmediateClicks"


@dataclass
class _Base:
    """A base map drawn once: what ``st_folium`` sends for it, and the map the layers are drawn
    against (guarded by ``lock``: sessions share it)."""

    map: folium.Map
    leaflet: str
    html: str
    header: str
    m_id: str
    bounds: dict
    zoom: object
    lock: threading.Lock = field(default_factory=threading.Lock)
    hashes: dict = field(default_factory=dict)


def _links(el, css: list[str], js: list[str]) -> None:
    if isinstance(el, JSCSSMixin):
        css += [href for _, href in getattr(el, "default_css", [])]
        js += [src for _, src in getattr(el, "default_js", [])]
    for child in getattr(el, "_children", {}).values():
        _links(child, css, js)


@st.cache_resource(show_spinner=False, max_entries=12)
def _base(key: tuple, _build: Callable[[], folium.Map]) -> _Base:
    """The base map of ``key`` (layers, basemap, language, locate button) drawn once per server."""
    m = _build()
    m.get_root().render()
    m.render()
    html, header = sf._get_html(m), sf._get_header(m)
    leaflet = sf._get_map_string(m)
    south_west, north_east = m.get_bounds()
    bounds = {"_southWest": {"lat": south_west[0], "lng": south_west[1]},
              "_northEast": {"lat": north_east[0], "lng": north_east[1]}}
    return _Base(m, leaflet, html, header, sf.get_full_id(m), bounds, m.options.get("zoom"))


@st.cache_data(show_spinner=False, max_entries=96)
def _layers_js(base_key: tuple, groups_key: tuple, _base: _Base,
               _build: Callable[[], list[folium.FeatureGroup]]) -> tuple[str | None, str, list[str], list[str]]:
    """The changing layers as st_folium's JavaScript (and the layer switcher, which names them),
    with the asset links they need; built once per ``groups_key``."""
    groups = _build()
    with _base.lock:
        m = _base.map
        try:
            fg_js = "".join(sf._get_feature_group_string(g, map=m, idx=i) for i, g in enumerate(groups)) or None
            control = folium.LayerControl(collapsed=True, position="topright")
            lc_js = sf._get_layer_control_string(control, m)
            css: list[str] = []
            js: list[str] = []
            _links(m, css, js)
        finally:
            for el in [*groups, control] if "control" in locals() else groups:
                m._children.pop(el.get_name(), None)
    return fg_js, lc_js, list(dict.fromkeys(css)), list(dict.fromkeys(js))


def show(layers: Layers, basemap: str, lang: str, build_groups: Callable[[], list[folium.FeatureGroup]],
         groups_key: tuple, *, key: str, height: int = MAP_HEIGHT, clicks: bool = False,
         locate: bool = False, centres: bool | str = False) -> None:
    """Draw the map: the base map of ``layers`` plus the layers ``build_groups()`` makes (built
    only when ``groups_key`` is new); ``clicks`` makes a click (or a found location, with
    ``locate``) rerun the page with ``st.session_state[key]["last_clicked"]``.

    ``centres`` puts every centre in the base map: ``True`` with plain tooltips (the resident's
    and the data steward's maps, where the centres do not change with the controls);
    ``"analysis"`` for the planner, whose changing layers then choose the tiers shown and end
    each tooltip with the community's covered share (:func:`geo.app.layers.centres_state_group`),
    so a change draws no marker again.

    The base map is drawn once per server and the layers once per ``groups_key``; this is what
    ``st_folium`` sends, without its redrawing of every layer on every run (its component is
    called with the same arguments).
    """
    base_key = (layers.place.code, layers.token, basemap, lang, locate, centres, clicks)

    def build_base() -> folium.Map:
        base = base_result(layers)
        m = lay.base_map(base, basemap, layers.illustrative, lang)
        FlatMarkers().add_to(m)  # before any marker: the base map's centres use it too
        if centres == "analysis":
            for group in lay.base_centres_groups(base, basemap, lang):
                group.add_to(m)
        elif centres:
            for group in maps.centers_layers(base, basemap, lang):
                group.add_to(m)
        if locate:
            maps.LocateButton(lang).add_to(m)
        if clicks:
            ImmediateClicks().add_to(m)
        return m

    try:
        base = _base(base_key, build_base)
        fg_js, lc_js, css, js = _layers_js(base_key, groups_key, base, build_groups)
    except maps.MapError as exc:
        st.error(tr("error_map", lang, msg=error_text(exc, lang)))
        return
    returned = ["last_clicked"] if clicks else []
    hash_key = base.hashes.get(key) or base.hashes.setdefault(key, sf.generate_js_hash(base.leaflet, key, False))
    defaults = {k: v for k, v in {"last_clicked": None, "bounds": base.bounds, "zoom": base.zoom}.items()
                if k in returned}

    def on_change() -> None:
        ss[key] = ss.get(hash_key, {})

    sf._component_func(script=base.leaflet, header=base.header, html=base.html, id=base.m_id, key=hash_key,
                       height=height, width=None, returned_objects=returned, default=defaults, zoom=None,
                       center=None, feature_group=fg_js, return_on_hover=False, layer_control=lc_js,
                       pixelated=False, css_links=css, js_links=js, on_change=on_change, wrap_longitude=False)
