"""The registry of divisions and the district: name/code lookups; the one check of coordinate cells."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.engine import schema
from geo.io import districts
from geo.io.cells import NUMBER, cell_text, isna
from geo.io.errors import DataError, ImportProblem
from geo.io.sources import Table, items_of, split_lonlat
from geo.locale import Msg, Name

# Suffixes a division's name may carry or omit, longest first.
_NAME_SUFFIXES = tuple(sorted(
    ("社区居民委员会", "村民委员会", "居民委员会", "社区居委会", "街道办事处", "村委会", "居委会",
     "街道办", "社区", "街道", "村"), key=len, reverse=True))

# --------------------------------------------------------------------------- words in reasons

LEVEL_WORDS = {"street": Msg.of("why.lv_street"), "community": Msg.of("why.lv_community"),
               "district": Msg.of("why.lv_district")}
CRS_WORDS = {"wgs84": Msg.of("crs_wgs84"), "gcj02": Msg.of("crs_gcj02"), "bd09": Msg.of("crs_bd09")}


def level_word(level: str) -> Msg | str:
    """A division level (``street``, ``community``, ``district``) as a word of a reason."""
    return LEVEL_WORDS.get(level, level)


def crs_word(crs: str) -> Msg | str:
    """A coordinate system (``wgs84``, ``gcj02``, ``bd09``) by its name in the catalogue."""
    return CRS_WORDS.get(crs, crs)


def row_ref(row: int) -> Msg:
    """'row 3' / '第 3 行' inside a reason (an edit names the centre there instead)."""
    return Msg.of("why.row_ref", row=int(row))


def district_name(outline: gpd.GeoDataFrame) -> Name:
    """The district of an outline by its names in both languages, for a reason's ``{district}``."""
    return Name(districts.label(outline, "zh"), districts.label(outline, "en"))


# --------------------------------------------------------------------------- registry


def is_code(v: str) -> bool:
    v = v.strip()
    return v.removesuffix(".0").isdigit()


def _name_keys(name: str) -> set[str]:
    n = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)))
    keys = {n}
    for s in _NAME_SUFFIXES:
        if n.endswith(s) and len(n) > len(s):
            keys.add(n[: -len(s)])
            break
    return keys


@dataclass
class Registry:
    """Lookups over ``divisions.csv``: code and (suffix-free) name to code, per level."""

    divisions: pd.DataFrame
    label: Name | str = Name("本区", "the district")
    """The district's names in the reasons (``Name('金平区', 'Jinping District')``)."""

    def __post_init__(self) -> None:
        d = self.divisions
        self.name = dict(zip(d["code"], d["name"]))
        self.parent = dict(zip(d["code"], d["parent_code"]))
        self.level = dict(zip(d["code"], d["level"]))
        self.exact: dict[tuple[str, str], set[str]] = {}
        self.keys: dict[tuple[str, str], set[str]] = {}
        for code, name, level in zip(d["code"], d["name"], d["level"]):
            full = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
            self.exact.setdefault((level, full), set()).add(code)
            for k in _name_keys(name):
                self.keys.setdefault((level, k), set()).add(code)

    def codes(self, level: str) -> list[str]:
        return [c for c, lv in self.level.items() if lv == level]

    def example(self, level: str) -> Msg:
        """A name and a code of the registry at ``level``, e.g. '金霞街道 or 440507001'."""
        codes = sorted(self.codes(level))
        return Msg.of("why.name_or_code", name=self.name[codes[0]], div=codes[0]) if codes \
            else Msg.of("why.official_name")

    def resolve(self, value: str, level: str, street: str | None = None) -> tuple[str | None, Msg | None]:
        """(code, None) for a code or name of ``level``, else (None, reason)."""
        v = unicodedata.normalize("NFKC", str(value)).strip()
        digits = re.sub(r"\s+", "", v)
        if digits.endswith(".0") and digits[:-2].isdigit():
            digits = digits[:-2]
        if digits.isdigit():
            code = digits
            if level == "street" and len(code) == 12 and code.endswith("000"):
                code = code[:9]
            if self.level.get(code) == level:
                return code, None
            if code in self.level:
                return None, Msg.of("why.code_level", div=code, a=level_word(self.level[code]), b=level_word(level))
            return None, Msg.of("why.unknown_code", level=level_word(level), district=self.label)
        full = re.sub(r"\s+", "", v)
        hits = self.exact.get((level, full)) or set()
        if not hits:
            for k in _name_keys(v):
                hits = hits | self.keys.get((level, k), set())
        if street and len(hits) > 1:
            hits = {h for h in hits if self.parent.get(h) == street}
        if len(hits) == 1:
            return next(iter(hits)), None
        if not hits:
            return None, Msg.of("why.unknown_name", level=level_word(level), ex=self.example(level))
        names = [Msg.of("why.name_code", name=self.name[h], div=h)
                 for h in sorted(hits, key=lambda h: (self.name[h], h))]
        return None, Msg.of("why.ambiguous", level=level_word(level), names=names)


def metric_crs(geom: shapely.Geometry) -> str:
    """The UTM zone of a WGS-84 geometry's centroid (EPSG:32650 for Shantou)."""
    c = geom.centroid
    return _crs.utm_crs(c.x, c.y)


def district_geom(district: gpd.GeoDataFrame) -> shapely.Geometry:
    """The outline (or region) as one WGS-84 geometry."""
    return shapely.union_all(np.asarray(district.to_crs("EPSG:4326").geometry.values))


# --------------------------------------------------------------------------- tiers and coordinate systems


def tier_of(value: str) -> str | None:
    """The canonical tier of a value such as 'station', '服务站', '社区党群服务中心', or None."""
    v = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
    for cand in (v, v.replace("(", "（").replace(")", "）")):
        t = schema.normalise_tier(cand)
        if t:
            return t
        for suffix in ("党群服务中心", "党群服务站", "服务中心", "中心", "级"):
            if cand.endswith(suffix) and len(cand) > len(suffix):
                t = schema.normalise_tier(cand[: -len(suffix)])
                if t:
                    return t
    return None


def inside_counts(lon: np.ndarray, lat: np.ndarray,
                  district: gpd.GeoDataFrame) -> dict[str, int]:
    """How many points fall inside the district when read as each coordinate system."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    geom = district_geom(district)
    shapely.prepare(geom)
    out = {}
    for name in _crs.CRS_NAMES:
        x, y = _crs.convert(lon[ok], lat[ok], name, "wgs84")
        out[name] = int(shapely.contains_xy(geom, x, y).sum()) if ok.any() else 0
    return out


def guess_crs(lon: np.ndarray, lat: np.ndarray, chosen: str,
              district: gpd.GeoDataFrame) -> tuple[str | None, dict[str, int]]:
    """(a better coordinate system than ``chosen`` or None, points inside for each system)."""
    chosen = _crs.check_crs(chosen)
    counts = inside_counts(lon, lat, district)
    best = max(_crs.CRS_NAMES, key=lambda n: (counts[n], n == chosen))
    return (best if counts[best] > counts[chosen] else None), counts


def crs_warning(chosen: str, best: str, counts: dict[str, int], n: int,
                district: gpd.GeoDataFrame) -> ImportProblem:
    """The warning that ``best`` puts more of the ``n`` points inside the district than ``chosen``."""
    return ImportProblem(None, None, best, Msg.of(
        "why.crs_guess", best=crs_word(best), chosen=crs_word(chosen), option=best, n=n, nc=counts[chosen],
        nb=counts[best], district=district_name(district)), field="crs", level="warning")


def distance_m(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Distance in metres from each point to a (WGS-84) geometry, in the geometry's UTM zone."""
    metric = metric_crs(geom)
    g = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(metric).iat[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(metric)
    return shapely.distance(np.asarray(pts.values), g)


# --------------------------------------------------------------------------- coordinate cells


@dataclass(frozen=True)
class CoordIssue:
    """One bad coordinate pair: which pair, which cell, its text and why."""

    index: int
    field: str  # "lon" or "lat": the cell at fault (the longitude for problems of the pair)
    value: str
    reason: Msg
    pair: bool = False  # about both cells: report it under the lon/lat pair of columns


@dataclass
class CoordCheck:
    """The outcome of :func:`check_coordinates`, one entry per pair."""

    lon: np.ndarray
    """WGS-84 longitude (NaN where the pair is not usable)."""
    lat: np.ndarray
    usable: np.ndarray
    """Numbers, in range, not swapped (before the district check)."""
    ok: np.ndarray
    """Usable and inside the district (within the tolerance)."""
    issues: list[CoordIssue]
    """Cell problems in pair order, then district problems in pair order."""
    counts: dict[str, int]
    suggested: str | None


def not_a_number(example: tuple[float, float]) -> Msg:
    """The reason of a cell that is not a number, with an example inside the district."""
    return Msg.of("why.not_number", ex_lon=float(example[0]), ex_lat=float(example[1]))


def parse_numbers(values: Sequence[object] | np.ndarray) -> tuple[np.ndarray, np.ndarray, Sequence[object]]:
    """``(numbers, empty, cells)`` of a column of cells: NaN where a cell is not a finite decimal
    (full-width digits and a trailing ° are accepted); numbers pass through (and are their own
    cells: :func:`cell_text` writes one only when a message needs it)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "fiu":
        nums = arr.astype(float)
        return np.where(np.isfinite(nums), nums, np.nan), np.zeros(len(nums), bool), nums
    text = pd.Series(arr, dtype=object).map(lambda v: "" if isna(v) else str(v))
    clean = text.str.normalize("NFKC").str.strip().str.replace("°", "", regex=False)
    number = clean.str.fullmatch(NUMBER.pattern).fillna(False).to_numpy(bool)
    with np.errstate(over="ignore"):
        nums = pd.to_numeric(clean.where(number, "nan"), errors="coerce").to_numpy(float)
    return np.where(np.isfinite(nums), nums, np.nan), (clean == "").to_numpy(), text.tolist()


def parse_number(s: str) -> float:
    """One cell as a number, NaN when it is not a finite decimal."""
    return float(parse_numbers([s])[0][0])


def _cell_issues(x: np.ndarray, y: np.ndarray, ex: np.ndarray, ey: np.ndarray, cx: Sequence[object],
                 cy: Sequence[object], skip: np.ndarray, example: tuple[float, float]
                 ) -> tuple[np.ndarray, list[CoordIssue]]:
    """(usable mask, issues) of the number, range and swap checks, pair by pair (``example``: a
    point of the district for the 'not a number' reason)."""
    nan_reason = not_a_number(example)
    xs, ys = _Cells(cx), _Cells(cy)
    both = ex & ey & ~skip
    bad_x = ~skip & ~both & (ex | np.isnan(x))
    bad_y = ~skip & ~both & (ey | np.isnan(y))
    cells = ~skip & ~both & ~bad_x & ~bad_y
    swapped = cells & (np.abs(x) <= 90) & (y >= 70) & (y <= 140)
    x_out = cells & ~swapped & ~((x >= -180) & (x <= 180))
    y_out = cells & ~swapped & ~x_out & ~((y >= -90) & (y <= 90))
    usable = cells & ~swapped & ~x_out & ~y_out
    found: list[tuple[int, int, CoordIssue]] = []
    for order, (mask, make) in enumerate((
        (both, lambda i: CoordIssue(i, "lon", "", Msg.of("why.empty_coords"), True)),
        (bad_x, lambda i: CoordIssue(i, "lon", "", Msg.of("why.empty_lon")) if ex[i]
         else CoordIssue(i, "lon", xs[i], nan_reason)),
        (bad_y, lambda i: CoordIssue(i, "lat", "", Msg.of("why.empty_lat")) if ey[i]
         else CoordIssue(i, "lat", ys[i], nan_reason)),
        (swapped, lambda i: CoordIssue(i, "lon", f"{xs[i]}, {ys[i]}", Msg.of("why.swapped"), True)),
        (x_out, lambda i: CoordIssue(i, "lon", xs[i], Msg.of("why.lon_range"))),
        (y_out, lambda i: CoordIssue(i, "lat", ys[i], Msg.of("why.lat_range"))),
    )):
        found += [(int(i), order, make(int(i))) for i in np.flatnonzero(mask)]
    return usable, [issue for *_, issue in sorted(found, key=lambda f: f[:2])]


class _Cells:
    """A column's cells as text, written only for the cells a message shows."""

    def __init__(self, cells: Sequence[object]) -> None:
        self.cells = cells

    def __getitem__(self, i: int) -> str:
        return cell_text(self.cells[i])


def _far_from(geom: shapely.Geometry, lon: np.ndarray, lat: np.ndarray, tolerance_m: float) -> np.ndarray:
    """Distance (m) of each point from ``geom``, 0 for points inside or within ``tolerance_m``."""
    dist = np.zeros(len(lon))
    out = ~shapely.contains_xy(geom, lon, lat)
    if tolerance_m > 0 and out.any():
        g = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(metric_crs(geom)).buffer(tolerance_m, quad_segs=4)
        zone = g.simplify(tolerance_m / 20).to_crs("EPSG:4326").iat[0]
        shapely.prepare(zone)
        out[out] = ~shapely.contains_xy(zone, lon[out], lat[out])
    if out.any():
        dist[out] = distance_m(geom, lon[out], lat[out])
    return dist


def check_coordinates(lon: Sequence[object] | np.ndarray, lat: Sequence[object] | np.ndarray,
                      crs: str = "wgs84", *, district: gpd.GeoDataFrame,
                      tolerance_m: float = 0.0, skip: Sequence[int] = (), guess: bool = True) -> CoordCheck:
    """Check coordinate pairs -- cells (text) or numbers -- in one vectorised pass.

    Each pair must be two finite decimals, longitude in [-180, 180], latitude in [-90, 90],
    not swapped, and (converted from ``crs`` to WGS-84) inside the district or at most
    ``tolerance_m`` metres outside it; the district problem gives the distance. Pairs whose
    index is in ``skip`` are neither checked nor usable. With ``guess``, ``suggested`` names a
    coordinate system that puts more of the points inside the district than ``crs`` does.
    The one check of coordinates for centres, candidate sites and boundary vertices.
    """
    chosen = _crs.check_crs(crs)
    x, ex, cx = parse_numbers(lon)
    y, ey, cy = parse_numbers(lat)
    skipped = np.zeros(len(x), bool)
    skipped[list(skip)] = True
    inside = district_geom(district).representative_point()
    usable, issues = _cell_issues(x, y, ex, ey, cx, cy, skipped, (inside.x, inside.y))
    xs, ys = _Cells(cx), _Cells(cy)
    x, y = np.where(usable, x, np.nan), np.where(usable, y, np.nan)
    wx, wy = _crs.convert(x, y, chosen, "wgs84")
    suggested, counts = None, {}
    if guess and usable.any():
        suggested, counts = guess_crs(x[usable], y[usable], chosen, district)
    ok = usable.copy()
    if usable.any():
        geom = district_geom(district)
        dist = np.zeros(len(x))
        dist[usable] = _far_from(geom, wx[usable], wy[usable], tolerance_m)
        ok &= ~(dist > tolerance_m)
        where = district_name(district) if (usable & ~ok).any() else None
        issues += [CoordIssue(int(i), "lon", f"{xs[i]}, {ys[i]}", Msg.of(
            "why.outside", district=where, m=float(dist[i]), crs=crs_word(chosen)), True)
                   for i in np.flatnonzero(usable & ~ok)]
    return CoordCheck(np.asarray(wx, float), np.asarray(wy, float), usable, ok, issues, counts, suggested)


def point_columns(name: str, t: Table, required: Sequence[str], district: gpd.GeoDataFrame
                  ) -> tuple[list[ImportProblem], set[int]]:
    """Make sure a table of points has its ``required`` columns (``lon``/``lat`` may come from a
    combined 'longitude,latitude' column) and a row; returns the problems of records whose
    position cannot be read (bad combined cell, not a point) and those records. ``district``:
    the area the points belong to (its own point is the example a reason gives)."""
    bad = split_lonlat(t)
    missing = [f for f in required if f not in t.headers]
    if missing:
        raise DataError(name, [ImportProblem(t.header_row, t.schema.hint(f), "",
                                             Msg.of("why.missing_column", col=t.schema.hint(f)),
                                             field=f) for f in missing])
    if len(t.df) == 0:
        raise DataError(name, Msg.of("why.no_rows", items=items_of(t.schema)))
    inside = district_geom(district).representative_point() if bad else None
    problems = [t.problem(i, "lon", t.df["lonlat"].iat[i], Msg.of("why.lonlat_cell",
                                                                  ex=f"{inside.x:.4f},{inside.y:.4f}"))
                for i in bad]
    problems += [t.problem(i, "lon", value, reason, column="geometry") for i, (value, reason) in t.notes.items()]
    return problems, set(bad) | set(t.notes)


def table_coordinates(t: Table, crs: str, district: gpd.GeoDataFrame,
                      skip: set[int]) -> tuple[CoordCheck, list[ImportProblem]]:
    """:func:`check_coordinates` on a table's ``lon``/``lat`` columns, problems named by row and header."""
    check = check_coordinates(t.df["lon"].tolist(), t.df["lat"].tolist(), crs, district=district,
                              skip=sorted(skip))
    return check, [t.problem(i.index, i.field, i.value, i.reason, column=t.pair if i.pair else None)
                   for i in check.issues]
