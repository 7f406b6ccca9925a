"""Shared test set-up."""

import pytest


@pytest.fixture(autouse=True)
def _folium_defaults_restored():
    """The app points folium's class-level asset lists at local files; undo it after each test."""
    yield
    from geo.render import webassets

    webassets.restore_cdn_assets()


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """The page reads the user's store (LONGHU_STORE); never let a test see or touch data/user."""
    monkeypatch.setenv("LONGHU_STORE", str(tmp_path_factory.mktemp("store") / "longhu.gpkg"))


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    """The command line's default language comes from the locale (LC_ALL, LC_MESSAGES, LANG):
    tests that expect English must not depend on the machine's; a test wanting Chinese says so."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture(scope="module")
def shipped_layers():
    """The shipped layers (illustrative centres, real boundaries), read once per module."""
    from geo.io.district import District

    place = District.open()
    return {layer: place.shipped(layer) for layer in ("centers", "streets", "communities", "district")} | {
        "divisions": place.divisions}


#: Districts other than Longhu the tests hold: a city district, an island county, a large rural
#: county of the west.
JINPING, NANAO, RUOQIANG = "440511", "440523", "652824"
OTHERS = (JINPING, NANAO, RUOQIANG)


@pytest.fixture
def longhu():
    """Longhu as a District value, with its store in the test's private folder (LONGHU_STORE)."""
    from geo.io.district import District

    return District.open()


@pytest.fixture(scope="session")
def district_cache(tmp_path_factory):
    """The other districts' layers (:data:`OTHERS`), built once per test run into a private folder."""
    from geo.io import districts

    folder = tmp_path_factory.mktemp("districts")
    for code in OTHERS:
        districts.ensure(code, cache=folder)
    return folder


@pytest.fixture
def other_district(district_cache):
    """``other_district(code)``: that district as a District value (layers from
    :func:`district_cache`, its store beside the test's private Longhu store)."""
    from geo.io.district import District

    return lambda code: District.open(code, cache=district_cache)
