"""What a service centre is: its tiers, its columns, and the divisions it lies in.

Pure: no file is read here. :mod:`geo.io.data` re-exports these names for the readers and
loads the shipped boundaries before calling :func:`locate` when a caller gives none.
"""

from __future__ import annotations

import geopandas as gpd

TIERS: tuple[str, ...] = ("district", "street", "community", "station")
CENTER_COLUMNS = ["id", "name", "tier", "street_code", "community_code", "lon", "lat",
                  "position_source"]
TIER_ALIASES: dict[str, str] = {
    "district": "district", "区级": "district", "区": "district", "区级中心": "district",
    "区级党群服务中心": "district", "区级新经济党群综合服务中心": "district",
    "street": "street", "街道": "street", "街道级": "street", "街道中心": "street",
    "街道党群服务中心": "street",
    "community": "community", "village": "community", "社区": "community", "村": "community",
    "村（社区）": "community", "村(社区)": "community", "社区/村": "community", "村/社区": "community",
    "村居": "community", "社区级": "community", "村（社区）党群服务中心": "community",
    "station": "station", "服务站": "station", "站点": "station", "党群服务站": "station", "站": "station",
}
_BLANK = ["", "nan", "None"]


def normalise_tier(value: str) -> str | None:
    """The canonical tier for a value in English or Chinese, or None."""
    v = str(value).strip()
    return TIER_ALIASES.get(v) or TIER_ALIASES.get(v.lower())


def _code_within(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """The ``code`` of the polygon containing each point ('' when none; the first when several)."""
    polygons = polygons[["code", "geometry"]]
    if polygons.crs is not None and points.crs is not None and not polygons.crs.equals(points.crs):
        polygons = polygons.to_crs(points.crs)
    hit = gpd.sjoin(points[["geometry"]], polygons, how="left", predicate="within")
    hit = hit[~hit.index.duplicated()]
    return hit["code"].fillna("").astype(str)


def locate(centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
           communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill empty ``street_code``/``community_code`` from the polygons containing each centre.

    ``streets`` and ``communities`` need ``code`` and a geometry (any CRS). ``community_code``
    is only kept for the ``community`` tier, as the contract says. Returns the
    :data:`CENTER_COLUMNS` and the geometry.
    """
    centers = centers.copy()
    need = centers["street_code"].isin(_BLANK)
    if need.any() and len(streets):
        centers.loc[need, "street_code"] = _code_within(centers.loc[need], streets)
    need = centers["community_code"].isin(_BLANK) & (centers["tier"] == "community")
    if need.any() and len(communities):
        centers.loc[need, "community_code"] = _code_within(centers.loc[need], communities)
    centers.loc[centers["tier"] != "community", "community_code"] = ""
    for col in ("street_code", "community_code"):
        centers[col] = centers[col].replace({"nan": "", "None": ""})
    return centers[CENTER_COLUMNS + ["geometry"]]
