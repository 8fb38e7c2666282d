"""procmine: process mining for the dispatch logs of city governance.

>>> import procmine
>>> procmine.__version__
'0.1.0'
>>> procmine.read_log("tests/fixtures/orders16.csv").n_cases
3

The library API lives in one module per verb: :mod:`procmine.read` (``read_log``,
also importable as ``procmine.read_log``), :mod:`procmine.engines` (``as_engine``,
``get_engine``), :mod:`procmine.abstractions` (variants, directly-follows and case
tables), and the analysis modules (:mod:`procmine.discover`, :mod:`procmine.conform`,
:mod:`procmine.bottlenecks`, :mod:`procmine.loops`, ...). Importing this package is
cheap: pandas and pm4py are loaded only by the modules that need them.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "read_log"]


def __getattr__(name: str) -> Any:
    # read_log is loaded on first use, so `import procmine` (and `procmine --help`) stays light
    if name == "read_log":
        from procmine.read import read_log

        return read_log
    raise AttributeError(f"module 'procmine' has no attribute {name!r}")
