"""What every command of ``python -m geo`` shares: the one-line usage error, the parser that
raises it, an engine setting's option name, warnings on stderr, and the one District a command
works on with its layers in use.

Imported by :mod:`geo.cli` and :mod:`geo.cli_lifecircle`; it imports neither (no cycle).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from geo.engine.limits import SettingError
from geo.io import districts, networks
from geo.io.data import ILLUSTRATIVE_NOTICE_EN
from geo.io.district import LAYERS, District, Layers, is_built
from geo.io.errors import DataError, warning_lines


class UsageError(Exception):
    """Bad command-line usage (exit 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (:class:`UsageError`), not argparse's usage block."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")


def out_path(text: str) -> Path:
    """``--out``: a file or folder name that is not empty (which would write into the current
    folder) and has no control character (a newline makes a name nobody can type again)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a file or folder name")
    bad = next((ch for ch in text if unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        raise argparse.ArgumentTypeError(f"{text!r} holds a control character ({bad!r}); give a plain name")
    return Path(text)


def say(text: str) -> None:
    """One line on stderr (notes, warnings, progress)."""
    print(text, file=sys.stderr, flush=True)


def flag(setting: str, short: tuple[str, ...] = ()) -> str:
    """The command-line option of an engine setting: ``speed_kmh`` -> ``--speed-kmh`` (``-k``)."""
    return f"-{setting}" if setting in short else "--" + setting.replace("_", "-")


def usage(exc: SettingError, short: tuple[str, ...] = ()) -> Exception:
    """An engine's range error as a usage error naming the option, e.g. ``--minutes: minutes must …``."""
    if exc.setting is None:
        return exc
    return UsageError(f"{flag(exc.setting, short)}: {exc}")


def warn(path: Path, report) -> None:
    """An importer's warnings on stderr, one line each, naming the file and the row."""
    for line in warning_lines(path, report.warnings):
        say(f"warning: {line}")


def add_district_option(p: argparse.ArgumentParser) -> None:
    """``--district ADCODE``: the county-level unit a command works on."""
    p.add_argument("--district", help="the county-level unit's code (adcode, e.g. 440511 for 金平区); "
                                      "default: the shipped district (440507 龙湖区)")


# --------------------------------------------------------------------------- the district and its layers


def open_district(code: str | None, store: Path | None = None) -> District:
    """The District of ``--district`` (default the shipped one), its layers built once when
    missing; with ``--store`` its store is that file, checked now: readable, a store of this
    district (the stamp), holding at least one layer. Opened read-only: never written."""
    code = districts.check_code(code or districts.SHIPPED_CODE)
    if not is_built(districts.district_dir(code)) and districts.has_outline(code):  # else one error line
        say(f"building the layers of {districts.name_of(code)} ({code}) once …")
    place = District.open(code)
    if store is None:
        return place
    place = place.with_store(store)
    try:
        held = [layer for layer in place.store(readonly=True).layers() if layer in LAYERS]
    except DataError as exc:
        raise UsageError(f"--store {store}: {exc.problems[0].reason}") from None
    if not held:
        raise UsageError(f"--store {store}: the store holds no layers to analyse (district, streets, communities, "
                         "centers) yet; save a change in the app first, or leave out --store")
    return place


def layers_of(place: District, args: argparse.Namespace) -> Layers:
    """The layers in use for a command's options (:meth:`District.layers`: the store, then the
    files given, then the district's folder), with the note on fallbacks and the files' warnings
    on stderr."""
    store = getattr(args, "store", None)
    try:
        layers = place.layers(use_store=store is not None, streets=getattr(args, "streets", None),
                              communities=getattr(args, "communities", None), centers=getattr(args, "centers", None),
                              centers_crs=getattr(args, "centers_crs", "wgs84"))
    except DataError as exc:
        if store is not None and exc.path == str(place.store_path):
            raise UsageError(f"--store {store}: {exc.problems[0].reason}") from None
        raise
    if layers.note():
        say(f"note: {layers.note()}")
    for line in layers.warnings:
        say(f"warning: {line}")
    return layers


def notice(status: str) -> None:
    """The illustrative notice on stderr when a job's outputs are marked ``illustrative``."""
    if status == "illustrative":
        say(f"note: {ILLUSTRATIVE_NOTICE_EN}")


def network(path: Path | None):
    """The walking network of ``--network`` (None without one)."""
    if path is None:
        return None
    say(f"loading walking network {path} …")
    graph = networks.load_network(path)
    say(networks.describe(graph.parts()))
    return graph
