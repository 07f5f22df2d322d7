"""The text model as a second step of the load: updated rather than refitted on a reload, the same related
incidents as a recompute of every incident, and scikit-learn only when it runs."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from pm_analytics import insights
from pm_analytics.load import load_into
from pm_analytics.store import (
    TEXT_MODEL_DONE,
    TEXT_MODEL_NOT_COMPUTED,
    TEXT_MODEL_PENDING,
    insight_inputs,
    open_database,
    read_text_model,
)
from pm_analytics.text_model import fitted_model

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RELATED = "incident_id, related_id, direction, rank, similarity, text_similarity, shared_team, shared_app, shared_terms"


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "postmortems"
    folder.mkdir()
    for path in sorted(DATA.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            (folder / path.name).write_bytes(path.read_bytes())
    return folder


def post_mortems(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in {".md", ".txt", ".yaml", ".yml"})


def info(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dict(con.execute("SELECT key, value FROM load_info").fetchall())
    finally:
        con.close()


def rows(db, sql: str, parameters: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


def stored_related(db) -> list[tuple]:
    return rows(db, f"SELECT {RELATED} FROM related_incidents ORDER BY incident_id, direction, rank")


def recomputed_related(before: Path, after: Path) -> list[tuple]:
    """Every incident's related incidents computed again from scratch over the database ``after`` holds,
    with the vocabulary (and idf) of the model stored in ``before``: what an update must give."""
    previous = fitted_model(read_text_model(before))
    con = open_database(after)
    try:
        documents, teams, apps = insight_inputs(con, insights.BOILERPLATE_POST_MORTEMS)
    finally:
        con.close()
    # From scratch: every compared text vectorised again, every pair scored once (the path a fit takes).
    window = insights._compared(documents)
    vectors = insights.vectorize(window["text"].tolist(), previous.vocabulary)
    full = insights._related_pairs(window["incident_id"].tolist(), vectors, teams, apps, 1, previous.vocabulary.terms)
    # And the update's own reference: each incident's list computed again from the rows it keeps.
    every_row = insights.update(previous, documents, teams, apps, every_row=True).related
    assert full.equals(every_row)
    return sorted((r.incident_id, r.related_id, r.direction, int(r.rank), float(r.similarity),
                   float(r.text_similarity), bool(r.shared_team), bool(r.shared_app), list(r.shared_terms))
                  for r in full.itertuples())


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def new_post_mortem(folder: Path, name: str, like: Path, words: str) -> None:
    """A new post-mortem (its id is its file name, its date the name's prefix, as ``like``'s): a copy of
    the Markdown post-mortem ``like`` with ``words`` added to its first line, so that it reads like it."""
    assert like.suffix == ".md" and not like.read_text(encoding="utf-8").startswith(("---", "+++"))
    first, rest = like.read_text(encoding="utf-8").split("\n", 1)
    (folder / f"{like.name[:11]}{name}").write_text(f"{first} {words}\n{rest}", encoding="utf-8")


def retitle(db: Path, path: Path, words: str) -> None:
    """Add ``words`` to a post-mortem's title (wherever the file writes it), which the text model reads."""
    title = rows(db, "SELECT title FROM incidents WHERE source_path = ?", [path.name])[0][0]
    text = path.read_text(encoding="utf-8")
    assert title in text, (path, title)
    path.write_text(text.replace(title, f"{title} {words}"), encoding="utf-8")


def markdown(folder: Path) -> list[Path]:
    return [p for p in post_mortems(folder)
            if p.suffix == ".md" and not p.read_text(encoding="utf-8").startswith(("---", "+++"))]


def reload_and_check(corpus: Path, db: Path, tmp_path: Path, change) -> dict:
    """Change the folder, reload, and hold the updated related incidents to a recompute of all of them."""
    before = tmp_path / "before.duckdb"
    shutil.copyfile(db, before)
    change()
    result = load_into([corpus], db, relative_to=corpus, workers=1)
    outcome = result.text_model
    assert outcome is not None and not outcome.refit, "a small change updates the model, it does not refit it"
    incidents = rows(db, "SELECT count(*) FROM incidents")[0][0]
    assert 0 < outcome.recomputed < incidents, "only the changed incidents and those they touch are recomputed"
    assert info(db)["text_model"] == TEXT_MODEL_DONE
    assert sorted(stored_related(db)) == recomputed_related(before, db)
    return {"outcome": outcome, "incidents": incidents}


def test_the_stop_words_are_scikit_learns():
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    assert insights.ENGLISH_STOP_WORDS == ENGLISH_STOP_WORDS


def test_incremental_related_incidents_equal_a_full_recompute_after_add_change_remove(corpus, tmp_path):
    db = tmp_path / "pm.duckdb"
    first = load_into([corpus], db, relative_to=corpus, workers=1)
    assert first.text_model.refit and info(db)["text_model"] == TEXT_MODEL_DONE
    files = post_mortems(corpus)
    assert len(files) > 60, "the sample is big enough for a few changes to stay under the refit share"
    themes_before = dict(rows(db, "SELECT incident_id, theme_id FROM incident_themes"))

    # Added: two post-mortems that read like existing ones (they enter those incidents' lists).
    def add():
        for k, like in enumerate(markdown(corpus)[3:5]):
            new_post_mortem(corpus, f"zz-added-{k}.md", like, "again")
    added = reload_and_check(corpus, db, tmp_path, add)
    # The two new ones, and any whose text they changed: a sentence now in three post-mortems is
    # boilerplate, left out of every text that has it.
    assert added["outcome"].changes >= 2
    assert 0 < added["outcome"].patched < added["outcome"].recomputed, "lists settled from stored ones, and computed"

    # Changed: one post-mortem's title rewritten (it leaves some lists and enters others).
    target = files[10]
    changed = reload_and_check(corpus, db, tmp_path,
                               lambda: retitle(db, target, "after the payments gateway certificate expired"))
    assert changed["outcome"].changes >= 1

    # Removed: a post-mortem that other incidents list as related (their lists are recomputed).
    listed = rows(db, "SELECT r.related_id, min(s.source_path) FROM related_incidents r "
                      "JOIN incidents s ON s.incident_id = r.related_id GROUP BY r.related_id "
                      "ORDER BY count(*) DESC, r.related_id LIMIT 1")[0]
    gone_id, gone_path = listed
    reload_and_check(corpus, db, tmp_path, lambda: (corpus / gone_path).unlink())
    assert not rows_with(db, gone_id)

    # Unchanged incidents keep their themes; the model says how many changed since it was fitted.
    themes_after = dict(rows(db, "SELECT incident_id, theme_id FROM incident_themes"))
    unchanged = set(themes_before) & set(themes_after) - {gone_id, target_id(db, target.name)}
    assert all(themes_before[i] == themes_after[i] for i in unchanged)
    assert int(info(db)["text_model_changes_since_fit"]) >= 4


def rows_with(db, incident_id: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM related_incidents WHERE incident_id = ? OR related_id = ?",
                           [incident_id, incident_id]).fetchall()
    finally:
        con.close()


def target_id(db, source_path: str) -> str | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute("SELECT incident_id FROM incidents WHERE source_path = ?", [source_path]).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_the_update_equals_a_recompute_when_incidents_enter_and_leave_the_compared_window(corpus, tmp_path,
                                                                                        monkeypatch):
    """Beyond MAX_COMPARED only the latest incidents are compared: a new latest one pushes the oldest out,
    and the lists that held it are recomputed."""
    monkeypatch.setattr(insights, "MAX_COMPARED", 60)
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    like = markdown(corpus)[-1]
    reload_and_check(corpus, db, tmp_path, lambda: new_post_mortem(corpus, "zz-latest.md", like, "again"))


def test_themes_are_refitted_only_past_the_refit_share(corpus, tmp_path, monkeypatch):
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    incidents = int(info(db)["text_model_fitted_incidents"])
    files = markdown(corpus)
    within = int(insights.REFIT_SHARE * incidents)  # at most this many changes since the fit update the model
    assert len(files) > within
    for k, path in enumerate(files[:within]):
        retitle(db, path, f"variant{k}")
    updated = load_into([corpus], db, relative_to=corpus, workers=1).text_model
    assert updated.changes == within and not updated.refit
    assert int(info(db)["text_model_changes_since_fit"]) == within
    retitle(db, files[within], "variant")
    refitted = load_into([corpus], db, relative_to=corpus, workers=1).text_model
    assert refitted.refit, "the changes since the fit, summed over loads, passed the share"
    assert info(db)["text_model_changes_since_fit"] == "0"
    assert int(info(db)["text_model_fitted_incidents"]) == incidents


def test_a_model_stored_by_another_version_is_refitted_not_updated(corpus, tmp_path, monkeypatch):
    """A stored model whose version is not this one (its fingerprints or parameters mean something else)
    is fitted again on the next load that changes anything, never updated."""
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    assert info(db)["text_model_version"] == str(insights.TEXT_MODEL_VERSION)
    files = markdown(corpus)
    retitle(db, files[0], "variant")
    updated = load_into([corpus], db, relative_to=corpus, workers=1).text_model
    assert not updated.refit and updated.changes == 1
    monkeypatch.setattr(insights, "TEXT_MODEL_VERSION", insights.TEXT_MODEL_VERSION + 1)
    retitle(db, files[1], "variant")
    refitted = load_into([corpus], db, relative_to=corpus, workers=1).text_model
    assert refitted.refit
    assert info(db)["text_model_version"] == str(insights.TEXT_MODEL_VERSION)


def test_a_deferred_text_model_leaves_a_readable_database_that_says_pending(corpus, tmp_path):
    db = tmp_path / "pm.duckdb"
    result = load_into([corpus], db, relative_to=corpus, workers=1, defer_text_model=True)
    assert result.written and result.pending is not None and result.text_model is None
    assert info(db)["text_model"] == TEXT_MODEL_PENDING
    assert rows(db, "SELECT count(*) FROM incidents")[0][0] > 0
    assert rows(db, "SELECT count(*) FROM related_incidents")[0][0] == 0
    outcome = result.pending.run()
    assert not outcome.superseded and info(db)["text_model"] == TEXT_MODEL_DONE
    assert rows(db, "SELECT count(*) FROM related_incidents")[0][0] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pm.duckdb.")], "no temporary file left"


def test_a_text_model_overtaken_by_a_newer_load_writes_nothing(corpus, tmp_path):
    db = tmp_path / "pm.duckdb"
    stale = load_into([corpus], db, relative_to=corpus, workers=1, defer_text_model=True).pending
    edit(post_mortems(corpus)[0], "\n", "\n\n")
    load_into([corpus], db, relative_to=corpus, workers=1)
    newer = stored_related(db)
    assert stale.run().superseded
    assert stored_related(db) == newer and info(db)["text_model"] == TEXT_MODEL_DONE


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=environment, cwd=ROOT, timeout=600)


def test_no_text_model_leaves_it_out_and_never_imports_scikit_learn(corpus, tmp_path):
    """``pm-analytics load --no-text-model``, then every page of the dashboard on that database: scikit-learn
    (and scipy) are never imported; the database says the text model was not computed."""
    db = tmp_path / "pm.duckdb"
    pages = ["app.py"] + sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    done = run_python(f"""
        import json, sys
        from pm_analytics.cli import main
        code = main(["load", {str(corpus)!r}, "--db", {str(db)!r}, "--no-text-model"])
        after_load = sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy"))
        import pm_analytics.insights, pm_analytics.report, pm_analytics.text_model, pm_analytics.ui
        from streamlit.testing.v1 import AppTest
        errors = {{}}
        for page in {pages!r}:
            at = AppTest.from_file({str(ROOT / "app.py")!r}, default_timeout=120)
            at.query_params["as_of"] = "2026-11-26"
            if page != "app.py":
                at.switch_page(page)
            at.run()
            errors[page] = [str(e.value) for e in at.exception]
        after_pages = sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy"))
        print(json.dumps({{"code": code, "after_load": after_load, "after_pages": after_pages, "errors": errors}}))
    """, PM_ANALYTICS_DATA=str(db), PM_ANALYTICS_CACHE=str(tmp_path / "cache"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["after_load"] == [], "a load without the text model imports neither scikit-learn nor scipy"
    assert report["after_pages"] == [], "no page imports scikit-learn or scipy"
    assert not any(report["errors"].values()), report["errors"]
    assert info(db)["text_model"] == TEXT_MODEL_NOT_COMPUTED
    assert rows(db, "SELECT count(*) FROM related_incidents")[0][0] == 0


def test_load_waits_for_the_text_model_by_default(corpus, tmp_path):
    db = tmp_path / "pm.duckdb"
    done = run_python(f"""
        import sys
        from pm_analytics.cli import main
        sys.exit(main(["load", {str(corpus)!r}, "--db", {str(db)!r}, "--progress"]))
    """)
    assert done.returncode == 0, done.stderr
    assert "text model: fitted on" in done.stderr
    assert info(db)["text_model"] == TEXT_MODEL_DONE
    assert rows(db, "SELECT count(*) FROM related_incidents")[0][0] > 0
    # A folder loaded without it gets it from the next load that asks for it, though no file changed.
    no_model = tmp_path / "none.duckdb"
    load_into([corpus], no_model, relative_to=corpus, workers=1, text_model=False)
    assert info(no_model)["text_model"] == TEXT_MODEL_NOT_COMPUTED
    again = load_into([corpus], no_model, relative_to=corpus, workers=1)
    assert not again.written and again.text_model.refit
    assert sorted(stored_related(no_model)) == sorted(stored_related(db))


TEXT_MODEL_TABLES = {
    "related_incidents": RELATED,
    "text_model_vectors": "incident_id, term_ids, weights",
    "text_model_documents": "incident_id, fingerprint",
    "recurrences": "*",
    "incident_themes": "*",
}


def previous_tables(db) -> list[str]:
    return [name for (name,) in rows(db, "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'previous_%' "
                                         "ORDER BY table_name")]


def text_model_rows(db) -> dict[str, list[tuple]]:
    return {table: sorted(rows(db, f"SELECT {columns} FROM {table}"), key=repr)
            for table, columns in TEXT_MODEL_TABLES.items()}


def test_a_reload_updates_the_previous_text_model_in_place_as_copying_it_would(corpus, tmp_path, monkeypatch):
    """A reload of few changes keeps the previous model's related incidents and vectors in its copy of the
    previous database (``previous_<table>`` while the text model is pending) and deletes the rows it
    recomputes; the text model it writes is the one copying the kept rows from the previous database
    writes (the path of a reload that parses most files)."""
    from pm_analytics import load

    in_place, copied = tmp_path / "in_place.duckdb", tmp_path / "copied.duckdb"
    load_into([corpus], in_place, relative_to=corpus, workers=1)
    shutil.copyfile(in_place, copied)
    target = markdown(corpus)[7]
    retitle(in_place, target, "after the payments gateway certificate expired")
    edit(markdown(corpus)[12], "\n", "\n\n")

    pending = load_into([corpus], in_place, relative_to=corpus, workers=1, defer_text_model=True).pending
    assert previous_tables(in_place) == ["previous_related_incidents", "previous_text_model_vectors"]
    assert rows(in_place, "SELECT count(*) FROM related_incidents")[0][0] == 0, "pending: no related rows"
    assert rows(in_place, "SELECT count(*) FROM previous_related_incidents")[0][0] > 0
    outcome = pending.run()
    assert not outcome.refit and 0 < outcome.recomputed < rows(in_place, "SELECT count(*) FROM incidents")[0][0]
    assert previous_tables(in_place) == []

    monkeypatch.setattr(load, "COPY_AT_MOST_SHARE", 0.0)  # every reload builds a new database: kept rows copied
    pending = load_into([corpus], copied, relative_to=corpus, workers=1, defer_text_model=True).pending
    assert previous_tables(copied) == []
    assert not pending.run().refit
    assert text_model_rows(in_place) == text_model_rows(copied)


def test_previous_rows_left_by_a_text_model_never_run_are_dropped(corpus, tmp_path):
    """A pending text model that never runs leaves the previous model's rows in the database: the next
    load, which fits the model afresh, drops them."""
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    edit(markdown(corpus)[3], "\n", "\n\n")
    load_into([corpus], db, relative_to=corpus, workers=1, defer_text_model=True).pending.discard()
    assert previous_tables(db) == ["previous_related_incidents", "previous_text_model_vectors"]
    assert info(db)["text_model"] == TEXT_MODEL_PENDING

    again = load_into([corpus], db, relative_to=corpus, workers=1)
    assert not again.written and again.text_model.refit, "nothing changed: the missing model is fitted"
    assert previous_tables(db) == []
    fresh = tmp_path / "fresh.duckdb"
    load_into([corpus], fresh, relative_to=corpus, workers=1)
    assert text_model_rows(db) == text_model_rows(fresh)

    edit(markdown(corpus)[4], "\n", "\n\n")
    load_into([corpus], db, relative_to=corpus, workers=1, defer_text_model=True).pending.discard()
    edit(markdown(corpus)[5], "\n", "\n\n")
    load_into([corpus], db, relative_to=corpus, workers=1, text_model=False)
    assert previous_tables(db) == [], "a load copying a database whose model is pending drops its previous rows"


def test_a_reload_that_refits_drops_the_previous_rows(corpus, tmp_path, monkeypatch):
    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    monkeypatch.setattr(insights, "REFIT_SHARE", 0.0)
    retitle(db, markdown(corpus)[7], "after the payments gateway certificate expired")
    pending = load_into([corpus], db, relative_to=corpus, workers=1, defer_text_model=True).pending
    assert previous_tables(db) == ["previous_related_incidents", "previous_text_model_vectors"]
    assert pending.run().refit
    assert previous_tables(db) == []
    fresh = tmp_path / "fresh.duckdb"
    load_into([corpus], fresh, relative_to=corpus, workers=1)
    assert text_model_rows(db) == text_model_rows(fresh)


def test_a_database_replaced_during_a_reload_does_not_mix_two_models(corpus, tmp_path, monkeypatch):
    """Another load puts its database in place while a reload parses: the model the reload updates and the
    rows it keeps still come from one file, the database it started from."""
    from pm_analytics.store import DatabaseWriter

    db = tmp_path / "pm.duckdb"
    load_into([corpus], db, relative_to=corpus, workers=1)
    before = tmp_path / "before.duckdb"
    shutil.copyfile(db, before)
    # The other database has another model: the folder with three more post-mortems, fitted afresh.
    other_folder = tmp_path / "other"
    shutil.copytree(corpus, other_folder)
    for k, like in enumerate(markdown(other_folder)[3:6]):
        new_post_mortem(other_folder, f"zz-other-{k}.md", like, "again")
    other = tmp_path / "other.duckdb"
    load_into([other_folder], other, relative_to=other_folder, workers=1)
    assert read_text_model(other)["terms"] != read_text_model(before)["terms"]

    retitle(db, markdown(corpus)[7], "after the payments gateway certificate expired")
    keep_only = DatabaseWriter.keep_only

    def replaced_meanwhile(self, *args, **kwargs):
        os.replace(other, db)
        return keep_only(self, *args, **kwargs)

    monkeypatch.setattr(DatabaseWriter, "keep_only", replaced_meanwhile)
    outcome = load_into([corpus], db, relative_to=corpus, workers=1).text_model
    assert not outcome.refit and outcome.changes == 1
    assert sorted(stored_related(db)) == recomputed_related(before, db)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pm.duckdb.")], "no temporary file left"
