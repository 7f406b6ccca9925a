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
# a layer may import the layers to its right, never those to its left; the two front ends
# (the app; the command line and the batch) never import each other; the word catalogues
# (geo.locale) are below everything and import nothing of geo
ORDER = ["app", "cli", "jobs", "render", "io", "engine", "locale"]
TOP = {"cli.py": "cli", "cli_common.py": "cli", "cli_lifecircle.py": "cli", "batch.py": "cli",
       "__main__.py": "cli", "region.py": "jobs"}
"""The modules at the top of ``geo/``: the command line and the batch are a front end; the
region (units, region-wide files split per unit, the region's outputs) is part of the batch's
job, below it, beside ``geo/jobs``."""
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    return sorted(GEO.rglob("*.py")) + [ROOT / "app.py"]


def _layer(path: Path) -> str | None:
    rel = path.relative_to(ROOT).parts
    if len(rel) == 2 and rel[0] == "geo":
        return TOP.get(rel[1])
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


def _target_layer(name: str) -> str | None:
    """The layer of an imported ``geo…`` name (None: the package ``geo`` itself)."""
    parts = name.split(".")
    if len(parts) < 2:
        return None
    if parts[1] in ORDER:
        return parts[1]
    return TOP.get(parts[1] + ".py", parts[1])


def test_layers_import_one_way():
    wrong = []
    for path in _modules():
        layer = _layer(path)
        if layer is None:
            continue
        allowed = set(ORDER[ORDER.index(layer):]) - ({"cli"} if layer == "app" else set())
        for line, name in _geo_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if _target_layer(name) not in allowed:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_every_module_of_geo_has_a_layer():
    """A new module at the top of ``geo/`` or a new package is placed in the order first."""
    assert [str(p.relative_to(ROOT)) for p in _modules() if p.parent != ROOT and _layer(p) is None
            and p.name != "__init__.py"] == []


# --------------------------------------------------------------------------- import cycles


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or \
        (isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imported(tree: ast.AST, here: str, known: set[str]) -> dict[str, int]:
    """Every ``geo`` module a module imports -- at module level or inside a function, outside
    ``if TYPE_CHECKING:`` -- and the line of the first import of each."""
    out: dict[str, int] = {}
    package = here if f"{here}.__init__" in known else here.rpartition(".")[0]

    def add(name: str, line: int) -> None:
        if name in known and name != here:
            out.setdefault(name, line)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package of this module
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:  # a submodule by name, else the module it is taken from
                add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base, node.lineno)
        elif isinstance(node, ast.Import):
            for a in node.names:
                add(a.name, node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def import_graph() -> dict[str, dict[str, int]]:
    """``{module: {imported module: line}}`` for every module of ``geo/``."""
    paths = {_module_name(p): p for p in GEO.rglob("*.py")}
    known = set(paths) | {f"{m}.__init__" for m, p in paths.items() if p.name == "__init__.py"}
    return {m: _imported(ast.parse(p.read_text(encoding="utf-8")), m, known) for m, p in paths.items()}


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (a closed path of modules) in each strongly connected part of ``graph`` that has one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    parts: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while not part or part[-1] != v:
                part.append(stack.pop())
            parts.append(part)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_closed_path(graph, sorted(p)) for p in parts if len(p) > 1]


def _closed_path(graph: dict[str, dict[str, int]], part: list[str]) -> list[str]:
    """A path from ``part[0]`` back to itself inside ``part`` (breadth first: the shortest)."""
    start, inside = part[0], set(part)
    came: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [start] + path[::-1][1:] + [start] if len(path) > 1 else [start, v, start]
            if w in inside and w not in came:
                came[w] = v
                queue.append(w)
    return part


def _spell(graph: dict[str, dict[str, int]], cycle: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_no_import_cycle_in_geo():
    graph = import_graph()
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(_spell(graph, c) for c in found)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import():
    """The check itself: a lazy import closing a loop is a cycle, one under TYPE_CHECKING is not."""
    known = {"geo.a", "geo.b", "geo.c"}
    a = ast.parse("from geo import b\n")
    b = ast.parse("def f():\n    from geo import c\n")
    c = ast.parse("import geo.a\n")
    graph = {"geo.a": _imported(a, "geo.a", known), "geo.b": _imported(b, "geo.b", known),
             "geo.c": _imported(c, "geo.c", known)}
    assert cycles(graph) == [["geo.a", "geo.b", "geo.c", "geo.a"]]
    assert _spell(graph, cycles(graph)[0]) == "geo.a (line 1) -> geo.b (line 2) -> geo.c (line 1) -> geo.a"
    c = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import geo.a\n")
    graph["geo.c"] = _imported(c, "geo.c", known)
    assert cycles(graph) == []


def test_the_batch_imports_no_command_line():
    """``geo.batch`` (what a Dask worker imports) reaches neither the command line nor argparse."""
    graph = import_graph()
    seen, todo = set(), ["geo.batch"]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += list(graph[m])
    assert not {"geo.cli", "geo.cli_common", "geo.cli_lifecircle"} & seen
    argparse_users = [m for m in seen
                      if "argparse" in {n for n in _plain_imports(GEO.parent / (m.replace(".", "/") + ".py"))}]
    assert argparse_users == []


def _plain_imports(path: Path) -> set[str]:
    if not path.exists():
        path = path.with_suffix("") / "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out


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
