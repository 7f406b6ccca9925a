"""Presentation helpers for the Streamlit page (``app.py``) only.

What lives here: the page's words in Chinese and English, cached loaders and analyses
(``st.cache_resource`` for layers and walking graphs, ``st.cache_data`` for results keyed by
the controls), the tables the planner reads and downloads, the resident's community search,
and the map layers that change with the controls (sent to ``st_folium`` through
``feature_group_to_add`` so that the base map stays put). Analysis itself stays in
:mod:`geo.engine.coverage` / :mod:`geo.engine.nearest`; the fixed map layers come from :mod:`geo.render.maps`.
"""

from __future__ import annotations

import difflib
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

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from branca.element import MacroElement, Template

from geo.engine import coverage as cv
from geo.engine import crs as _crs
from geo.engine import nearest
from geo.engine.graph import WalkGraph
from geo.io import data, errors, networks, tables
from geo.render import maps, webassets

ROOT = Path(__file__).resolve().parents[2]
#: Folder searched for walking-network files (override with LONGHU_NETWORK_DIR, e.g. in tests).
NETWORK_DIR_ENV = "LONGHU_NETWORK_DIR"
NETWORK_SUFFIXES = (".graphml", ".osm", ".osm.pbf", ".pbf", ".osm.xml")
LANGS = ("zh", "en")
MINUTE_CHOICES = ("5", "10", "15", "custom", "bands")
SPEED_CHOICES = ("adult", "elderly", "custom")
VIEWS = ("coverage", "catchments", "overlap")
PAGES = ("planner", "resident", "data")
INPUTS = ("click", "coords", "search")
MAP_HEIGHT = 620

# --------------------------------------------------------------------------- words

TEXT: dict[str, tuple[str, str]] = {
    "title": ("龙湖区15分钟党群服务圈", "Longhu 15-minute service circles"),
    "subtitle": ("汕头市龙湖区 · 172 个党群服务中心（站）步行可达性",
                 "Longhu District, Shantou · walking access to 172 party-and-public service centres"),
    "language": ("语言 / Language", "语言 / Language"),
    "settings": ("分析设置", "Analysis settings"),
    "minutes": ("步行时间", "Walking time"),
    "m_5": ("5 分钟", "5 min"), "m_10": ("10 分钟", "10 min"), "m_15": ("15 分钟", "15 min"),
    "m_custom": ("自定义", "Custom"), "m_bands": ("5/10/15 分钟分层", "5/10/15 min bands"),
    "custom_minutes": ("自定义步行时间（分钟）", "Custom walking time (min)"),
    "speed": ("步行速度", "Walking speed"),
    "s_adult": ("成人步行 4.0 km/h", "Adult 4.0 km/h"),
    "s_elderly": ("老年人步行 3.0 km/h", "Elderly 3.0 km/h"),
    "s_custom": ("自定义", "Custom"),
    "custom_speed": ("自定义速度（km/h）", "Custom speed (km/h)"),
    "reach": ("即步行 {m:.0f} 米（{minutes}）", "= {m:.0f} m of walking ({minutes})"),
    "mode": ("计算方式", "Method"),
    "mode_circle": ("圆形缓冲（直线距离）", "Circle (straight line)"),
    "mode_network": ("沿道路步行（路网）", "Along streets (network)"),
    "mode_needs_network": ("加载步行路网后可选“沿道路步行”。", "Load a walking network to use “along streets”."),
    "tiers": ("纳入计算的服务中心", "Centres included"),
    "no_tier": ("请至少选择一个级别的服务中心。", "Choose at least one tier of centres."),
    "view": ("地图显示", "Map shows"),
    "v_coverage": ("覆盖范围", "Coverage"),
    "v_catchments": ("最近中心服务范围", "Catchments by nearest centre"),
    "v_overlap": ("重叠覆盖次数", "Overlap count"),
    "basemap": ("底图", "Basemap"),
    "b_none": ("无底图（离线可用）", "None (works offline)"),
    "b_osm": ("OpenStreetMap（需联网）", "OpenStreetMap (online)"),
    "b_amap": ("高德地图（需联网，已做 GCJ-02 纠偏）", "AMap (online, GCJ-02 shift applied)"),
    "network": ("步行路网", "Walking network"),
    "net_source": ("路网来源", "Network source"),
    "net_from_dir": ("data/ 目录中的文件", "A file under data/"),
    "net_upload": ("上传文件", "Upload a file"),
    "net_pick": ("选择路网文件", "Network file"),
    "net_none": ("{dir} 下没有路网文件（.graphml / .osm / .osm.pbf）。",
                 "No network files (.graphml / .osm / .osm.pbf) under {dir}."),
    "net_upload_label": ("上传 GraphML / .osm / .osm.pbf", "Upload GraphML / .osm / .osm.pbf"),
    "net_load": ("加载路网", "Load network"),
    "net_unload": ("卸载路网", "Unload network"),
    "net_loading": ("正在读取路网 {name} …", "Reading network {name} …"),
    "net_loaded": ("已加载路网：{name}（{nodes:,} 个节点，{edges:,} 条路段）",
                   "Network loaded: {name} ({nodes:,} nodes, {edges:,} segments)"),
    "net_unreachable": ("{n} 个服务中心距路网超过 {m:.0f} 米，未计入覆盖（请检查路网范围）。",
                        "{n} centre(s) are more than {m:.0f} m from the network and cover nothing "
                        "(check the network's extent)."),
    "data": ("数据", "Data"),
    "page": ("功能", "Screen"),
    "p_planner": ("规划视图", "Planner"),
    "p_resident": ("居民查询", "Resident"),
    "p_data": ("数据管理", "Data"),
    "computing": ("正在计算覆盖范围…", "Computing coverage…"),
    "covered": ("步行{minutes}覆盖率", "Covered within {minutes}"),
    "covered_help": ("全区面积中步行可达至少一个服务中心的比例", "Share of the district within reach of a centre"),
    "n_centers": ("纳入计算的中心", "Centres included"),
    "n_gaps": ("未覆盖空白区域（{km2:.2f} km²）", "Uncovered gaps ({km2:.2f} km²)"),
    "gaps_value": ("{n} 处", "{n}"),
    "district_area": ("全区面积", "District area"),
    "gap_list": ("空白区域（按面积从大到小）", "Gaps (largest first)"),
    "gap_pick": ("在地图上查看空白区域", "Show a gap on the map"),
    "gap_none_option": ("— 全区 —", "— whole district —"),
    "gap_option": ("#{id} · {ha:,.1f} 公顷 · {names}", "#{id} · {ha:,.1f} ha · {names}"),
    "no_gaps": ("当前设置下全区均已覆盖，没有空白区域。", "No gaps: the whole district is covered."),
    "tables": ("分街道、分村（社区）覆盖情况", "Coverage by street and community"),
    "t_streets": ("街道", "Streets"), "t_communities": ("村（社区）", "Communities"),
    "t_catchments": ("各中心服务范围", "Catchments"), "t_gaps": ("空白区域", "Gaps"),
    "sort_hint": ("点击表头可排序；默认按覆盖率从低到高。", "Click a header to sort; lowest coverage first."),
    "dl_csv": ("下载 CSV", "Download CSV"), "dl_xlsx": ("下载 Excel（XLSX）", "Download Excel (XLSX)"),
    "resident_head": ("查找离我最近的服务中心", "Find my nearest centre"),
    "input": ("位置输入方式", "How to give your location"),
    "i_click": ("在地图上点击", "Click the map"),
    "i_coords": ("输入坐标", "Type coordinates"),
    "i_search": ("搜索村（社区）", "Search a community"),
    "click_hint": ("请在左侧地图上点击您所在的位置。", "Click your location on the map."),
    "lon": ("经度", "Longitude"), "lat": ("纬度", "Latitude"),
    "coord_crs": ("坐标系", "Coordinate system"),
    "search": ("村（社区）名称", "Community name"),
    "search_ph": ("例如：金谷、鸥上、华新", "e.g. 金谷, 鸥上, 华新"),
    "search_pick": ("匹配结果", "Matches"),
    "search_none": ("没有找到相近的村（社区）名称，请换个写法。", "No community name is close to that; try another spelling."),
    "nearest_head": ("最近的 {k} 个服务中心", "The {k} nearest centres"),
    "your_point": ("查询位置（WGS-84）：{lon:.6f}, {lat:.6f}", "Query point (WGS-84): {lon:.6f}, {lat:.6f}"),
    "outside": ("该位置不在龙湖区范围内，下列结果仅供参考。",
                "This point is outside Longhu District; the results below are for reference only."),
    "too_far": ("该位置距最近的道路超过 {m:.0f} 米，无法沿道路步行计算；请换一个靠近道路的位置。",
                "This point is more than {m:.0f} m from any street, so no walk along streets can be "
                "computed; choose a point nearer a street."),
    "no_route": ("从该位置沿路网无法到达任何服务中心（路网可能不连通）。",
                 "No centre can be reached along the network from this point (the network may be broken up)."),
    "snap": ("步行从 {m:.0f} 米外的道路接入点进入路网（地图上的白色圆点），路线见地图。",
             "The walk joins the street network {m:.0f} m away (white dot on the map); the route is drawn on the map."),
    "circle_note": ("按直线距离估算；加载路网并选择“沿道路步行”可得到实际步行路线。",
                    "Straight-line estimate; load a network and choose “along streets” for real routes."),
    "best": ("最近：{name}，步行约 {min:.0f} 分钟（{m:,.0f} 米）",
             "Nearest: {name}, about {min:.0f} min walk ({m:,.0f} m)"),
    "error_data": ("数据有误：{msg}", "Data problem: {msg}"),
    "error_cov": ("无法计算：{msg}", "Cannot compute: {msg}"),
    "error_net": ("路网无法使用：{msg}", "Network problem: {msg}"),
    "error_map": ("地图无法显示：{msg}", "Map problem: {msg}"),
    "legend": ("图例", "Legend"),
    "lg_cover_tier": ("步行{minutes}覆盖（颜色同中心级别）", "{minutes} walk coverage (colour by tier)"),
    "lg_band": ("{a:g}–{b:g} 分钟", "{a:g}–{b:g} min"),
    "lg_catch": ("最近中心服务范围（每色块一个中心）", "Catchment of the nearest centre (one colour each)"),
    "lg_overlap": ("可达中心数：{n}", "Centres within reach: {n}"),
    "lg_gap": ("未覆盖空白区域", "Uncovered gap"),
    "lg_point": ("查询位置", "Query point"),
    "lg_snap": ("道路接入点", "Where the walk joins a street"),
    "lg_route": ("步行路线 / 直线距离", "Walking route / straight line"),
    "lg_selected": ("选中的空白区域", "Selected gap"),
    "layer_centres": ("{tier}（{n}）", "{tier} ({n})"),
    "layer_bands": ("步行分层覆盖", "Walking bands"),
    "layer_catch": ("最近中心服务范围", "Catchments"),
    "layer_overlap": ("重叠覆盖次数", "Overlap count"),
    "layer_query": ("查询位置与路线", "Query point and route"),
    "layer_selected": ("选中的空白区域", "Selected gap"),
    "illustrative_note": ("示意数据（非实测）", "illustrative (not surveyed)"),
    "min_unit": ("分钟", "min"),
}

TIER_LABELS_EN: dict[str, str] = {
    "district": "District centre", "street": "Street centre", "community": "Community centre",
    "station": "Service station",
}
CRS_LABELS_EN: dict[str, str] = {
    "wgs84": "WGS-84 (GPS, OpenStreetMap)", "gcj02": "GCJ-02 (AMap, Tencent)", "bd09": "BD-09 (Baidu)",
}


def text_of(table: dict[str, tuple[str, str]], key: str, lang: str = "zh", **fmt: object) -> str:
    """Entry ``key`` of a ``{key: (zh, en)}`` table in ``lang``, formatted with ``fmt``."""
    zh, en = table[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def tr(key: str, lang: str = "zh", **fmt: object) -> str:
    """The page text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    return text_of(TEXT, key, lang, **fmt)


def choice(widget, label: str, options, name: str, lang: str, **kwargs):
    """A radio/selectbox whose value lives in ``st.session_state[name]``, one widget per language.

    Streamlit's frontend forgets a radio's or selectbox's selection when its option labels
    change (as they do on a language switch) and then sends back the first option. A widget
    key per language (``name__zh``, ``name__en``) makes a fresh widget that starts from the
    stored value instead.
    """
    ss = st.session_state
    options = list(options)
    if ss.get(name) not in options:
        ss[name] = options[0]
    key = f"{name}__{lang}"
    if key not in ss or ss[key] not in options:
        ss[key] = ss[name]
    value = widget(label, options, key=key, **kwargs)
    ss[name] = value
    return value


def put(name: str, value: object) -> None:
    """Set a :func:`choice` control's value from code (before its widget is drawn this run),
    in every language's widget so a later language switch does not bring back the old value."""
    ss = st.session_state
    ss[name] = value
    for lang in LANGS:
        if f"{name}__{lang}" in ss:
            ss[f"{name}__{lang}"] = value


def tier_label(tier: str, lang: str = "zh") -> str:
    """A tier's name in the page language."""
    return TIER_LABELS_EN[tier] if lang == "en" else data.TIER_LABELS[tier]


def crs_label(name: str, lang: str = "zh") -> str:
    """A coordinate system's name in the page language."""
    return CRS_LABELS_EN[name] if lang == "en" else _crs.CRS_LABELS[name]


def minutes_text(minutes: tuple[float, ...], lang: str = "zh") -> str:
    """``15分钟`` / ``5/10/15 min``."""
    joined = "/".join(f"{m:g}" for m in minutes)
    return f"{joined} min" if lang == "en" else f"{joined}分钟"


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
    """The shipped layers of ``data/boundaries`` (reloaded when a file changes)."""
    return _load_shipped(_files_token([data.DATA_DIR / f for f in SHIPPED_FILES]))


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


# --------------------------------------------------------------------------- settings, analysis


def minutes_for(choice: str, custom: float) -> tuple[float, ...]:
    """The minutes tuple for a minutes control value."""
    if choice == "bands":
        return (5.0, 10.0, 15.0)
    if choice == "custom":
        return (float(custom),)
    return (float(choice),)


def speed_for(choice: str, custom: float) -> float:
    """Walking speed (km/h) for a speed control value."""
    return float(custom) if choice == "custom" else cv.SPEED_PRESETS[choice]


@st.cache_data(show_spinner=False, max_entries=64)
def analysis(layers_token: str, mode: str, minutes: tuple[float, ...], speed_kmh: float,
             tiers: tuple[str, ...], graph_token: str | None,
             _layers: Layers, _graph: WalkGraph | None) -> cv.CoverageResult:
    """:func:`geo.engine.coverage.analyse` cached on the controls (the layers and graph by token)."""
    settings = cv.Settings(mode=mode, minutes=minutes, speed_kmh=speed_kmh, tiers=tiers)
    return cv.analyse(_layers.district, _layers.streets, _layers.communities, _layers.centers,
                      settings, graph=_graph if mode == "network" else None)


@st.cache_data(show_spinner=False, max_entries=32)
def catchments(key: tuple, _result: cv.CoverageResult, _graph: WalkGraph | None) -> gpd.GeoDataFrame:
    """Catchments by nearest centre for a result (``key`` = the analysis' cache key)."""
    r = _result
    return cv.catchments(r.centers, r.district, r.settings, r.crs,
                         graph=_graph if r.settings.mode == "network" else None)


@st.cache_data(show_spinner=False, max_entries=32)
def overlap(key: tuple, _result: cv.CoverageResult) -> gpd.GeoDataFrame:
    """How many centres reach each place (50 m grid) for a result."""
    return cv.overlap_count(_result.areas, _result.district, _result.settings.limit_minutes)


@st.cache_data(show_spinner=False, max_entries=64)
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


@st.cache_resource(show_spinner=False)
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


# --------------------------------------------------------------------------- tables


def _pct(v: float) -> float:
    return round(float(v), 1)


def street_table(result: cv.CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """Per-street coverage, lowest covered share first (column names in the page language)."""
    s = result.summary[result.summary["level"] == "street"]
    out = pd.DataFrame({
        "name": s["name"].to_numpy(), "code": s["code"].to_numpy(),
        "area": s["area_km2"].round(3).to_numpy(), "covered": s["covered_km2"].round(3).to_numpy(),
        "pct": s["covered_pct"].map(_pct).to_numpy(),
    })
    out = out.sort_values(["pct", "name"], kind="stable").reset_index(drop=True)
    return out.rename(columns=_headers(lang, street=True))


def community_table(result: cv.CoverageResult, lang: str = "zh") -> pd.DataFrame:
    """Per-community coverage with its street, lowest covered share first."""
    s = result.summary[result.summary["level"] == "community"]
    street_names = result.streets.set_index("code")["name"]
    out = pd.DataFrame({
        "name": s["name"].to_numpy(), "street": s["street_code"].map(street_names).fillna("").to_numpy(),
        "code": s["code"].to_numpy(),
        "area": s["area_km2"].round(3).to_numpy(), "covered": s["covered_km2"].round(3).to_numpy(),
        "pct": s["covered_pct"].map(_pct).to_numpy(),
    })
    out = out.sort_values(["pct", "name"], kind="stable").reset_index(drop=True)
    return out.rename(columns=_headers(lang))


def _headers(lang: str, street: bool = False) -> dict[str, str]:
    if lang == "en":
        return {"name": "Street" if street else "Community", "street": "Street", "code": "Code",
                "area": "Area (km²)", "covered": "Covered (km²)", "pct": "Covered (%)"}
    return {"name": "街道" if street else "村（社区）", "street": "所属街道", "code": "代码",
            "area": "面积（km²）", "covered": "覆盖面积（km²）", "pct": "覆盖率（%）"}


def pct_column(lang: str) -> str:
    """Header of the covered-share column."""
    return _headers(lang)["pct"]


def gap_table(info: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The gap list for display: number, area (ha, km²), communities and streets touched."""
    en = lang == "en"
    return pd.DataFrame({
        "#": info["gap_id"].astype(int).to_numpy(),
        "Area (ha)" if en else "面积（公顷）": (info["area_m2"] / 1e4).round(1).to_numpy(),
        "Communities touched" if en else "涉及村（社区）": info["communities"].to_numpy(),
        "Streets" if en else "所属街道": info["streets"].to_numpy(),
    })


def catchment_table(catch: gpd.GeoDataFrame, lang: str = "zh") -> pd.DataFrame:
    """Area served by each centre (largest first)."""
    en = lang == "en"
    out = pd.DataFrame({
        "Centre" if en else "服务中心": catch["name"].to_numpy(),
        "Tier" if en else "级别": [tier_label(t, lang) for t in catch["tier"]],
        "Area served (km²)" if en else "服务面积（km²）": catch["area_km2"].round(3).to_numpy(),
    })
    return out.sort_values(out.columns[2], ascending=False, kind="stable").reset_index(drop=True)


def nearest_table(res: nearest.NearestResult, lang: str = "zh") -> pd.DataFrame:
    """The k nearest centres: name, tier, walking distance (m) and time (min)."""
    t = res.table
    en = lang == "en"
    return pd.DataFrame({
        "Centre" if en else "服务中心": t["name"].to_numpy(),
        "Tier" if en else "级别": [tier_label(x, lang) for x in t["tier"]],
        "Distance (m)" if en else "距离（米）": t["distance_m"].round(0).astype(int).to_numpy()
        if len(t) else np.array([], int),
        "Walk (min)" if en else "步行（分钟）": t["minutes"].round(1).to_numpy(),
    })


def with_note(df: pd.DataFrame, illustrative: bool, lang: str = "zh") -> pd.DataFrame:
    """A copy for export that says, on every row, when the layout is illustrative."""
    out = df.copy()
    if illustrative:
        out["Data" if lang == "en" else "数据说明"] = tr("illustrative_note", lang)
    return out


@st.cache_data(show_spinner=False, max_entries=32)
def export_bytes(key: tuple, lang: str, view: str, illustrative: bool, _result: cv.CoverageResult,
                 _graph: WalkGraph | None) -> dict[str, bytes]:
    """CSV per table and one XLSX of them all, cached on the analysis key and the language."""
    names = [tr("t_streets", lang), tr("t_communities", lang), tr("t_gaps", lang)]
    frames = [street_table(_result, lang), community_table(_result, lang), gap_table(gap_info(key, _result), lang)]
    if view == "catchments":
        names.append(tr("t_catchments", lang))
        frames.append(catchment_table(catchments(key, _result, _graph), lang))
    noted = [with_note(f, illustrative, lang) for f in frames]
    out = {f"csv_{i}": tables.csv_bytes(f) for i, f in enumerate(noted)}
    out["xlsx"] = tables.xlsx_bytes(dict(zip(names, noted)), settings_notes(_result, illustrative, lang))
    return out


def settings_notes(result: cv.CoverageResult, illustrative: bool, lang: str = "zh") -> list[str]:
    """The settings behind a table, for the export's notes sheet."""
    s = result.settings
    lines = [
        f"{tr('minutes', lang)}: {minutes_text(s.minutes, lang)}",
        f"{tr('speed', lang)}: {s.speed_kmh:g} km/h ({s.reach_m():.0f} m)",
        f"{tr('mode', lang)}: {tr('mode_' + s.mode, lang)}",
        f"{tr('tiers', lang)}: " + "、".join(tier_label(t, lang) for t in s.tiers),
        f"{tr('covered', lang, minutes=minutes_text((s.limit_minutes,), lang))}: {result.covered_pct:.1f}%",
    ]
    if illustrative:
        lines.append(data.ILLUSTRATIVE_NOTICE_ZH)
        lines.append(data.ILLUSTRATIVE_NOTICE_EN)
    return lines


# --------------------------------------------------------------------------- community search

_NAME_SUFFIXES = ("社区居委会", "居民委员会", "居委会", "村委会", "村民委员会", "社区", "村")


def _core(name: str) -> str:
    n = name.strip()
    for s in _NAME_SUFFIXES:
        if n.endswith(s) and len(n) > len(s):
            return n[: -len(s)]
    return n


def search_communities(query: str, names: list[str], limit: int = 8) -> list[str]:
    """Community names matching ``query`` best first: exact, prefix, substring, then fuzzy.

    Suffixes such as 居委会/村委会/社区 are ignored on both sides, so 金谷, 金谷社区 and
    金谷居委会 all find 金谷居委会.
    """
    q = _core(query)
    if not q:
        return []
    scored: list[tuple[float, str]] = []
    for name in names:
        core = _core(name)
        if q == core or query.strip() == name:
            score = 3.0
        elif core.startswith(q):
            score = 2.5
        elif q in name:
            score = 2.0
        else:
            score = difflib.SequenceMatcher(None, q, core).ratio()
            shared = len(set(q) & set(core)) / max(len(set(q)), 1)
            score = max(score, 0.9 * shared) if shared >= 0.5 else score
            if score < 0.5:
                continue
        scored.append((score, name))
    scored.sort(key=lambda x: (-x[0], len(x[1]), x[1]))
    return [n for _, n in scored[:limit]]


def community_point(communities: gpd.GeoDataFrame, name: str) -> tuple[float, float]:
    """A point inside the named community (WGS-84 lon, lat)."""
    row = communities[communities["name"] == name]
    if len(row) == 0:
        raise errors.DataError(None, f"unknown community {name!r}")
    p = row.to_crs("EPSG:4326").geometry.iloc[0].representative_point()
    return float(p.x), float(p.y)


# --------------------------------------------------------------------------- map: symbols, layers

def center_info(result: cv.CoverageResult) -> pd.DataFrame:
    """Centres with tier, street, community and that community's covered share (%)."""
    table = maps.center_table(result)
    comm = result.communities[["code", "geometry"]]
    hit = gpd.sjoin(result.centers[["geometry"]], comm, how="left", predicate="within")
    hit = hit[~hit.index.duplicated()]
    code = result.centers["community_code"].where(result.centers["community_code"] != "", hit["code"])
    pct = result.summary[result.summary["level"] == "community"].set_index("code")["covered_pct"]
    table["community_pct"] = code.map(pct)
    return table


def _center_tip(row: pd.Series, minutes: str, lang: str) -> str:
    en = lang == "en"
    lines = [f"<b>{maps.esc(row['name'])}</b>",
             f"{'Tier' if en else '级别'}：{maps.esc(tier_label(row['tier'], lang))}"]
    if row["street"]:
        lines.append(f"{'Street' if en else '街道'}：{maps.esc(row['street'])}")
    if row["community"]:
        lines.append(f"{'Community' if en else '村（社区）'}：{maps.esc(row['community'])}")
    if pd.notna(row["community_pct"]):
        label = f"Community covered ({minutes})" if en else f"所在村（社区）步行{minutes}覆盖率"
        lines.append(f"{label}：{row['community_pct']:.1f}%")
    return "<br>".join(lines)


@st.cache_data(show_spinner=False, max_entries=64)
def _centres_geojson(key: tuple, basemap: str, lang: str, _result: cv.CoverageResult) -> list[tuple[str, dict]]:
    """Per included tier, the centres as GeoJSON with their tooltip HTML (cached)."""
    info = center_info(_result)
    pts = maps.to_display(_result.centers[["geometry"]], basemap)
    minutes = minutes_text((_result.settings.limit_minutes,), lang)
    out = []
    for tier in ("community", "station", "street", "district"):
        idx = info.index[info["tier"] == tier]
        if len(idx):
            gdf = gpd.GeoDataFrame({"tip": [_center_tip(info.loc[i], minutes, lang) for i in idx]},
                                   geometry=pts.geometry.loc[idx].to_numpy(), crs="EPSG:4326")
            out.append((tier, gdf.to_geo_dict()))
    return out


def centers_groups(result: cv.CoverageResult, basemap: str, lang: str = "zh",
                   key: tuple | None = None) -> list[folium.FeatureGroup]:
    """One feature group per included tier (:func:`geo.render.maps.centre_group`); the tooltip adds
    the covered share of the centre's community. ``key`` (the analysis' cache key) caches the
    GeoJSON."""
    return [maps.centre_group(tier, geo, tr("layer_centres", lang, tier=tier_label(tier, lang),
                                            n=len(geo["features"])))
            for tier, geo in _centres_geojson(key or ("uncached", id(result)), basemap, lang, result)]


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage_geojson(key: tuple, basemap: str, _result: cv.CoverageResult) -> list[tuple[str, dict]]:
    """Per tier, the union of its centres' walking areas clipped to the district (cached)."""
    limit = _result.settings.limit_minutes
    out = []
    for tier in ("community", "station", "street", "district"):
        if tier not in set(_result.areas["tier"]):
            continue
        geom = shapely.intersection(cv.union_of(_result.areas, limit, [tier]), _result.district)
        gdf = maps.to_display(_gdf([geom], _result.crs, tier=[tier]), basemap)
        if len(gdf):
            out.append((tier, gdf.to_geo_dict()))
    return out


def coverage_group(result: cv.CoverageResult, basemap: str, lang: str = "zh",
                   key: tuple | None = None) -> folium.FeatureGroup:
    """Coverage at the limit, one translucent area per tier in the tier's colour (the style of
    :func:`geo.render.maps.coverage_layer`), from cached GeoJSON; named in ``lang``."""
    limit = result.settings.limit_minutes
    name = (f"{limit:g}-min coverage by tier" if lang == "en" else f"{limit:g}分钟覆盖范围（按级别）")
    fg = folium.FeatureGroup(name=name)
    for tier, geo in _coverage_geojson(key or ("uncached", id(result)), basemap, result):
        colour = maps.TIER_COLOURS[tier]
        folium.GeoJson(geo, pane="lh-coverage", interactive=False,
                       style_function=lambda f, c=colour: {"color": c, "weight": 0.8, "fillColor": c,
                                                           "fillOpacity": 0.14}).add_to(fg)
    return fg


BAND_COLOURS = ("#1a9850", "#91cf60", "#d9ef8b", "#fee08b")
OVERLAP_COLOURS = ("#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8")
CATCH_COLOURS = ("#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
                 "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9")


def _gdf(geoms, crs, **cols) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)
    gdf["geometry"] = shapely.simplify(np.asarray(gdf.geometry.values), maps.SIMPLIFY_M, preserve_topology=True)
    return gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]


def bands_group(result: cv.CoverageResult, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Nested walking bands (0–5, 5–10, 10–15 min), darker nearer the centres."""
    b = cv.bands(result.areas, result.district)
    fg = folium.FeatureGroup(name=tr("layer_bands", lang))
    labels = [tr("lg_band", lang, a=a, b=m) for a, m in zip(b["minutes_from"], b["minutes"])]
    gdf = maps.to_display(_gdf(b.geometry, b.crs, label=labels, colour=list(BAND_COLOURS[: len(b)])), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_bands", lang), pane="lh-coverage", interactive=False,
                       style_function=lambda f: {"color": f["properties"]["colour"], "weight": 0.5,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.45},
                       ).add_to(fg)
    return fg


def catchments_group(catch: gpd.GeoDataFrame, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Each centre's catchment in its own colour, with the centre's name and area served."""
    fg = folium.FeatureGroup(name=tr("layer_catch", lang))
    en = lang == "en"
    tips = [f"<b>{maps.esc(n)}</b><br>{maps.esc(tier_label(t, lang))}<br>"
            f"{'Area served' if en else '服务面积'}：{a:.2f} km²"
            for n, t, a in zip(catch["name"], catch["tier"], catch["area_km2"])]
    colours = [CATCH_COLOURS[i % len(CATCH_COLOURS)] for i in range(len(catch))]
    gdf = maps.to_display(_gdf(catch.geometry, catch.crs, tip=tips, colour=colours), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_catch", lang), pane="lh-coverage",
                       style_function=lambda f: {"color": "#555555", "weight": 0.6,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.6},
                       tooltip=folium.GeoJsonTooltip(["tip"], labels=False)).add_to(fg)
    return fg


def overlap_colour(count: int) -> str:
    """Fill colour for an overlap count (1, 2, … 6+)."""
    return OVERLAP_COLOURS[min(max(int(count), 1), len(OVERLAP_COLOURS)) - 1]


def overlap_group(ov: gpd.GeoDataFrame, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Places by how many centres reach them (count 0 is left to the gaps layer)."""
    fg = folium.FeatureGroup(name=tr("layer_overlap", lang))
    ov = ov[ov["count"] > 0]
    tips = [tr("lg_overlap", lang, n=int(c)) for c in ov["count"]]
    gdf = maps.to_display(_gdf(ov.geometry, ov.crs, tip=tips,
                               colour=[overlap_colour(c) for c in ov["count"]]), basemap)
    if len(gdf):
        folium.GeoJson(gdf.to_json(), name=tr("layer_overlap", lang), pane="lh-coverage",
                       style_function=lambda f: {"color": f["properties"]["colour"], "weight": 0.3,
                                                 "fillColor": f["properties"]["colour"], "fillOpacity": 0.7},
                       tooltip=folium.GeoJsonTooltip(["tip"], labels=False)).add_to(fg)
    return fg


def selected_gap_group(result: cv.CoverageResult, gap_id: int, basemap: str,
                       lang: str = "zh") -> folium.FeatureGroup:
    """A thick outline around the chosen gap."""
    fg = folium.FeatureGroup(name=tr("layer_selected", lang))
    row = result.gaps[result.gaps["gap_id"] == gap_id]
    if len(row):
        gdf = maps.to_display(_gdf(row.geometry, row.crs, gap=[int(gap_id)]), basemap)
        folium.GeoJson(gdf.to_json(), name=tr("layer_selected", lang), pane="lh-gaps", interactive=False,
                       style_function=lambda f: {"color": "#000000", "weight": 4, "dashArray": "8 4",
                                                 "fill": False}).add_to(fg)
    return fg


def gap_view(result: cv.CoverageResult, gap_id: int, basemap: str) -> tuple[list[float], int] | None:
    """Map centre ``[lat, lon]`` and zoom that frame one gap (display coordinates)."""
    row = result.gaps[result.gaps["gap_id"] == gap_id]
    if len(row) == 0:
        return None
    minx, miny, maxx, maxy = maps.to_display(row[["geometry"]], basemap).total_bounds
    return [(miny + maxy) / 2, (minx + maxx) / 2], zoom_for(maxx - minx, maxy - miny)


def zoom_for(dlon: float, dlat: float, width_px: int = 700, height_px: int = MAP_HEIGHT) -> int:
    """The largest web-mercator zoom (12–17) at which a box of this size fits the map."""
    dlon = max(dlon, 1e-5) * 1.6  # margin around the box
    dlat = max(dlat, 1e-5) * 1.6 / math.cos(math.radians(23.4))
    z = min(math.log2(360 * width_px / 256 / dlon), math.log2(360 * height_px / 256 / dlat))
    return int(max(12, min(17, math.floor(z))))


def query_group(res: nearest.NearestResult, centers: gpd.GeoDataFrame, basemap: str,
                lang: str = "zh") -> folium.FeatureGroup:
    """The query point, the snapped point and route (network), or lines to the nearest centres."""
    fg = folium.FeatureGroup(name=tr("layer_query", lang))
    geoms, kinds = [res.point], ["point"]
    if res.snapped is not None:
        geoms.append(res.snapped)
        kinds.append("snap")
    if res.route is not None:
        geoms.append(res.route)
        kinds.append("route")
    elif len(res.table):
        by_id = centers.set_index("id").geometry
        for cid in res.table["id"]:
            c = by_id.get(cid)
            if c is not None:
                geoms.append(shapely.LineString([res.point, c]))
                kinds.append("line")
    gdf = maps.to_display(gpd.GeoDataFrame({"kind": kinds}, geometry=geoms, crs="EPSG:4326"), basemap)
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind == "route":
            folium.PolyLine([(y, x) for x, y in geom.coords], color="#e31a1c", weight=5, opacity=0.9,
                            tooltip=tr("lg_route", lang)).add_to(fg)
        elif kind == "line":
            folium.PolyLine([(y, x) for x, y in geom.coords], color="#e31a1c", weight=2.5, opacity=0.8,
                            dash_array="6 6").add_to(fg)
    for kind, geom in zip(gdf["kind"], gdf.geometry):
        if kind == "point":
            folium.CircleMarker([geom.y, geom.x], radius=9, color="#ffffff", weight=3, fill=True,
                                fill_color="#e31a1c", fill_opacity=1.0, class_name="lh-query",
                                tooltip=tr("lg_point", lang)).add_to(fg)
        elif kind == "snap":
            folium.CircleMarker([geom.y, geom.x], radius=5, color="#e31a1c", weight=2, fill=True,
                                fill_color="#ffffff", fill_opacity=1.0, class_name="lh-snap",
                                tooltip=tr("lg_snap", lang)).add_to(fg)
    return fg


def click_to_wgs84(lat: float, lng: float, basemap: str) -> tuple[float, float]:
    """A map click (display coordinates) as WGS-84 ``(lon, lat)``; AMap maps draw in GCJ-02."""
    if basemap == "amap":
        lon, la = _crs.convert(lng, lat, "gcj02", "wgs84")
        return float(lon), float(la)
    return float(lng), float(lat)


# --------------------------------------------------------------------------- legend


class _LegendControl(MacroElement):
    """A Leaflet control shown while its parent feature group is on the map.

    Sent with the changing layers, so the legend follows the controls without rebuilding the
    base map: removing the old group (streamlit-folium does so on every update) removes the old
    legend, adding the new group adds the new one.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', 'lh-legend');
            div.innerHTML = {{ this.content|tojson }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        (function (group, control) {
            function show(map) { if (map && !control._map) { control.addTo(map); } }
            group.on('add', function (e) { show(e.target._map); });
            group.on('remove', function () { if (control._map) { control.remove(); } });
            show(group._map);
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, content: str):
        super().__init__()
        self._name = "LegendControl"
        self.content = content


def _swatch(colour: str, label: str, border: str = "#666666", opacity: float = 0.8) -> str:
    return (f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-block;"
            f"width:22px;height:12px;background:{colour};opacity:{opacity};border:1px solid {border}'>"
            f"</span>{maps.esc(label)}</div>")


def legend_group(lang: str, result: cv.CoverageResult, view: str, *, query: bool = False,
                 route: bool = False, selected_gap: bool = False) -> folium.FeatureGroup:
    """The legend for the current view, as a feature group (kept out of the layer switcher)."""
    rows = [f"<div style='font-weight:bold;margin-bottom:4px'>{tr('legend', lang)}</div>"]
    for tier in data.TIERS:
        if tier in result.settings.tiers:
            rows.append(f"<div style='display:flex;align-items:center;gap:6px'><span style='display:inline-flex;"
                        f"width:24px;justify-content:center'>{maps.symbol_svg(tier)}</span>"
                        f"{maps.esc(tier_label(tier, lang))}</div>")
    s = result.settings
    if view == "coverage" and len(s.minutes) > 1:
        lower = 0.0
        for m, colour in zip(s.minutes, BAND_COLOURS):
            rows.append(_swatch(colour, tr("lg_band", lang, a=lower, b=m), opacity=0.7))
            lower = m
    elif view == "coverage":
        chips = "".join(f"<span style='display:inline-block;width:9px;height:12px;margin-right:1px;"
                        f"background:{maps.TIER_COLOURS[t]};opacity:0.45'></span>" for t in s.tiers)
        rows.append(f"<div style='display:flex;align-items:center;gap:6px;margin-top:2px'>"
                    f"<span style='display:inline-flex;width:24px;justify-content:center'>{chips}</span>"
                    f"{maps.esc(tr('lg_cover_tier', lang, minutes=minutes_text(s.minutes, lang)))}</div>")
    elif view == "catchments":
        rows.append(_swatch("linear-gradient(90deg,#8dd3c7,#fb8072,#80b1d3,#fdb462)",
                            tr("lg_catch", lang)).replace("background:linear", "background-image:linear"))
    else:
        for n in range(1, len(OVERLAP_COLOURS) + 1):
            label = tr("lg_overlap", lang, n=f"{n}+" if n == len(OVERLAP_COLOURS) else n)
            rows.append(_swatch(overlap_colour(n), label))
    rows.append(_swatch(maps.GAP_COLOUR, tr("lg_gap", lang), border="#99000d", opacity=0.75))
    if selected_gap:
        rows.append(_swatch("transparent", tr("lg_selected", lang), border="#000000"))
    if query:
        rows.append(_swatch("#e31a1c", tr("lg_point", lang), border="#ffffff", opacity=1))
        rows.append(_swatch("#e31a1c", tr("lg_route", lang), border="#e31a1c", opacity=0.6))
        if route:
            rows.append(_swatch("#ffffff", tr("lg_snap", lang), border="#e31a1c", opacity=1))
    box = ("background:rgba(255,255,255,0.94);padding:8px 10px;border-radius:4px;"
           "box-shadow:0 1px 4px rgba(0,0,0,0.35);font:12px/1.6 'Noto Sans CJK SC','Microsoft YaHei',"
           "'PingFang SC',sans-serif;color:#222;")
    fg = folium.FeatureGroup(name=tr("legend", lang), control=False)
    _LegendControl(f"<div style=\"{box}\">{''.join(rows)}</div>").add_to(fg)
    return fg


# --------------------------------------------------------------------------- the base map


def base_map(result: cv.CoverageResult, basemap: str, illustrative: bool, lang: str = "zh") -> folium.Map:
    """A fresh base map: district outline, streets, communities (and the illustrative notice).

    Its content depends only on the layers, the basemap and the language, never on minutes
    or tiers, so streamlit-folium keeps the same map (and the user's zoom) while those change.
    """
    m = maps.base_map(result, basemap)
    en = lang == "en"
    comms = maps.communities_layer(result, basemap, ("Community", "Street") if en else ("村（社区）", "街道"))
    streets = maps.streets_layer(result, basemap, "Street" if en else "街道")
    if en:
        suffix = " (illustrative)" if illustrative else ""
        comms.layer_name = "Communities" + suffix
        streets.layer_name = "Streets" + suffix
    comms.add_to(m)
    streets.add_to(m)
    maps.district_layer(result, basemap).add_to(m)
    # clicking a polygon must not leave the browser's focus rectangle around it
    m.get_root().header.add_child(folium.Element(
        "<style>.leaflet-interactive:focus{outline:none}</style>"), name="lh_focus_css")
    if illustrative:
        maps.notice(data.ILLUSTRATIVE_NOTICE_EN if lang == "en" else data.ILLUSTRATIVE_NOTICE_ZH).add_to(m)
    return m


def gaps_group(result: cv.CoverageResult, basemap: str, lang: str = "zh") -> folium.FeatureGroup:
    """Uncovered gaps in the strong colour (geo.render.maps), named in ``lang``."""
    fg = maps.gaps_layer(result, basemap)
    if lang == "en":
        fg.layer_name = f"Uncovered gaps ({len(result.gaps)})"
    return fg


def district_view(result: cv.CoverageResult, basemap: str) -> tuple[list[float], int]:
    """Map centre ``[lat, lon]`` and zoom showing the whole district."""
    d = maps.to_display(gpd.GeoDataFrame(geometry=[result.district], crs=result.crs), basemap)
    minx, miny, maxx, maxy = d.total_bounds
    return [(miny + maxy) / 2, (minx + maxx) / 2], zoom_for((maxx - minx) / 1.6, (maxy - miny) / 1.6)


def query_view(res: nearest.NearestResult, centers: gpd.GeoDataFrame,
               basemap: str) -> tuple[list[float], int]:
    """Map centre and zoom that show the query point and its nearest centres."""
    pts = [res.point] + [g for g in centers.set_index("id").geometry.reindex(res.table["id"]) if g is not None]
    if res.route is not None:
        pts.append(res.route)
    box = maps.to_display(gpd.GeoDataFrame(geometry=pts, crs="EPSG:4326"), basemap).total_bounds
    minx, miny, maxx, maxy = box
    # one level out: room for the legend and the surroundings of the nearest centres
    return [(miny + maxy) / 2, (minx + maxx) / 2], max(12, zoom_for(maxx - minx, maxy - miny) - 1)
