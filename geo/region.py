"""A region (a province, a prefecture, any code prefix) as its county-level units: their
outlines, region-wide files split by unit, a walking network clipped per unit, and the
region's outputs (``region_summary.csv``, ``region_map.png``, ``region_brief.md``).

Used by :mod:`geo.batch`; the life circle's facilities (``--facilities``) are split by
:func:`split_by_unit` like the centres.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import graph as wg
from geo.io import districts, files, registry, sources, tables
from geo.io.errors import DataError, ImportProblem
from geo.locale import Msg, Name, text

SUMMARY_COLUMNS = ["adcode", "name", "n_streets", "n_communities", "n_centers", "area_km2", "covered_pct",
                   "n_gaps", "status"]
LIFE_COLUMNS = ["lc_facilities", "lc_fully_served", "lc_fully_served_pct", "lc_weakest", "lc_weakest_pct"]
"""With ``--facilities``: facilities within reach of the unit, communities reaching every category
(number, %), and the category the fewest places reach (its covered %)."""
LIFE_COUNTS = ("lc_facilities", "lc_fully_served")


@dataclass(frozen=True)
class Region:
    """The county-level units whose code starts with ``prefix``."""

    prefix: str
    name: str
    units: pd.DataFrame  # geo.io.districts.units(prefix)

    @property
    def label(self) -> str:
        """``汕头市（4405）``, or ``区划代码 44*`` for a prefix without a name."""
        return self.names.zh

    @property
    def names(self) -> Name:
        """The region in both languages: 汕头市（4405） / Shantou City (4405)."""
        if not self.name:
            return Name(text("map.region_prefix", "zh", prefix=self.prefix),
                        text("map.region_prefix", "en", prefix=self.prefix))
        return Name(text("map.region_label", "zh", name=self.name, prefix=self.prefix),
                    text("map.region_label", "en", name=districts.english_name(self.name), prefix=self.prefix))


def region(prefix: object) -> Region:
    """The units of a code prefix; :class:`~geo.io.districts.DistrictError` (one line) when none."""
    p = districts.region_code(str(prefix).strip())  # 440500 is 4405 (汕头市)
    if not p.isdigit() or len(p) > 6:
        raise districts.DistrictError(Msg.of("why.region_not_code", given=repr(p)))
    units = districts.units(p)
    if units.empty:
        raise districts.DistrictError(Msg.of("why.region_none", prefix=p))
    return Region(p, districts.name_of(p), units)


def outlines(reg: Region) -> gpd.GeoDataFrame:
    """The outlines of the region's units that have one: ``code, name, geometry`` (WGS-84)."""
    codes = reg.units.loc[reg.units["has_outline"], "code"]
    if codes.empty:
        return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs="EPSG:4326")
    return pd.concat([districts.outline(c) for c in codes], ignore_index=True)


# --------------------------------------------------------------------------- region-wide files


@dataclass
class Share:
    """One unit's rows of a region-wide table: the canonical cells and their spreadsheet rows."""

    table: pd.DataFrame
    rows: list[int]


def split_by_unit(path: Path, crs: str, schema: sources.Schema | str, reg: Region,
                  shapes: gpd.GeoDataFrame) -> tuple[dict[str, Share], list[ImportProblem]]:
    """Read a region-wide table of points (centres; the life circle's facilities) with the one
    reader and split its rows by the unit they lie in. Returns the shares and a problem for
    every row that cannot be placed: a bad coordinate cell, or outside every unit."""
    src, t = sources.load_table(path, schema)
    whole = gpd.GeoDataFrame({"code": [reg.prefix], "name": [reg.name or reg.label]},
                             geometry=[shapes.geometry.union_all()], crs="EPSG:4326")
    problems, skip = registry.point_columns(src.name, t, ["lon", "lat"], whole)
    check, cell_problems = registry.table_coordinates(t, crs, whole, skip)
    problems += [p for p in cell_problems if p.level == "error"]
    ok = np.flatnonzero(check.ok)
    pts = shapely.points(check.lon[ok], check.lat[ok])
    which, unit = shapely.STRtree(np.asarray(shapes.geometry.values)).query(pts, predicate="intersects")
    first = np.full(ok.size, -1)
    order = np.lexsort((unit, which))
    which, unit = which[order], unit[order]
    head = np.r_[True, which[1:] != which[:-1]] if which.size else np.zeros(0, bool)
    first[which[head]] = unit[head]
    for i in ok[first < 0]:  # inside the region's union but on no unit: a gap between outlines
        problems.append(t.problem(int(i), "lon", f"{t.df['lon'].iat[i]}, {t.df['lat'].iat[i]}",
                                  Msg.of("why.outside_units", region=reg.names), column=t.pair))
    shares: dict[str, Share] = {}
    codes = shapes["code"].to_numpy()
    for u in np.unique(first[first >= 0]):
        idx = ok[first == u]
        shares[str(codes[u])] = Share(t.df.iloc[idx].reset_index(drop=True), [t.rows[i] for i in idx])
    problems.sort(key=lambda p: (p.row or 0))
    return shares, problems


def raise_for_rows(path: Path, problems: list[ImportProblem]) -> None:
    """Refuse a region-wide file with problems, listing each row (the CLI prints them all)."""
    if problems:
        raise DataError(path, list(problems))


# --------------------------------------------------------------------------- networks


def clip_graph(graph: wg.WalkGraph, outline: gpd.GeoDataFrame, margin_m: float) -> wg.WalkGraph | None:
    """The part of a region's walking network a unit's analysis can use: the streets with an end
    within ``margin_m`` (the walking limit) of the unit's outline. None when there is none.
    A piece of the region's main network stays main however short the cut leaves it."""
    area = outline.to_crs(graph.crs).geometry.union_all().buffer(margin_m, quad_segs=4)
    shapely.prepare(area)
    near = shapely.contains_xy(area, graph.x, graph.y)
    edges = np.flatnonzero(near[graph.u] | near[graph.v])
    if edges.size == 0:
        return None
    nodes = np.unique(np.r_[graph.u[edges], graph.v[edges]])
    new = np.full(graph.n_nodes, -1, np.int64)
    new[nodes] = np.arange(nodes.size)
    return wg.graph_from_arrays(graph.x[nodes], graph.y[nodes], new[graph.u[edges]], new[graph.v[edges]],
                                graph.length[edges], geometry=graph.geometry[edges], crs=graph.crs,
                                node_ids=graph.node_ids[nodes], name=graph.name,
                                main_nodes=graph.main_part[graph.part[nodes]])  # the region's main, not the cut's


# --------------------------------------------------------------------------- outputs


def summary_frame(rows: list[dict]) -> pd.DataFrame:
    """``region_summary.csv``: one row per unit, in code order; the contract's columns first, then
    the life circle's (``lc_*``) when it was run."""
    extra = [c for c in LIFE_COLUMNS if any(c in r for r in rows)]
    df = pd.DataFrame(rows, columns=SUMMARY_COLUMNS + extra).sort_values("adcode").reset_index(drop=True)
    for c in ("n_streets", "n_communities", "n_centers", "n_gaps", *(c for c in extra if c in LIFE_COUNTS)):
        df[c] = df[c].astype("Int64")
    return df


def write_outputs(out: Path, reg: Region, summary: pd.DataFrame, shapes: gpd.GeoDataFrame,
                  minutes: float, lang: str = "zh") -> list[Path]:
    """``region_summary.csv``, ``region_map.png`` and ``region_brief.md`` into ``out``; the map's
    title and the brief in ``lang`` (the CSV's columns are the same in every language)."""
    from geo.render import region_map

    out.mkdir(parents=True, exist_ok=True)
    paths = [tables.write_csv(summary, out / "region_summary.csv")]
    title = text("map.region_title", lang, region=_region_name(reg, lang), m=f"{minutes:g}",
                 units=Msg.of("run.n_units", n=len(summary)))
    units = gpd.GeoDataFrame(summary.merge(shapes[["code", "geometry"]], left_on="adcode", right_on="code",
                                           how="left"), geometry="geometry", crs="EPSG:4326")
    paths.append(region_map.write_png(units, title, out / "region_map.png", lang))
    brief = brief_text(reg, summary, minutes, lang)
    files.atomic_write(out / "region_brief.md", lambda tmp: Path(tmp).write_text(brief, encoding="utf-8"))
    paths.append(out / "region_brief.md")
    return paths


def _region_name(reg: Region, lang: str) -> str:
    """The region's name in ``lang`` (its label when it has no name)."""
    if not reg.name:
        return reg.names.en if lang == "en" else reg.names.zh
    return districts.english_name(reg.name) if lang == "en" else reg.name


def brief_text(reg: Region, summary: pd.DataFrame, minutes: float, lang: str = "zh") -> str:
    """The region's brief (Markdown) in ``lang``: headline, the units by coverage, failures."""
    ok = summary[summary["status"] == "ok"]
    failed = summary[summary["status"] != "ok"]
    area = ok["area_km2"].sum()
    covered = (ok["area_km2"] * ok["covered_pct"] / 100).sum()
    lines = [text("map.region_brief_title", lang, region=_region_name(reg, lang), m=f"{minutes:g}"), "",
             text("map.region_brief_units", lang, units=Msg.of("run.n_units", n=len(summary)), ok=len(ok),
                  failed=len(failed), streets=Msg.of("run.n_streets", n=int(summary["n_streets"].sum())),
                  communities=Msg.of("run.n_villages", n=int(summary["n_communities"].sum()))),
             text("map.region_brief_area", lang, covered=f"{covered:,.1f}", area=f"{area:,.1f}",
                  pct=f"{(100 * covered / area) if area else 0:.1f}",
                  centres=Msg.of("run.n_centres", n=int(ok["n_centers"].sum())),
                  gaps=Msg.of("run.n_gaps", n=int(ok["n_gaps"].sum()))), "",
             text("map.region_brief_head", lang), "|---|---|---:|---:|---:|---:|---|"]
    for r in summary.sort_values(["status", "covered_pct"], ascending=[True, True], na_position="last").itertuples():
        pct = f"{r.covered_pct:.1f}%" if pd.notna(r.covered_pct) else "—"
        area_txt = f"{r.area_km2:,.1f}" if pd.notna(r.area_km2) else "—"
        lines.append(f"| {r.adcode} | {r.name} | {area_txt} | {pct} | {_int(r.n_centers)} | {_int(r.n_gaps)} | "
                     f"{r.status} |")
    if "lc_fully_served" in summary.columns:
        lines += _life_lines(ok, lang)
    lines += ["", text("map.region_brief_notice", lang)]
    return "\n".join(lines) + "\n"


def _life_lines(ok: pd.DataFrame, lang: str) -> list[str]:
    """The life circle's part of the brief: communities reaching every category, per unit."""
    served, total = int(ok["lc_fully_served"].sum()), int(ok["n_communities"].sum())
    share = 100 * served / total if total else 0.0
    lines = ["", text("map.region_brief_life", lang), "",
             text("map.region_brief_served", lang, served=f"{served:,}", total=f"{total:,}", pct=f"{share:.1f}"), "",
             text("map.region_brief_life_head", lang), "|---|---|---:|---:|---|"]
    for r in ok.sort_values("lc_fully_served_pct", na_position="last").itertuples():
        pct = f"{r.lc_fully_served_pct:.1f}%" if pd.notna(r.lc_fully_served_pct) else "—"
        lines.append(f"| {r.adcode} | {r.name} | {_int(r.lc_facilities)} | {_int(r.lc_fully_served)}（{pct}） | "
                     f"{r.lc_weakest}（{r.lc_weakest_pct:.1f}%） |")
    return lines


def _int(v: object) -> str:
    return "—" if pd.isna(v) else f"{int(v):,}"
