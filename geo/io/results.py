"""The results of an analysis as files: the contract outputs of ``coverage`` and ``suggest``,
and every layer for export (the command line and the app's export use the same road)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo.engine import coverage
from geo.io import data, files, tables

if TYPE_CHECKING:
    from geo.engine.siting import SitingPlan

SUMMARY_COLUMNS = ["code", "name", "level", "area_km2", "covered_km2", "covered_pct"]
SUMMARY_POPULATION = ["population", "covered_population", "covered_pop_pct"]


def data_status(*layers) -> str:
    """'illustrative' when any layer is generated, else 'user' (written into every export)."""
    return "illustrative" if data.is_illustrative(*layers) else "user"


def write_coverage(result: coverage.CoverageResult, out: Path, status: str) -> None:
    """``coverage.geojson``, ``gaps.geojson`` and ``summary.csv`` (all three or none)."""
    areas = result.areas[["center_id", "name", "tier", "minutes", "reachable", "geometry"]].copy()
    areas["data_status"] = status
    gaps = result.gaps.copy()
    gaps["data_status"] = status
    with files.staged_folder(out) as tmp:
        tables.write_geojson(areas, tmp / "coverage.geojson")
        tables.write_geojson(gaps, tmp / "gaps.geojson")
        tables.write_csv(summary_table(result, status), tmp / "summary.csv")


def summary_table(result: coverage.CoverageResult, status: str) -> pd.DataFrame:
    """The per-street and per-community figures, rounded, with the data status."""
    cols = SUMMARY_COLUMNS + [c for c in SUMMARY_POPULATION if c in result.summary.columns]
    table = result.summary[cols].copy()
    for c in ("area_km2", "covered_km2"):
        table[c] = table[c].round(4)
    table["covered_pct"] = table["covered_pct"].round(2)
    table["data_status"] = status
    return table


def write_plan(plan: SitingPlan, out: Path, status: str) -> None:
    """``sites.geojson``, ``sites.csv`` and ``coverage_after.geojson`` of a siting plan (all or none)."""
    sites = plan.sites.copy()
    sites["added_demand"] = sites["added_demand"].round(1)
    sites["data_status"] = status
    table = sites.drop(columns="geometry")
    table["lon"], table["lat"] = table["lon"].round(7), table["lat"].round(7)
    areas = plan.areas.copy()
    areas["area_m2"] = areas["area_m2"].round(1)
    areas["minutes"] = plan.settings.limit_minutes
    areas["mode"] = plan.settings.mode
    areas["data_status"] = status
    with files.staged_folder(out) as tmp:
        tables.write_geojson(sites, tmp / "sites.geojson")
        tables.write_csv(table, tmp / "sites.csv")
        tables.write_geojson(areas, tmp / "coverage_after.geojson")


def result_layers(result: coverage.CoverageResult, status: str) -> dict[str, pd.DataFrame]:
    """Every layer and result of an analysis (WGS-84), each marked with its data status.

    The streets and communities carry their own summary figures (``area_km2``, ``covered_km2``,
    ``covered_pct`` and the population figures when known); ``summary`` is the same figures as
    one table, for the table formats.
    """
    summary = summary_table(result, status).drop(columns="data_status")
    figures = [c for c in summary.columns if c not in ("code", "name", "level", "street_code")]
    layers = {
        "streets": result.streets, "communities": result.communities, "centers": result.centers,
        "coverage": result.areas.drop(columns=["reachable"]), "gaps": result.gaps, "summary": summary,
    }
    for name, level in (("streets", "street"), ("communities", "community")):
        layer = layers[name]
        own = summary.loc[summary["level"] == level, ["code"] + [c for c in figures if c not in layer.columns]]
        layers[name] = layer.merge(own, on="code", how="left")
    out = {}
    for name, df in layers.items():
        df = df.to_crs("EPSG:4326") if hasattr(df, "crs") and df.crs is not None else df.copy()
        df["data_status"] = status
        out[name] = df
    return out
