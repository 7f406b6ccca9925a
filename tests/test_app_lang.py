"""Every page in both languages, words and map included (AppTest).

In English no Chinese is left but place and centre names (and 中文 on the language switch); in
Chinese no catalogue key and no internal code (wgs84, exact, station …) shows. The pages are
walked in a state that shows most of their words: bands, a resident's answer, an import report.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo import locale
from geo.app.text import tr
from geo.io.district import District
from tests.app_helpers import K, goto, ok, page_text, start
from tests.lang_check import SWITCH_WORDS, raw_codes, stray_cjk

pytestmark = pytest.mark.slow

KEY = re.compile(r"(?<![\w/.])(?:why|data|plan|res)\.[a-z_]+(?![\w(])")


def _bad_sheet() -> bytes:
    """Three rows: a good one, a swapped one, one outside the district (problems to translate)."""
    c = District.open().shipped("centers").iloc[:3]
    sheet = pd.DataFrame({"name": ["新站甲", "新站乙", "新站丙"], "tier": ["station"] * 3,
                          "lon": [c["lon"].iloc[0] + 0.001, c["lat"].iloc[1], 116.2],
                          "lat": [c["lat"].iloc[0], c["lon"].iloc[1], 23.0]})
    return sheet.to_csv(index=False).encode("utf-8-sig")


def walk(lang: str) -> dict[str, str]:
    """The words of every page in ``lang``, each page in a state that shows many of them."""
    at = start(lang=lang, minutes_choice="bands", resident_input="coords", lon="116.73", lat="23.37")
    ok(at)
    texts = {"planner": page_text(at)}
    at.selectbox(key=K("gap_pick", lang)).set_value(1).run()
    texts["planner gap"] = page_text(ok(at))
    texts["resident"] = page_text(ok(goto(at, "resident")))
    goto(at, "data")
    up = next(u for u in at.file_uploader if u.key.startswith("imp_file_"))
    up.set_value(("three.csv", _bad_sheet(), "text/csv"))
    texts["data"] = page_text(ok(at.run()))
    assert len(at.table) >= 3  # in use, the problems, before and after
    at.button(key="imp_go").click().run()
    texts["data saved"] = page_text(ok(at))
    assert "three.csv" in texts["data saved"]  # the new rows are labelled by their file
    for name in ("tab_edit", "tab_bounds", "tab_versions", "tab_export"):  # the data page's tabs are lazy
        at.session_state[f"data_tab_{lang}"] = tr(f"data.{name}", lang)
        texts[f"data {name}"] = page_text(ok(at.run()))
    return texts


def test_english_pages_have_no_chinese_but_names():
    for page, words in walk("en").items():
        left = [w for w in stray_cjk(words, ("新站甲", "新站乙", "新站丙")) if w not in SWITCH_WORDS]
        assert left == [], (page, left)
        assert "Longhu" in words or page.startswith("data"), page


def test_chinese_pages_show_no_keys_and_no_codes():
    for page, words in walk("zh").items():
        assert raw_codes(words) == [], (page, raw_codes(words))
        keys = sorted(k for k in set(KEY.findall(words)) if locale.has(k))
        assert keys == [], (page, keys)
        assert "outside Longhu" not in words and "swapped" not in words, page  # importer reasons translated
