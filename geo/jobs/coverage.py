"""Coverage of a district's centres: :class:`CoverageJob` (``coverage``, ``export``, the planner
page, a batch unit)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from geo.engine import coverage
from geo.engine.graph import WalkGraph
from geo.io import results
from geo.io.district import Layers


@dataclass(frozen=True)
class CoverageJob:
    """The coverage of ``layers`` (a District's layers in use) under ``settings``."""

    layers: Layers
    settings: coverage.Settings
    graph: WalkGraph | None = None

    def run(self) -> coverage.CoverageResult:
        """The analysis (:func:`geo.engine.coverage.analyse`); network mode needs ``graph``."""
        L = self.layers
        graph = self.graph if self.settings.mode == "network" else None
        return coverage.analyse(L.district, L.streets, L.communities, L.centers, self.settings, graph)

    @property
    def status(self) -> str:
        """What the outputs say about the data (illustrative or not)."""
        L = self.layers
        return results.data_status(L.centers, L.streets, L.communities)

    def write(self, result: coverage.CoverageResult, out: Path) -> None:
        """``coverage.geojson``, ``gaps.geojson``, ``summary.csv`` into ``out`` (all or none)."""
        results.write_coverage(result, Path(out), self.status)

    def layers_out(self, result: coverage.CoverageResult, fmt: str | None = None, *, outline: bool = True) -> dict:
        """Every layer of an export: the outline (unless ``outline`` is False), then the result's
        layers; for ``fmt`` geojson and gpkg without the ``summary`` table (its figures are on
        the street and community polygons)."""
        out = {"district": self.layers.district} if outline else {}
        out.update(results.result_layers(result, self.status))
        if fmt in ("geojson", "gpkg"):
            out.pop("summary")
        return out
