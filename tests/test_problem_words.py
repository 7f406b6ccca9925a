"""The importers' problems are codes worded where shown: every reason the validators give for a
file full of mistakes reads as Chinese on a Chinese page and as English on an English one."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from geo.app.text import error_text
from geo.io import boundaries, centers, data
from geo.io.district import District
from geo.io.errors import DataError
from tests.conftest import JINPING

LATIN_SENTENCE = re.compile(r"[A-Za-z]+ [a-z]+ [a-z]+")  # three English words in a row


def _csv(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8-sig")


def bad_centres() -> bytes:
    """One row for each thing the centres validator refuses or warns about."""
    c = District.open().shipped("centers")
    comm = c[c["tier"] == "community"].iloc[0]
    rows = [
        ("", "", "station", c["lon"].iloc[0], c["lat"].iloc[0], "", ""),                 # empty name
        ("a", "x" * 201, "station", c["lon"].iloc[1], c["lat"].iloc[1], "", ""),         # long name
        ("b", "站b", "palace", c["lon"].iloc[2], c["lat"].iloc[2], "", ""),               # unknown tier
        ("b", "站c", "", c["lon"].iloc[3], c["lat"].iloc[3], "", ""),                     # empty tier, duplicate id
        ("d", "站d", "station", "abc", c["lat"].iloc[4], "", ""),                         # not a number
        ("e", "站e", "station", c["lat"].iloc[5], c["lon"].iloc[5], "", ""),              # swapped
        ("f", "站f", "station", 200, 23.4, "", ""),                                       # lon out of range
        ("g", "站g", "station", 116.2, 23.0, "", ""),                                     # outside the district
        ("h", "站h", "station", "", "", "", ""),                                          # empty coordinates
        ("i", "站i", "station", c["lon"].iloc[6], c["lat"].iloc[6], "不存在街道", ""),     # unknown street
        ("j", "站j", "community", comm["lon"], comm["lat"], "", "440507001001"),          # a community centre …
        ("j2", "站j2", "community", comm["lon"], comm["lat"], "", "440507001001"),        # … and a second one
        ("k", "站k", "station", c["lon"].iloc[7], c["lat"].iloc[7], "440507003", "440507001001"),  # wrong street
        ("l", "站l", "station", c["lon"].iloc[8], c["lat"].iloc[8], "440507001001", ""),  # code of another level
    ]
    df = pd.DataFrame(rows, columns=["id", "name", "tier", "lon", "lat", "street", "community"])
    df["extra"] = "x"  # a column that is not imported
    return _csv(df)


def test_every_reason_for_a_bad_centres_file_is_in_chinese(longhu):
    report = centers.import_centers(bad_centres(), filename="bad.csv", district=longhu)
    items = report.problems + report.warnings
    assert len(items) >= 12
    for p in items:
        zh = p.why("zh")
        assert zh != p.why("en") and not LATIN_SENTENCE.search(zh), (p.reason, zh)
        assert p.why("en") == str(p.reason)  # str() is English
    whys = {p.why("zh") for p in items}
    assert any("填反" in w for w in whys) and any("不在龙湖区内" in w for w in whys)
    assert any("已有村（社区）级中心" in w for w in whys) and any("不是数字" in w for w in whys)


def test_a_reason_names_the_district_of_the_page(other_district):
    """On Jinping's page a point outside is 'not in 金平区', with Jinping's point as the example."""
    jinping = other_district(JINPING)
    lon, lat = jinping.point
    sheet = pd.DataFrame({"name": ["远处", "坏数"], "tier": ["station"] * 2, "lon": [116.2, "abc"],
                          "lat": [23.0, lat]})
    report = centers.import_centers(_csv(sheet), filename="x.csv", district=jinping)
    whys = " ".join(p.why("zh") for p in report.problems)
    assert "不在金平区内" in whys and f"例如 {lon:.4f} 和 {lat:.4f}" in whys
    assert "龙湖" not in whys and "Jinping" not in whys


@pytest.mark.parametrize("payload, name", [
    (b"", "empty.csv"), (b"name,tier\nx,station\n", "no_lonlat.csv"), (b"\x00\x01", "nul.csv"),
    (b"PK\x03\x04", "old.xls"), (b"foo", "parts.shp"), (b"name,tier,lon,lat\n", "header_only.csv"),
    (b"not a zip", "bad.xlsx"),
])
def test_unreadable_files_are_said_in_chinese(payload, name, longhu):
    with pytest.raises(DataError) as info:
        centers.import_centers(payload, filename=name, district=longhu)
    zh = error_text(info.value, "zh").replace("\\", "")  # Markdown escapes
    bare = re.sub(r"（[^）]*）", "", zh.replace(name, ""))  # a library's own words in brackets may stay
    assert name in zh and not LATIN_SENTENCE.search(bare), zh
    assert error_text(info.value, "en") != zh


def test_boundary_reasons_are_in_chinese(longhu):
    gj = data.DATA_DIR / "streets.geojson"
    text = gj.read_text(encoding="utf-8").replace("金霞街道", "不存在的街道")
    report = boundaries.import_boundaries(io.BytesIO(text.encode()).getvalue(), "street", filename="s.geojson",
                                          district=longhu)
    for p in list(report.problems) + list(report.warnings):
        zh = p.why("zh")
        assert zh != p.why("en") and not LATIN_SENTENCE.search(zh), (p.reason, zh)
