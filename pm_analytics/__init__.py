"""pm-analytics: post-mortems in, trends leadership can trust out.

Layers, one direction only: ``parse`` (text -> records) -> ``store`` (records
-> DuckDB) -> ``metrics`` (DuckDB -> tables of numbers) -> ``charts`` (numbers
-> plotly figures) -> ``pages`` (Streamlit widgets).

pandas keeps text columns as Python strings here (``mode.string_storage``
"python"), not in pyarrow arrays: the same ``str`` dtype and missing values,
without a conversion each way for every small table a page builds (4-13 %
of a page run's CPU alone, about a fifth of the server's under 20 viewers;
``docs/benchmark.md``). Set once, here, so every table of the package is held
alike whichever module made it.
"""

import pandas as _pandas

_pandas.set_option("mode.string_storage", "python")

__version__ = "0.1.0"
