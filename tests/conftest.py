"""Shared test set-up."""

import pytest


@pytest.fixture(autouse=True)
def _folium_defaults_restored():
    """The app points folium's class-level asset lists at local files; undo it after each test."""
    yield
    from geo import webassets

    webassets.restore_cdn_assets()
