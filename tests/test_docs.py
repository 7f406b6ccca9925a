"""Docs that run: every Python and shell block in README.md and docs/*.md is executed.

Blocks are read with pytest-codeblocks (``pytest_codeblocks.extract_from_file``) and follow its
syntax: ``<!--pytest.mark.skip(reason="...")-->`` before a block shows a command without running
it (installs, servers, downloads: each skip must say why), ``<!--pytest-codeblocks:cont-->``
continues the previous block, ``<!--pytest-codeblocks:expected-output-->`` checks its output.
Each block runs in a fresh process in its own empty temporary folder, with the repository on
``PYTHONPATH``: a block may only use files the repository ships or files it makes itself.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_codeblocks as codeblocks

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
RUNNABLE = {"python", "bash"}
#: fence languages that look runnable but would escape this test: write python or bash instead
UNTESTED = {"py", "python3", "pycon", "sh", "shell", "zsh", "console", "shell-session", "ipython"}
#: pages that other branches add; a link to them may dangle until they are merged
PENDING_PAGES: set[str] = set()


def _blocks() -> list:
    params = []
    for path in DOCS:
        rel = path.relative_to(REPO).as_posix()
        for block in codeblocks.extract_from_file(path):
            if block.syntax not in RUNNABLE:
                continue
            marks = [eval(m, {"pytest": pytest, "sys": sys}) for m in block.marks]  # the tool's own syntax
            params.append(pytest.param(block, id=f"{rel}:{block.lineno}", marks=[pytest.mark.slow, *marks]))
    return params


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
               LONGHU_STORE=str(tmp_path / "store.gpkg"), MPLBACKEND="Agg", PYTHONIOENCODING="utf-8")
    for var in ("LC_ALL", "LC_MESSAGES"):  # the command line speaks the locale's language: the pages show English
        env.pop(var, None)
    env["LANG"] = "C.UTF-8"
    return env


@pytest.mark.parametrize("block", _blocks())
def test_doc_block_runs(block, tmp_path):
    if block.importorskip:
        pytest.importorskip(block.importorskip)
    if block.syntax == "python":
        script = tmp_path / "block.py"
        script.write_text(block.code, encoding="utf-8")
        argv = [sys.executable, str(script)]
    else:
        argv = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    done = subprocess.run(argv, cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"line {block.lineno} failed:\n{block.code}\n--- stderr:\n{done.stderr[-3000:]}"
    if block.expected_output is not None:
        want, got = block.expected_output, done.stdout
        if block.expected_output_ignore_whitespace:
            want, got = re.sub(r"\s+", "", want), re.sub(r"\s+", "", got)
        assert got == want


def test_every_runnable_looking_block_is_python_or_bash():
    odd = [(p.name, b.lineno, b.syntax) for p in DOCS for b in codeblocks.extract_from_file(p)
           if (b.syntax or "").split()[0:1] and b.syntax.split()[0] in UNTESTED]
    assert odd == []


def test_every_skipped_block_says_why():
    unexplained = [(p.name, b.lineno, m) for p in DOCS for b in codeblocks.extract_from_file(p)
                   for m in b.marks if "skip" in m and "reason=" not in m]
    assert unexplained == []


def test_the_docs_have_blocks_that_run():
    runs = [b for p in DOCS for b in codeblocks.extract_from_file(p)
            if b.syntax in RUNNABLE and not any("skip" in m for m in b.marks)]
    assert len(runs) >= 10


def test_relative_links_resolve():
    link = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#[^)]*)?\)")
    broken = []
    for path in DOCS:
        for target in link.findall(path.read_text(encoding="utf-8")):
            resolved = (path.parent / target).resolve()
            rel = resolved.relative_to(REPO).as_posix() if resolved.is_relative_to(REPO) else target
            if not resolved.exists() and rel not in PENDING_PAGES:
                broken.append((path.name, target))
    assert broken == []
