"""The columns of each kind of user table: canonical fields and their header names (English, Chinese).

:mod:`geo.io.sources` reads every table through one of these schemas, so centres, candidate
sites and facility layers share one reader and one header matching.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass


def _norm_header(h: str) -> str:
    h = unicodedata.normalize("NFKC", str(h)).strip().lower()
    return re.sub(r"[\s:：*]+", "", h)


@dataclass(frozen=True, eq=False)
class Schema:
    """The columns of one kind of user table: canonical field -> header names (English, Chinese).

    A header matches an alias after NFKC, lower case and without spaces, colons or a
    bracketed note such as ``经度(WGS84)``.
    """

    kind: str
    aliases: dict[str, tuple[str, ...]]
    items: str
    """What the rows are, for messages: ``centres``, ``candidate sites`` …"""
    record: str
    """For 'not part of …' warnings: ``a centre's record`` …"""
    example: str
    """An example header row for an empty file."""

    @functools.cached_property
    def _lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for canon, aliases in self.aliases.items():
            for a in (canon, *aliases):
                lookup.setdefault(_norm_header(a), canon)
        return lookup

    def canon(self, header: str) -> str | None:
        """The canonical field a header names, or None."""
        key = _norm_header(header)
        if key in self._lookup:
            return self._lookup[key]
        bare = re.sub(r"\(.*?\)|\[.*?\]", "", key)
        return self._lookup.get(bare) if bare else None

    def hint(self, field: str) -> str:
        """How to name a field's column, e.g. ``lon/经度``."""
        return _HINTS.get(field, field)


_HINTS = {"name": "name/名称", "tier": "tier/级别", "lon": "lon/经度", "lat": "lat/纬度",
          "community_name": "community/社区", "street_name": "street/街道", "category": "category/类别",
          "type": "type/类型", "typecode": "typecode/类型编码"}
_POINT = {  # every kind of place: an id, a name and a position
    "id": ("编号", "序号", "代码", "no", "no."),
    "name": ("名称", "名字", "title"),
    "lon": ("lng", "long", "longitude", "经度", "x", "经度坐标", "东经", "x坐标"),
    "lat": ("latitude", "纬度", "y", "纬度坐标", "北纬", "y坐标"),
    "lonlat": ("经纬度", "坐标", "lnglat", "location", "coordinates", "位置坐标", "经纬度坐标"),
}
_DIVISIONS = {
    "street_code": ("街道代码", "街道编码"),
    "street_name": ("street", "街道", "所属街道", "街道名称", "镇街", "所属镇街"),
    "community_code": ("社区代码", "村（社区）代码", "社区编码"),
    "community_name": ("community", "社区", "村", "村（社区）", "社区/村", "所属社区", "社区名称",
                       "村(社区)名称", "所属村(社区)", "村居名称", "所属村居", "村居"),
}


def _merge(*parts: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for part in parts:
        for canon, aliases in part.items():
            out[canon] = out.get(canon, ()) + aliases
    return out


SCHEMAS: dict[str, Schema] = {
    "centers": Schema("centers", _merge(
        {"id": ("中心编号", "站点编号"),
         "name": ("中心名称", "站点名称", "站名", "服务中心名称", "党群服务中心名称", "中心名"),
         "tier": ("级别", "类型", "层级", "等级", "级别类型", "中心级别", "中心类型", "type", "level", "category")},
        _POINT, _DIVISIONS, {"position_source": ("坐标来源",)}),
        "centres", "a centre's record", "名称,级别,经度,纬度"),
    "candidates": Schema("candidates", _merge(
        {"name": ("候选点", "候选点名称", "地点", "地点名称", "site", "site_name", "站点名称")}, _POINT),
        "candidate sites", "a candidate site's record", "名称,经度,纬度"),
    "facilities": Schema("facilities", _merge(
        {"name": ("设施名称", "机构名称", "poi名称"),
         "category": ("kind", "类别", "设施类别", "设施类型", "种类", "facility_type", "生活圈设施"),
         # AMap (高德) POI exports: the type text (科教文化服务;学校;幼儿园), its code, the address
         "type": ("类型", "poi类型", "poi_type", "type_name", "类型名称", "分类"),
         "typecode": ("类型编码", "类型代码", "type_code", "poi类型编码", "分类编码", "分类代码"),
         "address": ("地址", "详细地址", "addr")}, _POINT, _DIVISIONS),
        "facilities", "a facility's record", "名称,类别,经度,纬度"),
}
"""The schema of each kind of user table."""
CENTERS = SCHEMAS["centers"]
