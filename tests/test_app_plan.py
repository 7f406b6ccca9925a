"""Planner tools on the page: briefing downloads and new-station suggestions (AppTest)."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from geo.io import store

APP = "../app.py"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGHU_STORE", str(tmp_path / "user.gpkg"))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.slow
def test_brief_and_tables_are_made_on_request(app):
    app.button(key="make_xlsx").click().run()
    app.button(key="make_brief").click().run()
    assert not app.exception and not app.error
    xlsx = openpyxl.load_workbook(io.BytesIO(app.session_state["made_xlsx"][1]))
    assert {"街道", "村（社区）", "空白区域"} <= set(xlsx.sheetnames)
    assert xlsx["街道"].max_row == 11  # header + 10 streets
    pdf = PdfReader(io.BytesIO(app.session_state["made_brief"][1]))
    text = pdf.pages[0].extract_text()
    assert len(pdf.pages) == 1 and "龙湖区" in text and "示意" in text
    # a changed setting makes the file stale: the download button goes away until made again
    assert any(b.proto.id for b in app.get("download_button"))
    app.radio(key="minutes_choice__zh").set_value("5").run()
    assert not any("dl_brief" in str(b.proto.id) for b in app.get("download_button"))


@pytest.mark.slow
def test_suggest_then_accept_saves_proposed_stations(app, tmp_path):
    app.slider(key="suggest_k").set_value(2).run()
    app.button(key="suggest_run").click().run()
    assert not app.exception and not app.error
    _, plan = app.session_state["plan"]
    assert len(plan.sites) == 2 and plan.covered_pct_after > plan.covered_pct_before
    assert any(f"{plan.covered_pct_after:.1f}%" in s.value for s in app.success)
    # the proposals are drawn on the map (purple markers in the changing layers)
    groups = json.loads(app.get("component_instance")[0].proto.json_args)["feature_group"]
    groups = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), groups)
    assert len(re.findall("建议站点", groups)) == 2
    app.button(key="suggest_accept").click().run()
    assert not app.exception
    saved = store.Store(tmp_path / "user.gpkg").load("centers")
    assert len(saved) == 174
    proposed = saved[saved["position_source"] == "proposed"]
    assert sorted(proposed["name"]) == ["拟建服务站01", "拟建服务站02"]
    assert (proposed["tier"] == "station").all()
