"""The one validator of service-centre tables: every problem, by row and column."""

from __future__ import annotations

import io
import os
import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import data
from geo.io.cells import cell_text, isna
from geo.io.errors import DataError, ImportProblem
from geo.io.registry import (
    Registry,
    crs_warning,
    default_layer,
    distance_m,
    district_geom,
    guess_crs,
    parse_number,
    tier_of,
)
from geo.io.sources import (
    Source,
    Table,
    csv_rows,
    import_options,
    read_source,
    table_from_rows,
    vector_table,
    xlsx_rows,
)

_REQUIRED = ("name", "tier", "lon", "lat")
_FIELD_HINT = {"name": "name/名称", "tier": "tier/级别", "lon": "lon/经度", "lat": "lat/纬度",
               "community_name": "community/社区", "street_name": "street/街道"}

# --------------------------------------------------------------------------- reports


@dataclass
class ImportReport:
    """The outcome of :func:`import_centers`."""

    valid: gpd.GeoDataFrame
    """Rows without problems: ``centers.csv`` columns + geometry, EPSG:4326 (WGS-84)."""
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

    def problems_frame(self, include_warnings: bool = True) -> pd.DataFrame:
        """Problems (and warnings) as a table: ``row, column, value, reason, level``."""
        items = self.problems + (self.warnings if include_warnings else [])
        items = sorted(items, key=lambda p: (p.row if p.row is not None else 0, p.level != "error"))
        return pd.DataFrame([{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason,
                              "level": p.level} for p in items],
                            columns=["row", "column", "value", "reason", "level"])

    def raise_for_problems(self) -> None:
        """Raise :class:`DataError` listing every problem, if there is any."""
        if self.problems:
            raise DataError(self.source, list(self.problems))

    def summary(self) -> str:
        """One line for the user, e.g. '172 rows read: 170 valid, 2 with problems (rows 5, 9)'."""
        bad = self.rejected_rows
        text = f"{self.source}: {self.n_rows} rows read: {len(self.valid)} valid"
        if bad:
            shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
            text += f", {len(bad)} with problems (rows {shown})"
        if self.warnings:
            text += f"; {len(self.warnings)} warning(s)"
        return text


# --------------------------------------------------------------------------- centres


def import_centers(source: str | os.PathLike | bytes | io.IOBase, crs: str = "wgs84", *,
                   filename: str | None = None, sheet: str | None = None, layer: str | None = None,
                   divisions: pd.DataFrame | None = None, district: gpd.GeoDataFrame | None = None,
                   streets: gpd.GeoDataFrame | None = None, communities: gpd.GeoDataFrame | None = None,
                   max_bytes: int | None = None, max_rows: int | None = None) -> ImportReport:
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
    divisions, district, streets, communities
        The registry and layers to check against (default: the shipped ones). Streets and
        communities fill in empty street/community codes from the position.
    max_bytes, max_rows
        Limits (default :data:`MAX_BYTES`, :data:`MAX_ROWS`).

    Raises
    ------
    DataError
        When nothing can be imported: unreadable file, over a limit, a required column
        missing, no data rows, unknown coordinate system.
    """
    chosen, max_bytes, max_rows = import_options(crs, filename, max_bytes, max_rows)
    src = read_source(source, filename, max_bytes)
    warnings: list[ImportProblem] = []
    if src.kind == "csv":
        table = table_from_rows(src, csv_rows(src, max_rows), max_rows, warnings)
    elif src.kind == "xlsx":
        table = table_from_rows(src, xlsx_rows(src, max_rows, max_bytes, sheet, warnings), max_rows, warnings)
    elif src.kind in ("geojson", "gpkg"):
        table = vector_table(src, layer, max_rows, max_bytes, warnings)
    else:
        raise DataError(src.name, "a zip file is not a centres table; upload CSV, XLSX, GeoJSON or GeoPackage")
    return _validate_centers(src.name, table, chosen, warnings, divisions, district, streets, communities)


def validate_centers(table: pd.DataFrame, crs: str = "wgs84", *, source: str = "table",
                     divisions: pd.DataFrame | None = None, district: gpd.GeoDataFrame | None = None,
                     streets: gpd.GeoDataFrame | None = None,
                     communities: gpd.GeoDataFrame | None = None) -> ImportReport:
    """Check an in-memory centres table (the app's editor, the store's edits) like a file.

    ``table`` has English or Chinese headers; cells may be text or numbers. Row ``i`` of the
    table is reported as spreadsheet row ``i + 2`` (the header is row 1).
    """
    chosen, _, _ = import_options(crs, source, None, None)
    frame = pd.DataFrame(table).drop(columns=[c for c in ("geometry",) if c in table.columns])
    header = [str(c) for c in frame.columns]
    cells = [["" if isna(v) else cell_text(v) for v in rec] for rec in frame.itertuples(index=False)]
    rows = [(1, header)] + [(i + 2, rec) for i, rec in enumerate(cells)]
    warnings: list[ImportProblem] = []
    t = table_from_rows(Source(source, b"", "csv"), rows, max(len(cells), 1), warnings)
    return _validate_centers(source, t, chosen, warnings, divisions, district, streets, communities)


def _validate_centers(name: str, t: Table, chosen: str, warnings: list[ImportProblem],
                      divisions, district, streets, communities) -> ImportReport:
    df, rows, headers = t.df, t.rows, t.headers
    n = len(df)
    bad: list[int] = []
    if ("lon" not in df or "lat" not in df) and "lonlat" in df:
        parts = [re.split(r"[,;\s]+", unicodedata.normalize("NFKC", s).strip()) for s in df["lonlat"]]
        df["lon"] = [p[0] if len(p) == 2 else "" for p in parts]
        df["lat"] = [p[1] if len(p) == 2 else "" for p in parts]
        headers.setdefault("lon", headers["lonlat"])
        headers.setdefault("lat", headers["lonlat"])
        bad = [i for i, p in enumerate(parts) if len(p) != 2 and any(p)]
    missing = [f for f in _REQUIRED if f not in headers]
    if missing:
        raise DataError(name, [ImportProblem(t.header_row, _FIELD_HINT[f], "",
                                             f"missing column {_FIELD_HINT[f]}; add it to the header row",
                                             field=f) for f in missing])
    if n == 0:
        raise DataError(name, "the file has no centres; add at least one row under the header")

    problems: list[ImportProblem] = []

    def add(i: int, f: str, value: str, reason: str, level: str = "error", column: str | None = None) -> None:
        item = ImportProblem(rows[i], column or headers.get(f, _FIELD_HINT.get(f, f)), value, reason,
                             field=f, level=level)
        (problems if level == "error" else warnings).append(item)

    for i in bad:
        add(i, "lon", df["lonlat"].iat[i], "expected 'longitude,latitude' (for example 116.7417,23.3956)")
    for i, why in t.notes.items():
        add(i, "lon", why[0], why[1], column="geometry")

    # --- names, tiers, ids
    names = [str(v).strip() for v in df["name"]]
    for i, v in enumerate(names):
        if not v:
            add(i, "name", "", "empty name; fill in the centre's name")
        elif len(v) > 200:
            add(i, "name", v[:40] + "…", "name longer than 200 characters; shorten it")
    tiers = [tier_of(v) for v in df["tier"]]
    for i, (v, tier) in enumerate(zip(df["tier"], tiers)):
        if tier is None:
            add(i, "tier", v, ("unknown tier" if v.strip() else "empty tier")
                + "; use district/street/community/station or 区级/街道/社区/服务站")
    ids = [str(v).strip() for v in df["id"]] if "id" in df else [""] * n
    first_id: dict[str, int] = {}
    for i, v in enumerate(ids):
        if not v:
            continue
        if v in first_id:
            add(i, "id", v, f"duplicate id; row {rows[first_id[v]]} has the same id")
        else:
            first_id[v] = i

    # --- coordinates
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    coord_ok = np.zeros(n, dtype=bool)
    pair = _pair(headers)
    lon_text, lat_text = list(df["lon"]), list(df["lat"])
    skip = set(bad) | set(t.notes)
    for i in range(n):
        if i in skip:
            continue
        xs, ys = lon_text[i], lat_text[i]
        if not xs and not ys:
            add(i, "lon", "", "empty coordinates; fill in longitude and latitude (经度, 纬度)", column=pair)
            continue
        xv, yv = parse_number(xs), parse_number(ys)
        row_ok = True
        for f, s, v in (("lon", xs, xv), ("lat", ys, yv)):
            if not s:
                add(i, f, "", f"empty {'longitude' if f == 'lon' else 'latitude'}")
                row_ok = False
            elif not np.isfinite(v):
                add(i, f, s, "not a number; write decimal degrees such as 116.7417 and 23.3956")
                row_ok = False
        if not row_ok:
            continue
        if abs(xv) <= 90 and 70 <= yv <= 140:
            add(i, "lon", f"{xs}, {ys}", "longitude and latitude look swapped; swap the two values", column=pair)
        elif not -180 <= xv <= 180:
            add(i, "lon", xs, "longitude out of range [-180, 180]")
        elif not -90 <= yv <= 90:
            add(i, "lat", ys, "latitude out of range [-90, 90]")
        else:
            x[i], y[i] = xv, yv
            coord_ok[i] = True

    # --- coordinate system and district
    wx, wy = _crs.convert(x, y, chosen, "wgs84")
    geom = district_geom(district)
    n_ok = int(coord_ok.sum())
    suggested, counts = (None, {})
    if n_ok:
        suggested, counts = guess_crs(x[coord_ok], y[coord_ok], chosen, district)
        if suggested:
            warnings.append(crs_warning(chosen, suggested, counts, n_ok))
        inside = np.zeros(n, dtype=bool)
        inside[coord_ok] = shapely.contains_xy(geom, wx[coord_ok], wy[coord_ok])
        out_idx = np.flatnonzero(coord_ok & ~inside)
        if len(out_idx):
            dist = distance_m(geom, wx[out_idx], wy[out_idx])
            for i, d in zip(out_idx, dist):
                add(int(i), "lon", f"{lon_text[i]}, {lat_text[i]}",
                    f"outside Longhu District, {d:,.0f} m from its outline; check the coordinates "
                    f"and the coordinate system ({chosen})", column=pair)

    # --- street and community against the registry
    reg = Registry(divisions if divisions is not None else default_layer("divisions"))
    street_code = [""] * n
    community_code = [""] * n
    for f_code, f_name, level, target in (("street_code", "street_name", "street", street_code),
                                          ("community_code", "community_name", "community", community_code)):
        for f in (f_code, f_name):
            if f not in df:
                continue
            for i, v in enumerate(df[f]):
                if not v or target[i]:
                    continue
                code, reason = reg.resolve(v, level, street_code[i] or None)
                if code is None:
                    add(i, f, v, reason)
                else:
                    target[i] = code
    for i in range(n):
        c = community_code[i]
        if c:
            parent = reg.parent[c]
            if street_code[i] and street_code[i] != parent:
                add(i, "street_name" if "street_name" in headers else "street_code", street_code[i],
                    f"{reg.name[c]} belongs to {reg.name[parent]} ({parent}), not to "
                    f"{reg.name.get(street_code[i], street_code[i])}; correct the street or the community")
            elif not street_code[i]:
                street_code[i] = parent

    # locate empty codes from the position (only rows with usable coordinates)
    streets_l = streets if streets is not None else default_layer("streets")
    comms_l = communities if communities is not None else default_layer("communities")
    located = np.zeros(n, dtype=bool)
    if coord_ok.any():
        pts = gpd.GeoDataFrame({
            "id": "", "name": "", "tier": [t or "" for t in tiers],
            "street_code": street_code, "community_code": community_code,
            "lon": wx, "lat": wy, "position_source": "",
        }, geometry=gpd.points_from_xy(np.where(coord_ok, wx, 0), np.where(coord_ok, wy, 0)), crs="EPSG:4326")
        pts = pts[coord_ok]
        if streets_l is not None or comms_l is not None:
            loc = data.locate(pts, streets_l, comms_l)
            for i, sc, cc in zip(np.flatnonzero(coord_ok), loc["street_code"], loc["community_code"]):
                if not street_code[i]:
                    street_code[i] = sc
                if tiers[i] == "community" and not community_code[i] and cc:
                    community_code[i] = cc
                    located[i] = True
    illustrative = comms_l is not None and data.is_illustrative(comms_l)

    # --- one community-tier centre per community
    first_comm: dict[str, int] = {}
    error_rows = {p.row for p in problems}
    for i in range(n):
        if tiers[i] != "community":
            continue
        c = community_code[i]
        if not c:
            if coord_ok[i] and rows[i] not in error_rows:
                add(i, "community_name", "", "community not known: no 社区/村 column value and the position "
                    "is in no community boundary; fill in the community", level="warning")
            continue
        if c in first_comm:
            j = first_comm[c]
            reason = (f"{reg.name.get(c, c)} already has a community-tier centre (row {rows[j]}); "
                      "one per community: make this one a station (服务站) or correct its community")
            if (located[i] or located[j]) and illustrative:
                add(i, "community_name", c, reason + " — found from the illustrative boundaries, so "
                    "check it against real ones", level="warning")
            else:
                add(i, "community_name" if "community_name" in headers else "community_code", c, reason)
        else:
            first_comm[c] = i
    if illustrative and located.any():
        warnings.append(ImportProblem(None, None, str(int(located.sum())),
                                      f"the community of {int(located.sum())} community-tier centre(s) was found "
                                      "from the illustrative boundaries; add a 社区/村 column or load real "
                                      "boundaries", field="community_code", level="warning"))

    # --- assemble the valid rows
    bad_rows = {p.row for p in problems}
    keep = [i for i in range(n) if rows[i] not in bad_rows]
    used = {ids[i] for i in range(n) if ids[i]}
    gen = iter(f"C{k:04d}" for k in range(1, 10 * n + len(used) + 2) if f"C{k:04d}" not in used)
    out_ids = [ids[i] or next(gen) for i in keep]
    source_col = ([str(v).strip() or "user" for v in df["position_source"]]
                  if "position_source" in df else ["user"] * n)
    valid = pd.DataFrame({
        "id": out_ids,
        "name": [names[i] for i in keep],
        "tier": [tiers[i] for i in keep],
        "street_code": [street_code[i] for i in keep],
        "community_code": [community_code[i] if tiers[i] == "community" else "" for i in keep],
        "lon": wx[keep].astype(float) if keep else np.array([], dtype=float),
        "lat": wy[keep].astype(float) if keep else np.array([], dtype=float),
        "position_source": [source_col[i] for i in keep],
    }, columns=data.CENTER_COLUMNS)
    for c in data.CENTER_COLUMNS:
        if c not in ("lon", "lat"):
            valid[c] = valid[c].astype(str)
    gdf = gpd.GeoDataFrame(valid, geometry=gpd.points_from_xy(valid["lon"], valid["lat"]), crs="EPSG:4326")
    return ImportReport(gdf, problems, warnings, name, n, [rows[i] for i in keep], chosen, counts, suggested)


def _pair(headers: dict[str, str]) -> str:
    lon, lat = headers.get("lon", "lon"), headers.get("lat", "lat")
    return lon if lon == lat else f"{lon}/{lat}"

