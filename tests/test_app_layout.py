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
    """No module holds a table of words (the catalogue is geo/locale's .po files): a module-level
    dict whose values are (Chinese, English) pairs is a second catalogue."""
    for path in sorted(Path("geo").rglob("*.py")):
        for node in _tree(path).body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Dict) and value.values:
                pairs = [v for v in value.values if isinstance(v, ast.Tuple) and len(v.elts) == 2
                         and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in v.elts)]
                assert len(pairs) < 3, (path, node.lineno)
