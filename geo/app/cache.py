"""Cached loaders and analyses for the Streamlit page.

``st.cache_resource`` holds what is shared by every session of the server process, bounded by
``max_entries``: web assets, the layers in use, walking graphs (never pickled) and the analyses
keyed by the controls (coverage, catchments, overlap, the gap list) -- shared objects that the
pages only read. ``st.cache_data`` is left to small results (GeoJSON, files to download).
The layers come from the user's versioned store when it holds a version of them, else the
shipped files (:mod:`geo.io.data`).
Analysis itself stays in :mod:`geo.engine.coverage`.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st

from geo.engine import coverage as cv
from geo.engine.graph import WalkGraph
from geo.io import data, networks
from geo.render import webassets

ROOT = Path(__file__).resolve().parents[2]
#: Folder searched for walking-network files (override with LONGHU_NETWORK_DIR, e.g. in tests).
NETWORK_DIR_ENV = "LONGHU_NETWORK_DIR"
NETWORK_SUFFIXES = (".graphml", ".osm", ".osm.pbf", ".pbf", ".osm.xml")

# --------------------------------------------------------------------------- assets, layers


@st.cache_resource(show_spinner=False)
def install_assets(static_dir: str) -> dict[str, str]:
    """Write Leaflet & co. under ``static/vendor`` once per server process."""
    return webassets.install_static_assets(Path(static_dir))


def setup_assets(root: Path = ROOT) -> None:
    """Serve folium's JS/CSS from the app (offline): write files once, patch folium each run."""
    url_map = install_assets(str(root / "static"))
    webassets.use_local_assets(url_map=url_map)


@dataclass(frozen=True)
class Layers:
    """The layers the page shows, all EPSG:4326, and a token naming this version of them."""

    district: gpd.GeoDataFrame
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    centers: gpd.GeoDataFrame
    illustrative: bool
    token: str


def _files_token(paths: list[Path]) -> str:
    parts = []
    for p in paths:
        try:
            s = p.stat()
            parts.append(f"{p}:{s.st_mtime_ns}:{s.st_size}")
        except OSError:
            parts.append(f"{p}:missing")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


SHIPPED_FILES = ("district.geojson", "streets.geojson", "communities.geojson", "centers.csv")


@st.cache_resource(show_spinner=False, max_entries=4)
def _load_shipped(token: str) -> Layers:
    district = data.load_district()
    streets = data.load_streets()
    communities = data.load_communities()
    centers = data.load_centers(streets=streets, communities=communities)
    return Layers(district, streets, communities, centers,
                  data.is_illustrative(streets, communities, centers), token)


def shipped_layers() -> Layers:
    """The files of the district in use (``data/boundaries`` for Longhu, :func:`geo.io.data.data_dir`),
    reloaded when a file changes."""
    return _load_shipped(_files_token([data.data_dir() / f for f in SHIPPED_FILES]))


USER_LAYERS = ("district", "streets", "communities", "centers")


def store_heads(store_path: str | os.PathLike) -> dict[str, int]:
    """``{layer: current version}`` of the page's layers held in the store ({} when none).

    Never creates the store: a missing file means "nothing saved yet".
    """
    from geo.io import store as _store

    p = Path(store_path)
    if not p.is_file():
        return {}
    s = _store.Store(p)
    return {layer: int(s.head(layer)) for layer in s.layers() if layer in USER_LAYERS}


def _store_token(store_path: Path, heads: dict[str, int]) -> str:
    try:
        stat = store_path.stat()
        file_part = f"{stat.st_ino}:{stat.st_mtime_ns}"
    except OSError:
        file_part = "missing"
    text = f"{store_path.resolve()}|{sorted(heads.items())}|{file_part}"
    return "user:" + hashlib.sha1(text.encode()).hexdigest()[:16]


def _codes_from_boundaries(centers: gpd.GeoDataFrame, streets: gpd.GeoDataFrame,
                           communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Centres' street/community codes from the boundaries in use.

    A code missing from the boundaries is found again from the position; with real (user)
    boundaries a code is also found again when its polygon no longer covers the centre.
    Illustrative boundaries never override a known code.
    """
    out = centers.copy()
    for col, layer in (("street_code", streets), ("community_code", communities)):
        polys = layer.drop_duplicates("code").set_index("code").geometry
        codes = out[col].fillna("").astype(str)
        keep = codes.isin(polys.index).to_numpy().copy()
        if keep.any() and not data.is_illustrative(layer):
            inside = shapely.covers(np.asarray(polys.reindex(codes[keep]).values),
                                    np.asarray(out.geometry.values)[keep])
            keep[np.flatnonzero(keep)[~inside]] = False
        out[col] = np.where(keep, codes, "")
    located = data.locate(out, streets, communities)
    out["street_code"] = located["street_code"]
    out["community_code"] = located["community_code"]
    return out


@st.cache_resource(show_spinner=False, max_entries=4)
def _load_user(token: str, store_path: str, heads: tuple[tuple[str, int], ...]) -> Layers:
    from geo.io import store as _store

    s = _store.Store(store_path)
    held = dict(heads)
    got = {}
    for layer in USER_LAYERS:
        if layer in held:
            got[layer] = s.load(layer, held[layer])
        else:
            got[layer] = getattr(shipped_layers(), layer).copy()
            got[layer].attrs["version"] = 0
    centers = _codes_from_boundaries(got["centers"], got["streets"], got["communities"])
    return Layers(got["district"], got["streets"], got["communities"], centers,
                  data.is_illustrative(got["streets"], got["communities"], centers), token)


def user_layers(store_path: str | os.PathLike) -> Layers:
    """The page's layers: each from the user's store when it holds a version of it, else the
    shipped file (:func:`shipped_layers` when the store holds none).

    Cached on a token made of the store's head versions and file, so every save (from this
    session, another one, or the command line) shows at the next run. A layer from the store
    carries ``attrs["version"]`` to pass back as ``base_version`` when saving (0 or absent:
    the shipped file).
    """
    p = Path(store_path)
    heads = store_heads(p)
    if not heads:
        return shipped_layers()
    return _load_user(_store_token(p, heads), str(p), tuple(sorted(heads.items())))


# --------------------------------------------------------------------------- analyses


@st.cache_resource(show_spinner=False, max_entries=48)
def analysis(layers_token: str, mode: str, minutes: tuple[float, ...], speed_kmh: float,
             tiers: tuple[str, ...], graph_token: str | None,
             _layers: Layers, _graph: WalkGraph | None) -> cv.CoverageResult:
    """:func:`geo.engine.coverage.analyse` cached on the controls (the layers and graph by token)."""
    settings = cv.Settings(mode=mode, minutes=minutes, speed_kmh=speed_kmh, tiers=tiers)
    return cv.analyse(_layers.district, _layers.streets, _layers.communities, _layers.centers,
                      settings, graph=_graph if mode == "network" else None)


@st.cache_resource(show_spinner=False, max_entries=16)
def catchments(key: tuple, _result: cv.CoverageResult, _graph: WalkGraph | None) -> gpd.GeoDataFrame:
    """Catchments by nearest centre for a result (``key`` = the analysis' cache key)."""
    r = _result
    return cv.catchments(r.centers, r.district, r.settings, r.crs,
                         graph=_graph if r.settings.mode == "network" else None)


@st.cache_resource(show_spinner=False, max_entries=16)
def overlap(key: tuple, _result: cv.CoverageResult) -> gpd.GeoDataFrame:
    """How many centres reach each place (50 m grid) for a result."""
    return cv.overlap_count(_result.areas, _result.district, _result.settings.limit_minutes)


@st.cache_resource(show_spinner=False, max_entries=48)
def gap_info(key: tuple, _result: cv.CoverageResult) -> pd.DataFrame:
    """Gaps with area and the communities/streets each touches (largest first)."""
    return cv.gap_communities(_result)


# --------------------------------------------------------------------------- walking networks


def network_dir() -> Path:
    """Folder listed for network files: $LONGHU_NETWORK_DIR, else ``data/``."""
    return Path(os.environ.get(NETWORK_DIR_ENV) or ROOT / "data")


def list_network_files(folder: Path | None = None) -> list[str]:
    """Network files under ``folder`` (recursive), as paths relative to it, sorted."""
    folder = network_dir() if folder is None else folder
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(NETWORK_SUFFIXES)]
    return sorted(str(p.relative_to(folder)) for p in found)


@st.cache_resource(show_spinner=False, max_entries=1)
def _graph_store() -> dict[str, WalkGraph]:
    """Walking graphs loaded in this server process, by token (shared across sessions)."""
    return {}


_store_lock = threading.Lock()


def graph_for(token: str | None) -> WalkGraph | None:
    """The loaded graph with this token, or None."""
    if token is None:
        return None
    with _store_lock:
        return _graph_store().get(token)


def file_token(path: Path) -> str:
    """Token of a network file: its path, size and modification time."""
    return "file:" + _files_token([Path(path).resolve()])


def save_upload(name: str, payload: bytes) -> tuple[Path, str]:
    """Write an uploaded network to a private temporary file; return (path, token)."""
    digest = hashlib.sha1(payload).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "longhu-networks"
    folder.mkdir(parents=True, exist_ok=True)
    low = name.lower()
    suffix = next((s for s in sorted(NETWORK_SUFFIXES, key=len, reverse=True) if low.endswith(s)),
                  Path(name).suffix)
    path = folder / f"{digest}{suffix}"
    if not path.exists():
        path.write_bytes(payload)
    return path, "upload:" + digest


def load_graph(path: Path, token: str, progress: Callable[[float], None] | None = None) -> WalkGraph:
    """Load a network file (or take it from the store), calling ``progress(0..1)`` meanwhile.

    The reader gives no progress of its own, so progress is estimated from the file size while
    it runs in a worker thread; it reaches 1.0 when the graph is ready. Raises NetworkError.
    """
    cached = graph_for(token)
    if cached is not None:
        if progress:
            progress(1.0)
        return cached
    size_mb = max(Path(path).stat().st_size / 1e6, 0.01) if Path(path).exists() else 0.01
    expected_s = 1.0 + 0.8 * size_mb
    with ThreadPoolExecutor(max_workers=1) as pool:
        job = pool.submit(networks.load_network, path)
        start = time.monotonic()
        while not job.done():
            if progress:
                progress(min(0.95, 0.95 * (1 - math.exp(-(time.monotonic() - start) / expected_s))))
            time.sleep(0.1)
        graph = job.result()  # re-raises NetworkError
    with _store_lock:
        store = _graph_store()
        store[token] = graph
        while len(store) > 3:  # keep memory bounded: drop the oldest graphs
            store.pop(next(iter(store)))
    if progress:
        progress(1.0)
    return graph


