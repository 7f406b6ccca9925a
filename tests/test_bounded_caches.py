"""Memory across districts is bounded: every cache in the package holds a fixed number of
entries (``max_entries`` / ``maxsize``, or a function without arguments: one entry), and
docs/performance.md lists each cache with its limit, so a cache added without a bound or
without a word in the docs fails here (issue 24: a server's memory grew with every district)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
STREAMLIT = {"cache_data": "max_entries", "cache_resource": "max_entries"}
FUNCTOOLS = {"lru_cache": "maxsize", "cache": None}


def _decorator_name(node: ast.expr) -> str | None:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    return name if name in STREAMLIT or name in FUNCTOOLS else None


def _limit(node: ast.expr, fn: ast.FunctionDef) -> int | None:
    """The cache's number of entries (None: unbounded)."""
    name = _decorator_name(node)
    keyword = STREAMLIT.get(name) or FUNCTOOLS.get(name)
    if isinstance(node, ast.Call):
        for kw in node.keywords:
            if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                return kw.value.value
        if name == "lru_cache" and node.args and isinstance(node.args[0], ast.Constant):
            return node.args[0].value
    a = fn.args
    if not (a.args or a.posonlyargs or a.kwonlyargs or a.vararg or a.kwarg):
        return 1  # no argument: one entry
    return None


def caches() -> dict[str, int | None]:
    """``module.function`` -> its number of entries, for every cached function of geo/ and app.py."""
    found = {}
    for path in sorted([*(ROOT / "geo").rglob("*.py"), ROOT / "app.py"]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for dec in node.decorator_list:
                    if _decorator_name(dec):
                        found[f"{module}.{node.name}"] = _limit(dec, node)
    return found


def test_the_scan_finds_the_caches_it_must():
    found = caches()
    assert found["geo.app.cache.analysis"] == 48 and found["geo.io.district._outline"] == 32
    assert found["geo.app.lifecircle_view.catalogue"] == 1  # no argument
    assert len(found) >= 30


def test_every_cache_is_bounded():
    unbounded = [name for name, limit in caches().items() if limit is None]
    assert not unbounded, f"give these caches max_entries/maxsize: {unbounded}"


def test_every_cache_and_its_limit_is_in_the_docs():
    text = DOC.read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([\w.]+)` \| (\d+) \|", text, flags=re.M))
    missing = {name: limit for name, limit in caches().items() if rows.get(name) != str(limit)}
    assert not missing, f"docs/performance.md's table of caches lacks or misstates: {missing}"
