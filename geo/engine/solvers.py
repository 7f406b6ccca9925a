"""Covering models solved: greedy and exact maximal covering (MCLP) and set covering (LSCP).

All functions take a boolean coverage matrix (demand rows × candidate columns, any scipy
sparse format) and the demand weight of each row. Exact answers come from spopt's models
solved with HiGHS (through PuLP; CBC as fallback) on an exactly reduced instance: zero-weight
and unreachable rows dropped, identical rows merged, empty and duplicate candidates dropped.
The greedy heuristic runs on the sparse matrix and is the fast fallback.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.engine.coverage import CoverageError
from geo.locale import Msg

SOLVERS = ("highs", "cbc")


class SitingError(CoverageError):
    """Settings or inputs a siting model cannot use (k out of range, unknown method, no solver, …)."""


def reduce_instance(cover: sp.spmatrix, weight: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """An exactly equivalent smaller instance for MCLP and LSCP.

    Drops rows of zero weight or that no candidate covers, merges identical rows (summing their
    weights), drops candidates covering no row and duplicates of a lower-numbered candidate.
    Returns ``(cover, weight, columns)`` where ``columns`` maps reduced to original candidates.
    """
    A = sp.csr_matrix(cover, dtype=bool)
    w = np.asarray(weight, float)
    rows = np.flatnonzero((w > 0) & (A.getnnz(axis=1) > 0))
    A, w = A[rows], w[rows]
    first, group = _identical_rows(A)
    A, w = A[first], np.bincount(group, weights=w, minlength=len(first))
    At = A.T.tocsr()
    cols, _ = _identical_rows(At)
    cols = cols[At[cols].getnnz(axis=1) > 0]
    return A[:, cols].tocsr(), w, cols


def _identical_rows(A: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Groups of identical rows: the first row of each group (ascending) and each row's group.

    Rows are hashed by two random 64-bit keys per column summed modulo 2**64 (exact and
    independent of order), then the grouping is verified exactly.
    """
    n = A.shape[0]
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys = np.random.default_rng(7).integers(1, 2**63 - 1, size=(A.shape[1], 2), dtype=np.int64)
    h = A.astype(np.uint64) @ keys.astype(np.uint64)
    _, first, group = np.unique(h, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    if (A[first[group]] != A).nnz:  # a hash collision (never seen): merge nothing
        return np.arange(n), np.arange(n)
    rank = np.empty(len(first), np.int64)  # renumber groups by their first row
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return np.sort(first), rank[group]


def greedy_mclp(cover: sp.spmatrix, weight: np.ndarray, k: int) -> np.ndarray:
    """Greedy maximal covering: repeatedly add the candidate with the largest added demand.

    Stops early when nothing more can be gained. Ties go to the lowest candidate index.
    """
    A = sp.csc_matrix(cover, dtype=float)
    by_row = A.tocsr()
    rest = np.asarray(weight, float).copy()
    gain = A.T @ rest
    tol = 1e-12 * max(float(rest.sum()), 1.0)  # rounding left by the incremental updates
    chosen: list[int] = []
    for _ in range(min(int(k), A.shape[1])):  # k rounds, each vectorised
        j = int(np.argmax(gain))
        if gain[j] <= tol:
            break
        chosen.append(j)
        rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
        rows = rows[rest[rows] > 0]
        gain -= by_row[rows].T @ rest[rows]
        rest[rows] = 0.0
    return np.array(chosen, dtype=np.int64)


def greedy_lscp(cover: sp.spmatrix, weight: np.ndarray, need: float) -> np.ndarray:
    """Greedy set covering: add the best candidate until at least ``need`` demand is covered."""
    A = sp.csc_matrix(cover, dtype=float)
    order = greedy_mclp(A, weight, A.shape[1])
    gains = marginal_gains(A, weight, order)
    n = int(np.searchsorted(np.cumsum(gains), need * (1 - 1e-9), "left")) + 1
    return order[: min(n, len(order))]


def marginal_gains(cover: sp.spmatrix, weight: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Demand each candidate adds when added in ``order``."""
    A = sp.coo_matrix(sp.csc_matrix(cover, dtype=bool)[:, np.asarray(order, np.int64)])
    first = np.full(A.shape[0], len(order))  # first position along ``order`` covering each row
    np.minimum.at(first, A.row, A.col)
    hit = first < len(order)
    return np.bincount(first[hit], weights=np.asarray(weight, float)[hit], minlength=len(order))


def covered_weight(cover: sp.spmatrix, weight: np.ndarray, chosen: Sequence[int]) -> float:
    """Demand covered by the chosen candidates."""
    if len(chosen) == 0:
        return 0.0
    hit = sp.csc_matrix(cover, dtype=bool)[:, np.asarray(chosen)].getnnz(axis=1) > 0
    return float(weight[hit].sum())


@functools.cache
def _highs_ready() -> bool:
    """Import highspy and build one model with stdout closed.

    HiGHS prints a copyright banner to the process's stdout (C level, not ``sys.stdout``) the
    first time a model is built, whatever the options; that line would spoil ``--json`` output.
    """
    try:
        import highspy
    except ImportError:
        return False
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return True


def _solver(solver: str, time_limit_s: float):
    """A PuLP solver (HiGHS through highspy, or CBC) and its name."""
    import pulp

    if solver == "highs" and _highs_ready():
        from importlib.metadata import version

        name = f"HiGHS (highspy {version('highspy')})"
        return pulp.HiGHS(msg=False, gapRel=0.0, timeLimit=time_limit_s), name
    if pulp.PULP_CBC_CMD().available():
        return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, timeLimit=time_limit_s), "CBC"
    raise SitingError(Msg.of("set.no_solver"))


@dataclass(frozen=True)
class Exact:
    """An exact solve: the chosen candidates, whether optimality was proven, and by which solver."""

    chosen: np.ndarray  # original candidate indices
    optimal: bool
    bound: float | None  # best bound on the objective when not proven optimal
    solver: str


def _run(model, solver: str, time_limit_s: float) -> tuple[np.ndarray, bool, float | None, str]:
    """Solve a spopt model: (chosen columns, proven optimal, best bound if not, solver name)."""
    import pulp

    lp_solver, name = _solver(solver, time_limit_s)
    try:
        model.solve(lp_solver, results=False)
    except RuntimeError:  # spopt: the solver stopped without a solution
        vals = np.array([np.nan])
    else:
        vals = np.array([np.nan if v.value() is None else v.value() for v in model.fac_vars], float)
    if np.isnan(vals).any():
        raise SitingError(Msg.of("set.solver_no_solution", solver=name, s=f"{time_limit_s:g}"))
    optimal = model.problem.sol_status == pulp.LpSolutionOptimal
    bound = None
    if not optimal and hasattr(model.problem, "solverModel"):
        bound = float(model.problem.solverModel.getInfo().mip_dual_bound)
    return np.flatnonzero(vals > 0.5), optimal, bound, name


def exact_mclp(cover: sp.spmatrix, weight: np.ndarray, k: int,
               *, solver: str = "highs", time_limit_s: float = 60.0) -> Exact:
    """Maximal covering solved exactly (spopt ``MCLP`` + HiGHS) on the reduced instance."""
    from spopt.locate import MCLP

    A, w, cols = reduce_instance(cover, weight)
    p = min(int(k), A.shape[1])
    if p == 0 or A.shape[0] == 0:
        return Exact(np.zeros(0, np.int64), True, None, "trivial")
    # coverage is decided upstream (circle or network): spopt gets 0 (covers) / 1 (does not)
    cost = np.where(A.toarray(), 0.0, 1.0)
    with warnings.catch_warnings():  # spopt builds variables in a way PuLP 3.3 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, w, service_radius=0.5, p_facilities=p, name="mclp")
        chosen, optimal, bound, name = _run(model, solver, time_limit_s)
    return Exact(cols[chosen], optimal, bound, name)


def exact_lscp(cover: sp.spmatrix, weight: np.ndarray, need: float,
               upper: int | None = None, *, solver: str = "highs", time_limit_s: float = 60.0) -> Exact:
    """Fewest candidates covering at least ``need`` demand, exactly.

    Covering all reachable demand is spopt's ``LSCP``; a partial target is the smallest ``p``
    whose exact MCLP optimum reaches it (binary search, MCLP being monotone in ``p``; ``upper``
    is a known feasible count, e.g. greedy's).
    """
    from spopt.locate import LSCP

    A, w, cols = reduce_instance(cover, weight)
    if need <= 0 or A.shape[0] == 0:
        return Exact(np.zeros(0, np.int64), True, None, "trivial")
    if need >= w.sum() * (1 - 1e-9):
        cost = np.where(A.toarray(), 0.0, 1.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = LSCP.from_cost_matrix(cost, service_radius=0.5, name="lscp")
            chosen, optimal, _, name = _run(model, solver, time_limit_s)
        return Exact(cols[chosen], optimal, None, name)
    lo, hi = 1, int(upper) if upper else A.shape[1]
    best, proven, name = np.arange(A.shape[1]), True, "trivial"  # all candidates reach ``need``
    while lo <= hi:  # O(log n) exact MCLP solves
        mid = (lo + hi) // 2
        sol = exact_mclp(A, w, mid, solver=solver, time_limit_s=time_limit_s)
        proven, name = proven and sol.optimal, sol.solver
        if covered_weight(A, w, sol.chosen) >= need * (1 - 1e-9):
            best, hi = sol.chosen, mid - 1
        else:
            lo = mid + 1
    return Exact(cols[best], proven, None, name)
