"""Helpers for the AppTest tests of the pages (tests/test_app*.py): start the app on a page, go to
another page, read the map component's arguments and the page's tables."""

from __future__ import annotations

import json
import re

import pandas as pd
from streamlit.testing.v1 import AppTest

APP = "../app.py"  # AppTest resolves the path relative to the test file
TIMEOUT = 120
URLS = {"planner": "", "resident": "resident", "data": "data"}


def goto(at: AppTest, page: str) -> AppTest:
    """Run the app on ``page`` (planner, resident, data) -- its URL path, as a browser would open it.

    AppTest's ``switch_page`` knows file pages only; the pages here are functions registered by
    ``st.navigation`` under their URL path, so the page's registered hash is requested directly.
    """
    if not at._registered_pages:
        at.run()
    url = URLS[page]
    at._page_hash = next(h for h, info in at._registered_pages.items() if info.get("url_pathname") == url)
    return at.run()


def start(page: str = "planner", **state) -> AppTest:
    """A fresh session on ``page`` with ``state`` set before its first run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    return at if page == "planner" else goto(at, page)


def K(name: str, lang: str = "zh") -> str:
    """Widget key of a choice control (one widget per language: geo.app.state.choice)."""
    return f"{name}__{lang}"


def W(name: str) -> str:
    """Widget key of a bound field (geo.app.state.bound)."""
    return f"w_{name}"


def ok(at: AppTest) -> AppTest:
    """No exception and no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def unescape(js: str | None) -> str:
    """Leaflet script text with JSON's \\uXXXX escapes turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), js or "")


def map_args(at: AppTest) -> dict:
    """The arguments of the page's one map component (scripts unescaped)."""
    comps = at.get("component_instance")
    assert len(comps) == 1, "exactly one map on the page"
    args = json.loads(comps[0].proto.json_args)
    for k in ("script", "feature_group", "layer_control"):
        args[k] = unescape(args.get(k))
    return args


def n_points(js: str) -> int:
    return len(re.findall(r'"type":\s*"Point"', js))


def tables(at: AppTest) -> list[pd.DataFrame]:
    """Every table of the page: interactive (st.dataframe) and static (st.table)."""
    return [d.value for d in at.dataframe] + [t.value for t in at.table]


def frame(at: AppTest, column: str) -> pd.DataFrame:
    """The first table with ``column``."""
    for df in tables(at):
        if column in df.columns:
            return df
    raise AssertionError(f"no table with column {column!r}: {[list(d.columns) for d in tables(at)]}")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def covered(at: AppTest, minutes: str = "15") -> float:
    """The covered share (%) the page shows for a limit, e.g. '步行15分钟覆盖率' -> 95.1."""
    for m in at.metric:
        if re.search(rf"(?<![\d.]){minutes}\s*(分钟|min)", m.label) and "%" in m.value:
            return float(m.value.rstrip("%"))
    raise AssertionError(f"no covered metric for {minutes} min in {metrics(at)}")


def upload(at: AppTest, prefix: str, name: str, payload: bytes) -> AppTest:
    """Give the uploader whose key starts with ``prefix`` a file, and run."""
    up = next(u for u in at.file_uploader if u.key.startswith(prefix))
    up.set_value((name, payload, "application/octet-stream"))
    return at.run()


def tab(at: AppTest, label: str, lang: str = "zh") -> AppTest:
    """Open a panel of the data page (its tabs are lazy: only the open one is drawn)."""
    at.session_state[f"data_tab_{lang}"] = label
    return at.run()


def editor(at: AppTest):
    """The data page's centres editor (its tab opened first)."""
    if not at.data_editor:
        tab(at, "编辑服务中心")
    eds = at.data_editor
    assert len(eds) == 1
    return eds[0]


def edit(at: AppTest, edited_rows=None, added_rows=None, deleted_rows=None, desc: str = "") -> AppTest:
    """Seed the centres editor with an edit (as the browser would send it), then save."""
    key = editor(at).key
    at.session_state[key] = {"edited_rows": edited_rows or {}, "added_rows": added_rows or [],
                             "deleted_rows": deleted_rows or []}
    if desc:
        at.text_input(key="ed_desc").input(desc)
    at.button(key="ed_save").click()
    return at.run()


EDITOR_COLUMNS = {"id", "name", "tier", "lon", "lat", "street"}
HIDDEN_FIELDS = {"id", "form_id", "key", "component_name", "json_args", "data", "arrow_data", "styler",
                 "column_config", "column_order", "icon", "format", "type", "url", "deck_json", "spec"}


def _strings(msg, out: list[str]) -> None:
    """The text fields of a protobuf message (ids, keys and binary data left out)."""
    for field, value in msg.ListFields():
        if field.name in HIDDEN_FIELDS:
            continue
        values = value if field.is_repeated else [value]
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif hasattr(v, "ListFields"):
                _strings(v, out)


_STR = r'"((?:[^"\\]|\\.)*)"'
MAP_TEXT = re.compile(rf'"tip": {_STR}|`([^`]*)`|innerHTML = {_STR}|"content": {_STR}'
                      rf'|{_STR} ?: ?(?:feature_group|geo_json|tile_layer)_\w+|"title": {_STR}|"name": {_STR}'
                      rf'|"(?:zoom_in|zoom_out|layers)": {_STR}')


def map_text(at: AppTest) -> str:
    """What the map shows in words: tooltips, layer names, the legend, the notice, the buttons' titles
    (the zoom and layer buttons' too)."""
    out = []
    for comp in at.get("component_instance"):
        args = json.loads(comp.proto.json_args)
        js = unescape(" ".join(args.get(k) or "" for k in ("script", "feature_group", "layer_control")))
        out += [g for m in MAP_TEXT.finditer(js) for g in m.groups() if g]
    return re.sub(r"<[^>]+>", " ", "\n".join(out))


def cell_text(value: object) -> str:
    """A table cell as the browser shows it: an empty cell (None, NaN, pandas' NA) is ``None``."""
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return "None"
    return str(value)


def page_text(at: AppTest) -> str:
    """Every word the page shows: texts, labels, options, help, captions, tables (their cells) and
    what the map shows, one string."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and getattr(node, "type", "") not in ("arrow_data_frame", "dataframe", "table",
                                                                     "component_instance"):
            _strings(proto, out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    for df in tables(at):
        if set(df.columns) == EDITOR_COLUMNS:  # the centres editor: headers and tiers shown through its column labels
            continue
        out.append(" ".join(map(str, df.columns)) + " " + " ".join(map(cell_text, df.to_numpy(object).ravel())))
    out.append(map_text(at))
    return unescape("\n".join(out))
