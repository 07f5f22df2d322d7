"""Zip archives read in place, member by member, within limits: exports of many post-mortems (Google
Takeout, Notion, a Confluence space) and the zip package every ``.docx`` is.

Nothing is ever extracted to disk: a member's bytes are read into memory, at
most as many as a post-mortem file may have, so neither a member's declared
size nor its name can do harm. The limits:

- an archive with more than :data:`MAX_MEMBERS` entries, or whose entries claim
  more than :data:`MAX_TOTAL_BYTES` uncompressed, is not read at all;
- a member over :data:`~pm_analytics.parse.MAX_FILE_BYTES` is rejected, as a
  file is; one compressed more than :data:`MAX_RATIO` to 1 (no document is; a
  zip bomb is) is rejected unread;
- a member whose name is absolute or climbs out of the archive (``../``) is
  rejected, and never named outside it; symbolic links, encrypted members and
  archives inside the archive are not read;
- hidden entries (``.name``, ``__MACOSX/``) and folders are passed over, as
  hidden files are in a folder.

Members are reported as ``<archive>/<path inside it>``: ``export.zip/Folder/file.docx``.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 10_000
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 100
# Below this size a member's ratio says nothing (a few repeated lines compress well).
RATIO_FROM_BYTES = 64 * 1024
# A .docx is a small zip package of XML parts: fewer entries, and less XML than any post-mortem needs.
PACKAGE_MAX_MEMBERS = 2_000
PACKAGE_MAX_TOTAL_BYTES = 64 * 1024 * 1024


class ArchiveError(ValueError):
    """The archive cannot be read (not a zip, or over a limit); the message says why."""


@dataclass(frozen=True)
class Member:
    """One entry of an archive worth naming: ``name`` its path inside, ``size`` and ``compressed`` its
    declared bytes; ``problem`` rejects it unread, ``skip`` passes over it with that warning."""

    name: str
    size: int
    compressed: int
    problem: str | None = None
    skip: str | None = None


def list_members(path: Path, readable_suffixes: tuple[str, ...]) -> list[Member]:
    """The entries of the zip at ``path`` that are files, with what a load does with each: read it (a
    post-mortem type within the limits), reject it (``problem``) or skip it (``skip``). Hidden entries
    and folders are left out. Raises :class:`ArchiveError` when the archive cannot be read at all."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"not a readable zip archive ({str(exc)[:120] or type(exc).__name__})") from None
    check_totals(infos, MAX_MEMBERS, MAX_TOTAL_BYTES)
    members: dict[str, Member] = {}
    for info in infos:
        raw = info.filename
        if raw.endswith(("/", "\\")):
            continue
        name = safe_name(raw)
        if name is None:
            shown = raw.replace("\\", "/").replace("\x00", "?")[:200] or "(unnamed)"
            members.setdefault(shown, Member(shown, info.file_size, info.compress_size,
                                             problem=f"the name '{raw[:200]}' points outside the archive; not read"))
            continue
        if hidden(name):
            continue
        suffix = PurePosixPath(name).suffix.lower()
        if suffix == ".zip":
            member = Member(name, info.file_size, info.compress_size,
                            skip="an archive inside the archive is not read; unzip it and load the folder")
        elif suffix not in readable_suffixes:
            member = Member(name, info.file_size, info.compress_size)
        else:
            member = Member(name, info.file_size, info.compress_size, problem=member_problem(info))
        members.setdefault(name, member)
    return [members[k] for k in sorted(members)]


def check_totals(infos: list[zipfile.ZipInfo], max_members: int, max_total: int) -> None:
    """Raise :class:`ArchiveError` for an archive with too many entries, or claiming too many bytes."""
    if len(infos) > max_members:
        raise ArchiveError(f"the archive has {len(infos):,} entries; more than {max_members:,} are not read")
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise ArchiveError(f"the archive's entries add up to {total / 1048576:,.0f} MB uncompressed; more than "
                           f"{max_total // 1048576:,} MB is not read (a zip bomb?)")


def member_problem(info: zipfile.ZipInfo, max_bytes: int | None = None) -> str | None:
    """Why one entry is not read (a link, encrypted, over the size limit, compressed like a bomb), or None."""
    from pm_analytics.parse import MAX_FILE_BYTES

    limit = max_bytes or MAX_FILE_BYTES
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link inside the archive; not followed"
    if info.flag_bits & 0x1:
        return "encrypted; not read"
    if info.file_size > limit:
        return (f"{info.file_size / 1048576:.1f} MB uncompressed; post-mortems over {limit // 1048576} MB "
                "are not read")
    if info.file_size >= RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return (f"compressed {info.file_size // max(info.compress_size, 1):,} to 1, more than any document "
                f"(over {MAX_RATIO} to 1 is taken for a zip bomb); not read")
    return None


def safe_name(raw: str) -> str | None:
    """The member's path inside the archive with ``/`` separators, or None when it is absolute or climbs
    out of the archive (``../``, ``C:\\``, a NUL)."""
    if "\x00" in raw:
        return None
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def hidden(name: str) -> bool:
    """An entry a folder listing would hide: a dot file or folder, or macOS's ``__MACOSX`` copies."""
    return any(part.startswith(".") or part == "__MACOSX" for part in name.split("/"))


_OPEN = threading.local()


def read_member(path: Path, name: str, limit: int) -> bytes:
    """The bytes of member ``name`` (a name :func:`list_members` gave) of the archive at ``path``: at most
    ``limit + 1`` of them, whatever the entry claims. Raises :class:`ArchiveError` or ``OSError``."""
    archive = _archive(path)
    try:
        info = archive.getinfo(_raw_names(archive)[name])
    except KeyError:
        raise ArchiveError("no longer in the archive (was it replaced while loading?)") from None
    problem = member_problem(info, limit)
    if problem:
        raise ArchiveError(problem)
    try:
        with archive.open(info) as member:
            data = member.read(limit + 1)
    except NotImplementedError:
        raise ArchiveError("compressed with a method that cannot be read here; re-create the zip") from None
    except (zipfile.BadZipFile, EOFError, ValueError, RuntimeError) as exc:
        raise ArchiveError(f"cannot be read from the archive ({str(exc)[:120]})") from None
    if len(data) >= RATIO_FROM_BYTES and len(data) > MAX_RATIO * max(info.compress_size, 1):
        raise ArchiveError(f"expands more than {MAX_RATIO} to 1 (a zip bomb?); not read")
    return data


def _archive(path: Path) -> zipfile.ZipFile:
    """The open archive at ``path`` for this thread (kept open while members are read one by one; a
    changed file is opened again)."""
    st = os.stat(path)
    key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns)
    cached = getattr(_OPEN, "archive", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    close_archives()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise ArchiveError(f"not a readable zip archive ({str(exc)[:120]})") from None
    names = {}
    for info in archive.infolist():
        safe = safe_name(info.filename)
        if safe is not None:
            names.setdefault(safe, info.filename)
    archive._pm_names = names  # type: ignore[attr-defined]
    _OPEN.archive = (key, archive)
    return archive


def _raw_names(archive: zipfile.ZipFile) -> dict[str, str]:
    return archive._pm_names  # type: ignore[attr-defined]


def close_archives() -> None:
    """Close the archive this thread keeps open, if any."""
    cached = getattr(_OPEN, "archive", None)
    if cached is not None:
        _OPEN.archive = None
        cached[1].close()


def open_package(data: bytes) -> zipfile.ZipFile:
    """The zip package of a ``.docx`` held in ``data``, checked before any part of it is read: a package
    with too many parts, parts claiming too many bytes, or a part compressed like a bomb is refused
    (:class:`ArchiveError`)."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
        raise ArchiveError("not a Word .docx file (is it an older .doc, or password-protected? save it as "
                           ".docx)") from None
    infos = package.infolist()
    check_totals(infos, PACKAGE_MAX_MEMBERS, PACKAGE_MAX_TOTAL_BYTES)
    for info in infos:
        if info.flag_bits & 0x1:
            raise ArchiveError("the Word file is encrypted; not read")
        if info.file_size >= RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"a part of the Word file ({info.filename[:80]}) is compressed "
                               f"{info.file_size // max(info.compress_size, 1):,} to 1 (a zip bomb?); not read")
    return package


__all__ = ["ArchiveError", "Member", "list_members", "read_member", "close_archives", "open_package",
           "MAX_MEMBERS", "MAX_TOTAL_BYTES", "MAX_RATIO"]
