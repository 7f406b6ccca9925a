"""The one validator of service-centre tables: every problem, by row and column."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.engine import schema
from geo.engine.schema import locate as _locate_points
from geo.io import data
from geo.io.errors import DataError, ImportProblem
from geo.io.registry import (
    CoordCheck,
    Registry,
    crs_warning,
    point_columns,
    row_ref,
    table_coordinates,
    tier_of,
)
from geo.io.sources import CENTERS, Table, frame_table, import_options, load_table
from geo.locale import Msg, text

if TYPE_CHECKING:
    from geo.io.district import District

_REQUIRED = ("name", "tier", "lon", "lat")

# --------------------------------------------------------------------------- reports


@dataclass
class ImportReport:
    """The outcome of :func:`import_centers` (and of :func:`geo.io.candidates.import_candidates`)."""

    valid: gpd.GeoDataFrame
    """Rows without problems: ``centers.csv`` columns (candidate sites: ``source, name, lon, lat``)
    + geometry, EPSG:4326 (WGS-84)."""
    problems: list[ImportProblem]
    """Every error; each excludes the row it names."""
    warnings: list[ImportProblem]
    """Things to check that do not exclude a row (coordinate system, ignored columns …)."""
    source: str
    """File name, for messages."""
    n_rows: int
    """Data rows read (fully blank rows are not counted)."""
    valid_rows: list[int]
    """Spreadsheet row of each row of ``valid``, in order."""
    crs: str
    """The coordinate system the user chose."""
    inside_counts: dict[str, int] = field(default_factory=dict)
    """Points inside the district for each coordinate system."""
    suggested_crs: str | None = None
    """Set when another coordinate system puts more points inside the district."""

    @property
    def ok(self) -> bool:
        """True when every row is valid."""
        return not self.problems

    @property
    def rejected_rows(self) -> list[int]:
        """Spreadsheet rows excluded because of a problem."""
        return sorted({p.row for p in self.problems if p.row is not None})

    def problems_frame(self, include_warnings: bool = True, lang: str = "en") -> pd.DataFrame:
        """Problems (and warnings) as a table: ``row, column, value, reason, level``; the reason
        in ``lang``, the other columns as the file has them."""
        items = self.problems + (self.warnings if include_warnings else [])
        items = sorted(items, key=lambda p: (p.row if p.row is not None else 0, p.level != "error"))
        return pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "reason": p.why(lang),
                              "level": p.level} for p in items],
                            columns=["row", "column", "value", "reason", "level"])

    def raise_for_problems(self) -> None:
        """Raise :class:`DataError` listing every problem, if there is any."""
        if self.problems:
            raise DataError(self.source, list(self.problems))

    def summary(self, lang: str = "en") -> str:
        """One line for the user in ``lang``, e.g. 'c.csv: 172 rows read: 170 valid, 2 with
        problems (rows 5, 9)'."""
        bad = self.rejected_rows
        line = text("why.sum_read", lang, file=self.source, n=self.n_rows, ok=len(self.valid))
        if bad:
            line += text("why.sum_bad", lang, n=len(bad), rows=shown_rows(bad))
        if self.warnings:
            line += text("why.sum_warn", lang, n=len(self.warnings))
        return line


def shown_rows(rows: list[int], limit: int = 10) -> list[int | str]:
    """The first ``limit`` of ``rows`` for a reason's ``{rows}`` (an ellipsis when there are more)."""
    return [int(r) for r in rows[:limit]] + (["…"] if len(rows) > limit else [])


# --------------------------------------------------------------------------- centres


def import_centers(source: str | os.PathLike | bytes | io.IOBase, crs: str = "wgs84", *,
                   filename: str | None = None, sheet: str | None = None, layer: str | None = None,
                   district: District, streets: gpd.GeoDataFrame | None = None,
                   communities: gpd.GeoDataFrame | None = None, max_bytes: int | None = None,
                   max_rows: int | None = None) -> ImportReport:
    """Read and validate a centres file; return its valid rows and every problem.

    Parameters
    ----------
    source
        A path, the file's bytes (an upload) or a binary file object.
    crs
        The coordinate system of the file's longitudes/latitudes: ``wgs84``, ``gcj02``
        (AMap/Tencent) or ``bd09`` (Baidu).
    filename
        The file's name when ``source`` is bytes (used for its type and in messages).
    sheet, layer
        The XLSX sheet or GeoPackage layer to read (default: the first).
    district
        The :class:`~geo.io.district.District` whose registry and outline the rows are checked against.
    streets, communities
        The boundaries in use (default: the district's own layout); they fill in empty
        street/community codes from the position.
    max_bytes, max_rows
        Limits (default :data:`geo.io.sources.MAX_BYTES`, :data:`~geo.io.sources.MAX_ROWS`;
        :data:`~geo.io.sources.MAX_COLUMNS` always applies).

    Raises
    ------
    DataError
        When nothing can be imported: unreadable file, over a limit, a required column
        missing, no data rows, unknown coordinate system.
    """
    chosen, max_bytes, max_rows = import_options(crs, filename, max_bytes, max_rows)
    warnings: list[ImportProblem] = []
    src, table = load_table(source, CENTERS, filename=filename, sheet=sheet, layer=layer, max_bytes=max_bytes,
                            max_rows=max_rows, warnings=warnings)
    return _validate_centers(src.name, table, chosen, warnings, district, streets, communities)


def validate_centers(table: pd.DataFrame, crs: str = "wgs84", *, source: str = "table",
                     district: District, streets: gpd.GeoDataFrame | None = None,
                     communities: gpd.GeoDataFrame | None = None) -> ImportReport:
    """Check an in-memory centres table (the app's editor, the store's edits) like a file.

    ``table`` has English or Chinese headers; cells may be text or numbers. Row ``i`` of the
    table is reported as spreadsheet row ``i + 2`` (the header is row 1).
    """
    chosen, _, _ = import_options(crs, source, None, None)
    warnings: list[ImportProblem] = []
    t = frame_table(table, CENTERS, source, warnings)
    return _validate_centers(source, t, chosen, warnings, district, streets, communities)


@dataclass
class _Rows:
    """What the checks of one centres table share: the table and the problems found so far."""

    t: Table
    warnings: list[ImportProblem]
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.t.df)

    def add(self, i: int, f: str, value: str, reason: Msg, level: str = "error", column: str | None = None) -> None:
        item = self.t.problem(int(i), f, value, reason, level, column)
        (self.problems if level == "error" else self.warnings).append(item)

    def text(self, f: str) -> np.ndarray:
        """A column's stripped cells (empty where the table has no such column)."""
        if f not in self.t.df:
            return np.full(self.n, "", dtype=object)
        return self.t.df[f].astype(str).str.strip().to_numpy(dtype=object)


def _validate_centers(name: str, t: Table, chosen: str, warnings: list[ImportProblem], district: District,
                      streets: gpd.GeoDataFrame | None, communities: gpd.GeoDataFrame | None) -> ImportReport:
    """Every check of a centres table, in the order its problems are listed."""
    r = _Rows(t, warnings)
    r.problems, skip = point_columns(name, t, _REQUIRED, district.outline)
    names = _check_names(r)
    tiers = _check_tiers(r)
    ids = _check_ids(r)
    coords = _check_coordinates(r, chosen, district.outline, skip)
    reg = district.registry
    street_code, community_code = _check_registry(r, reg)
    comms = communities if communities is not None else district.shipped("communities")
    strs = streets if streets is not None else district.shipped("streets")
    located = _locate(r, coords, tiers, street_code, community_code, strs, comms)
    _check_one_community_centre(r, reg, tiers, community_code, coords.usable, located,
                                data.is_illustrative(comms))
    valid, keep = _valid_rows(r, names, tiers, ids, street_code, community_code, coords)
    return ImportReport(valid, r.problems, warnings, name, r.n, [t.rows[i] for i in keep], chosen,
                        coords.counts, coords.suggested)


def _check_names(r: _Rows) -> np.ndarray:
    """Every centre has a name of at most 200 characters."""
    names = r.text("name")
    lengths = pd.Series(names).str.len().to_numpy()
    for i in np.flatnonzero((lengths == 0) | (lengths > 200)):
        if lengths[i] == 0:
            r.add(i, "name", "", Msg.of("why.empty_name"))
        else:
            r.add(i, "name", names[i][:40] + "…", Msg.of("why.long_name"))
    return names


def _check_tiers(r: _Rows) -> np.ndarray:
    """Every centre has a known tier (English or Chinese); the canonical tier, or None."""
    cells = r.t.df["tier"].to_numpy(dtype=object)
    known = {v: tier_of(v) for v in set(cells)}
    tiers = np.array([known[v] for v in cells], dtype=object)
    for i in np.flatnonzero(pd.isna(tiers)):
        r.add(i, "tier", cells[i], Msg.of("why.unknown_tier") if cells[i].strip() else Msg.of("why.empty_tier"))
    return tiers


def _check_ids(r: _Rows) -> np.ndarray:
    """Ids, where given, are unique."""
    ids = r.text("id")
    given = pd.Series(ids)[ids != ""]
    first = given.index.to_series().groupby(given.to_numpy()).transform("first")
    for i in given.index[given.duplicated()]:
        r.add(i, "id", ids[i], Msg.of("why.duplicate_id", ref=row_ref(r.t.rows[first[i]])))
    return ids


def _check_coordinates(r: _Rows, chosen: str, district, skip: set[int]) -> CoordCheck:
    """Numbers, in range, not swapped, inside the district; warns of a likelier coordinate system."""
    coords, problems = table_coordinates(r.t, chosen, district, skip)
    r.problems += problems
    if coords.suggested:
        r.warnings.append(crs_warning(chosen, coords.suggested, coords.counts, int(coords.usable.sum()),
                                      district))
    return coords


def _check_registry(r: _Rows, reg: Registry) -> tuple[np.ndarray, np.ndarray]:
    """Street and community names or codes found in the registry; a community in its street."""
    codes = {"street": np.full(r.n, "", dtype=object), "community": np.full(r.n, "", dtype=object)}
    resolved: dict[tuple[str, str, str], tuple[str | None, Msg | None]] = {}
    for f, level in (("street_code", "street"), ("street_name", "street"),
                     ("community_code", "community"), ("community_name", "community")):
        if f not in r.t.df:
            continue
        target = codes[level]
        for i, v in enumerate(r.t.df[f]):
            if not v or target[i]:
                continue
            key = (v, level, codes["street"][i])
            if key not in resolved:
                resolved[key] = reg.resolve(v, level, key[2] or None)
            code, reason = resolved[key]
            if code is None:
                r.add(i, f, v, reason)
            else:
                target[i] = code
    street, community = codes["street"], codes["community"]
    parent = np.array([reg.parent.get(c, "") for c in community], dtype=object)
    column = "street_name" if "street_name" in r.t.headers else "street_code"
    for i in np.flatnonzero((community != "") & (street != "") & (street != parent)):
        r.add(i, column, street[i], Msg.of("why.wrong_street", comm=reg.name[community[i]], parent=reg.name[parent[i]],
                                           div=parent[i], street=reg.name.get(street[i], street[i])))
    fill = (community != "") & (street == "")
    street[fill] = parent[fill]
    return street, community


def _locate(r: _Rows, coords: CoordCheck, tiers: np.ndarray, street_code: np.ndarray,
            community_code: np.ndarray, streets, communities) -> np.ndarray:
    """Fill empty codes from the boundaries containing each usable position (in place); returns
    the community-tier rows whose community was found that way."""
    located = np.zeros(r.n, dtype=bool)
    idx = np.flatnonzero(coords.usable)
    if not len(idx):
        return located
    pts = gpd.GeoDataFrame({
        "id": "", "name": "", "tier": [t or "" for t in tiers[idx]], "street_code": street_code[idx],
        "community_code": community_code[idx], "lon": coords.lon[idx], "lat": coords.lat[idx],
        "position_source": "",
    }, geometry=gpd.points_from_xy(coords.lon[idx], coords.lat[idx]), crs="EPSG:4326")
    loc = _locate_points(pts, streets, communities)
    found_street = loc["street_code"].to_numpy(dtype=object)
    found_comm = loc["community_code"].to_numpy(dtype=object)
    fill = street_code[idx] == ""
    street_code[idx[fill]] = found_street[fill]
    fill = (tiers[idx] == "community") & (community_code[idx] == "") & (found_comm != "")
    community_code[idx[fill]] = found_comm[fill]
    located[idx[fill]] = True
    return located


def _check_one_community_centre(r: _Rows, reg: Registry, tiers: np.ndarray, community_code: np.ndarray,
                                usable: np.ndarray, located: np.ndarray, illustrative: bool) -> None:
    """One community-tier centre per community; warns where a community is not known."""
    comm = tiers == "community"
    bad_rows = {p.row for p in r.problems}
    clean = ~np.isin(np.asarray(r.t.rows), list(bad_rows))
    unknown = comm & (community_code == "") & usable & clean
    keyed = pd.Series(np.flatnonzero(comm & (community_code != "")))
    codes = community_code[keyed.to_numpy()]
    first = keyed.groupby(codes).transform("first").to_numpy()
    second = np.zeros(r.n, dtype=bool)
    second[keyed.to_numpy()[keyed.to_numpy() != first]] = True
    first_of = dict(zip(keyed.to_numpy(), first))
    for i in np.flatnonzero(unknown | second):
        if unknown[i]:
            r.add(i, "community_name", "", Msg.of("why.no_community"), level="warning")
            continue
        c, j = community_code[i], first_of[i]
        guessed = bool((located[i] or located[j]) and illustrative)
        reason = Msg.of("why.second_community_centre", comm=reg.name.get(c, c), ref=row_ref(r.t.rows[j]),
                        ill=Msg.of("why.ill_suffix") if guessed else "")
        if guessed:
            r.add(i, "community_name", c, reason, level="warning")
        else:
            r.add(i, "community_name" if "community_name" in r.t.headers else "community_code", c, reason)
    if illustrative and located.any():
        n = int(located.sum())
        r.warnings.append(ImportProblem(None, None, str(n), Msg.of("why.located_illustrative", n=n),
                                        field="community_code", level="warning"))


def _valid_rows(r: _Rows, names: np.ndarray, tiers: np.ndarray, ids: np.ndarray, street_code: np.ndarray,
                community_code: np.ndarray, coords: CoordCheck) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The rows without problems in the ``centers.csv`` columns, and their positions; missing
    ids are generated without clashing with given ones."""
    bad_rows = {p.row for p in r.problems}
    keep = np.flatnonzero(~np.isin(np.asarray(r.t.rows), list(bad_rows)))
    used = set(ids[ids != ""])
    gen = iter(f"C{k:04d}" for k in range(1, 10 * r.n + len(used) + 2) if f"C{k:04d}" not in used)
    source = r.text("position_source") if "position_source" in r.t.df else np.full(r.n, "", dtype=object)
    valid = pd.DataFrame({
        "id": [ids[i] or next(gen) for i in keep],
        "name": names[keep],
        "tier": tiers[keep],
        "street_code": street_code[keep],
        "community_code": np.where(tiers[keep] == "community", community_code[keep], ""),
        "lon": coords.lon[keep].astype(float),
        "lat": coords.lat[keep].astype(float),
        "position_source": np.where(source[keep] == "", "user", source[keep]),
    }, columns=schema.CENTER_COLUMNS)
    for c in schema.CENTER_COLUMNS:
        if c not in ("lon", "lat"):
            valid[c] = valid[c].astype(str)
    gdf = gpd.GeoDataFrame(valid, geometry=gpd.points_from_xy(valid["lon"], valid["lat"]), crs="EPSG:4326")
    return gdf, keep
