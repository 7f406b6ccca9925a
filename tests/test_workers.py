"""Batches of work on forked processes where that is safe, else on threads (geo.engine.workers).

Each check runs in a fresh interpreter (tests/fork_checks.py): in this one, earlier tests leave
threads behind (Dask's IO loop, tqdm's monitor), and a process with other threads never forks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo.engine import workers

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ["batches_run_in_forked_processes_and_come_back_in_order", "the_job_need_not_be_picklable",
          "threads_when_another_thread_runs", "a_worker_that_dies_loses_no_work",
          "errors_in_a_worker_reach_the_caller", "isochrones_in_processes_equal_those_on_threads"]


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="no fork here")
@pytest.mark.parametrize("check", CHECKS)
def test_in_a_fresh_process(check):
    run = subprocess.run([sys.executable, "-c", f"from tests import fork_checks; fork_checks.{check}()"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]


def test_threads_when_asked():
    out = workers.map_batches(lambda i: (i, os.getpid()), range(6), jobs=2, processes=False)
    assert out == [(i, os.getpid()) for i in range(6)]
