"""The life circle on the page: the planner's view (facilities in, circle level and categories,
the map of categories reached, the community scorecard, a community's nearest facility of each
kind) and the resident's "nearest of each kind".

Facilities are the user's data: imported here through the one facilities reader
(:func:`geo.io.facilities.import_facilities`) and kept in the user's store as the layer
``facilities``, so every page and session sees the same ones. Nothing here invents facilities:
without an import the view says how to load them.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import locale
from geo.app.data_common import show_problems
from geo.app.page import section
from geo.app.state import CRS_CHOICES, ss
from geo.app.text import both, crs_label, md, tr
from geo.engine import lifecircle as lc
from geo.io import facilities as fio
from geo.io.catalogue import load_catalogue
from geo.io.district import District, Layers
from geo.io.errors import DataError
from geo.jobs.lifecircle import LifeCircleJob
from geo.render import lifecircle_brief, maps
from geo.render.safe_html import escape_text

LAYER = "facilities"
LEVELS = (5, 10, 15)
HEAT = ["#f7fcb9", "#d9f0a3", "#addd8e", "#78c679", "#41ab5d", "#238443", "#005a32"]


@st.cache_resource(show_spinner=False)
def catalogue() -> lc.Catalogue:
    """The shipped facility catalogue (data/catalogue/lifecircle.toml)."""
    return load_catalogue()


def saved_facilities(place: District) -> gpd.GeoDataFrame | None:
    """The facilities saved in ``place``'s store, or None when none were imported (read-only:
    looking never creates or changes the store)."""
    if not place.store_path.is_file():
        return None
    try:
        return place.store(readonly=True).load(LAYER, shipped=False)
    except (KeyError, DataError):
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _report(digest: str, filename: str, crs: str, code: str, _payload: bytes,
            _place: District) -> fio.FacilityReport:
    """A facilities file checked against the outline of ``_place`` (district ``code``)."""
    return fio.import_facilities(_payload, catalogue(), None if crs == "auto" else crs, filename=filename,
                                 district=_place.outline)


def import_panel(place: District, lang: str) -> None:
    """Upload an AMap POI export or a table with a category column; every problem listed; save
    into ``place``'s store."""
    up = st.file_uploader(tr("lc.upload", lang), type=["csv", "xlsx", "geojson", "json", "gpkg"], key="lc_file")
    crs = st.radio(tr("lc.crs", lang), ("auto",) + CRS_CHOICES, horizontal=True, key="lc_crs",
                   format_func=lambda c: tr("lc.crs_auto", lang) if c == "auto" else crs_label(c, lang))
    if up is None:
        return
    payload = up.getvalue()
    try:
        report = _report(hashlib.sha1(payload).hexdigest(), up.name, crs, place.code, payload, place)
    except DataError as exc:
        st.error(exc.text(lang))
        return
    unmatched = len(report.unmatched)
    st.markdown(tr("lc.read", lang, rows=tr("lc.read_rows", lang, file=md(report.source), n=report.n_rows),
                   usable=tr("lc.read_usable", lang, n=len(report.valid)),
                   unmatched=tr("lc.read_unmatched", lang, n=unmatched) if unmatched else ""))
    items = report.problems + report.warnings
    if items:
        show_problems(items, lang)
    if len(report.valid) and st.button(tr("lc.save", lang, n=len(report.valid)), key="lc_save", type="primary"):
        valid = report.valid.assign(id=[f"F{i + 1:05d}" for i in range(len(report.valid))],
                                    source=report.source)
        try:
            place.store().save(LAYER, valid, both(lambda lg: tr("lc.save_desc", lg, file=report.source)), key="id",
                               force=True)
        except DataError as exc:
            st.error(exc.text(lang))
            return
        except ValueError as exc:
            st.error(str(exc))
            return
        st.success(tr("lc.saved", lang, n=len(valid)))


@st.cache_data(show_spinner=False, max_entries=16)
def _analysis(key: tuple, _job: LifeCircleJob) -> lc.LifeCircleResult:
    """The job's result, cached on ``key`` (the district's code and layers, the facilities'
    version, the categories and the speed)."""
    return _job.run()


def planner_section(layers: Layers, lang: str, speed_kmh: float) -> None:
    """The planner's life-circle view of ``layers`` (the page's District) below the coverage map,
    in a section drawn only when open."""
    box = section(tr("lc.title", lang), "lc_open")
    if box is not None:
        with box:
            _planner_view(layers, lang, speed_kmh)


def _planner_view(layers: Layers, lang: str, speed_kmh: float) -> None:
    """The open life-circle section: facilities in, the level and categories, the scorecard."""
    place, token = layers.place, f"{layers.place.code}:{layers.token}"
    st.caption(tr("lc.hint", lang))
    fac = saved_facilities(place)
    with st.expander(tr("lc.import", lang), expanded=fac is None):
        import_panel(place, lang)
    if fac is None or len(fac) == 0:
        st.info(tr("lc.none", lang))
        return
    cat = catalogue()
    level = st.radio(tr("lc.level", lang), LEVELS + (0,), horizontal=True, key="lc_level",
                     format_func=lambda v: tr("lc.all_levels", lang) if v == 0 else tr("lc.level_n", lang, n=v))
    offered = [c.key for c in cat.categories if level in (0, c.level)]
    keys = st.multiselect(tr("lc.categories", lang), offered, default=offered, key=f"lc_cats_{level}",
                          format_func=lambda k: cat.get(k).name(lang))
    if not keys:
        st.warning(tr("lc.no_category", lang))
        return
    job = LifeCircleJob(layers, fac, cat.select(list(keys)), lc.Settings(speed_kmh=speed_kmh))
    try:
        res = _analysis((token, fac.attrs.get("version"), tuple(keys), speed_kmh), job)
    except lc.LifeCircleError as exc:
        st.error(tr("lc.error", lang, msg=exc.text(lang)))
        return
    head = res.headline()
    a, b = st.columns(2)
    a.metric(tr("lc.m_served", lang), f"{locale.number(head['fully_served_communities'], lang)} / "
                                      f"{locale.number(head['communities'], lang)}")
    b.metric(tr("lc.m_facilities", lang), locale.number(len(fac), lang))
    st_folium(reach_map(res, lang), height=420, use_container_width=True, returned_objects=[], key="lc_map")
    scorecard(res, lang)
    brief_download(res, layers.streets, job.status, lang, (token, fac.attrs.get("version"), tuple(keys), speed_kmh),
                   place.slug)


@st.cache_data(show_spinner=False, max_entries=8)
def _brief_bytes(key: tuple, lang: str, fmt: str, status: str, _res: lc.LifeCircleResult,
                 _streets: gpd.GeoDataFrame | None) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lifecircle-brief-") as tmp:
        path = lifecircle_brief.export_brief(_res, Path(tmp) / f"brief.{fmt}", streets=_streets, lang=lang,
                                             status=status)
        return path.read_bytes()


def brief_download(res: lc.LifeCircleResult, streets: gpd.GeoDataFrame | None, status: str, lang: str,
                   key: tuple, stem: str) -> None:
    """The one-page life-circle brief (PDF or PNG) in the page's language, made on request."""
    fmt = st.radio(tr("lc.brief_fmt", lang), ("pdf", "png"), horizontal=True, key="lc_brief_fmt",
                   format_func=str.upper)
    if st.button(tr("lc.brief_make", lang), key="lc_brief_make"):
        ss["lc_brief"] = (key, lang, fmt, _brief_bytes(key, lang, fmt, status, res, streets))
    made = ss.get("lc_brief")
    if made and made[:3] == (key, lang, fmt):
        st.download_button(tr("lc.brief_download", lang), made[3], file_name=f"{stem}_lifecircle_brief.{fmt}",
                           mime="application/pdf" if fmt == "pdf" else "image/png", key="lc_brief_dl")


def reach_map(res: lc.LifeCircleResult, lang: str) -> folium.Map:
    """The 50 m grid coloured by how many of the chosen categories it reaches."""
    grid = res.grid.to_crs("EPSG:4326")
    b = grid.total_bounds
    m = folium.Map(tiles=None, control_scale=True, zoom_control=False)
    maps.MapWords(lang).add_to(m)
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    n = max(int(grid["n_categories"].max()), 1)
    for row in grid.itertuples():
        colour = HEAT[min(int(round(row.count / n * (len(HEAT) - 1))), len(HEAT) - 1)]
        tip = escape_text(tr("lc.cell_tip", lang, k=int(row.count), n=n))
        folium.GeoJson(row.geometry.simplify(0.00005), tooltip=tip,
                       style_function=lambda _f, c=colour: {"fillColor": c, "color": c, "weight": 0,
                                                            "fillOpacity": 0.75}).add_to(m)
    return m


def scorecard(res: lc.LifeCircleResult, lang: str) -> None:
    """Communities, fewest categories reached first, with what is missing (named in the page's
    language, from the facility catalogue); one community's nearest facility of each kind."""
    c = pd.DataFrame(res.communities.drop(columns="geometry"))
    missing = lifecircle_brief.missing_names(res, lang)
    sep = tr("list_sep", lang)
    table = pd.DataFrame({tr("lc.c_code", lang): c["code"], tr("lc.c_name", lang): c["name"],
                          tr("lc.c_reached", lang): c["reached"].astype(str) + " / " + c["required"].astype(str),
                          tr("lc.c_missing", lang): c["n_missing"],
                          tr("lc.c_which", lang): [sep.join(missing.get(str(k), [])) for k in c["code"]]})
    st.dataframe(table.sort_values(tr("lc.c_missing", lang), ascending=False, kind="stable"), hide_index=True,
                 column_config={tr("lc.c_which", lang): st.column_config.TextColumn(width="large")})
    pick = st.selectbox(tr("lc.pick", lang), list(c["code"]), key="lc_pick",
                        format_func=dict(zip(c["code"], c["name"])).get)
    rows = res.table[res.table["code"] == pick]
    st.dataframe(pd.DataFrame({
        tr("lc.k_category", lang): [lifecircle_brief.category_name(res, k, lang) for k in rows["category_key"]],
        tr("lc.k_name", lang): [_shown(v) for v in rows["nearest_name"]],
        tr("lc.k_limit", lang): _numbers(rows["limit_m"], lang, 0),
        tr("lc.k_nearest", lang): _numbers(rows["nearest_m"], lang, 0),
        tr("lc.k_minutes", lang): _numbers(rows["nearest_minutes"], lang, 1),
        tr("lc.k_covered", lang): _numbers(rows["covered_pct"], lang, 1)}), hide_index=True)


def _shown(value: object) -> str:
    """A name as the page shows it: a dash when there is none (never ``None``)."""
    return locale.DASH if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _numbers(values: pd.Series, lang: str, digits: int) -> list[str]:
    """Numbers as the page shows them (:func:`geo.locale.number`; a dash for none or infinity)."""
    return [locale.number(float(v), lang, digits) if pd.notna(v) else locale.DASH for v in values]


def resident_section(place: District, lon: float, lat: float, lang: str, speed_kmh: float) -> None:
    """Beside the nearest service centres: the nearest facility of each kind in ``place``'s store
    (straight line), the kinds named in the page's language."""
    fac = saved_facilities(place)
    if fac is None or len(fac) == 0:
        return
    st.markdown(f"**{tr('lc.kinds', lang)}**")
    cat = catalogue()
    out = lc.nearest_by_category(fac, lon, lat, cat, speed_kmh)
    out = out[np.isfinite(out["distance_m"])]
    st.dataframe(pd.DataFrame({
        tr("lc.k_category", lang): [cat.get(k).name(lang) for k in out["category_key"]],
        tr("lc.k_name", lang): [_shown(v) for v in out["name"]],
        tr("lc.k_nearest", lang): _numbers(out["distance_m"], lang, 0),
        tr("lc.k_minutes", lang): _numbers(out["minutes"], lang, 1)}), hide_index=True)
    st.caption(tr("lc.kinds_note", lang))
