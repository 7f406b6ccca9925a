"""Serve folium's JavaScript/CSS from the app itself, or inline it, so maps work offline.

folium renders ``<script src>`` / ``<link href>`` tags pointing at public CDNs (jsdelivr,
cdnjs, code.jquery.com, ...). None is reachable on our machines, and jsdelivr is unreliable
from mainland China, so a map that depends on them is a blank box.

Where folium keeps the addresses
    Every folium element that needs a library mixes in ``folium.elements.JSCSSMixin`` and
    lists ``(name, url)`` pairs in the *class* attributes ``default_js`` / ``default_css``
    (``folium.Map`` itself: Leaflet, jQuery, Bootstrap, awesome-markers, Font Awesome;
    every plugin in ``folium.plugins`` has its own lists). ``JSCSSMixin.render`` turns them
    into header links, and streamlit-folium reads the same attributes to build the list
    of scripts its iframe loads.

What folium-offline provides
    The PyPI package ``folium-offline`` is a fork of folium whose module
    ``offlinefolium.elements`` holds ``_res``: a dict from each CDN address used by folium
    0.20 (map, features and all plugins, 72 entries) to the file's text, with most fonts and
    images already inlined as ``data:`` URIs. We use that dict as our single source of
    asset contents; we do not use its forked classes (the project builds ordinary
    ``folium.Map`` objects, and streamlit-folium only understands those).

Public API
    - :func:`install_static_assets` writes the files under ``static/vendor/`` (Streamlit
      serves ``static/`` at ``/app/static/`` with ``server.enableStaticServing = true``).
    - :func:`use_local_assets` points folium at those local URLs (globally or for one map);
      :func:`restore_cdn_assets` / :func:`local_assets` undo it.
    - :func:`inline_assets` / :func:`standalone_html` / :func:`save_standalone_html` make a
      single self-contained HTML file.

Tile layers are not assets: a map built with ``tiles=None`` makes no request at all
leaving the machine once its assets are local or inlined.
"""

from __future__ import annotations

import contextlib
import functools
import html as _html
import os
import re
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import folium
import folium.plugins  # noqa: F401  (imports every plugin so its class lists can be patched)
from folium.elements import JSCSSMixin

from geo.io.files import atomic_write

__all__ = [
    "STATIC_URL_PREFIX",
    "VENDOR_DIR",
    "asset_sources",
    "install_static_assets",
    "local_assets",
    "local_relpath",
    "local_url_map",
    "inline_assets",
    "restore_cdn_assets",
    "save_standalone_html",
    "standalone_html",
    "use_local_assets",
]

#: URL under which Streamlit serves the app's ``static/`` folder.
STATIC_URL_PREFIX = "/app/static"
#: Sub-folder of ``static/`` that holds the vendored files: shipped empty, filled at start-up (flat).
VENDOR_DIR = "vendor"

_ATTRS = ("default_js", "default_css")
_lock = threading.RLock()
# (class, attribute) -> the list object folium had before we patched it.
_originals: dict[tuple[type, str], list[tuple[str, str]]] = {}
# local URL -> CDN URL, for every url_map ever handed to use_local_assets / install.
_reverse: dict[str, str] = {}


# --------------------------------------------------------------------------- sources


def _load_sources() -> dict[str, str]:
    try:
        from offlinefolium.elements import (
            _res,  # private, but it is the package's payload
        )
    except ImportError as exc:  # pragma: no cover - dependency problem, say what to do
        raise ImportError(
            "geo.render.webassets needs the PyPI package 'folium-offline' "
            "(pip install folium-offline) for the offline copies of folium's assets"
        ) from exc
    if not isinstance(_res, dict) or not _res:  # pragma: no cover
        raise ImportError("offlinefolium.elements._res is not the expected URL->text dict")
    return dict(_res)


_SOURCES: dict[str, str] | None = None


def _sources() -> dict[str, str]:
    global _SOURCES
    with _lock:
        if _SOURCES is None:
            _SOURCES = _load_sources()
        return _SOURCES


def asset_sources() -> dict[str, str]:
    """Return a copy of the CDN URL -> file text dict carried by folium-offline."""
    return dict(_sources())


def _source(url: str) -> str | None:
    sources = _sources()
    text = sources.get(url)
    if text is None and url.startswith("//"):  # protocol-relative address
        text = sources.get("https:" + url)
    return text


def _kind(url: str) -> str:
    """'css' or 'js'. Every CDN address folium uses ends in .css or .js except one JS file
    (``unpkg.com/@joergdietrich/leaflet.terminator``), so the suffix is enough."""
    return "css" if urlsplit(url).path.lower().endswith(".css") else "js"


# ------------------------------------------------------------------- content fix-ups

# url(...) targets that are real fetches: everything except data: URIs and fragment
# references (``url(#default#VML)``, ``url(%23mask)`` inside SVG data URIs).
_CSS_URL = re.compile(
    r"""url\(\s*(?P<q>["']?)(?!\s*(?:data:|\#|%23|about:))(?P<target>[^"')]+)(?P=q)\s*\)""",
    re.IGNORECASE,
)
_CSS_IMPORT = re.compile(r"@import\s+[^;]+;", re.IGNORECASE)


def _sanitize_css(text: str) -> str:
    """Neutralise every CSS reference that would cause a fetch.

    folium-offline already inlined most fonts/images as data: URIs; what is left is relative
    font files (Font Awesome regular/brands, glyphicons' eot/svg fallbacks), two MiniMap toggle
    images, a loader gif and protocol-relative bootstrapcdn fonts in timedimension's CSS.
    We do not have those files, and glyph icons are not used by this project, so each such
    ``url(...)`` becomes ``url(data:,)``: an empty resource the browser "loads" without any
    request, making the font fall back / the background empty instead of hitting the network
    (or a 404 on our own server).
    """
    text = _CSS_IMPORT.sub("", text)
    return _CSS_URL.sub("url(data:,)", text)


def _asset_text(url: str) -> str | None:
    text = _source(url)
    if text is None:
        return None
    return _sanitize_css(text) if _kind(url) == "css" else text


# --------------------------------------------------------------------- local layout

_UNSAFE = re.compile(r"[^A-Za-z0-9._~@+-]")
_SEP = "__"  # joins host and path segments into one file name


def local_relpath(url: str) -> str:
    """Relative POSIX path (under the static folder) where the asset for ``url`` is stored.

    ``https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js`` ->
    ``vendor/cdn.jsdelivr.net__npm__leaflet@1.9.3__dist__leaflet.js``: one flat folder, so
    that installing never creates a folder inside the tree Streamlit's file watcher watches
    (a burst of new nested folders makes watchdog print a RuntimeWarning per folder).
    The file always ends in ``.js`` or ``.css`` because Streamlit picks the Content-Type from
    the suffix and sends ``X-Content-Type-Options: nosniff``: a script served as
    octet-stream would not run.
    """
    parts = urlsplit(url if "://" in url else "https:" + url)
    segments = [parts.netloc, *parts.path.split("/")]
    clean = [_UNSAFE.sub("_", s) for s in segments if s and s not in (".", "..")]
    if not clean:
        raise ValueError(f"not an asset URL: {url!r}")
    suffix = "." + _kind(url)
    if not clean[-1].lower().endswith(suffix):
        clean[-1] += suffix
    return str(PurePosixPath(VENDOR_DIR, _SEP.join(clean)))


def local_url_map(
    urls: Iterable[str] | None = None, url_prefix: str = STATIC_URL_PREFIX
) -> dict[str, str]:
    """CDN URL -> local URL (``/app/static/vendor/...``) for ``urls`` (default: all known).

    Pure: it does not touch the disk. :func:`install_static_assets` returns the same mapping
    for the files it wrote.
    """
    urls = list(asset_sources()) if urls is None else list(urls)
    prefix = url_prefix.rstrip("/")
    return {u: f"{prefix}/{local_relpath(u)}" for u in urls}


def _atomic_write(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly that. True if written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
    return True


def _vendored() -> dict[str, tuple[str, bytes]]:
    """CDN URL -> (relative path under the static folder, file bytes) for every asset."""
    out = {}
    for url in asset_sources():
        text = _asset_text(url)
        assert text is not None
        out[url] = (local_relpath(url), text.encode("utf-8"))
    paths = [rel for rel, _ in out.values()]
    if len(set(paths)) != len(paths):  # pragma: no cover - would need two CDN paths alike
        raise RuntimeError("two folium assets map to the same local file name")
    return out


def _move_in_whole(static_dir: Path, files: Mapping[str, bytes]) -> None:
    """Create a missing ``static_dir`` or ``static_dir/vendor`` in one step.

    The folder is filled in the system's temporary folder and moved into place with one
    ``rename``: a file watcher over the app's folder then sees one new folder, already
    complete, instead of a folder and its children appearing while it adds its watches.
    Where the temporary folder is on another file system the folders are made in place.
    """
    top = static_dir if not static_dir.exists() else static_dir / VENDOR_DIR
    staging = Path(tempfile.mkdtemp(prefix=".longhu-static."))
    try:
        built = staging / top.name
        for rel, data in files.items():
            dest = built.joinpath(*PurePosixPath(rel).parts[len(top.relative_to(static_dir).parts):])
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        top.parent.mkdir(parents=True, exist_ok=True)
        os.rename(built, top)
    except OSError:  # another file system, or another process got there first: fill in place
        (static_dir / VENDOR_DIR).mkdir(parents=True, exist_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install_static_assets(
    static_dir: Path | str, url_prefix: str = STATIC_URL_PREFIX
) -> dict[str, str]:
    """Write every folium CDN asset known to folium-offline into ``static_dir/vendor/``.

    Covers ``folium.Map``'s defaults and all folium plugins (Fullscreen, MeasureControl,
    MiniMap, ...). Idempotent (unchanged files are not rewritten) and safe with concurrent
    callers (each file is written to a temp file and moved into place with ``os.replace``).
    CSS is sanitised so it references no font/image file we do not have. No folder is
    created inside ``static_dir/vendor`` (the repository ships that folder empty), and a
    missing ``static_dir`` or ``vendor`` folder is moved in whole, so Streamlit's file
    watcher stays quiet while the app starts.

    Returns the mapping CDN URL -> local URL (``{url_prefix}/vendor/...``), ready for
    :func:`use_local_assets`.
    """
    static_dir = Path(static_dir)
    vendored = _vendored()
    if not (static_dir / VENDOR_DIR).is_dir():
        _move_in_whole(static_dir, dict(vendored.values()))
    prefix = url_prefix.rstrip("/")
    url_map: dict[str, str] = {}
    for url, (rel, data) in vendored.items():
        _atomic_write(static_dir.joinpath(*PurePosixPath(rel).parts), data)
        url_map[url] = f"{prefix}/{rel}"
    with _lock:
        _reverse.update({v: k for k, v in url_map.items()})
    return url_map


# ----------------------------------------------------------------- patching folium


def _jscss_classes() -> list[type]:
    """Every JSCSSMixin subclass that defines its own default_js/default_css list."""
    seen: list[type] = []
    stack = [JSCSSMixin]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.append(cls)
            stack.extend(cls.__subclasses__())
    return [c for c in seen if any(a in vars(c) for a in _ATTRS)]


def _walk(element: object) -> Iterator[object]:
    yield element
    for attr in ("m1", "m2"):  # folium.plugins.DualMap keeps its two maps aside
        sub = getattr(element, attr, None)
        if sub is not None:
            yield from _walk(sub)
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _remap(
    pairs: list[tuple[str, str]], url_map: Mapping[str, str], missing: set[str]
) -> list[tuple[str, str]]:
    out = []
    for name, url in pairs:
        new = url_map.get(url, url)
        if new == url and _is_remote(url):
            missing.add(url)
        out.append((name, new))
    return out


def use_local_assets(
    m: folium.Map | None = None, url_map: Mapping[str, str] | None = None
) -> list[str]:
    """Point folium's ``default_js``/``default_css`` at local copies of the CDN files.

    With ``m=None`` the class-level lists of ``folium.Map`` and of every ``JSCSSMixin``
    subclass (all folium plugins, and any subclass defined before this call) are replaced,
    so every map rendered afterwards -- including by ``st_folium`` -- uses the local URLs.
    Call it once at start-up, after :func:`install_static_assets`; undo with
    :func:`restore_cdn_assets`. With a map, only that map's elements are changed (instance
    attributes; call it after adding every layer/plugin) and the classes stay untouched.

    ``url_map`` defaults to :func:`local_url_map` (``/app/static/vendor/...``).
    Returns the external URLs that were left unmapped (empty when everything is covered).
    """
    if url_map is None:
        url_map = local_url_map()
    missing: set[str] = set()
    with _lock:
        _reverse.update({v: k for k, v in url_map.items()})
        if m is None:
            for cls in _jscss_classes():
                for attr in _ATTRS:
                    if attr not in vars(cls):
                        continue
                    _originals.setdefault((cls, attr), vars(cls)[attr])
                    # always remap from folium's original list, so repeated calls with
                    # different maps do not compound; a new list, never an in-place edit
                    setattr(cls, attr, _remap(_originals[(cls, attr)], url_map, missing))
        else:
            for element in _walk(m):
                if isinstance(element, JSCSSMixin):
                    for attr in _ATTRS:
                        pairs = getattr(element, attr)
                        setattr(element, attr, _remap(list(pairs), url_map, missing))
    return sorted(missing)


def restore_cdn_assets() -> None:
    """Undo a global :func:`use_local_assets`: put folium's original lists back."""
    with _lock:
        for (cls, attr), original in _originals.items():
            setattr(cls, attr, original)
        _originals.clear()


@contextlib.contextmanager
def local_assets(url_map: Mapping[str, str] | None = None) -> Iterator[list[str]]:
    """Context manager: global :func:`use_local_assets` inside, folium's defaults after.

    Yields the list of unmapped external URLs.
    """
    missing = use_local_assets(None, url_map)
    try:
        yield missing
    finally:
        restore_cdn_assets()


# -------------------------------------------------------------------- standalone


_SCRIPT_SRC = re.compile(r"<script\b(?P<attrs>[^>]*)>\s*</script\s*>", re.IGNORECASE)
_LINK = re.compile(r"<link\b(?P<attrs>[^>]*?)/?>", re.IGNORECASE)
_ATTR = re.compile(
    r"""(?P<name>[\w:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))"""
)


def _attrs(text: str) -> dict[str, str]:
    return {
        m["name"].lower(): _html.unescape(m["dq"] or m["sq"] or m["bare"] or "")
        for m in _ATTR.finditer(text)
    }


def _is_remote(url: str) -> bool:
    return url.lower().startswith(("http://", "https://", "//"))


@functools.lru_cache(maxsize=1)
def _default_reverse() -> dict[str, str]:
    return {v: k for k, v in local_url_map().items()}


def _resolve(url: str) -> str | None:
    """Text for a CDN URL or for a local URL produced by this module, else None."""
    text = _asset_text(url)
    if text is None:
        with _lock:
            cdn = _reverse.get(url)
        if cdn is None:  # a local URL under the default prefix, even if never installed
            cdn = _default_reverse().get(url)
        if cdn is not None:
            text = _asset_text(cdn)
    return text


def _inline_js(text: str) -> str:
    # An inline script ends at the first "</script"; "<!--" can switch the HTML parser into
    # its "escaped" state. Neither occurs in folium-offline's files today; this keeps it so.
    text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    return text.replace("<!--", "<\\!--")


def inline_assets(html: str, *, strict: bool = True) -> str:
    """Replace ``<script src>`` / ``<link rel=stylesheet>`` tags whose address is a known CDN
    asset (or its local ``/app/static/vendor/...`` copy) with inline ``<script>``/``<style>``.

    With ``strict`` (default) a ``ValueError`` lists any script/stylesheet still pointing at
    an external http(s) address; otherwise a warning is issued. Tile URLs inside the map's
    JavaScript are not assets and are left alone.
    """
    leftovers: list[str] = []

    def script(match: re.Match[str]) -> str:
        attrs = _attrs(match["attrs"])
        src = attrs.get("src")
        if src is None:
            return match.group(0)
        text = _resolve(src)
        if text is None:
            if _is_remote(src):
                leftovers.append(src)
            return match.group(0)
        return f"<script>/* {_comment(src)} */\n{_inline_js(text)}\n</script>"

    def link(match: re.Match[str]) -> str:
        attrs = _attrs(match["attrs"])
        href = attrs.get("href")
        if href is None or "stylesheet" not in attrs.get("rel", "").lower().split():
            return match.group(0)
        text = _resolve(href)
        if text is None:
            if _is_remote(href):
                leftovers.append(href)
            return match.group(0)
        text = re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)
        return f"<style>/* {_comment(href)} */\n{text}\n</style>"

    out = _SCRIPT_SRC.sub(script, html)
    out = _LINK.sub(link, out)
    if leftovers:
        msg = "external scripts/stylesheets with no offline copy: " + ", ".join(leftovers)
        if strict:
            raise ValueError(msg)
        warnings.warn(msg, stacklevel=2)
    return out


def _comment(url: str) -> str:
    return url.replace("*/", "*_/")


def standalone_html(m: folium.Map, *, strict: bool = True) -> str:
    """Render ``m`` to one self-contained HTML document (all JS/CSS inline).

    Only tile layers, if the map has any, still load from the network; with ``tiles=None``
    the file opens from disk with no request leaving the machine.
    """
    return inline_assets(m.get_root().render(), strict=strict)


def save_standalone_html(m: folium.Map, path: Path | str, *, strict: bool = True) -> Path:
    """Write :func:`standalone_html` of ``m`` to ``path`` atomically; return the path."""
    path = Path(path)
    _atomic_write(path, standalone_html(m, strict=strict).encode("utf-8"))
    return path
