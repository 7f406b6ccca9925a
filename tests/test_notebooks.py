"""Execute the notebooks so they never go stale, and check the walkthrough's figures.

The figures the walkthrough shows (district area, centres by tier, covered shares for 5/10/15
minutes and for elderly walkers) are compared with values computed here independently of
``geo.engine.coverage``: the area with geodesic formulas (pyproj.Geod), the covered share by
buffering the centres in a Lambert equal-area projection centred on the district.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from nbclient import NotebookClient

from geo.io import data

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
WALKTHROUGH = REPO / "notebooks" / "coverage_walkthrough.ipynb"
LAEA = "+proj=laea +lat_0=23.39 +lon_0=116.76 +datum=WGS84"  # equal-area, centred on Longhu
TIERS = {"district": 1, "street": 10, "community": 125, "station": 36}


def _execute(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _texts(nb: nbformat.NotebookNode, tag: str) -> list[str]:
    """Printed lines and the displayed value (text/plain) of the cell tagged ``tag``."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    out = []
    for o in cells[0].outputs:
        out += str(o.get("text", "")).splitlines()
        if "text/plain" in o.get("data", {}):
            out.append(o["data"]["text/plain"])
    return [t for t in out if t.strip()]


def _value(nb: nbformat.NotebookNode, tag: str, index: int = -1):
    return ast.literal_eval(_texts(nb, tag)[index])


@pytest.fixture(scope="module")
def walkthrough() -> nbformat.NotebookNode:
    return _execute(WALKTHROUGH)


@pytest.fixture(scope="module")
def independent() -> dict:
    """District area (geodesic) and covered % at 333/667/750/1000 m (equal-area buffers)."""
    district = data.load_district(data.DATA_DIR / "district.geojson").geometry.iat[0]  # the shipped file
    table = pd.read_csv(REPO / "data" / "boundaries" / "centers.csv")  # the shipped file, read directly
    area_km2 = abs(pyproj.Geod(ellps="WGS84").geometry_area_perimeter(district)[0]) / 1e6
    fwd = pyproj.Transformer.from_crs("EPSG:4326", LAEA, always_xy=True)
    d = shapely.transform(district, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))
    pts = shapely.points(np.column_stack(fwd.transform(table["lon"].to_numpy(), table["lat"].to_numpy())))
    pct = {r: 100 * shapely.intersection(d, shapely.union_all(shapely.buffer(pts, r, quad_segs=64))).area / d.area
           for r in (1000 / 3, 2000 / 3, 750.0, 1000.0)}  # 5, 10, 15 min at 4 km/h; 15 min at 3 km/h
    return {"area_km2": area_km2, "pct": pct, "tiers": table["tier"].value_counts().to_dict()}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_runs_without_errors(path, request):
    nb = request.getfixturevalue("walkthrough") if path == WALKTHROUGH else _execute(path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors


@pytest.mark.slow
def test_walkthrough_layers_are_the_district_its_streets_communities_and_172_centres(walkthrough, independent):
    counts, tiers = _texts(walkthrough, "layers")[:2]
    assert counts.split() == ["1", "10", "125", "172"]
    assert ast.literal_eval(tiers) == TIERS == independent["tiers"]


@pytest.mark.slow
def test_walkthrough_circle_figures_match_an_independent_computation(walkthrough, independent):
    headline = _value(walkthrough, "circle", 0)
    assert headline["n_centers"] == 172
    assert headline["district_area_km2"] == pytest.approx(141.8, abs=0.05)
    assert headline["district_area_km2"] == pytest.approx(independent["area_km2"], abs=0.2)  # UTM vs geodesic
    by_minutes = _value(walkthrough, "circle")  # {5.0: …, 10.0: …, 15.0: …}
    want = dict(zip((5.0, 10.0, 15.0), (independent["pct"][r] for r in (1000 / 3, 2000 / 3, 1000.0))))
    assert set(by_minutes) == set(want)
    for minutes, pct in by_minutes.items():
        assert pct == pytest.approx(want[minutes], abs=0.5), minutes
    assert by_minutes[5.0] < by_minutes[10.0] < by_minutes[15.0]
    assert headline["covered_pct"] == pytest.approx(by_minutes[15.0], abs=0.06)
    assert 90 < headline["covered_pct"] < 99  # the shipped layout leaves a few gaps


@pytest.mark.slow
def test_walkthrough_elderly_walkers_cover_less(walkthrough, independent):
    elderly, adult = _value(walkthrough, "elderly")
    assert elderly == pytest.approx(independent["pct"][750.0], abs=0.5)
    assert adult == pytest.approx(independent["pct"][1000.0], abs=0.5)
    assert elderly < adult - 5


@pytest.mark.slow
def test_walkthrough_street_table_and_network_mode(walkthrough):
    table = _texts(walkthrough, "streets")[-1].splitlines()
    assert len(table) == 11  # header and the 10 streets
    network_pct, unreachable = _value(walkthrough, "network")
    circle_pct = _value(walkthrough, "circle", 0)["covered_pct"]
    assert 0 < network_pct < circle_pct  # only what can be walked along streets counts
    assert unreachable == 0  # every centre is within 200 m of the 100 m grid
    nearest = _texts(walkthrough, "nearest")[-1].splitlines()
    assert len(nearest) == 4 and "distance_m" in nearest[0]  # header and the 3 nearest centres


def test_walkthrough_exists_and_its_figure_cells_are_tagged():
    assert WALKTHROUGH in NOTEBOOKS
    nb = nbformat.read(WALKTHROUGH, as_version=4)
    tags = {t for c in nb.cells for t in c.get("metadata", {}).get("tags", [])}
    assert {"layers", "circle", "elderly", "streets", "network", "nearest"} <= tags
