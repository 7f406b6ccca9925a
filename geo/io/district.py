"""The district in use, as one value: :class:`District`.

A District is made once from an adcode (:meth:`District.open`) or a folder of layers
(:meth:`District.from_folder`) and handed to every loader, validator, page, fragment, command
and batch task that needs it. Nothing reads "the district in use" from anywhere else: there is
no global, context variable or module default (Longhu, 440507, is only the default *code* of
the front ends). It is a small frozen value (a code and two paths) that pickles cheaply to a
Dask worker; what it reads (outline, registry, names) is read once per process and file
version.

The layers in use (:meth:`District.layers`) have one order of precedence, per layer: the
district's store when it holds a version of the layer, then a file the user gave for this run,
then the layout in the district's folder (the shipped or generated one). Each fallback is
named in :attr:`Layers.notes`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.engine import schema
from geo.io import data, districts, registry
from geo.io import store as gstore
from geo.io.errors import DataError, ImportProblem, Problem, warning_lines
from geo.io.registry import Registry
from geo.locale import Msg, Name, text

if TYPE_CHECKING:
    from geo.io.centers import ImportReport

LAYERS = ("district", "streets", "communities", "centers")
FILES = data.FILES


@dataclass(frozen=True)
class District:
    """One county-level unit: where its layers and its store are, and what they say.

    ``code`` is its adcode, ``folder`` the folder of its layer files (``district.geojson``,
    ``divisions.csv``, ``streets.geojson``, ``communities.geojson``, ``centers.csv``),
    ``store_path`` its versioned store (stamped with ``code``, :mod:`geo.io.store`).
    """

    code: str
    folder: Path
    store_path: Path

    def __post_init__(self) -> None:
        # equal by value wherever it was made (a page, a command, a Dask worker): the code as
        # text, the paths absolute (a worker's working folder may differ)
        object.__setattr__(self, "code", str(self.code))
        object.__setattr__(self, "folder", Path(self.folder).absolute())
        object.__setattr__(self, "store_path", Path(self.store_path).absolute())

    @classmethod
    def open(cls, adcode: object = districts.SHIPPED_CODE, *, cache: str | Path | None = None,
             store: str | Path | None = None) -> District:
        """The unit ``adcode``: its layers built once when missing (:func:`geo.io.districts.ensure`),
        its store ``store`` or :func:`geo.io.store.default_path`. Raises
        :class:`~geo.io.districts.DistrictError` (one line) for a code that is not a unit with an outline."""
        code = districts.check_code(adcode)
        folder = districts.district_dir(code, cache)
        if code != districts.SHIPPED_CODE and not districts.has_outline(code):
            districts.outline(code)  # says so in one line
        if not is_built(folder):
            districts.ensure(code, cache=cache)
        return cls(code, folder, Path(store) if store else gstore.default_path(code))

    @classmethod
    def from_folder(cls, folder: str | Path, *, store: str | Path | None = None) -> District:
        """The district whose layers are in ``folder`` (its code read from ``district.geojson``)."""
        folder = Path(folder)
        code = str(_outline(str(folder / FILES["district"]), _mtime(folder / FILES["district"]))["code"].iat[0])
        return cls(code, folder, Path(store) if store else gstore.default_path(code))

    def with_store(self, store: str | Path) -> District:
        """The same district with its store at ``store`` (``--store``, tests)."""
        return District(self.code, self.folder, Path(store))

    # ---------------------------------------------------------------- what it is

    @property
    def outline(self) -> gpd.GeoDataFrame:
        """The outline from the district's folder: one row ``code, name[, name_en]`` (EPSG:4326)."""
        p = self.folder / FILES["district"]
        return _outline(str(p), _mtime(p)).copy()

    @property
    def geometry(self) -> shapely.Geometry:
        """The outline as one WGS-84 geometry."""
        p = self.folder / FILES["district"]
        return _outline(str(p), _mtime(p)).geometry.iat[0]

    @property
    def name(self) -> str:
        """The registry name, '金平区'."""
        return self.label("zh")

    def label(self, lang: str = "zh", full: bool = False) -> str:
        """Its name in ``lang``: '金平区' / 'Jinping District'; ``full`` adds the city."""
        p = self.folder / FILES["district"]
        return _label(str(p), _mtime(p), lang, full)

    @property
    def slug(self) -> str:
        """For file names: 'longhu', 'jinping', 'nanao' (ASCII, lower case)."""
        words = self.label("en").split()
        return re.sub(r"[^a-z0-9]+", "", words[0].lower()) if words else "district"

    @property
    def point(self) -> tuple[float, float]:
        """A point inside the district (lon, lat), for examples in messages."""
        p = _outline(str(self.folder / FILES["district"]), _mtime(self.folder / FILES["district"]))
        inside = p.geometry.iat[0].representative_point()
        return round(float(inside.x), 4), round(float(inside.y), 4)

    @property
    def metric_crs(self) -> str:
        """The UTM zone of the district's centroid (EPSG:32650 for Shantou)."""
        return registry.metric_crs(self.geometry)

    @property
    def divisions(self) -> pd.DataFrame:
        """Its registry of streets and communities: ``code, name, level, parent_code``."""
        p = self.folder / FILES["divisions"]
        return _divisions(str(p), _mtime(p)).copy()

    @property
    def names(self) -> Name:
        """Its name in both languages, for a reason's ``{district}`` ('金平区' / 'Jinping District')."""
        return Name(self.label("zh"), self.label("en"))

    @property
    def registry(self) -> Registry:
        """Lookups over :attr:`divisions`, naming the district in their reasons."""
        p = self.folder / FILES["divisions"]
        return _registry(str(p), _mtime(p), self.names)

    def store(self, *, readonly: bool = False) -> gstore.Store:
        """The district's versioned store (stamped with its code; see :mod:`geo.io.store`)."""
        return gstore.Store(self.store_path, readonly=readonly, district=self)

    def owns(self, code: str) -> bool:
        """Whether a street or community code belongs to this district (its adcode is the prefix)."""
        return str(code).startswith(self.code)

    # ---------------------------------------------------------------- its layers

    def shipped(self, layer: str) -> gpd.GeoDataFrame:
        """A layer of the district's folder (version 0 of the store): ``district``, ``streets``,
        ``communities``, or ``centers`` (checked by the one centres importer)."""
        p = self.folder / FILES[layer]
        if layer == "centers":
            return _centers(self.code, str(self.folder), str(p), _mtime(p)).copy()
        return _shipped(layer, str(p), _mtime(p)).copy()

    def user_boundaries(self, path: str | Path, level: str) -> gpd.GeoDataFrame:
        """A user's boundary file through the one validator, strictly: matched to this
        district's registry, coordinates in range and near its outline, polygons."""
        return self._boundaries_file(path, level)[0]

    def _boundaries_file(self, path: str | Path, level: str) -> tuple[gpd.GeoDataFrame, list[FileWarning]]:
        """:meth:`user_boundaries` and the validator's warnings, each naming the file."""
        from geo.io import boundaries

        report = boundaries.import_boundaries(Path(path), level, district=self)
        if report.problems:
            raise DataError(report.source, list(report.problems), warning_lines(path, report.warnings))
        return report.layer, file_warnings(path, report.warnings)

    def layers(self, *, use_store: bool = True, streets: str | Path | None = None,
               communities: str | Path | None = None, centers: str | Path | None = None,
               centers_crs: str = "wgs84") -> Layers:
        """The layers in use: per layer the store's current version (when ``use_store`` and the
        store holds one), else the file given here, else the district's folder.

        A file given for a layer the store also holds is refused (one line): the two cannot both
        be in use. Centres from the store get their street and community codes from the
        boundaries in use (:func:`locate_in`).
        """
        held = self._held() if use_store else {}
        given = {"streets": streets, "communities": communities, "centers": centers}
        clash = [k for k, v in given.items() if v is not None and k in held]
        if clash:
            raise DataError(self.store_path, Msg.of("why.store_and_file", layer=data.LAYER_WORDS[clash[0]],
                                                    v=held[clash[0]][1]))
        got, sources, notes = {}, {}, []
        for layer in LAYERS:
            if layer in held:
                got[layer], sources[layer] = held[layer][0], f"store:{held[layer][1]}"
            elif given.get(layer) is not None:
                sources[layer] = f"file:{given[layer]}"
            else:
                sources[layer] = "shipped"
                if held:
                    notes.append(layer)
        got["district"], warned = got.get("district", self.outline), []
        for level, layer in (("street", "streets"), ("community", "communities")):
            if layer in got:
                continue
            if given[layer] is None:
                got[layer] = self.shipped(layer)
            else:
                got[layer], said = self._boundaries_file(given[layer], level)
                warned += said
        if "centers" in got:
            got["centers"] = locate_in(got["centers"], got["streets"], got["communities"])
        else:
            shipped_bounds = sources["streets"] == sources["communities"] == "shipped"
            got["centers"], said = self._centers_file(centers, centers_crs, got["streets"], got["communities"],
                                                      shipped_bounds)
            warned += said
        return Layers(self, got["district"], self.divisions, got["streets"], got["communities"], got["centers"],
                      sources, tuple(notes), tuple(warned))

    def _held(self) -> dict[str, tuple[gpd.GeoDataFrame, int]]:
        """``{layer: (frame, version)}`` of the layers the store holds (none when there is no store)."""
        s = self.store(readonly=True)
        if not s.made:
            return {}
        out = {}
        for layer in s.layers():
            if layer in LAYERS:
                gdf = s.load(layer, shipped=False)
                out[layer] = (gdf, int(gdf.attrs.get("version", 0)))
        return out

    def _centers_file(self, path: str | Path | None, crs: str, streets: gpd.GeoDataFrame,
                      communities: gpd.GeoDataFrame, shipped_bounds: bool) -> tuple[gpd.GeoDataFrame,
                                                                                    list[FileWarning]]:
        """The centres of a file (``path``, else the folder's), checked against the boundaries in
        use, and the importer's warnings on a file given (each naming the file)."""
        if path is None and shipped_bounds:
            return self.shipped("centers"), []
        report = _centers_report(self, path or self.folder / FILES["centers"], crs if path else "wgs84",
                                 streets, communities)
        return report.valid, (file_warnings(path, report.warnings) if path is not None else [])


def import_centers_strict(district: District, path: str | Path, crs: str, streets: gpd.GeoDataFrame,
                          communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A centres file through the one importer, every problem raised as one :class:`DataError`."""
    return _centers_report(district, path, crs, streets, communities).valid


def _centers_report(district: District, path: str | Path, crs: str, streets: gpd.GeoDataFrame,
                    communities: gpd.GeoDataFrame) -> ImportReport:
    """The one importer's report on a centres file; any problem raised as one :class:`DataError`."""
    from geo.io import centers

    report = centers.import_centers(path, crs, district=district, streets=streets, communities=communities)
    if report.problems:  # the warnings go with the refusal: "looks like GCJ-02" matters most then
        raise DataError(report.source, list(report.problems), warning_lines(path, report.warnings))
    return report


@dataclass(frozen=True)
class FileWarning(ImportProblem):
    """An importer's warning on a file given for a layer: a problem that names its file, worded
    where it is shown (``text(lang)``: 'c.csv, row 3: …'; ``str()`` the English line)."""

    path: str = ""

    def text(self, lang: str = "en", path: str | Path | None = None) -> str:
        """The warning in ``lang``, naming its file."""
        return super().text(lang, self.path if path is None else path)

    def __str__(self) -> str:
        return self.text("en")


def file_warnings(path: str | Path, warnings: list[Problem]) -> list[FileWarning]:
    """An importer's warnings on ``path``, each naming the file."""
    return [FileWarning(w.row, w.column, w.value, w.reason, getattr(w, "field", ""), getattr(w, "level", "warning"),
                        str(path)) for w in warnings]


@dataclass(frozen=True, eq=False)
class Layers:
    """The layers in use of a :class:`District`, all EPSG:4326, and where each came from.

    ``sources`` maps each layer to ``store:VERSION``, ``file:PATH`` or ``shipped``; ``notes``
    names the layers taken from the district's folder although a store is in use (one note,
    worded by the front end); ``warnings`` are the importers' warnings on the files given
    (:class:`FileWarning`: ``text(lang)`` names the file and the row). Compared by identity (it
    holds frames).
    """

    place: District
    district: gpd.GeoDataFrame
    divisions: pd.DataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    centers: gpd.GeoDataFrame
    sources: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[FileWarning, ...] = ()

    @property
    def illustrative(self) -> bool:
        """Whether any layer in use carries illustrative (generated) features."""
        return data.is_illustrative(self.streets, self.communities, self.centers)

    @property
    def token(self) -> str:
        """Names this version of the layers (district, sources and store versions)."""
        text = f"{self.place.code}|{self.place.folder}|{self.place.store_path}|{sorted(self.sources.items())}"
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def note(self, lang: str = "en") -> str:
        """The one note on fallbacks for the command line in ``lang`` ('' when none); a page words
        :attr:`notes` from its own entries."""
        if not self.notes:
            return ""
        return text("run.store_fallback", lang, layers=[data.LAYER_WORDS[n] for n in self.notes],
                    district=self.place.names)


def locate_in(centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
              communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Centres' street/community codes from the boundaries in use (the one rule for every front end).

    A code missing from the boundaries is found again from the position; with real (user)
    boundaries a code is also found again when its polygon no longer covers the centre.
    Illustrative boundaries never override a known code.
    """
    out = centers.copy()
    for col, layer in (("street_code", streets), ("community_code", communities)):
        polys = layer.drop_duplicates("code").set_index("code").geometry
        codes = out[col].fillna("").astype(str) if col in out else pd.Series("", index=out.index)
        keep = codes.isin(polys.index).to_numpy().copy()
        if keep.any() and not data.is_illustrative(layer):
            inside = shapely.covers(np.asarray(polys.reindex(codes[keep]).values),
                                    np.asarray(out.geometry.values)[keep])
            keep[np.flatnonzero(keep)[~inside]] = False
        out[col] = np.where(keep, codes, "")
    located = schema.locate(out, streets, communities)
    out["street_code"] = located["street_code"].to_numpy()
    out["community_code"] = located["community_code"].to_numpy()
    return out


def is_built(folder: Path) -> bool:
    """Whether every layer file of a district is in ``folder``."""
    return all((Path(folder) / f).is_file() for f in districts.LAYER_FILES)


# --------------------------------------------------------------------------- read once per file version


def _mtime(p: Path) -> int:
    try:
        return p.stat().st_mtime_ns
    except OSError:
        raise DataError(p, Msg.of("why.not_built", p=str(p))) from None


@functools.lru_cache(maxsize=32)
def _outline(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    return data.load_district(path)


@functools.lru_cache(maxsize=64)
def _label(path: str, mtime_ns: int, lang: str, full: bool) -> str:
    return districts.label(_outline(path, mtime_ns), lang, full)


@functools.lru_cache(maxsize=32)
def _divisions(path: str, mtime_ns: int) -> pd.DataFrame:
    return data.load_divisions(path)


@functools.lru_cache(maxsize=32)
def _registry(path: str, mtime_ns: int, label: Name) -> Registry:
    return Registry(_divisions(path, mtime_ns), label)


@functools.lru_cache(maxsize=32)
def _shipped(layer: str, path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    read = {"district": data.load_district, "streets": data.load_streets, "communities": data.load_communities}
    return read[layer](path)


@functools.lru_cache(maxsize=16)
def _centers(code: str, folder: str, path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    place = District(code, Path(folder), Path(folder) / "unused-store.gpkg")
    return import_centers_strict(place, path, "wgs84", place.shipped("streets"), place.shipped("communities"))
