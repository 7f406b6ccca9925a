"""Keep the word catalogues (geo/locale/<lang>/LC_MESSAGES/geo.po) whole.

    python scripts/catalogue.py check            # exit 1 and list every problem
    python scripts/catalogue.py set KEY --zh 中文 --en English [--en-plural "English, many"]
    python scripts/catalogue.py unused           # entries no code asks for
    python scripts/catalogue.py drop KEY [KEY …]

``check`` (also run by tests/test_catalogue.py) reads both catalogues with Babel and fails on:
a key one language has and the other lacks; a fuzzy or empty entry; a template that is not a
valid ``str.format`` template; placeholders that differ between the languages; a key the code
asks for (Babel's extractor over geo/ and app.py: ``tr``, ``text``, ``word``, ``brief_word``,
``Msg.of``, ``Msg`` with a literal first argument) that the catalogues do not hold.

``set`` adds or replaces one entry in both catalogues at once (under a lock, written whole and
renamed into place), so two people adding words at the same time never lose one.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import io
import os
import re
import string
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from geo.locale import LANGS, po_path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "geo" / "locale"
#: the functions that take a catalogue key as their first argument, and the prefix they add
#: entries whose languages say a thing with different placeholders (a date, a large area)
DIFFERENT = {"map.date_value", "area_big"}
KEYWORDS: dict[str, str] = {"tr": "", "text": "", "of": "", "Msg": "", "word": "map.", "brief_word": "lcb."}


def po(lang: str) -> Path:
    return po_path(lang, LOCALE)


def read(lang: str) -> Catalog:
    with po(lang).open("rb") as f:
        return read_po(f, locale=lang, domain="geo")


def write(lang: str, catalog: Catalog) -> None:
    path = po(lang)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".geo.po.")
    with os.fdopen(fd, "wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=False)
    os.replace(tmp, path)


@contextmanager
def locked() -> Iterator[None]:
    with open(LOCALE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def fields(template: str) -> set[str]:
    """The placeholder names of a ``str.format`` template (``ValueError`` when it is not one)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def used_keys() -> dict[str, str]:
    """Every literal key the code asks for: key → 'file:line'."""
    keys: dict[str, str] = {}
    with contextlib.redirect_stderr(io.StringIO()):  # Babel's notes on f-strings (dynamic keys)
        _extract(keys)
    return keys


def _extract(keys: dict[str, str]) -> None:
    method = [("**.py", "python")]
    for folder in (ROOT / "geo", ROOT):
        options = {"**.py": {}} if folder != ROOT else {}
        for filename, lineno, message, _, _ in extract_from_dir(
                folder, method_map=method if folder != ROOT else [("app.py", "python")],
                options_map=options, keywords={k: (1,) for k in KEYWORDS}, comment_tags=()):
            if isinstance(message, str):
                keys.setdefault(message, f"{folder.name}/{filename}:{lineno}")


def problems() -> list[str]:
    """Everything wrong with the catalogues, one line each (empty when they are whole)."""
    cats = {lang: read(lang) for lang in LANGS}
    entries = {lang: {m.id if isinstance(m.id, str) else m.id[0]: m for m in cat if m.id} for lang, cat in cats.items()}
    out = [f"{key}: in {a} but not in {b}" for a, b in (("zh", "en"), ("en", "zh"))
           for key in sorted(set(entries[a]) - set(entries[b]))]
    for key, zh in entries["zh"].items():
        en = entries["en"].get(key)
        if en is None:
            continue
        names = {}
        for lang, m in (("zh", zh), ("en", en)):
            forms = m.string if isinstance(m.string, (list, tuple)) else [m.string]
            if m.fuzzy:
                out.append(f"{key}: fuzzy in {lang}")
            if not all(forms):
                out.append(f"{key}: empty in {lang}")
            try:
                names[lang] = set().union(*(fields(f or "") for f in forms))
            except ValueError as exc:
                out.append(f"{key}: not a str.format template in {lang} ({exc})")
        if len(names) == 2 and names["zh"] != names["en"] and key not in DIFFERENT:
            out.append(f"{key}: placeholders differ: zh {sorted(names['zh'])}, en {sorted(names['en'])}")
    known = set(entries["zh"])
    for key, where in sorted(used_keys().items()):
        full = [key, *(p + key for p in set(KEYWORDS.values()) if p)]
        if "." in key and not any(k in known for k in full) and " " not in key:
            out.append(f"{key}: used at {where} but in no catalogue")
    return out


def unused() -> list[str]:
    """Entries the code never names: neither literally (``"why.x"``, ``word("x")`` for ``map.x``)
    nor by a prefix it completes at run time (``f"tier_{tier}"`` names every ``tier_*``)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "app.py", *sorted((ROOT / "geo").rglob("*.py"))])
    literal = set(re.findall(r"[\"']([\w.]+)[\"']", source))
    prefixes = set(re.findall(r"f[\"']([\w.]+)\{", source))
    prefixes |= {p + "_" for p in re.findall(r"labeller\([\"']([\w.]+)[\"']", source)}  # geo.app.state.labeller
    out = []
    for key in sorted(m.id if isinstance(m.id, str) else m.id[0] for m in read("zh") if m.id):
        bare = key.split(".", 1)[1] if key.startswith(("map.", "lcb.")) else key
        if key in literal or bare in literal:
            continue
        if any(key.startswith(p) or bare.startswith(p) for p in prefixes):
            continue
        out.append(key)
    return out


def drop(keys: list[str]) -> None:
    """Remove ``keys`` from both catalogues."""
    with locked():
        for lang in LANGS:
            cat = read(lang)
            for key in keys:
                if key in cat:
                    del cat[key]
            write(lang, cat)


def set_entry(key: str, zh: str, en: str, en_plural: str | None) -> None:
    """Add or replace ``key`` in both catalogues."""
    with locked():
        for lang, value in (("zh", zh), ("en", en)):
            cat = read(lang)
            if key in cat:
                del cat[key]
            if en_plural is not None:
                string_ = (value,) if lang == "zh" else (value, en_plural)
                cat.add((key, key), string_, flags=("python-brace-format",))
            else:
                cat.add(key, value, flags=("python-brace-format",) if "{" in value else ())
            write(lang, cat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check")
    s = sub.add_parser("set")
    s.add_argument("key")
    s.add_argument("--zh", required=True)
    s.add_argument("--en", required=True)
    s.add_argument("--en-plural")
    sub.add_parser("unused")
    d = sub.add_parser("drop")
    d.add_argument("keys", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "unused":
        print("\n".join(unused()))
        return 0
    if args.command == "drop":
        drop(args.keys)
        return 0
    if args.command == "set":
        set_entry(args.key, args.zh, args.en, args.en_plural)
        return 0
    found = problems()
    print("\n".join(found) or "the catalogues are whole")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
