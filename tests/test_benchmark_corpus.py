"""The benchmark's synthetic corpus: deterministic, loads without errors, and loads to what was generated."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402
import naive  # noqa: E402

from pm_analytics.load import load_into, load_paths  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    summary = corpus.generate(300, folder, seed=11, workers=1)
    return folder, summary


def test_generation_is_deterministic_and_mixed(generated, tmp_path):
    folder, summary = generated
    again = tmp_path / "again"
    corpus.generate(300, again, seed=11, workers=1)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {p.name: p.read_bytes() for p in again.iterdir()}
    suffixes = {p.suffix for p in folder.iterdir()}
    assert {".txt", ".md", ".yaml"} <= suffixes
    sizes = [p.stat().st_size for p in folder.iterdir()]
    assert 2000 <= min(sizes) and max(sizes) <= 6200


def test_loaded_values_equal_generated_ones(generated):
    folder, _ = generated
    result = load_paths([folder], relative_to=folder)
    assert not [p for p in result.problems if p.level == "error"]
    assert result.count("loaded") == 300
    loaded = {i.source_path: i for i in result.incidents}
    for index in range(300):
        truth = corpus.expected(300, 11, index)
        assert corpus.loaded_values(loaded[truth["source_path"]]) == truth


def test_naive_loader_builds_the_same_database(generated, tmp_path):
    import duckdb

    from pm_analytics.store import TABLES

    folder, _ = generated
    ours, theirs = tmp_path / "ours.duckdb", tmp_path / "naive.duckdb"
    load_into([folder], ours, relative_to=folder)
    naive.naive_load([folder], theirs)
    a, b = duckdb.connect(str(ours), read_only=True), duckdb.connect(str(theirs), read_only=True)
    for table in TABLES:
        # The naive loader has no text model: related incidents, themes and the stored model are left out.
        if table in ("load_info", "source_files", "related_incidents", "recurrences", "themes",
                     "incident_themes") or table.startswith("text_model_"):
            continue
        assert a.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == \
            b.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall(), table
    assert naive.floor([folder]) == 300


def test_reload_cost_times_steps_this_checkout_has():
    """benchmarks/reload_cost.py skips a step the checkout lacks (so it can time an older one): a step
    renamed here would drop out of its table without a word."""
    import importlib

    import reload_cost

    for where, name, label in reload_cost.STEPS:
        module, _, cls = where.partition(":")
        owner = importlib.import_module(module)
        owner = getattr(owner, cls) if cls else owner
        assert callable(getattr(owner, name, None)), f"{label}: {where}.{name} is gone"


def test_chart_cost_builds_every_chart_it_names(capsys):
    """benchmarks/chart_cost.py evaluates its charts by name in a child interpreter: a chart or metrics
    call renamed here would stop it; each must build and print its milliseconds."""
    import chart_cost

    assert chart_cost.main(["--files", "60", "--builds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == [label for label, _, _ in chart_cost.CASES]
    assert all(row.split(" | ")[1].rstrip(" |").isdigit() for row in rows[1:])


def test_analytics_cost_times_every_call_in_a_child(tmp_path, capsys):
    """benchmarks/analytics_cost.py times bench.py's analytics calls in a child interpreter of the checkout
    and prints "–" for a call that fails there: on this checkout every call must give its milliseconds."""
    import analytics_cost
    import bench

    assert analytics_cost.main(["--files", "60", "--work", str(tmp_path), "--rounds", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "---" not in line]
    names = [name for name, _ in bench.analytics_calls(None, None)]
    assert [row.split(" | ")[0][2:] for row in rows[1:]] == [f"{name} ({label})" for label in
                                                             ("all filters off", "SEV2 + one team") for name in names]
    assert all(row.split(" | ")[1].rstrip(" |").isdigit() for row in rows[1:])
