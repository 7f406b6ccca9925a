"""Tests for geo.render.webassets: folium maps that work with no CDN and no internet.

The browser tests drive Debian's /usr/bin/chromium through Playwright. They are skipped when
that binary (or the playwright package) is missing, except under CI=true, where they fail.
"""

from __future__ import annotations

import re
import textwrap
import time
import tomllib
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import folium
import folium.plugins
import pytest
from folium.elements import JSCSSMixin

from geo.render import webassets
from geo.render.webassets import (
    inline_assets,
    install_static_assets,
    local_assets,
    restore_cdn_assets,
    save_standalone_html,
    standalone_html,
    use_local_assets,
)
from tests.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    LOCAL_HOSTS,
    require_chromium,
    streamlit_server,
)

REPO = Path(__file__).resolve().parents[1]
LOCATION = [23.40, 116.70]  # Longhu District, Shantou
POLY_FILL = "#123456"
MARKER_STROKE = "#abcdef"
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"

_ASSET_TAG = re.compile(
    r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']([^"']+)["']""", re.IGNORECASE
)


# ----------------------------------------------------------------------------- helpers


def _class_lists() -> dict[tuple[type, str], list]:
    out = {}
    stack, seen = [JSCSSMixin], set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        for attr in ("default_js", "default_css"):
            if attr in vars(cls):
                out[(cls, attr)] = vars(cls)[attr]
    return out


@pytest.fixture(autouse=True)
def folium_cdn_defaults():
    """Run each test on folium's own CDN defaults, check it restored them, then put back
    whatever state the process had (app.py, run in-process by AppTest, patches folium
    globally at start-up, as it should)."""
    saved_lists = _class_lists()
    saved_originals = dict(webassets._originals)
    restore_cdn_assets()
    cdn = {k: (v, list(v)) for k, v in _class_lists().items()}
    yield
    now = _class_lists()
    leaked = [k for k, (obj, content) in cdn.items() if now[k] is not obj or list(obj) != content]
    restore_cdn_assets()
    for (cls, attr), lst in saved_lists.items():
        setattr(cls, attr, lst)
    webassets._originals.update(saved_originals)
    assert not leaked, f"test left folium's asset lists modified: {leaked}"


def _map_with_plugins(tiles=None) -> folium.Map:
    """A map with the plugins the project may use: Fullscreen, MeasureControl, MiniMap."""
    m = folium.Map(location=LOCATION, zoom_start=13, tiles=tiles)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.MeasureControl().add_to(m)
    # MiniMap always has a tile layer; point it at the local machine so no request leaves it
    local_tiles = folium.TileLayer(
        tiles="http://127.0.0.1:9/{z}/{x}/{y}.png", attr="local test tiles"
    )
    folium.plugins.MiniMap(tile_layer=local_tiles).add_to(m)
    return m


def _add_polygon_and_marker(m: folium.Map) -> folium.Map:
    polygon = {
        "type": "Feature",
        "properties": {"name": "测试多边形"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[116.68, 23.39], [116.72, 23.39], [116.72, 23.41], [116.68, 23.41],
                 [116.68, 23.39]]
            ],
        },
    }
    folium.GeoJson(
        polygon,
        style_function=lambda _f: {
            "fillColor": POLY_FILL, "color": "#000000", "fillOpacity": 0.4
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"]),
    ).add_to(m)
    folium.CircleMarker(LOCATION, radius=8, color=MARKER_STROKE, tooltip="党群服务中心").add_to(m)
    return m


def _asset_urls(html: str) -> list[str]:
    return _ASSET_TAG.findall(html)


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("file", "data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS


class _Browser:
    """A Chromium page recording every request and every JS error."""

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        self.page = self.browser.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        return self

    def external(self) -> list[str]:
        return [u for u in self.requests if not _is_local(u)]

    def wait(self, locator, what: str, timeout: float = 10_000, state: str = "attached"):
        """Wait for ``locator``; on timeout fail with what the page fetched from outside."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            locator.wait_for(state=state, timeout=timeout)
        except PlaywrightTimeout:
            pytest.fail(
                f"{what} did not appear; external requests: {self.external()}; "
                f"page errors: {self.errors}"
            )

    def __exit__(self, *exc):
        try:
            self.browser.close()
        finally:
            self._pw.stop()


# --------------------------------------------------------------------- files on disk


def test_install_maps_every_asset_of_map_and_plugins(tmp_path):
    url_map = install_static_assets(tmp_path)
    html = _add_polygon_and_marker(_map_with_plugins()).get_root().render()
    cdn_urls = _asset_urls(html)
    # Map: Leaflet, jQuery, Bootstrap, awesome-markers (4 JS + 6 CSS); plugins: 3 JS + 3 CSS
    assert len(cdn_urls) == 16, cdn_urls
    assert any("leaflet.js" in u for u in cdn_urls)
    for url in cdn_urls:
        assert url.startswith("https://"), url
        assert url in url_map, f"no local copy for {url}"
        local = url_map[url]
        assert local.startswith("/app/static/vendor/"), local
        assert local.endswith((".js", ".css")), local  # Streamlit picks the MIME type by suffix
        path = tmp_path / local.removeprefix("/app/static/")
        assert path.is_file() and path.stat().st_size > 0, path
    leaflet = tmp_path / url_map[LEAFLET_JS].removeprefix("/app/static/")
    assert leaflet.read_text(encoding="utf-8") == webassets.asset_sources()[LEAFLET_JS]


def test_every_folium_class_asset_is_covered():
    """All default_js/default_css of folium and its plugins have an offline copy."""
    sources = webassets.asset_sources()
    urls = {url for lst in _class_lists().values() for _, url in lst}
    assert len(urls) > 40
    assert sorted(u for u in urls if u not in sources) == []


def test_install_is_idempotent_and_repairs(tmp_path):
    first = install_static_assets(tmp_path)
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    stamps = {p: p.stat().st_mtime_ns for p in files}
    victim = tmp_path / first[LEAFLET_CSS].removeprefix("/app/static/")
    victim.write_text("broken", encoding="utf-8")
    time.sleep(0.01)
    second = install_static_assets(tmp_path)
    assert second == first
    repaired = victim.read_text(encoding="utf-8")
    assert repaired != "broken" and ".leaflet-container" in repaired
    after = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert after == files, "no temp files left behind, no extra files"
    unchanged = [p for p in files if p != victim and p.stat().st_mtime_ns != stamps[p]]
    assert unchanged == [], "unchanged files must not be rewritten"


def test_installed_css_references_nothing_missing(tmp_path):
    install_static_assets(tmp_path)
    css_files = list(tmp_path.rglob("*.css"))
    assert len(css_files) > 20
    fetching = re.compile(r"""url\(\s*["']?(?!data:|#|%23)""", re.IGNORECASE)
    for css in css_files:
        text = css.read_text(encoding="utf-8")
        # inline data: URIs may themselves contain url(#id); strip them before looking
        stripped = re.sub(
            r"""url\(\s*(["'])data:.*?\1\s*\)|url\(data:[^)'"]*\)""", "", text, flags=re.S
        )
        assert not fetching.search(stripped), f"{css} still fetches {fetching.search(stripped)}"
        assert "@import" not in text, css
    fa = next(p for p in css_files if p.name.endswith("all.min.css"))
    assert "font/woff2;base64" in fa.read_text(encoding="utf-8")  # the solid font survived


# ------------------------------------------------------------------ patching folium


def test_use_local_assets_globally_then_restore(tmp_path):
    url_map = install_static_assets(tmp_path)
    with local_assets(url_map) as missing:
        assert missing == []
        html = _map_with_plugins().get_root().render()
        urls = _asset_urls(html)
        assert len(urls) == 16
        assert all(u.startswith("/app/static/vendor/") for u in urls), urls
        assert not re.search(r"""<(script|link)[^>]+(src|href)=["'](https?:)?//""", html)
        # what streamlit-folium reads (instance lookup of the class attribute) is local too
        assert all(u.startswith("/app/static/") for _, u in folium.Map().default_js)
    html = folium.Map(tiles=None).get_root().render()
    assert LEAFLET_JS in html


def test_use_local_assets_for_one_map_only():
    m = _map_with_plugins()
    assert use_local_assets(m) == []
    other = folium.Map(tiles=None)
    assert all(u.startswith("/app/static/vendor/") for u in _asset_urls(m.get_root().render()))
    assert all(u.startswith("https://") for u in _asset_urls(other.get_root().render()))


def test_use_local_assets_reports_unmapped_urls():
    with local_assets({}) as missing:  # an empty map leaves everything on the CDN
        assert LEAFLET_JS in missing


# ------------------------------------------------------------------------ standalone


def test_standalone_html_has_no_external_script_or_link():
    html = standalone_html(folium.Map(tiles=None))
    assert '<script src="http' not in html and '<link href="http' not in html
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)
    assert not re.search(r"<link[^>]*stylesheet", html, re.I)
    assert webassets.asset_sources()[LEAFLET_JS][:200] in html


def test_standalone_html_also_inlines_local_urls(tmp_path):
    url_map = install_static_assets(tmp_path)
    with local_assets(url_map):
        html = standalone_html(_map_with_plugins())
    assert not _asset_urls(html)


def test_inline_assets_refuses_unknown_external_script():
    html = '<head><script src="https://example.com/x.js"></script></head>'
    with pytest.raises(ValueError, match="example.com"):
        inline_assets(html)
    with pytest.warns(UserWarning):
        assert inline_assets(html, strict=False) == html


def test_inline_assets_keeps_script_terminator_safe(monkeypatch):
    monkeypatch.setitem(
        webassets._sources(), "https://cdn.example/evil.js", 'var s = "</script><script>alert(1)";'
    )
    out = inline_assets('<script src="https://cdn.example/evil.js"></script>')
    assert out.count("</script>") == 1 and "<\\/script>" in out


@pytest.mark.browser
def test_standalone_map_in_real_browser_makes_no_external_request(tmp_path):
    require_chromium()
    m = _add_polygon_and_marker(folium.Map(location=LOCATION, zoom_start=13, tiles=None))
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.MeasureControl().add_to(m)
    path = save_standalone_html(m, tmp_path / "map.html")
    with _Browser() as b:
        b.page.goto(path.as_uri(), wait_until="load")
        b.wait(b.page.locator(".leaflet-container"), "the Leaflet map", state="visible")
        b.wait(b.page.locator(f'path[fill="{POLY_FILL}"]'), "the polygon's SVG path")
        assert b.external() == [], b.external()
        assert b.page.evaluate("typeof window.L !== 'undefined' && typeof L.map === 'function'")
        d = b.page.get_attribute(f'path[fill="{POLY_FILL}"]', "d")
        assert d and d.startswith("M") and len(d) > 10
        assert b.page.locator(f'path[stroke="{MARKER_STROKE}"]').count() == 1
        assert b.page.locator(".leaflet-control-zoom-fullscreen").count() == 1
        assert b.page.locator(".leaflet-control-measure").count() == 1
        assert b.errors == []
        assert b.requests and b.requests[0].startswith("file://")


# ------------------------------------------------------------------------- streamlit


def test_streamlit_config_enables_static_serving():
    cfg = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["enableStaticServing"] is True
    assert cfg["server"]["headless"] is True
    assert cfg["browser"]["gatherUsageStats"] is False


_APP = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, {repo!r})
    import folium
    import folium.plugins
    import streamlit as st
    from streamlit_folium import st_folium

    from geo.render.webassets import install_static_assets, use_local_assets

    use_local_assets(url_map=install_static_assets(Path(__file__).parent / "static"))
    m = folium.Map(location={loc!r}, zoom_start=13, tiles=None)
    folium.GeoJson(
        {{"type": "Polygon", "coordinates": [[[116.68, 23.39], [116.72, 23.39],
                                              [116.72, 23.41], [116.68, 23.39]]]}},
        style_function=lambda f: {{"fillColor": {fill!r}, "fillOpacity": 0.4}},
    ).add_to(m)
    folium.CircleMarker({loc!r}, radius=8, color={stroke!r}).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    st.write("offline map test")
    st_folium(m, height=400, returned_objects=[])
    """
)


def _get(url: str, timeout: float = 5) -> tuple[int, str, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    with opener.open(url, timeout=timeout) as r:
        return r.status, r.headers.get("content-type", ""), r.read()


@pytest.mark.browser
def test_streamlit_serves_assets_and_st_folium_map_works_offline(tmp_path):
    """Streamlit (with the repo's config.toml) serves the vendored files with the right
    MIME type, and an st_folium map in Chromium draws with no request leaving the machine."""
    require_chromium()
    app = tmp_path / "app.py"
    app.write_text(
        _APP.format(repo=str(REPO), loc=LOCATION, fill=POLY_FILL, stroke=MARKER_STROKE),
        encoding="utf-8",
    )
    with streamlit_server(app, tmp_path / "streamlit.log", timeout=30) as base:
        with _Browser() as b:
            b.page.goto(base + "/", wait_until="domcontentloaded")
            b.wait(
                b.page.locator("[data-testid='stApp'][data-test-script-state='notRunning']"),
                "the finished Streamlit script",
                timeout=20_000,
            )
            frame = b.page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
            b.wait(frame.locator(".leaflet-container"), "the st_folium map", state="visible")
            b.wait(frame.locator(f'path[fill="{POLY_FILL}"]'), "the polygon's SVG path")
            assert b.external() == [], b.external()
            assert frame.locator(f'path[stroke="{MARKER_STROKE}"]').count() == 1
            assert frame.locator(".leaflet-control-zoom-fullscreen").count() == 1
            assert b.errors == []
            assert any("/app/static/vendor/" in u and u.endswith("leaflet.js") for u in b.requests)

        # the files exist only after the app ran install_static_assets
        local = webassets.local_url_map([LEAFLET_JS, LEAFLET_CSS])
        status, ctype, body = _get(base + local[LEAFLET_JS])
        assert status == 200 and "javascript" in ctype, (status, ctype)
        assert body.decode("utf-8") == webassets.asset_sources()[LEAFLET_JS]
        status, ctype, _ = _get(base + local[LEAFLET_CSS])
        assert status == 200 and ctype.startswith("text/css"), (status, ctype)
