"""A CJK font for matplotlib, chosen explicitly instead of hoping a system font exists.

:func:`cjk_font` registers Noto Sans CJK (Debian's ``fonts-noto-cjk``), or the font file named
by the environment variable ``LONGHU_CJK_FONT``, with matplotlib's font manager and returns
its family name. :func:`missing_glyphs` reads the chosen face's character map with fontTools
(which ships with matplotlib) so a caller can refuse to render text that would come out as
empty boxes ("tofu").
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager

from geo.locale import Msg, Worded

ENV_VAR = "LONGHU_CJK_FONT"
# Debian/Ubuntu ``fonts-noto-cjk`` (the .ttc collections), then the single-face OTFs some
# distributions ship, then Fedora's and Arch's locations.
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
INSTALL_HINT = Msg.of("map.err_font_none", env=ENV_VAR)


class FontError(Worded, RuntimeError):
    """No usable CJK font, or text the chosen font cannot draw (``msg``: ``map.err_font_*``)."""


@dataclass(frozen=True)
class CJKFont:
    """The chosen face: its file, its index inside a .ttc collection, its family name."""

    path: Path
    index: int
    family: str
    bold_path: Path | None = None


def _candidates() -> list[Path]:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            raise FontError(Msg.of("map.err_font_env", env=ENV_VAR, value=repr(env)))
        return [p]
    found = [Path(c) for c in CANDIDATES if Path(c).is_file()]
    return found + _pypi_fonts()


def _pypi_fonts() -> list[Path]:
    """Noto Sans CJK from the PyPI package ``cvttf-notosanscjk-regular`` (a requirement), so that
    ``pip install -r requirements.txt`` alone is enough on a machine without Debian's fonts.
    It is the Traditional-Chinese-style face (TC): it covers every simplified character too,
    but Debian's Simplified Chinese face is preferred when installed."""
    try:
        import cvttf_NotoSansCJK_Regular as pkg
    except ImportError:
        return []
    return sorted(Path(pkg.__file__).parent.glob("*.otf"))


def _pick_face(path: Path) -> font_manager.FontEntry | None:
    """The registered face of ``path`` to use: Simplified Chinese (SC) when it is a collection."""
    faces = [f for f in font_manager.fontManager.ttflist
             if Path(f.fname) == path and "Mono" not in f.name]
    if not faces:
        return None
    for f in faces:
        if f.name.endswith(" SC"):
            return f
    return min(faces, key=lambda f: getattr(f, "index", 0))


@functools.lru_cache(maxsize=4)
def _find(env_value: str) -> CJKFont:  # keyed by the env var so tests can change it
    for path in _candidates():
        try:
            font_manager.fontManager.addfont(str(path))
        except Exception as exc:  # a broken or unsupported file: say which one
            raise FontError(Msg.of("map.err_font_load", path=str(path), e=str(exc))) from None
        face = _pick_face(path)
        if face is None:
            continue
        bold = path.with_name(path.name.replace("Regular", "Bold"))
        bold_path = None
        if bold != path and bold.is_file():
            font_manager.fontManager.addfont(str(bold))
            bold_path = bold
        return CJKFont(path, int(getattr(face, "index", 0) or 0), face.name, bold_path)
    raise FontError(INSTALL_HINT)


def cjk_font() -> CJKFont:
    """The CJK font in use (registered with matplotlib); :class:`FontError` when there is none."""
    return _find(os.environ.get(ENV_VAR, ""))


def register_cjk_font() -> str:
    """Register the CJK font with matplotlib and return its family name (e.g. ``Noto Sans CJK SC``)."""
    return cjk_font().family


@functools.lru_cache(maxsize=4)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    kwargs = {"fontNumber": index} if path.lower().endswith((".ttc", ".otc")) else {}
    with TTFont(path, lazy=True, **kwargs) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str, font: CJKFont | None = None) -> list[str]:
    """Characters of ``text`` (whitespace aside) that the font has no glyph for, in order, once each."""
    font = font or cjk_font()
    cmap = _cmap(str(font.path), font.index)
    out: list[str] = []
    for ch in text:
        if not ch.isspace() and ord(ch) not in cmap and ch not in out:
            out.append(ch)
    return out


def check_coverage(text: str, font: CJKFont | None = None) -> None:
    """Raise :class:`FontError` naming the characters of ``text`` the font cannot draw."""
    missing = missing_glyphs(text, font)
    if missing:
        font = font or cjk_font()
        shown = "".join(missing[:10])
        raise FontError(Msg.of("map.err_font_glyphs", font=f"{font.family} ({font.path.name})", chars=repr(shown),
                               env=ENV_VAR))
