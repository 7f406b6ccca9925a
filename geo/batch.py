"""A region at once: the coverage of every county-level unit whose code starts with a prefix,
as tasks on dask.distributed (``python -m geo batch``).

Each unit is one task (:func:`geo.jobs.unit.run_unit`): its District opened from the layer
cache (built once, :mod:`geo.io.districts`), its share of a region-wide centres file, its part
of a region-wide walking network, the same coverage job the command line runs, and its usual
outputs under ``OUT/ADCODE/``. A task never raises: a unit that fails says why in its row of
``region_summary.csv`` and the others go on. The tasks run on a LocalCluster of worker
processes (default), on an existing scheduler (``tcp://HOST:PORT``), or one after the other in
this process (``serial``): the summary is the same either way.

This module takes plain values (:func:`run_region`); the command line (:mod:`geo.cli`) turns its
options into them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo import region as rg
from geo.engine import coverage
from geo.engine import lifecircle as lc
from geo.io import networks
from geo.jobs.unit import UnitJob, jobs_for, life_jobs, run_unit
from geo.locale import Msg, Worded

CONNECT_TIMEOUT_S = 5.0  # an address that does not answer is reported within 10 s
WORKERS_TIMEOUT_S = 30.0  # a scheduler without workers is reported after this wait
Say = Callable[[Msg], None]
"""Where a batch says how it goes: one :class:`~geo.locale.Msg` at a time, worded by the caller."""


class BatchError(Worded, Exception):
    """A batch that cannot start (bad scheduler address, no dask, …): one line for the user,
    ``msg`` (a ``run.*`` code) worded by :meth:`text`; ``str()`` is English."""


def _quiet(text: Msg) -> None:
    """The default of ``say``: no messages."""


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
        raise BatchError(Msg.of("run.no_dask")) from None
    if scheduler == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        probe(scheduler, CONNECT_TIMEOUT_S)
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = (str(exc).splitlines() or [exc.__class__.__name__])[0]
        raise BatchError(Msg.of("run.no_scheduler", scheduler=scheduler, reason=reason)) from None
    with client:
        _need_workers(client, scheduler)
        yield client


def probe(address: str, seconds: float) -> None:
    """Return once a dask scheduler at ``address`` has completed dask's handshake; ``TimeoutError``
    after ``2 × seconds`` at most. ``Client(address, timeout=…)`` alone waits for ever on a peer
    that accepts the connection and never answers (its handshake read has no deadline), so the
    whole handshake is run here first, under one."""
    import asyncio

    from distributed.comm import connect

    async def handshake() -> None:
        comm = await connect(address, timeout=seconds)
        await comm.close()

    try:
        asyncio.run(asyncio.wait_for(handshake(), 2 * seconds))
    except TimeoutError:
        raise TimeoutError(f"no answer to dask's handshake within {2 * seconds:g} s") from None


def _need_workers(client: Any, scheduler: str) -> None:
    """A scheduler with no worker would leave the tasks waiting for ever: one line instead."""
    if client.scheduler_info().get("workers"):
        return
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise BatchError(Msg.of("run.no_workers", scheduler=scheduler, reason=str(exc))) from None


def check_scheduler(scheduler: str, workers: int) -> None:
    """A usage error (one line) for a scheduler that is not local, serial or an address."""
    if scheduler not in ("local", "serial") and "://" not in scheduler:
        raise BatchError(Msg.of("run.bad_scheduler", scheduler=repr(scheduler)))
    if scheduler == "local" and not 1 <= workers <= 64:
        raise BatchError(Msg.of("run.bad_workers"))


def run(jobs: list[UnitJob], scheduler: str = "local", workers: int = 2, say: Say = _quiet) -> list[dict]:
    """Run the units' tasks on ``scheduler`` (see :func:`client_for`); returns their summary
    rows in the jobs' order. ``say`` gets a message per unit done."""
    with client_for(scheduler, workers) as client:
        return run_on(client, jobs, say)


def run_on(client: Any, jobs: list[UnitJob], say: Say = _quiet) -> list[dict]:
    """Run the units' tasks on a dask client (None: one after the other, here)."""
    rows: dict[str, dict] = {}
    if client is None:
        for i, job in enumerate(jobs, 1):
            rows[job.code] = run_unit(job)
            say(progress_line(i, len(jobs), rows[job.code]))
        return [rows[j.code] for j in jobs]
    from dask.distributed import as_completed

    link = getattr(client, "dashboard_link", "")
    workers = Msg.of("run.dask_workers", n=len(client.scheduler_info().get("workers", {})))
    say(Msg.of("run.dask_dashboard", head=workers, link=link) if link else workers)
    futures = client.map(run_unit, jobs, key=[f"unit-{j.code}-{time.time_ns()}" for j in jobs], pure=False)
    for i, fut in enumerate(as_completed(futures), 1):
        row = fut.result()
        rows[row["adcode"]] = row
        say(progress_line(i, len(jobs), row))
    return [rows[j.code] for j in jobs]


def progress_line(i: int, n: int, row: dict) -> Msg:
    """``[3/7] 440511 金平区: 87.3% covered, 12 gaps`` (a failed unit: its status, as written
    in ``region_summary.csv``)."""
    done = (Msg.of("run.unit_ok", pct=f"{row['covered_pct']:.1f}", gaps=Msg.of("run.n_gaps", n=row["n_gaps"]))
            if row["status"] == "ok" else row["status"])
    return Msg.of("run.progress", i=i, n=n, adcode=row["adcode"], name=row["name"], done=done)


# --------------------------------------------------------------------------- a region


@dataclass(frozen=True)
class RegionRun:
    """What :func:`run_region` did: the summary (one row per unit), the region's files, the time."""

    summary: pd.DataFrame
    paths: list[Path]
    seconds: float

    @property
    def failed(self) -> int:
        """How many units failed (each says why in its ``status``)."""
        return int((self.summary["status"] != "ok").sum())


def life_settings(settings: coverage.Settings) -> lc.Settings:
    """The life circle measured as the coverage is: the same mode and walking speed."""
    try:
        return lc.Settings(mode=settings.mode, speed_kmh=settings.speed_kmh)
    except lc.LifeCircleError as exc:
        raise BatchError(Msg.of("run.option", option="--speed-kmh", msg=exc.msg)) from None


def run_region(prefix: str, out: Path, settings: coverage.Settings, *, centers: Path | None = None,
               centers_crs: str = "wgs84", facilities: Path | None = None, facilities_crs: str | None = None,
               catalogue: lc.Catalogue | None = None, network: Path | None = None, scheduler: str = "local",
               workers: int = 2, say: Say = _quiet, lang: str = "zh") -> RegionRun:
    """The units of region ``prefix`` as tasks on ``scheduler``, then the region's outputs in
    ``out`` (``region_summary.csv``, the map and the brief in ``lang``). With ``facilities`` every unit's
    life circle too (``catalogue``: the categories asked for, default all). ``say`` gets the
    progress, one message at a time."""
    reg = rg.region(prefix)
    if facilities is not None and catalogue is None:
        from geo.jobs.lifecircle import catalogue as default_catalogue

        catalogue = default_catalogue()
    with client_for(scheduler, workers) as client:  # an address that does not answer fails first
        shapes = rg.outlines(reg)
        life = None
        if facilities is not None:
            life, report = life_jobs(facilities, facilities_crs, catalogue, life_settings(settings), shapes)
        say(Msg.of("run.region", region=reg.names, units=Msg.of("run.n_units", n=len(reg.units)),
                   streets=Msg.of("run.n_streets", n=int(reg.units["n_streets"].sum())),
                   communities=Msg.of("run.n_villages", n=int(reg.units["n_communities"].sum()))))
        if life is not None:
            say(Msg.of("run.region_facilities", file=Path(facilities).name,
                       facilities=Msg.of("run.n_facilities", n=len(report.valid)),
                       categories=Msg.of("run.n_categories", n=len(report.counts())),
                       unassigned=Msg.of("run.n_rows_unassigned", n=len(report.unmatched)),
                       outside=len(report.outside)))
        graph = None
        if network is not None:
            say(Msg.of("run.net_loading", path=str(network)))
            graph = networks.load_network(network)
            say(graph.parts().msg())
        jobs = jobs_for(reg, settings, Path(out), shapes, centers=centers, centers_crs=centers_crs, graph=graph,
                        life=life)
        t = time.perf_counter()
        rows = run_on(client, jobs, say)
    summary = rg.summary_frame(rows)
    paths = rg.write_outputs(Path(out), reg, summary, shapes, settings.limit_minutes, lang)
    return RegionRun(summary, paths, time.perf_counter() - t)
