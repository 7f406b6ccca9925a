"""The nearest centres to a point: :class:`NearestJob` (``nearest``, the resident page)."""

from __future__ import annotations

from dataclasses import dataclass

from geo.engine import nearest
from geo.engine.graph import WalkGraph
from geo.io.district import Layers


@dataclass(frozen=True)
class NearestJob:
    """The ``k`` nearest of ``layers``' centres to a point, by walking time."""

    layers: Layers
    k: int = 3
    speed_kmh: float = 4.0
    mode: str = "circle"
    graph: WalkGraph | None = None

    def run(self, lon: float, lat: float, crs: str = "wgs84") -> nearest.NearestResult:
        """:func:`geo.engine.nearest.nearest_centers` inside this district."""
        return nearest.nearest_centers(self.layers.centers, lon, lat, crs=crs, k=self.k, speed_kmh=self.speed_kmh,
                                       mode=self.mode, graph=self.graph if self.mode == "network" else None,
                                       district=self.layers.district)
