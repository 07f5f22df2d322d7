"""The bundled data/ is what the dashboard opens on: it must load whole and show every feature."""

from pathlib import Path

import pytest

from pm_analytics.load import load_paths

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def sample():
    return load_paths([DATA], relative_to=DATA)


def test_every_sample_file_loads_without_errors(sample):
    errors = [str(p) for p in sample.problems if p.level == "error"]
    assert errors == []
    post_mortems = [f for f in sample.files if f.status != "skipped"]
    assert all(f.status == "loaded" for f in post_mortems)
    assert len(sample.incidents) == len(post_mortems) >= 60


def test_sample_is_realistic_enough_for_the_trends(sample):
    dates = sorted(i.incident_date for i in sample.incidents)
    assert (dates[-1] - dates[0]).days >= 18 * 30
    assert len({t for i in sample.incidents for t in i.teams}) >= 6
    assert {i.source_format for i in sample.incidents} >= {"text", "markdown", "front_matter", "yaml"}
    assert {i.severity for i in sample.incidents} >= {"SEV1", "SEV2", "SEV3"}
    assert any(i.exclude_from_metrics for i in sample.incidents)
    assert sum(1 for i in sample.incidents if i.placeholder_fields) >= 5, "some deliberate gaps for data quality"
    assert sum(1 for i in sample.incidents if i.timezone is None) >= 1


def test_generator_reproduces_the_committed_sample(tmp_path):
    """Same seed, same files: the post-mortems and the designed repeats written beside the script."""
    import subprocess
    import sys

    script = DATA.parent / "scripts" / "generate_sample_data.py"
    out, truth = tmp_path / "data", tmp_path / "sample_repeats.json"
    subprocess.run([sys.executable, str(script), "--out", str(out), "--truth", str(truth)], check=True,
                   capture_output=True)
    committed = {p.name: p.read_bytes() for p in DATA.iterdir() if not p.name.startswith(".")}
    generated = {p.name: p.read_bytes() for p in out.iterdir()}
    assert generated == committed
    assert truth.read_bytes() == (DATA.parent / "scripts" / "sample_repeats.json").read_bytes()
