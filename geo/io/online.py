"""Can OpenStreetMap be reached? One quick check before any download from it.

osmnx, left to itself on a machine without internet, tries a DNS-over-HTTPS lookup, fails to
read the Overpass status page, then pauses 60 s before its request fails: about a minute of
silence before one line of error. Every fetcher here calls :func:`require_osm_online` first
(a TCP connect to the Overpass host, or to the proxy when one is set, bounded in time) and
runs osmnx inside :func:`osmnx_limits` (a request timeout of a minute, not three).
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

from geo.locale import Msg, Worded

__all__ = ["OVERPASS_URL", "OfflineError", "osmnx_limits", "overpass_url", "require_osm_online"]

#: osmnx's default Overpass endpoint (used when osmnx is not imported yet: importing it takes seconds).
OVERPASS_URL = "https://overpass-api.de/api"
#: How long the check waits for the host (or the proxy) to answer, in seconds.
CHECK_SECONDS = 3.0


class OfflineError(Worded, ConnectionError):
    """OpenStreetMap cannot be reached from this machine: ``msg`` (``why.offline``) says where it
    tried, why it failed and what to do instead."""


def overpass_url() -> str:
    """The Overpass endpoint osmnx will use: its setting if osmnx is loaded, else the default."""
    ox_settings = sys.modules.get("osmnx.settings")
    return str(getattr(ox_settings, "overpass_url", OVERPASS_URL))


def _target(url: str) -> tuple[str, int, Msg | str]:
    """(host, port, label) that a request for ``url`` connects to first: the proxy if one is set
    for the URL's scheme in the environment (``https_proxy``, ``all_proxy``) and ``no_proxy``
    does not exempt the host, else the host itself."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(host):
        p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if p.hostname:
            return p.hostname, p.port or 8080, Msg.of("why.via_proxy", where=f"{p.hostname}:{p.port or 8080}")
    return host, port, f"{host}:{port}"


def _reason(exc: BaseException) -> Msg | str:
    if isinstance(exc, socket.gaierror):
        return Msg.of("why.net_no_dns")
    if isinstance(exc, ConnectionRefusedError):
        return Msg.of("why.net_refused")
    if isinstance(exc, TimeoutError | socket.timeout):
        return Msg.of("why.net_timeout")
    return getattr(exc, "strerror", None) or type(exc).__name__  # the system's own words


def _connect(host: str, port: int, timeout: float) -> Msg | str | None:
    """None when a TCP connection to ``host:port`` opens within ``timeout`` s, else the reason.

    The name lookup cannot be given a timeout, so the attempt runs in a daemon thread that is
    simply left behind when it takes too long.
    """
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="osm-online-check", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return Msg.of("why.net_no_answer", s=timeout)
    return None if outcome[0] is None else _reason(outcome[0])


def require_osm_online(instead: Msg | str, *, url: str | None = None, timeout: float = CHECK_SECONDS) -> None:
    """Raise :class:`OfflineError` unless the Overpass host (``url``, default :func:`overpass_url`)
    or the proxy in front of it accepts a connection within ``timeout`` seconds.

    ``instead`` ends the one-line message: what the user can do without internet, e.g.
    ``"use a walking network file: --network FILE"``.
    """
    host, port, label = _target(url or overpass_url())
    reason = _connect(host, port, timeout)
    if reason is not None:
        raise OfflineError(Msg.of("why.offline", where=label, reason=reason, instead=instead))


@contextlib.contextmanager
def osmnx_limits(timeout_s: float = 60.0) -> Iterator[None]:
    """osmnx settings for one download, restored afterwards: each request (and the Overpass
    query's own ``[timeout:]``) gives up after ``timeout_s`` seconds instead of 180."""
    import osmnx as ox  # local import: takes seconds

    saved = ox.settings.requests_timeout
    ox.settings.requests_timeout = timeout_s
    try:
        yield
    finally:
        ox.settings.requests_timeout = saved
