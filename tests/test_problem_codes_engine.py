"""The engine's setting checks and notes, the renderers' refusals and the command line's lines are
codes with parameters (issue 21): worded where they are shown, in the language asked for.

A Chinese text must hold no Latin sentence: option names, codes the user types (``circle``,
``'castle'``), units and file names may stay, three Latin words in a row may not."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.cli_common import default_lang, lang_of
from geo.engine import coverage as cv
from geo.engine import graph as wg
from geo.engine import lifecircle as lc
from geo.engine import nearest, siting
from geo.engine.limits import Range, SettingError
from geo.io import data
from geo.locale import Msg, has
from geo.render import brief
from tests.cli_helpers import run

LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:,? [A-Za-z]{2,}){2,}")
X0, Y0, CRS = 470_000.0, 2_580_000.0, "EPSG:32650"


def chinese(text: str) -> bool:
    """Chinese words and no Latin sentence."""
    return bool(re.search(r"[\u4e00-\u9fff]", text)) and not LATIN_SENTENCE.search(text)


# --------------------------------------------------------------------------- setting checks


def test_a_setting_out_of_range_is_a_code_with_the_setting_the_range_and_the_value_as_typed():
    with pytest.raises(cv.CoverageError) as info:
        cv.Settings(minutes=(-5,))
    exc = info.value
    assert exc.setting == "minutes" and exc.code == "set.out_of_range"
    p = exc.msg.params
    assert p["value"] == "-5" and p["setting"] == Msg.of("set.setting_minutes")
    assert p["range"].code == "set.range_num_above_max" and p["range"].params["low"] == "0"
    assert p["range"].params["high"] == Msg.of("set.with_unit", n="120", unit=Msg.of("set.unit_min"))
    assert str(exc) == "minutes must be a finite number above 0 and at most 120 min, got -5"
    zh = exc.text("zh")
    assert chinese(zh) and "步行时间" in zh and "120 分钟" in zh and "-5" in zh, zh


def test_a_number_is_quoted_as_typed_in_both_languages():
    with pytest.raises(cv.CoverageError) as info:
        cv.Settings(minutes=(120.0001,))
    assert info.value.msg.params["value"] == "120.0001"
    assert "120.0001" in info.value.text("zh") and "got 120.0001" in str(info.value)


@pytest.mark.parametrize("make, code", [
    (lambda: cv.Settings(mode="walk"), "set.unknown_mode"),
    (lambda: cv.Settings(tiers=("castle",)), "set.unknown_tier"),
    (lambda: cv.Settings(tiers=()), "set.no_tier"),
    (lambda: cv.select_centers(gpd.GeoDataFrame({"tier": ["district"]}), ("street", "station")),
     "set.no_centres_of_tiers"),
    (lambda: siting.check_method("best"), "set.unknown_method"),
    (lambda: siting.check_k(0), "set.out_of_range"),
    (lambda: nearest.check_arguments(200.0, 23.4, 3), "set.out_of_range"),
    (lambda: lc.Settings(basis="minutes"), "set.unknown_basis"),
    (lambda: lc.Catalogue(()), "set.catalogue_empty"),
    (lambda: wg.graph_from_arrays([], [], [], [], crs=CRS), "set.net_no_nodes"),
])
def test_every_refusal_is_a_code_worded_in_chinese_and_english(make, code):
    with pytest.raises(SettingError) as info:
        make()
    exc = info.value
    assert exc.code == code and str(exc) == exc.text("en") and not re.search(r"[\u4e00-\u9fff]", str(exc))
    assert chinese(exc.text("zh")), exc.text("zh")
    again = pickle.loads(pickle.dumps(exc))  # a refusal crosses processes (dask) and caches whole
    assert type(again) is type(exc) and again.msg == exc.msg and again.setting == exc.setting


def test_a_count_of_tiers_takes_the_plural_entry_and_chinese_tier_names():
    with pytest.raises(cv.CoverageError) as one:
        cv.select_centers(gpd.GeoDataFrame({"tier": ["district"]}), ("street",))
    with pytest.raises(cv.CoverageError) as two:
        cv.select_centers(gpd.GeoDataFrame({"tier": ["district"]}), ("street", "station"))
    assert str(one.value).startswith("no centres of tier street;")
    assert str(two.value).startswith("no centres of tiers street, station;")
    assert "街道中心、服务站" in two.value.text("zh") and "(s)" not in str(two.value)


@pytest.mark.parametrize("rng", [Range(1, 20, integer=True), Range(0, integer=True),
                                 Range(0, low_open=True, integer=True), Range(0.0, 20.0, "km/h", low_open=True),
                                 Range(0.0, 500.0, "m"), Range(0.0, low_open=True), Range(0.0, unit="m²"),
                                 Range(0.0, 86_400.0, "s")])
def test_every_shape_of_range_has_words_in_both_languages(rng):
    en, zh = rng.describe("en"), rng.describe("zh")
    assert en.startswith(("a whole number", "a finite number")) and chinese(zh + "数"), (en, zh)


def test_every_checked_setting_has_a_name_in_words():
    from geo.engine import covering

    # margin_m (fetch-network, fetch-facilities) and stations (init) are checked outside the engine's tables
    names = {*cv.RANGES, *lc.RANGES, *siting.RANGES, *nearest.RANGES, *covering.OPTION_RANGES, "margin_m", "stations"}
    assert not [n for n in names if not has(f"set.setting_{n}")]


# --------------------------------------------------------------------------- notes


def _street() -> wg.WalkGraph:
    x = X0 + np.arange(-1000.0, 2100.0, 100.0)
    u = np.arange(len(x) - 1)
    return wg.graph_from_arrays(x, np.full(len(x), Y0 + 500.0), u, u + 1, crs=CRS)


def test_a_life_circle_note_is_a_message_with_the_category_in_both_languages():
    cat = lc.Catalogue((lc.Category("kindergarten", "幼儿园", "Kindergarten", 5, 300.0),), source="test")
    community = gpd.GeoDataFrame({"code": ["c1"], "name": ["测试社区"]},
                                 geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=CRS)
    far = gpd.GeoDataFrame({"category": ["kindergarten"]}, geometry=[shapely.Point(X0 + 100, Y0 + 900)], crs=CRS)
    r = lc.analyse(community, far, cat, lc.Settings(mode="network", max_snap_m=200), graph=_street())
    [note] = r.notes
    assert isinstance(note, Msg) and note.code == "set.note_off_street" and note.params["n"] == 1
    assert str(note) == "1 Kindergarten facility is more than 200 m from any street and was left out"
    assert note.text("zh") == "1 处幼儿园距最近道路超过 200 米，未计入"
    assert pickle.loads(pickle.dumps(r.notes)) == r.notes  # the page caches the result (st.cache_data)


def test_a_far_point_of_nearest_is_a_message_not_a_bilingual_sentence():
    centres = gpd.GeoDataFrame({"id": ["a"], "name": ["A"], "tier": ["station"]},
                               geometry=gpd.GeoSeries([shapely.Point(X0, Y0 + 500)], crs=CRS).to_crs(4326),
                               crs="EPSG:4326")
    lon, lat = gpd.GeoSeries([shapely.Point(X0, Y0 + 5000)], crs=CRS).to_crs(4326).iat[0].coords[0]
    r = nearest.nearest_centers(centres, lon, lat, mode="network", graph=_street())
    assert r.message == Msg.of("set.nearest_too_far", m="200")
    assert "该点" not in str(r.message) and chinese(r.message.text("zh"))


# --------------------------------------------------------------------------- renderers


def test_a_refused_export_is_a_code_worded_in_both_languages(tmp_path):
    with pytest.raises(brief.ExportError) as info:
        brief.check_writable(tmp_path / "no" / "map.pdf")
    assert info.value.code == "map.err_no_folder" and "does not exist" in str(info.value)
    assert chinese(info.value.text("zh")) and "不存在" in info.value.text("zh")


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize("environ, lang", [
    ({}, "en"), ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"), ({"LC_MESSAGES": "zh_TW", "LANG": "en_GB"}, "zh"),
    ({"LC_ALL": "", "LANG": "zh_SG"}, "zh"),
])
def test_the_default_language_is_the_locales(environ, lang):
    assert default_lang(environ) == lang
    assert lang_of(["coverage", "--lang", "en"], environ) == "en" and lang_of(["--lang=zh"], environ) == "zh"


def _one_error_line(p) -> str:
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_a_bad_number_is_one_chinese_line_with_lang_zh(tmp_path):
    line = _one_error_line(run("coverage", "--minutes", "-5", "--out", tmp_path, "--lang", "zh"))
    assert line == "错误：--minutes：步行时间应为大于 0、不超过 120 分钟 的数（现在是 -5）"
    assert not list(tmp_path.iterdir())


def test_a_bad_number_is_one_english_line_with_lang_en_whatever_the_locale(tmp_path):
    p = run("coverage", "--minutes", "-5", "--out", tmp_path, "--lang", "en", environ={"LANG": "zh_CN.UTF-8"})
    assert _one_error_line(p) == "error: --minutes: minutes must be a finite number above 0 and at most 120 min, got -5"


def test_the_locale_chooses_chinese_without_lang_in_the_real_entry_point(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LANG": "zh_CN.UTF-8", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}
    p = subprocess.run([sys.executable, "-m", "geo", "coverage", "--minutes", "-5", "--out", str(tmp_path)],
                       cwd=data.ROOT, env=env, capture_output=True, text=True, timeout=120)
    line = _one_error_line(p)
    assert line.startswith("错误：--minutes：") and chinese(line), line


@pytest.mark.parametrize("args, says", [
    (["coverage", "--tiers", "castle"], "未知的层级 'castle'"),
    (["coverage", "--minutes", "x"], "不是数字"),
    (["coverage", "--mode", "network"], "需要 --network"),
    (["nearest", "--lon", "116.7", "--lat", "23.4", "--crs", "mars"], "未知的坐标系 'mars'"),
    (["export", "--format", "png", "--out", "{tmp}/x.pdf"], "请命名为 x.png"),
    (["lifecircle", "--facilities", "f.csv", "--brief", "{tmp}/b.txt"], "以 .pdf 或 .png 结尾"),
    (["batch", "--region", "44", "--scheduler", "nowhere"], "请用 local、serial"),
])
def test_refusals_of_every_command_are_chinese_lines(tmp_path, args, says):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in argv and argv[0] != "nearest":
        argv += ["--out", str(tmp_path / "o")]
    line = _one_error_line(run(*argv, "--lang", "zh"))
    assert line.startswith("错误：") and says in line and chinese(line), line


def test_the_headline_and_notes_follow_the_language(tmp_path):
    zh = run("coverage", "--out", tmp_path / "zh", "--lang", "zh")
    en = run("coverage", "--out", tmp_path / "en")
    assert zh.returncode == en.returncode == 0
    assert zh.stdout.startswith("全区 ") and "个中心" in zh.stdout and chinese(zh.stdout.split("→")[0])
    assert en.stdout.startswith("district ") and " centres, " in en.stdout and "(s)" not in en.stdout
    assert zh.stderr.startswith("注意：示意数据") and en.stderr.startswith("note: Illustrative data")


def test_the_json_keys_do_not_change_with_the_language(tmp_path):
    import json

    zh = json.loads(run("coverage", "--out", tmp_path / "a", "--json", "--lang", "zh").stdout)
    en = json.loads(run("coverage", "--out", tmp_path / "b", "--json", "--lang", "en").stdout)
    assert zh == en and set(zh) == {"district_area_km2", "covered_pct", "n_centers", "n_gaps"}
    assert (tmp_path / "a" / "summary.csv").read_bytes() == (tmp_path / "b" / "summary.csv").read_bytes()

