"""Where the dashboard's data comes from: a folder of post-mortems or a ``.duckdb`` file.

``PM_ANALYTICS_DATA`` names it (default: the bundled sample). A folder is
loaded into a database file in a cache folder (``PM_ANALYTICS_CACHE``, default
``.pm-analytics-cache/`` in a clone, the user's cache folder when installed; see
:mod:`pm_analytics.settings`), replaced atomically on reload, so a reader never
sees a half-written load.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pm_analytics import settings
from pm_analytics.load import LoadResult, load_into

DB_SUFFIXES = (".duckdb", ".db")


@dataclass(frozen=True)
class DataSource:
    """A resolved data source: the user's path and the database file the app reads."""

    path: Path
    db_path: Path

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()


def resolve(value: str | None = None) -> DataSource:
    """The data source named by ``value`` or ``PM_ANALYTICS_DATA``; a folder maps to a cache database."""
    raw = settings.DATA.value(value)
    path = Path(raw).expanduser().resolve()
    if path.suffix.lower() in DB_SUFFIXES:
        return DataSource(path, path)
    cache = Path(settings.CACHE.value()).expanduser()
    key = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return DataSource(path, cache / f"{path.name or 'data'}-{key}.duckdb")


def refresh(source: DataSource, progress: Callable[[int, int], None] | None = None) -> LoadResult | None:
    """Load the folder into its database (a no-op for a ``.duckdb`` source), with the ticket exports of
    ``PM_ANALYTICS_TICKETS``; ``progress(done, total)``.

    Returns as soon as the database is in place and readable: the text model (related incidents,
    repeats, themes) still to compute is ``result.pending``, whose ``run()`` adds it (the database says
    ``pending`` until then). The files are parsed at a lower CPU priority than the dashboard's own
    (``background``): its viewers' page runs come first."""
    if not source.is_folder:
        if not source.path.exists():
            raise FileNotFoundError(f"{source.path}: no such folder or database file")
        return None
    return load_into([source.path], source.db_path, relative_to=source.path, source=str(source.path),
                     progress=progress, tickets=settings.ticket_exports(), defer_text_model=True, background=True)
