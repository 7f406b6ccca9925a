"""Every number a user can set is checked: NaN, infinities, negatives and absurd values are
refused with one line naming the option, by the command line and by the API alike."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely

from geo import cli
from geo.engine import coverage as cv
from geo.engine import nearest, siting

BAD_MINUTES = ["nan", "inf", "-inf", "-5", "0", "121", "1e9", "5,nan", "nan,15"]
BAD_SPEED = ["nan", "inf", "-inf", "0", "-1", "21", "1e6"]
BAD_BUFFER = ["nan", "inf", "-1", "501"]
BAD_MIN_GAP = ["nan", "inf", "-inf", "-1"]

COVERAGE_CASES = ([("--minutes", v) for v in BAD_MINUTES] + [("--speed-kmh", v) for v in BAD_SPEED]
                  + [("--buffer-m", v) for v in BAD_BUFFER] + [("--min-gap-m2", v) for v in BAD_MIN_GAP])


def _refused(capsys, argv: list[str], option: str) -> str:
    """Run the command line in-process; it must exit 2 with exactly one stderr line naming ``option``."""
    code = cli.main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and option in lines[0], err
    return lines[0]


@pytest.mark.parametrize("option,value", COVERAGE_CASES)
def test_coverage_refuses_bad_numbers(capsys, tmp_path, option, value):
    line = _refused(capsys, ["coverage", "--out", str(tmp_path), f"{option}={value}"], option)
    assert not any(tmp_path.iterdir())  # nothing written
    if "nan" in value:
        assert "nan" in line  # the refused value is named


@pytest.mark.parametrize("option,value", COVERAGE_CASES + [("--k", v) for v in ("0", "21", "-3", "nan", "2.5")])
def test_suggest_refuses_bad_numbers(capsys, tmp_path, option, value):
    argv = ["suggest", "--out", str(tmp_path), f"{option}={value}"]
    if option != "--k":
        argv += ["--k", "3"]
    _refused(capsys, argv, option)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("option,value", [("-k", v) for v in ("0", "-1", "51", "1000000", "nan", "2.5")]
                         + [("--lon", v) for v in ("nan", "inf", "-inf", "181", "-1e9")]
                         + [("--lat", v) for v in ("nan", "inf", "91", "-91")]
                         + [("--speed-kmh", v) for v in BAD_SPEED])
def test_nearest_refuses_bad_numbers(capsys, option, value):
    point = {"--lon": "116.75", "--lat": "23.39"}
    point.pop(option, None)  # the option under test replaces its default
    argv = ["nearest", *[x for pair in point.items() for x in pair], f"{option}={value}"]
    _refused(capsys, argv, option)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "10001", "1e12"])
def test_fetch_network_refuses_bad_margin_before_going_online(capsys, tmp_path, monkeypatch, value):
    ox = pytest.importorskip("osmnx")

    def online(*args, **kwargs):
        raise AssertionError("the download was attempted")

    monkeypatch.setattr(ox, "graph_from_polygon", online)
    out = tmp_path / "walk.graphml"
    _refused(capsys, ["fetch-network", "--out", str(out), f"--margin-m={value}"], "--margin-m")
    assert not out.exists()


# --------------------------------------------------------------------------- the API says the same


@pytest.mark.parametrize("field,value", [
    ("minutes", (math.nan,)), ("minutes", (math.inf,)), ("minutes", (-5.0,)), ("minutes", (0.0,)),
    ("minutes", (121.0,)), ("minutes", (5.0, math.nan)), ("minutes", ()),
    ("speed_kmh", math.nan), ("speed_kmh", math.inf), ("speed_kmh", 0.0), ("speed_kmh", -1.0),
    ("speed_kmh", 21.0),
    ("buffer_m", math.nan), ("buffer_m", math.inf), ("buffer_m", -1.0), ("buffer_m", 501.0),
    ("min_gap_m2", math.nan), ("min_gap_m2", math.inf), ("min_gap_m2", -1.0),
    ("max_snap_m", math.nan), ("max_snap_m", math.inf), ("max_snap_m", 0.0), ("max_snap_m", -1.0),
    ("speed_kmh", "fast"), ("buffer_m", None),
])
def test_settings_refuse_bad_numbers(field, value):
    with pytest.raises(cv.CoverageError) as info:
        cv.Settings(**{field: value})
    text = str(info.value)
    assert field in text
    assert info.value.setting == field
    if isinstance(value, float):
        assert f"{value:g}" in text  # the value itself is named
    assert "\n" not in text


def test_settings_accept_the_edges():
    s = cv.Settings(minutes=(120, 0.5), speed_kmh=20, buffer_m=0, min_gap_m2=0, max_snap_m=1)
    assert s.minutes == (0.5, 120.0) and s.speed_kmh == 20 and s.buffer_m == 0


def _centres() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": ["a", "b"], "name": ["A", "B"], "tier": ["station", "station"]},
                            geometry=[shapely.Point(116.75, 23.39), shapely.Point(116.76, 23.39)],
                            crs="EPSG:4326")


@pytest.mark.parametrize("kwargs,setting", [
    ({"k": 0}, "k"), ({"k": 51}, "k"), ({"k": 2.5}, "k"), ({"k": True}, "k"),
    ({"lon": math.nan}, "lon"), ({"lon": math.inf}, "lon"), ({"lat": math.nan}, "lat"), ({"lat": 95.0}, "lat"),
    ({"speed_kmh": math.nan}, "speed_kmh"), ({"speed_kmh": 0.0}, "speed_kmh"), ({"speed_kmh": 25.0}, "speed_kmh"),
    ({"max_snap_m": math.nan}, "max_snap_m"), ({"max_snap_m": -1.0}, "max_snap_m"),
])
def test_nearest_refuses_bad_numbers_in_the_api(kwargs, setting):
    args = {"lon": 116.75, "lat": 23.39, **kwargs}
    with pytest.raises(cv.CoverageError) as info:
        nearest.nearest_centers(_centres(), **args)
    assert info.value.setting == setting and setting in str(info.value)


@pytest.mark.parametrize("field,value", [
    ("candidate_cell_m", math.nan), ("demand_cell_m", math.inf), ("candidate_margin_m", math.nan),
    ("candidate_margin_m", -1.0), ("time_limit_s", math.nan), ("time_limit_s", 0.0),
    ("exact_max_terms", 0), ("exact_max_terms", math.nan),
])
def test_siting_options_refuse_bad_numbers(field, value):
    with pytest.raises(siting.SitingError) as info:
        siting.SitingOptions(**{field: value})
    assert info.value.setting == field and field in str(info.value)


@pytest.mark.parametrize("k", [0, 21, -1, 2.5, math.nan, True, "3"])
def test_siting_k_checked(k):
    with pytest.raises(siting.SitingError) as info:
        siting.check_k(k)
    assert info.value.setting == "k"


@pytest.mark.parametrize("option,field,value", [("--minutes", "minutes", "nan"),
                                                 ("--speed-kmh", "speed_kmh", "21"),
                                                 ("--buffer-m", "buffer_m", "-1"),
                                                 ("--min-gap-m2", "min_gap_m2", "inf")])
def test_the_command_line_shows_the_api_message(capsys, tmp_path, option, field, value):
    line = _refused(capsys, ["coverage", "--out", str(tmp_path), f"{option}={value}"], option)
    with pytest.raises(cv.CoverageError) as info:
        cv.Settings(**{field: (float(value),) if field == "minutes" else float(value)})
    assert line == f"error: {option}: {info.value}"
