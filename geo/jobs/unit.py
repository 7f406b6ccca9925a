"""One county-level unit of a region as a task (``python -m geo batch``): :class:`UnitJob`, run by
:func:`run_unit` on a Dask worker or in this process.

A task builds its :class:`~geo.io.district.District` from the unit's code and the layer cache
(:meth:`District.open`), takes the layers in use the command line takes (the district's
folder; its share of a region-wide centres file instead of the folder's centres), and runs the
same :class:`~geo.jobs.coverage.CoverageJob` (and :class:`~geo.jobs.lifecircle.LifeCircleJob`)
as ``coverage --district`` (and ``lifecircle --district``) do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import region as rg
from geo.engine import coverage
from geo.engine import graph as wg
from geo.engine import lifecircle as lc
from geo.io import centers as centers_io
from geo.io import districts
from geo.io import facilities as fio
from geo.io.district import District, Layers
from geo.io.errors import DataError
from geo.jobs.coverage import CoverageJob
from geo.jobs.lifecircle import LifeCircleJob
from geo.locale import Msg


@dataclass(frozen=True)
class LifeJob:
    """The life circle of one unit: the region's facilities within reach of it, the catalogue
    and the settings (picklable, like :class:`UnitJob`)."""

    facilities: gpd.GeoDataFrame
    catalogue: lc.Catalogue
    settings: lc.Settings


@dataclass(frozen=True)
class UnitJob:
    """What one unit's task needs; everything is picklable (it travels to a worker). The task
    opens the District ``code`` from the layer cache ``cache`` itself."""

    code: str
    name: str
    settings: coverage.Settings
    out: Path
    cache: Path
    centers: rg.Share | None = None       # the unit's rows of a region-wide centres file
    centers_crs: str = "wgs84"
    centers_file: str = ""
    graph: wg.WalkGraph | None = None     # the region's network clipped to the unit + the walking limit
    life: LifeJob | None = None           # the life circle (--facilities), when asked

    def place(self) -> District:
        """The unit as a District (its layers built into :attr:`cache` when missing)."""
        return District.open(self.code, cache=self.cache)


def summary_row(job: UnitJob, status: str, head: dict | None = None) -> dict:
    """The unit's row of ``region_summary.csv`` (:data:`geo.region.SUMMARY_COLUMNS`)."""
    counts = districts.units(job.code).iloc[0] if job.code else None
    head = head or {}
    return {"adcode": job.code, "name": job.name,
            "n_streets": int(counts["n_streets"]) if counts is not None else None,
            "n_communities": int(counts["n_communities"]) if counts is not None else None,
            "n_centers": head.get("n_centers"), "area_km2": head.get("district_area_km2"),
            "covered_pct": head.get("covered_pct"), "n_gaps": head.get("n_gaps"), "status": status}


def unit_layers(job: UnitJob, place: District) -> Layers:
    """The unit's layers in use: its folder's, with its share of the region-wide centres file
    (checked as that file's rows, by the one centres validator) instead of its own centres."""
    layers = place.layers(use_store=False)
    if job.centers is None:
        return layers
    if job.centers.table.empty:  # reported, not guessed
        raise DataError(job.centers_file, Msg.of("why.no_row_in_unit", unit=job.name))
    report = centers_io.validate_centers(job.centers.table, job.centers_crs, source=job.centers_file,
                                         district=place, streets=layers.streets, communities=layers.communities)
    if report.problems:  # named by the rows of the region-wide file
        rows = job.centers.rows
        raise DataError(job.centers_file, [
            replace(p, row=rows[p.row - 2] if isinstance(p.row, int) and 2 <= p.row < len(rows) + 2 else p.row)
            for p in report.problems])
    return replace(layers, centers=report.valid, sources={**layers.sources, "centers": f"file:{job.centers_file}"})


def run_unit(job: UnitJob) -> dict:
    """One unit's analysis and outputs under ``OUT/ADCODE/``; returns its summary row (never raises)."""
    try:
        layers = unit_layers(job, job.place())
        if job.settings.mode == "network" and job.graph is None:
            raise coverage.CoverageError(Msg.of("set.unit_no_street"))
        cov = CoverageJob(layers, job.settings, job.graph)
        result = cov.run()
        cov.write(result, job.out / job.code)
        row = summary_row(job, "ok", result.headline())
        if job.life is not None:
            life = LifeCircleJob(layers, job.life.facilities, job.life.catalogue, job.life.settings, job.graph)
            circle = life.run()
            life.write(circle, job.out / job.code / "lifecircle")
            row.update(LifeCircleJob.row(circle, len(job.life.facilities)))
        return row
    except Exception as exc:  # noqa: BLE001 -- a failed unit is reported in its row, never stops the others
        return summary_row(job, f"failed: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}")


def life_jobs(path: Path, crs: str | None, catalogue: lc.Catalogue, settings: lc.Settings,
              shapes: gpd.GeoDataFrame) -> tuple[dict[str, LifeJob], fio.FacilityReport]:
    """A region-wide facilities file read once by the one importer (rows outside the region by
    more than the longest walk are left out and reported) and given to each unit: the
    facilities inside its outline or within the catalogue's longest walk of it (those across a
    border serve its edge too)."""
    whole = gpd.GeoDataFrame({"code": ["region"], "name": ["region"]},
                             geometry=[shapes.geometry.union_all()], crs="EPSG:4326")
    report = fio.import_facilities(path, catalogue, crs, district=whole)
    report.raise_for_problems()
    report.require_facilities()  # else every unit would report 0 % as if measured
    reach = max(settings.limit_m(c) for c in catalogue.categories)
    fac = report.valid
    jobs = {}
    for code, outline in zip(shapes["code"], shapes.geometry):
        metric = districts.metric_crs(gpd.GeoDataFrame(geometry=[outline], crs="EPSG:4326"))
        area = gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(metric).buffer(reach).to_crs("EPSG:4326").iat[0]
        near = fac[shapely.intersects(area, np.asarray(fac.geometry.values))].reset_index(drop=True)
        jobs[str(code)] = LifeJob(near, catalogue, settings)
    return jobs, report


def jobs_for(reg: rg.Region, settings: coverage.Settings, out: Path, shapes: gpd.GeoDataFrame, *,
             centers: Path | None = None, centers_crs: str = "wgs84", graph: wg.WalkGraph | None = None,
             life: dict[str, LifeJob] | None = None, cache: Path | None = None) -> list[UnitJob]:
    """One job per unit of the region (layers cached in ``cache``, default the district cache),
    with its share of the centres, of the network and (``life``, from :func:`life_jobs`) of the
    facilities. Rows of the centres file that lie in no unit are refused, each named."""
    cache = Path(cache or districts.CACHE_DIR).absolute()
    base = [UnitJob(c, n, settings, Path(out).absolute(), cache, centers_crs=centers_crs)
            for c, n in zip(reg.units["code"], reg.units["name"])]
    if centers is not None:
        shares, problems = rg.split_by_unit(centers, centers_crs, "centers", reg, shapes)
        rg.raise_for_rows(centers, problems)
        none = rg.Share(pd.DataFrame(columns=["name", "tier", "lon", "lat"]), [])
        base = [replace(j, centers=shares.get(j.code, none), centers_file=Path(centers).name) for j in base]
    if graph is not None:
        margin = settings.reach_m()
        by_code = shapes.set_index("code")
        base = [replace(j, graph=rg.clip_graph(graph, by_code.loc[[j.code]], margin))
                if j.code in by_code.index else j for j in base]
    if life is not None:
        base = [replace(j, life=life.get(j.code)) for j in base]
    return base
