"""Files on disk: atomic writes, all-or-nothing folders and safe names. Nothing named by a user
leaves the data folder."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath, PureWindowsPath

from geo.io.errors import DataError
from geo.locale import Msg

DATA_ROOT: Path = Path(__file__).resolve().parents[2] / "data"
"""The data folder: nothing named by a user's file is ever written outside it."""
USER_DIR: Path = DATA_ROOT / "user"
"""Where the user's own files live (git-ignored)."""
# --------------------------------------------------------------------------- writing


def atomic_write(path: str | Path, write: Callable[[str], None], suffix: str | None = None) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then move it over ``path`` in one step.

    An interrupted write leaves the previous file intact and no temporary file behind.
    ``suffix`` (default: the path's) matters to writers that pick a format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


@contextmanager
def staged_folder(folder: str | Path) -> Iterator[Path]:
    """All or nothing for outputs of several files: yields an empty temporary folder beside
    ``folder``; when the block succeeds its files are moved into ``folder`` (created if need
    be), when it fails the temporary folder is removed and ``folder`` is left as it was."""
    folder = Path(folder).expanduser().absolute()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        yield tmp
        folder.mkdir(exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, folder / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- paths


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


FILE_NAME = Msg.of("why.what_file_name")
PATH = Msg.of("why.what_path")
MEMBER = Msg.of("why.what_member")
"""What :func:`check_name` checks, in words: a file name, a path, an archive member."""


def check_name(name: str, what: Msg) -> None:
    """Refuse (``DataError``) an empty name, control characters, an absolute path or ``..``;
    ``what`` is what the name is (:data:`FILE_NAME`, :data:`PATH`, :data:`MEMBER`)."""
    if not isinstance(name, str) or not name.strip():
        raise DataError(None, Msg.of("why.name_empty", what=what))
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise DataError(None, Msg.of("why.name_control", what=what, name=repr(name)))
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() \
            or PureWindowsPath(name).drive or name.startswith(("\\", "/")):
        raise DataError(None, Msg.of("why.name_absolute", what=what, name=repr(name)))
    parts = re.split(r"[\\/]+", name)
    if any(p in ("..", ".") for p in parts):
        raise DataError(None, Msg.of("why.name_dots", what=what, name=repr(name)))


def safe_filename(name: str, default_suffix: str = "") -> str:
    """A single, harmless file-name component made from a user's name (upload, layer).

    Refuses (``DataError``) names with ``..``, path separators, absolute paths or control
    characters; otherwise keeps letters (Chinese too), digits, ``-_.()`` and spaces, turns
    anything else into ``_`` and caps the length at 120 characters.
    """
    check_name(name, FILE_NAME)
    if re.search(r"[\\/]", name):
        raise DataError(None, Msg.of("why.name_folder", name=repr(name)))
    clean = unicodedata.normalize("NFC", name).strip()
    clean = re.sub(r"[^\w\-.() （）]", "_", clean).strip(" .")
    if not clean or clean.split(".")[0].lower() in _WINDOWS_RESERVED:
        raise DataError(None, Msg.of("why.name_unusable", name=repr(name)))
    stem, dot, suffix = clean.rpartition(".")
    if not dot:
        stem, suffix = clean, ""
    if len(clean) > 120:
        keep = 120 - len(suffix) - 1
        clean = stem[:keep] + ("." + suffix if suffix else "")
    if default_suffix and not clean.lower().endswith(default_suffix.lower()):
        clean += default_suffix
    return clean


def resolve_inside(base: str | Path, name: str | Path) -> Path:
    """``base/name`` resolved, guaranteed to stay inside ``base`` (symlinks followed).

    ``name`` may contain sub-folders; absolute paths, ``..`` and links that leave ``base``
    raise ``DataError``.
    """
    check_name(str(name), PATH)
    root = Path(base).resolve()
    target = (root / str(name)).resolve()
    if not target.is_relative_to(root):
        raise DataError(str(name), Msg.of("why.name_outside", name=repr(str(name)), root=str(root)))
    return target


