"""The Leaflet controls of the maps (:mod:`geo.render.maps`): a box of HTML, a folding box (the
legend, the notice), the metric scale bar, a fit to a target, the "use my location" button, and
:class:`MapWords`, which words Leaflet's own buttons (zoom, layer switcher) in the map's language."""

from __future__ import annotations

from branca.element import MacroElement, Template
from folium.plugins import LocateControl

from geo.render.words import word


class HtmlControl(MacroElement):
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


class FoldControl(MacroElement):
    """A collapsible Leaflet control: a ``<details>`` box whose summary line is always shown.

    It opens by itself only on maps at least ``open_min_width`` pixels wide (never when None),
    and remembers the reader's choice (in the map's window) when it is drawn again. Added to a
    map it stays; added to a feature group it comes and goes with the group (the app sends its
    legend with the layers that change).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }} + ' lh-fold');
            div.innerHTML = {{ this.content|tojson }};
            var box = div.querySelector('details');
            var memo = (window.__lh_fold = window.__lh_fold || {});
            var name = {{ this.css_class|tojson }}, minw = {{ this.open_min_width|tojson }}, pending = 0;
            function set(open) {
                if (box.open !== open) { pending += 1; box.open = open; }
            }
            function decide() {  // the reader's choice, else by the map's width (known once laid out)
                set(name in memo ? memo[name] : (minw !== null && map.getSize().x >= minw));
            }
            box.addEventListener('toggle', function () {
                if (pending > 0) { pending -= 1; return; }
                memo[name] = box.open;
            });
            decide();
            map.on('resize', decide);
            if (window.ResizeObserver) { new ResizeObserver(decide).observe(map.getContainer()); }
            setTimeout(decide, 250);
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        (function (parent, control) {
            if (parent instanceof L.Map) { control.addTo(parent); return; }
            function show(map) { if (map && !control._map) { control.addTo(map); } }
            parent.on('add', function (e) { show(e.target._map); });
            parent.on('remove', function () { if (control._map) { control.remove(); } });
            show(parent._map);
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, summary: str, body: str, position: str = "bottomleft", css_class: str = "lh-legend",
                 open_min_width: int | None = 600, style: str = ""):
        super().__init__()
        self._name = "FoldControl"
        self.position = position
        self.css_class = css_class
        self.open_min_width = open_min_width
        self.content = (f"<details style=\"{BOX_STYLE}{style}\"><summary style='cursor:pointer;font-weight:bold;"
                        f"list-style-position:inside'>{summary}</summary>"
                        f"<div class='lh-fold-body' style='margin-top:4px;max-height:55vh;overflow:auto'>"
                        f"{body}</div></details>")


class MapWords(MacroElement):
    """Leaflet's own buttons in the map's language: the zoom buttons (the map is made without
    Leaflet's, whose titles are English) and the layer switcher's button, titled whenever a
    switcher is added to this map (the app adds one with every change of its layers)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, words) {
            map.__lhWords = words;
            {%- if this.zoom %}
            L.control.zoom({position: 'topleft', zoomInTitle: words.zoom_in, zoomOutTitle: words.zoom_out}).addTo(map);
            {%- endif %}
            var P = L.Control.Layers.prototype;
            if (P.__lhWords) { return; }
            var init = P._initLayout;
            P._initLayout = function () {
                init.call(this);
                var w = this._map && this._map.__lhWords;
                if (w && this._layersLink) {
                    this._layersLink.title = w.layers;
                    this._layersLink.setAttribute('aria-label', w.layers);
                }
            };
            P.__lhWords = true;
        })({{ this._parent.get_name() }}, {{ this.words|tojson }});
        {% endmacro %}
    """)

    def __init__(self, lang: str = "zh", zoom: bool = True):
        super().__init__()
        self._name = "MapWords"
        self.zoom = zoom
        self.words = {"zoom_in": word("zoom_in", lang), "zoom_out": word("zoom_out", lang),
                      "layers": word("layers_button", lang)}


class ScaleBar(MacroElement):
    """A metric scale bar at the bottom right (Leaflet's default also shows miles)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, position: "bottomright"}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ScaleBar"


class FitBounds(MacroElement):
    """Fit the map to ``bounds`` (``[[south, west], [north, east]]``) when the element is drawn,
    but only when ``key`` differs from the last fit in this map's window: layers sent again with
    the same target (a control changed) keep the reader's own pan and zoom."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (parent) {
            function fit(map) {
                if (!map || window.__lh_fitted === {{ this.key|tojson }}) { return; }
                window.__lh_fitted = {{ this.key|tojson }};
                map.invalidateSize();
                map.fitBounds({{ this.bounds|tojson }}, {padding: {{ this.padding|tojson }},
                                                        maxZoom: {{ this.max_zoom|tojson }}});
            }
            if (parent instanceof L.Map) { fit(parent); return; }
            parent.on('add', function (e) { fit(e.target._map); });
            fit(parent._map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]], key: str, padding: tuple[int, int] = (24, 24),
                 max_zoom: int = 17):
        super().__init__()
        self._name = "FitBounds"
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.key = str(key)
        self.padding = list(padding)
        self.max_zoom = int(max_zoom)


class LocateButton(LocateControl):
    """"Use my location": Leaflet's locate control (leaflet-locatecontrol, served offline with
    the other assets). A found position is handed on as a click on the map at that place, so the
    page treats it like a tap; an error is shown in a small box instead of an alert."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control.locate({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        (function (map, lc) {
            L.DomEvent.disableClickPropagation(lc.getContainer());  // the button is not a tap on the map
            lc.options.onLocationError = function (err) {
                var box = L.control({position: 'bottomright'});
                box.onAdd = function () {
                    var d = L.DomUtil.create('div', 'lh-locate-error');
                    d.style.cssText = {{ this.box_style|tojson }};
                    d.textContent = {{ this.error_text|tojson }}.replace('{msg}', err.message || '');
                    return d;
                };
                box.addTo(map);
                setTimeout(function () { box.remove(); }, 6000);
            };
            map.on('locationfound', function (e) {
                lc.stop();
                map.fire('click', {latlng: e.latlng});
            });
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, lang: str = "zh"):
        super().__init__()  # its asset lists are folium's (served offline by geo.render.webassets)
        self._name = "LocateButton"
        self.options = {"position": "topleft", "drawCircle": False, "drawMarker": False, "showPopup": False,
                        "setView": False, "strings": {"title": word("locate", lang)},
                        "locateOptions": {"enableHighAccuracy": True, "maximumAge": 60000, "timeout": 15000}}
        self.error_text = word("locate_error", lang, msg="{msg}")
        self.box_style = BOX_STYLE + "background:#fde2e1;max-width:260px"


BOX_STYLE = ("background:rgba(255,255,255,0.94);padding:6px 9px;border-radius:4px;"
        "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.5 'Noto Sans CJK SC','Microsoft YaHei',"
        "'PingFang SC',sans-serif;color:#222;")
NARROW_WIDTH = 600  # px: on maps narrower than this (phones) the legend starts folded
