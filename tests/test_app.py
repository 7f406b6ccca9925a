"""Page logic of app.py under Streamlit's AppTest (no browser)."""

from streamlit.testing.v1 import AppTest


def test_default_load_shows_map_and_illustrative_notice():
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    assert not at.exception
    assert any("示意数据" in w.value for w in at.warning)
