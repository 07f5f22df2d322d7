"""The text model behind recurrence: which incidents read alike, and what keeps happening.

Built once per load (not per page run) from each post-mortem's title, impact
summary, what went well/wrong and why, with scikit-learn's TF-IDF rather than
hand-written maths. Two results, stored as tables by the loader:

- related pairs: for each incident its most similar earlier and later
  incidents. ``text_similarity`` is the cosine of the TF-IDF vectors;
  ``similarity`` adds a small bonus for a shared team and a shared app, so that
  of two equally worded incidents the one in the same team ranks first.
- themes: incidents grouped by k-means on the same vectors, each theme named
  by the terms that weigh most in it.

Pure functions over DataFrames; deterministic (fixed seeds, stable sorts).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

RELATED_PER_SIDE = 5
MIN_SIMILARITY = 0.15
TEAM_BONUS = 0.1
APP_BONUS = 0.05
# A later incident is a recurrence of an earlier one when their text is at least this
# similar and they share a team or an app.
RECURRENCE_TEXT_SIMILARITY = 0.3
THEME_TERMS = 5
# Dense similarity rows computed at once: bounded so memory stays flat at 100,000 incidents.
CELLS_PER_CHUNK = 20_000_000
# Comparing every pair grows with the square of the incidents: beyond this many, related incidents
# are found among the most recent ones only, and themes are learnt from an even sample of them.
MAX_COMPARED = 20_000

RELATED_COLUMNS = ["incident_id", "related_id", "direction", "rank", "similarity", "text_similarity",
                   "shared_team", "shared_app"]
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


def _membership(ids: list[str], pairs: pd.DataFrame, column: str):
    """Sparse incident x value matrix (1 where the incident has the value)."""
    from scipy.sparse import csr_matrix

    index = {incident_id: i for i, incident_id in enumerate(ids)}
    pairs = pairs[pairs["incident_id"].isin(index)]
    values = {v: j for j, v in enumerate(sorted(pairs[column].dropna().unique()))}
    rows = [index[i] for i in pairs["incident_id"]]
    cols = [values[v] for v in pairs[column]]
    return csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(ids), max(1, len(values))))


def related_incidents(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame) -> pd.DataFrame:
    """Each incident's most similar earlier and later incidents (``RELATED_PER_SIDE`` each, at least
    ``MIN_SIMILARITY``). ``documents``: incident_id, started (sortable), text; ``teams``:
    incident_id, team; ``apps``: incident_id, app."""
    if len(documents) < 2:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    documents = documents.sort_values(["started", "incident_id"], kind="stable").tail(MAX_COMPARED)
    documents = documents.reset_index(drop=True)
    ids = documents["incident_id"].tolist()
    _, vectors = _vectorize(documents["text"].tolist())
    if vectors is None:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    team_matrix, app_matrix = _membership(ids, teams, "team"), _membership(ids, apps, "app")
    n = len(ids)
    chunk = max(1, CELLS_PER_CHUNK // n)
    found: list[dict] = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        text = (vectors[start:stop] @ vectors.T).toarray()
        shared_team = (team_matrix[start:stop] @ team_matrix.T).toarray() > 0
        shared_app = (app_matrix[start:stop] @ app_matrix.T).toarray() > 0
        score = text + np.float32(TEAM_BONUS) * shared_team + np.float32(APP_BONUS) * shared_app
        score[score < MIN_SIMILARITY] = -np.inf
        rows = np.arange(start, stop)
        # Incidents are in time order: columns before a row are earlier, after it later.
        position = np.arange(n)[None, :] - rows[:, None]
        for direction, outside in (("earlier", position >= 0), ("later", position <= 0)):
            masked = np.where(outside, -np.inf, score)
            k = min(RELATED_PER_SIDE, n - 1)
            top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(masked, top, axis=1)
            order = np.lexsort((top, -values), axis=1)  # best first, ties in time order
            top, values = np.take_along_axis(top, order, axis=1), np.take_along_axis(values, order, axis=1)
            row_index, rank_index = np.nonzero(values > -np.inf)
            columns = top[row_index, rank_index]
            found.append({
                "incident_id": rows[row_index], "related_id": columns, "direction": direction,
                "rank": rank_index + 1, "similarity": values[row_index, rank_index],
                "text_similarity": text[row_index, columns], "shared_team": shared_team[row_index, columns],
                "shared_app": shared_app[row_index, columns],
            })
    if not found:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    names = np.asarray(ids, dtype=object)
    table = pd.concat([pd.DataFrame(part) for part in found], ignore_index=True)
    table["incident_id"], table["related_id"] = names[table["incident_id"]], names[table["related_id"]]
    table["similarity"] = table["similarity"].astype("float64").round(4)
    table["text_similarity"] = table["text_similarity"].astype("float64").round(4)
    return table.sort_values(["incident_id", "direction", "rank"], kind="stable").reset_index(drop=True)[RELATED_COLUMNS]


def themes(documents: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recurring themes: (themes: theme_id, label, top_terms, incidents; membership: incident_id, theme_id).

    The number of themes grows with the square root of the incidents (4 to 40).
    """
    if len(documents) < 4:
        return pd.DataFrame(columns=THEME_COLUMNS), pd.DataFrame(columns=["incident_id", "theme_id"])
    from sklearn.cluster import MiniBatchKMeans

    documents = documents.sort_values("incident_id", kind="stable").reset_index(drop=True)
    step = max(1, math.ceil(len(documents) / MAX_COMPARED))
    vectorizer, sample = _vectorize(documents["text"].iloc[::step].tolist())
    if sample is None:
        return pd.DataFrame(columns=THEME_COLUMNS), pd.DataFrame(columns=["incident_id", "theme_id"])
    k = int(min(40, max(4, round(math.sqrt(len(documents) / 2)))))
    k = min(k, sample.shape[0])
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(sample)
    labels = model.predict(vectorizer.transform(documents["text"].tolist()) if step > 1 else sample)
    terms = np.asarray(vectorizer.get_feature_names_out())
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = {old: new for new, old in enumerate(order, start=1)}
    rows = []
    for old in order:
        top = terms[np.argsort(-model.cluster_centers_[old], kind="stable")[:THEME_TERMS]].tolist()
        rows.append((renumber[old], ", ".join(top[:3]), top, int(sizes[old])))
    theme_table = pd.DataFrame([r for r in rows if r[3] > 0], columns=THEME_COLUMNS)
    membership = pd.DataFrame({"incident_id": documents["incident_id"], "theme_id": [renumber[l] for l in labels]})
    return theme_table, membership
