"""Conventions kept by tests: the README documents the schema; pages hold no SQL or pandas."""

import re
from pathlib import Path

import pytest

from pm_analytics.store import TABLES, table_columns

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("table", sorted(TABLES))
def test_readme_documents_every_table_and_column(table):
    schema = README[README.index("## Database schema"):]
    assert f"`{table}`" in schema
    for column in table_columns(table):
        assert f"`{column}`" in schema or f'`"{column}"`' in schema, f"{table}.{column} is not in the README"


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
