"""pm-analytics: post-mortems in, trends leadership can trust out.

Layers, one direction only: ``parse`` (text -> records) -> ``store`` (records
-> DuckDB) -> ``metrics`` (DuckDB -> tables of numbers) -> ``charts`` (numbers
-> plotly figures) -> ``pages`` (Streamlit widgets).
"""

__version__ = "0.1.0"
