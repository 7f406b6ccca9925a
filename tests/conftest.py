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


@pytest.fixture(scope="module")
def shipped_layers():
    """The shipped layers (illustrative centres, real boundaries), read once per module."""
    from geo.io import data

    return {"centers": data.load_centers(), "streets": data.load_streets(),
            "communities": data.load_communities(), "district": data.load_district(),
            "divisions": data.load_divisions()}
