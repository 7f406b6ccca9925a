"""Where batches of independent work run: forked worker processes when that is safe, else threads.

The walking areas of a city's centres (:mod:`geo.engine.isochrones`) are thousands of small
GEOS and Clipper jobs. GEOS releases Python's lock, Clipper (``pyclipper``) does not, so on
threads two cores reach about 1.7 times one core's speed; worker processes reach nearly 2.

Processes are started by ``fork`` so they share the graph and its blocks with the caller
without copying or pickling them; only the batch numbers go out and the results come back.
Forking is safe only in a process with no other Python thread (a thread holding a lock at the
fork would leave that lock held for ever in the child): a Streamlit server, a Dask worker or any
caller with threads gets threads instead, as do daemonic processes (which may have no children)
and platforms without ``fork``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

_TASK: Callable[[Any], Any] | None = None  # the job of the forked workers (inherited, never pickled)


def usable_cpus(n_jobs: int | None = None) -> int:
    """``n_jobs`` (at least 1), or the CPUs this process may use."""
    if n_jobs is not None:
        return max(1, int(n_jobs))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether worker processes may be forked from here (see the module's notes)."""
    return ("fork" in mp.get_all_start_methods() and threading.active_count() == 1
            and not mp.current_process().daemon)


def _run(item: Any) -> Any:
    return _TASK(item)  # type: ignore[misc]


def map_batches(fn: Callable[[Any], Any], items: Sequence, jobs: int,
                processes: bool | None = None) -> list:
    """``[fn(item) for item in items]`` on ``jobs`` workers, in order.

    ``processes``: True for forked processes (where :func:`can_fork`), False for threads, None
    to choose processes whenever forking is safe. A worker process that dies (out of memory,
    say) does not lose the work: it is done again on threads.
    """
    items = list(items)
    jobs = min(max(1, jobs), len(items))
    if jobs <= 1:
        return [fn(item) for item in items]
    if processes is not False and can_fork():
        global _TASK
        _TASK = fn
        try:
            with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
                return list(pool.map(_run, items))
        except BrokenProcessPool:
            pass
        finally:
            _TASK = None
    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(fn, items))
