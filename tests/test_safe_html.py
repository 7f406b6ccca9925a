"""The escaper itself and HTML tables; the rendered map is checked in tests/test_maps.py."""


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


@pytest.mark.parametrize("name", [XSS, "</script><script>alert(1)</script>", "\"'><svg onload=alert(1)>"])
def test_html_table_escapes_cells_and_headers(name):
    import pandas as pd

    df = pd.DataFrame({name: [name], "tier": ["station"]})
    html = safe_html.html_table(df)
    assert "<img" not in html and "<script" not in html and "<svg" not in html
    assert html.count("<table") == 1 and "&lt;" in html
