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


PAGE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


@pytest.mark.parametrize("page", PAGE_FILES, ids=lambda p: p.name)
def test_pages_hold_no_sql_or_pandas(page):
    source = page.read_text()
    assert not re.search(r"^\s*(import|from)\s+(duckdb|pandas|numpy)\b", source, re.M)
    assert not re.search(r"\b(SELECT|FROM|WHERE|GROUP BY)\b.*\b(FROM|WHERE|BY)\b", source)
    assert len(source.splitlines()) <= 80, "a page is a few widgets and calls"


def test_only_the_ui_module_imports_streamlit():
    importers = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pm_analytics").rglob("*.py")
                       if re.search(r"^\s*(import|from)\s+streamlit\b", p.read_text(), re.M))
    assert importers == ["pm_analytics/ui.py"]


def test_every_page_is_in_the_navigation():
    from pm_analytics.ui import INCIDENT_PAGE, NAV

    linked = {target for target, _ in NAV} | {INCIDENT_PAGE}
    assert linked == {p.relative_to(ROOT).as_posix() for p in PAGE_FILES}


def test_yaml_is_only_loaded_safely():
    for path in (ROOT / "pm_analytics").rglob("*.py"):
        source = path.read_text()
        assert not re.search(r"yaml\.(load|full_load|unsafe_load)\((?![^)]*Loader=PostMortemLoader)", source), path
        assert "yaml.Loader" not in source and "UnsafeLoader" not in source and "FullLoader" not in source


def test_post_mortem_text_is_never_rendered_as_html():
    for path in [*PAGE_FILES, ROOT / "pm_analytics" / "ui.py"]:
        assert "unsafe_allow_html" not in path.read_text(), path
