"""User text in HTML shows as text: folium tooltips/popups, tables."""

import json
import re

import folium
import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.render import safe_html

XSS = "<img src=x onerror=alert(1)>"
TEMPLATE_BREAKOUT = "${alert(2)}`+alert(3)+`\\u003cimg src=x onerror=alert(4)\\u003e"


def test_escape_text():
    assert safe_html.escape_text(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    assert safe_html.escape_text('a&b "c" \'d\'') == "a&amp;b &quot;c&quot; &#x27;d&#x27;"
    assert safe_html.escape_text("`${x}`\\") == "&#96;&#36;{x}&#96;&#92;"
    assert safe_html.escape_text(None) == "" and safe_html.escape_text(float("nan")) == ""
    assert safe_html.escape_text(12.5) == "12.5"
    assert safe_html.escape_text("龙湖区新经济党群综合服务中心") == "龙湖区新经济党群综合服务中心"


def test_escape_columns_keeps_numbers_and_geometry():
    g = gpd.GeoDataFrame({"name": [XSS], "tier": ["station"], "n": [3]}, geometry=[Point(116.7, 23.4)],
                         crs="EPSG:4326")
    out = safe_html.escape_columns(g)
    assert out["name"].iat[0] == "&lt;img src=x onerror=alert(1)&gt;"
    assert out["n"].iat[0] == 3 and out.geometry.iat[0].equals(g.geometry.iat[0])
    assert g["name"].iat[0] == XSS, "the input is not modified"


def _map(names: list[str], escape: bool = True) -> str:
    g = gpd.GeoDataFrame({"name": names, "tier": ["station"] * len(names)},
                         geometry=[Point(116.70 + i / 100, 23.40) for i in range(len(names))], crs="EPSG:4326")
    m = folium.Map(location=[23.4, 116.7], tiles=None)
    layer = safe_html.escape_columns(g) if escape else g
    folium.GeoJson(layer, tooltip=folium.GeoJsonTooltip(["name", "tier"], aliases=["名称", "级别"]),
                   popup=folium.GeoJsonPopup(["name"])).add_to(m)
    for i, name in enumerate(names):
        folium.CircleMarker([23.41, 116.7 + i / 100],
                            tooltip=safe_html.tooltip(name) if escape else folium.Tooltip(name),
                            popup=safe_html.popup(name) if escape else folium.Popup(name)).add_to(m)
    return m.get_root().render()


def _geojson_names(html: str) -> list[str]:
    """Decode every JSON-embedded "name" property as the browser's JSON parser would."""
    return [json.loads(f'"{m}"') for m in re.findall(r'"name": "((?:[^"\\]|\\.)*)"', html)]


def test_rendered_map_shows_names_as_text():
    html = _map([XSS, TEMPLATE_BREAKOUT])
    # no raw tag in HTML/JS and no tag hidden in the JSON data (which innerHTML would run)
    assert "<img" not in html
    assert "\\u003cimg" not in html.lower()
    # nothing that would end or interpolate a JS template literal
    assert "${alert" not in html and "`+alert" not in html
    names = _geojson_names(html)
    assert "&lt;img src=x onerror=alert(1)&gt;" in names
    assert all("<" not in n and "`" not in n and "$" not in n for n in names)
    # tooltips and popups carry the escaped text, which a browser displays as the original
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_check_detects_unescaped_output():
    """Control: without escaping, the same assertions fail (so the test above can fail)."""
    html = _map([XSS, TEMPLATE_BREAKOUT], escape=False)
    assert "<img" in html or "\\u003cimg" in html.lower()
    assert "${alert" in html


@pytest.mark.parametrize("name", [XSS, "</script><script>alert(1)</script>", "\"'><svg onload=alert(1)>"])
def test_html_table_escapes_cells_and_headers(name):
    import pandas as pd

    df = pd.DataFrame({name: [name], "tier": ["station"]})
    html = safe_html.html_table(df)
    assert "<img" not in html and "<script" not in html and "<svg" not in html
    assert html.count("<table") == 1 and "&lt;" in html
