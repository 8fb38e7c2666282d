"""Reading event logs now lives in :mod:`procmine.read`; this module re-exports it.

temporary: removed when the branches merge (switch ``from procmine.io import X`` to
``from procmine.read import X``).

>>> from procmine.io import read_log
>>> read_log("tests/fixtures/orders16.csv").n_cases
3
"""

from procmine.read import *  # noqa: F403
from procmine.read import (  # noqa: F401  (names other modules import from here)
    FIELDS,
    HEADERS,
    RAGGED,
    detect_columns,
    detect_encoding,
    detect_format,
    parse_timestamps,
    read_log,
    write_log,
)
from procmine.read import TIME_FORMATS as _FORMATS  # noqa: F401
from procmine.read import open_bytes as _open_bytes  # noqa: F401
from procmine.read import require_columns as _require  # noqa: F401
from procmine.read import sniff_delimiter as _sniff_delimiter  # noqa: F401
