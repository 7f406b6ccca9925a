"""What every command of ``python -m geo`` shares: the language of its words (``--lang``, by
default the environment's locale), the one-line usage error, the parser that raises it, an
engine setting's option name, notes and warnings on stderr, and the one District a command
works on with its layers in use.

Every line for people is a :class:`~geo.locale.Msg` (``run.*`` keys, or the engine's ``set.*``
and the readers' ``why.*``) worded in the command's language where it is printed; the CSV
columns and JSON keys are the same in every language (docs/cli.md).

Imported by :mod:`geo.cli` and :mod:`geo.cli_lifecircle`; it imports neither (no cycle).
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

from geo.engine.limits import SettingError
from geo.io import districts, networks
from geo.io.district import LAYERS, District, Layers, is_built
from geo.io.errors import DataError
from geo.locale import LANGS, Msg, Worded
from geo.locale import say as words  # any message, error or problem in the command's language

LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
"""The environment variables that name the locale, the first set one deciding (POSIX order)."""


def default_lang(environ: Mapping[str, str]) -> str:
    """The language of a command without ``--lang``: ``zh`` when the locale (``LC_ALL``, then
    ``LC_MESSAGES``, then ``LANG``) starts with ``zh``, else ``en``."""
    locale = next((environ[v] for v in LOCALE_VARS if environ.get(v)), "")
    return "zh" if locale.lower().startswith("zh") else "en"


def lang_of(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language a command line asks for (``--lang zh``, ``--lang=en``), else the locale's;
    read before parsing, so a usage error is in that language too."""
    for i, arg in enumerate(argv):
        value = arg.partition("=")[2] if arg.startswith("--lang=") else \
            (argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None)
        if value in LANGS:
            return value
    return default_lang(environ)


def add_lang_option(p: argparse.ArgumentParser, what: str = "") -> None:
    """``--lang zh|en``: the language of the messages (and of ``what``, when it writes words)."""
    p.add_argument("--lang", choices=LANGS, default=None,
                   help=f"language of the messages{what}: zh or en (default: the locale, zh when "
                        "LC_ALL/LC_MESSAGES/LANG starts with zh, else en)")


def exc_msg(exc: Exception) -> Msg | str:
    """An error's message: its ``msg`` when it carries one (a code), else its English text."""
    return getattr(exc, "msg", None) or str(exc)


class UsageError(Worded, Exception):
    """Bad command-line usage (exit 2): ``msg`` in the command's language by :meth:`text`."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (:class:`UsageError`), not argparse's usage block."""

    def error(self, message: str):
        raise UsageError(Msg.of("run.usage", prog=self.prog, detail=message))


def out_path(text: str, option: str = "--out") -> Path:
    """``--out`` (or ``option``): a file or folder name that is not empty (which would write into
    the current folder) and has no control character (a newline makes a name nobody can type
    again). A :class:`UsageError` passes through argparse, in the command's language."""
    if not text.strip():
        raise UsageError(Msg.of("run.out_empty", option=option))
    bad = next((ch for ch in text if unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        raise UsageError(Msg.of("run.out_control", option=option, name=repr(text), ch=repr(bad)))
    return Path(text)


def brief_path(text: str) -> Path:
    """``--brief``: a file name, as :func:`out_path`."""
    return out_path(text, "--brief")


def say(text: str | Msg, lang: str = "en") -> None:
    """One line on stderr (notes, warnings, progress), in ``lang``."""
    print(words(text, lang), file=sys.stderr, flush=True)


def note(msg: object, lang: str) -> None:
    """``note: …`` on stderr, in ``lang``."""
    say(Msg.of("run.note", line=words(msg, lang)), lang)


def warning(msg: object, lang: str) -> None:
    """``warning: …`` on stderr, in ``lang``."""
    say(Msg.of("run.warning", line=words(msg, lang)), lang)


def flag(setting: str, short: tuple[str, ...] = ()) -> str:
    """The command-line option of an engine setting: ``speed_kmh`` -> ``--speed-kmh`` (``-k``)."""
    return f"-{setting}" if setting in short else "--" + setting.replace("_", "-")


def usage(exc: SettingError, short: tuple[str, ...] = ()) -> Exception:
    """An engine's range error as a usage error naming the option, e.g. ``--minutes: minutes must …``."""
    if exc.setting is None:
        return exc
    return UsageError(Msg.of("run.option", option=flag(exc.setting, short), msg=exc.msg))


def warn(path: Path, report, lang: str) -> None:
    """An importer's warnings on stderr, one line each, naming the file and the row."""
    for w in report.warnings:
        warning(w.text(lang, path), lang)


def add_district_option(p: argparse.ArgumentParser) -> None:
    """``--district ADCODE``: the county-level unit a command works on."""
    p.add_argument("--district", help="the county-level unit's code (adcode, e.g. 440511 for 金平区); "
                                      "default: the shipped district (440507 龙湖区)")


# --------------------------------------------------------------------------- the district and its layers


def open_district(code: str | None, store: Path | None = None, lang: str = "en") -> District:
    """The District of ``--district`` (default the shipped one), its layers built once when
    missing; with ``--store`` its store is that file, checked now: readable, a store of this
    district (the stamp), holding at least one layer. Opened read-only: never written."""
    code = districts.check_code(code or districts.SHIPPED_CODE)
    if not is_built(districts.district_dir(code)) and districts.has_outline(code):  # else one error line
        say(Msg.of("run.building_once", name=districts.name_of(code), adcode=code), lang)
    place = District.open(code)
    if store is None:
        return place
    place = place.with_store(store)
    try:
        held = [layer for layer in place.store(readonly=True).layers() if layer in LAYERS]
    except DataError as exc:
        raise UsageError(Msg.of("run.store", store=str(store), reason=exc.problems[0].reason)) from None
    if not held:
        raise UsageError(Msg.of("run.store_empty", store=str(store)))
    return place


def layers_of(place: District, args: argparse.Namespace) -> Layers:
    """The layers in use for a command's options (:meth:`District.layers`: the store, then the
    files given, then the district's folder), with the note on fallbacks and the files' warnings
    on stderr, in the command's language (``args.lang``)."""
    lang = args.lang
    store = getattr(args, "store", None)
    try:
        layers = place.layers(use_store=store is not None, streets=getattr(args, "streets", None),
                              communities=getattr(args, "communities", None), centers=getattr(args, "centers", None),
                              centers_crs=getattr(args, "centers_crs", "wgs84"))
    except DataError as exc:
        if store is not None and exc.path == str(place.store_path):
            raise UsageError(Msg.of("run.store", store=str(store), reason=exc.problems[0].reason)) from None
        raise
    if layers.notes:
        note(layers.note(lang), lang)
    for line in layers.warnings:
        warning(line, lang)
    return layers


def notice(status: str, lang: str) -> None:
    """The illustrative notice on stderr when a job's outputs are marked ``illustrative``."""
    if status == "illustrative":
        note(Msg.of("illustrative_notice"), lang)


def network(path: Path | None, lang: str):
    """The walking network of ``--network`` (None without one), its parts said on stderr."""
    if path is None:
        return None
    say(Msg.of("run.net_loading", path=str(path)), lang)
    graph = networks.load_network(path)
    say(graph.parts().msg(), lang)
    return graph
