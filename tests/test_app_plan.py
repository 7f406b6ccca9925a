"""Planner tools on the page: briefing downloads in the page's language and new-station
suggestions numbered on the map, in the legend and in their table (AppTest)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pypdf import PdfReader

from geo.io.district import District
from tests.app_helpers import K, W, frame, map_args, ok, start


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGHU_STORE", str(tmp_path / "user.gpkg"))
    return ok(start(exports_open=True))  # the briefing section, drawn only when open


@pytest.mark.slow
def test_brief_and_tables_are_made_on_request(app):
    app.button(key="make_xlsx").click().run()
    app.button(key="make_brief").click().run()
    ok(app)
    xlsx = openpyxl.load_workbook(io.BytesIO(app.session_state["made_xlsx"][1]))
    assert {"街道", "村（社区）", "空白区域"} <= set(xlsx.sheetnames)
    assert xlsx["街道"].max_row == 11  # header + 10 streets
    pdf = PdfReader(io.BytesIO(app.session_state["made_brief"][1]))
    text = pdf.pages[0].extract_text()
    assert len(pdf.pages) == 1 and "龙湖区" in text and "示意" in text
    # a changed setting makes the file stale: the download button goes away until made again
    assert any(b.proto.id for b in app.get("download_button"))
    app.radio(key=K("minutes_choice")).set_value("5").run()
    assert not any("dl_brief" in str(b.proto.id) for b in app.get("download_button"))


@pytest.mark.slow
def test_the_brief_follows_the_page_language(app):
    app.segmented_control(key="lang_switch_planner").set_value("en").run()
    ok(app)
    assert app.text_input(key=W("brief_title")).value.startswith("Longhu District: 15-minute")
    app.button(key="make_brief").click().run()
    app.button(key="make_xlsx").click().run()
    text = PdfReader(io.BytesIO(ok(app).session_state["made_brief"][1])).pages[0].extract_text()
    assert "Coverage by street" in text and "Illustrative data" in text and "覆盖" not in text
    assert openpyxl.load_workbook(io.BytesIO(app.session_state["made_xlsx"][1])).sheetnames == [
        "Streets", "Communities", "Gaps", "Notes"]


@pytest.mark.slow
def test_suggest_then_accept_saves_proposed_stations(app, tmp_path):
    assert not app.get("slider")  # the tabs beside the map are lazy: the suggestions' is closed
    app.session_state["work_tab"] = "新增站点建议"
    app.run()
    app.slider(key=W("suggest_k")).set_value(2).run()
    app.button(key="suggest_run").click().run()
    ok(app)
    _, plan = app.session_state["plan"]
    assert len(plan.sites) == 2 and plan.covered_pct_after > plan.covered_pct_before
    assert any(f"{plan.covered_pct_after:.1f}%" in s.value for s in app.success)
    # numbered on the map (1, 2), in the legend and in the table beside the map
    fg = map_args(app)["feature_group"]
    assert "lh-site-1" in fg and "lh-site-2" in fg and "建议新增站点" in fg
    sites = frame(app, "序号")
    assert list(sites["序号"]) == [1, 2]
    # with the gaps' tab open again, the map keeps the sites, and a chosen gap shows beside them
    app.session_state["work_tab"] = app.get("tab")[0].label
    app.run()
    app.selectbox(key=K("gap_pick")).set_value(1).run()
    fg = map_args(app)["feature_group"]
    assert "lh-site-1" in fg and "选中的空白区域" in fg
    app.session_state["work_tab"] = "新增站点建议"
    app.run()
    fg = map_args(app)["feature_group"]
    assert "lh-site-1" in fg and "选中的空白区域" in fg
    app.button(key="suggest_accept").click().run()
    ok(app)
    saved = District.open(store=tmp_path / "user.gpkg").store().load("centers")
    assert len(saved) == 174
    proposed = saved[saved["position_source"] == "proposed"]
    assert set(proposed["name"]) == {"拟建服务站01", "拟建服务站02"}
    assert (proposed["tier"] == "station").all()
    assert any("174 个党群服务中心" in c.value for c in app.caption)  # the title line follows the data
