"""Find post-mortem files, parse them, settle duplicate ids, and write the database.

Every file found is accounted for in the result: loaded, rejected (with at
least one error), a duplicate of an earlier id, or skipped (not a post-mortem
file type). Files are handled in sorted path order, so the result does not
depend on the file system's listing order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pm_analytics.parse import MAX_FILE_BYTES, SUFFIXES, ParseResult, parse_bytes
from pm_analytics.schema import Incident, Problem
from pm_analytics.store import SourceFile, write_database


@dataclass
class LoadResult:
    """Everything one load produced, ready to write or to report."""

    incidents: list[Incident] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)

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
        return text + (f", {skipped} skipped (not post-mortem files)" if skipped else "")


@dataclass(frozen=True)
class Candidate:
    """A file to read: where it is on disk and the name it is reported under."""

    path: Path
    source_path: str
    problem: str | None = None


def discover(paths: Iterable[str | os.PathLike], relative_to: str | os.PathLike | None = None) -> list[Candidate]:
    """Every file under ``paths`` (folders recursively, hidden entries skipped), sorted by reported name.

    A symlink that leads outside the folder it was found in is reported, not followed.
    """
    base = Path(relative_to).resolve() if relative_to is not None else None
    found: dict[str, Candidate] = {}

    def name_of(path: Path) -> str:
        if base is not None:
            try:
                return path.absolute().relative_to(base).as_posix()
            except ValueError:
                pass
        return os.path.normpath(path).replace(os.sep, "/")

    for given in paths:
        root = Path(given)
        if root.is_dir():
            real_root = root.resolve()
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in filenames:
                    if name.startswith("."):
                        continue
                    path = Path(dirpath) / name
                    problem = None
                    if path.is_symlink():
                        target = path.resolve()
                        if not target.is_relative_to(real_root):
                            problem = "symlink points outside the data folder; not followed"
                    found.setdefault(name_of(path), Candidate(path, name_of(path), problem))
        else:
            found.setdefault(name_of(root), Candidate(root, name_of(root)))
    return [found[k] for k in sorted(found)]


def read_candidate(candidate: Candidate) -> tuple[ParseResult | None, SourceFile]:
    """Parse one file; ``None`` result for a skipped file. Never raises for a bad file."""
    path, name = candidate.path, candidate.source_path
    if candidate.problem:
        return _failed(name, candidate.problem), SourceFile(name, None, None, None, "rejected", None)
    if path.suffix.lower() not in SUFFIXES:
        return None, SourceFile(name, None, None, None, "skipped", None)
    try:
        stat = path.stat()
        if not path.is_file():
            return _failed(name, "not a regular file"), SourceFile(name, None, None, None, "rejected", None)
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return _failed(name, f"cannot read: {exc.strerror or exc}"), SourceFile(name, None, None, None, "rejected", None)
    if len(data) > MAX_FILE_BYTES:
        result = _failed(name, f"file is over {MAX_FILE_BYTES // 1048576} MB; post-mortems that large are not read")
        return result, SourceFile(name, stat.st_size, stat.st_mtime_ns, None, "rejected", None)
    result = parse_bytes(data, name)
    status = "rejected" if result.rejected else "loaded"
    incident_id = result.incident.incident_id if result.incident else None
    return result, SourceFile(name, stat.st_size, stat.st_mtime_ns, result.source_sha256, status, incident_id)


def _failed(name: str, message: str) -> ParseResult:
    return ParseResult(name, None, [Problem(name, "error", None, None, message)])


def load_paths(paths: Sequence[str | os.PathLike], relative_to: str | os.PathLike | None = None,
               progress: Callable[[int, int], None] | None = None) -> LoadResult:
    """Parse every post-mortem under ``paths``; the first file (by path) with an id keeps it.

    ``progress(done, total)`` is called as files are read.
    """
    result = LoadResult()
    owner_of: dict[str, str] = {}
    candidates = discover(paths, relative_to)
    for done, candidate in enumerate(candidates, start=1):
        if progress is not None and (done == 1 or done % 50 == 0 or done == len(candidates)):
            progress(done, len(candidates))
        parsed, source = read_candidate(candidate)
        if parsed is None:
            result.problems.append(Problem(source.source_path, "warning", None, None,
                                           f"not a post-mortem file type ({', '.join(SUFFIXES)}); skipped"))
            result.files.append(source)
            continue
        result.problems.extend(parsed.problems)
        incident = parsed.incident
        if incident is not None:
            first = owner_of.get(incident.incident_id)
            if first is not None:
                result.problems.append(Problem(source.source_path, "error", None, "id",
                                               f"duplicate incident id '{incident.incident_id}': already used by {first}; not loaded"))
                source.status = "duplicate"
            else:
                owner_of[incident.incident_id] = source.source_path
                result.incidents.append(incident)
        result.files.append(source)
    return result


def load_into(paths: Sequence[str | os.PathLike], db_path: str | os.PathLike,
              relative_to: str | os.PathLike | None = None, source: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> LoadResult:
    """Load ``paths`` and replace the database at ``db_path`` with the result, atomically."""
    result = load_paths(paths, relative_to, progress)
    info = {"source": source or ", ".join(str(p) for p in paths), "files_seen": str(len(result.files))}
    write_database(db_path, result.incidents, result.problems, result.files, info)
    return result
