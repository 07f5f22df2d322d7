"""No file can hang a load: a CPU-time budget per file, a worker stuck beyond it replaced, and reading
time that grows linearly with a file's size whatever the file holds."""

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from pm_analytics import load
from pm_analytics.cli import main
from pm_analytics.load import load_into, load_paths
from pm_analytics.parse import parse_bytes

# Each field of the template and each line form of the document model, with {v} for a long value.
FORMS = {
    "title": "Title\t{v}\n", "author": "Author: {v}\n", "severity": "Severity: {v}\n",
    "investigation doc": "Investigation doc\t{v}\n", "detect": "Time to detect the issue: {v}\n",
    "response": "| Time to response | {v} |\n", "understand": "- **Time to understand the issue:** {v}\n",
    "partial": "Time to partial recovery\t{v}\n", "solution": "Time to solution: {v}\n",
    "full recovery": "Time to full recovery: {v}\n", "clinics": "Number of Clinics affected\t{v}\n",
    "providers": "Number of Providers affected: {v}\n", "patients": "| Number of Patients affected | {v} |\n",
    "apps": "Apps/APIs Affected\t{v}\n", "techops": "Number of TechOps engineers involved: {v}\n",
    "teams": "Teams involved: {v}\n", "zone": "Timeline summary – All times are in {v}\n",
    "timeline row": "## Timeline\n- 10:00 {v}\n", "timeline time": "## Timeline\n{v} Started at\n",
    "reviewer": "## Reviewers\n| {v} | LGTM | 2025-01-03 |\n", "action item": "## Action Items\n- AI1: {v}, owner: x\n",
    "finding": "## What went well?\n- {v}\n", "impact": "## Impact summary\n{v}\n",
    "heading": "## {v}\n", "bold line": "**{v}**\n", "item": "- {v}\n", "text": "{v}\n", "table row": "| {v} | x |\n",
    "tab row": "x\t{v}\n", "label": "Label: {v}\n", "code": "```\n{v}\n```\n", "comment": "<!--\n{v}\n-->\n",
    "status update": "**Resolved** - {v}\nPosted Jan 1, 2025 - 10:00 UTC\n", "summary line": "Severity: x · {v} · 10:00–11:00\n",
}
CLASSES = {"digits": "1234567890", "spaces": "  x ", "punctuation": ".,;:-", "brackets": "[](){}<>",
           "owner labels": "owner: ", "bold": "**", "hashes": "#", "pipes": "|", "dates": "2025-01-01 ",
           "durations": "1h ", "clock times": "10:00 ", "colons": ":", "tabs": "\t", "html": "<b>&amp;",
           "escapes": "\\-", "ticket keys": "[ABC-1] ", "done": "done ", "am/pm": "7:32 PM ", "emphasis": "__"}


def document(form: str, cls: str, size: int) -> bytes:
    unit = CLASSES[cls]
    value = (unit * (size // len(unit) + 1))[:size]
    return ("# A post-mortem\nDate: 2025-01-01\n" + FORMS[form].format(v=value)).encode()


def cpu_seconds(data: bytes) -> tuple[float, object]:
    start = time.process_time()
    result = parse_bytes(data, "2025-01-01-long.md")
    return time.process_time() - start, result


@pytest.mark.parametrize("form", sorted(FORMS))
def test_reading_time_grows_linearly_for_every_field_and_line_form(form):
    """Each character class at 100 KB and 1 MB: ten times the text may cost at most 15 times the CPU (a
    quadratic pattern costs 100 times), and every file is loaded or reported. CPU time, measured in one
    run. A pair above the line is measured three times more, each small size right before its large one,
    and the best of those pairs counts: the machine's slow spells (seconds long, up to 1.5x) then slow
    both sizes of a pair alike, where the smallest of each size could come from different spells."""
    for cls in CLASSES:
        small, result_small = cpu_seconds(document(form, cls, 100_000))
        large, result = cpu_seconds(document(form, cls, 1_000_000))
        if large > 15 * max(small, 0.004):
            pairs = [(cpu_seconds(document(form, cls, 100_000))[0], cpu_seconds(document(form, cls, 1_000_000))[0])
                     for _ in range(3)]
            small, large = min(pairs, key=lambda pair: pair[1] / max(pair[0], 0.004))
        assert large <= 15 * max(small, 0.004), (form, cls, small, large)
        assert result.incidents or any(p.level == "error" for p in result.problems), (form, cls)


def write(folder: Path, slow_bytes: int = 1_500_000) -> Path:
    folder.mkdir()
    (folder / "2025-01-01-pasted-log.md").write_bytes(document("detect", "clock times", slow_bytes))
    for day in range(2, 5):
        (folder / f"2025-01-0{day}-fine.md").write_text(f"# Fine {day}\nDate: 2025-01-0{day}\nSeverity: SEV3\n")
    return folder


def test_a_file_over_its_budget_is_stopped_and_the_load_goes_on(tmp_path):
    folder = write(tmp_path / "data")
    result = load_paths([folder], relative_to=folder, budget_s=0.02)
    status = {f.source_path: f.status for f in result.files}
    assert status.pop("2025-01-01-pasted-log.md") == "rejected"
    assert set(status.values()) == {"loaded"}
    errors = [p.message for p in result.problems if p.source_path == "2025-01-01-pasted-log.md"]
    assert any("0.02 s budget" in m for m in errors), errors


def test_the_budget_holds_where_the_dashboard_loads_off_the_main_thread(tmp_path):
    folder = write(tmp_path / "data")
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=load_into([folder], tmp_path / "pm.duckdb", relative_to=folder, budget_s=0.02, workers=1)))
    worker.start()
    worker.join()
    status = {f.source_path: f.status for f in outcome["result"].files}
    assert status["2025-01-01-pasted-log.md"] == "rejected" and status["2025-01-02-fine.md"] == "loaded"


def _stuck_on(name: str):
    real = load.read_candidate

    def read(candidate, read_=None):
        if candidate.source_path == name:
            threading.Event().wait()  # blocked where no CPU alarm reaches: only the parent can stop it
        return real(candidate, read_)

    return read


def test_a_worker_stuck_beyond_its_budget_is_replaced(tmp_path, monkeypatch):
    folder = write(tmp_path / "data", slow_bytes=10)
    monkeypatch.setattr(load, "read_candidate", _stuck_on("2025-01-01-pasted-log.md"))
    monkeypatch.setattr(load, "STUCK_AFTER_S", 2)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=load_into([folder], tmp_path / "pm.duckdb", relative_to=folder, budget_s=0.5, workers=2)))
    worker.start()
    worker.join()
    status = {f.source_path: f.status for f in outcome["result"].files}
    assert status == {"2025-01-01-pasted-log.md": "rejected", "2025-01-02-fine.md": "loaded",
                      "2025-01-03-fine.md": "loaded", "2025-01-04-fine.md": "loaded"}
    assert outcome["result"].written


def test_validate_and_load_take_the_budget_as_an_option(tmp_path, capsys):
    folder = write(tmp_path / "data")
    assert main(["validate", str(folder), "--parse-budget", "0.02"]) == 1
    assert "0.02 s budget" in capsys.readouterr().out
    assert main(["load", str(folder), "--db", str(tmp_path / "pm.duckdb"), "--parse-budget", "0.02"]) == 0
    assert "3 loaded" in capsys.readouterr().out


def _dies_on(name: str):
    real = load.read_candidate

    def read(candidate, read_=None):
        if candidate.source_path == name:
            os._exit(3)  # the worker process dies (a crash in a native library, the OOM killer)
        return real(candidate, read_)

    return read


def test_a_worker_that_dies_is_noticed_at_once_and_only_its_file_is_lost(tmp_path, monkeypatch):
    """Without noticing, the load would wait out the stuck limit (here an hour) for the lost chunk."""
    folder = write(tmp_path / "data", slow_bytes=10)
    monkeypatch.setattr(load, "read_candidate", _dies_on("2025-01-01-pasted-log.md"))
    monkeypatch.setattr(load, "STUCK_AFTER_S", 3600)
    monkeypatch.setattr(load, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(load, "CHUNK_FILES", 2)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=load_into([folder], tmp_path / "pm.duckdb", relative_to=folder, budget_s=600, workers=2)))
    worker.start()
    worker.join(timeout=600)
    assert not worker.is_alive(), "the load waited for a worker that had died"
    result = outcome["result"]
    assert {f.source_path: f.status for f in result.files} == {
        "2025-01-01-pasted-log.md": "rejected", "2025-01-02-fine.md": "loaded", "2025-01-03-fine.md": "loaded",
        "2025-01-04-fine.md": "loaded"}
    assert any("crashed or was killed" in p.message for p in result.problems
               if p.source_path == "2025-01-01-pasted-log.md")
    assert result.written


def test_a_stuck_worker_is_stopped_under_a_server_that_handles_sigterm(tmp_path, monkeypatch):
    """Streamlit's SIGTERM handler stops its server and returns. Inherited by a forked worker, it kept
    the worker alive through the pool's terminate(), whose join then waited forever: under the dashboard
    a stuck worker (or one that missed its end-of-work sentinel, as seen in benchmarks/viewers.py) hung
    the load, every later load and every page waiting for one."""
    folder = write(tmp_path / "data", slow_bytes=10)
    monkeypatch.setattr(load, "read_candidate", _stuck_on("2025-01-01-pasted-log.md"))
    monkeypatch.setattr(load, "STUCK_AFTER_S", 2)
    previous = signal.signal(signal.SIGTERM, lambda number, frame: None)  # as a server's: stop, return
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(
        result=load_into([folder], tmp_path / "pm.duckdb", relative_to=folder, budget_s=0.5, workers=2)))
    try:
        worker.start()
        worker.join(timeout=600)
        hung = worker.is_alive()
    finally:
        signal.signal(signal.SIGTERM, previous)
        for child in multiprocessing.active_children():  # a hang fails this test, not the whole suite
            child.kill()
        worker.join(timeout=60)
    assert not hung, "the load waited for a worker that outlived SIGTERM"
    status = {f.source_path: f.status for f in outcome["result"].files}
    assert status == {"2025-01-01-pasted-log.md": "rejected", "2025-01-02-fine.md": "loaded",
                      "2025-01-03-fine.md": "loaded", "2025-01-04-fine.md": "loaded"}
