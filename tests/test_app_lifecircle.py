"""The life-circle view on the planner page (AppTest): facilities imported through the one reader,
saved in the user's store, then the community scorecard and the map of categories reached."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo.io import facilities
from geo.io.district import District

APP = "../app.py"


def _test_facilities(tmp_path):
    """Test data (not real facilities): a kindergarten at each of three community centroids."""
    comms = District.open().shipped("communities").iloc[:3]
    pts = comms.to_crs("EPSG:32650").representative_point().to_crs("EPSG:4326")
    rows = "".join(f"测试幼儿园{i},幼儿园,{p.x:.7f},{p.y:.7f}\n" for i, p in enumerate(pts))
    f = tmp_path / "test_facilities.csv"
    f.write_text("名称,类别,经度,纬度\n" + rows, encoding="utf-8")
    return comms, f


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LONGHU_STORE", str(tmp_path / "user.gpkg"))
    return AppTest.from_file(APP, default_timeout=180)


def _texts(at) -> str:
    return " ".join(str(e.value) for kind in ("info", "markdown", "caption", "subheader") for e in getattr(at, kind))


@pytest.mark.slow
def test_without_facilities_the_view_says_how_to_load_them(app):
    app.run()
    assert not app.exception
    assert "尚未导入设施" not in _texts(app)  # the section is drawn only when opened
    app.session_state["lc_open"] = True
    app.run()
    assert "尚未导入设施" in _texts(app)


@pytest.mark.slow
def test_saved_facilities_give_a_scorecard_of_every_community(app, tmp_path):
    comms, f = _test_facilities(tmp_path)
    place = District.open(store=tmp_path / "user.gpkg")
    report = facilities.import_facilities(f, crs="wgs84", district=place.outline)
    assert report.ok and len(report.valid) == 3
    s = place.store()
    s.save("facilities", report.valid.assign(id=["F1", "F2", "F3"]), "test facilities", key="id", force=True)
    app.session_state["lc_open"] = True
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    app.radio(key="lc_level").set_value(5).run()
    assert not app.exception and not app.error
    served = [m for m in app.metric if m.label == "全部可达的村（社区）"]
    assert served and served[0].value.endswith("/ 125")
    board = next(d.value for d in app.dataframe if "缺少的设施" in d.value.columns)
    assert len(board) == 125
    # the three communities with a kindergarten inside lack none of the chosen (5-minute) kindergarten
    have = board[board["代码"].isin(list(comms["code"]))]
    assert not have["缺少的设施"].str.contains("幼儿园").any()
    assert board["缺少的设施"].str.contains("幼儿园").sum() > 0
    # the one-page brief, made on request in the page's language
    app.button(key="lc_brief_make").click().run()
    assert not app.exception and app.session_state["lc_brief"][3][:4] == b"%PDF"
