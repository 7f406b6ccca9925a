"""The job layer: one object per analysis, built from a :class:`~geo.io.district.District` and its
settings, run, and written -- the same objects whether the command line, the app or a Dask task
asks. The front ends only parse, show and print.

Layers: ``geo.app``, ``geo.cli``, ``geo.batch`` → ``geo.jobs`` → ``geo.render`` → ``geo.io`` → ``geo.engine``.
"""
