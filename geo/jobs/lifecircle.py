"""The community life circle (GB 50180-2018) of a district: :class:`LifeCircleJob` (``lifecircle``,
a batch unit with ``--facilities``), and the catalogue cut to the categories asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.engine import lifecircle as lc
from geo.engine.graph import WalkGraph
from geo.io import catalogue as _catalogue
from geo.io import lifecircle_results, results
from geo.io.district import Layers


def catalogue(path: str | Path | None = None, categories: Sequence[str] = ()) -> lc.Catalogue:
    """The facility catalogue at ``path`` (default the shipped one) cut to ``categories`` (its
    keys; all when empty). A key the catalogue lacks raises :class:`~geo.engine.lifecircle.LifeCircleError`."""
    cat = _catalogue.load_catalogue(path)
    return cat.select(list(categories)) if categories else cat


def category_keys(text: str | None) -> tuple[str, ...]:
    """``"kindergarten, middle_school"`` -> ``("kindergarten", "middle_school")`` (empty: all)."""
    return tuple(k.strip() for k in (text or "").split(",") if k.strip())


@dataclass(frozen=True)
class LifeCircleJob:
    """Which of ``catalogue``'s categories each community of ``layers`` reaches among ``facilities``."""

    layers: Layers
    facilities: gpd.GeoDataFrame
    catalogue: lc.Catalogue
    settings: lc.Settings
    graph: WalkGraph | None = None

    def run(self) -> lc.LifeCircleResult:
        """The analysis (:func:`geo.engine.lifecircle.analyse`); network mode needs ``graph``."""
        graph = self.graph if self.settings.mode == "network" else None
        return lc.analyse(self.layers.communities, self.facilities, self.catalogue, self.settings, graph)

    @property
    def status(self) -> str:
        """What the outputs say about the data: the boundaries the circle is drawn on."""
        return results.data_status(self.layers.streets, self.layers.communities)

    def write(self, result: lc.LifeCircleResult, out: Path, unmatched: pd.DataFrame | None = None) -> dict[str, Path]:
        """The contract files into ``out`` (all or none); ``unmatched``: rows that matched no category."""
        return lifecircle_results.write_lifecircle(result, Path(out), self.status, unmatched)

    def brief(self, result: lc.LifeCircleResult, path: Path, lang: str = "zh",
              illustrative_facilities: bool = False) -> Path:
        """The one-page brief (PDF or PNG by ``path``'s suffix) in ``lang``."""
        from geo.render import lifecircle_brief

        return lifecircle_brief.export_brief(result, path, streets=self.layers.streets, lang=lang, status=self.status,
                                             illustrative_facilities=illustrative_facilities)

    @staticmethod
    def row(result: lc.LifeCircleResult, n_facilities: int) -> dict:
        """A region summary's life-circle columns (``lc_*``, see :data:`geo.region.LIFE_COLUMNS`)."""
        served = result.communities["fully_served"]
        worst = result.categories.sort_values("covered_pct").iloc[0]
        return {"lc_facilities": n_facilities, "lc_fully_served": int(served.sum()),
                "lc_fully_served_pct": round(100.0 * float(served.mean()), 2) if len(served) else None,
                "lc_weakest": str(worst["category"]), "lc_weakest_pct": round(float(worst["covered_pct"]), 2)}
