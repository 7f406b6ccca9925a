"""The word catalogues: whole, gettext's plural forms, and values made words in one place."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from geo import locale
from geo.locale import Msg, Name


def test_catalogues_are_whole():
    """Both languages hold every key the code asks for, none fuzzy or empty, same placeholders."""
    sys.path.insert(0, "scripts")
    import catalogue

    assert catalogue.problems() == []


def test_check_command_fails_on_a_broken_catalogue(tmp_path, monkeypatch):
    sys.path.insert(0, "scripts")
    import catalogue

    for lang in locale.LANGS:
        (tmp_path / lang / "LC_MESSAGES").mkdir(parents=True)
        src = catalogue.po(lang).read_text(encoding="utf-8")
        if lang == "en":  # a placeholder renamed, a fuzzy entry, an entry dropped
            src = src.replace('msgid "custom_minutes"', '#, fuzzy\nmsgid "custom_minutes"')
            src = src.replace("{nodes:,} nodes", "{knots:,} nodes")
            src = src.replace('msgid "m_custom"\nmsgstr "Custom"\n', "")
        (tmp_path / lang / "LC_MESSAGES" / "geo.po").write_text(src, encoding="utf-8")
    monkeypatch.setattr(catalogue, "LOCALE", tmp_path)
    found = "\n".join(catalogue.problems())
    assert "custom_minutes: fuzzy in en" in found
    assert "net_loaded: placeholders differ" in found
    assert "m_custom: in zh but not in en" in found


def test_check_runs_as_a_command():
    done = subprocess.run([sys.executable, "scripts/catalogue.py", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == "the catalogues are whole"


def test_plural_forms_follow_each_language():
    assert locale.text("why.more", "en", n=1) == " [and 1 more problem]"
    assert locale.text("why.more", "en", n=2) == " [and 2 more problems]"
    assert locale.text("why.more", "zh", n=1) == locale.text("why.more", "zh", n=1).replace("2", "1")
    assert "2" in locale.text("why.more", "zh", n=2)
    with pytest.raises(KeyError):
        locale.text("why.more", "en")  # a plural entry needs its count


def test_unknown_key_and_language_are_refused():
    with pytest.raises(KeyError):
        locale.text("no.such.key", "en")
    with pytest.raises(ValueError, match="unknown language"):
        locale.text("title", "fr", district="x")


def test_values_become_words_in_one_place():
    assert locale.text("why.value", "en", value=None) == " (value '—')"
    assert locale.text("why.value", "zh", value=math.nan) == "（值：—）"
    assert locale.text("why.value", "en", value=1234567) == " (value '1,234,567')"
    assert locale.text("why.value", "en", value=2025) == " (value '2025')"  # a year is not 2,025
    assert locale.text("why.value", "en", value=Name("龙湖区", "Longhu")) == " (value 'Longhu')"
    assert locale.text("why.value", "zh", value=Name("龙湖区", "Longhu")) == "（值：龙湖区）"
    inner = Msg.of("why.value", value=Msg.of("why.at_row", row=3))
    assert inner.text("zh") == "（值：第 3 行）" and str(inner) == " (value 'row 3')"
    assert locale.say(["a", "b"], "zh") == "a、b" and locale.say(["a", "b"], "en") == "a, b"


def test_numbers_areas_and_shares():
    assert locale.number(12345.678) == "12,345.68" and locale.number(0.5) == "0.5"
    assert locale.number(float("nan")) == locale.DASH and locale.number(None) == locale.DASH
    assert locale.area_km2(141.83, "zh") == "141.8 km²"
    assert locale.area_km2(198534.2, "zh") == "19.9 万 km²"
    assert locale.area_km2(198534.2, "en") == "198.5 thousand km²"
    assert locale.pct(99.96) == "99.9" and locale.percent(99.96) == "99.9%"  # a gap remains: never 100.0
    assert locale.pct(100.0) == "100.0" and locale.pct(99.94) == "99.9" and locale.percent(None) == locale.DASH
    assert locale.area_km2(0.054) == "0.05 km²"  # a small gap keeps its size
    assert locale.pct(0.01) == "0.1" and locale.pct(0.0) == "0.0"


def test_messages_compare_by_code_and_parameters():
    assert Msg.of("why.at_row", row=3) == Msg.of("why.at_row", row=3)
    assert Msg.of("why.at_row", row=3) != Msg.of("why.at_row", row=4)
    assert len({Msg.of("why.at_row", row=3), Msg.of("why.at_row", row=3)}) == 1


def _is_text(node) -> bool:
    import ast

    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)) \
        or (isinstance(node, ast.BinOp) and (_is_text(node.left) or _is_text(node.right)))


def test_no_error_or_problem_is_raised_as_a_sentence():
    """Every error a user can see carries a code: a literal or f-string where the reason goes
    (a DataError's second argument, a Problem's fourth, a worded error's first) is a sentence
    that no language but English can show."""
    import ast
    from pathlib import Path

    worded = {"SettingError", "CoverageError", "SitingError", "LifeCircleError", "NetworkError", "ExportError",
              "MapError", "BriefError", "FontError", "UsageError", "BatchError", "InputError", "OfflineError",
              "ConflictError", "DistrictError", "Worded"}
    position = {"DataError": 1, "Problem": 3, "ImportProblem": 3, **dict.fromkeys(worded, 0)}
    found = []
    for path in sorted(Path("geo").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            if name not in position:
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            i = position[name]
            arg = node.args[i] if len(node.args) > i else \
                keywords.get("reason") or keywords.get("msg") or keywords.get("problems")
            if arg is not None and _is_text(arg):
                found.append(f"{path}:{node.lineno} {name}")
    assert found == []


def test_no_entry_is_left_unused():
    """Every entry is asked for by the code (literally, or by a prefix completed at run time):
    a dead entry is a translation someone keeps up for nothing."""
    sys.path.insert(0, "scripts")
    import catalogue

    assert catalogue.unused() == []
