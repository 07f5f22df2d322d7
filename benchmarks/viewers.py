"""Many viewers at once while the data reloads: server time per page run, errors, and whether each viewer
saw the numbers of its own filter.

    .venv/bin/python benchmarks/viewers.py                    # 5, 20 and 50 viewers on 1,500 post-mortems
    .venv/bin/python benchmarks/viewers.py --viewers 20       # one size
    .venv/bin/python benchmarks/viewers.py --think 0,10       # in a burst, then reading 10 s a page
    .venv/bin/python benchmarks/viewers.py --viewers 20 --servers 2   # the viewers spread over two servers

For each N: start the dashboard as a user would (``streamlit run app.py``, on a folder of ``--files``
synthetic post-mortems), let it load (text model included: the server logs when that is written),
change half the files, then N viewers each open four pages
(overview, response times, incidents, action items) with their own filter in the URL (severity x team,
all 84 pairs distinct), while a reload runs: viewer 0 opens the overview, presses Reload, and the
others start the moment the server shows its progress bar; viewer 0 opens its other three pages once
its reload is done. By default the viewers open their pages back to back (a burst, the worst case);
with ``--think S`` each also reads a page for 0.5-1.5 x S seconds before the next and arrives within S
seconds of the reload starting, as people reading a dashboard do (``--think 0,10``: a row for each).

The client is a websocket client speaking Streamlit's own protocol (the ``BackMsg`` / ``ForwardMsg``
protobufs that ship with Streamlit, over the ``websockets`` package Streamlit itself depends on), one
connection per viewer, all on one asyncio loop in this process. It does what a browser tab does on
the wire (ask for a script run with the page and the URL's query string, or press a button by its
widget id; read the elements the run sends until ``script_finished``) and nothing else: no layout,
no JavaScript, no plotly. The alternatives measure something else. Twenty headless Chromiums on two
cores saturate the machine (load average above 12, ``page.goto`` past 30 s) and time the browsers;
a few browsers with many pages each still spend most of the CPU on rendering. AppTest instances in
threads run the page scripts without the server: no websocket, no sessions, no message queue, and in
the measuring process. Here the client uses a few percent of the CPU the server uses (both printed).

Server time per page run is taken inside the server: this script starts Streamlit itself
(``--serve``) after wrapping two methods of Streamlit's ``AppSession`` (when a ``rerun_script``
request arrives; when that session's script run stops, successfully or not) and
``pm_analytics.datasource.refresh`` (when a load starts and ends). Nothing in ``pm_analytics`` or
the pages changes. The time the client saw (request sent to ``script_finished`` received) is printed
beside it. The run of the viewer who pressed Reload waits for the load and is reported on its own. The
server also logs each of Python's garbage collections (every thread waits for one), and the time they
took while the viewers ran is printed per generation.

"Own numbers" compares what each page sent with ``pm_analytics.metrics`` run directly on a database
loaded from the same folder, for that viewer's filter: the overview's seven headline cards (label and
value as shown), the response-time table's incidents with a value per phase, the incident count on
the incidents page, and the action items per priority. Appending a newline to a file changes its
bytes, not its meaning, so the numbers are the same before and after the reload.

Not a test: nothing here fails; the targets are printed next to the figures. The machine is shared,
so the load average before and after each run is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

AS_OF = date(2026, 11, 26)
# (URL path, name); the empty path is the overview.
PAGES = (("", "overview"), ("response_times", "response times"), ("incidents", "incidents"),
         ("action_items", "action items"))
SEVERITIES = ("", "SEV1", "SEV2", "SEV3")
PAGE_TIMEOUT_S = 300  # a page run that takes longer is counted as an error, not waited for
TARGET_VIEWERS, TARGET_P95_S = 20, 2.0


# -- server side: run Streamlit with timing hooks --------------------------------

class RunLog:
    """JSON lines appended to ``path`` from any thread, each record a line, and (after
    :meth:`log_collections`) each of Python's garbage collections as a record of kind ``gc``."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.out = open(path, "a", buffering=1)
        self.lock = threading.Lock()
        # Collections are queued by the collector's callback and written by write(), never by the callback:
        # a collection can start inside write() (any allocation while the lock is held), and a callback
        # taking the lock again deadlocked that thread and every later write: two viewers runs in about
        # forty (2026-12-02) never finished, the reload's thread stuck logging that its load had ended.
        self.collections: collections.deque = collections.deque()
        self.collection_started = 0.0

    def write(self, record: dict | None = None) -> None:
        """Append ``record`` (if any) and the collections queued since the last write."""
        with self.lock:
            lines = [] if record is None else [json.dumps(record)]
            for _ in range(len(self.collections)):  # those queued so far: writing them queues more
                generation, started_at, finished_at = self.collections.popleft()
                lines.append(json.dumps({"kind": "gc", "generation": generation, "started_at": started_at,
                                         "finished_at": finished_at}))
            if lines:
                self.out.write("\n".join(lines) + "\n")

    def close(self) -> None:
        self.write()
        with self.lock:
            self.out.close()

    def on_collection(self, phase: str, info: dict) -> None:
        """``gc.callbacks`` entry: each collection the process makes (every thread waits for it), queued."""
        if phase == "start":
            self.collection_started = time.monotonic()
        else:
            self.collections.append((info["generation"], self.collection_started, time.monotonic()))

    def log_collections(self, every_s: float = 0.2) -> None:
        """From now on, log each collection, written within ``every_s`` seconds even if nothing else is."""
        def flush() -> None:
            while True:
                time.sleep(every_s)
                self.write()

        gc.callbacks.append(self.on_collection)
        threading.Thread(target=flush, name="log-collections", daemon=True).start()


def serve(port: int, log_path: str) -> None:
    """Run ``streamlit run app.py`` in this process, logging each page run and each load to ``log_path``
    (JSON lines; times are ``time.monotonic()``, comparable with the client's on the same machine)."""
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner import ScriptRunner, ScriptRunnerEvent
    from streamlit.web import cli

    from pm_analytics import datasource
    from pm_analytics.text_model import PendingTextModel

    log = RunLog(log_path)
    write = log.write
    asked: dict[str, tuple[float, str, str]] = {}
    # The script thread's own CPU seconds when a session's run began (a run restarted by st.rerun() keeps
    # its first): what the run itself computed, without the time it waited for Python's lock or a core.
    cpu_at_start: dict[str, float] = {}

    handle_backmsg = AppSession.handle_backmsg

    def timed_handle_backmsg(self, msg):
        if msg.WhichOneof("type") == "rerun_script":
            request = msg.rerun_script
            asked[self.id] = (time.monotonic(), request.page_script_hash or request.page_name, request.query_string)
        return handle_backmsg(self, msg)

    on_event = AppSession._on_scriptrunner_event
    stopped = {ScriptRunnerEvent.SCRIPT_STOPPED_WITH_SUCCESS: True,
               ScriptRunnerEvent.SCRIPT_STOPPED_WITH_COMPILE_ERROR: False}

    run_script = ScriptRunner._run_script

    def cpu_timed_run_script(self, rerun_data):
        cpu_at_start.setdefault(self._session_id, time.thread_time())
        return run_script(self, rerun_data)

    def timed_on_event(self, sender, event, *args, **kwargs):
        # Called on the script thread the moment the run stops (a run ended by st.rerun() is not the end).
        started_cpu = cpu_at_start.pop(self.id, None) if event in stopped else None
        if event in stopped and self.id in asked:
            requested_at, page, query = asked.pop(self.id)
            write({"kind": "run", "session": self.id, "page": page, "query": query, "requested_at": requested_at,
                   "finished_at": time.monotonic(), "ok": stopped[event],
                   "script_cpu_s": None if started_cpu is None else time.thread_time() - started_cpu})
        return on_event(self, sender, event, *args, **kwargs)

    def logged(kind: str, function):
        """``function``, logging when each call started and ended as a record of ``kind``."""
        def timed(*args, **kwargs):
            started_at = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                write({"kind": kind, "started_at": started_at, "finished_at": time.monotonic()})
        return timed

    log.log_collections()
    AppSession.handle_backmsg = timed_handle_backmsg
    AppSession._on_scriptrunner_event = timed_on_event
    ScriptRunner._run_script = cpu_timed_run_script
    datasource.refresh = logged("load", datasource.refresh)
    PendingTextModel.run = logged("text_model", PendingTextModel.run)
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true", "--server.address",
                "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"]
    cli.main(prog_name="streamlit")


def start_server(workdir: Path, folder: Path, index: int = 0) -> tuple[subprocess.Popen, int, Path]:
    """This script in ``--serve`` mode on a free port, reading ``folder``; the process, port and timing log.
    Servers of one run (``index`` 0, 1, ...) share the folder's database and keep their own logs."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    suffix = f"-{index}" if index else ""
    timing, log_path = workdir / f"timing{suffix}.jsonl", workdir / f"streamlit{suffix}.log"
    env = {**os.environ, "PM_ANALYTICS_DATA": str(folder), "PM_ANALYTICS_CACHE": str(workdir / "cache")}
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(timing)], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # a bounded wait for the health endpoint, polled
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return process, port, timing
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")


def wait_for_text_model(process: subprocess.Popen, timing: Path, timeout_s: float = 600) -> float:
    """Wait until the first load's text model is written (the server logs it), and return how long it took.
    The first visit returns once the database is usable; its text model follows in the background, and a
    burst started before it is done would share the CPU with it: that is the first load, not the reload
    being measured."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:  # polled: the state is a line in the server's timing log
        for line in timing.read_text().splitlines():
            record = json.loads(line)
            if record["kind"] == "text_model":
                return record["finished_at"] - record["started_at"]
        if process.poll() is not None:
            raise SystemExit("the server stopped before the first load's text model was written")
        time.sleep(0.2)
    raise SystemExit(f"the first load's text model was not written within {timeout_s:.0f} s")


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy (not idle or waiting for I/O) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (its threads included, its child processes not)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the client -----------------------------------------------------------------

@dataclass
class PageRun:
    """One script run as the client saw it: what it asked for, when, and what the page showed."""

    viewer: int
    page: str
    sent_at: float
    received_at: float = 0.0
    session: str = ""
    errors: list = field(default_factory=list)
    numbers: object = None
    reload: bool = False


class Session:
    """One viewer's connection: a browser tab reduced to the protocol."""

    def __init__(self, port: int):
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.page_hashes: dict[str, str] = {}
        self.buttons: dict[str, str] = {}
        self.session_id = ""

    async def __aenter__(self) -> Session:
        import websockets

        # No client pings: a browser sends none, and a busy server must not be dropped for a late pong.
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                           open_timeout=PAGE_TIMEOUT_S)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def open(self, viewer: int, page: str, query: str, press: str | None = None,
                   on_progress: asyncio.Event | None = None) -> PageRun:
        """Run ``page`` with ``query`` (pressing the button labelled ``press``) and read until the run ends."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = query
        if page in self.page_hashes:  # as a sidebar link does
            msg.rerun_script.page_script_hash = self.page_hashes[page]
        else:  # as opening the URL does
            msg.rerun_script.page_name = page
        if press:
            widget = msg.rerun_script.widget_states.widgets.add()
            widget.id, widget.trigger_value = self.buttons[press], True
        run = PageRun(viewer, page, time.monotonic(), reload=bool(press))
        elements: dict[tuple, object] = {}
        await self.ws.send(msg.SerializeToString())
        deadline = run.sent_at + PAGE_TIMEOUT_S
        try:
            while True:
                reply = ForwardMsg.FromString(await asyncio.wait_for(self.ws.recv(), deadline - time.monotonic()))
                kind = reply.WhichOneof("type")
                if kind == "new_session":  # every run starts with one; a run after st.rerun() replaces the page
                    self.session_id = reply.new_session.initialize.session_id or self.session_id
                    elements.clear()
                elif kind == "navigation":
                    self.page_hashes = {p.url_pathname: p.page_script_hash for p in reply.navigation.app_pages}
                elif kind == "delta" and reply.delta.WhichOneof("type") == "new_element":
                    element = reply.delta.new_element
                    elements[tuple(reply.metadata.delta_path)] = element
                    if on_progress is not None and element.WhichOneof("type") == "progress":
                        on_progress.set()
                elif kind == "session_event" and reply.session_event.HasField("script_compilation_exception"):
                    run.errors.append(reply.session_event.script_compilation_exception.message)
                elif kind == "page_not_found":
                    run.errors.append(f"page not found: {page!r}")
                elif kind == "script_finished":
                    if reply.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue
                    if reply.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                        run.errors.append("compile error")
                    break
        except (TimeoutError, asyncio.TimeoutError):
            run.errors.append(f"no script_finished in {PAGE_TIMEOUT_S} s")
        except Exception as exc:  # a closed connection is this viewer's error, not the benchmark's end
            run.errors.append(f"{type(exc).__name__}: {exc}")
        run.received_at = time.monotonic()
        run.session = self.session_id
        ordered = [(path, elements[path]) for path in sorted(elements)]
        for path, element in ordered:
            kind = element.WhichOneof("type")
            if kind == "exception":
                run.errors.append(f"exception: {element.exception.type}: {element.exception.message}")
            elif kind == "alert" and element.alert.format == element.alert.ERROR:
                run.errors.append(f"error box: {element.alert.body}")
            elif kind == "button":
                self.buttons[element.button.label] = element.button.id
        run.numbers = shown_numbers(page, [element for path, element in ordered if path[0] == 0])
        return run


def _frame(element, columns: tuple[str, ...]) -> list[tuple]:
    import pyarrow.ipc

    table = pyarrow.ipc.open_stream(element.dataframe.arrow_data.data).read_all().to_pydict()
    return list(zip(*(table[c] for c in columns)))


def shown_numbers(page: str, main: list) -> object:
    """The numbers ``page`` showed in its main area (the sidebar is the same for everyone)."""
    kinds = [element.WhichOneof("type") for element in main]
    if page == "":
        return [(e.metric.label, e.metric.body) for e, k in zip(main, kinds) if k == "metric"]
    if page == "incidents":
        for element, kind in zip(main, kinds):
            found = re.match(r"([\d,]+) post-mortems", element.markdown.body) if kind == "markdown" else None
            if found:
                return int(found.group(1).replace(",", ""))
        return None
    frames = [e for e, k in zip(main, kinds) if k == "dataframe"]
    if not frames:
        return None
    return _frame(frames[0], ("label", "n") if page == "response_times" else ("priority", "total"))


def expected_numbers(con, query: dict) -> dict:
    """What each page must show for the filter in ``query``, computed with ``pm_analytics.metrics``."""
    from pm_analytics import metrics
    from pm_analytics.filters import from_query_params
    from pm_analytics.formatting import format_count, format_minutes, format_percent

    filters, _ = from_query_params(query, AS_OF)
    shown = {"count": format_count, "minutes": format_minutes, "percent": format_percent}
    stats = metrics.response_time_stats(con, filters)
    items = metrics.action_item_summary(con, filters, AS_OF, ("priority",))
    return {
        "": [(card["label"], shown[card["unit"]](card["value"])) for card in metrics.overview_cards(con, filters, AS_OF)],
        "response_times": [(label, int(n)) for label, n in zip(stats["label"], stats["n"])],
        "incidents": metrics.incident_count(con, filters),
        "action_items": [(priority, int(total)) for priority, total in zip(items["priority"], items["total"])],
    }


def view_queries(teams: list[str], n: int) -> list[dict]:
    """``n`` distinct filters, severity x team (4 x 21 pairs; 4 and 21 share no factor, so the first 84
    indices give every pair once), each over all time and with "today" pinned."""
    choices = ["", *teams]
    if n > len(SEVERITIES) * len(choices):
        raise SystemExit(f"at most {len(SEVERITIES) * len(choices)} distinct views")
    queries = []
    for i in range(n):
        sev, team = SEVERITIES[i % len(SEVERITIES)], choices[i % len(choices)]
        queries.append({k: v for k, v in (("sev", sev), ("team", team), ("range", "all"),
                                          ("as_of", AS_OF.isoformat())) if v})
    return queries


async def visit(port: int, viewer: int, query: str, runs: list, reload_started: asyncio.Event,
                presses_reload: bool, think_s: float = 0.0, seed: int = 0) -> None:
    """One viewer's four pages. The one who ``presses_reload`` does so after its first page; the others
    start once that reload is running. With ``think_s``, a viewer reads as a person does: it arrives
    at a random moment within ``think_s`` seconds of the reload starting and pauses between 0.5 and 1.5
    times ``think_s`` (seeded per viewer) before each next page; without it, the pages come back to back."""
    pause = random.Random(seed * 1000 + viewer)
    if not presses_reload:
        await reload_started.wait()
        if think_s:
            await asyncio.sleep(pause.uniform(0, think_s))
    async with Session(port) as session:
        for i, (page, _) in enumerate(PAGES):
            if i and think_s:
                await asyncio.sleep(pause.uniform(0.5, 1.5) * think_s)
            runs.append(await session.open(viewer, page, query))
            if i == 0 and presses_reload:
                if "Reload" not in session.buttons:
                    runs[-1].errors.append("no Reload button")
                    reload_started.set()
                    continue
                runs.append(await session.open(viewer, page, query, press="Reload", on_progress=reload_started))
                reload_started.set()  # also when the load never showed progress: nobody waits forever


async def prime(port: int) -> PageRun:
    """The first visit: the folder's first load, which nobody here measures."""
    async with Session(port) as session:
        return await session.open(-1, "", "")


async def all_viewers(ports: list[int], queries: list[str], reload: bool, think_s: float = 0.0, seed: int = 0
                      ) -> list[PageRun]:
    """Every viewer's page runs, viewer i on server ``ports[i % len(ports)]``; with ``reload``, viewer 0
    presses Reload (on the first server) and the others start as it runs."""
    runs: list[PageRun] = []
    reload_started = asyncio.Event()
    if not reload:
        reload_started.set()
    await asyncio.gather(*(visit(ports[i % len(ports)], i, query, runs, reload_started,
                                 presses_reload=reload and i == 0,
                                 think_s=think_s, seed=seed)
                           for i, query in enumerate(queries)))
    return runs


def touch_half(folder: Path) -> float:
    """Append a newline to every other file (bytes change, meaning does not); the time just before."""
    before = time.time()
    for path in sorted(folder.iterdir())[::2]:
        with open(path, "a") as fh:
            fh.write("\n")
    return before


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100), linear between ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- one size ---------------------------------------------------------------------

def measure(n: int, folder: Path, teams: list[str], expected: dict, workdir: Path, reload: bool = True,
            think_s: float = 0.0, seed: int = 0, servers: int = 1) -> dict:
    """N viewers (during a reload, with ``reload``) on fresh servers; the figures for one row of the table.

    With ``servers`` above 1, that many server processes serve the same folder, as they would behind a
    proxy sending each new connection to the next: the first loads the folder (text model included),
    each other finds it loaded when first visited, and viewer i uses server i % ``servers``. The reload
    runs in the first; the others read the new database when it is in place, as any reader of the
    file does (this measures what more processes would give; ``pm-analytics dashboard`` runs one)."""
    queries = view_queries(teams, n)
    started = []
    try:
        for index in range(servers):
            started.append(start_server(workdir, folder, index))
        for index, (process, port, timing) in enumerate(started):
            primed = asyncio.run(prime(port))
            if primed.errors:
                raise SystemExit(f"the first visit of server {index} failed: {primed.errors}")
            if index == 0:
                first_text_model_s = wait_for_text_model(process, timing)
        touched_at = touch_half(folder) if reload else None
        load_before = os.getloadavg()
        pids = [process.pid for process, _, _ in started]
        server_cpu, client_cpu, wall = sum(map(cpu_seconds, pids)), time.process_time(), time.monotonic()
        viewers_started_at = wall
        busy = machine_busy_seconds()
        runs = asyncio.run(all_viewers([port for _, port, _ in started], [urlencode(q) for q in queries], reload,
                                       think_s, seed))
        wall, busy = time.monotonic() - wall, machine_busy_seconds() - busy
        server_cpu, client_cpu = sum(map(cpu_seconds, pids)) - server_cpu, time.process_time() - client_cpu
        load_after = os.getloadavg()
        databases = list((workdir / "cache").glob("*.duckdb"))
        new_database = (bool(databases) and all(db.stat().st_mtime > touched_at for db in databases)) if reload else None
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    log = "".join(path.read_text() for path in sorted(workdir.glob("streamlit*.log")))
    per_server = [[json.loads(line) for line in timing.read_text().splitlines()] for _, _, timing in started]
    records = [record for logged in per_server for record in logged]
    server_runs: dict[str, list] = {}
    for record in records:
        if record["kind"] == "run":
            server_runs.setdefault(record["session"], []).append(record)
    first = per_server[0]
    loads = [r for r in first if r["kind"] == "load"]
    reload_window = (loads[-1]["started_at"], loads[-1]["finished_at"]) if len(loads) >= 2 else None
    text_models = [r for r in first if r["kind"] == "text_model"]
    collections = [r for r in records if r["kind"] == "gc" and r["started_at"] >= viewers_started_at]
    gc_s = {generation: sum(r["finished_at"] - r["started_at"] for r in collections if r["generation"] == generation)
            for generation in (0, 1, 2)}
    gc_count = {generation: sum(1 for r in collections if r["generation"] == generation) for generation in (0, 1, 2)}
    reload_text_model_s = (text_models[-1]["finished_at"] - text_models[-1]["started_at"]
                           if len(text_models) >= 2 else None)

    # The i-th run a session asked for is the i-th the server logged for it (one request at a time).
    by_session: dict[str, list[PageRun]] = {}
    for run in sorted(runs, key=lambda r: r.sent_at):
        by_session.setdefault(run.session, []).append(run)
    page_server, page_client, during, after, reload_runs, errors, missing = [], [], [], [], [], [], 0
    script_cpu: dict[str, list[float]] = {}
    seen: dict[int, dict] = {}
    for session, client_runs in by_session.items():
        logged = server_runs.get(session, [])
        for i, run in enumerate(client_runs):
            server = logged[i] if i < len(logged) else None
            errors += [(run.viewer, run.page or "overview", e) for e in run.errors]
            if server is None:
                missing += 1
                continue
            server_s = server["finished_at"] - server["requested_at"]
            if run.reload:
                reload_runs.append(server_s)
                continue
            page_server.append(server_s)
            page_client.append(run.received_at - run.sent_at)
            if server.get("script_cpu_s") is not None:
                script_cpu.setdefault(run.page or "overview", []).append(server["script_cpu_s"])
            seen.setdefault(run.viewer, {})[run.page] = run.numbers
            if reload_window and server["requested_at"] < reload_window[1] and server["finished_at"] > reload_window[0]:
                during.append(server_s)
            else:
                after.append(server_s)
    own = sum(1 for i, q in enumerate(queries) if seen.get(i) == expected[urlencode(q)])
    wrong = [(i, page, seen.get(i, {}).get(page), expected[urlencode(q)][page])
             for i, q in enumerate(queries) for page, _ in PAGES
             if seen.get(i, {}).get(page) != expected[urlencode(q)][page]]
    if "Traceback" in log:
        errors.append((-1, "server log", log[log.index("Traceback"):][:500]))
    return {
        "viewers": n, "servers": servers, "reload": reload, "think_s": think_s, "page_runs": len(page_server), "expected_runs": n * len(PAGES), "missing_server_times": missing,
        "p50_s": statistics.median(page_server) if page_server else float("nan"),
        "p95_s": percentile(page_server, 95), "max_s": max(page_server, default=float("nan")),
        "client_p95_s": percentile(page_client, 95), "errors": errors, "own": own, "wrong": wrong[:5],
        "during_reload": len(during), "p95_during_s": percentile(during, 95),
        "p95_outside_s": percentile(after, 95), "reload_s": (reload_window[1] - reload_window[0]) if reload_window else None,
        "reload_press_s": reload_runs[0] if reload_runs else None, "new_database": new_database,
        "first_text_model_s": first_text_model_s, "reload_text_model_s": reload_text_model_s,
        "wall_s": wall, "machine_busy_s": busy, "server_cpu_s": server_cpu, "client_cpu_s": client_cpu,
        "script_cpu_ms": {page: 1000 * statistics.median(cpu) for page, cpu in script_cpu.items()},
        "script_cpu_s": sum(sum(cpu) for cpu in script_cpu.values()),
        "load_before": load_before[0], "load_after": load_after[0], "gc_s": gc_s, "gc_count": gc_count,
    }


def prepare(files: int, seed: int, workdir: Path) -> tuple[Path, list[str], Path]:
    """The corpus folder, its teams (most incidents first) and a database loaded from it for the expected numbers."""
    import corpus

    from pm_analytics import metrics
    from pm_analytics.filters import Filters
    from pm_analytics.load import load_into
    from pm_analytics.store import open_database

    folder = workdir / "postmortems"
    corpus.generate(files, folder, seed=seed, workers=1)
    db = workdir / "expected.duckdb"
    load_into([folder], db, relative_to=folder)
    con = open_database(db)
    teams = metrics.incidents_per_team(con, Filters())["team"].tolist()
    con.close()
    return folder, teams, db


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="5,20,50", help="comma-separated numbers of concurrent viewers")
    parser.add_argument("--files", type=int, default=1500, help="post-mortems in the folder (half change)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--control", action="store_true",
                        help="also run each N without a reload: what concurrency alone costs")
    parser.add_argument("--think", default="0",
                        help="comma-separated seconds a viewer reads a page before opening the next (0: back "
                             "to back, a burst); each value is a row per N")
    parser.add_argument("--servers", type=int, default=1,
                        help="server processes sharing the viewers (viewer i on server i %% N), as behind a "
                             "proxy; the dashboard itself runs one")
    args = parser.parse_args()
    sizes = [int(s) for s in args.viewers.split(",")]
    thinks = [float(t) for t in args.think.split(",")]

    from pm_analytics.store import open_database

    with tempfile.TemporaryDirectory(prefix="pm-viewers-") as tmp:
        workdir = Path(tmp)
        folder, teams, db = prepare(args.files, args.seed, workdir)
        con = open_database(db)
        expected = {urlencode(q): expected_numbers(con, q) for q in view_queries(teams, max(sizes))}
        con.close()
        rows = []
        for n in sizes:
            for think_s in thinks:
                for reload in (True, False) if args.control else (True,):
                    run_dir = workdir / f"n{n}-t{think_s:g}-{'reload' if reload else 'control'}"
                    run_dir.mkdir()
                    rows.append(measure(n, folder, teams, expected, run_dir, reload, think_s, args.seed,
                                        args.servers))
                    print(f"# done: {json.dumps({k: v for k, v in rows[-1].items() if k != 'wrong'}, default=str)}",
                          file=sys.stderr)
                    shutil.rmtree(run_dir / "cache", ignore_errors=True)
    print_table(rows, args)


def print_table(rows: list[dict], args) -> None:
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    print(f"{args.files:,} post-mortems, half of them changed and reloaded while N viewers each open "
          f"{len(PAGES)} pages ({', '.join(name for _, name in PAGES)}) with their own severity x team filter; "
          f"{cores} cores ({usable} usable); {args.servers} server process{'es' if args.servers > 1 else ''}. "
          "Server time: from the rerun request reaching the server to the "
          "script run finishing, measured in the server.\n")
    print("| viewers | pace | reload | page runs (during the reload) | server p50 | server p95 | p95 during / outside "
          "the reload | server max | client-seen p95 | errors | own numbers | reload: load / its text model / "
          "pressing viewer's run "
          "| new database | CPU server / client | load avg before / after |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|")

    def s(seconds: float) -> str:
        return "–" if seconds != seconds else f"{seconds:.2f}"

    for r in rows:
        if not r["reload"]:
            reload, new_database = "–", "–"
        else:
            text_model = "not seen" if r["reload_text_model_s"] is None else f"{r['reload_text_model_s']:.1f} s"
            reload = (f"{r['reload_s']:.1f} s / {text_model} / {r['reload_press_s']:.1f} s"
                      if r["reload_s"] is not None and r["reload_press_s"] is not None else "not seen")
            new_database = "yes" if r["new_database"] else "NO"
        pace = f"reads {r['think_s']:g} s a page" if r["think_s"] else "burst"
        print(f"| {r['viewers']} | {pace} | {'during' if r['reload'] else 'none'} | {r['page_runs']} of {r['expected_runs']} "
              f"({r['during_reload']}) | {s(r['p50_s'])} s | {s(r['p95_s'])} s | {s(r['p95_during_s'])} / "
              f"{s(r['p95_outside_s'])} s | {s(r['max_s'])} s | {s(r['client_p95_s'])} s | {len(r['errors'])} "
              f"| {r['own']} of {r['viewers']} | {reload} | {new_database} "
              f"| {r['server_cpu_s']:.1f} s / {r['client_cpu_s']:.1f} s | {r['load_before']:.1f} / {r['load_after']:.1f} |")
    print()
    print("Each row starts once the first load's text model is written (it took "
          + ", ".join(f"{r['first_text_model_s']:.1f}" for r in rows) + " s), so the viewers share the server "
          "with the reload and its text model only.\n")
    print("The machine's cores, busy, while the viewers ran (all processes, the reload's parse workers "
          "included): " + "; ".join(f"{r['viewers']} viewers: {r['machine_busy_s']:.1f} of "
                                    f"{r['wall_s'] * os.cpu_count():.1f} core-seconds" for r in rows) + ".\n")
    print("CPU of the page runs' own script threads (the page's Python and the share of its queries DuckDB ran on "
          "that thread; not the time it waited for Python's lock or a core), median per run: "
          + "; ".join(f"{r['viewers']} viewers: "
                      + ", ".join(f"{page} {ms:.0f} ms" for page, ms in r["script_cpu_ms"].items())
                      + f" (page runs in all: {r['script_cpu_s']:.1f} of the server's {r['server_cpu_s']:.1f} s)"
                      for r in rows) + ".\n")
    print("Python's garbage collections in the servers while the viewers ran (every thread waits for each; "
          "generations 0 / 1 / 2, count and seconds): "
          + "; ".join(f"{r['viewers']} viewers: " + " / ".join(f"{r['gc_count'][g]} in {r['gc_s'][g]:.2f} s"
                                                            for g in (0, 1, 2)) for r in rows) + ".\n")
    for r in rows:
        if r["viewers"] == TARGET_VIEWERS and r["reload"]:
            met = (not r["errors"] and r["own"] == r["viewers"] and r["p95_s"] < TARGET_P95_S
                   and r["page_runs"] == r["expected_runs"])
            pace = f"reading {r['think_s']:g} s a page" if r["think_s"] else "in a burst"
            print(f"Target ({TARGET_VIEWERS} viewers during a reload, {pace}: 0 errors, every viewer its own "
                  f"numbers, p95 page run < {TARGET_P95_S:.0f} s): {'met' if met else 'MISSED'}.")
    for r in rows:
        for viewer, page, error in r["errors"][:5]:
            print(f"- {r['viewers']} viewers{'' if r['reload'] else ' (no reload)'}: viewer {viewer}, {page}: {error}")
        for viewer, page, got, want in r["wrong"]:
            print(f"- {r['viewers']} viewers: viewer {viewer}, {page or 'overview'}: showed {got!r}, expected {want!r}")
        if r["missing_server_times"]:
            print(f"- {r['viewers']} viewers: {r['missing_server_times']} runs without a server time")


if __name__ == "__main__":
    main()
