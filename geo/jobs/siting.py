"""New stations where they close the gaps best: :class:`SitingJob` (``suggest``, the planner's
suggestions)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geo.engine import coverage, siting
from geo.io import results
from geo.jobs.coverage import CoverageJob


@dataclass(frozen=True)
class SitingJob:
    """``k`` new sites for the coverage of ``job`` (``method``: exact, greedy or auto)."""

    job: CoverageJob
    k: int = 5
    method: str = "auto"
    candidates: gpd.GeoDataFrame | None = None

    def __post_init__(self) -> None:
        siting.check_k(self.k)
        siting.check_method(self.method)

    def run(self, result: coverage.CoverageResult | None = None) -> siting.SitingPlan:
        """The plan for ``result`` (the coverage of :attr:`job`, computed when not given)."""
        result = result if result is not None else self.job.run()
        return siting.suggest(result, k=self.k, method=self.method, graph=result.graph, candidates=self.candidates)

    def write(self, plan: siting.SitingPlan, out: Path) -> None:
        """The plan's contract outputs into ``out`` (all or none)."""
        results.write_plan(plan, Path(out), self.job.status)
