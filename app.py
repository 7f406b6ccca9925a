"""Longhu 15-minute service circles — Streamlit page (thin: widgets and layout only)."""

from __future__ import annotations

from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo import data, webassets

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="龙湖区15分钟党群服务圈", layout="wide")


@st.cache_resource
def _assets() -> None:
    webassets.install_static_assets(ROOT / "static")
    webassets.use_local_assets()


@st.cache_data
def _layers() -> dict[str, str]:
    """The shipped layers as GeoJSON text (cache the data, never the map object)."""
    centers = data.load_centers()
    return {
        "district": data.load_district().to_json(),
        "streets": data.load_streets().to_json(),
        "communities": data.load_communities().to_json(),
        "centers": centers.to_json(),
        "illustrative": str(data.is_illustrative(centers)),
    }


TIER_STYLE = {
    "district": ("#b2182b", 9), "street": ("#ef8a62", 7), "community": ("#2166ac", 5), "station": ("#1b7837", 4),
}


def build_map(layers: dict[str, str]) -> folium.Map:
    m = folium.Map(location=[23.39, 116.76], zoom_start=12, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=False).add_to(m)
    folium.GeoJson(layers["district"], name="龙湖区",
                   style_function=lambda f: {"color": "#333", "weight": 3, "fill": False}).add_to(m)
    folium.GeoJson(layers["streets"], name="街道（示意）",
                   style_function=lambda f: {"color": "#555", "weight": 2, "fillOpacity": 0.03},
                   tooltip=folium.GeoJsonTooltip(["name"], aliases=["街道"])).add_to(m)
    folium.GeoJson(layers["communities"], name="村（社区）（示意）",
                   style_function=lambda f: {"color": "#999", "weight": 0.7, "fillOpacity": 0.0},
                   tooltip=folium.GeoJsonTooltip(["name"], aliases=["村（社区）"])).add_to(m)
    folium.GeoJson(
        layers["centers"], name="服务中心",
        marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9),
        style_function=lambda f: {"color": TIER_STYLE[f["properties"]["tier"]][0],
                                  "fillColor": TIER_STYLE[f["properties"]["tier"]][0],
                                  "radius": TIER_STYLE[f["properties"]["tier"]][1]},
        tooltip=folium.GeoJsonTooltip(["name", "tier"], aliases=["名称", "级别"]),
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def main() -> None:
    _assets()
    st.title("龙湖区15分钟党群服务圈 · Longhu 15-minute service circles")
    try:
        layers = _layers()
    except data.DataError as exc:
        st.error(f"数据有误 / Data error: {exc}")
        return
    if layers["illustrative"] == "True":
        st.warning(f"{data.ILLUSTRATIVE_NOTICE_ZH}\n\n{data.ILLUSTRATIVE_NOTICE_EN}")
    st_folium(build_map(layers), height=640, use_container_width=True, returned_objects=[])
    st.caption("1 个区级中心 · 10 个街道中心 · 125 个村（社区）中心 · 36 个服务站")


main()
