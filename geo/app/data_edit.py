"""The 编辑服务中心 panel: the centres as an editable table saved as one version, and moving one
centre by a click on the map.

An edit is compared with the table it started from (:func:`edit_plan`), the changed rows are
checked by the importer's rules (:func:`apply_edit`), and the result is one save. The table
stays on the version it was opened at while it holds unsaved edits (:func:`_pinned_layers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st

from geo.app.data_common import (
    ensure_seeded,
    save,
    show_problems,
    ss,
    unpin,
    version_of,
)
from geo.app.state import choice
from geo.app.text import both, md, tier_label, tr
from geo.engine import schema
from geo.io import centers as center_io
from geo.io import editing, errors
from geo.io import store as gstore
from geo.io.district import Layers
from geo.io.registry import row_ref
from geo.locale import Msg
from geo.render import maps
from geo.render.safe_html import escape_text

EDIT_COLUMNS = ["id", "name", "tier", "lon", "lat", "street"]


def editor_table(layers: Layers) -> pd.DataFrame:
    """The centres as the editor shows them: id, name, tier, lon, lat (WGS-84), street name."""
    c = layers.centers
    streets = layers.streets.drop_duplicates("code").set_index("code")["name"]
    return pd.DataFrame({
        "id": c["id"].astype(str).to_numpy(),
        "name": c["name"].astype(str).to_numpy(),
        "tier": c["tier"].astype(str).to_numpy(),
        "lon": c["lon"].astype(float).to_numpy(),
        "lat": c["lat"].astype(float).to_numpy(),
        "street": c["street_code"].map(streets).fillna("").astype(str).to_numpy(),
    }, columns=EDIT_COLUMNS)


def _blank(v: object) -> bool:
    if v is None:
        return True
    try:
        if pd.isna(v):
            return True
    except (TypeError, ValueError):
        return False
    return isinstance(v, str) and not v.strip()


def _num(v: object) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


def _tier_code(v: object) -> str:
    if _blank(v):
        return ""
    return schema.normalise_tier(str(v)) or str(v)


@dataclass
class EditPlan:
    """What an edit of the centres table changes, row by row (positions in the edited table)."""

    added: list[int] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[int] = field(default_factory=list)
    moved: list[int] = field(default_factory=list)
    retiered: list[int] = field(default_factory=list)

    @property
    def touched(self) -> set[int]:
        return set(self.added) | set(self.renamed) | set(self.moved) | set(self.retiered)

    def empty(self) -> bool:
        return not (self.touched or self.deleted)

    def summary(self, lang: str) -> str:
        """E.g. '改名 1，移动 2' / 'renamed 1, moved 2' (only what happened)."""
        counts = {"s_added": self.added, "s_deleted": self.deleted, "s_renamed": self.renamed,
                  "s_moved": self.moved, "s_retiered": self.retiered}
        parts = [tr(f"data.{k}", lang, n=len(v)) for k, v in counts.items() if v]
        return tr("data.list_sep", lang).join(parts)


def edit_plan(before: pd.DataFrame, after: pd.DataFrame) -> EditPlan:
    """Compare the editor's table before and after editing (rows matched by id)."""
    plan = EditPlan()
    old = before.set_index("id")
    ids = ["" if _blank(v) else str(v) for v in after["id"]]
    kept = set(ids)
    plan.deleted = [i for i in before["id"] if i not in kept]
    for pos, (cid, rec) in enumerate(zip(ids, after.to_dict("records"))):
        if not cid or cid not in old.index:
            if not all(_blank(rec.get(c)) for c in ("name", "tier", "lon", "lat")):
                plan.added.append(pos)
            continue
        o = old.loc[cid]
        if str(rec.get("name") if not _blank(rec.get("name")) else "").strip() != str(o["name"]).strip():
            plan.renamed.append(pos)
        if _tier_code(rec.get("tier")) != o["tier"]:
            plan.retiered.append(pos)
        x, y = _num(rec.get("lon")), _num(rec.get("lat"))
        if not (math.isclose(x, o["lon"], abs_tol=1e-9) and math.isclose(y, o["lat"], abs_tol=1e-9)):
            plan.moved.append(pos)
    return plan


def _cell(v: object) -> object:
    return "" if _blank(v) else v


def _candidate_table(centers: gpd.GeoDataFrame, recs: list[dict], plan: EditPlan) -> tuple[pd.DataFrame, list[int]]:
    """The rows to check, as a centres table (untouched rows first, then the edited ones),
    and the editor position of each row."""
    by_id = {cid: i for i, cid in enumerate(centers["id"].astype(str))}
    touched = plan.touched
    relocate = set(plan.added) | set(plan.moved) | set(plan.retiered)
    rows = []
    order = []  # table position of each candidate row; untouched rows first
    positions = [p for p in range(len(recs)) if p not in touched] + sorted(touched)
    for pos in positions:
        rec = recs[pos]
        cid = "" if _blank(rec.get("id")) else str(rec["id"])
        if pos not in touched and cid not in by_id:
            continue  # an empty added row
        src = centers.iloc[by_id[cid]] if cid in by_id else None
        if pos in touched:
            rows.append({
                "id": cid, "name": _cell(rec.get("name")), "tier": _tier_code(rec.get("tier")),
                "lon": _cell(rec.get("lon")), "lat": _cell(rec.get("lat")),
                "street_code": "" if src is None or pos in relocate else src["street_code"],
                "community_code": "" if src is None or pos in relocate else src["community_code"],
                "position_source": "user" if src is None or pos in plan.moved else src["position_source"],
            })
        else:
            rows.append({c: src[c] for c in ("id", "name", "tier", "lon", "lat", "street_code",
                                              "community_code", "position_source")})
        order.append(pos)
    return pd.DataFrame(rows, columns=schema.CENTER_COLUMNS), order


def _edit_problems(problems: list, order: list[int], touched: set[int], recs: list[dict]) -> list:
    """The checker's problems on edited rows, renumbered to editor rows (1 = first) and named."""
    to_pos = {i + 2: order[i] for i in range(len(order))}  # reported row (header = 1) -> table position
    out = []
    for p in problems:
        pos = to_pos.get(p.row)
        if pos is None or pos in touched:
            name = "" if pos is None or _blank(recs[pos].get("name")) else str(recs[pos]["name"]).strip()
            reason = editing.replace_row_refs(p.reason, lambda r: row_ref(to_pos[r] + 1) if r in to_pos else None)
            reason = Msg.of("why.named", name=name, reason=reason) if name else reason
            out.append(errors.ImportProblem(pos + 1 if pos is not None else None, p.column, p.value, reason,
                                            field=p.field, level=p.level))
    return out


def _edited_layer(centers: gpd.GeoDataFrame, recs: list[dict], touched: set[int], checked: gpd.GeoDataFrame,
                  checked_pos: list[int]) -> gpd.GeoDataFrame:
    """The centres in editor order: edited rows as checked (``checked_pos`` = the editor position
    of each checked row), untouched rows as they were, deleted rows gone."""
    by_id = {cid: i for i, cid in enumerate(centers["id"].astype(str))}
    valid = dict(zip(checked_pos, range(len(checked))))
    out_rows = []
    for pos, rec in enumerate(recs):
        cid = "" if _blank(rec.get("id")) else str(rec["id"])
        if pos in touched:
            if pos in valid:
                out_rows.append(checked.iloc[[valid[pos]]])
        elif cid in by_id:
            out_rows.append(centers.iloc[[by_id[cid]]])
    cols = list(centers.columns)
    frames = [f.reindex(columns=cols) for f in out_rows]
    out = pd.concat(frames, ignore_index=True) if frames else centers.iloc[0:0]
    gdf = gpd.GeoDataFrame(out, geometry=centers.geometry.name, crs="EPSG:4326")
    for c in cols:
        if c != gdf.geometry.name and c not in ("lon", "lat") and c in schema.CENTER_COLUMNS:
            gdf[c] = gdf[c].fillna("").astype(str)
    return gdf


def apply_edit(layers: Layers, after: pd.DataFrame, plan: EditPlan,
               lang: str) -> tuple[gpd.GeoDataFrame | None, list]:
    """The new centres layer for an edit, checked by the importer (inside the district, tier,
    name, one community-tier centre per community …). Returns ``(layer, [])`` or
    ``(None, problems)``; a problem's row is the table row (1 = first)."""
    centers = layers.centers.reset_index(drop=True)
    recs = after.to_dict("records")
    table, order = _candidate_table(centers, recs, plan)
    report = center_io.validate_centers(table, "wgs84", source="table", district=layers.place,
                                        streets=layers.streets, communities=layers.communities)
    problems = _edit_problems(report.problems, order, plan.touched, recs)
    if problems:
        return None, problems
    checked_pos = [order[r - 2] for r in report.valid_rows]
    return _edited_layer(centers, recs, plan.touched, report.valid, checked_pos), []


def _pinned_layers(layers: Layers) -> tuple[Layers, str]:
    """The layers the centres editor edits, and its widget key.

    The table stays on the version it was opened at while it holds unsaved edits, even when
    another session saves meanwhile (its rows would otherwise shift under the edits); the
    save then names that version as its base and the store merges, or reports a conflict.
    Without pending edits the table simply follows the latest version; a pin of another
    district is dropped (its edits belong to that district's table).
    """
    pin = ss.get("ed_pin")
    if pin is not None and pin.get("code") != layers.place.code:
        pin = None
    if pin is not None and pin["token"] != layers.token:
        state = ss.get(pin["key"]) or {}
        if not (state.get("edited_rows") or state.get("added_rows") or state.get("deleted_rows")):
            pin = None
    if pin is None:
        n = ss.get("ed_pin_n", 0) + 1
        pin = {"code": layers.place.code, "token": layers.token, "key": f"ed_centers_{n}", "centers": layers.centers}
        ss["ed_pin_n"] = n
        ss["ed_pin"] = pin
    return replace(layers, centers=pin["centers"]), pin["key"]


def _editor_columns(lang: str) -> dict:
    """The editor's columns: names in the page language, tiers as a choice, WGS-84 degrees."""
    tiers = list(schema.TIERS)
    return {
        "id": st.column_config.TextColumn(tr("data.c_id", lang), disabled=True),
        "name": st.column_config.TextColumn(tr("data.c_name", lang), required=True, max_chars=200),
        "tier": st.column_config.SelectboxColumn(tr("data.c_tier", lang), options=tiers, required=True,
                                                 format_func=lambda x, lang=lang: tier_label(x, lang)
                                                 if x in tiers else str(x)),
        "lon": st.column_config.NumberColumn(tr("data.c_lon", lang), format="%.6f", min_value=-180.0,
                                             max_value=180.0, step=1e-6),
        "lat": st.column_config.NumberColumn(tr("data.c_lat", lang), format="%.6f", min_value=-90.0,
                                             max_value=90.0, step=1e-6),
        "street": st.column_config.TextColumn(tr("data.c_street", lang), disabled=True),
    }


def edit_section(layers: Layers, lang: str) -> None:
    """The centres as an editable table, saved as one version in the store of the layers' District."""
    st.caption(tr("data.ed_hint", lang))
    shown, key = _pinned_layers(layers)
    if version_of(shown.centers) != version_of(layers.centers):
        st.info(tr("data.ed_stale", lang, v=version_of(layers.centers)))
        st.button(tr("data.ed_discard", lang), key="ed_discard", on_click=unpin)
    table = editor_table(shown)
    edited = st.data_editor(table, key=key, num_rows="dynamic", hide_index=True, column_config=_editor_columns(lang),
                            column_order=["name", "tier", "lon", "lat", "street", "id"],
                            disabled=["id", "street"], height=360)
    if ss.pop("ed_clear", False):
        ss["ed_desc"] = ""
    desc = st.text_input(tr("data.ed_desc", lang), key="ed_desc", max_chars=200)
    if st.button(tr("data.ed_save", lang), key="ed_save", type="primary"):
        _save_edit(shown, table, edited, desc, lang)


def _save_edit(shown: Layers, table: pd.DataFrame, edited: pd.DataFrame, desc: str, lang: str) -> None:
    """Check the edited table and save it as one version, or list every problem."""
    plan = edit_plan(table, edited)
    if plan.empty():
        st.info(tr("data.ed_nothing", lang))
        return
    gdf, problems = apply_edit(shown, edited, plan, lang)
    if problems:
        st.error(tr("data.ed_invalid", lang, n=len(problems)))
        show_problems(problems, lang)
        return
    summary = plan.summary(lang)
    text = " ".join(str(desc).split())
    if text:
        text = tr("data.ed_desc_with", lang, text=text, summary=summary)
    else:
        text = both(lambda lg: tr("data.ed_auto_desc", lg, summary=plan.summary(lg)))

    def action() -> gstore.SaveResult:
        store = shown.place.store()
        ensure_seeded(store, "centers")
        return store.save("centers", gdf, text[: gstore.MAX_DESCRIPTION],
                          base_version=version_of(shown.centers))

    def after() -> None:
        ss["ed_clear"] = True
        unpin()

    save(action, lambda r: tr("data.ed_done", lang, v=r.version, summary=summary), lang, "edit", after)


def move_section(layers: Layers, lang: str, show_map) -> None:
    """Choose a centre, click the map, move it there. ``show_map(build, key)`` draws the page's map
    (clicks on) with the layers ``build()`` makes (built again only for a new ``key``)."""
    st.divider()
    st.markdown(f"**{tr('data.mv_head', lang)}**")
    c = layers.centers
    if len(c) == 0:
        return
    labels = {cid: tr("data.mv_label", lang, name=name, tier=tier_label(tier, lang), id=cid)
              for cid, name, tier in zip(c["id"].astype(str), c["name"].astype(str), c["tier"])}
    pick = choice(st.selectbox, tr("data.mv_pick", lang), list(labels), "mv_pick", lang, format_func=labels.get)
    click = ss.get("data_click")
    row = c[c["id"].astype(str) == pick].iloc[0]
    if not click:
        st.caption(tr("data.mv_hint", lang))
    else:
        lon, lat = float(click[0]), float(click[1])
        st.caption(tr("data.mv_at", lang, lon=lon, lat=lat, m=_metres(row["lon"], row["lat"], lon, lat)))
        if st.button(tr("data.mv_go", lang), key="mv_go", type="primary"):
            _move(pick, str(row["name"]), lon, lat, layers, lang)
    basemap = ss["basemap"]
    show_map(lambda: move_groups(layers, basemap, lang),
             ("move", layers.place.code, layers.token, basemap, lang, pick, tuple(click) if click else None))


def _move(pick: str, name: str, lon: float, lat: float, layers: Layers, lang: str) -> None:
    """Move centre ``pick`` to (lon, lat) in the store of the layers' District."""
    def action() -> gstore.SaveResult:
        return editing.CenterEditor(layers.place.store()).move(
            pick, lon, lat, base_version=version_of(layers.centers),
            description=both(lambda lg: tr("data.mv_desc", lg, name=name, id=pick)))

    save(action, lambda r: tr("data.mv_done", lang, name=md(name), v=r.version), lang, "move",
         lambda: ss.pop("data_click", None))


def move_groups(layers: Layers, basemap: str, lang: str) -> list[folium.FeatureGroup]:
    """The data page's map: every centre, the one being moved and where to, fitted to it."""
    from geo.app import mapview

    base = mapview.base_result(layers)
    groups: list[folium.FeatureGroup] = []  # the centres are in the base map (mapview.show(centres=True))
    moving = move_group(layers, basemap, lang)
    if moving is None:
        return groups + [mapview.fit_group(mapview.district_fit(base, basemap))]
    pick = ss.get("mv_pick")
    point = layers.centers[layers.centers["id"].astype(str) == str(pick)].geometry.iloc[0]
    target = [point] + ([shapely.Point(*ss["data_click"])] if ss.get("data_click") else [])
    return groups + [moving, mapview.fit_group(mapview.points_fit(target, basemap, f"move:{pick}"))]


def move_group(layers: Layers, basemap: str, lang: str) -> folium.FeatureGroup | None:
    """On the map: a ring around the centre chosen for moving and, once the map was clicked,
    the new position with a dashed line from the old one."""
    pick = ss.get("mv_pick")
    c = layers.centers
    row = c[c["id"].astype(str) == str(pick)]
    if pick is None or len(row) == 0:
        return None
    geoms = [row.geometry.iloc[0]]
    click = ss.get("data_click")
    if click:
        new = shapely.Point(float(click[0]), float(click[1]))
        geoms += [new, shapely.LineString([geoms[0], new])]
    shown = maps.to_display(gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4326"), basemap).geometry
    fg = folium.FeatureGroup(name=tr("data.mv_layer", lang))
    old = shown.iloc[0]
    folium.CircleMarker([old.y, old.x], radius=14, color="#e31a1c", weight=3, fill=False, class_name="lh-move-from",
                        tooltip=escape_text(tr("data.mv_from", lang, name=row["name"].iloc[0]))).add_to(fg)
    if click:
        new, line = shown.iloc[1], shown.iloc[2]
        folium.PolyLine([(y, x) for x, y in line.coords], color="#e31a1c", weight=2.5, dash_array="6 6").add_to(fg)
        folium.CircleMarker([new.y, new.x], radius=8, color="#ffffff", weight=3, fill=True, fill_color="#e31a1c",
                            fill_opacity=1.0, class_name="lh-move-to", tooltip=tr("data.mv_to", lang)).add_to(fg)
    return fg


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (m); plenty for a few kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(min(1.0, a)))
