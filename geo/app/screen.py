"""What the page gives each screen, and what a screen gives back.

``app.py`` wires the screens (planner, resident, data) into :func:`geo.app.page.run`; each is a
:class:`Screen`: what to draw beside the map (returning an :class:`Overlay` for the map), what
to draw below it, and what a click on the map means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import folium

from geo.app.cache import Layers
from geo.app.state import Controls
from geo.engine import coverage as cv
from geo.engine import nearest
from geo.engine.graph import WalkGraph
from geo.io import store as gstore


@dataclass(frozen=True)
class Ctx:
    """One run of the page: the layers in use, the controls, and the analysis (None when it
    could not run: no tier chosen, a bad number, an engine error already shown)."""

    layers: Layers
    lang: str
    store: gstore.Store
    controls: Controls
    result: cv.CoverageResult | None
    key: tuple
    graph: WalkGraph | None
    basemap: str
    view: str


def _no_groups() -> list[folium.FeatureGroup]:
    return []


def _no_view() -> tuple[list[float], int] | None:
    return None


@dataclass(frozen=True)
class Overlay:
    """A screen's additions to the map, built when the map is drawn (so a map problem is one
    message): feature groups above the analysis layers, and the centre and zoom to show."""

    groups: Callable[[], list[folium.FeatureGroup]] = _no_groups
    view: Callable[[], tuple[list[float], int] | None] = _no_view
    query: nearest.NearestResult | None = None
    selected_gap: bool = False


@dataclass(frozen=True)
class Screen:
    """A screen of the page: ``side(ctx)`` beside the map, ``below(ctx)`` under it (only with
    an analysis), ``click((lon, lat))`` for a new click on the map (WGS-84)."""

    side: Callable[[Ctx], Overlay]
    below: Callable[[Ctx], None] | None = None
    click: Callable[[tuple[float, float]], None] | None = None
