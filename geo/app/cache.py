"""Cached loaders and analyses for the Streamlit page.

``st.cache_resource`` holds what is shared by every session of the server process, bounded by
``max_entries``: web assets, the layers in use, walking graphs (never pickled) and the analyses
keyed by the controls (coverage, catchments, overlap, the gap list) -- shared objects that the
pages only read. ``st.cache_data`` is left to small results (GeoJSON, files to download).
The layers of a district come through its one door, :meth:`geo.io.district.District.layers`;
every key names the district's code, so two districts never share a cached layer or analysis.
The analyses are the job layer's (:mod:`geo.jobs`).
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
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.engine import coverage as cv
from geo.engine.graph import WalkGraph
from geo.io import networks
from geo.io.district import FILES, LAYERS, District, Layers
from geo.jobs.coverage import CoverageJob
from geo.render import webassets

ROOT = Path(__file__).resolve().parents[2]
#: Folder searched for walking-network files (override with LONGHU_NETWORK_DIR, e.g. in tests).
NETWORK_DIR_ENV = "LONGHU_NETWORK_DIR"
NETWORK_SUFFIXES = (".graphml", ".osm", ".osm.pbf", ".pbf", ".osm.xml")

# --------------------------------------------------------------------------- assets, layers


@st.cache_resource(show_spinner=False, max_entries=1)
def install_assets(static_dir: str) -> dict[str, str]:
    """Write Leaflet & co. under ``static/vendor`` once per server process."""
    return webassets.install_static_assets(Path(static_dir))


def setup_assets(root: Path = ROOT) -> None:
    """Serve folium's JS/CSS from the app (offline): write files once, patch folium each run."""
    url_map = install_assets(str(root / "static"))
    webassets.use_local_assets(url_map=url_map)


def _files_token(paths: list[Path]) -> str:
    parts = []
    for p in paths:
        try:
            s = p.stat()
            parts.append(f"{p}:{s.st_mtime_ns}:{s.st_size}")
        except OSError:
            parts.append(f"{p}:missing")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def store_heads(place: District) -> dict[str, int]:
    """``{layer: current version}`` of the layers ``place``'s store holds ({} when none).

    Read-only: looking never creates or changes the store file.
    """
    s = place.store(readonly=True)
    if not s.made:
        return {}
    return {layer: int(s.head(layer)) for layer in s.layers() if layer in LAYERS}


def layers_token(place: District) -> str:
    """Names the version of ``place``'s layers: its code, its folder's files, its store file and
    the store's head versions (so every save -- this session's, another's, the command line's --
    shows at the next run)."""
    folder = _files_token([place.folder / f for f in FILES.values()])
    store = _files_token([place.store_path, Path(f"{place.store_path}-wal")])
    heads = sorted(store_heads(place).items())
    return f"{place.code}:" + hashlib.sha1(f"{folder}|{store}|{heads}".encode()).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=8)
def _layers(code: str, token: str, _place: District) -> Layers:
    return _place.layers()


def layers(place: District) -> Layers:
    """The layers in use of ``place``: :meth:`geo.io.district.District.layers` (the one door: per
    layer its store's current version, else its folder's file), cached per district and version.

    A layer from the store carries ``attrs["version"]`` to pass back as ``base_version`` when
    saving (0 or absent: the folder's file). Raises DataError for a store that cannot be read
    (e.g. one stamped with another district).
    """
    return _layers(place.code, layers_token(place), place)


# --------------------------------------------------------------------------- analyses


@st.cache_resource(show_spinner=False, max_entries=48)
def analysis(code: str, layers_token: str, mode: str, minutes: tuple[float, ...], speed_kmh: float,
             tiers: tuple[str, ...], graph_token: str | None,
             _layers: Layers, _graph: WalkGraph | None) -> cv.CoverageResult:
    """The coverage of ``_layers`` (district ``code``, version ``layers_token``) for the controls:
    a :class:`geo.jobs.coverage.CoverageJob`, cached on the controls (the graph by token)."""
    settings = cv.Settings(mode=mode, minutes=minutes, speed_kmh=speed_kmh, tiers=tiers)
    return CoverageJob(_layers, settings, _graph if mode == "network" else None).run()


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


