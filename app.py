"""15-minute service circles of a county-level district — the Streamlit entry point.

Page config, the District of this run and navigation only: one page per user, each with its own
address -- the planner at ``/``, the resident at ``/resident``, the data steward at ``/data`` --
titled in the language the user chose. The district (picker, ``?district=``, session) is
resolved once here (:func:`geo.app.district.resolve`) and handed to the page function, which
hands it down. Each page lives in ``geo/app`` (see ``docs/design.md``).
"""

from __future__ import annotations

import streamlit as st

from geo.app import datapage, district, planner, resident
from geo.app.page import guarded
from geo.app.state import lang
from geo.app.text import tr

LANG = lang()
st.set_page_config(page_title=tr("p_planner", LANG), page_icon="🗺️", layout="wide")
PLACE = district.resolve(LANG)
st.set_page_config(page_title=tr("title", LANG, place=PLACE))  # the tab's title names the district
PAGES = [
    st.Page(guarded(planner.page, PLACE), title=tr("p_planner", LANG), icon=":material/map:", url_path="planner",
            default=True),
    st.Page(guarded(resident.page, PLACE), title=tr("p_resident", LANG), icon=":material/my_location:",
            url_path="resident"),
    st.Page(guarded(datapage.page, PLACE), title=tr("p_data", LANG), icon=":material/database:", url_path="data"),
]
st.navigation(PAGES, position="top").run()
