"""The package's shape (docs/design.md): layers import one way, modules and functions stay small,
ruff passes, and nothing refers to files outside the repository."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "geo"
# a layer may import the layers to its right, never those to its left
ORDER = ["app", "render", "io", "engine"]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(GEO.rglob("*.py")) + [ROOT / "app.py"]


def _layer(path: Path) -> str | None:
    rel = path.relative_to(ROOT).parts
    return rel[1] if len(rel) > 2 and rel[0] == "geo" and rel[1] in ORDER else None


def _is_geo(name: str) -> bool:
    return name == "geo" or name.startswith("geo.")


def _geo_imports(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _is_geo(node.module):
            names = [node.module] if node.module != "geo" else [f"geo.{a.name}" for a in node.names]
            out += [(node.lineno, n) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if _is_geo(a.name)]
    return out


def test_layers_import_one_way():
    wrong = []
    for path in _modules():
        layer = _layer(path)
        if layer is None:
            continue
        allowed = set(ORDER[ORDER.index(layer):])
        for line, name in _geo_imports(ast.parse(path.read_text(encoding="utf-8"))):
            parts = name.split(".")
            target = parts[1] if len(parts) > 1 else None
            if target not in allowed:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_modules_and_functions_stay_small():
    big = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        n = len(text.splitlines())
        if n > MAX_MODULE_LINES:
            big.append(f"{path.relative_to(ROOT)}: {n} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}() {length} lines")
    assert not big, "\n".join(big)


#: Files outside the repository that nothing in it may cite (spelt in parts, so this file does not).
FOREIGN = ("DESIGN" + ".md", ".." + "/shared")


def test_nothing_refers_to_files_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    bad = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in (".py", ".md", ".toml", ".ipynb", ".txt", ".cfg") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in FOREIGN:
            if needle in text:
                bad.append(f"{name} mentions {needle}")
    assert not bad, "\n".join(bad)


def test_ruff_passes():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    p = subprocess.run([ruff, "check", "--no-cache", "geo", "tests", "app.py", "benchmarks", "scripts"],
                       cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout[-3000:]
