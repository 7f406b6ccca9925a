"""Offline, `fetch-network` says so within seconds, in one line, with what to load instead.

Before: osmnx tried DNS-over-HTTPS, failed to read the Overpass status page, paused 60 s and only
then failed (about 68 s on this machine). The check connects to the Overpass host (or to the
proxy in front of it) with a bounded wait before osmnx is even imported.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import shapely

from geo.engine.graph import NetworkError
from geo.io import networks, online

REPO = Path(__file__).resolve().parents[1]
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxy_env(monkeypatch):
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _fetch(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess, float, Path]:
    out = tmp_path / "walk.graphml"
    full_env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARS}
    full_env.update(env, PYTHONPATH=str(REPO))
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "geo", "fetch-network", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, env=full_env, timeout=120)
    return done, time.monotonic() - start, out


def _one_honest_line(done: subprocess.CompletedProcess, took: float, out: Path) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert took < 5.0, f"took {took:.1f} s"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and done.stdout == "", (done.stdout, done.stderr)
    line = lines[0]
    for needle in ("could not reach OpenStreetMap", "--network", ".osm.pbf", "GraphML", ".osm",
                   "Geofabrik", "docs/cli.md"):
        assert needle in line, line
    assert "Traceback" not in done.stderr and not out.exists()
    return line


def test_fetch_network_offline_fails_in_seconds_with_one_line(tmp_path):
    if online._connect(*online._target(online.OVERPASS_URL)[:2], 3.0) is None:
        pytest.skip("OpenStreetMap is reachable from this machine")
    done, took, out = _fetch(tmp_path)
    _one_honest_line(done, took, out)


def test_a_proxy_that_refuses_is_reported_in_seconds(tmp_path):
    """The check goes through the proxy the environment names (as requests would)."""
    port = _closed_port()
    done, took, out = _fetch(tmp_path, https_proxy=f"http://127.0.0.1:{port}")
    line = _one_honest_line(done, took, out)
    assert f"proxy 127.0.0.1:{port}: connection refused" in line


def test_the_check_uses_the_proxy_unless_no_proxy_exempts_the_host(no_proxy_env):
    with socket.socket() as listener:  # a "proxy" that accepts connections
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        no_proxy_env.setenv("https_proxy", f"http://127.0.0.1:{port}")
        host, at, label = online._target("https://overpass.example.invalid/api")
        assert (host, at, str(label)) == ("127.0.0.1", port, f"proxy 127.0.0.1:{port}")
        online.require_osm_online("load a file", url="https://overpass.example.invalid/api")
        no_proxy_env.setenv("no_proxy", "overpass.example.invalid")
        assert online._target("https://overpass.example.invalid/api")[:2] == ("overpass.example.invalid", 443)
        with pytest.raises(online.OfflineError, match=r"overpass.example.invalid:443.*; load a file$"):
            online.require_osm_online("load a file", url="https://overpass.example.invalid/api")


def test_a_host_that_never_answers_is_given_up_after_the_timeout(monkeypatch, no_proxy_env):
    """Even a name lookup that hangs (it takes no timeout) is left behind after ``timeout``."""
    def hangs(*args, **kwargs):
        time.sleep(5)
        raise OSError("too late")

    monkeypatch.setattr(online.socket, "create_connection", hangs)
    start = time.monotonic()
    with pytest.raises(online.OfflineError) as info:
        online.require_osm_online("do something else", url="https://overpass-api.de/api", timeout=0.5)
    assert time.monotonic() - start < 1.5
    assert str(info.value) == ("could not reach OpenStreetMap (overpass-api.de:443: no answer within "
                               "0.5 s); do something else")


def test_offline_the_download_is_never_attempted(monkeypatch, tmp_path):
    ox = pytest.importorskip("osmnx")

    def attempted(*args, **kwargs):
        raise AssertionError("osmnx was asked to download while offline")

    def offline(instead, **kwargs):
        raise online.OfflineError(f"could not reach OpenStreetMap (test); {instead}")

    monkeypatch.setattr(ox, "graph_from_polygon", attempted)
    monkeypatch.setattr(networks, "require_osm_online", offline)
    with pytest.raises(NetworkError, match=r"could not reach OpenStreetMap \(test\); use a walking network"):
        networks.fetch_network(shapely.box(116.68, 23.36, 116.72, 23.40), path=tmp_path / "w.graphml")
    assert not (tmp_path / "w.graphml").exists()


def test_an_osmnx_failure_after_the_check_is_one_line_too(monkeypatch, tmp_path):
    ox = pytest.importorskip("osmnx")
    requests = pytest.importorskip("requests")
    seen = {}

    def fails(*args, **kwargs):
        seen["timeout"] = ox.settings.requests_timeout
        raise requests.exceptions.ConnectionError("Connection reset by peer")

    before = ox.settings.requests_timeout
    monkeypatch.setattr(networks, "require_osm_online", lambda instead, **kw: None)
    monkeypatch.setattr(ox, "graph_from_polygon", fails)
    with pytest.raises(NetworkError) as info:
        networks.fetch_network(shapely.box(116.68, 23.36, 116.72, 23.40), path=tmp_path / "w.graphml")
    assert "\n" not in str(info.value) and "--network FILE" in str(info.value)
    assert seen["timeout"] == 60.0 and ox.settings.requests_timeout == before  # restored afterwards


def test_the_check_is_one_function_fetchers_share():
    assert networks.require_osm_online is online.require_osm_online
    assert online.overpass_url().startswith("https://")
