"""Running ``python -m geo`` in-process for the command-line tests (``geo.cli.main``, which is
what ``python -m geo`` calls)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass

from geo import cli


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run(*args, environ: dict[str, str] | None = None) -> Run:
    """``python -m geo *args`` in this process: exit code, stdout and stderr. The language comes
    from ``environ`` (default none set: English, whatever the machine's locale), or ``--lang``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in args], environ={} if environ is None else environ)
    return Run(code, out.getvalue(), err.getvalue())
