"""Centre edits on the user's store: add, move, rename, delete, replace all.

Each edit is one new version of the ``centers`` layer, made by :meth:`geo.io.store.Store.edit`
inside the store's write transaction, so it merges with other sessions' saves (or raises
:class:`~geo.io.store.ConflictError`). A new centre's id is taken there too, outside every id
the layer ever had (current, deleted, shipped): two sessions adding at once never collide and
a deleted id is never given again.

The edited layer is checked by the one validator of centres tables,
:func:`geo.io.centers.validate_centers`, against the store's boundaries (else the shipped
ones); the problems of the centres the edit added or changed refuse it (:class:`DataError`,
each problem named by the centre's id). Problems of centres the edit did not touch are
not this edit's business.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.engine import schema, siting
from geo.engine.siting import SitingPlan
from geo.io.centers import validate_centers
from geo.io.errors import DataError, ImportProblem
from geo.io.registry import not_a_number, tier_of
from geo.io.store import SaveResult, Store
from geo.locale import Msg

if TYPE_CHECKING:
    from geo.io.district import District

LAYER = "centers"

Bounds = tuple["District", gpd.GeoDataFrame, gpd.GeoDataFrame]
"""(the store's district, streets, communities) the edits are located in and checked against."""


class CenterEditor:
    """Add, move, rename and delete centres in ``store``, one version per edit.

    ``base_version`` is the version the user saw (``gdf.attrs["version"]`` of
    ``store.load("centers")``); without it an edit applies to the current version.
    """

    def __init__(self, store: Store):
        self.store = store

    def add(self, name: str, tier: str, lon: float, lat: float, *, crs: str = "wgs84", id: str | None = None,
            base_version: int | None = None, author: str = "", description: str | None = None) -> SaveResult:
        """Add a centre; its street and community are found from the position.

        ``tier`` in English or Chinese (``station``, ``服务站`` …); ``lon``/``lat`` in ``crs``
        (``wgs84``, ``gcj02`` for AMap/Tencent, ``bd09`` for Baidu). ``id`` defaults to the
        next ``C0001``-style id never used in the layer.
        """
        x, y = _wgs84(lon, lat, crs, self.store.district.point)
        name = str(name or "").strip()
        canon = tier_of(tier) or str(tier)  # an unknown tier is left for the validator to report

        def fn(gdf: gpd.GeoDataFrame, bounds: Bounds, used_keys: Callable[[], set[str]]) -> gpd.GeoDataFrame:
            new_id = (id or "").strip() or next_id(used_keys())
            if new_id in set(gdf["id"].astype(str)):  # the layer's key: checked before the validator sees it
                raise DataError(LAYER, [ImportProblem(None, "id", new_id, Msg.of("why.id_exists"), field="id")])
            row = gpd.GeoDataFrame({"id": [new_id], "name": [name], "tier": [canon], "street_code": [""],
                                    "community_code": [""], "lon": [x], "lat": [y], "position_source": ["user"]},
                                   geometry=gpd.points_from_xy([x], [y]), crs="EPSG:4326")
            row = _locate(row, bounds)
            out = pd.concat([gdf, row.reindex(columns=gdf.columns)], ignore_index=True)
            return gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs="EPSG:4326")

        return self._edit(fn, description or f"added {name}", base_version, author)

    def move(self, id: str, lon: float, lat: float, *, crs: str = "wgs84", base_version: int | None = None,
             author: str = "", description: str | None = None) -> SaveResult:
        """Move a centre; its street/community follow when it leaves them."""
        x, y = _wgs84(lon, lat, crs, self.store.district.point)

        def fn(gdf: gpd.GeoDataFrame, bounds: Bounds, _used: Callable[[], set[str]]) -> gpd.GeoDataFrame:
            i = _row_of(gdf, id)
            gdf = gdf.copy()
            gdf.loc[i, ["lon", "lat"]] = [x, y]
            gdf.loc[i, "position_source"] = "user"
            gdf.loc[i, gdf.geometry.name] = shapely.Point(x, y)
            one = _locate(gdf.loc[[i]], bounds, keep_if_inside=True)
            gdf.loc[i, ["street_code", "community_code"]] = one.loc[i, ["street_code", "community_code"]].tolist()
            return gdf

        return self._edit(fn, description or f"moved {id}", base_version, author)

    def rename(self, id: str, name: str, *, base_version: int | None = None, author: str = "",
               description: str | None = None) -> SaveResult:
        """Rename a centre."""
        name = str(name or "").strip()

        def fn(gdf: gpd.GeoDataFrame, _bounds: Bounds, _used: Callable[[], set[str]]) -> gpd.GeoDataFrame:
            i = _row_of(gdf, id)
            gdf = gdf.copy()
            gdf.loc[i, "name"] = name
            return gdf

        return self._edit(fn, description or f"renamed {id} to {name}", base_version, author)

    def delete(self, id: str, *, base_version: int | None = None, author: str = "",
               description: str | None = None) -> SaveResult:
        """Delete a centre (it stays in the history; its id is never given again)."""
        def fn(gdf: gpd.GeoDataFrame, _bounds: Bounds, _used: Callable[[], set[str]]) -> gpd.GeoDataFrame:
            return gdf.drop(index=_row_of(gdf, id)).reset_index(drop=True)

        return self._edit(fn, description or f"deleted {id}", base_version, author)

    def replace(self, table: pd.DataFrame, description: str, *, crs: str = "wgs84", source: str = "table",
                base_version: int | None = None, author: str = "") -> SaveResult:
        """Replace every centre with ``table`` (a planner's sheet as a frame), checked whole by
        :func:`validate_centers`: any problem refuses it (:class:`DataError` listing them all).

        ``base_version`` is the version the user replaced (needed once the layer was saved):
        others' saves since then are merged feature by feature, or :class:`~geo.io.store.ConflictError`.
        """
        district, streets, communities = self.boundaries()
        report = validate_centers(table, crs, source=source, district=district, streets=streets,
                                  communities=communities)
        report.raise_for_problems()
        return self.store.save(LAYER, report.valid, description, base_version=base_version, author=author)

    def add_proposed(self, plan: SitingPlan, *, author: str = "", description: str | None = None) -> SaveResult:
        """Append a siting plan's sites as ``proposed`` stations to the current centres, with ids
        chosen inside the write transaction among those the layer never had (two people
        accepting plans at once both keep theirs)."""

        def fn(gdf: gpd.GeoDataFrame, bounds: Bounds, used_keys: Callable[[], set[str]]) -> gpd.GeoDataFrame:
            _, streets, communities = bounds
            new = siting.accept_sites(plan, gdf, streets, communities, taken=used_keys()).iloc[len(gdf):]
            out = pd.concat([gdf, new.reindex(columns=gdf.columns)], ignore_index=True)
            return gpd.GeoDataFrame(out, geometry=gdf.geometry.name, crs="EPSG:4326")

        return self._edit(fn, description or f"accepted {len(plan.sites)} proposed sites", None, author)

    def _edit(self, fn: Callable[[gpd.GeoDataFrame, Bounds, Callable[[], set[str]]], gpd.GeoDataFrame],
              description: str, base_version: int | None, author: str) -> SaveResult:
        """Apply ``fn`` in the store's write transaction; check what it touched."""
        bounds = self.boundaries()
        return self.store.edit(LAYER, lambda gdf, used: fn(gdf, bounds, used), description,
                               base_version=base_version, author=author,
                               check=lambda gdf, touched: check_touched(gdf, touched, bounds))

    def boundaries(self) -> Bounds:
        """(the store's district, its streets, its communities): the store's current boundaries,
        else the district's own."""
        streets, communities = (self.store.load(layer) for layer in ("streets", "communities"))
        return self.store.district, streets, communities


# --------------------------------------------------------------------------- checks


def check_touched(gdf: gpd.GeoDataFrame, touched: list[str], bounds: Bounds) -> None:
    """Validate the whole layer with :func:`validate_centers`; raise :class:`DataError` with
    the problems of the centres in ``touched`` (each named by its id)."""
    district, streets, communities = bounds
    mine = gdf["id"].astype(str).isin(set(touched)).to_numpy()
    # the edited centres last: a centre already there keeps its place (one community centre per community)
    table = pd.concat([gdf[~mine], gdf[mine]], ignore_index=True)
    ids = table["id"].astype(str).tolist()
    report = validate_centers(table, "wgs84", source=LAYER, district=district, streets=streets,
                              communities=communities)
    first = int((~mine).sum()) + 2  # spreadsheet row of the first edited centre

    def centre(row: int) -> Msg | None:  # row 2 is ids[0]
        return Msg.of("why.centre_ref", id=ids[row - 2]) if 0 <= row - 2 < len(ids) else None

    def by_id(p: ImportProblem) -> ImportProblem:
        reason = Msg.of("why.named", name=ids[p.row - 2], reason=replace_row_refs(p.reason, centre))
        return ImportProblem(None, p.column, p.value, reason, field=p.field, level=p.level)

    problems = [by_id(p) for p in report.problems if p.row is not None and p.row >= first]
    if problems:
        raise DataError(LAYER, problems)


def replace_row_refs(reason: Msg | str, ref: Callable[[int], Msg | None]) -> Msg | str:
    """``reason`` with each row it names (a nested ``why.row_ref``) replaced by ``ref(row)``
    (kept where that is None): an edit names centres or its own table's rows, not the rows of
    the table the validator was given."""
    if not isinstance(reason, Msg):
        return reason
    if reason.code == "why.row_ref":
        return ref(int(reason.params["row"])) or reason
    return Msg(reason.code, {k: replace_row_refs(v, ref) for k, v in reason.params.items()})


def next_id(used: set[str]) -> str:
    """The first ``C0001``-style id not in ``used``."""
    return next(f"C{k:04d}" for k in range(1, len(used) + 2) if f"C{k:04d}" not in used)


# --------------------------------------------------------------------------- helpers


def _wgs84(lon: float, lat: float, crs: str, example: tuple[float, float]) -> tuple[float, float]:
    """A position in WGS-84 (``example``: a point of the district, for the reason of a cell that
    is not a number). Positions out of range are left as given for the validator to report."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise DataError(LAYER, [ImportProblem(None, "lon/lat", f"{lon}, {lat}", not_a_number(example),
                                              field="lon")]) from None
    chosen = _crs.check_crs(crs)
    if chosen != "wgs84" and math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90:
        wx, wy = _crs.convert(x, y, chosen, "wgs84")
        x, y = float(wx), float(wy)
    return x, y


def _locate(rows: gpd.GeoDataFrame, bounds: Bounds, keep_if_inside: bool = False) -> gpd.GeoDataFrame:
    """Street/community codes from the boundaries; with ``keep_if_inside`` a code is kept
    while its polygon still covers the point."""
    _, streets, communities = bounds
    rows = rows.copy()
    points = np.asarray(rows.geometry.values)
    for col, layer in (("street_code", streets), ("community_code", communities)):
        codes = rows[col].fillna("").astype(str)
        keep = np.zeros(len(rows), dtype=bool)
        if keep_if_inside:
            polys = layer.drop_duplicates("code").set_index("code").geometry.reindex(codes)
            keep = shapely.covers(np.asarray(polys.values), points)
        rows[col] = np.where(keep, codes, "")
    return schema.locate(rows, streets, communities)


class NoSuchCentre(DataError, KeyError):
    """An edit names a centre the layer does not hold (a :class:`DataError` and a ``KeyError``)."""

    __str__ = DataError.__str__


def _row_of(gdf: gpd.GeoDataFrame, id: str):
    hit = gdf.index[gdf["id"].astype(str) == str(id)]
    if len(hit) == 0:
        raise NoSuchCentre(LAYER, Msg.of("why.no_such_id", id=str(id)))
    return hit[0]
