"""The district is held, not in the air (issue 20): a District value made from an adcode carries
its names, outline, metric CRS, registry, layers and store; every validator names the district it
is handed, and the layers in use have one order of precedence.

Districts held: Longhu (the shipped layers) and three others built once per run
(``district_cache``): Jinping, a city district; Nan'ao, an island county; Ruoqiang, a large
rural county of the west (UTM zone 45N).
"""

from __future__ import annotations

import pickle

import geopandas as gpd
import pandas as pd
import pytest

from geo.io import boundaries, candidates, centers, registry
from geo.io.district import District
from geo.io.errors import DataError
from geo.io.store import Store
from tests.conftest import JINPING, NANAO, OTHERS, RUOQIANG

#: name in English, streets and communities in its registry (the national registry shipped with the tool)
FACTS = {JINPING: ("Jinping District", 12, 170), NANAO: ("Nan'ao County", 3, 46),
         RUOQIANG: ("Ruoqiang County", 8, 54)}
IN_LONGHU = (116.7417, 23.3956)


def frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same columns, values and (for GeoDataFrames) geometries."""
    if isinstance(a, gpd.GeoDataFrame):
        same_geom = a.geometry.reset_index(drop=True).geom_equals_exact(b.geometry.reset_index(drop=True), 0).all()
        a, b = pd.DataFrame(a.drop(columns=a.geometry.name)), pd.DataFrame(b.drop(columns=b.geometry.name))
        if not same_geom:
            return False
    return a.reset_index(drop=True).equals(b.reset_index(drop=True))


# --------------------------------------------------------------------------- the value


@pytest.mark.parametrize("code", OTHERS)
def test_each_district_carries_its_own_names_outline_crs_and_layers(other_district, code):
    place = other_district(code)
    name, n_streets, n_communities = FACTS[code]
    assert place.code == code and place.label("en") == name and place.outline["code"].iat[0] == code
    assert place.metric_crs == ("EPSG:32645" if code == RUOQIANG else "EPSG:32650")  # its own UTM zone
    div = place.divisions
    assert ((div["level"] == "street").sum(), (div["level"] == "community").sum()) == (n_streets, n_communities)
    L = place.layers()
    assert L.place == place and L.district["code"].iat[0] == code
    assert set(L.streets["code"]) == set(div.loc[div["level"] == "street", "code"])
    assert set(L.communities["code"]) == set(div.loc[div["level"] == "community", "code"])
    assert len(L.centers) > n_communities and L.centers["street_code"].map(place.owns).all()
    assert L.sources == dict.fromkeys(("district", "streets", "communities", "centers"), "shipped")
    assert L.illustrative and not L.notes and L.note() == ""
    inside = L.centers.within(place.geometry.buffer(1e-9))
    assert inside.all()  # every centre lies in this district, none in Longhu
    assert not L.centers.within(District.open().geometry).any()


@pytest.mark.parametrize("code", OTHERS)
def test_a_district_pickled_for_a_worker_is_the_same_value_with_the_same_layers(other_district, code):
    place = other_district(code)
    back = pickle.loads(pickle.dumps(place))
    assert back == place and hash(back) == hash(place) and back is not place
    a, b = place.layers(), back.layers()
    for layer in ("district", "divisions", "streets", "communities", "centers"):
        assert frames_equal(getattr(a, layer), getattr(b, layer)), layer
    assert a.sources == b.sources and a.token == b.token
    assert back.store_path == place.store_path and back.label("zh", full=True) == place.label("zh", full=True)


def test_equal_by_value_wherever_it_was_made(other_district, tmp_path, monkeypatch):
    place = other_district(JINPING)
    assert District.from_folder(place.folder, store=place.store_path) == place
    assert District(JINPING, str(place.folder), str(place.store_path)) == place  # text paths too
    monkeypatch.chdir(place.folder.parent)  # a worker's working folder differs: relative paths are made absolute
    assert District(JINPING, place.folder.name, place.store_path) == place
    assert place != District.open() and place.with_store(tmp_path / "x.gpkg") != place
    assert {place, pickle.loads(pickle.dumps(place))} == {place}


def test_longhu_is_only_the_default_code(longhu):
    assert longhu.code == "440507" and longhu.label("en") == "Longhu District" and longhu.slug == "longhu"
    with pytest.raises(TypeError, match="district="):
        Store(longhu.store_path, district=None)  # a store is never without its district


# --------------------------------------------------------------------------- validators name their district


@pytest.mark.parametrize("code", OTHERS)
def test_the_validators_name_the_district_they_are_handed(other_district, tmp_path, code):
    place = other_district(code)
    name = FACTS[code][0]
    x, y = place.point
    far = f"{IN_LONGHU[0]},{IN_LONGHU[1]}"  # inside Longhu, outside each of the three
    rep = centers.import_centers(f"name,tier,lon,lat\nA,station,{x},{y}\nB,station,{far}\n".encode(),
                                 filename="c.csv", district=place)
    assert rep.valid_rows == [2] and f"outside {name}, " in rep.problems[0].why()
    rep = centers.import_centers(f"name,tier,lon,lat,street_code\nA,station,{x},{y},{code}999\n".encode(),
                                 filename="c.csv", district=place)
    assert f"not in the registry of {name}'s divisions" in rep.problems[0].why()
    table = pd.DataFrame({"name": ["A"], "tier": ["station"], "lon": [IN_LONGHU[0]], "lat": [IN_LONGHU[1]]})
    frame = centers.validate_centers(table, district=place)
    assert f"outside {name}, " in frame.problems[0].why()
    cand = candidates.import_candidates(f"name,lon,lat\nA,{far}\n".encode(), filename="k.csv",
                                        district=place.outline)
    assert f"outside {name}, " in cand.problems[0].why()
    check = registry.check_coordinates([IN_LONGHU[0]], [IN_LONGHU[1]], district=place.outline)
    assert f"outside {name}, " in str(check.issues[0].reason)
    longhu_streets = tmp_path / "streets.geojson"
    District.open().shipped("streets").to_file(longhu_streets)
    with pytest.raises(DataError) as e:
        place.user_boundaries(longhu_streets, "street")  # Longhu's streets offered as this district's
    assert f"no feature matches a street or community of {name}'s registry" in str(e.value)
    assert boundaries.import_boundaries(place.folder / "streets.geojson", "street", district=place).ok
    said = [p.why() for r in (rep, frame, cand) for p in r.problems] + [str(check.issues[0].reason), str(e.value)]
    assert not [s for s in said if "Longhu" in s or "龙湖" in s]


# --------------------------------------------------------------------------- the layers in use


def test_the_store_comes_first_then_a_file_given_then_the_folder(longhu, tmp_path):
    s = longhu.store()
    comm = longhu.shipped("communities")
    s.save("communities", comm.iloc[:40], "fewer communities", base_version=0)
    L = longhu.layers()
    assert L.sources["communities"] == "store:1" and len(L.communities) == 40
    assert L.sources["streets"] == "shipped" and set(L.notes) == {"district", "streets", "centers"}
    assert L.note() == "the store holds no district, streets, centers; using Longhu District's own"
    assert longhu.layers(use_store=False).sources["communities"] == "shipped"  # the store left out on purpose
    streets = tmp_path / "my_streets.geojson"
    longhu.shipped("streets").to_file(streets)
    mine = longhu.layers(streets=streets)
    assert mine.sources["streets"] == f"file:{streets}" and (mine.streets["geometry_source"] == "user").all()
    assert mine.token != L.token  # another set of layers, another cache key


def test_a_file_given_for_a_layer_the_store_holds_is_refused_in_one_line(longhu, tmp_path):
    s = longhu.store()
    s.seed("centers")
    p = tmp_path / "c.csv"
    p.write_text(f"name,tier,lon,lat\nA,station,{IN_LONGHU[0]},{IN_LONGHU[1]}\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        longhu.layers(centers=p)
    assert str(e.value) == (f"{longhu.store_path.name}: the store holds centers (version 1) and a centers file "
                            "was given too; leave one out")
    assert len(longhu.layers(use_store=False, centers=p).centers) == 1  # without the store the file is used


def test_stored_centres_take_their_codes_from_the_boundaries_in_use(longhu):
    s = longhu.store()
    c = longhu.shipped("centers")
    c["street_code"] = ""  # codes lost (a file saved without them)
    s.save("centers", c, "codes cleared", base_version=0)
    got = longhu.layers().centers
    assert (got["street_code"] == longhu.shipped("centers")["street_code"]).all()  # found again from the position


def test_the_importers_warnings_on_the_files_given_come_with_the_layers(longhu, tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(f"name,tier,lon,lat,备注\nA,station,{IN_LONGHU[0]},{IN_LONGHU[1]},x\n", encoding="utf-8")
    L = longhu.layers(use_store=False, centers=p)
    assert [str(w) for w in L.warnings] == ["c.csv, row 1: columns not imported (not part of a centre's record) "
                                            "(value '备注')"]
    assert L.warnings[0].text("zh").startswith("c.csv，第 1 行：")  # worded where shown, in its language
    assert longhu.layers(use_store=False).warnings == ()  # the district's own files: nothing to warn about


@pytest.mark.parametrize("code", OTHERS)
def test_a_cell_that_is_not_a_number_gets_an_example_inside_its_own_district(other_district, longhu, code):
    place = other_district(code)
    check = registry.check_coordinates(["abc"], [str(place.point[1])], district=place.outline)
    reason = str(check.issues[0].reason)
    assert f"{place.point[0]:.4f} and {place.point[1]:.4f}" in reason
    assert f"{longhu.point[0]:.4f}" not in reason and "116.7417" not in reason


def test_a_bad_longitude_latitude_cell_gets_an_example_of_its_own_district(other_district, longhu, tmp_path):
    nanao = other_district(NANAO)
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,级别,经纬度\n甲,station,116.74\n", encoding="utf-8")
    rep = centers.import_centers(bad, district=nanao)
    reason = rep.problems[0].why()
    inside = nanao.geometry.representative_point()
    assert f"(for example {inside.x:.4f},{inside.y:.4f})" in reason and "116.7417" not in reason
