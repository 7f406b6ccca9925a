"""The life circle's results as files: the contract tables of ``python -m geo lifecircle`` and its grid.

Written all or none (:func:`geo.io.files.staged_folder`), every table through
:mod:`geo.io.tables` (formula-guarded), layers in WGS-84, each marked with its data status.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo.engine.lifecircle import LifeCircleResult
from geo.io import files, tables

CONTRACT_COLUMNS = ["code", "name", "category", "level", "limit_m", "covered_pct", "nearest_m", "nearest_minutes"]
"""The first columns of ``lifecircle_communities.csv``, in this order."""
FILES = {"table": "lifecircle_communities.csv", "summary": "lifecircle_summary.csv",
         "categories": "lifecircle_categories.csv", "grid": "lifecircle_grid.geojson",
         "communities": "lifecircle_communities.geojson", "unmatched": "lifecircle_unmatched.csv"}
"""The files :func:`write_lifecircle` writes."""


def community_table(result: LifeCircleResult, status: str) -> pd.DataFrame:
    """One row per community and category, rounded: :data:`CONTRACT_COLUMNS` first."""
    t = result.table.copy()
    t["covered_pct"] = t["covered_pct"].round(2)
    t["nearest_m"] = t["nearest_m"].round(1)
    t["nearest_minutes"] = t["nearest_minutes"].round(2)
    t["limit_m"] = t["limit_m"].round(1)
    for c in ("population", "population_covered", "population_out"):
        t[c] = t[c].round(0)
    if t["population"].isna().all():
        t = t.drop(columns=["population", "population_covered", "population_out"])
    t["mode"] = result.settings.mode
    t["speed_kmh"] = result.settings.speed_kmh
    t["data_status"] = status
    rest = [c for c in t.columns if c not in CONTRACT_COLUMNS]
    return t[CONTRACT_COLUMNS + rest]


def summary_table(result: LifeCircleResult, status: str) -> pd.DataFrame:
    """One row per community: reached and missing categories per level, fully served or not."""
    s = pd.DataFrame(result.communities.drop(columns="geometry"))
    s["data_status"] = status
    return s


def category_table(result: LifeCircleResult, status: str) -> pd.DataFrame:
    """District totals per category, rounded."""
    c = result.categories.copy()
    for col in ("covered_pct", "covered_pop_pct"):
        if col in c:
            c[col] = c[col].round(2)
    for col in ("population", "population_out"):
        if col in c:
            c[col] = c[col].round(0)
    c["data_status"] = status
    return c


def result_layers(result: LifeCircleResult, status: str) -> dict[str, pd.DataFrame]:
    """The grid and the community polygons with their figures (WGS-84), each with its status."""
    grid = result.grid.copy()
    grid["share_pct"] = grid["share_pct"].round(2)
    comm = result.communities.copy()
    for layer in (grid, comm):
        layer["data_status"] = status
    return {"grid": grid.to_crs("EPSG:4326"), "communities": comm.to_crs("EPSG:4326")}


def write_lifecircle(result: LifeCircleResult, out: str | Path, status: str,
                     unmatched: pd.DataFrame | None = None) -> dict[str, Path]:
    """Write :data:`FILES` into folder ``out`` (all or none); ``unmatched`` lists the facility
    rows that matched no category. Returns the path of each file."""
    layers = result_layers(result, status)
    with files.staged_folder(out) as tmp:
        tables.write_csv(community_table(result, status), tmp / FILES["table"])
        tables.write_csv(summary_table(result, status), tmp / FILES["summary"])
        tables.write_csv(category_table(result, status), tmp / FILES["categories"])
        tables.write_geojson(layers["grid"], tmp / FILES["grid"])
        tables.write_geojson(layers["communities"], tmp / FILES["communities"])
        tables.write_csv(unmatched if unmatched is not None else pd.DataFrame(columns=["row", "name"]),
                         tmp / FILES["unmatched"])
    return {k: Path(out) / v for k, v in FILES.items()}
