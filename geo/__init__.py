"""Longhu 15-minute service circles: layers, coverage, nearest centre, siting, briefings.

Modules: ``crs`` (WGS-84/GCJ-02/BD-09), ``data`` (layers in and out), ``layout`` (the
illustrative layout), ``network`` (walking graph), ``coverage``, ``nearest``, ``cli``.
"""

__version__ = "0.1.0"
