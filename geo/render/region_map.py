"""The region map of ``python -m geo batch``: every county-level unit coloured by the share of
its area within walking reach of a centre, named and labelled with that share, in ``lang``
(the words from the catalogue's ``map.region_*`` keys)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402

from geo.io import districts, files, registry  # noqa: E402
from geo.locale import percent
from geo.render import fonts  # noqa: E402
from geo.render.words import word  # noqa: E402

FAILED_COLOUR = "#d9d9d9"
CMAP = "YlGn"


def figure(units: gpd.GeoDataFrame, title: str, lang: str = "zh"):
    """A figure of ``units`` (columns ``name, covered_pct, status``; WGS-84 outlines), its words
    and the units' names in ``lang``."""
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
            pct = percent(r.covered_pct, lang) if r.status == "ok" else word("region_failed", lang)
            name = districts.english_name(r.name) if lang == "en" else r.name
            ax.annotate(pct if small else f"{name}\n{pct}", (pt.x, pt.y), ha="center", va="center",
                        fontsize=5 if small else 8, color="#222222",
                        path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])
        sm = plt.cm.ScalarMappable(norm=norm, cmap=CMAP)
        fig.colorbar(sm, ax=ax, shrink=0.6, label=word("region_share", lang))
        ax.set_title(title, fontsize=14)
        ax.set_axis_off()
        ax.set_aspect("equal")
        fig.text(0.01, 0.01, word("region_note", lang), fontsize=7, color="#7a4a00")
    return fig


def write_png(units: gpd.GeoDataFrame, title: str, path: Path, lang: str = "zh") -> Path:
    """Draw the region map into ``path`` (PNG, atomically), in ``lang``."""
    fig = figure(units, title, lang)
    try:
        files.atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", bbox_inches="tight"))
    finally:
        plt.close(fig)
    return Path(path)
