"""One validator per kind, one coordinate check for all: centres, candidates and boundaries
share ``registry.check_coordinates``; user boundaries from the command line go through
``import_boundaries``; the app's table editor calls ``validate_centers`` directly."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity

from geo.io import boundaries, candidates, centers, registry
from geo.io.district import District
from geo.io.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
IN = "116.7417,23.3956"


# --------------------------------------------------------------------------- the coordinate check


def test_check_coordinates_reasons_in_one_vectorised_call(longhu):
    lon = ["116.7417", "", "", "abc", "23.3956", "200", "116.74", "116.95", "１１６.７４", "1e400"]
    lat = ["23.3956", "", "23.39", "23.39", "116.7417", "23.39", "95", "23.45", "23.39", "23.39"]
    c = registry.check_coordinates(lon, lat, district=longhu.outline)
    reasons = {i.index: str(i.reason) for i in c.issues}
    assert set(reasons) == {1, 2, 3, 4, 5, 6, 7, 9}
    assert "empty coordinates" in reasons[1] and reasons[2] == "empty longitude"
    assert "not a number" in reasons[3] and "not a number" in reasons[9]
    assert "swapped" in reasons[4] and "longitude out of range" in reasons[5]
    assert "latitude out of range" in reasons[6] and "outside Longhu District" in reasons[7]
    assert list(np.flatnonzero(c.ok)) == [0, 8]
    assert c.lon[0] == pytest.approx(116.7417) and np.isnan(c.lon[3])


def test_check_coordinates_accounts_for_every_row_of_a_large_column(longhu):
    """Every row of a large column is either valid or named by an issue (speed: a benchmark's job,
    not a timed unit test on a shared machine)."""
    rng = np.random.default_rng(1)
    n = 100_000
    lon = (116.70 + 0.13 * rng.random(n)).astype(str)
    lat = (23.31 + 0.16 * rng.random(n)).astype(str)
    c = registry.check_coordinates(lon, lat, district=longhu.outline)
    assert c.ok.sum() + len({i.index for i in c.issues}) == n and c.ok.sum() > 0


def test_every_validator_uses_the_one_coordinate_check(monkeypatch, tmp_path, longhu):
    calls = []
    real = registry.check_coordinates

    def spy(*args, **kwargs):
        calls.append(kwargs.get("tolerance_m", 0.0))
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "check_coordinates", spy)
    body = f"name,tier,lon,lat\nA,station,{IN}\n".encode()
    centers.import_centers(body, filename="c.csv", district=longhu)
    centers.validate_centers(pd.DataFrame({"name": ["A"], "tier": ["station"], "lon": [116.7417],
                                           "lat": [23.3956]}), district=longhu)
    candidates.import_candidates(b"name,lon,lat\nA," + IN.encode() + b"\n", filename="k.csv",
                                 district=longhu.outline)
    boundaries.import_boundaries(longhu.folder / "streets.geojson", district=longhu)
    assert len(calls) == 4 and calls[-1] > 0  # boundaries allow a few kilometres of slack


# --------------------------------------------------------------------------- boundaries


def street_file(tmp_path: Path, transform) -> Path:
    s = District.open().shipped("streets")[["code", "name", "geometry"]].copy()
    s.loc[0, "geometry"] = transform(s.geometry.iat[0])
    p = tmp_path / "streets.geojson"
    fc = json.loads(s.to_json())
    p.write_text(json.dumps(fc), encoding="utf-8")
    return p


def test_boundary_with_huge_coordinates_is_a_row_error(tmp_path, longhu):
    p = street_file(tmp_path, lambda g: shapely.Polygon([(1e308, 1e308), (1e308, -1e308), (-1e308, 0)]))
    rep = boundaries.import_boundaries(p, "street", district=longhu)
    bad = [pr for pr in rep.problems if pr.row == 1]
    assert bad and bad[0].column == "geometry" and "out of range" in bad[0].why()
    assert len(rep.layer) == 9 and np.isfinite(shapely.area(rep.layer.geometry.values)).all()
    with pytest.raises(DataError, match="streets.geojson, row 1, column geometry"):
        longhu.user_boundaries(p, "street")


def test_boundary_far_outside_the_district_is_a_row_error(tmp_path, longhu):
    p = street_file(tmp_path, lambda g: shapely.affinity.translate(g, 0.2, 0))  # ~20 km east
    rep = boundaries.import_boundaries(p, "street", district=longhu)
    bad = [pr for pr in rep.problems if pr.row == 1]
    assert bad and bad[0].column == "geometry" and "outside Longhu District" in bad[0].why()
    assert "m from its outline" in bad[0].why()
    near = street_file(tmp_path, lambda g: shapely.affinity.translate(g, 0.005, 0))  # ~500 m: a warning at most
    assert boundaries.import_boundaries(near, "street", district=longhu).ok


def test_user_boundaries_from_a_path_go_through_the_validator(tmp_path, longhu, monkeypatch):
    comms = longhu.shipped("communities")
    comms.assign(population=1000.0).to_file(tmp_path / "c.geojson")
    calls = []
    real = boundaries.import_boundaries
    monkeypatch.setattr(boundaries, "import_boundaries", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    got = longhu.user_boundaries(tmp_path / "c.geojson", "community")
    assert calls == ["community"]  # the one validator, not a reader of its own
    assert list(got["code"]) == list(comms["code"]) and (got["population"] == 1000.0).all()
    assert (got["geometry_source"] == "user").all()  # a file the planner gives is theirs
    bad = comms.copy()
    bad.loc[3, "code"] = "440507999999"
    bad.loc[3, "name"] = "不存在村"
    bad.to_file(tmp_path / "bad.geojson")
    with pytest.raises(DataError, match="bad.geojson, row 4.*not matched to the registry"):
        longhu.user_boundaries(tmp_path / "bad.geojson", "community")


@pytest.mark.parametrize("level,layer", [("street", "streets"), ("community", "communities")])
def test_shipped_boundaries_pass_the_validator(level, layer, longhu):
    fast = longhu.shipped(layer)
    rep = boundaries.import_boundaries(longhu.folder / f"{layer}.geojson", level, district=longhu)
    assert rep.ok and rep.missing.empty and len(rep.layer) == len(fast)
    a = rep.layer.set_index("code").geometry
    b = fast.set_index("code").geometry
    assert all(a[c].equals_exact(b[c], 1e-9) for c in b.index)


# --------------------------------------------------------------------------- the app's table editor


def test_the_table_editor_validates_the_frame_without_a_csv_round_trip(monkeypatch, longhu):
    from geo.app import data_edit as datapage

    layers = longhu.layers()
    before = datapage.editor_table(layers)
    after = before.copy()
    after.loc[3, "name"] = ""
    after.loc[5, "lon"] = 116.95

    def refuse(*a, **k):
        raise AssertionError("the editor must not go through the file importer")

    monkeypatch.setattr(centers, "import_centers", refuse)
    gdf, problems = datapage.apply_edit(layers, after, datapage.edit_plan(before, after), "en")
    assert gdf is None and {(p.row, p.column) for p in problems} == {(4, "name"), (6, "lon/lat")}


# --------------------------------------------------------------------------- size of functions


OWNED = ["geo/io/sources.py", "geo/io/schemas.py", "geo/io/centers.py", "geo/io/candidates.py", "geo/io/registry.py",
         "geo/io/boundaries.py", "geo/io/data.py", "geo/io/cells.py", "geo/io/district.py", "geo/io/stamp.py"]


@pytest.mark.parametrize("path", OWNED)
def test_functions_are_short(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    long = [f"{n.name} ({n.end_lineno - n.lineno + 1} lines)" for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert not long, long
    assert len((ROOT / path).read_text(encoding="utf-8").splitlines()) <= 600
