"""The app layer's shape: app.py only wires the screens, and one text catalogue. (Import
direction and sizes for the whole package: tests/test_layout_rules.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_MODULES = sorted((ROOT / "geo" / "app").glob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_app_py_only_wires_the_screens():
    tree = _tree(ROOT / "app.py")
    assert (ROOT / "app.py").read_text(encoding="utf-8").count("\n") < 40
    assert not [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


def test_one_text_catalogue():
    """Only geo/app/text.py holds a table of words; every other module looks words up there."""
    for path in APP_MODULES:
        if path.name == "text.py":
            continue
        for node in _tree(path).body:
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            assert not any(getattr(t, "id", "") == "TEXT" for t in targets), path.name
