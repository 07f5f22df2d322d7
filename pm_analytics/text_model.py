"""The second step of a load: the text model (related incidents, recurrences, themes) added to a database
that is already in place and readable.

A load puts the new database in place with ``text_model`` = ``pending`` in ``load_info`` (every page but
related incidents, repeats and themes works on it), and hands back a :class:`PendingTextModel`. Running it
copies that database, adds the text model to the copy and puts the copy in place of it
(:class:`~pm_analytics.store.DatabaseCopy`): a reader has the database with the text model or the one
without, never a file half written, and a reader holding the one without keeps it as it was. If a newer
load replaced the database meanwhile, the copy is dropped: the newer load brings its own text model.

The model is updated rather than fitted again when the database before the load had one
(:func:`pm_analytics.insights.run`): the load keeps that database readable under a temporary name until
the text model is done with it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from pm_analytics import insights
from pm_analytics.store import (
    TEXT_MODEL_DONE,
    DatabaseCopy,
    Superseded,
    arrow_schema,
    insight_inputs,
    read_text_model,
    write_text_model,
)


@dataclass
class TextModelResult:
    """What a run of the text model did: fitted or updated, how many incidents changed since the model
    it updated, whose related incidents it computed (``patched``: how many of those from their stored
    lists), in how many seconds; ``superseded`` when a newer load replaced the database first (nothing
    was written)."""

    refit: bool = False
    changes: int = 0
    recomputed: int = 0
    incidents: int = 0
    seconds: float = 0.0
    superseded: bool = False
    patched: int = 0

    def summary(self) -> str:
        if self.superseded:
            return "text model: not written (a newer load replaced the database)"
        if self.refit:
            return (f"text model: fitted on {self.incidents:,} incidents in {self.seconds:.1f} s")
        return (f"text model: updated for {self.changes:,} incidents added, changed or removed; related incidents "
                f"of {self.recomputed:,} recomputed ({self.patched:,} of them from their stored lists), "
                f"in {self.seconds:.1f} s")


class PendingTextModel:
    """The text model still to add to the database at ``db_path`` (the file of ``identity``), updating the
    one in ``previous`` (a temporary link to the database before the load, removed when done) if any."""

    def __init__(self, db_path: str | os.PathLike, identity: tuple[int, int, int] | None,
                 previous: str | os.PathLike | None = None, workers: int = 1) -> None:
        self.db_path = Path(db_path)
        self.identity = identity
        self.previous = Path(previous) if previous is not None else None
        self.workers = workers

    def run(self, phase: Callable[[str], None] | None = None) -> TextModelResult:
        """Compute the text model and put the database with it in place (``phase``: ``relating
        incidents``, then ``text model done``)."""
        tell = phase or (lambda _: None)
        started = time.perf_counter()
        tell("relating incidents")
        try:
            with DatabaseCopy(self.db_path, self.identity) as copy:
                documents, teams, apps = insight_inputs(copy.con, insights.BOILERPLATE_POST_MORTEMS)
                stored = read_text_model(self.previous) if self.previous is not None else None
                previous = fitted_model(stored) if stored is not None else None
                outcome = insights.run(previous, documents, teams, apps, threads=self.workers)
                write_text_model(copy.con, self.previous if previous is not None else None, outcome_tables(outcome),
                                 outcome.kept_related, outcome.kept_vectors, insights.RECURRENCE_TEXT_SIMILARITY,
                                 model_info(outcome))
                copy.commit()
        except Superseded:
            return TextModelResult(superseded=True, seconds=time.perf_counter() - started)
        finally:
            self.discard()
        tell("text model done")
        return TextModelResult(outcome.refit, outcome.changes, outcome.recomputed, len(documents),
                               time.perf_counter() - started, patched=outcome.patched)

    def discard(self) -> None:
        """Remove the link to the database before the load (also when the text model is never run)."""
        if self.previous is not None:
            self.previous.unlink(missing_ok=True)
            self.previous = None


def model_info(outcome: insights.Outcome) -> dict[str, str]:
    """load_info's keys for a text model that is done."""
    return {"text_model": TEXT_MODEL_DONE, "text_model_version": str(insights.TEXT_MODEL_VERSION),
            "text_model_fitted_incidents": str(outcome.fitted_incidents),
            "text_model_changes_since_fit": str(outcome.changes_since_fit)}


def _lists(offsets: np.ndarray, values: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array(np.asarray(offsets, dtype=np.int32)), pa.array(values, type=kind))


def outcome_tables(outcome: insights.Outcome) -> dict[str, pa.Table]:
    """The rows an outcome adds, as Arrow tables of the tables they go to."""
    related = outcome.related
    themes = outcome.themes
    vocabulary = outcome.vocabulary
    centroids = np.asarray(themes.centroids, dtype=np.float32)
    vectors = outcome.vectors
    columns = {
        "related_incidents": {
            "incident_id": related["incident_id"].tolist(), "related_id": related["related_id"].tolist(),
            "direction": related["direction"].tolist(), "rank": related["rank"].to_numpy(np.int32),
            "similarity": related["similarity"].to_numpy(np.float64),
            "text_similarity": related["text_similarity"].to_numpy(np.float64),
            "shared_team": related["shared_team"].to_numpy(bool), "shared_app": related["shared_app"].to_numpy(bool),
            "shared_terms": [list(terms) for terms in related["shared_terms"]],
        },
        "themes": {name: themes.table[name].tolist() for name in insights.THEME_COLUMNS},
        "incident_themes": {"incident_id": themes.membership["incident_id"].tolist(),
                            "theme_id": themes.membership["theme_id"].to_numpy(np.int32)},
        "text_model_terms": {"term_id": np.arange(len(vocabulary.terms), dtype=np.int32),
                             "term": vocabulary.terms.tolist(), "idf": vocabulary.idf},
        "text_model_documents": {"incident_id": outcome.fingerprints.index.tolist(),
                                 "fingerprint": outcome.fingerprints.tolist()},
        "text_model_themes": {
            "theme_id": themes.catalogue["theme_id"].to_numpy(np.int32), "label": themes.catalogue["label"].tolist(),
            "top_terms": [list(terms) for terms in themes.catalogue["top_terms"]],
            "centroid": _lists(np.arange(len(centroids) + 1) * centroids.shape[1], centroids.ravel(), pa.float32()),
        },
        "text_model_vectors": {
            "incident_id": list(outcome.fresh),
            "term_ids": _lists(vectors.indptr, vectors.indices.astype(np.int32), pa.int32()),
            "weights": _lists(vectors.indptr, vectors.data.astype(np.float32), pa.float32()),
        },
    }
    tables = {}
    for table, data in columns.items():
        schema = arrow_schema(table)
        tables[table] = pa.table([data[f.name] if isinstance(data[f.name], pa.Array) else pa.array(data[f.name], f.type)
                                  for f in schema], schema=schema)
    return tables


def _flat(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, values) of a list column."""
    array = column.combine_chunks()
    if isinstance(array, pa.ChunkedArray):
        array = array.chunk(0) if array.num_chunks else pa.array([], array.type)
    offsets = array.offsets.to_numpy() - array.offsets[0].as_py()
    return offsets, array.flatten().to_numpy(zero_copy_only=False)


def fitted_model(stored: dict) -> insights.FittedModel:
    """The model :func:`pm_analytics.store.read_text_model` read, as :func:`pm_analytics.insights.run`
    takes it."""
    info = stored["info"]
    terms = stored["terms"]
    vocabulary = insights.Vocabulary(np.asarray(terms["term"].to_pylist(), dtype=object),
                                     terms["idf"].to_numpy().astype(np.float32))
    documents = stored["documents"]
    fingerprints = pd.Series(documents["fingerprint"].to_pylist(), index=documents["incident_id"].to_pylist(),
                             dtype=object)
    vectors = stored["vectors"]
    offsets, term_ids = _flat(vectors["term_ids"])
    _, weights = _flat(vectors["weights"])
    matrix = insights.rows_matrix(offsets, term_ids, weights, len(vocabulary.terms))
    themes = stored["themes"]
    catalogue = pd.DataFrame({"theme_id": themes["theme_id"].to_numpy().astype(int), "label": themes["label"].to_pylist(),
                              "top_terms": themes["top_terms"].to_pylist()})
    if themes.num_rows:
        centroid_offsets, centroid_values = _flat(themes["centroid"])
        centroids = centroid_values.astype(np.float32).reshape(themes.num_rows, -1)
    else:
        centroids = np.zeros((0, len(vocabulary.terms)), np.float32)
    # The shared terms stay Arrow lists: an update reads those of a few thousand rows, not all of them.
    related = stored["related"].to_pandas(types_mapper=lambda kind: pd.ArrowDtype(kind) if pa.types.is_list(kind) else None)
    membership = stored["membership"].to_pandas()
    return insights.FittedModel(vocabulary, fingerprints, vectors["incident_id"].to_pylist(), matrix, related,
                                catalogue, centroids, membership, int(info.get("text_model_fitted_incidents", 0)),
                                int(info.get("text_model_changes_since_fit", 0)),
                                int(info.get("text_model_version", 0)))
