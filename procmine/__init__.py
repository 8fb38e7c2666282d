"""procmine: process mining for the dispatch logs of city governance.

>>> import procmine
>>> procmine.__version__
'0.1.0'

The library API lives in one module per verb: :mod:`procmine.io` (``read_log``),
:mod:`procmine.abstractions` (variants, directly-follows and case tables), and the
analysis modules. Importing this package is cheap: pandas and pm4py are loaded only
by the modules that need them.
"""

__version__ = "0.1.0"
