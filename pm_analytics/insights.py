"""The text model behind recurrence: which incidents read alike, and what keeps happening.

Built once per load (not per page run) from each post-mortem's text (see
``store.insight_inputs``: title, impact summary, what went wrong, why, the
timeline and the action items, boilerplate sentences left out), with
scikit-learn's TF-IDF rather than hand-written maths. Two results, stored as
tables by the loader:

- related pairs: for each incident its most similar earlier and later
  incidents. ``text_similarity`` is the cosine of the TF-IDF vectors;
  ``similarity`` adds a small bonus for a shared team and a shared app, so that
  of two equally worded incidents the one in the same team ranks first. A pair
  whose text is less alike than ``MIN_TEXT_SIMILARITY`` is never related,
  whatever it shares. ``shared_terms`` are the words that make the pair alike.
- themes: incidents grouped by k-means on the same vectors, each theme named
  by the terms that weigh most in it.

Pure functions over DataFrames; deterministic (fixed seeds, stable sorts).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

RELATED_PER_SIDE = 5
MIN_SIMILARITY = 0.15
# Below this, two post-mortems share a stray word or two, not a story: a shared team or app (the bonuses
# alone reach MIN_SIMILARITY) does not make them related.
MIN_TEXT_SIMILARITY = 0.1
TEAM_BONUS = 0.1
APP_BONUS = 0.05
# A later incident is a recurrence of an earlier one when their text is at least this similar and they
# share a team or an app. Chosen on the bundled sample's designed repeats (benchmarks/repeats.py --sweep,
# docs/metrics.md): the middle of the thresholds that meet the targets with the best recall, then precision.
RECURRENCE_TEXT_SIMILARITY = 0.47
# The words two related post-mortems share that weigh most in both, at most this many.
SHARED_TERMS = 5
# A finding, timeline event or action item written word for word in this many post-mortems or more is
# boilerplate (a habit of writing, a template example) and is left out of the text compared. Two is a
# pair that may copy each other; from three it is a habit. TF-IDF alone cannot tell: in a small folder
# a sentence in three post-mortems weighs nearly as much as one in two.
BOILERPLATE_POST_MORTEMS = 3
THEME_TERMS = 5
# Dense similarity cells in memory at once, over all threads (about 30 bytes each): bounded so
# memory stays flat at 100,000 incidents.
CELLS_IN_FLIGHT = 20_000_000
# Comparing every pair grows with the square of the incidents: beyond this many, related incidents
# are found among the most recent ones only, and themes are learnt from an even sample of them.
MAX_COMPARED = 20_000

RELATED_COLUMNS = ["incident_id", "related_id", "direction", "rank", "similarity", "text_similarity",
                   "shared_team", "shared_app", "shared_terms"]
THEME_COLUMNS = ["theme_id", "label", "top_terms", "incidents"]


# Words every post-mortem uses: they say nothing about what happened.
POST_MORTEM_WORDS = frozenset("""
    minute minutes hour hours day days week weeks time times incident incidents issue issues problem problems team
    teams engineer engineers eng oncall call called caller calls page paged pages took got get did didn know knew
    right similar first still also one two three could would new used use via able way make made need needed
    went going work working worked started start resolved resolve fix fixed later earlier people thing things
    nobody somebody someone everyone clear unclear answer answered
""".split())


def _vectorize(texts: list[str]):
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | POST_MORTEM_WORDS), sublinear_tf=True,
                                 ngram_range=(1, 2), min_df=2 if len(texts) >= 20 else 1,
                                 max_df=0.2 if len(texts) >= 50 else 1.0,
                                 max_features=50_000, dtype=np.float32,
                                 token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9]{2,}\b")
    try:
        return vectorizer, vectorizer.fit_transform(texts)
    except ValueError:
        return None, None


def _membership(ids: list[str], pairs: pd.DataFrame, column: str) -> np.ndarray:
    """Dense incident x value matrix (1 where the incident has the value): few teams and apps, so a
    BLAS product of two of these is cheaper than a sparse one."""
    index = {incident_id: i for i, incident_id in enumerate(ids)}
    pairs = pairs[pairs["incident_id"].isin(index)]
    values = {v: j for j, v in enumerate(sorted(pairs[column].dropna().unique()))}
    matrix = np.zeros((len(ids), max(1, len(values))), dtype=np.float32)
    matrix[[index[i] for i in pairs["incident_id"]], [values[v] for v in pairs[column]]] = 1
    return matrix


def _best(keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the ``k`` largest keys, largest first (keys are distinct or ``-inf``)."""
    k = min(k, keys.shape[1])
    # Selecting the k smallest of the negated keys is about twice as fast as the k largest of the
    # keys when most are -inf (numpy's introselect handles that run of equal values badly).
    top = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(keys, top, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)


def related_incidents(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame,
                      threads: int = 1) -> pd.DataFrame:
    """Each incident's most similar earlier and later incidents (``RELATED_PER_SIDE`` each, at least
    ``MIN_SIMILARITY`` with the bonuses and ``MIN_TEXT_SIMILARITY`` without; of equally similar ones,
    the earliest), with the terms each pair shares (:func:`shared_terms`). ``documents``: incident_id,
    started (sortable), text; ``teams``: incident_id, team; ``apps``: incident_id, app. ``threads``
    work on separate rows at once (numpy and scipy release the GIL in the heavy steps)."""
    if len(documents) < 2:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    compared = _compared(documents)
    vectorizer, vectors = _vectorize(compared["text"].tolist())
    if vectors is None:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    return _related_pairs(compared["incident_id"].tolist(), vectors, teams, apps, threads,
                          vectorizer.get_feature_names_out())


def _compared(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents related incidents are found among, in time order: the ``MAX_COMPARED`` latest."""
    return documents.sort_values(["started", "incident_id"], kind="stable").tail(MAX_COMPARED).reset_index(drop=True)


def _related_pairs(ids: list[str], vectors, teams: pd.DataFrame, apps: pd.DataFrame, threads: int,
                   terms: np.ndarray) -> pd.DataFrame:
    """:func:`related_incidents` of incidents ``ids`` (in time order) with these TF-IDF ``vectors``
    (whose columns are ``terms``)."""
    team_matrix, app_matrix = _membership(ids, teams, "team"), _membership(ids, apps, "app")
    n = len(ids)
    vectors_t = vectors.T.tocsr()
    # Ties break towards the earlier incident: a key below any gap between two float32 scores.
    tie_break = np.arange(n, dtype=np.float64) * 1e-13

    def pairs(start: int, stop: int) -> list[dict]:
        rows = np.arange(start, stop)
        text = (vectors[start:stop] @ vectors_t).toarray()
        shared_team = (team_matrix[start:stop] @ team_matrix.T) > 0
        shared_app = (app_matrix[start:stop] @ app_matrix.T) > 0
        score = text + np.float32(TEAM_BONUS) * shared_team + np.float32(APP_BONUS) * shared_app
        keys = score.astype(np.float64)
        keys[(score < MIN_SIMILARITY) | (text < MIN_TEXT_SIMILARITY)] = -np.inf
        keys -= tie_break
        # Incidents are in time order: for these rows, columns before ``start`` are all earlier and
        # columns from ``stop`` on all later; only the square block between mixes the two.
        block = keys[:, start:stop].copy()
        inside = np.arange(stop - start)
        found = []
        for direction, span in (("earlier", slice(0, stop)), ("later", slice(start, n))):
            mask = inside[None, :] >= inside[:, None] if direction == "earlier" else inside[None, :] <= inside[:, None]
            keys[:, start:stop] = np.where(mask, -np.inf, block)
            top, values = _best(keys[:, span], RELATED_PER_SIDE)
            top += span.start
            row_index, rank_index = np.nonzero(values > -np.inf)
            columns = top[row_index, rank_index]
            found.append({
                "incident_id": rows[row_index], "related_id": columns, "direction": direction,
                "rank": rank_index + 1, "similarity": score[row_index, columns],
                "text_similarity": text[row_index, columns], "shared_team": shared_team[row_index, columns],
                "shared_app": shared_app[row_index, columns],
            })
        return found

    threads = max(1, threads)
    chunk = max(1, CELLS_IN_FLIGHT // (n * threads))
    bounds = [(start, min(n, start + chunk)) for start in range(0, n, chunk)]
    if threads == 1 or len(bounds) == 1:
        found = [part for start, stop in bounds for part in pairs(start, stop)]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(bounds))) as pool:
            found = [part for parts in pool.map(lambda b: pairs(*b), bounds) for part in parts]
    names = np.asarray(ids, dtype=object)
    table = pd.concat([pd.DataFrame(part) for part in found], ignore_index=True)
    # A pair listed both ways (each among the other's most similar) shares the same terms: found once.
    low, high = np.minimum(table["incident_id"], table["related_id"]), np.maximum(table["incident_id"], table["related_id"])
    pairs, which = np.unique(low.to_numpy(np.int64) * n + high.to_numpy(np.int64), return_inverse=True)
    terms_of_pair = shared_terms(vectors, pairs // n, pairs % n, terms)
    table["shared_terms"] = [terms_of_pair[k] for k in which.ravel()]
    table["incident_id"], table["related_id"] = names[table["incident_id"]], names[table["related_id"]]
    table["similarity"] = table["similarity"].astype("float64").round(4)
    table["text_similarity"] = table["text_similarity"].astype("float64").round(4)
    return table.sort_values(["incident_id", "direction", "rank"], kind="stable").reset_index(drop=True)[RELATED_COLUMNS]


def shared_terms(vectors, rows: np.ndarray, columns: np.ndarray, terms: np.ndarray,
                 limit: int = SHARED_TERMS) -> list[list[str]]:
    """For each pair (``rows[k]``, ``columns[k]``) of TF-IDF ``vectors``, the terms both use that weigh
    most in the two together (the largest products of their weights: what makes the pair alike),
    heaviest first (ties in term order), at most ``limit``. A word is not named again inside a word
    pair already named, and a word pair replaces its words named before it."""
    if not len(rows):
        return []
    product = vectors[np.asarray(rows)].multiply(vectors[np.asarray(columns)]).tocsr()
    counts = np.diff(product.indptr)
    pair_of = np.repeat(np.arange(len(rows)), counts)
    order = np.lexsort((product.indices, -product.data, pair_of))
    rank = np.arange(len(order)) - np.repeat(product.indptr[:-1], counts)
    # Enough candidates that dropping words inside chosen word pairs still leaves ``limit``.
    kept = rank < 3 * limit
    found: list[list[str]] = [[] for _ in range(len(rows))]
    for pair, term in zip(pair_of[order][kept].tolist(), terms[product.indices[order][kept]].tolist()):
        chosen = found[pair]
        if len(chosen) >= limit or (" " not in term and any(term in c.split(" ") for c in chosen)):
            continue
        if " " in term:
            chosen[:] = [c for c in chosen if " " in c or c not in term.split(" ")]
        chosen.append(term)
    return found


def themes(documents: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recurring themes: (themes: theme_id, label, top_terms, incidents; membership: incident_id, theme_id).

    The number of themes grows with the square root of the incidents (4 to 40).
    """
    if len(documents) < 4:
        return _no_themes()
    documents = documents.sort_values("incident_id", kind="stable").reset_index(drop=True)
    step = max(1, math.ceil(len(documents) / MAX_COMPARED))
    vectorizer, sample = _vectorize(documents["text"].iloc[::step].tolist())
    if sample is None:
        return _no_themes()
    every = vectorizer.transform(documents["text"].tolist()) if step > 1 else sample
    return _themes_of(documents["incident_id"], vectorizer, sample, every, seed)


def text_model(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame, threads: int = 1,
               seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`related_incidents` and :func:`themes` (related, themes, membership), the same as
    calling each, with one TF-IDF fit when every incident is compared (up to ``MAX_COMPARED``)."""
    if not 4 <= len(documents) <= MAX_COMPARED:
        return (related_incidents(documents, teams, apps, threads), *themes(documents, seed))
    in_time = _compared(documents)
    ids = in_time["incident_id"].tolist()
    vectorizer, vectors = _vectorize(in_time["text"].tolist())
    if vectors is None:
        return pd.DataFrame(columns=RELATED_COLUMNS), *_no_themes()
    related = _related_pairs(ids, vectors, teams, apps, threads, vectorizer.get_feature_names_out())
    by_id = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    in_id_order = vectors[by_id]
    return (related, *_themes_of(in_time["incident_id"].iloc[by_id].reset_index(drop=True), vectorizer,
                                 in_id_order, in_id_order, seed))


def _no_themes() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(columns=THEME_COLUMNS), pd.DataFrame(columns=["incident_id", "theme_id"])


def _themes_of(ids: pd.Series, vectorizer, sample, every, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """k-means fitted on ``sample`` rows; ``every`` row (one per id, in id order) gets a theme."""
    from sklearn.cluster import MiniBatchKMeans

    k = int(min(40, max(4, round(math.sqrt(len(ids) / 2)))))
    k = min(k, sample.shape[0])
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(sample)
    labels = model.predict(every)
    terms = np.asarray(vectorizer.get_feature_names_out())
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = {old: new for new, old in enumerate(order, start=1)}
    rows = []
    for old in order:
        top = terms[np.argsort(-model.cluster_centers_[old], kind="stable")[:THEME_TERMS]].tolist()
        rows.append((renumber[old], ", ".join(top[:3]), top, int(sizes[old])))
    theme_table = pd.DataFrame([r for r in rows if r[3] > 0], columns=THEME_COLUMNS)
    membership = pd.DataFrame({"incident_id": ids, "theme_id": [renumber[label] for label in labels]})
    return theme_table, membership
