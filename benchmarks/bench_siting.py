"""Benchmark station siting (geo/engine/siting.py, solvers.py): exact MCLP (spopt + HiGHS) against greedy.

Run:  python benchmarks/bench_siting.py  [--ks 5,10,20] [--cell-m 100] [--margin-m 0]

Default data: the shipped layers (district, communities, 172 centres), circle mode, 15 min at
4 km/h (1000 m), demand by area (the shipped communities carry no population).

The instance is built once and shared: candidates = 100 m grid centres inside the gaps plus
one point per gap; demand = the uncovered part of every 100 m district cell (covered demand
weighs 0 and is left out, which changes no answer). Before the exact solve the instance is
reduced exactly (rows no candidate reaches dropped, identical rows merged, empty and duplicate
candidates dropped), so no approximation is made to meet the 60 s budget.

Timed per k: greedy (sparse matrix, incremental gains) and exact (spopt model building +
HiGHS solve). Printed side by side: time, added covered demand (km²), district coverage after
(geometric: the new circles united with the existing coverage) and greedy's gap to the optimum.
The script exits 1 if an exact solve takes 60 s or more, or returns less than greedy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import shapely

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from geo.engine import coverage as cv  # noqa: E402
from geo.engine import covering, siting, solvers  # noqa: E402
from geo.io.district import District  # noqa: E402
from geo.jobs.coverage import CoverageJob  # noqa: E402

BUDGET_S = 60.0


def covered_pct_after(result: cv.CoverageResult, xy: np.ndarray) -> float:
    """District area % covered by the existing centres plus circles at ``xy``."""
    new = shapely.buffer(shapely.points(xy), result.settings.reach_m(), quad_segs=16)
    after = shapely.intersection(shapely.union_all(np.r_[np.array([result.covered], dtype=object), new]),
                                 result.district)
    return 100.0 * after.area / result.district.area


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ks", default="5,10,20", help="numbers of new stations (the issue asks for 5)")
    ap.add_argument("--cell-m", type=float, default=100.0, help="candidate and demand grid spacing (m)")
    ap.add_argument("--margin-m", type=float, default=0.0, help="also place candidates this far outside the gaps")
    args = ap.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]

    t = time.perf_counter()
    result = CoverageJob(District.open().layers(use_store=False), cv.Settings()).run()
    t_cov = time.perf_counter() - t
    opts = siting.SitingOptions(candidate_cell_m=args.cell_m, demand_cell_m=args.cell_m,
                                candidate_margin_m=args.margin_m)
    t = time.perf_counter()
    inst = covering.build_instance(result, options=opts)
    t_inst = time.perf_counter() - t
    A, w, _ = solvers.reduce_instance(inst.cover, inst.weight)
    solvers.exact_mclp(A[:5, :5], w[:5], 1)  # warm up: import spopt (about 2 s), load HiGHS

    print(f"coverage (circle, {result.settings.limit_minutes:g} min = {result.settings.reach_m():.0f} m): "
          f"{result.covered_pct:.2f}% of {result.district_area_km2:.1f} km², {len(result.gaps)} gaps "
          f"[{t_cov:.2f} s]")
    print(f"instance: {inst.cover.shape[1]} candidates × {inst.cover.shape[0]} demand cells "
          f"({inst.cover.nnz:,} coverage pairs, {inst.weight.sum() / 1e6:.2f} km² uncovered) [{t_inst:.2f} s]; "
          f"exactly reduced to {A.shape[1]} × {A.shape[0]} ({A.nnz:,} pairs)")
    head = (f"{'k':>3}  {'method':<7} {'time s':>8}  {'added km²':>10}  {'covered % after':>15}  "
            f"{'gap %':>6}")
    print(head)
    print("-" * len(head))
    ok = True
    for k in ks:
        t = time.perf_counter()
        g = solvers.greedy_mclp(inst.cover, inst.weight, k)
        t_g = time.perf_counter() - t
        t = time.perf_counter()
        ex = solvers.exact_mclp(inst.cover, inst.weight, k, solver=opts.solver, time_limit_s=opts.time_limit_s)
        t_e = time.perf_counter() - t
        v_g = solvers.covered_weight(inst.cover, inst.weight, g)
        v_e = solvers.covered_weight(inst.cover, inst.weight, ex.chosen)
        gap = 100.0 * (v_e - v_g) / v_e if v_e > 0 else 0.0
        print(f"{k:>3}  {'greedy':<7} {t_g:>8.3f}  {v_g / 1e6:>10.4f}  "
              f"{covered_pct_after(result, inst.candidate_xy[g]):>15.2f}  {gap:>6.2f}")
        print(f"{k:>3}  {'exact':<7} {t_e:>8.3f}  {v_e / 1e6:>10.4f}  "
              f"{covered_pct_after(result, inst.candidate_xy[ex.chosen]):>15.2f}  {'—':>6}"
              f"  {ex.solver}{'' if ex.optimal else ' (time limit: not proven optimal)'}")
        if t_e >= BUDGET_S or v_e < v_g - 1e-6:
            ok = False
    print("added km² = uncovered demand-cell area the new stations reach (model); covered % after = "
          "geometric district coverage with the new circles")
    if not ok:
        print("FAIL: an exact solve took 60 s or more, or fell below greedy", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
