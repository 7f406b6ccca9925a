"""A region at once: the coverage of every county-level unit whose code starts with a prefix,
as tasks on dask.distributed (``python -m geo batch``).

Each unit is one task (:func:`run_unit`): its layers (built once, :mod:`geo.io.districts`), its
share of a region-wide centres file, its part of a region-wide walking network, the analysis,
and its usual outputs under ``OUT/ADCODE/``. A task never raises: a unit that fails says why
in its row of ``region_summary.csv`` and the others go on. The tasks run on a LocalCluster of
worker processes (default), on an existing scheduler (``tcp://HOST:PORT``), or one after the
other in this process (``serial``): the summary is the same either way.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import region as rg
from geo.cli_lifecircle import catalogue_of
from geo.engine import coverage
from geo.engine import graph as wg
from geo.engine import lifecircle as lc
from geo.io import centers as centers_io
from geo.io import data, districts, lifecircle_results, networks, results
from geo.io import facilities as fio
from geo.io.errors import DataError

CONNECT_TIMEOUT_S = 5.0  # an address that does not answer is reported within 10 s


class BatchError(Exception):
    """A batch that cannot start (bad scheduler address, no dask, …): one line for the user."""


@dataclass(frozen=True)
class UnitJob:
    """What one unit's task needs; everything is picklable (it travels to a worker)."""

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


@dataclass(frozen=True)
class LifeJob:
    """The life circle of one unit: the region's facilities within reach of it, the catalogue
    and the settings (picklable, like :class:`UnitJob`)."""

    facilities: gpd.GeoDataFrame
    catalogue: lc.Catalogue
    settings: lc.Settings


def _row(job: UnitJob, status: str, head: dict | None = None, n_centers: int | None = None) -> dict:
    counts = districts.units(job.code).iloc[0] if job.code else None
    head = head or {}
    return {"adcode": job.code, "name": job.name,
            "n_streets": int(counts["n_streets"]) if counts is not None else None,
            "n_communities": int(counts["n_communities"]) if counts is not None else None,
            "n_centers": n_centers if n_centers is not None else head.get("n_centers"),
            "area_km2": head.get("district_area_km2"), "covered_pct": head.get("covered_pct"),
            "n_gaps": head.get("n_gaps"), "status": status}


def _centres(job: UnitJob, layers: tuple) -> Any:
    """The unit's centres: its share of the region-wide file (checked as that file's rows), else
    its illustrative ones."""
    district, div, streets, communities, shipped = layers
    if job.centers is None:
        return shipped
    if job.centers.table.empty:  # reported, not guessed
        raise DataError(job.centers_file, f"no row of the file lies in {job.name}")
    report = centers_io.validate_centers(job.centers.table, job.centers_crs, source=job.centers_file,
                                         divisions=div, district=district, streets=streets,
                                         communities=communities)
    if report.problems:
        p = report.problems[0]
        row = job.centers.rows[p.row - 2] if isinstance(p.row, int) and 2 <= p.row < len(job.centers.rows) + 2 \
            else p.row
        more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise DataError(job.centers_file, f"row {row}, {p.column}: {p.reason}{more}")
    return report.valid


def run_unit(job: UnitJob) -> dict:
    """One unit's analysis and outputs; returns its summary row (never raises)."""
    try:
        with data.district_data(districts.ensure(job.code, cache=job.cache)):
            layers = districts.layers_for(job.code, cache=job.cache)
            district, _, streets, communities, _ = layers
            chosen = _centres(job, layers)
            if job.settings.mode == "network" and job.graph is None:
                raise coverage.CoverageError("the network has no street within walking reach of the unit")
            result = coverage.analyse(district, streets, communities, chosen, job.settings, job.graph)
            results.write_coverage(result, job.out / job.code, results.data_status(chosen, streets, communities))
            row = _row(job, "ok", result.headline())
            if job.life is not None:
                row.update(_life_circle(job, communities, results.data_status(chosen, streets, communities)))
            return row
    except Exception as exc:  # noqa: BLE001 -- a failed unit is reported in its row, never stops the others
        return _row(job, f"failed: {str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__}")


def _life_circle(job: UnitJob, communities: gpd.GeoDataFrame, status: str) -> dict:
    """The unit's life circle written to ``OUT/ADCODE/lifecircle/``; its summary columns."""
    life = job.life
    graph = job.graph if life.settings.mode == "network" else None
    result = lc.analyse(communities, life.facilities, life.catalogue, life.settings, graph)
    lifecircle_results.write_lifecircle(result, job.out / job.code / "lifecircle", status)
    served = result.communities["fully_served"]
    worst = result.categories.sort_values("covered_pct").iloc[0]
    return {"lc_facilities": len(life.facilities), "lc_fully_served": int(served.sum()),
            "lc_fully_served_pct": round(100.0 * float(served.mean()), 2) if len(served) else None,
            "lc_weakest": str(worst["category"]), "lc_weakest_pct": round(float(worst["covered_pct"]), 2)}


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
    reach = max(settings.limit_m(c) for c in catalogue.categories)
    fac = report.valid
    jobs = {}
    for code, outline in zip(shapes["code"], shapes.geometry):
        metric = districts.metric_crs(gpd.GeoDataFrame(geometry=[outline], crs="EPSG:4326"))
        area = gpd.GeoSeries([outline], crs="EPSG:4326").to_crs(metric).buffer(reach).to_crs("EPSG:4326").iat[0]
        near = fac[shapely.intersects(area, np.asarray(fac.geometry.values))].reset_index(drop=True)
        jobs[str(code)] = LifeJob(near, catalogue, settings)
    return jobs, report


# --------------------------------------------------------------------------- running


@contextmanager
def client_for(scheduler: str, workers: int = 2) -> Iterator[Any]:
    """A dask client: a LocalCluster of worker processes (``local``), the scheduler at an address
    (``tcp://HOST:PORT``; :class:`BatchError` within seconds when none answers), or None (``serial``)."""
    check_scheduler(scheduler, workers)
    if scheduler == "serial":
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BatchError("dask.distributed is not installed: pip install \"dask[distributed]\"") from None
    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"--scheduler {scheduler}: no dask scheduler answers there "
                         f"({str(exc).splitlines()[0]}); start one (`dask scheduler`) or use --scheduler local") \
            from None
    with client:
        yield client


def check_scheduler(scheduler: str, workers: int) -> None:
    """A usage error (one line) for a scheduler that is not local, serial or an address."""
    if scheduler not in ("local", "serial") and "://" not in scheduler:
        raise BatchError(f"--scheduler {scheduler!r}: use local, serial or tcp://HOST:PORT")
    if scheduler == "local" and not 1 <= workers <= 64:
        raise BatchError("--workers: give 1 to 64 worker processes")


def run(jobs: list[UnitJob], scheduler: str = "local", workers: int = 2,
        progress: Callable[[int, int, dict], None] | None = None) -> list[dict]:
    """Run the units' tasks on ``scheduler`` (see :func:`client_for`); returns their summary
    rows in the jobs' order."""
    with client_for(scheduler, workers) as client:
        return run_on(client, jobs, progress)


def run_on(client: Any, jobs: list[UnitJob], progress: Callable[[int, int, dict], None] | None = None
           ) -> list[dict]:
    """Run the units' tasks on a dask client (None: one after the other, here)."""
    rows: dict[str, dict] = {}
    if client is None:
        for i, job in enumerate(jobs, 1):
            rows[job.code] = run_unit(job)
            if progress:
                progress(i, len(jobs), rows[job.code])
        return [rows[j.code] for j in jobs]
    from dask.distributed import as_completed

    if progress:
        link = getattr(client, "dashboard_link", "")
        print(f"dask: {len(client.scheduler_info().get('workers', {}))} workers"
              + (f", dashboard {link}" if link else ""), file=sys.stderr)
    futures = client.map(run_unit, jobs, key=[f"unit-{j.code}-{time.time_ns()}" for j in jobs], pure=False)
    for i, fut in enumerate(as_completed(futures), 1):
        row = fut.result()
        rows[row["adcode"]] = row
        if progress:
            progress(i, len(jobs), row)
    return [rows[j.code] for j in jobs]


def show_progress(i: int, n: int, row: dict) -> None:
    """``[3/7] 440511 金平区: ok, 87.3% covered, 12 gaps`` on stderr."""
    done = (f"{row['covered_pct']:.1f}% covered, {row['n_gaps']} gaps" if row["status"] == "ok"
            else row["status"])
    print(f"[{i}/{n}] {row['adcode']} {row['name']}: {done}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the command


def jobs_for(reg: rg.Region, settings: coverage.Settings, out: Path, shapes, *, centers: Path | None = None,
             centers_crs: str = "wgs84", graph: wg.WalkGraph | None = None,
             life: dict[str, LifeJob] | None = None) -> list[UnitJob]:
    """One job per unit of the region, with its share of the centres, of the network and (``life``,
    from :func:`life_jobs`) of the facilities."""
    base = [UnitJob(c, n, settings, out.absolute(), districts.CACHE_DIR.absolute(), centers_crs=centers_crs)
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


def _life_settings(args, settings: coverage.Settings) -> lc.Settings:
    """The life circle measured as the coverage is: the same mode and walking speed."""
    try:
        return lc.Settings(mode=settings.mode, speed_kmh=settings.speed_kmh)
    except lc.LifeCircleError as exc:
        raise BatchError(str(exc)) from None


def run_cli(args, settings: coverage.Settings) -> int:
    """``python -m geo batch``: the region's units as tasks, then the region's outputs."""
    reg = rg.region(args.region)
    catalogue = catalogue_of(args) if args.facilities else None  # a bad key fails before anything starts
    with client_for(args.scheduler, args.workers) as client:  # an address that does not answer fails first
        shapes = rg.outlines(reg)
        life = None
        if catalogue is not None:
            life, report = life_jobs(args.facilities, args.facilities_crs, catalogue, _life_settings(args, settings),
                                     shapes)
        print(f"{reg.label}: {len(reg.units)} county-level units, {int(reg.units['n_streets'].sum()):,} streets, "
              f"{int(reg.units['n_communities'].sum()):,} villages and communities", file=sys.stderr)
        if life is not None:
            print(f"{args.facilities.name}: {len(report.valid):,} facilities in {len(report.counts())} categories, "
                  f"{len(report.unmatched):,} rows unassigned, {len(report.outside):,} outside the region",
                  file=sys.stderr)
        graph = None
        if args.network:
            print(f"loading walking network {args.network} …", file=sys.stderr)
            graph = networks.load_network(args.network)
        jobs = jobs_for(reg, settings, Path(args.out), shapes, centers=args.centers, centers_crs=args.centers_crs,
                        graph=graph, life=life)
        t = time.perf_counter()
        rows = run_on(client, jobs, progress=show_progress)
    summary = rg.summary_frame(rows)
    for path in rg.write_outputs(Path(args.out), reg, summary, shapes, settings.limit_minutes):
        print(f"wrote {path}")
    failed = int((summary["status"] != "ok").sum())
    print(f"{len(summary) - failed} of {len(summary)} units done in {time.perf_counter() - t:.1f} s"
          + (f"; {failed} failed (see status in region_summary.csv)" if failed else ""), file=sys.stderr)
    return 0
