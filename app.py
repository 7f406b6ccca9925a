"""龙湖区15分钟党群服务圈 · Longhu 15-minute service circles — the Streamlit entry point.

Page config and navigation only: one page per user, each with its own address -- the planner
at ``/``, the resident at ``/resident``, the data steward at ``/data`` -- titled in the language
the user chose. Each page lives in ``geo/app`` (see ``docs/design.md``).
"""

from __future__ import annotations

import streamlit as st

from geo.app import datapage, planner, resident
from geo.app.page import guarded
from geo.app.state import lang
from geo.app.text import tr

LANG = lang()
st.set_page_config(page_title=tr("title", LANG), page_icon="🗺️", layout="wide")
PAGES = [
    st.Page(guarded(planner.page), title=tr("p_planner", LANG), icon=":material/map:", url_path="planner",
            default=True),
    st.Page(guarded(resident.page), title=tr("p_resident", LANG), icon=":material/my_location:", url_path="resident"),
    st.Page(guarded(datapage.page), title=tr("p_data", LANG), icon=":material/database:", url_path="data"),
]
st.navigation(PAGES, position="top").run()
