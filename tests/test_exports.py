"""Word and HTML exports of our own fixtures (scripts/make_export_fixtures.py) read to exactly what their
Markdown originals read to, alone and inside a zip; hostile exports stay inert and fetch nothing."""

import dataclasses
import io
import json
import re
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from golden import _plain
from pm_analytics.load import discover, read_candidate
from pm_analytics.parse import parse_bytes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import make_export_fixtures as script  # noqa: E402

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
ORIGINALS = script.sources()
GOOD = [p for p in ORIGINALS if p.parent.name == "good"]
HOSTILE = [p for p in ORIGINALS if p.parent.name == "hostile"]


def golden(result) -> dict:
    """tests/golden.py's ``as_golden`` of a parse, minus what names the source: the file's name, format
    and hash, and each value's line and quoted text (an export has no source lines; the rule that read
    each value must be the same). Line numbers quoted in messages are left out for the same reason."""
    incident = dataclasses.asdict(result.incident) if result.incident else None
    if incident:
        for key in ("source_path", "source_format", "source_sha256"):
            incident.pop(key)
        incident["sources"] = [(s["field"], s["rule"]) for s in incident["sources"]]
    problems = [(p.level, p.field, re.sub(r"\bline \d+", "line N", p.message)) for p in result.problems]
    return {"incident": _plain(incident), "problems": problems}


def original(path: Path) -> dict:
    return golden(parse_bytes(path.read_bytes(), path.name))


def test_every_good_and_hostile_markdown_and_text_fixture_has_its_exports():
    assert {p.suffix for p in GOOD} == {".md", ".txt"} and len(GOOD) >= 4 and HOSTILE
    for path in ORIGINALS:
        for suffix in (".docx", ".html"):
            assert script.target_of(path, suffix).is_file(), f"run scripts/make_export_fixtures.py ({path.name})"


def test_the_committed_exports_are_what_the_script_writes():
    assert script.differences() == [], "run scripts/make_export_fixtures.py and commit what it wrote"


def test_the_script_writes_the_same_bytes_every_time():
    path = GOOD[0]
    assert script.exports_of(path) == script.exports_of(path)
    with zipfile.ZipFile(io.BytesIO(script.exports_of(path)[".docx"])) as package:
        assert {info.date_time for info in package.infolist()} == {script.ZIP_TIME}
        core = package.read("docProps/core.xml").decode()
    assert "2026-01-01T00:00:00Z" in core and core.count("2026-01-01T00:00:00Z") >= 2


@pytest.mark.parametrize("path", ORIGINALS, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("suffix", [".docx", ".html"])
def test_an_export_reads_to_exactly_its_original(path, suffix):
    export = script.target_of(path, suffix)
    result = parse_bytes(export.read_bytes(), export.name)
    assert result.source_format == suffix[1:]
    assert result.incident is not None, [str(p) for p in result.problems]
    assert golden(result) == original(path)


def test_a_zip_of_every_export_reads_member_by_member_to_the_originals(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the archive given by a relative name, as a user types it
    archive = Path("export.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in GOOD:
            for suffix in (".docx", ".html"):
                out.write(script.target_of(path, suffix), f"Post-mortems/{path.stem}{suffix}")
    candidates = discover([archive])
    assert [c.source_path for c in candidates] == sorted(
        f"export.zip/Post-mortems/{p.stem}{s}" for p in GOOD for s in (".docx", ".html"))
    for candidate in candidates:
        result, source = read_candidate(candidate)
        stem = Path(candidate.member).stem
        assert source.status == "loaded" and result.source_path == candidate.source_path
        assert all(p.source_path == candidate.source_path for p in result.problems)
        assert golden(result) == original(next(p for p in GOOD if p.stem == stem)), candidate.source_path


# -- hostile exports ---------------------------------------------------------------------------------

SCRIPT_TEXTS = ("setAttribute", "alert(1", "noscript text", "template text", "remote.js", "pixel.png",
                "linked-image", "template.dotm", "INCLUDEPICTURE", "background:url")


@pytest.mark.parametrize("path", HOSTILE, ids=lambda p: p.name)
@pytest.mark.parametrize("suffix", [".docx", ".html"])
def test_nothing_a_hostile_export_carries_beyond_its_text_is_read(path, suffix):
    export = script.target_of(path, suffix)
    result = parse_bytes(export.read_bytes(), export.name)
    stored = json.dumps(_plain(dataclasses.asdict(result.incident)), ensure_ascii=False)
    for text in SCRIPT_TEXTS:
        if text not in path.read_text():
            assert text not in stored, text


def test_a_script_in_html_is_text_when_written_as_text_and_nothing_when_it_is_an_element():
    page = (b"<html><head><script>alert('head')</script></head><body><h1>Checkout down &lt;script&gt;alert(1)"
            b"&lt;/script&gt;</h1><script>document.write('LEAKED')</script><p>Date: 2025-06-01</p>"
            b"<p>Severity: SEV2 <script>alert('inline')</script>&amp; more</p></body></html>")
    result = parse_bytes(page, "2025-06-01-page.html")
    incident = result.incident
    assert incident.title == "Checkout down <script>alert(1)</script>", "entities decode to the text written"
    assert incident.severity == "SEV2"
    everything = json.dumps(_plain(dataclasses.asdict(incident)))
    assert "LEAKED" not in everything and "alert('head')" not in everything and "inline" not in everything


@pytest.fixture()
def canary():
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            hits.append(connection.recv(200))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", hits
    stop.set()
    thread.join()
    server.close()


WATCH = r"""
import json, sys
from pathlib import Path
import docx, lxml.html  # the readers' libraries, imported before watching
from pm_analytics.load import load_paths
from pm_analytics.parse import parse_bytes
events, frames, watching = [], set(), []
NETWORK = ("socket.", "urllib.", "http.client.", "ftplib.", "smtplib.", "subprocess.", "os.system", "os.exec",
           "os.posix_spawn", "os.spawn", "os.fork", "webbrowser.", "ctypes.")
def audit(event, args):
    if watching and event.startswith(NETWORK):
        events.append(event)
sys.addaudithook(audit)
def profile(frame, event, arg):
    frames.add(frame.f_code.co_filename)
folder = Path(sys.argv[1])
watching.append(True)
sys.setprofile(profile)
results = [parse_bytes(p.read_bytes(), p.name) for p in sorted(folder.iterdir()) if p.suffix != ".zip"]
loaded = load_paths([folder], workers=1)
sys.setprofile(None)
watching.clear()
print(json.dumps({"events": events, "frames": sorted(frames),
                  "loaded": [i.incident_id for i in loaded.incidents],
                  "problems": [str(p) for r in results for p in r.problems if p.level == "error"]}))
"""


def test_hostile_exports_fetch_nothing_and_run_nothing_but_the_reader(tmp_path, canary):
    """Every link a hostile export holds (a linked image, a remote template, an INCLUDEPICTURE field, an
    external entity; a script's source, a stylesheet, an iframe, a refresh) points at a listener here:
    loading them, alone and in a zip, makes no connection to it, raises no network or process audit
    event, and runs no Python of a network or process module."""
    address, hits = canary
    folder = tmp_path / "hostile"
    folder.mkdir()
    for path in HOSTILE:
        for suffix, data in script.exports_of(path, canary=address).items():
            (folder / f"{path.stem}{suffix}").write_bytes(data)
    (folder / "2025-06-09-external-entity.docx").write_bytes(_docx_with_doctype(address, laughs=False))
    (folder / "2025-06-09-billion-laughs.docx").write_bytes(_docx_with_doctype(address, laughs=True))
    (folder / "2025-06-09-doctype.html").write_bytes(
        f'<!DOCTYPE html SYSTEM "{address}/html.dtd"><html><body><h1>Doctype</h1><p>Date: 2025-06-09</p>'
        f'<img src="{address}/img.png"><link rel="import" href="{address}/import.html"></body></html>'.encode())
    with zipfile.ZipFile(folder / "hostile.zip", "w") as archive:
        for path in sorted(folder.iterdir()):
            if path.suffix != ".zip":
                archive.write(path, f"Takeout/{path.name}")
    assert address in (folder / f"{HOSTILE[0].stem}.html").read_text()
    run = subprocess.run([sys.executable, "-c", WATCH, str(folder)], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.splitlines()[-1])
    assert report["events"] == []
    modules = {Path(f).name for f in report["frames"]}
    assert not modules & {"socket.py", "ssl.py", "subprocess.py", "request.py", "client.py", "webbrowser.py"}
    assert not [f for f in report["frames"] if "/urllib/request" in f or "/http/" in f or "/asyncio/" in f]
    assert [p.split(":")[0] for p in report["problems"]] == ["2025-06-09-billion-laughs.docx"]
    assert "entity amplification" in report["problems"][0], "libxml2 refuses to expand it"
    assert len(report["loaded"]) >= len(HOSTILE) + 2
    assert hits == [], "something connected to the canary"


def _docx_with_doctype(address: str, laughs: bool) -> bytes:
    """A Word file whose document part uses an external entity, or a billion-laughs expansion."""
    path = next(p for p in GOOD if p.suffix == ".md")
    data = script.exports_of(path)[".docx"]
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "word/document.xml":
                doctype = (f'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "{address}/xxe.txt">'
                           '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                           '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
                           '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
                           '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">]>').encode()
                declaration_end = part.index(b"?>") + 2
                part = part[:declaration_end] + doctype + part[declaration_end:]
                use = b"&g;" if laughs else b"&xxe;"
                part = part.replace(b"Greta Lindqvist</w:t>", b"Greta Lindqvist " + use + b"</w:t>", 1)
            target.writestr(info, part)
    return out.getvalue()
