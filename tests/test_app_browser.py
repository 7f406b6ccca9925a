"""The pages in headless Chromium, on a 390×844 phone and a 1400×1000 desk (Playwright, Debian's
/usr/bin/chromium): the resident's phone case (the district inside the map, nothing over the zoom
buttons, the legend folded), a tap and the swapped-coordinates case, the add-by-id import, the
English pass, and nothing cut at 1400 px. Each page's screenshot at both sizes is written to
docs/img/pages/ (the set in the repository is the last run's).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.engine import coverage as cv
from geo.io.district import District
from tests.browser import (
    DESK,
    MAP,
    PHONE,
    chromium,
    idle,
    private_store,
    require_chromium,
    streamlit_server,
    type_point,
)
from tests.lang_check import SWITCH_WORDS, stray_cjk

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "img" / "pages"
NEW_ROWS = ("新站一", "新站二", "新站三")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `streamlit run app.py` for the module, on its own store."""
    require_chromium()
    folder = tmp_path_factory.mktemp("browser")
    with private_store(folder / "store.gpkg"):
        with streamlit_server("app.py", folder / "streamlit.log") as base:
            yield base, folder


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b



def open_page(browser, base: str, path: str, device: dict):
    """A fresh session on ``path``, the page idle and its map drawn (the data page has none until
    its editor's tab is opened)."""
    ctx = browser.new_context(**device)
    page = ctx.new_page()
    page.goto(f"{base}/{path}")
    idle(page)
    if path == "data":
        page.locator("[data-testid='stTable']").first.wait_for(timeout=60_000)
    else:
        page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=60_000, state="attached")
        page.wait_for_timeout(800)  # the fit animates
    return page


def map_frame(page):
    return next(f for f in page.frames if "streamlit_folium" in (f.url or ""))


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(600)  # the map settles (fit, legend) after the page is idle
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


OVERLAPS = """() => {
  const rect = e => e.getBoundingClientRect();
  const zoom = rect(document.querySelector('.leaflet-control-zoom'));
  const hit = [];
  for (const c of document.querySelectorAll('.leaflet-control')) {
    if (c.classList.contains('leaflet-control-zoom')) continue;
    const r = rect(c);
    if (r.width && r.height && r.left < zoom.right && r.right > zoom.left && r.top < zoom.bottom && r.bottom > zoom.top)
      hit.push(c.className);
  }
  return hit;
}"""


def district_bounds() -> list[list[float]]:
    minx, miny, maxx, maxy = District.open().outline.total_bounds
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def button_titles(frame) -> list[str]:
    """The titles of the map's zoom buttons and layer switcher (what a hover or a screen reader says)."""
    return sorted(frame.evaluate("() => [...document.querySelectorAll("
                                 "'.leaflet-control-zoom a, .leaflet-control-layers-toggle')].map(a => a.title)"))


def test_phone_resident_page_fits_the_district_and_leaves_the_zoom_buttons_free(server, browser):
    base, _ = server
    page = open_page(browser, base, "resident", PHONE)
    frame = map_frame(page)
    inside = frame.evaluate("(b) => window.map.getBounds().contains(L.latLngBounds(b))", district_bounds())
    assert inside, "the whole district is inside the map on a phone"
    assert frame.evaluate(OVERLAPS) == [], "nothing covers the zoom buttons"
    assert frame.evaluate("() => !document.querySelector('.lh-legend details').open"), "legend folded"
    assert frame.evaluate("() => !document.querySelector('.lh-notice details').open")
    assert frame.locator(".leaflet-control-locate").count() == 1  # "use my location"
    assert button_titles(frame) == ["图层", "放大", "缩小"]  # Leaflet's own buttons in the page's language
    # the place is asked for before the map: the first input is above the map
    first_input = page.get_by_text("点地图", exact=True).bounding_box()
    assert first_input["y"] < page.locator(MAP).bounding_box()["y"]
    shot(page, "resident_phone")


def test_phone_tap_shows_the_three_nearest_numbered_and_fitted(server, browser):
    base, _ = server
    page = open_page(browser, base, "resident", PHONE)
    box = page.locator(MAP).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
    page.get_by_text("最近的 3 个服务中心").wait_for(timeout=30_000)
    idle(page)
    page.wait_for_timeout(1200)
    frame = map_frame(page)
    for i in (1, 2, 3):
        frame.locator(f".lh-near-{i}").wait_for(timeout=10_000)
    seen = frame.evaluate("""() => [...document.querySelectorAll('.lh-near, .lh-query')].every(e => {
        const r = e.getBoundingClientRect();
        return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight; })""")
    assert seen, "the place and its three centres are all in view"
    assert frame.evaluate(OVERLAPS) == []
    text = page.locator("[data-testid='stMainBlockContainer']").inner_text()
    assert "1. " in text and "3. " in text and "分钟" in text
    page.locator(MAP).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    shot(page, "resident_phone_answer")
    page.get_by_text("最近的 3 个服务中心").evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    shot(page, "resident_phone_answer_list")


def test_a_tap_on_a_centre_marker_answers_for_that_place(server, browser):
    """Issue 23: in the dense west a tap landed on a marker, opened its tooltip and asked nothing."""
    base, _ = server
    page = open_page(browser, base, "resident", PHONE)
    frame = map_frame(page)
    page.locator(MAP).evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    found = frame.evaluate("""() => {  // a community centre's marker that is on top where it is drawn
        const markers = [];
        window.map.eachLayer(l => { if (l instanceof L.Marker && l._icon
                                        && l._icon.classList.contains('lh-centre-community')) markers.push(l); });
        for (const m of markers) {
            const r = m._icon.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            if (x < 40 || y < 40 || x > innerWidth - 40 || y > innerHeight - 40) continue;
            if (m._icon.contains(document.elementFromPoint(x, y)))
                return {x, y, lat: m.getLatLng().lat, lng: m.getLatLng().lng};
        }
        return null; }""")
    assert found, "a community centre's marker is visible on the phone's map"
    box = page.locator(MAP).bounding_box()
    assert 0 < box["y"] + found["y"] < PHONE["viewport"]["height"]  # on the screen, where a finger can reach
    page.touchscreen.tap(box["x"] + found["x"], box["y"] + found["y"])
    page.get_by_text("最近的 3 个服务中心").wait_for(timeout=30_000)
    idle(page)
    frame.locator(".lh-query").wait_for(timeout=10_000)
    asked = frame.evaluate("""() => { let p = null; window.map.eachLayer(l => {
        if (l.options && l.options.className === 'lh-query' && l.getLatLng) p = l.getLatLng(); }); return p; }""")
    assert abs(asked["lat"] - found["lat"]) < 1e-5 and abs(asked["lng"] - found["lng"]) < 1e-5  # the marker's place
    assert "0 米" in page.locator("[data-testid='stMainBlockContainer']").inner_text()  # that centre, 0 m away


def test_use_my_location_answers_for_the_phone_s_position(server, browser):
    """The locate button asks the phone where it is and answers for that place."""
    base, _ = server
    c = District.open().shipped("centers").iloc[60]
    device = {**PHONE, "geolocation": {"latitude": float(c["lat"]), "longitude": float(c["lon"])},
              "permissions": ["geolocation"]}
    page = open_page(browser, base, "resident", device)
    page.frame_locator(MAP).locator(".leaflet-control-locate a").click()
    page.get_by_text("最近的 3 个服务中心").wait_for(timeout=30_000)
    idle(page)
    text = page.locator("[data-testid=stMainBlockContainer]").inner_text()
    assert f"1. {c['name']}" in text, text.replace("\n", " ")[-700:]


def test_swapped_coordinates_are_refused_then_swapped(server, browser):
    base, _ = server
    page = open_page(browser, base, "resident", PHONE)
    page.get_by_text("输入坐标", exact=True).click()
    idle(page)
    type_point(page, "23.37", "116.73")
    page.get_by_text("似乎填反了").first.wait_for(timeout=20_000)
    assert page.get_by_text("最近的 3 个服务中心").count() == 0  # a message, never an answer
    page.get_by_role("button", name="交换经度和纬度").click()
    page.get_by_text("最近的 3 个服务中心").wait_for(timeout=30_000)
    assert page.get_by_label("经度").input_value() == "116.73"


#: Text that must never be cut (an ellipsis or a hidden overflow) at 1400 px.
SEL = ", ".join(("[data-testid=stMetricLabel] p", "[data-testid=stMetricValue] div", "[data-testid=stTab] p",
                 "[data-testid=stTable] td", "[data-testid=stTable] th", "[data-testid=stCaptionContainer] p",
                 "[data-testid=stMarkdown] p", "[data-testid=stMarkdown] td", "[data-testid=stMarkdown] th",
                 "[data-testid=stMain] [data-testid=stButton] [data-testid=stMarkdownContainer]"))


#: The planner's sections drawn only when open (tables, briefing outputs, life circle) and what
#: shows once each is drawn.
SECTIONS = {"zh": (("分街道、分村（社区）覆盖情况", "stDataFrame"), ("导出汇报材料", "stTextInput"),
                   ("社区生活圈：日常服务步行可达", "stFileUploader")),
            "en": (("Coverage by street and community", "stDataFrame"), ("Briefing outputs", "stTextInput"),
                   ("Community life circle: daily services on foot", "stFileUploader"))}


def open_sections(page, lang: str) -> None:
    """Open every section of the planner's page and wait until each is drawn."""
    for label, drawn in SECTIONS[lang]:
        page.get_by_text(label, exact=True).click()
        page.get_by_test_id("stMain").get_by_test_id(drawn).first.wait_for(timeout=30_000)
        idle(page)
CUT = ("(sel) => [...document.querySelectorAll(sel)]"
       ".filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")


def _words(page) -> str:
    text = page.locator("[data-testid='stApp']").inner_text()
    maps = [f for f in page.frames if "streamlit_folium" in (f.url or "")]
    return text + "\n" + "\n".join(f.locator("body").inner_text() for f in maps)


def test_english_pass_every_page(server, browser):
    base, _ = server
    page = open_page(browser, base, "", DESK)
    page.get_by_text("English", exact=True).first.click()
    idle(page)
    page.get_by_text("Longhu District · 15-minute service circles").first.wait_for(timeout=20_000)
    for path, name in (("", "Planner"), ("resident", "Find my centre"), ("data", "Data")):
        if path:
            page.get_by_role("link", name=name).first.click()
            idle(page)
            if path != "data":
                page.frame_locator(MAP).locator(".lh-centre").first.wait_for(timeout=60_000, state="attached")
        else:
            open_sections(page, "en")
        left = [w for w in stray_cjk(_words(page), NEW_ROWS) if w not in SWITCH_WORDS]
        assert left == [], (path, left)
        if path != "data":
            assert button_titles(map_frame(page)) == ["Layers", "Zoom in", "Zoom out"], path
        shot(page, f"{path or 'planner'}_desk_en")
        assert page.evaluate(CUT, SEL) == [], path


def test_nothing_is_cut_at_1400_px(server, browser):
    base, _ = server
    sel, cut = SEL, CUT
    for path, name in (("", "planner_desk"), ("resident", "resident_desk"), ("data", "data_desk_tabs")):
        page = open_page(browser, base, path, DESK)
        assert page.evaluate(cut, sel) == [], path
        if path != "data":
            shot(page, name)
        if path == "":
            open_sections(page, "zh")
            assert page.evaluate(cut, sel) == [], "sections"
        if path == "":  # six figures in a row with the 5/10/15 bands
            page.get_by_text("5/10/15 分钟分层", exact=True).click()
            page.get_by_text("步行5分钟覆盖率").wait_for(timeout=30_000)
            idle(page)
            assert page.evaluate(cut, sel) == [], "bands"
            assert page.locator("[data-testid='stMetric']").count() == 6
    page = open_page(browser, base, "", PHONE)
    shot(page, "planner_phone")
    page = open_page(browser, base, "data", PHONE)
    shot(page, "data_phone")


def test_a_three_row_file_adds_three_and_keeps_172(server, browser):
    base, folder = server
    place = District.open()
    c = place.shipped("centers")
    r = cv.analyse(place.outline, place.shipped("streets"), place.shipped("communities"), c)
    import geopandas as gpd

    pts = gpd.GeoSeries(r.gaps.geometry.iloc[:3].representative_point(), crs=r.crs).to_crs(4326)
    csv = folder / "three.csv"
    pd.DataFrame({"名称": NEW_ROWS, "级别": ["服务站"] * 3, "经度": pts.x.round(7), "纬度": pts.y.round(7)}).to_csv(
        csv, index=False, encoding="utf-8-sig")
    page = open_page(browser, base, "data", DESK)
    shot(page, "data_desk")
    page.locator("input[type=file]").first.set_input_files(str(csv))
    page.get_by_text("导入前后对比").wait_for(timeout=30_000)
    idle(page)
    table = page.locator("[data-testid='stTable']", has_text="导入前").inner_text()
    assert "172" in table and "175" in table
    page.locator("[data-testid='stTable']", has_text="导入前").evaluate("e => e.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)
    shot(page, "data_desk_preview")
    page.get_by_role("button", name="保存导入（3 个中心）").click()
    page.get_by_text("172 → 175").wait_for(timeout=30_000)
    idle(page)
    in_use = page.locator("[data-testid='stTable']", has_text="图层").first.inner_text()
    assert "175" in in_use and "来自 three.csv 3" in in_use and "真实" not in in_use
    shot(page, "data_desk_imported")


def test_the_chinese_data_page_words_the_uploader_in_chinese_and_has_no_deploy_button(server, browser):
    base, _ = server
    page = open_page(browser, base, "data", DESK)
    page.locator("[data-testid='stFileUploaderDropzoneInstructions'] span").first.wait_for(timeout=30_000)  # under load
    after = """sel => getComputedStyle(document.querySelector(sel), '::after').content"""
    assert "选择文件" in page.evaluate(after, "[data-testid='stFileUploaderDropzone'] button p")
    assert "50 MB" in page.evaluate(after, "[data-testid='stFileUploaderDropzoneInstructions'] span")
    assert page.get_by_text("Deploy", exact=True).count() == 0


RUNS = """() => { window.__runs = 0; const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__runs++; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""


def test_a_tap_is_one_run_sent_before_the_components_debounce(server, browser):
    """The map's own handler sends a tap while the click is being dispatched (streamlit-folium's
    debounced call would send it 250 ms later, from a timer), and that later call then finds
    nothing new: one tap, one value sent, one script run."""
    base, _ = server
    page = open_page(browser, base, "resident", DESK)
    page.evaluate(RUNS)
    box = page.locator(MAP).bounding_box()
    frame = map_frame(page)
    frame.evaluate("""() => {
        window.__sent = []; window.__inClick = false;
        document.addEventListener('click', () => { window.__inClick = true;
                                                   setTimeout(() => { window.__inClick = false; }, 0); }, true);
        const send = window.Streamlit.setComponentValue;
        window.Streamlit.setComponentValue = v => { window.__sent.push(window.__inClick); send(v); };
    }""")
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.get_by_text("最近的 3 个服务中心").wait_for(timeout=30_000)
    idle(page)
    page.wait_for_timeout(1000)  # the debounced call would have come by now
    assert frame.evaluate("window.__sent") == [True]  # one value, sent during the click itself
    assert page.evaluate("window.__runs") == 1
