"""Every page and every output in both languages, on three districts: Longhu (440507), the island
county of Nanao (440523) and Ruoqiang (652824), a county of Xinjiang of 198,535 km².

The pages are walked (AppTest) in a state that shows most of their words: bands, a chosen gap,
the tables, exports and life-circle sections open with facilities saved, a resident's answer with
the nearest facility of each kind, an import report and its saved version, every tab of the data
page. The outputs are the brief (PDF text), the map (PDF and the HTML map's words), the workbook
(its sheets and cells) and the life-circle brief. Nothing may show a catalogue key, ``None`` or
``nan``, a raw code (``wgs84``, ``primary_school``; on a Chinese page ``station`` too), Chinese on
an English page (place, centre and facility names aside) or an English sentence on a Chinese
page; an English count of one never has a plural noun (:func:`tests.lang_check.findings`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from matplotlib import rc_context
from streamlit.testing.v1 import AppTest

from geo.app.text import both, tr
from geo.engine import coverage as cv
from geo.engine import lifecircle as lc
from geo.io import districts
from geo.io.catalogue import load_catalogue
from geo.io.district import District
from geo.locale import LANGS
from geo.render import brief, fonts, lifecircle_brief
from tests.app_helpers import APP, MAP_TEXT, TIMEOUT, goto, ok, page_text, unescape
from tests.conftest import NANAO, RUOQIANG
from tests.lang_check import findings

pytestmark = pytest.mark.slow

CODES = ("440507", NANAO, RUOQIANG)
NEW_ROWS = ("新站甲", "新站乙", "新站丙")
SHEET_COLUMNS = ("name", "tier", "lon", "lat")
CATALOGUE = load_catalogue()
CATEGORY_KEYS = tuple(c.key for c in CATALOGUE.categories)
LC_CATEGORIES = 4
"""The facilities of the test cover the first few categories only: the others have none (a dash)."""


def test_the_checks_find_what_they_look_for():
    en = findings("Missing services: 幼儿园 · 1 centres · 3 row(s) · None · why.empty_lon · (wgs84) · 龙湖区", "en",
                  codes=("primary_school",))
    assert en == {"keys": ["why.empty_lon"], "empty": ["None"], "codes": ["wgs84"], "plurals": ["1 centres", "w(s)"],
                  "chinese": ["幼儿园"]}
    zh = findings("缺少：nan · station · 13 rows name a category not in the catalogue · OpenStreetMap 底图", "zh")
    assert zh == {"empty": ["nan"], "codes": ["station"], "english": ["rows name a category not in the catalogue"]}
    assert findings("最近：幼儿园 · 1,000 米 · 覆盖率 95.1% · WGS-84（GPS、OpenStreetMap）", "zh") == {}


def facility_names(n: int) -> tuple[str, ...]:
    return tuple(f"测试设施{i}" for i in range(n))


class World:
    """The three districts, their stores in a private folder and the other districts' layers in
    the session's cache; facilities (TEST DATA: one per community, in a few categories) saved
    for Longhu and Nanao (Ruoqiang's life circle is not drawn: its 50 m grid would not fit)."""

    def __init__(self, folder, cache) -> None:
        self.store, self.cache = folder / "longhu.gpkg", cache
        with self.env():
            self.places = {code: District.open(code, cache=None if code == "440507" else cache) for code in CODES}
            for code in CODES[:2]:
                place = self.places[code]
                desc = both(lambda lg: tr("lc.save_desc", lg, file="test.csv"))
                place.store().save("facilities", self.facilities(place), desc, key="id", force=True)

    @contextmanager
    def env(self) -> Iterator[None]:
        """The app's stores and district cache are this world's (each test has its own store else)."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("LONGHU_STORE", str(self.store))
            mp.setattr(districts, "CACHE_DIR", self.cache)
            yield

    @staticmethod
    def facilities(place: District) -> gpd.GeoDataFrame:
        cm = place.shipped("communities")
        pts = cm.to_crs(place.metric_crs).representative_point().to_crs("EPSG:4326")
        n = min(len(pts), 24)
        return gpd.GeoDataFrame({"id": [f"T{i}" for i in range(n)], "name": list(facility_names(n)),
                                 "category": [CATEGORY_KEYS[i % LC_CATEGORIES] for i in range(n)]},
                                geometry=list(pts.iloc[:n]), crs="EPSG:4326")


@pytest.fixture(scope="module")
def world(tmp_path_factory, district_cache) -> World:
    return World(tmp_path_factory.mktemp("lang_world"), district_cache)


def bad_sheet(place: District) -> bytes:
    """Three rows: a good one, a swapped one, one far outside the district (problems to word)."""
    c = place.layers(use_store=False).centers.iloc[:2]
    lon, lat = float(c["lon"].iloc[0]), float(c["lat"].iloc[0])
    sheet = pd.DataFrame(dict(zip(SHEET_COLUMNS, [list(NEW_ROWS), ["station"] * 3,
                                                  [lon + 0.001, c["lat"].iloc[1], 100.0 if lon > 110 else 120.0],
                                                  [lat, c["lon"].iloc[1], 30.0]])))
    return sheet.to_csv(index=False).encode("utf-8-sig")


def walk(world: World, code: str, lang: str) -> dict[str, str]:
    """The words of every page of district ``code`` in ``lang``, each in a state showing many."""
    place = world.places[code]
    lon, lat = place.point
    life = code != RUOQIANG
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["district"] = code
    state = {"lang": lang, "minutes_choice": "bands", "tables_open": True, "exports_open": True, "lc_open": life,
             "resident_input": "coords", "lon": f"{lon:.5f}", "lat": f"{lat:.5f}"}
    for k, v in state.items():
        at.session_state[k] = v
    texts = {"planner": page_text(ok(at.run()))}
    if life:
        assert at.session_state["lc_pick"], "the life circle's scorecard is drawn"
    gap = next((b for b in at.selectbox if b.key.startswith("gap_pick")), None)
    if gap is not None and len(gap.options) > 1:
        gap.set_value(1).run()
        texts["planner gap"] = page_text(ok(at))
    texts["resident"] = page_text(ok(goto(at, "resident")))
    goto(at, "data")
    at.session_state[f"data_tab_{lang}"] = tr("data.tab_import", lang)
    up = next(u for u in at.file_uploader if u.key.startswith("imp_file_"))
    up.set_value(("three.csv", bad_sheet(place), "text/csv"))
    texts["data import"] = page_text(ok(at.run()))
    if not at.button(key="imp_go").disabled:
        at.button(key="imp_go").click().run()
        texts["data saved"] = page_text(ok(at))
    for name in ("tab_edit", "tab_bounds", "tab_versions", "tab_export"):  # the data page's tabs are lazy
        at.session_state[f"data_tab_{lang}"] = tr(f"data.{name}", lang)
        texts[f"data {name}"] = page_text(ok(at.run()))
    return texts


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("code", CODES)
def test_every_page_is_in_its_language(world, code, lang):
    with world.env():
        texts = walk(world, code, lang)
    place = world.places[code]
    names = NEW_ROWS + facility_names(24) + ("three.csv",) + SHEET_COLUMNS
    for page, words in texts.items():
        assert findings(words, lang, place=place, names=names, codes=CATEGORY_KEYS) == {}, page
        assert place.label(lang) in words or page.startswith("data"), page
    every = "\n".join(texts.values())
    # Leaflet's own buttons in the page's language, and the life circle's categories
    zoom_in = tr("map.zoom_in", lang)
    assert zoom_in in every and ("Zoom in" not in every if lang == "zh" else True)
    if code != RUOQIANG:  # the categories named from the facility catalogue in the page's language
        assert CATALOGUE.categories[0].name(lang) in texts["planner"]
        assert CATALOGUE.categories[0].name(lang) in texts["resident"]


# --------------------------------------------------------------------------- outputs


def _result(world: World, code: str) -> cv.CoverageResult:
    layers = world.places[code].layers(use_store=False)
    return cv.analyse(layers.district, layers.streets, layers.communities, layers.centers, cv.Settings())


def html_words(html: str) -> str:
    """What an HTML map shows in words (tooltips, layer names, legend, notice, buttons): its own
    script's, not the libraries' inlined into the page (``<script>/* their source */``)."""
    js = unescape(re.sub(r"<script>/\*.*?</script>", " ", html, flags=re.S))
    return re.sub(r"<[^>]+>", " ", "\n".join(g for m in MAP_TEXT.finditer(js) for g in m.groups() if g))


def output_texts(world: World, code: str, lang: str, folder) -> dict[str, str]:
    """The words of every output of district ``code`` in ``lang``."""
    import pypdf

    result = _result(world, code)
    out = {}
    for fmt, name in (("brief", "brief.pdf"), ("pdf", "map.pdf")):
        path = brief.export(result, fmt, folder / f"{code}_{lang}_{name}", lang=lang)
        out[fmt] = "".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages)
    out["html"] = html_words(brief.export(result, "html", folder / f"{code}_{lang}.html", lang=lang)
                             .read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(io.BytesIO(brief.export(result, "xlsx", folder / f"{code}_{lang}.xlsx",
                                                        lang=lang).read_bytes()))
    out["xlsx"] = " ".join(wb.sheetnames) + "\n" + "\n".join(
        " ".join(str(c.value) for c in row if c.value is not None) for ws in wb for row in ws.iter_rows())
    if code != RUOQIANG:
        place = world.places[code]
        life = lc.analyse(place.shipped("communities"), World.facilities(place), CATALOGUE)
        with rc_context(brief._rc(fonts.cjk_font().family)):
            fig = lifecircle_brief.brief_figure(life, place.shipped("streets"), lang=lang, status="illustrative")
            out["lifecircle brief"] = brief.figure_text(fig)
    return out


@pytest.mark.parametrize("code", CODES)
def test_every_output_is_in_its_language(world, code, tmp_path):
    place = world.places[code]
    for lang in LANGS:
        texts = output_texts(world, code, lang, tmp_path)
        for name, words in texts.items():
            assert findings(words, lang, place=place, names=facility_names(24), codes=CATEGORY_KEYS) == {}, \
                (name, lang)
        assert place.label(lang) in texts["brief"] and place.label(lang) in texts["html"]
