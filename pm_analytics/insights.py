"""The text model behind recurrence: which incidents read alike, and what keeps happening.

Built once per load (not per page run) from each post-mortem's text (see
``store.insight_inputs``: title, impact summary, what went wrong, why, the
timeline and the action items, boilerplate sentences left out) as TF-IDF
vectors. Two results, stored as tables by the loader:

- related pairs: for each incident its most similar earlier and later
  incidents. ``text_similarity`` is the cosine of the TF-IDF vectors;
  ``similarity`` adds a small bonus for a shared team and a shared app, so that
  of two equally worded incidents the one in the same team ranks first. A pair
  whose text is less alike than ``MIN_TEXT_SIMILARITY`` is never related,
  whatever it shares. ``shared_terms`` are the words that make the pair alike.
- themes: incidents grouped by k-means on the same vectors, each theme named
  by the terms that weigh most in it.

Fitted and then kept. :func:`fit` chooses the vocabulary and its idf
(scikit-learn's ``CountVectorizer`` keeps the terms, with its document
frequency limits) and the themes (scikit-learn's ``MiniBatchKMeans``).
:func:`update` keeps all of that and works on what changed: changed and new
documents are vectorised with the kept vocabulary (here, without
scikit-learn: tokens, counts and weights are this module's, so a document's
vector is a function of its text and the vocabulary alone), related
incidents are recomputed for the changed incidents and for those whose lists
they entered or left (most of the latter from their stored lists, without
scoring their rows again), and changed incidents join their nearest theme.
:func:`run` refits when more than ``REFIT_SHARE`` of the incidents changed
since the last fit. An update gives the very rows a recompute of every
incident with the same vocabulary gives (:func:`update` with
``every_row=True``; tested).

Pure functions over DataFrames; deterministic (fixed seeds, stable sorts).
scikit-learn is imported only by a fit, scipy only when the model runs.
"""

from __future__ import annotations

import hashlib
import math
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

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
# are found among the most recent ones only (whose text also chooses the vocabulary), and themes are
# learnt from an even sample of all of them.
MAX_COMPARED = 20_000
# The vocabulary, its idf and the themes are kept from load to load, and refitted when the incidents
# added, changed or removed since the last fit (summed over the loads since) are more than this share
# of the incidents it was fitted on. Until then a new word in a changed post-mortem is not in the
# vocabulary, and a new kind of incident joins the nearest existing theme.
REFIT_SHARE = 0.10
# Stored similarities are rounded to 4 decimals: an update comparing a stored one with a new one allows
# this margin (twice the rounding), and where it cannot tell the order it computes the list again.
PATCH_MARGIN = 1e-4
# What a stored model means (tokens, weighting, parameters, how fingerprints are written): a model
# stored by another version is refitted, never updated. 2: a fingerprint writes its start as
# microseconds since 1970 (1 wrote it as a timestamp), so no version 1 fingerprint would match.
TEXT_MODEL_VERSION = 2

RELATED_COLUMNS = ["incident_id", "related_id", "direction", "rank", "similarity", "text_similarity",
                   "shared_team", "shared_app", "shared_terms"]
THEME_COLUMNS = ["theme_id", "label", "top_terms", "incidents"]

# scikit-learn's ENGLISH_STOP_WORDS (the Glasgow Information Retrieval Group's list), copied so that
# vectorising a document does not import scikit-learn; tests/test_text_model.py keeps the two equal.
ENGLISH_STOP_WORDS = frozenset("""
    a about above across after afterwards again against all almost alone along already also although always am
    among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at
    back be became because become becomes becoming been before beforehand behind being below beside besides
    between beyond bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do
    done down due during each eg eight either eleven else elsewhere empty enough etc even ever every everyone
    everything everywhere except few fifteen fifty fill find fire first five for former formerly forty found
    four from front full further get give go had has hasnt have he hence her here hereafter hereby herein
    hereupon hers herself him himself his how however hundred i ie if in inc indeed interest into is it its
    itself keep last latter latterly least less ltd made many may me meanwhile might mill mine more moreover
    most mostly move much must my myself name namely neither never nevertheless next nine no nobody none noone
    nor not nothing now nowhere of off often on once one only onto or other others otherwise our ours ourselves
    out over own part per perhaps please put rather re same see seem seemed seeming seems serious several she
    should show side since sincere six sixty so some somehow someone something sometime sometimes somewhere
    still such system take ten than that the their them themselves then thence there thereafter thereby
    therefore therein thereupon these they thick thin third this those though three through throughout thru thus
    to together too top toward towards twelve twenty two un under until up upon us very via was we well were
    what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which
    while whither who whoever whole whom whose why will with within without would yet you your yours yourself
    yourselves
""".split())

# Words every post-mortem uses: they say nothing about what happened.
POST_MORTEM_WORDS = frozenset("""
    minute minutes hour hours day days week weeks time times incident incidents issue issues problem problems team
    teams engineer engineers eng oncall call called caller calls page paged pages took got get did didn know knew
    right similar first still also one two three could would new used use via able way make made need needed
    went going work working worked started start resolved resolve fix fixed later earlier people thing things
    nobody somebody someone everyone clear unclear answer answered
""".split())

STOP_WORDS = ENGLISH_STOP_WORDS | POST_MORTEM_WORDS
# A word: a letter and two or more letters or digits (scikit-learn's token pattern, on lowercased text).
_TOKEN = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z0-9]{2,}\b")
MAX_TERMS = 50_000


# -- vectors ----------------------------------------------------------------------

def analyse(text: str) -> list[str]:
    """The terms of a text: its words (lowercased, stop words left out), then each pair of neighbouring words."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in STOP_WORDS]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


@dataclass(frozen=True)
class Vocabulary:
    """The fitted terms (a vector's columns, in order) and each term's inverse document frequency."""

    terms: np.ndarray
    idf: np.ndarray

    @cached_property
    def index(self) -> dict[str, int]:
        return {term: column for column, term in enumerate(self.terms.tolist())}


def _csr(data, indices, indptr, columns: int):
    from scipy import sparse

    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, columns))
    matrix.has_sorted_indices = False
    matrix.sort_indices()
    return matrix


def rows_matrix(offsets: np.ndarray, columns: np.ndarray, weights: np.ndarray, width: int):
    """Sparse rows (float32) from each row's columns and weights, laid end to end (row ``i``'s from
    ``offsets[i]`` to ``offsets[i + 1]``)."""
    return _csr(np.array(weights, dtype=np.float32), np.array(columns, dtype=np.int32),
                np.array(offsets, dtype=np.int64), width)


def fit_vocabulary(texts: list[str]):
    """(vocabulary, term counts of ``texts``) chosen from ``texts``: terms in at least 2 documents (from 20
    documents on) and at most 20 % of them (from 50 on), the ``MAX_TERMS`` most frequent; ``None`` when no
    term is left. idf is scikit-learn's smoothed one: ln((1 + n) / (1 + df)) + 1."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=analyse, min_df=2 if len(texts) >= 20 else 1,
                                 max_df=0.2 if len(texts) >= 50 else 1.0, max_features=MAX_TERMS)
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # no term at all, or none left after the limits
        return None
    counts = _csr(counts.data, counts.indices, counts.indptr, counts.shape[1])
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((1 + len(texts)) / (1 + document_frequency)) + 1).astype(np.float32)
    return Vocabulary(np.asarray(vectorizer.get_feature_names_out(), dtype=object), idf), counts


def count_terms(texts: list[str], vocabulary: Vocabulary):
    """How often each of the vocabulary's terms occurs in each text (a sparse row per text)."""
    index = vocabulary.index
    indptr, indices, values = [0], [], []
    for text in texts:
        counts: dict[int, int] = {}
        for term in analyse(text):
            column = index.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        indices.extend(counts)
        values.extend(counts.values())
        indptr.append(len(indices))
    return _csr(np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64), len(vocabulary.terms))


def weigh(counts, idf: np.ndarray):
    """TF-IDF rows (float32, unit length) from term counts: (1 + ln count) x idf, each row divided by its
    length. Each row's weights depend on that row alone, summed in a fixed order: the same text and
    vocabulary always give the same bits."""
    counts = _csr(counts.data, counts.indices, counts.indptr, counts.shape[1])
    data = counts.data.astype(np.float32)
    np.log(data, out=data)
    data += np.float32(1)
    data *= idf[counts.indices]
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    lengths = np.sqrt(np.bincount(rows, weights=data.astype(np.float64) ** 2, minlength=counts.shape[0]))
    data = (data / lengths[rows]).astype(np.float32)
    return _csr(data, counts.indices.copy(), counts.indptr.copy(), counts.shape[1])


def vectorize(texts: list[str], vocabulary: Vocabulary):
    """TF-IDF rows of ``texts`` with a fitted vocabulary."""
    return weigh(count_terms(texts, vocabulary), vocabulary.idf)


def fingerprints(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame) -> pd.Series:
    """Per incident (indexed by id) a digest of everything its related incidents depend on: its start,
    its text, its teams and its apps. An incident whose digest is unchanged reads as it did."""
    joined: list[dict[str, str]] = []
    for frame, column in ((teams, "team"), (apps, "app")):
        frame = frame.dropna().sort_values(["incident_id", column], kind="stable")
        of: dict[str, str] = {}
        for incident_id, value in zip(frame["incident_id"].tolist(), frame[column].tolist()):
            of[incident_id] = f"{of[incident_id]}\x1e{value}" if incident_id in of else value
        joined.append(of)
    teams_of, apps_of = joined
    ids = documents["incident_id"].tolist()
    digests = [hashlib.blake2b("\x1f".join((started, text, teams_of.get(i, ""), apps_of.get(i, ""))).encode(),
                               digest_size=16).hexdigest()
               for i, started, text in zip(ids, _moments(documents["started"]), documents["text"].tolist())]
    return pd.Series(digests, index=np.asarray(ids, dtype=object), dtype=object)


def _moments(started: pd.Series) -> list[str]:
    """Each start as text that tells any two apart: microseconds since 1970 (UTC) for a date-time column
    (formatting each as a timestamp took most of :func:`fingerprints`), else as written."""
    if pd.api.types.is_datetime64_any_dtype(started):
        return [str(v) for v in started.to_numpy(dtype="datetime64[us]").view(np.int64).tolist()]
    return [str(v) for v in started.tolist()]


# -- related incidents ----------------------------------------------------------------

def _memberships(ids: list[str], teams: pd.DataFrame, apps: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per incident (``ids``' order), its teams and its apps as bit sets (rows of uint64 words)."""
    return _bits(ids, teams, "team"), _bits(ids, apps, "app")


def _bits(ids: list[str], pairs: pd.DataFrame, column: str) -> np.ndarray:
    index = {incident_id: i for i, incident_id in enumerate(ids)}
    rows, values = [], []
    for incident_id, value in zip(pairs["incident_id"].tolist(), pairs[column].tolist()):
        row = index.get(incident_id)
        if row is not None and isinstance(value, str):
            rows.append(row)
            values.append(value)
    bit_of = {value: bit for bit, value in enumerate(sorted(set(values)))}
    bits = np.zeros((len(ids), max(1, -(-len(bit_of) // 64))), dtype=np.uint64)
    if rows:
        which = np.asarray([bit_of[v] for v in values], dtype=np.int64)
        np.bitwise_or.at(bits, (np.asarray(rows), which // 64), np.left_shift(np.uint64(1), (which % 64).astype(np.uint64)))
    return bits


def _shares(bits: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether incidents ``a[k]`` and ``b[k]`` have a bit (a team, an app) in common."""
    return (bits[a] & bits[b]).any(axis=1)


def _compared(documents: pd.DataFrame) -> pd.DataFrame:
    """The documents related incidents are found among, in time order: the ``MAX_COMPARED`` latest."""
    return documents.sort_values(["started", "incident_id"], kind="stable").tail(MAX_COMPARED).reset_index(drop=True)


def _candidates(rows: np.ndarray, vectors, vectors_t, memberships, slack: float = 0.0,
                first: int | None = None) -> dict[str, np.ndarray]:
    """Every pair (row, column) of incident positions, ``rows`` against all columns (``vectors_t``: the
    vectors, transposed), or with ``first`` only the columns after the row, from ``first`` on (and
    ``vectors_t`` theirs), alike enough to be related: text similarity (the
    cosine, float32) at least ``MIN_TEXT_SIMILARITY`` and similarity (with the team and app bonuses) at
    least ``MIN_SIMILARITY`` (both less ``slack``); an incident is never its own pair. A pair's numbers
    depend on its two rows alone, and are the same either way round (the products of the same weights,
    summed in term order)."""
    contiguous = rows[-1] - rows[0] + 1 == len(rows)
    product = ((vectors[rows[0]:rows[-1] + 1] if contiguous else vectors[rows]) @ vectors_t).tocoo()
    keep = product.data >= MIN_TEXT_SIMILARITY - slack
    row, column, text = rows[product.row[keep]], product.col[keep].astype(np.int64) + (first or 0), product.data[keep]
    keep = column > row if first is not None else column != row
    row, column, text = row[keep], column[keep], text[keep]
    shared_team, shared_app = _shares(memberships[0], row, column), _shares(memberships[1], row, column)
    score = text + np.float32(TEAM_BONUS) * shared_team + np.float32(APP_BONUS) * shared_app
    keep = score >= MIN_SIMILARITY - slack
    return {"row": row[keep], "column": column[keep], "text": text[keep], "score": score[keep],
            "shared_team": shared_team[keep], "shared_app": shared_app[keep]}


def _ranked(row: np.ndarray, later: np.ndarray, score: np.ndarray, column: np.ndarray, n: int) -> np.ndarray:
    """The order that groups pairs by row, then direction (earlier first), and puts the best first: the
    highest similarity, and of equal ones the earlier incident. One sort of a 64-bit key when the
    positions fit (a positive float32's bits sort as its value does), else a lexsort."""
    width = max(1, int(n - 1).bit_length())
    if 2 * width + 32 > 63:
        return np.lexsort((column, -score, later, row))
    bits = score.astype(np.float32).view(np.uint32).astype(np.int64)
    key = ((row << (width + 32)) | (later.astype(np.int64) << (width + 31))
           | ((np.int64(0x7FFFFFFF) - bits) << width) | column)
    return np.argsort(key, kind="stable")


def _top(found: dict[str, np.ndarray], later: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Of candidate pairs (``later``: the column is later than the row), the ``RELATED_PER_SIDE`` best of
    each row and direction, with their rank."""
    order = _ranked(found["row"], later, found["score"], found["column"], n)
    row, side = found["row"][order], later[order]
    starts = np.flatnonzero(np.r_[True, (row[1:] != row[:-1]) | (side[1:] != side[:-1])])
    rank = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)]))
    picked = order[rank < RELATED_PER_SIDE]
    best = {name: values[picked] for name, values in found.items()}
    best["later"], best["rank"] = later[picked], rank[rank < RELATED_PER_SIDE] + 1
    return best


def _swapped(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**found, "row": found["column"], "column": found["row"]}


def _related_pairs(ids: list[str], vectors, teams: pd.DataFrame, apps: pd.DataFrame, threads: int,
                   terms: np.ndarray, rows: np.ndarray | None = None, memberships=None) -> pd.DataFrame:
    """The related incidents (``RELATED_COLUMNS``) of the incidents at positions ``rows`` (sorted; all when
    ``None``) among incidents ``ids`` (in time order) with these TF-IDF ``vectors`` (whose columns are
    ``terms``). A row's pairs depend on that row alone: any subset of rows gives the rows a run over all
    of them gives.

    Over all rows each pair is scored once, from its earlier incident: a chunk of rows against the
    incidents after its first gives those rows' later lists whole, and for every incident after them
    the best earlier candidates among the chunk, which are merged at the end."""
    n = len(ids)
    if n < 2 or (rows is not None and not len(rows)):
        return pd.DataFrame(columns=RELATED_COLUMNS)
    memberships = memberships or _memberships(ids, teams, apps)
    threads = max(1, threads)
    size = max(1, CELLS_IN_FLIGHT // (n * threads))

    if rows is None:
        def part(lo: int) -> tuple[dict, dict]:
            hi = min(n, lo + size)
            found = _candidates(np.arange(lo, hi), vectors, vectors[lo:].T.tocsr(), memberships, first=lo)
            return (_top(found, np.ones(len(found["row"]), dtype=bool), n),
                    _top(_swapped(found), np.zeros(len(found["row"]), dtype=bool), n))

        work, starts = part, list(range(0, n, size))
    else:
        rows = np.asarray(rows, dtype=np.int64)
        vectors_t = vectors.T.tocsr()

        def part(chunk: np.ndarray) -> tuple[dict, dict]:
            found = _candidates(chunk, vectors, vectors_t, memberships)
            return _top(found, found["column"] > found["row"], n), {}

        # As many chunks as the memory bound needs, rounded up to a multiple of the threads, and of
        # equal size: the threads finish together.
        chunks = -(-len(rows) // size)
        chunks = -(-chunks // threads) * threads
        work, starts = part, [chunk for chunk in np.array_split(rows, chunks) if len(chunk)]
    if threads == 1 or len(starts) == 1:
        parts = [work(start) for start in starts]
    else:
        with ThreadPoolExecutor(max_workers=min(threads, len(starts))) as pool:
            parts = list(pool.map(work, starts))
    found = [first for first, _ in parts]
    earlier = [second for _, second in parts if second]
    if earlier:
        merged = {name: np.concatenate([e[name] for e in earlier]) for name in earlier[0]}
        found.append(_top(merged, np.zeros(len(merged["row"]), dtype=bool), n))
    table = pd.DataFrame({name: np.concatenate([f[name] for f in found]) for name in found[0]})
    if table.empty:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    table = table.rename(columns={"row": "incident_id", "column": "related_id", "score": "similarity",
                                  "text": "text_similarity"})
    table["direction"] = np.where(table.pop("later"), "later", "earlier")
    names = np.asarray(ids, dtype=object)
    # A pair listed both ways (each among the other's most similar) shares the same terms: found once.
    low, high = np.minimum(table["incident_id"], table["related_id"]), np.maximum(table["incident_id"], table["related_id"])
    pairs_found, which = np.unique(low.to_numpy(np.int64) * n + high.to_numpy(np.int64), return_inverse=True)
    terms_of_pair = shared_terms(vectors, pairs_found // n, pairs_found % n, terms)
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
    candidates = product.indices[order][kept]
    bounds = np.r_[0, np.cumsum(np.minimum(counts, 3 * limit))].tolist()
    words = _words_of(terms, np.unique(candidates))
    found: list[list[str]] = []
    candidates, names = candidates.tolist(), terms.tolist()
    for pair in range(len(rows)):
        chosen: list[int] = []
        inside: set[int] = set()  # the words of the word pairs chosen
        for term in candidates[bounds[pair]:bounds[pair + 1]]:
            if len(chosen) >= limit:
                break
            pair_words = words[term]
            if pair_words is None:
                if term not in inside:
                    chosen.append(term)
            else:
                chosen = [c for c in chosen if c not in pair_words]
                chosen.append(term)
                inside.update(pair_words)
        found.append([names[c] for c in chosen])
    return found


def _words_of(terms: np.ndarray, columns: np.ndarray) -> dict[int, frozenset[int] | None]:
    """Per column among ``columns``: ``None`` for a word, else the columns of the word pair's two words
    (a word no longer in the vocabulary as itself has no column: it cannot be named)."""
    index = {term: column for column, term in enumerate(terms.tolist())}
    words: dict[int, frozenset[int] | None] = {}
    for column in columns.tolist():
        term = terms[column]
        words[column] = None if " " not in term else frozenset(
            index[w] for w in term.split(" ") if w in index)
    return words


# -- themes -----------------------------------------------------------------------

@dataclass
class Themes:
    """Fitted themes: ``table`` (``THEME_COLUMNS``, themes with incidents), ``membership`` (incident_id,
    theme_id), and per theme id ``catalogue`` (theme_id, label, top_terms) with its k-means ``centroids``
    (a row per catalogue row, in the vocabulary's columns)."""

    table: pd.DataFrame
    membership: pd.DataFrame
    catalogue: pd.DataFrame
    centroids: np.ndarray


def _no_themes(columns: int = 0) -> Themes:
    return Themes(pd.DataFrame(columns=THEME_COLUMNS), pd.DataFrame(columns=["incident_id", "theme_id"]),
                  pd.DataFrame(columns=["theme_id", "label", "top_terms"]), np.zeros((0, columns), np.float32))


def _theme_table(catalogue: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """The themes that have incidents, biggest first, with how many."""
    sizes = membership["theme_id"].value_counts()
    table = catalogue.assign(incidents=catalogue["theme_id"].map(sizes).fillna(0).astype(int))
    table = table[table["incidents"] > 0].sort_values(["incidents", "theme_id"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)[THEME_COLUMNS]


def _fit_themes(ids: pd.Series, terms: np.ndarray, sample, every, seed: int) -> Themes:
    """k-means fitted on ``sample`` rows; ``every`` row (one per id, in id order) gets a theme. The
    number of themes grows with the square root of the incidents (4 to 40); they are numbered from the
    biggest."""
    from sklearn.cluster import MiniBatchKMeans

    k = int(min(40, max(4, round(math.sqrt(len(ids) / 2)))))
    k = min(k, sample.shape[0])
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048).fit(sample)
    labels = model.predict(every)
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    renumber = {old: new for new, old in enumerate(order, start=1)}
    rows = []
    for old in order:
        top = terms[np.argsort(-model.cluster_centers_[old], kind="stable")[:THEME_TERMS]].tolist()
        rows.append((renumber[old], ", ".join(top[:3]), top))
    catalogue = pd.DataFrame(rows, columns=["theme_id", "label", "top_terms"])
    membership = pd.DataFrame({"incident_id": ids.to_numpy(), "theme_id": [renumber[label] for label in labels]})
    return Themes(_theme_table(catalogue, membership), membership, catalogue,
                  np.asarray(model.cluster_centers_[order], dtype=np.float32))


def nearest_theme(vectors, centroids: np.ndarray) -> np.ndarray:
    """Per row of ``vectors``, the index of the nearest centroid (euclidean; the first of equals)."""
    distances = (np.asarray((vectors @ centroids.T), dtype=np.float64) * -2
                 + (centroids.astype(np.float64) ** 2).sum(axis=1)[None, :])
    return np.argmin(distances, axis=1)


# -- the model, fitted and kept ---------------------------------------------------

@dataclass
class FittedModel:
    """A text model as the last load left it: the vocabulary; every incident's fingerprint; the vectors
    of the incidents compared (``compared``, aligned with ``vectors``' rows); their related incidents
    (``RELATED_COLUMNS``); the themes (``catalogue`` and ``centroids``,
    ``membership``); how many incidents it was fitted on, and how many changed since."""

    vocabulary: Vocabulary
    fingerprints: pd.Series
    compared: list[str]
    vectors: object
    related: pd.DataFrame
    catalogue: pd.DataFrame
    centroids: np.ndarray
    membership: pd.DataFrame
    fitted_incidents: int
    changes_since_fit: int
    version: int = TEXT_MODEL_VERSION


@dataclass
class Outcome:
    """What one run of the text model gives, to be stored.

    ``related`` holds the rows of the incidents computed now (every incident's after a fit);
    ``kept_related`` the incidents whose previous rows stand unchanged. ``vectors`` are the rows of
    ``fresh`` (vectorised now); ``kept_vectors`` the compared incidents whose stored vectors stand.
    ``refit`` says whether the vocabulary and themes were fitted now; ``changes`` counts the incidents
    added, changed or removed since the previous model; ``recomputed`` the incidents whose related
    incidents were computed now, ``patched`` those of them made from their stored lists."""

    refit: bool
    changes: int
    related: pd.DataFrame
    kept_related: list[str]
    themes: Themes
    vocabulary: Vocabulary
    fingerprints: pd.Series
    fresh: list[str]
    vectors: object
    kept_vectors: list[str]
    fitted_incidents: int
    changes_since_fit: int
    recomputed: int
    patched: int = 0


def _empty_vocabulary() -> Vocabulary:
    return Vocabulary(np.asarray([], dtype=object), np.zeros(0, np.float32))


def _stack(parts: list, columns: int):
    from scipy import sparse

    parts = [p for p in parts if p is not None and p.shape[0]]
    if not parts:
        return sparse.csr_matrix((0, columns), dtype=np.float32)
    return sparse.vstack(parts, format="csr", dtype=np.float32)


def fit(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame, threads: int = 1, seed: int = 0,
        changes: int = 0, prints: pd.Series | None = None) -> Outcome:
    """The text model fitted afresh on ``documents`` (incident_id, started (sortable), text); ``teams``:
    incident_id, team; ``apps``: incident_id, app. The vocabulary comes from the compared (the
    ``MAX_COMPARED`` latest) documents; themes are learnt from an even sample of at most ``MAX_COMPARED``
    of all documents, and every document gets one. ``prints``: their :func:`fingerprints`, if known."""
    prints = fingerprints(documents, teams, apps) if prints is None else prints
    window = _compared(documents)
    ids = window["incident_id"].tolist()
    fitted = fit_vocabulary(window["text"].tolist()) if len(window) else None
    if fitted is None:
        vocabulary = _empty_vocabulary()
        return Outcome(True, changes, pd.DataFrame(columns=RELATED_COLUMNS), [], _no_themes(), vocabulary, prints,
                       [], _stack([], 0), [], len(documents), 0, 0)
    vocabulary, counts = fitted
    vectors = weigh(counts, vocabulary.idf)
    related = _related_pairs(ids, vectors, teams, apps, threads, vocabulary.terms)
    themes = _no_themes(len(vocabulary.terms))
    if len(documents) >= 4:
        by_id = documents.sort_values("incident_id", kind="stable").reset_index(drop=True)
        row_of = {incident_id: row for row, incident_id in enumerate(ids)}
        inside = by_id["incident_id"].map(row_of)
        outside = by_id[inside.isna()]
        every = _stack([vectors, vectorize(outside["text"].tolist(), vocabulary) if len(outside) else None],
                       len(vocabulary.terms))
        position = inside.copy()
        position[inside.isna()] = np.arange(len(ids), len(ids) + len(outside))
        every = every[position.to_numpy(np.int64)]
        step = max(1, math.ceil(len(by_id) / MAX_COMPARED))
        themes = _fit_themes(by_id["incident_id"], vocabulary.terms, every[::step], every, seed)
    return Outcome(True, changes, related, [], themes, vocabulary, prints, ids, vectors, [], len(documents), 0,
                   len(ids))


def _among(values: pd.Series, members) -> np.ndarray:
    """Which of ``values`` are in ``members`` (a set), as a boolean array (faster than ``isin`` on
    Arrow-backed text)."""
    return np.fromiter((v in members for v in values.tolist()), dtype=bool, count=len(values))


def changed_incidents(previous: FittedModel, prints: pd.Series) -> tuple[set[str], set[str]]:
    """(incidents new or changed since ``previous``, incidents gone since)."""
    before = dict(zip(previous.fingerprints.index.tolist(), previous.fingerprints.tolist()))
    ids = prints.index.tolist()
    changed = {i for i, digest in zip(ids, prints.tolist()) if before.get(i) != digest}
    return changed, set(before).difference(ids)


def update(previous: FittedModel, documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame,
           threads: int = 1, every_row: bool = False, prints: pd.Series | None = None,
           changes: tuple[set[str], set[str]] | None = None) -> Outcome:
    """The text model of ``documents`` with ``previous``'s vocabulary and themes kept.

    Related incidents are computed again for the incidents new or changed since ``previous`` (and those
    entering the compared window). The unchanged incidents whose lists held an incident changed, gone or
    out of the window, or one of the changed incidents may now enter, get new lists made from their
    stored ones where that is sure to be exact (:func:`_patched`; ``Outcome.patched`` counts them), and
    computed again where not. Every other incident's list is the one ``previous`` holds, which a
    computation over all of them would give again (the scores of two unchanged incidents do not change,
    nor does their order in time). With
    ``every_row``, every incident is vectorised and computed again: the reference an update must equal.
    Changed and new incidents join their nearest theme; the others keep theirs. ``prints``: the
    documents' :func:`fingerprints`, and ``changes`` what :func:`changed_incidents` makes of them, if
    known."""
    prints = fingerprints(documents, teams, apps) if prints is None else prints
    changed, gone_ids = changed_incidents(previous, prints) if changes is None else changes
    vocabulary = previous.vocabulary
    columns = len(vocabulary.terms)
    window = _compared(documents)
    ids = window["incident_id"].tolist()
    n = len(ids)
    stored = {incident_id: row for row, incident_id in enumerate(previous.compared)}
    stable = [] if every_row else [i for i in ids if i not in changed and i in stored]
    stable_set = set(stable)
    fresh_mask = ~_among(window["incident_id"], stable_set)
    fresh = [i for i in ids if i not in stable_set]
    fresh_vectors = vectorize(window["text"][fresh_mask].tolist(), vocabulary) if fresh else None
    stacked = _stack([previous.vectors[[stored[i] for i in stable]] if stable else None, fresh_vectors], columns)
    order = np.empty(n, dtype=np.int64)
    order[~fresh_mask] = np.arange(len(stable))
    order[fresh_mask] = np.arange(len(stable), n)
    vectors = stacked[order] if n else stacked
    position = {incident_id: i for i, incident_id in enumerate(ids)}
    memberships = _memberships(ids, teams, apps)

    if every_row:
        rows = np.arange(n)
    else:
        related = previous.related
        index = pd.Index(ids)
        owner_at = index.get_indexer(related["incident_id"])
        listed_at = index.get_indexer(related["related_id"])
        is_stable = np.zeros(n, dtype=bool)
        is_stable[index.get_indexer(stable)] = True
        fresh_rows = np.flatnonzero(~is_stable)
        # Lists of unchanged incidents that held an incident changed, gone or out of the window.
        touched = owner_at[(owner_at >= 0) & ~_stable_at(is_stable, listed_at)]
        touched = touched[is_stable[touched]]
        found = (_candidates(fresh_rows, vectors, vectors.T.tocsr(), memberships, slack=PATCH_MARGIN)
                 if len(fresh_rows) and len(stable) else None)
        lists = _lists_of(related, owner_at, n)
        affected = np.union1d(touched, _entered(is_stable, found, lists))
        patched, settled = _patched(affected, is_stable, found, related, lists, listed_at, ids, vectors,
                                    vocabulary.terms)
        rows = np.union1d(fresh_rows, np.setdiff1d(affected, settled)).astype(np.int64)
    recomputed = _related_pairs(ids, vectors, teams, apps, threads, vocabulary.terms, rows, memberships)
    computed = {ids[r] for r in rows}
    if not every_row:
        computed |= {ids[r] for r in settled}
        if len(patched):
            recomputed = pd.concat([recomputed, patched], ignore_index=True) if len(recomputed) else patched
            recomputed = recomputed.sort_values(["incident_id", "direction", "rank"], kind="stable").reset_index(drop=True)
    kept = [i for i in stable if i not in computed]

    themes = _keep_themes(previous, documents, prints, changed, vectors, position, vocabulary)
    changes = len(changed) + len(gone_ids)
    return Outcome(False, changes, recomputed, kept, themes, vocabulary, prints, fresh,
                   fresh_vectors if fresh_vectors is not None else _stack([], columns), stable,
                   previous.fitted_incidents, previous.changes_since_fit + changes, len(computed),
                   len(computed) - len(rows))


def _stable_at(is_stable: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Whether each position of ``at`` (-1: not among the incidents) is an unchanged incident's."""
    return (at >= 0) & is_stable[np.maximum(at, 0)]


@dataclass
class _Lists:
    """The stored lists, per incident position ``p`` and direction: list ``2p`` its earlier incidents,
    ``2p + 1`` its later ones. ``at``: the positions of ``related``'s rows whose owner is among the
    incidents, and ``of`` the list each is in; ``size`` and ``last`` (lowest similarity, ``inf`` when
    empty) per list."""

    at: np.ndarray
    of: np.ndarray
    size: np.ndarray
    last: np.ndarray


def _lists_of(related: pd.DataFrame, owner_at: np.ndarray, n: int) -> _Lists:
    """The lists of ``related`` (its owners at positions ``owner_at``, -1 when not among the ``n``)."""
    listed = owner_at >= 0
    of = owner_at[listed] * 2 + (related["direction"] == "later").to_numpy(dtype=bool)[listed]
    last = np.full(2 * n, np.inf)
    np.minimum.at(last, of, related["similarity"].to_numpy(np.float64)[listed])
    return _Lists(np.flatnonzero(listed), of, np.bincount(of, minlength=2 * n), last)


def _entered(is_stable: np.ndarray, found: dict | None, lists: _Lists) -> np.ndarray:
    """Positions of unchanged incidents whose list (earlier or later) a changed or new incident may now
    enter: of the candidate pairs ``found`` (changed and new rows against all, scored with
    ``PATCH_MARGIN`` of slack), one passes both floors and beats the list's last entry (or the list is
    not full). The stored similarities are rounded: every comparison allows a margin that only ever
    takes in more."""
    if found is None:
        return np.zeros(0, dtype=np.int64)
    keep = is_stable[found["column"]]
    fresh_at, stable_at, score = found["row"][keep], found["column"][keep], found["score"][keep]
    if not len(stable_at):
        return np.zeros(0, dtype=np.int64)
    # A fresh incident earlier than the unchanged one would enter its "earlier" list.
    entered = stable_at * 2 + (fresh_at > stable_at)
    enters = (lists.size[entered] < RELATED_PER_SIDE) | (score >= lists.last[entered] - PATCH_MARGIN)
    return np.unique(stable_at[enters])


def _patched(affected: np.ndarray, is_stable: np.ndarray, found: dict | None, related: pd.DataFrame,
             lists: _Lists, listed_at: np.ndarray, ids: list[str], vectors,
             terms: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """New lists for the unchanged incidents at positions ``affected``, made from their previous lists
    without computing their rows again: the unchanged incidents listed keep their stored numbers (two
    unchanged incidents score as before), the changed and gone ones leave, and the changed and new
    ones that pass both floors (in ``found``: changed and new rows against all) come in. Returns
    (those lists' rows, ``RELATED_COLUMNS``; the positions whose lists it settled, an empty list
    included).

    A list is settled when the unchanged incidents left out of it cannot belong: its previous list was
    not full (every unchanged candidate was in it), or the new fifth ranks at or before the previous
    last (a listed unchanged incident, or a new one scored above that last by more than the rounding
    of stored numbers, ``PATCH_MARGIN``). A list where a stored number and a new one are within that
    margin cannot be ordered for sure: not settled either. The rest are computed again, so the result
    is always what computing every row gives."""
    n = len(ids)
    if not len(affected):
        return pd.DataFrame(columns=RELATED_COLUMNS), affected
    is_affected = np.zeros(n, dtype=bool)
    is_affected[affected] = True
    mine = is_affected[lists.of // 2] & _stable_at(is_stable, listed_at[lists.at])
    old, old_list = lists.at[mine], lists.of[mine]
    if found is not None:
        keep = (is_stable[found["column"]] & is_affected[found["column"]]
                & (found["text"] >= MIN_TEXT_SIMILARITY) & (found["score"] >= MIN_SIMILARITY))
        new = {name: values[keep] for name, values in found.items()}
    else:
        new = {name: np.zeros(0, dtype) for name, dtype in (("row", np.int64), ("column", np.int64),
               ("text", np.float32), ("score", np.float32), ("shared_team", bool), ("shared_app", bool))}
    is_new = np.r_[np.zeros(len(old), dtype=bool), np.ones(len(new["row"]), dtype=bool)]
    owner = np.r_[old_list // 2, new["column"]]
    other = np.r_[listed_at[old], new["row"]]
    later = other > owner
    score = np.r_[related["similarity"].to_numpy(np.float64)[old], new["score"].astype(np.float64)]
    # Of equal scores: an unchanged pair in its stored order, a new pair the earlier incident first (a
    # stored pair and a new one that close are never settled here).
    tie = np.r_[related["rank"].to_numpy(np.int64)[old], new["row"]]
    order = np.lexsort((tie, -score, later, owner))
    owner, later, score, is_new, other = owner[order], later[order], score[order], is_new[order], other[order]
    key = owner * 2 + later
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    rank = np.arange(len(key)) - np.repeat(starts, np.diff(np.r_[starts, len(key)]))
    unsure = np.zeros(2 * n, dtype=bool)
    close = (key[1:] == key[:-1]) & (is_new[1:] != is_new[:-1]) & (np.abs(score[1:] - score[:-1]) <= PATCH_MARGIN)
    unsure[key[1:][close]] = True
    fifth = rank == RELATED_PER_SIDE - 1
    settled = lists.size < RELATED_PER_SIDE
    settled[key[fifth]] |= ~is_new[fifth] | (score[fifth] > lists.last[key[fifth]] + PATCH_MARGIN)
    settled &= ~unsure
    owner_settled = settled[0::2] & settled[1::2]
    take = (rank < RELATED_PER_SIDE) & owner_settled[owner]
    picked = order[take]
    from_old = picked < len(old)
    at_new = picked[~from_old] - len(old)
    stored_terms = iter(related["shared_terms"].iloc[old[picked[from_old]]].tolist())
    new_terms = iter(shared_terms(vectors, new["column"][at_new], new["row"][at_new], terms))
    terms_of = [list(next(stored_terms)) if is_old else next(new_terms) for is_old in from_old.tolist()]
    names = np.asarray(ids, dtype=object)
    text = np.r_[related["text_similarity"].to_numpy(np.float64)[old], new["text"].astype(np.float64)]
    table = pd.DataFrame({
        "incident_id": names[owner[take]],
        "related_id": names[other[take]],
        "direction": np.where(later[take], "later", "earlier"),
        "rank": rank[take] + 1,
        "similarity": score[take].round(4),
        "text_similarity": text[picked].round(4),
        "shared_team": np.r_[related["shared_team"].to_numpy(bool)[old], new["shared_team"]][picked],
        "shared_app": np.r_[related["shared_app"].to_numpy(bool)[old], new["shared_app"]][picked],
        "shared_terms": terms_of,
    })
    return table[RELATED_COLUMNS], affected[owner_settled[affected]]


def _keep_themes(previous: FittedModel, documents: pd.DataFrame, prints: pd.Series, changed: set[str],
                 vectors, position: dict[str, int], vocabulary: Vocabulary) -> Themes:
    """``previous``'s themes, every unchanged incident in its theme, and the changed and new ones in
    their nearest."""
    if not len(previous.centroids):
        return Themes(pd.DataFrame(columns=THEME_COLUMNS), pd.DataFrame(columns=["incident_id", "theme_id"]),
                      previous.catalogue, previous.centroids)
    present = set(prints.index.tolist())
    before = previous.membership
    kept = before[_among(before["incident_id"], present) & ~_among(before["incident_id"], changed)]
    todo = documents[~_among(documents["incident_id"], set(kept["incident_id"].tolist()))]
    if len(todo):
        inside = todo["incident_id"].map(position)
        outside = todo[inside.isna().to_numpy()]
        rows = _stack([vectors[inside.dropna().to_numpy(np.int64)],
                       vectorize(outside["text"].tolist(), vocabulary) if len(outside) else None], len(vocabulary.terms))
        ordered = todo["incident_id"][inside.notna().to_numpy()].tolist() + outside["incident_id"].tolist()
        nearest = nearest_theme(rows, previous.centroids)
        added = pd.DataFrame({"incident_id": ordered, "theme_id": previous.catalogue["theme_id"].to_numpy()[nearest]})
        kept = pd.concat([kept, added], ignore_index=True)
    membership = kept.sort_values("incident_id", kind="stable").reset_index(drop=True)
    membership["theme_id"] = membership["theme_id"].astype(int)
    return Themes(_theme_table(previous.catalogue, membership), membership, previous.catalogue, previous.centroids)


def needs_refit(previous: FittedModel | None, changes: int) -> bool:
    """True when ``previous`` cannot be updated: there is none, it is of another version or has no
    vocabulary, or the incidents changed since its fit (with ``changes``) exceed ``REFIT_SHARE`` of those
    it was fitted on."""
    if previous is None or previous.version != TEXT_MODEL_VERSION or not len(previous.vocabulary.terms):
        return True
    return previous.changes_since_fit + changes > REFIT_SHARE * max(1, previous.fitted_incidents)


def run(previous: FittedModel | None, documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame,
        threads: int = 1, seed: int = 0) -> Outcome:
    """:func:`update` ``previous``, or :func:`fit` afresh when :func:`needs_refit` says so."""
    prints = fingerprints(documents, teams, apps)
    if previous is not None:
        changed, gone = changed_incidents(previous, prints)
        changes = len(changed) + len(gone)
    else:
        changes = len(documents)
    if needs_refit(previous, changes):
        return fit(documents, teams, apps, threads, seed, changes, prints)
    return update(previous, documents, teams, apps, threads, prints=prints, changes=(changed, gone))


def as_fitted(outcome: Outcome, previous: FittedModel | None = None) -> FittedModel:
    """The model an outcome leaves, as the next run reads it back (for callers that keep it in memory)."""
    related = outcome.related[RELATED_COLUMNS]
    compared, vectors = list(outcome.fresh), outcome.vectors
    if not outcome.refit and previous is not None:
        kept = previous.related[_among(previous.related["incident_id"], set(outcome.kept_related))]
        related = pd.concat([kept, related], ignore_index=True)
        stored = {incident_id: row for row, incident_id in enumerate(previous.compared)}
        compared = list(outcome.kept_vectors) + compared
        vectors = _stack([previous.vectors[[stored[i] for i in outcome.kept_vectors]] if outcome.kept_vectors
                          else None, outcome.vectors], len(outcome.vocabulary.terms))
    return FittedModel(outcome.vocabulary, outcome.fingerprints, compared, vectors, related.reset_index(drop=True),
                       outcome.themes.catalogue, outcome.themes.centroids, outcome.themes.membership,
                       outcome.fitted_incidents, outcome.changes_since_fit)


# -- one-off calls (tests, benchmarks) --------------------------------------------------

def related_incidents(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame,
                      threads: int = 1) -> pd.DataFrame:
    """Each incident's most similar earlier and later incidents (``RELATED_PER_SIDE`` each, at least
    ``MIN_SIMILARITY`` with the bonuses and ``MIN_TEXT_SIMILARITY`` without; of equally similar ones,
    the earliest), with the terms each pair shares (:func:`shared_terms`). ``documents``: incident_id,
    started (sortable), text; ``teams``: incident_id, team; ``apps``: incident_id, app. ``threads``
    work on separate rows at once (numpy and scipy release the GIL in the heavy steps)."""
    if len(documents) < 2:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    window = _compared(documents)
    fitted = fit_vocabulary(window["text"].tolist())
    if fitted is None:
        return pd.DataFrame(columns=RELATED_COLUMNS)
    vocabulary, counts = fitted
    return _related_pairs(window["incident_id"].tolist(), weigh(counts, vocabulary.idf), teams, apps, threads,
                          vocabulary.terms)


def themes(documents: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recurring themes: (themes: theme_id, label, top_terms, incidents; membership: incident_id, theme_id).

    The number of themes grows with the square root of the incidents (4 to 40).
    """
    no_teams = pd.DataFrame(columns=["incident_id", "team"])
    found = fit(documents, no_teams, no_teams.rename(columns={"team": "app"}), seed=seed).themes
    return found.table, found.membership


def text_model(documents: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame, threads: int = 1,
               seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`related_incidents` and :func:`themes` (related, themes, membership) of one fit."""
    outcome = fit(documents, teams, apps, threads, seed)
    return outcome.related, outcome.themes.table, outcome.themes.membership
