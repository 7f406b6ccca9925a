"""``python -m geo …``: see :mod:`geo.cli`.

The guard matters: ``batch`` starts dask worker processes, which import this module again
(as ``__mp_main__``) and must not run the command line a second time.
"""

from geo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
