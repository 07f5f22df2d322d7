"""Find post-mortem files, parse them, settle duplicate ids, and write the database.

Every file found is accounted for: loaded, rejected (with at least one
error), a duplicate of an earlier id, or skipped (not a post-mortem file
type). Files are handled in sorted path order, so neither the file system's
listing order nor the number of worker processes changes the result.

A reload is incremental: a file whose size and modification time match the
previous load (or, failing that, whose SHA-256 does) is not parsed again; its
rows are copied from the previous database. When nothing changed at all, the
database is left as it is.

The text model (related incidents, recurrences, themes) is a second step
(:mod:`pm_analytics.text_model`): the database is put in place as soon as the
files are written, saying the text model is pending, and the text model then
replaces it with a copy that has it.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from stat import S_ISREG

import pyarrow as pa
import pyarrow.compute as pc

from pm_analytics import settings
from pm_analytics.parse import MAX_FILE_BYTES, SUFFIXES, ParseResult, parse_bytes
from pm_analytics.parse.archive import ArchiveError, close_archives, list_members, read_member
from pm_analytics.schema import Incident, Problem
from pm_analytics.tickets import TicketExport, read_export
from pm_analytics.store import (
    TEXT_MODEL_DONE,
    TEXT_MODEL_NOT_COMPUTED,
    TEXT_MODEL_PENDING,
    DatabaseWriter,
    PreviousLoad,
    SourceFile,
    apply_tickets,
    canonicalise_names,
    file_identity,
    incident_tables,
    previous_load,
)
from pm_analytics.text_model import PendingTextModel, TextModelResult

# Below this many files to parse, worker processes cost more than they save (measured on 2 cores:
# a pool parses 25 files in as long as one process does, 100 in two thirds of the time).
PARALLEL_MIN_FILES = 50
# Files per chunk a worker parses at a time, at most: fewer when that gives every worker a chunk.
CHUNK_FILES = 64
FLUSH_INCIDENTS = 5000
# A reload that parses at most this share of the files, and at most HOLD_FILES of them, starts from a copy
# of the previous database (dropping what changed) instead of copying every unchanged row into a new one;
# what it parses is held in memory until the copy has dropped the rows it replaces.
COPY_AT_MOST_SHARE = 0.25
HOLD_FILES = 5000
READ_ATTEMPTS = 3
# Seconds (wall clock) beyond its files' CPU budgets after which a silent worker is taken for stuck.
STUCK_AFTER_S = 60
# How often a load waiting on its workers checks that none of them has died.
DEATH_CHECK_S = 0.5


@dataclass
class LoadResult:
    """What a load saw and found. ``incidents`` is kept only by :func:`load_paths` (nothing is written)."""

    problems: list[Problem] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    parsed: int = 0
    reused: int = 0
    written: bool = False
    # The text model still to compute (a load with ``defer_text_model``), and what computing it did.
    pending: PendingTextModel | None = None
    text_model: TextModelResult | None = None
    exports: list[TicketExport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def with_warnings(self) -> int:
        warned = {p.source_path for p in self.problems if p.level == "warning"}
        return sum(1 for f in self.files if f.status == "loaded" and f.source_path in warned)

    def summary(self) -> str:
        rejected = self.count("rejected") + self.count("duplicate")
        text = (f"{len(self.files)} files seen, {self.count('loaded')} loaded "
                f"({self.with_warnings} with warnings), {rejected} rejected")
        skipped = self.count("skipped")
        text += f", {skipped} skipped (not post-mortem files)" if skipped else ""
        if self.exports:
            read = sum(e.loaded for e in self.exports)
            text += (f"; {len(self.exports)} ticket exports ({read} read, {len(self.exports) - read} rejected, "
                     f"{sum(len(e.tickets) for e in self.exports)} tickets)")
        return text


@dataclass(frozen=True)
class Candidate:
    """A file to read: where it is on disk (``location``; ``path`` as a :class:`~pathlib.Path`) and the
    name it is reported under; ``problem`` rejects it unread, ``skip`` passes over it with that warning.
    A member of a zip archive is at its archive, with ``member`` its name inside and ``member_size`` its
    (uncompressed) size. A file found in a folder keeps its location as the listing gave it, a string:
    building a ``Path`` for each of 10,000 files cost more than looking at them."""

    location: str | os.PathLike
    source_path: str
    problem: str | None = None
    skip: str | None = None
    member: str | None = None
    member_size: int | None = None

    @property
    def path(self) -> Path:
        return Path(self.location)

    @property
    def suffix(self) -> str:
        if self.member is not None:
            return PurePosixPath(self.member).suffix.lower()
        return os.path.splitext(self.location)[1].lower()

    def signature(self) -> tuple[int, int] | None:
        """``(size, mtime_ns)`` as :class:`SourceFile` records them (a member: its size, its archive's
        time), or None when the file cannot be looked at."""
        try:
            stat = os.stat(self.location)
        except OSError:
            return None
        return (self.member_size if self.member is not None else stat.st_size, stat.st_mtime_ns)


def discover(paths: Iterable[str | os.PathLike], relative_to: str | os.PathLike | None = None) -> list[Candidate]:
    """Every file under ``paths`` (folders recursively, hidden entries skipped), sorted by reported name.

    Names are relative to ``relative_to``, else to the folder the given folders have in common (a
    folder given alone names its files from itself); a file given by itself, outside them, keeps the
    name it was given by (as a pre-commit hook or an editor passes it). A symlink that leads outside the folder it was found in is
    reported, not followed; one that leads to a file or folder inside it is skipped with a warning, its
    target being read where it is (never twice). A ``.zip`` stands for its members, each named
    ``<archive>/<path inside>`` (:mod:`pm_analytics.parse.archive`); an archive that cannot be read,
    or breaks a limit, is reported under its own name.
    """
    given = [Path(p) for p in paths]
    folders = [p.absolute() for p in given if p.is_dir()]
    if relative_to is None and folders:
        relative_to = os.path.commonpath(folders) if len(folders) > 1 else folders[0]
    base = Path(relative_to).absolute() if relative_to is not None else None
    found: dict[str, Candidate] = {}

    def name_of(path: Path) -> str:
        if base is not None:
            try:
                return path.absolute().relative_to(base).as_posix()
            except ValueError:
                pass
        return os.path.normpath(path).replace(os.sep, "/")

    def add(path: Path, real_root: Path) -> None:
        name = name_of(path)
        problem = skip = None
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(real_root):
                problem = f"symlink points outside the data folder ({target}); not followed"
            else:
                skip = f"a link to {name_of(target) if base else target}, read there; not read twice"
        if problem is None and skip is None and path.suffix.lower() == ".zip":
            add_archive(path, name)
            return
        found.setdefault(name, Candidate(path, name, problem, skip))

    def add_archive(path: Path, name: str) -> None:
        try:
            members = list_members(path, SUFFIXES)
        except (ArchiveError, OSError) as exc:
            found.setdefault(name, Candidate(path, name, str(exc)))
            return
        for member in members:
            member_name = f"{name}/{member.name}"
            found.setdefault(member_name, Candidate(path, member_name, member.problem, member.skip, member.name,
                                                    member.size))

    def walk(folder: Path, real_root: Path) -> None:
        """Add the files under ``folder`` (hidden entries skipped, symlinks to :func:`add`), naming them from
        the folder's name: one ``scandir`` per folder and no path arithmetic per file."""
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            return
        prefix = name_of(folder)
        prefix = "" if prefix == "." else prefix + "/"
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                add(folder / entry.name, real_root)
            elif entry.is_dir():
                walk(folder / entry.name, real_root)
            elif entry.name.lower().endswith(".zip"):
                add(folder / entry.name, real_root)
            else:
                found.setdefault(prefix + entry.name, Candidate(entry.path, prefix + entry.name))

    for root in given:
        if root.is_dir():
            real_root = root.resolve()
            walk(root, real_root)
        elif root.suffix.lower() == ".zip" and root.is_file():
            add_archive(root, name_of(root))
        else:
            found.setdefault(name_of(root), Candidate(root, name_of(root)))
    return [found[k] for k in sorted(found)]


def _failed(name: str, message: str) -> ParseResult:
    return ParseResult(name, problems=[Problem(name, "error", None, None, message)])


def _read(candidate: Candidate) -> tuple[bytes | None, SourceFile, ParseResult | None]:
    """The file's bytes and what is known of it, or the reason it cannot be read.

    A file that changes while it is read is read again; one that keeps
    changing is reported rather than loaded half-written.
    """
    name = candidate.source_path
    if candidate.problem:
        return None, SourceFile(name, None, None, None, "rejected", None), _failed(name, candidate.problem)
    if candidate.member is not None:
        return _read_member(candidate)
    try:
        for _ in range(READ_ATTEMPTS):
            before = os.stat(candidate.location)
            if not S_ISREG(before.st_mode):
                return None, SourceFile(name, None, None, None, "rejected", None), _failed(name, "not a regular file")
            with open(candidate.location, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
            after = os.stat(candidate.location)
            if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
                break
        else:
            return None, SourceFile(name, None, None, None, "rejected", None), \
                _failed(name, "the file kept changing while it was read; not loaded (load again when it is saved)")
    except OSError as exc:
        return None, SourceFile(name, None, None, None, "rejected", None), \
            _failed(name, f"cannot read: {exc.strerror or exc} (the file may have been moved or deleted while loading)")
    source = SourceFile(name, after.st_size, after.st_mtime_ns, None, "rejected", None)
    if len(data) > MAX_FILE_BYTES:
        return None, source, _failed(name, f"file is over {MAX_FILE_BYTES // 1048576} MB; "
                                           "post-mortems that large are not read")
    return data, source, None


def _read_member(candidate: Candidate) -> tuple[bytes | None, SourceFile, ParseResult | None]:
    """A zip member's bytes (at most the limit a file has), read in place; as :func:`_read`."""
    name = candidate.source_path
    unread = SourceFile(name, candidate.member_size, None, None, "rejected", None)
    try:
        for _ in range(READ_ATTEMPTS):
            before = candidate.path.stat()
            data = read_member(candidate.path, candidate.member, MAX_FILE_BYTES)
            after = candidate.path.stat()
            if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
                break
        else:
            return None, unread, _failed(name, "the archive kept changing while it was read; not loaded")
    except ArchiveError as exc:
        return None, unread, _failed(name, str(exc))
    except OSError as exc:
        return None, unread, _failed(name, f"cannot read the archive: {exc.strerror or exc}")
    source = SourceFile(name, candidate.member_size, after.st_mtime_ns, None, "rejected", None)
    if len(data) > MAX_FILE_BYTES:
        return None, source, _failed(name, f"over {MAX_FILE_BYTES // 1048576} MB uncompressed; "
                                           "post-mortems that large are not read")
    return data, source, None


def read_candidate(candidate: Candidate, read: tuple[bytes, SourceFile] | None = None) -> tuple[ParseResult, SourceFile]:
    """Parse one file (``read``: its bytes and record, if already read). Never raises for a bad file."""
    if read is None:
        data, source, failure = _read(candidate)
        if failure is not None:
            return failure, source
    else:
        data, source = read
    result = parse_bytes(data, candidate.source_path)
    source.source_sha256 = result.source_sha256
    if result.incidents:
        source.status, source.incident_id = "loaded", result.incidents[0].incident_id
    return result, source


@dataclass
class _Chunk:
    """Parsed files in path order: each file's record, problems, incident ids and (if kept) incident
    objects; and the Arrow rows of the chunk's loaded incidents (``_owner`` = position among them, in
    file order, a file holding several incidents giving several positions)."""

    files: list[tuple[SourceFile, list[Problem], list[str], list[Incident] | None]]
    tables: dict[str, pa.Table] | None


class _OverBudget(BaseException):
    """Raised by the CPU-time alarm inside a parse that took longer than its budget. A BaseException, so
    that no ``except Exception`` on the way can swallow it."""


def _over_budget(signum, frame) -> None:
    raise _OverBudget()


def _parse_one(candidate: Candidate, read: tuple[bytes, SourceFile] | None, budget_s: float | None
               ) -> tuple[ParseResult, SourceFile]:
    """:func:`read_candidate` within ``budget_s`` seconds of CPU time: a file that takes longer is stopped
    and rejected with an error naming the budget (CPU time, so a busy machine does not reject good files)."""
    if not budget_s or threading.current_thread() is not threading.main_thread():
        return read_candidate(candidate, read)
    previous = signal.signal(signal.SIGPROF, _over_budget)
    signal.setitimer(signal.ITIMER_PROF, budget_s)
    try:
        return read_candidate(candidate, read)
    except _OverBudget:
        source = read[1] if read is not None else SourceFile(candidate.source_path, None, None, None, "rejected", None)
        source.status = "rejected"
        return _failed(candidate.source_path, _budget_message(budget_s)), source
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _budget_message(budget_s: float) -> str:
    return (f"reading took longer than the {budget_s:g} s budget (PM_ANALYTICS_PARSE_BUDGET); stopped and not "
            "loaded: is a pasted log or a very long line in it?")


def _parse_chunk(chunk: list[tuple[Candidate, tuple[bytes, SourceFile] | None]], keep_objects: bool,
                 budget_s: float | None = None) -> _Chunk:
    files, loaded = [], []
    for candidate, read in chunk:
        result, source = _parse_one(candidate, read, budget_s)
        loaded.extend(result.incidents)
        files.append((source, result.problems, [i.incident_id for i in result.incidents],
                      result.incidents if keep_objects else None))
    return _Chunk(files, None if keep_objects else incident_tables(loaded))


def _parse_chunk_job(job: tuple) -> _Chunk:
    return _parse_chunk(*job)


def _chunks_in_order(work: list[tuple[Candidate, tuple[bytes, SourceFile] | None]], workers: int,
                     keep_objects: bool, budget_s: float | None = None, background: bool = False
                     ) -> Iterator[_Chunk]:
    """Parse ``work`` chunk by chunk, in order: in this process when it is small and this is the main
    thread (where the CPU-time alarm works), else in ``workers`` processes (with ``background``, at a
    lower CPU priority). Each file gets ``budget_s`` seconds of CPU; should a worker stop answering
    altogether (stuck where the alarm cannot reach), it is killed and replaced, its chunk read again file
    by file, and the file that hangs is rejected."""
    size = max(1, min(CHUNK_FILES, -(-len(work) // max(1, workers))))
    chunks = [work[i:i + size] for i in range(0, len(work), size)]
    in_main = threading.current_thread() is threading.main_thread()
    if not chunks:
        return
    if (workers <= 1 or len(work) < PARALLEL_MIN_FILES) and (in_main or not budget_s):
        for chunk in chunks:
            yield _parse_chunk(chunk, keep_objects, budget_s)
        return
    processes = max(1, min(workers, len(chunks)))
    pending = list(chunks)
    died_without_progress = False
    while pending:
        if died_without_progress:
            yield _merge_chunks([_one_file(item, keep_objects, budget_s, background) for item in pending.pop(0)],
                                keep_objects)
            died_without_progress = False
            continue
        pool = multiprocessing.Pool(processes, initializer=_start_worker, initargs=(background,))
        try:
            started = list(pool._pool)
            results = pool.imap(_parse_chunk_job, [(chunk, keep_objects, budget_s) for chunk in pending])
            progress = False
            while pending:
                outcome = _next_result(results, started, _wall_limit(pending[0], budget_s, background))
                if outcome is _STUCK:
                    pool.terminate()
                    yield _merge_chunks([_one_file(item, keep_objects, budget_s, background)
                                         for item in pending.pop(0)], keep_objects)
                    break
                if outcome is _DIED:
                    died_without_progress = not progress
                    break
                pending.pop(0)
                progress = True
                yield outcome
        finally:
            pool.terminate()
            pool.join()


_STUCK, _DIED = object(), object()


def _next_result(results, workers: list, limit_s: float | None):
    """The pool's next result; ``_STUCK`` after ``limit_s`` seconds, or ``_DIED`` as soon as one of the
    pool's first ``workers`` has exited (killed, crashed): its chunk is lost, and waiting out the limit
    would hold the whole load for minutes."""
    deadline = None if limit_s is None else time.monotonic() + limit_s
    while True:
        wait = DEATH_CHECK_S if deadline is None else min(DEATH_CHECK_S, max(0.0, deadline - time.monotonic()))
        try:
            return results.next(timeout=wait)
        except multiprocessing.TimeoutError:
            if any(worker.exitcode is not None for worker in workers):
                return _DIED
            if deadline is not None and time.monotonic() >= deadline:
                return _STUCK


def _wall_limit(chunk: list, budget_s: float | None, background: bool = False) -> float | None:
    """How long a worker may take over a chunk before it is taken for stuck: far above its files' CPU
    budgets, so only a worker the alarm cannot stop ever reaches it; five times that for a background
    worker, which a busy machine gives a tenth of a core or less."""
    if not budget_s:
        return None
    return (STUCK_AFTER_S + 4 * budget_s * len(chunk)) * (5 if background else 1)


def _one_file(item: tuple[Candidate, tuple[bytes, SourceFile] | None], keep_objects: bool,
              budget_s: float | None, background: bool = False) -> _Chunk:
    """One file in a worker of its own, rejected if it outlives its wall-clock limit or its worker dies."""
    pool = multiprocessing.Pool(1, initializer=_start_worker, initargs=(background,))
    try:
        outcome = _next_result(pool.imap(_parse_chunk_job, [([item], keep_objects, budget_s)]), list(pool._pool),
                               _wall_limit([item], budget_s, background))
    finally:
        pool.terminate()
        pool.join()
    if outcome is not _STUCK and outcome is not _DIED:
        return outcome
    candidate, read = item
    source = read[1] if read is not None else SourceFile(candidate.source_path, None, None, None, "rejected", None)
    source.status = "rejected"
    message = (_budget_message(budget_s) if outcome is _STUCK else
               "the process reading it stopped without an answer (it crashed or was killed); not loaded")
    return _Chunk([(source, _failed(candidate.source_path, message).problems, [], [] if keep_objects else None)],
                  None if keep_objects else incident_tables([]))


def _merge_chunks(parts: list[_Chunk], keep_objects: bool) -> _Chunk:
    files = [f for part in parts for f in part.files]
    if keep_objects:
        return _Chunk(files, None)
    offset, tables = 0, {}
    for part in parts:
        count = part.tables["incidents"].num_rows
        for name, table in part.tables.items():
            shifted = table.set_column(table.column_names.index("_owner"), "_owner",
                                       pc.add(table["_owner"], pa.scalar(offset, pa.int32())))
            tables.setdefault(name, []).append(shifted)
        offset += count
    return _Chunk(files, {name: pa.concat_tables(parts_) for name, parts_ in tables.items()})


def _start_worker(background: bool = False) -> None:
    """Pool initializer of every parse worker: Python's own signal handlers, gone with its parent, the
    heap it was forked with settled (as it is, garbage included: the worker ends with the load) and, for
    a ``background`` load, a lower CPU priority (:data:`BACKGROUND_NICENESS`)."""
    _python_signal_handlers()
    _exit_with_parent()
    if background and hasattr(os, "nice"):
        try:
            os.nice(BACKGROUND_NICENESS)
        except OSError:  # a worker that cannot lower its priority still parses
            pass
    settle_heap(collect=False)


# How much lower than its server the CPU priority of a background load's parse workers is (Unix
# niceness, added): the dashboard's reloads run beside the viewers' page runs, and a page run waits for
# a core the workers hold. A worker still gets every core nobody else wants, so an idle machine parses
# as fast as before.
BACKGROUND_NICENESS = 10


# Net new objects between two collections of Python's youngest generation (Python's default: 700).
YOUNG_COLLECTION_OBJECTS = 10_000


def settle_heap(collect: bool = True) -> None:
    """Leave what is alive now (the imported modules, mostly: some 140,000 objects, 200,000 with the
    dashboard's) out of every later garbage collection, and collect the youngest objects every 10,000 net
    new ones, not 700. For a process that has imported what it needs and now works.

    A full collection walked all of those objects, and the default threshold ran about 1,600 collections
    in each parse worker of a 10,000-file load (0.9-1.8 s of its CPU), and some 560 in the dashboard's server
    while 20 viewers opened their pages, every thread waiting for each. Parsing or a page run makes tens
    of thousands of short-lived objects, freed by their reference counts; few of them survive a collection."""
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_OBJECTS, *gc.get_threshold()[1:])


def _python_signal_handlers() -> None:
    """Python's own handlers for the signals that stop a process. A forked worker inherits the parent's,
    and the dashboard's parent is a Streamlit server, whose SIGTERM handler stops "the server" and
    returns: a worker that ran it went on waiting for work, and the pool's ``terminate()`` waited for
    that worker forever, holding every later load and every page waiting for one."""
    for number, handler in ((signal.SIGTERM, signal.SIG_DFL), (signal.SIGINT, signal.default_int_handler),
                            (getattr(signal, "SIGQUIT", None), signal.SIG_DFL)):
        if number is not None:
            signal.signal(number, handler)


def _exit_with_parent() -> None:
    """Leave when the process that started this worker is gone. A load that is killed cannot shut its
    pool down, and its workers would otherwise wait for work forever."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass
class _Plan:
    """Per file in path order: reuse its previous rows, parse it, report it, or skip it."""

    steps: list[tuple[str, Candidate, SourceFile | None]] = field(default_factory=list)
    to_parse: list[tuple[Candidate, tuple[bytes, SourceFile] | None]] = field(default_factory=list)


def _plan(candidates: list[Candidate], previous: dict[str, SourceFile]) -> _Plan:
    plan = _Plan()
    for candidate in candidates:
        name = candidate.source_path
        if candidate.skip or candidate.problem is None and candidate.suffix not in SUFFIXES:
            plan.steps.append(("skip", candidate, SourceFile(name, None, None, None, "skipped", None)))
            continue
        before = previous.get(name)
        if before is not None and before.status in ("loaded", "rejected") and candidate.problem is None:
            stat = candidate.signature()
            if stat is not None and stat == (before.size_bytes, before.mtime_ns):
                plan.steps.append(("reuse", candidate, before))
                continue
            if stat is not None and stat[0] == before.size_bytes:
                data, source, failure = _read(candidate)
                if failure is None and hashlib.sha256(data).hexdigest() == before.source_sha256:
                    source.source_sha256, source.status, source.incident_id = (
                        before.source_sha256, before.status, before.incident_id)
                    plan.steps.append(("reuse", candidate, source))
                    continue
                if failure is None:
                    plan.steps.append(("parse", candidate, None))
                    plan.to_parse.append((candidate, (data, source)))
                    continue
        plan.steps.append(("parse", candidate, None))
        plan.to_parse.append((candidate, None))
    return plan


def _unchanged(plan: _Plan, previous: dict[str, SourceFile]) -> bool:
    """True when every file is reused as it was and no file disappeared: the old database stands."""
    if plan.to_parse or len(plan.steps) != len(previous):
        return False
    for kind, candidate, source in plan.steps:
        before = previous.get(candidate.source_path)
        if before is None or kind == "skip" and before.status != "skipped":
            return False
        if kind == "reuse" and (source.size_bytes, source.mtime_ns) != (before.size_bytes, before.mtime_ns):
            return False
    return True


class _Sink:
    """Where loaded incidents go, in batches: kept in memory, or written through a :class:`DatabaseWriter`
    (with ``hold``, not before :meth:`release`)."""

    def __init__(self, writer: DatabaseWriter | None, hold: bool = False) -> None:
        self.writer = writer
        self.hold = hold
        self.incidents: list[Incident] = []
        self.tables: list[dict[str, pa.Table]] = []
        self.problems: list[Problem] = []
        self.pending = 0

    def add_chunk(self, chunk: _Chunk, losers: set[int]) -> None:
        """Take a parsed chunk's incidents, except ``losers`` (positions among its loaded incidents)."""
        if chunk.tables is None:
            loaded = [inc for _, _, _, incidents in chunk.files for inc in incidents or []]
            self.incidents.extend(inc for i, inc in enumerate(loaded) if i not in losers)
            return
        tables = chunk.tables
        if losers:
            keep = pa.array([i not in losers for i in range(tables["incidents"].num_rows)])
            tables = {name: data.filter(pc.take(keep, data["_owner"])) for name, data in tables.items()}
        self.tables.append(tables)
        self.pending += tables["incidents"].num_rows
        if self.pending >= FLUSH_INCIDENTS and not self.hold:
            self.flush()

    def add_problems(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def release(self) -> None:
        """Write what is held, and from now on as it comes."""
        self.hold = False
        self.flush()

    def flush(self) -> None:
        if self.writer is None or self.hold:
            return
        if self.tables:
            merged = {name: pa.concat_tables([t[name] for t in self.tables]) for name in self.tables[0]}
            self.writer.add_tables(merged, self.problems)
        elif self.problems:
            self.writer.add_tables({}, self.problems)
        self.tables, self.problems, self.pending = [], [], 0


def _run(plan: _Plan, workers: int, progress: Callable[[int, int], None] | None, sink: _Sink,
         reused_problems: Callable[[list[str]], list[Problem]] | None,
         reused_ids: dict[str, list[str]] | None = None, budget_s: float | None = None, background: bool = False
         ) -> tuple[LoadResult, list[str], list[tuple[str, list[str]]]]:
    """Walk the plan in path order: parse what must be, settle duplicate ids (the first incident in path
    order wins; a later one is reported, and only it is dropped) and hand the loaded incidents to ``sink``.
    Returns the result, the paths whose rows are reused, and reused paths of which some incidents now
    lose to a duplicate (their ids)."""
    result = LoadResult()
    owner_of: dict[str, str] = {}
    reused: list[str] = []
    partly: list[tuple[str, list[str]]] = []
    reused_ids = reused_ids or {}
    chunks = _chunks_in_order(plan.to_parse, workers, keep_objects=sink.writer is None, budget_s=budget_s,
                              background=background)
    chunk: _Chunk | None = None
    position = loaded_position = 0
    losers: set[int] = set()
    total = len(plan.steps)

    def close_chunk() -> None:
        if chunk is not None:
            sink.add_chunk(chunk, losers)

    for done, (kind, candidate, source) in enumerate(plan.steps, start=1):
        if progress is not None and (done == 1 or done % 500 == 0 or done == total):
            progress(done, total)
        name = candidate.source_path
        problems: list[Problem] = []
        ids: list[str] = []
        first_position = 0
        if kind == "skip":
            problems.append(Problem(name, "warning", None, None, candidate.skip or
                                    f"not a post-mortem file type ({', '.join(SUFFIXES)}); skipped"))
        elif kind == "reuse":
            result.reused += 1
            reused.append(name)
            ids = list(reused_ids.get(name) or ([source.incident_id] if source.incident_id else []))
        else:
            if chunk is None or position == len(chunk.files):
                close_chunk()
                chunk, position, loaded_position, losers = next(chunks), 0, 0, set()
            source, parsed_problems, ids, _ = chunk.files[position]
            position += 1
            result.parsed += 1
            problems.extend(parsed_problems)
            first_position, loaded_position = loaded_position, loaded_position + len(ids)
        if source.status == "loaded":
            kept = []
            for offset, incident_id in enumerate(ids):
                first = owner_of.get(incident_id)
                if first is None:
                    owner_of[incident_id] = name
                    kept.append(incident_id)
                    continue
                problems.append(Problem(name, "error", None, "id", f"duplicate incident id '{incident_id}': "
                                                                 f"already used by {first}; not loaded"))
                if kind != "reuse":
                    losers.add(first_position + offset)
            if not kept:
                source.status, source.incident_id = "duplicate", (ids[0] if ids else None)
                if kind == "reuse":
                    reused.pop()
                    problems.extend((reused_problems or (lambda _: []))([name]))
            elif kind == "reuse" and len(kept) < len(ids):
                partly.append((name, [i for i in ids if i not in kept]))
            source.incident_id = kept[0] if kept else source.incident_id
        result.files.append(source)
        result.problems.extend(problems)
        sink.add_problems(problems)
    close_chunk()
    sink.flush()
    close_archives()
    return result, reused, partly


def parse_budget() -> float:
    """Seconds of CPU time one file may take to read (``PM_ANALYTICS_PARSE_BUDGET``, default 5)."""
    return settings.PARSE_BUDGET.value()


def load_paths(paths: Sequence[str | os.PathLike], relative_to: str | os.PathLike | None = None,
               progress: Callable[[int, int], None] | None = None, workers: int = 1,
               budget_s: float | None = None) -> LoadResult:
    """Parse every post-mortem under ``paths`` and keep the incidents in memory; nothing is written.

    ``progress(done, total)`` is called as files are handled; each file gets ``budget_s`` seconds of CPU
    (default: :func:`parse_budget`).
    """
    plan = _plan(discover(paths, relative_to), {})
    sink = _Sink(None)
    result, _, _ = _run(plan, workers, progress, sink, None, budget_s=budget_s or parse_budget())
    result.incidents = sink.incidents
    return result


def _exports_unchanged(paths: Sequence[str | os.PathLike], previous: dict[str, tuple]) -> bool:
    """True when the ticket exports are the ones the previous load read, each of the same size and time
    (or, failing that, the same SHA-256)."""
    if {str(p) for p in paths} != set(previous):
        return False
    for path in paths:
        size, mtime_ns, sha = previous[str(path)]
        try:
            stat = os.stat(path)
        except OSError:
            if size is None:
                continue
            return False
        if (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns):
            continue
        if stat.st_size != size:
            return False
        try:
            with open(path, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != sha:
                    return False
        except OSError:
            return False
    return True


def load_into(paths: Sequence[str | os.PathLike], db_path: str | os.PathLike,
              relative_to: str | os.PathLike | None = None, source: str | None = None,
              progress: Callable[[int, int], None] | None = None, workers: int | None = None,
              incremental: bool = True, phase: Callable[[str], None] | None = None,
              budget_s: float | None = None, tickets: Sequence[str | os.PathLike] = (),
              text_model: bool = True, defer_text_model: bool = False, background: bool = False) -> LoadResult:
    """Load ``paths`` into the database at ``db_path``, replacing it atomically.

    With ``incremental`` (the default), files unchanged since the database was
    written are not parsed again, and an unchanged folder leaves the database
    untouched (``result.written`` is False). ``phase(name)`` is told when the
    load moves on: ``reading``, ``copying unchanged``, ``finishing``, ``replaced``
    (the database is in place and readable), then ``relating incidents`` and
    ``text model done``.

    The text model comes after the database is in place (load_info's
    ``text_model`` says ``pending`` meanwhile) and replaces it with a copy that
    has it; it is updated from the previous database's when there was one
    (:mod:`pm_analytics.text_model`). With ``defer_text_model`` this returns as
    soon as the database is in place, and ``result.pending`` is the text model
    still to compute (its ``run()``). With ``text_model`` False it is not
    computed, and the database says so (``not computed``); an unchanged folder
    whose database lacks it gets it on the next load that asks for it.
    
    ``tickets`` are ticket tracker exports (:mod:`pm_analytics.tickets`): their
    status, completion date and assignee win over the post-mortems' for the
    action items whose ticket they hold. A changed export, or another set of
    them, makes the load run even when no post-mortem changed.

    With ``background``, the parse workers run at a lower CPU priority than this process
    (:data:`BACKGROUND_NICENESS`): for a load that runs beside other work, as the dashboard's reloads run
    beside its viewers' page runs.
    """
    tell = phase or (lambda _: None)
    workers = default_workers() if workers is None else workers
    previous = previous_load(db_path) if incremental else None
    try:
        result = _load(paths, db_path, previous, relative_to, source, progress, workers, tell, budget_s, tickets,
                       text_model, background)
    finally:
        if previous is not None:
            previous.close()
    return _text_model_now(result, defer_text_model, tell)


def _load(paths: Sequence[str | os.PathLike], db_path: str | os.PathLike, previous: PreviousLoad | None,
          relative_to: str | os.PathLike | None, source: str | None, progress: Callable[[int, int], None] | None,
          workers: int, tell: Callable[[str], None], budget_s: float | None, tickets: Sequence[str | os.PathLike],
          text_model: bool, background: bool = False) -> LoadResult:
    """:func:`load_into` up to its text model (left in ``result.pending``)."""
    before = {f.source_path: f for f in previous.files} if previous else {}
    plan = _plan(discover(paths, relative_to), before)
    if previous is not None and _unchanged(plan, before) and _exports_unchanged(tickets, previous.exports):
        result = LoadResult(problems=previous.problems(), files=list(before.values()), reused=len(before))
        if progress is not None:
            progress(len(plan.steps), len(plan.steps))
        tell("unchanged")
        if text_model and previous.text_model != TEXT_MODEL_DONE:
            result.pending = PendingTextModel(db_path, file_identity(db_path), None, workers)
        return result
    info = {"source": source or ", ".join(str(p) for p in paths),
            "text_model": TEXT_MODEL_PENDING if text_model else TEXT_MODEL_NOT_COMPUTED}
    update = text_model and previous is not None and previous.text_model == TEXT_MODEL_DONE
    from_previous = previous is not None and len(plan.to_parse) <= min(HOLD_FILES, COPY_AT_MOST_SHARE * len(plan.steps))
    with DatabaseWriter(db_path, previous=previous, from_previous=from_previous, keep_text_model=update) as writer:
        tell("reading")
        sink = _Sink(writer, hold=from_previous)
        result, reused, partly = _run(plan, workers, progress, sink, previous.problems if previous else None,
                                      previous.ids_by_path() if previous else None, budget_s or parse_budget(),
                                      background)
        tell("copying unchanged")
        excluded = [i for _, ids in partly for i in ids]
        if from_previous:
            writer.keep_only(reused, exclude_ids=excluded)
            sink.release()
        else:
            writer.copy_previous(reused, exclude_ids=excluded)
        if tickets:
            tell("reading ticket exports")
        result.exports = [read_export(path) for path in tickets]
        export_problems = [p for e in result.exports for p in e.problems] + apply_tickets(writer.con, result.exports)
        writer.add_tables({}, export_problems)
        result.problems.extend(export_problems)
        canonicalise_names(writer.con)
        tell("finishing")
        kept = writer.finish(result.files, {**info, "files_seen": str(len(result.files))})
    tell("replaced")
    if previous is not None:
        result.problems = sorted(result.problems + previous.problems(reused),
                                 key=lambda p: (p.source_path, p.line or 0))
    result.written = True
    if text_model:
        result.pending = PendingTextModel(db_path, file_identity(db_path), kept, workers)
    return result


def _text_model_now(result: LoadResult, defer: bool, tell: Callable[[str], None]) -> LoadResult:
    """Run the pending text model unless the caller runs it (``defer``)."""
    if result.pending is not None and not defer:
        pending, result.pending = result.pending, None
        result.text_model = pending.run(tell)
    return result
