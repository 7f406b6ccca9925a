"""Checks of geo.engine.workers that need a process with no other thread, run one per fresh
interpreter by tests/test_workers.py (an earlier test's leftover threads -- Dask's IO loop,
tqdm's monitor -- would otherwise turn every fork into a thread)."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import shapely

from geo.engine import graph as wg
from geo.engine import isochrones as iso
from geo.engine import workers

PARENT = os.getpid()


def _where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def batches_run_in_forked_processes_and_come_back_in_order():
    assert workers.can_fork(), threading.enumerate()
    out = workers.map_batches(_where, range(20), jobs=2)
    assert [v for v, _ in out] == [i * i for i in range(20)]
    pids = {pid for _, pid in out}
    assert PARENT not in pids and 1 <= len(pids) <= 2


def the_job_need_not_be_picklable():
    big = np.arange(1_000_000)  # seen by the workers through the fork, never sent
    out = workers.map_batches(lambda i: (int(big[i * 1000]), os.getpid()), range(8), jobs=2)
    assert [v for v, _ in out] == [i * 1000 for i in range(8)]
    assert PARENT not in {pid for _, pid in out}


def threads_when_another_thread_runs():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not workers.can_fork()
        out = workers.map_batches(_where, range(6), jobs=2)
    finally:
        stop.set()
        other.join()
    assert {pid for _, pid in out} == {PARENT}
    assert workers.can_fork()


def _dies_in_a_worker(item: int) -> int:
    if os.getpid() != PARENT:
        os._exit(3)  # a worker killed mid-batch (out of memory, say)
    return item + 1


def a_worker_that_dies_loses_no_work():
    assert workers.map_batches(_dies_in_a_worker, range(10), jobs=2) == list(range(1, 11))


def errors_in_a_worker_reach_the_caller():
    def fail(item: int) -> int:
        raise ValueError(f"bad batch {item}")

    with pytest.raises(ValueError, match="bad batch"):
        workers.map_batches(fail, range(4), jobs=2)


def isochrones_in_processes_equal_those_on_threads():
    rng = np.random.default_rng(5)
    k, step = 40, 50.0
    x, y = np.meshgrid(np.arange(k) * step, np.arange(k) * step)
    x, y = x.ravel() + rng.uniform(-8, 8, k * k), y.ravel() + rng.uniform(-8, 8, k * k)
    idx = np.arange(k * k).reshape(k, k)
    u = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    v = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    g = wg.graph_from_arrays(x, y, u, v)
    pts = rng.uniform(0, (k - 1) * step, (3 * iso.BATCH + 5, 2))  # four batches
    src = wg.snap_points(g, pts[:, 0], pts[:, 1])
    assert workers.can_fork()
    forked = iso.isochrones(g, src, 400.0, processes=True, n_jobs=2)
    threaded = iso.isochrones(g, src, 400.0, processes=False, n_jobs=2)
    assert len(forked) == len(threaded) == len(pts)
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(forked, threaded))
