"""The app layer's shape: small modules and functions, app.py only wiring, one text catalogue,
and imports that run one way (geo.app may use geo.render, geo.io, geo.engine; none of them may
use geo.app)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP_MODULES = sorted((ROOT / "geo" / "app").glob("*.py"))
BELOW = [p for layer in ("engine", "io", "render") for p in sorted((ROOT / "geo" / layer).glob("*.py"))]


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


@pytest.mark.parametrize("path", APP_MODULES, ids=lambda p: p.name)
def test_app_modules_and_functions_are_small(path):
    assert path.read_text(encoding="utf-8").count("\n") < 500, path.name
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno - node.lineno + 1 < 60, f"{path.name}:{node.name}"


def test_app_py_only_wires_the_screens():
    tree = _tree(ROOT / "app.py")
    assert (ROOT / "app.py").read_text(encoding="utf-8").count("\n") < 40
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


@pytest.mark.parametrize("path", APP_MODULES, ids=lambda p: p.name)
def test_the_app_uses_only_the_layers_below(path):
    geo = {m for m in _imports(path) if m == "geo" or m.startswith("geo.")}
    allowed = ("geo.app", "geo.render", "geo.io", "geo.engine")
    assert all(m.startswith(allowed) for m in geo), sorted(geo)
    assert "geo.cli" not in geo


@pytest.mark.parametrize("path", BELOW, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_nothing_below_imports_the_app(path):
    assert not [m for m in _imports(path) if m == "geo.app" or m.startswith("geo.app.")]


def test_one_text_catalogue():
    """Only geo/app/text.py holds a table of words; every other module looks words up there."""
    for path in APP_MODULES:
        if path.name == "text.py":
            continue
        for node in _tree(path).body:
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            assert not any(getattr(t, "id", "") == "TEXT" for t in targets), path.name
