"""Batches of work on forked processes where that is safe, else on threads (geo.engine.workers)."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading

import numpy as np
import pytest
import shapely
from tqdm import tqdm

from geo.engine import graph as wg
from geo.engine import isochrones as iso
from geo.engine import workers

PARENT = os.getpid()

pytestmark = pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="no fork here")


@pytest.fixture(autouse=True)
def one_thread():
    """Earlier tests leave tqdm's progress-bar monitor running (a daemon thread it restarts when
    needed); stop it, so this process may fork. Any other thread fails the test: CI must not
    silently test the threads instead of the processes."""
    if tqdm.monitor is not None:
        tqdm.monitor.exit()
        tqdm.monitor = None
    assert workers.can_fork(), threading.enumerate()


def _where(item: int) -> tuple[int, int]:
    return item * item, os.getpid()


def test_batches_run_in_forked_processes_and_come_back_in_order():
    out = workers.map_batches(_where, range(20), jobs=2)
    assert [v for v, _ in out] == [i * i for i in range(20)]
    pids = {pid for _, pid in out}
    assert PARENT not in pids and 1 <= len(pids) <= 2


def test_the_job_need_not_be_picklable():
    big = np.arange(1_000_000)  # seen by the workers through the fork, never sent
    out = workers.map_batches(lambda i: int(big[i * 1000]) + 0 * os.getpid(), range(8), jobs=2)
    assert out == [i * 1000 for i in range(8)]


def test_threads_when_another_thread_runs():
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


def test_threads_when_asked():
    assert {pid for _, pid in workers.map_batches(_where, range(6), jobs=2, processes=False)} == {PARENT}


def _dies_in_a_worker(item: int) -> int:
    if os.getpid() != PARENT:
        os._exit(3)  # a worker killed mid-batch (out of memory, say)
    return item + 1


def test_a_worker_that_dies_loses_no_work():
    assert workers.map_batches(_dies_in_a_worker, range(10), jobs=2) == list(range(1, 11))


def test_errors_in_a_worker_reach_the_caller():
    def fail(item: int) -> int:
        raise ValueError(f"bad batch {item}")

    with pytest.raises(ValueError, match="bad batch"):
        workers.map_batches(fail, range(4), jobs=2)


def test_isochrones_in_processes_equal_those_on_threads():
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
    forked = iso.isochrones(g, src, 400.0, processes=True, n_jobs=2)
    threaded = iso.isochrones(g, src, 400.0, processes=False, n_jobs=2)
    assert len(forked) == len(threaded) == len(pts)
    assert all(shapely.equals_exact(a, b, 0.0) for a, b in zip(forked, threaded))
