"""龙湖区15分钟党群服务圈 · Longhu 15-minute service circles — the Streamlit entry point.

Page config and wiring only: the screens (规划视图 planner, 居民查询 resident, 数据管理 data) are
:class:`geo.app.screen.Screen` objects, and :func:`geo.app.page.run` draws the page around the
chosen one. Everything else lives in ``geo/app`` (see ``docs/design.md``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from geo.app import datapage, page, planner, resident

st.set_page_config(page_title="龙湖区15分钟党群服务圈", page_icon="🗺️", layout="wide")

SCREENS = {"planner": planner.SCREEN, "resident": resident.SCREEN, "data": datapage.SCREEN}

page.run(Path(__file__).resolve().parent, SCREENS)
