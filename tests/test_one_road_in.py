"""One road in: random centre tables, good cells mixed with bad ones, give the same answer
(accepted, or the same first problem: row, column, reason, value and count) on every road a
planner can take -- the command line, the Python API, the in-memory validator the app's
table editor uses, and the store.

Adding a road is one function ``road(table, path) -> str | None`` and one entry in ``ROADS``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from geo import cli
from geo.io import centers, editing, store
from geo.io.district import District
from geo.io.errors import DataError

COLUMNS = ["id", "name", "tier", "lon", "lat"]
INSIDE = [("116.7417", "23.3956"), ("116.745", "23.398"), ("116.75", "23.39"), ("116.80", "23.38"),
          ("116.7300", "23.3700")]


def accepted_or_message(run: Callable[[], object]) -> str | None:
    """None when ``run`` accepts the table, else the one-line message of its DataError."""
    try:
        run()
    except DataError as exc:
        return str(exc)
    return None


# --------------------------------------------------------------------------- the roads


def road_cli(table: pd.DataFrame, path: Path) -> str | None:
    """``python -m geo nearest --centers FILE`` in this process: exit code and stderr."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = cli.main(["nearest", "--lon", "116.74", "--lat", "23.39", "--centers", str(path), "--json"])
    errors = [ln for ln in err.getvalue().splitlines() if ln.startswith("error: ")]
    assert rc in (0, 2) and len(errors) == (rc == 2), err.getvalue()
    return errors[0][len("error: "):] if errors else None


def road_load_centers(table: pd.DataFrame, path: Path) -> str | None:
    """A District's layers with a centres file (what every front end asks for)."""
    return accepted_or_message(lambda: District.open().layers(use_store=False, centers=path))


def road_import_centers(table: pd.DataFrame, path: Path) -> str | None:
    return accepted_or_message(lambda: centers.import_centers(path, district=District.open()).raise_for_problems())


def road_validate_frame(table: pd.DataFrame, path: Path) -> str | None:
    """The app's table editor and the store's edits: the frame itself, no file."""
    return accepted_or_message(lambda: centers.validate_centers(table, source=path.name, district=District.open())
                               .raise_for_problems())


def road_store(table: pd.DataFrame, path: Path) -> str | None:
    """The store: the table replaces the centres of a fresh store (nothing saved when refused)."""
    s = store.Store(path.with_name(f"store-{uuid.uuid4().hex}.gpkg"), district=District.open())  # a fresh store
    message = accepted_or_message(lambda: editing.CenterEditor(s).replace(table, "import", source=path.name))
    assert (s.head("centers") is None) == (message is not None)
    return message


ROADS: dict[str, Callable[[pd.DataFrame, Path], str | None]] = {
    "cli": road_cli, "load_centers": road_load_centers, "import_centers": road_import_centers,
    "validate_centers": road_validate_frame, "store": road_store,
}


# --------------------------------------------------------------------------- tables


GOOD_NAMES = st.one_of(st.sampled_from(["甲站", "Centre A", "金谷社区党群服务中心", "=SUM(A1)", "+1", "@cmd", "-2+3",
                                        "逗号,名", "引号\"名"]),
                       st.text(alphabet="甲乙丙abc ", min_size=1, max_size=6).filter(str.strip))
BAD_NAMES = st.sampled_from(["", " ", "x" * 201])


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, one_in: int) -> st.SearchStrategy:
    """``bad`` about once in ``one_in`` draws, else ``good`` (so later checks are reached too)."""
    return st.sampled_from(range(one_in)).flatmap(lambda k: bad if k == 0 else good)


NAMES = mostly(GOOD_NAMES, BAD_NAMES, 8)
TIERS = mostly(st.sampled_from(["station", "服务站", "street", "社区", "community", "区级"]),
              st.sampled_from(["castle", ""]), 8)
BAD_XY = st.sampled_from([("nan", "23.39"), ("116.74", "inf"), ("1e308", "1e308"), ("-1e400", "23.39"),
                          ("23.3956", "116.7417"), ("116.95", "23.45"), ("116.80", "23.27"), ("", ""),
                          ("116.74", ""), ("abc", "23.39"), ("200", "23.39"), ("116.74", "95")])
XY = mostly(st.sampled_from(INSIDE), BAD_XY, 3)
IDS = mostly(st.sampled_from(["", "C1", "C2", "X9"]), st.just("C1"), 6)
ROW = st.tuples(IDS, NAMES, TIERS, XY).map(lambda r: {"id": r[0], "name": r[1], "tier": r[2],
                                                      "lon": r[3][0], "lat": r[3][1]})
FRAMES = st.lists(ROW, min_size=0, max_size=6).map(lambda rows: pd.DataFrame(rows, columns=COLUMNS, dtype=object))


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    """A random table; about one in ten has a NUL byte in one cell (a binary file saved as CSV,
    a pasted control character)."""
    table = draw(FRAMES)
    if len(table) and draw(st.sampled_from(range(10))) == 0:
        i, j = draw(st.integers(0, len(table) - 1)), draw(st.integers(0, len(COLUMNS) - 1))
        table.iloc[i, j] = draw(st.sampled_from(["a\x00b", "\x00", "116.74\x00"]))
    return table


TABLES = tables()


def write_csv(table: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(table[COLUMNS].itertuples(index=False))


GOOD = pd.DataFrame([{"id": "", "name": "甲站", "tier": "station", "lon": "116.7417", "lat": "23.3956"}])
TWO_BAD = pd.DataFrame([{"id": "C1", "name": "", "tier": "castle", "lon": "1e308", "lat": "1e308"},
                        {"id": "C1", "name": "乙", "tier": "station", "lon": "116.80", "lat": "23.27"}])


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("GEO_FUZZ_EXAMPLES", "40")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=TABLES)
@example(table=GOOD)
@example(table=TWO_BAD)
@example(table=GOOD.assign(name="a\x00b"))
def test_every_road_gives_the_same_answer(tmp_path, table):
    path = tmp_path / "centres.csv"
    write_csv(table, path)
    answers = {name: road(table, path) for name, road in ROADS.items()}
    assert len(set(answers.values())) == 1, answers
    event("accepted" if answers["cli"] is None else answers["cli"].split(": ", 1)[1].split(";")[0][:40])
    if table.equals(GOOD):
        assert answers["cli"] is None
    if table.equals(TWO_BAD):
        assert answers["cli"].startswith("centres.csv, row 2, column name: empty name")
