"""The analysis a page works on: the layers in use, the controls, and the coverage they give.

The planner and the data page (whose export carries the current results) call :func:`analyse`;
it shows its own messages (a bad number, no tier, an engine error) and returns a :class:`Ctx`
whose ``result`` is None when nothing could be computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from geo.app import cache, state
from geo.app.page import Frame, network_graph
from geo.app.state import Controls, ss
from geo.app.text import error_text, tr
from geo.engine import coverage as cv
from geo.engine.graph import NetworkError, WalkGraph
from geo.io.district import District, Layers


@dataclass(frozen=True)
class Ctx:
    """One run of a page: the layers in use (of the page's District, :attr:`place`), the
    controls, and the analysis (None when it could not run: no tier chosen, a bad number, an
    engine error already shown). ``key`` names the analysis; it starts with the district's code."""

    layers: Layers
    lang: str
    controls: Controls
    result: cv.CoverageResult | None
    key: tuple
    graph: WalkGraph | None
    basemap: str
    view: str

    @property
    def place(self) -> District:
        """The District of the page."""
        return self.layers.place


def analyse(frame: Frame, quiet: bool = False) -> Ctx:
    """The analysis for the controls; its problems are messages (none with ``quiet``)."""
    lang, layers = frame.lang, frame.layers
    graph = network_graph()
    net = ss.get("network")
    c = state.controls(lang, graph is not None)
    key = (layers.place.code, layers.token, c.mode, c.minutes, c.speed, c.tiers, net["token"] if net else None)
    result = None
    if c.problem:
        if not quiet:
            st.error(tr("bad_settings", lang))
    elif not c.tiers:
        if not quiet:
            st.warning(tr("no_tier", lang))
    else:
        try:
            with st.spinner(tr("computing", lang)):
                result = cache.analysis(*key, layers, graph)
        except (cv.CoverageError, NetworkError) as exc:
            st.error(tr("error_cov", lang, msg=error_text(exc, lang)))
    return Ctx(layers, lang, c, result, key, graph, ss["basemap"], ss["view"])
