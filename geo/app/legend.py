"""The map legend: a Leaflet control that travels with the changing layers."""

from __future__ import annotations

import folium
from branca.element import MacroElement, Template

from geo.app.layers import BAND_COLOURS, OVERLAP_COLOURS, overlap_colour
from geo.app.text import minutes_text, tier_label, tr
from geo.engine import coverage as cv
from geo.engine import schema
from geo.render import maps


class _LegendControl(MacroElement):
    """A Leaflet control shown while its parent feature group is on the map.

    Sent with the changing layers, so the legend follows the controls without rebuilding the
    base map: removing the old group (streamlit-folium does so on every update) removes the old
    legend, adding the new group adds the new one.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', 'lh-legend');
            div.innerHTML = {{ this.content|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        (function (group, control) {
            function show(map) { if (map && !control._map) { control.addTo(map); } }
            group.on('add', function (e) { show(e.target._map); });
            group.on('remove', function () { if (control._map) { control.remove(); } });
            show(group._map);
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, content: str):
        super().__init__()
        self._name = "LegendControl"
        self.content = content


def _swatch(colour: str, label: str, border: str = "#666666", opacity: float = 0.8) -> str:
    return (f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-block;"
            f"width:22px;height:12px;background:{colour};opacity:{opacity};border:1px solid {border}'>"
            f"</span>{maps.esc(label)}</div>")


def legend_group(lang: str, result: cv.CoverageResult, view: str, *, query: bool = False,
                 route: bool = False, selected_gap: bool = False) -> folium.FeatureGroup:
    """The legend for the current view, as a feature group (kept out of the layer switcher)."""
    rows = [f"<div style='font-weight:bold;margin-bottom:4px'>{tr('legend', lang)}</div>"]
    for tier in schema.TIERS:
        if tier in result.settings.tiers:
            rows.append(f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-flex;"
                        f"width:24px;justify-content:center'>{maps.symbol_svg(tier)}</span>"
                        f"{maps.esc(tier_label(tier, lang))}</div>")
    s = result.settings
    if view == "coverage" and len(s.minutes) > 1:
        lower = 0.0
        for m, colour in zip(s.minutes, BAND_COLOURS):
            rows.append(_swatch(colour, tr("lg_band", lang, a=lower, b=m), opacity=0.7))
            lower = m
    elif view == "coverage":
        chips = "".join(f"<span style='display:inline-block;width:9px;height:12px;margin-right:1px;"
                        f"background:{maps.TIER_COLOURS[t]};opacity:0.45'></span>" for t in s.tiers)
        rows.append(f"<div style='display:flex;align-items:center;gap:6px;margin-top:2px'>"
                    f"<span style='display:inline-flex;width:24px;justify-content:center'>{chips}</span>"
                    f"{maps.esc(tr('lg_cover_tier', lang, minutes=minutes_text(s.minutes, lang)))}</div>")
    elif view == "catchments":
        rows.append(_swatch("linear-gradient(90deg,#8dd3c7,#fb8072,#80b1d3,#fdb462)",
                            tr("lg_catch", lang)).replace("background:linear", "background-image:linear"))
    else:
        for n in range(1, len(OVERLAP_COLOURS) + 1):
            label = tr("lg_overlap", lang, n=f"{n}+" if n == len(OVERLAP_COLOURS) else n)
            rows.append(_swatch(overlap_colour(n), label))
    rows.append(_swatch(maps.GAP_COLOUR, tr("lg_gap", lang), border="#99000d", opacity=0.75))
    if selected_gap:
        rows.append(_swatch("transparent", tr("lg_selected", lang), border="#000000"))
    if query:
        rows.append(_swatch("#e31a1c", tr("lg_point", lang), border="#ffffff", opacity=1))
        rows.append(_swatch("#e31a1c", tr("lg_route", lang), border="#e31a1c", opacity=0.6))
        if route:
            rows.append(_swatch("#ffffff", tr("lg_snap", lang), border="#e31a1c", opacity=1))
    box = ("background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:4px;"
           "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.6 'Noto Sans CJK SC','Microsoft YaHei',"
           "'PingFang SC',sans-serif;color:#222;")
    fg = folium.FeatureGroup(name=tr("legend", lang), control=False)
    _LegendControl(f"<div style=\"{box}\">{''.join(rows)}</div>").add_to(fg)
    return fg
