"""Insights beyond MTTR: related incidents and themes (text model), did the fixes work, severity
calibration, off-hours load, review follow-through and search, on hand-made fixtures."""

from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics_fixture import database
from pm_analytics import insights, metrics
from pm_analytics.filters import Filters
from pm_analytics.formatting import highlight
from pm_analytics.schema import Incident

AS_OF = date(2025, 5, 3)
ALL = Filters()


@pytest.fixture(scope="module")
def con():
    return database()


def documents(rows):
    return pd.DataFrame([{"incident_id": i, "started": datetime(2025, 1, n, tzinfo=timezone.utc), "text": t}
                         for n, (i, t) in enumerate(rows, start=1)])


CERT = "TLS certificate expired on the API gateway; certificate renewal was manual and unmonitored"
PAY = "Card payments declined by the payment processor; processor timeouts on checkout"


def test_related_incidents_rank_by_text_then_shared_team():
    docs = documents([("a", CERT), ("b", PAY), ("c", CERT + " again"), ("d", CERT.replace("API gateway", "SSO"))])
    teams = pd.DataFrame({"incident_id": ["a", "d"], "team": ["Platform", "Platform"]})
    apps = pd.DataFrame(columns=["incident_id", "app"])
    pairs = insights.related_incidents(docs, teams, apps)
    later_of_a = pairs[(pairs["incident_id"] == "a") & (pairs["direction"] == "later")]
    assert list(later_of_a["related_id"])[:2] == ["c", "d"]
    assert "b" not in set(later_of_a["related_id"]), "nothing in common with the payments incident"
    d_row = later_of_a[later_of_a["related_id"] == "d"].iloc[0]
    assert d_row.shared_team and d_row.similarity == pytest.approx(d_row.text_similarity + insights.TEAM_BONUS)
    earlier_of_c = pairs[(pairs["incident_id"] == "c") & (pairs["direction"] == "earlier")]
    assert list(earlier_of_c["related_id"]) == ["a"]
    assert (pairs["rank"] <= insights.RELATED_PER_SIDE).all()


def test_a_shared_team_and_app_alone_do_not_make_incidents_related():
    """The team and app bonuses add up to MIN_SIMILARITY: without a floor on the text, a payments
    incident was 'related' to a certificate one they had nothing in common with but a team."""
    docs = documents([("a", CERT), ("b", PAY), ("c", CERT + " again"), ("d", PAY + " again")])
    teams = pd.DataFrame({"incident_id": ["a", "b", "c", "d"], "team": ["Platform"] * 4})
    apps = pd.DataFrame({"incident_id": ["a", "b", "c", "d"], "app": ["Patient Web"] * 4})
    pairs = insights.related_incidents(docs, teams, apps)
    assert insights.TEAM_BONUS + insights.APP_BONUS >= insights.MIN_SIMILARITY, "the bonuses alone would do"
    related = set(zip(pairs["incident_id"], pairs["related_id"]))
    assert ("a", "c") in related and ("b", "d") in related
    assert not related & {("a", "b"), ("a", "d"), ("b", "c"), ("c", "d")}, "nothing in common but the team and app"
    assert (pairs["text_similarity"] >= insights.MIN_TEXT_SIMILARITY).all()


def test_related_pairs_name_the_words_they_share():
    docs = documents([("a", CERT), ("b", PAY), ("c", CERT.replace("API gateway", "SSO") + " renewal again")])
    empty = pd.DataFrame(columns=["incident_id", "team"])
    pairs = insights.related_incidents(docs, empty, empty.rename(columns={"team": "app"}))
    a_c = pairs[(pairs["incident_id"] == "a") & (pairs["related_id"] == "c")].iloc[0]
    c_a = pairs[(pairs["incident_id"] == "c") & (pairs["related_id"] == "a")].iloc[0]
    assert list(a_c.shared_terms) == list(c_a.shared_terms), "the same both ways"
    assert 3 <= len(a_c.shared_terms) <= insights.SHARED_TERMS
    assert any("certificate" in term for term in a_c.shared_terms) and not any("gateway" in t for t in a_c.shared_terms)
    words_in_pairs = {w for term in a_c.shared_terms if " " in term for w in term.split()}
    assert not words_in_pairs & set(a_c.shared_terms), "a word is not named again inside a named word pair"


def test_related_incidents_are_deterministic_and_handle_tiny_inputs():
    docs = documents([("a", CERT), ("b", PAY), ("c", CERT + " again")])
    empty = pd.DataFrame(columns=["incident_id", "team"])
    first = insights.related_incidents(docs, empty, empty.rename(columns={"team": "app"}))
    again = insights.related_incidents(docs.sample(frac=1, random_state=1), empty, empty.rename(columns={"team": "app"}))
    assert first.equals(again)
    assert insights.related_incidents(docs.head(1), empty, empty.rename(columns={"team": "app"})).empty


def reference_shared_terms(vectors, terms, i: int, j: int) -> list[str]:
    """The shared-terms rule written out for one pair: products of the two weights, heaviest first (ties
    in term order); a word inside a named word pair is not named again, a word pair replaces its words."""
    product = vectors[i].multiply(vectors[j]).toarray().ravel()
    chosen: list[str] = []
    for k in sorted(np.flatnonzero(product), key=lambda k: (-product[k], k)):
        term = terms[k]
        if len(chosen) == insights.SHARED_TERMS:
            break
        if " " not in term and any(term in c.split() for c in chosen):
            continue
        if " " in term:
            chosen = [c for c in chosen if " " in c or c not in term.split()]
        chosen.append(term)
    return chosen


def reference_related(docs: pd.DataFrame, teams: pd.DataFrame, apps: pd.DataFrame) -> pd.DataFrame:
    """The rule written out pair by pair: best score first, of equal scores the earlier incident; never
    below the text floor, whatever the bonuses."""
    docs = docs.sort_values(["started", "incident_id"], kind="stable").reset_index(drop=True)
    vocabulary, counts = insights.fit_vocabulary(docs["text"].tolist())
    vectors, terms = insights.weigh(counts, vocabulary.idf), vocabulary.terms
    text = (vectors @ vectors.T).toarray()
    team_of = teams.groupby("incident_id")["team"].apply(set).to_dict()
    app_of = apps.groupby("incident_id")["app"].apply(set).to_dict()
    ids, rows = docs["incident_id"].tolist(), []
    for i, incident in enumerate(ids):
        for direction, others in (("earlier", range(i)), ("later", range(i + 1, len(ids)))):
            scored = []
            for j in others:
                team = bool(team_of.get(incident, set()) & team_of.get(ids[j], set()))
                app = bool(app_of.get(incident, set()) & app_of.get(ids[j], set()))
                score = text[i, j] + np.float32(insights.TEAM_BONUS) * team + np.float32(insights.APP_BONUS) * app
                if score >= insights.MIN_SIMILARITY and text[i, j] >= insights.MIN_TEXT_SIMILARITY:
                    scored.append((-score, j, team, app))
            for rank, (score, j, team, app) in enumerate(sorted(scored)[:insights.RELATED_PER_SIDE], start=1):
                rows.append((incident, ids[j], direction, rank, round(float(-score), 4), round(float(text[i, j]), 4),
                             team, app, reference_shared_terms(vectors, terms, i, j)))
    return pd.DataFrame(rows, columns=insights.RELATED_COLUMNS).sort_values(
        ["incident_id", "direction", "rank"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("threads", [1, 2])
def test_related_incidents_follow_the_rule_across_chunks_and_ties(monkeypatch, threads):
    """Many exact ties (repeated texts, shared teams and apps with nothing else in common), rows split
    into chunks of 7, worked on by one or two threads: the same pairs as the rule written out."""
    rng = np.random.default_rng(3)
    phrases = [CERT, PAY, "Database failover stalled replication", "Pager rota gap; nobody paged overnight", "zz"]
    docs = pd.DataFrame([{"incident_id": f"i{n:02d}", "started": datetime(2025, 1, 1 + n % 28, tzinfo=timezone.utc),
                          "text": phrases[rng.integers(len(phrases))]} for n in range(40)])
    teams = pd.DataFrame([(f"i{n:02d}", t) for n in range(40) for t in ("Core", "Web")[:rng.integers(3)]],
                         columns=["incident_id", "team"])
    apps = pd.DataFrame([(f"i{n:02d}", "Patient Web") for n in range(0, 40, 3)], columns=["incident_id", "app"])
    monkeypatch.setattr(insights, "CELLS_IN_FLIGHT", 7 * 40 * threads)
    found = insights.related_incidents(docs, teams, apps, threads=threads)
    assert found["similarity"].duplicated().any(), "the corpus has ties"
    pd.testing.assert_frame_equal(found, reference_related(docs, teams, apps), check_dtype=False)
    related, theme_table, membership = insights.text_model(docs, teams, apps, threads=threads)
    assert related.equals(found)
    expected_themes = insights.themes(docs)
    assert theme_table.equals(expected_themes[0]) and membership.equals(expected_themes[1])


def test_an_update_settles_lists_from_the_previous_ones_and_equals_computing_every_row():
    """Round after round of changed, added and removed post-mortems, with many exact ties (repeated
    texts): the update settles many unchanged incidents' lists from their stored ones, computes the
    rest, and every list is the one computing every row gives."""
    rng = np.random.default_rng(11)
    words = ("certificate expired gateway renewal payments processor declined checkout database failover "
             "replication stalled pager rota overnight cache eviction latency queue backlog deploy rollback "
             "config flag dns resolver disk full").split()

    def text() -> str:
        return " ".join(rng.choice(words, size=rng.integers(3, 9)))

    def started(n: int) -> datetime:
        return datetime(2025, 1 + n % 12, 1 + n % 28, n % 24, tzinfo=timezone.utc)

    texts = [text() for _ in range(30)]
    docs = pd.DataFrame([{"incident_id": f"i{n:03d}", "started": started(n), "text": texts[n % 30] if n % 4 else text()}
                         for n in range(150)])
    teams = pd.DataFrame([(f"i{n:03d}", ("Core", "Web", "Data")[n % 3]) for n in range(150)],
                         columns=["incident_id", "team"])
    apps = pd.DataFrame([(f"i{n:03d}", "Patient Web") for n in range(0, 150, 4)], columns=["incident_id", "app"])
    previous = insights.as_fitted(insights.fit(docs, teams, apps))
    settled = computed = 0
    for round_ in range(8):
        docs = docs.copy()
        changed = rng.choice(len(docs), size=3, replace=False)
        docs.loc[docs.index[changed], "text"] = [f"{t} {text()}" if k % 2 else texts[rng.integers(30)]
                                                 for k, t in enumerate(docs["text"].iloc[changed])]
        if round_ % 3 == 1:
            docs = docs.drop(docs.index[rng.integers(len(docs))])
        if round_ % 3 == 2:
            docs = pd.concat([docs, pd.DataFrame([{"incident_id": f"n{round_}", "started": started(round_ * 7),
                                                   "text": texts[round_]}])], ignore_index=True)
        outcome = insights.update(previous, docs, teams, apps, threads=1 + round_ % 2)
        reference = insights.update(previous, docs, teams, apps, every_row=True).related
        kept = previous.related[previous.related["incident_id"].isin(set(outcome.kept_related))]
        assert set(kept["incident_id"]).isdisjoint(outcome.related["incident_id"])
        got = pd.concat([kept, outcome.related], ignore_index=True)
        got = got.sort_values(["incident_id", "direction", "rank"], kind="stable").reset_index(drop=True)
        got["rank"] = got["rank"].astype(reference["rank"].dtype)
        pd.testing.assert_frame_equal(got, reference, check_dtype=False)
        settled += outcome.patched
        computed += outcome.recomputed - outcome.patched
        previous = insights.as_fitted(outcome, previous)
    assert reference["similarity"].duplicated().any(), "the corpus has ties"
    assert settled > 0 and computed > 0, (settled, computed)


def test_a_fingerprint_changes_with_what_related_incidents_depend_on_and_only_then():
    """An incident's fingerprint tells the text model whether to relate it again: it must change when its
    start (to the second), text, teams or apps do, and stay when nothing does, whatever the start's type."""
    docs = documents([("A", CERT), ("B", PAY)])
    teams = pd.DataFrame({"incident_id": ["A", "A", "B"], "team": ["Platform", "Payments", None]})
    apps = pd.DataFrame({"incident_id": ["B"], "app": ["Patient iOS"]})
    base = insights.fingerprints(docs, teams, apps)
    assert list(base.index) == ["A", "B"] and base["A"] != base["B"]
    assert insights.fingerprints(docs.copy(), teams.iloc[::-1], apps).equals(base)

    later = docs.copy()
    later.loc[0, "started"] += pd.Timedelta(seconds=1)
    retold = docs.copy()
    retold.loc[1, "text"] += " again"
    variants = {
        "start": (later, teams, apps, "A"),
        "text": (retold, teams, apps, "B"),
        "team": (docs, pd.concat([teams, pd.DataFrame({"incident_id": ["B"], "team": ["Payments"]})]), apps, "B"),
        "app": (docs, teams, apps.assign(app="Patient Web"), "B"),
    }
    for what, (d, t, a, moved) in variants.items():
        now = insights.fingerprints(d, t, a)
        assert [i for i in base.index if now[i] != base[i]] == [moved], what

    as_text = docs.assign(started=docs["started"].astype(str))
    assert insights.fingerprints(as_text, teams, apps).index.tolist() == ["A", "B"]
    assert insights.fingerprints(later.assign(started=later["started"].astype(str)), teams, apps)["A"] != \
        insights.fingerprints(as_text, teams, apps)["A"]


def test_themes_group_incidents_by_what_happened():
    docs = documents([(f"cert{i}", CERT + f" on host {i}") for i in range(6)]
                     + [(f"pay{i}", PAY + f" in region {i}") for i in range(6)])
    table, membership = insights.themes(docs)
    by_incident = dict(zip(membership["incident_id"], membership["theme_id"]))
    cert_themes = {by_incident[f"cert{i}"] for i in range(6)}
    pay_themes = {by_incident[f"pay{i}"] for i in range(6)}
    assert len(cert_themes) == 1 and len(pay_themes) == 1 and cert_themes != pay_themes
    terms = dict(zip(table["theme_id"], table["top_terms"]))
    assert any("certificate" in t for t in terms[cert_themes.pop()])
    assert any("processor" in t or "payment" in t for t in terms[pay_themes.pop()])
    assert table["incidents"].sum() == 12


def test_did_the_fixes_work(con):
    repeats = metrics.recurrences(con, ALL)
    # B repeats A (text 0.5, shared Payments). A's items at B's start (2025-01-20): P0 done 01-11 (before),
    # P1 done 02-01 (after: still open then, due 01-24 so not yet past due), P2 open.
    assert len(repeats) == 1
    row = repeats.iloc[0]
    assert (row.earlier_id, row.later_id, row.shared_teams) == ("INC-A", "INC-B", "Payments")
    assert (row["items"], row.done_before, row.p0_p1_items, row.p0_p1_open) == (3, 1, 2, 1)
    assert pd.isna(row.days_past_due) and row.status == "P0/P1 still open (follow-through)"
    report = metrics.recurrence_report(con, ALL)
    assert report["total"] == 1 and report["repeats"].equals(repeats)
    assert report["by_team"].set_index("team").loc["Payments"].to_dict() == {
        "fix did not prevent it (P0/P1 all done)": 0, "P0/P1 still open (follow-through)": 1, "no P0/P1 items": 0,
        "P0/P1 done, date unknown": 0, "recurrences": 1}
    assert report["answer"] == ("0 repeats happened although the earlier P0/P1 items were done (the fix did not "
                                "prevent it); 1 while they were still open (follow-through).")
    assert metrics.recurrence_report(con, ALL, limit=0)["total"] == 1  # a page shows the first rows, counts all
    assert metrics.recurrences(con, Filters(severities=("SEV1",))).empty  # the repeat (B) is a SEV2


def test_the_fixes_answer_says_how_the_per_team_chart_adds_up():
    """A repeat whose two incidents share two teams is one repeat in the sentence and one bar in each team's
    row: the answer says so, or "1 repeat" beside two bars reads as a mistake."""
    import duckdb
    from dataclasses import replace

    from metrics_fixture import INCIDENTS, RELATED, RECURRENCE_TEXT_SIMILARITY, derive_recurrences, fill, insert_rows

    both = [replace(i, teams=["Payments", "Platform"]) if i.incident_id in ("INC-A", "INC-B") else i for i in INCIDENTS]
    con = duckdb.connect(":memory:")
    try:
        fill(con, both, [], [], {"text_model": "done"})
        insert_rows(con, "related_incidents", RELATED)
        derive_recurrences(con, RECURRENCE_TEXT_SIMILARITY)
        report = metrics.recurrence_report(con, ALL)
    finally:
        con.close()
    assert report["total"] == 1 and report["by_team"]["recurrences"].tolist() == [1, 1]
    assert report["answer"].endswith("The chart counts each repeat once for every team the two incidents share: "
                                     "2 team counts for this repeat.")


def test_recurrences_are_derived_in_utc_whatever_the_time_zone(tmp_path):
    """Days past due compare a deadline's UTC date with the repeat's date; a loader in another time zone
    must not shift them (on the sample data, Los Angeles and Kiritimati each move some by a day)."""
    import duckdb

    from pm_analytics.load import load_into
    from pm_analytics.store import derive_recurrences

    data = Path(__file__).resolve().parent.parent / "data"
    db = tmp_path / "sample.duckdb"
    load_into([data], db, relative_to=data)
    con = duckdb.connect(str(db))
    in_utc = con.execute("SELECT * FROM recurrences ORDER BY ALL").fetchall()
    assert sum(1 for row in in_utc if row[-1] is not None) >= 5, "some repeats came after a missed deadline"
    for zone in ("America/Los_Angeles", "Pacific/Kiritimati"):
        con.execute(f"SET TimeZone = '{zone}'")
        con.execute("DELETE FROM recurrences")
        derive_recurrences(con, insights.RECURRENCE_TEXT_SIMILARITY)
        assert con.execute("SELECT * FROM recurrences ORDER BY ALL").fetchall() == in_utc, zone
    con.close()


def test_related_for_the_incident_page(con):
    related = metrics.related(con, "INC-B")
    assert list(zip(related["direction"], related["incident_id"])) == [("earlier", "INC-A"), ("later", "INC-C")]


def test_themes_and_their_trend(con):
    assert list(metrics.themes(con, ALL)["top_terms"]) == ["checkout, payments"]
    trend = metrics.theme_trend(con, ALL, "quarter")
    assert list(trend["incidents"]) == [2]


def calibration_db():
    def incident(i, severity, patients, minutes, teams=()):
        return Incident(i, title=i, severity=severity, incident_date=date(2025, 1, 1), duration_min=minutes,
                        patients_affected=patients, teams=list(teams), source_path=i, source_format="yaml",
                        source_sha256=i)

    return database([incident("s1a", "SEV1", 1000, 60, ["Payments"]), incident("s1b", "SEV1", 2000, 60, ["Web"]),
                     incident("s1c", "SEV1", 5, 10, ["Payments"]), incident("s3a", "SEV3", 10, 10, ["Web"]),
                     incident("s3b", "SEV3", 30, 10, ["Payments", "Web"]),
                     incident("s3c", "SEV3", 5000, 60, ["Payments"]), incident("s2a", "SEV2", None, 60, ["Web"])])


def test_severity_calibration():
    con = calibration_db()
    flagged = metrics.severity_outliers(con, ALL)
    # impact-minutes: SEV1 60000, 120000, 50 (median 60000); SEV3 100, 300, 300000 (median 300)
    reasons = dict(zip(flagged["incident_id"], flagged["reason"]))
    assert set(reasons) == {"s3c", "s1c"}, "the unknown SEV2 is never judged"
    assert "more patient impact-minutes than the SEV1 median (60,000)" in reasons["s3c"]
    assert "fewer patient impact-minutes than the SEV3 median (300)" in reasons["s1c"]
    assert metrics.severity_report(con, ALL)["total"] == 2
    report = metrics.severity_report(con, ALL, limit=1)
    assert len(report["outliers"]) == 1 and report["total"] == 2
    first = metrics.severity_outliers(con, ALL, limit=1)
    assert len(first) == 1 and first.iloc[0].incident_id == "s1c"  # same date: by id


def test_severity_calibration_by_team():
    con = calibration_db()
    by_team = metrics.severity_calibration_by_team(con, ALL)
    # Payments judges s1a, s1c (graded higher), s3b, s3c (graded lower): 2 of 4. Web judges s1b, s3a, s3b
    # (s2a's impact is unknown): none off.
    assert by_team.to_dict("list") == {"team": ["Payments", "Web"], "judged": [4, 3], "graded_lower": [1, 0],
                                       "graded_higher": [1, 0], "looks_off": [2, 0], "looks_off_share": [0.5, 0.0]}
    web_only = metrics.severity_calibration_by_team(con, Filters(teams=("Web",)))
    # Web alone: SEV1 s1b (120,000), SEV3 s3a 100 and s3b 300 (median 200): nothing off.
    assert web_only.to_dict("list")["team"] == ["Web"] and list(web_only["looks_off"]) == [0]
    payments_only = metrics.severity_calibration_by_team(con, Filters(teams=("Payments",)))
    # Payments alone: SEV1 60,000 and 50 (median 30,025); SEV3 300 and 300,000 (median 150,150): s1a and s1c
    # fall below the SEV3 median, s3c exceeds the SEV1 median.
    assert payments_only.iloc[0][["judged", "graded_lower", "graded_higher"]].tolist() == [4, 1, 2]


def test_off_hours(con):
    grid = metrics.start_heatmap(con, ALL)
    assert grid.loc["Fri", 10] == 1 and grid.loc["Mon", 8] == 1 and grid.loc["Sat", 12] == 1 and grid.loc["Sat", 9] == 1
    assert grid.to_numpy().sum() == 4
    overall = metrics.off_hours(con, ALL, period=None).iloc[0]
    assert (overall.known, overall.off_hours, overall.off_hours_share) == (4, 2, 0.5)  # C and D start on Saturdays
    by_team = metrics.off_hours(con, ALL, period=None, by="team").set_index("group")
    assert by_team.loc["Platform", "off_hours_share"] == 0.5 and by_team.loc["Payments", "off_hours"] == 0


def test_review_follow_through(con):
    rows = metrics.reviews(con, ALL, AS_OF).set_index("incident_id")
    assert (rows.loc["INC-A", "reviewers"], rows.loc["INC-A", "lgtm"], rows.loc["INC-A", "fully_reviewed"]) == (2, 2, True)
    assert rows.loc["INC-A", "days_to_last_lgtm"] == 5  # resolved 01-10, last LGTM 01-15
    assert (rows.loc["INC-B", "fully_reviewed"], rows.loc["INC-C", "reviewers"]) == (False, 0)
    summary = metrics.review_summary(con, ALL, AS_OF, "quarter")
    payments = summary[(summary["team"] == "Payments")].iloc[0]
    assert (payments.post_mortems, payments.fully_reviewed, payments.fully_reviewed_share) == (2, 1, 0.5)
    waiting = metrics.waiting_for_review(con, ALL, AS_OF)
    assert list(waiting["incident_id"]) == ["INC-B", "INC-C", "INC-D"]  # longest waiting first
    assert waiting.iloc[0].days_since_resolved == 103
    report = metrics.waiting_report(con, ALL, AS_OF, limit=2)
    assert list(report["waiting"]["incident_id"]) == ["INC-B", "INC-C"] and report["total"] == 3


def test_search_finds_every_mention_and_highlights_it(con):
    hits = metrics.search(con, ALL, "checkout")
    assert list(zip(hits["incident_id"], hits["field"])) == [("INC-A", "Title")]
    p0 = metrics.search(con, ALL, "P0")
    assert set(p0["incident_id"]) == {"INC-A", "INC-B", "INC-E"}, "drills are searched"
    assert set(p0.loc[p0["drill"], "incident_id"]) == {"INC-E"}, "and marked as such"
    # Two items called AI1 in one incident's list would read alike: the priority tells them apart.
    assert set(p0["field"]) == {"Action item AI1 (P0)"}
    assert list(metrics.search(con, ALL, "AI1")["field"]) == ["Action item AI1 (P2)", "Action item AI1 (P0)",
                                                              "Action item AI1 (P0)", "Action item AI1 (P0)"]
    assert metrics.search(con, ALL, "' OR 1=1 --").empty and metrics.search(con, ALL, "  ").empty
    assert list(metrics.search(con, ALL, "CHECKOUT")["incident_id"]) == ["INC-A"]
    assert highlight("Cert expired; CERT renewed", "cert") == \
        ":orange-background[Cert] expired; :orange-background[CERT] renewed"
    assert highlight("[x](javascript:alert(1)) cert", "cert").startswith("\\[x\\]\\(javascript\\:alert\\(1\\)\\)")


def test_search_counts_what_the_date_range_leaves_out(con):
    """P0 items: A (Jan 10), B (Jan 20), E (a drill, Jan 15). From Jan 16, A and E lie outside."""
    later = Filters(date_from=date(2025, 1, 16), date_to=date(2025, 12, 31))
    assert set(metrics.search(con, later, "P0")["incident_id"]) == {"INC-B"}
    assert metrics.search_outside_range(con, later, "P0") == {"matches": 2, "post_mortems": 2}
    assert metrics.search_outside_range(con, ALL, "P0") == {"matches": 0, "post_mortems": 0}
    assert metrics.search_outside_range(con, later, " ") == {"matches": 0, "post_mortems": 0}


@pytest.mark.parametrize("search", ["A%down", "INC_A", "C:_reminders", "\\"])
def test_search_reads_wildcard_characters_as_written(con, search):
    """As LIKE wildcards these would match A's title, A's id and C's title; searched as written, nothing."""
    assert metrics.search(con, ALL, search).empty
    assert metrics.incident_count(con, ALL, search=search) == 0


def test_fixes_answer_says_each_outcome_plainly():
    assert metrics.fixes_answer({"done": 1, "open": 3, "none": 2}) == (
        "1 repeat happened although the earlier P0/P1 items were done (the fix did not prevent it); "
        "3 while they were still open (follow-through); 2 after a post-mortem with no P0/P1 items.")
    assert metrics.fixes_answer({}) == "No incident in these filters repeats an earlier one."


def test_recurrence_counts_by_status_are_right_when_many_page_runs_ask_at_once(tmp_path):
    """Streamlit runs page scripts in threads that share one reading connection: each query has a cursor
    of its own (the shared connection itself, asked from several threads at once, mixed their results)."""
    import threading

    from pm_analytics.filters import Filters
    from pm_analytics.load import load_into
    from pm_analytics.store import open_database, recurrence_status_counts

    data = Path(__file__).resolve().parent.parent / "data"
    db = tmp_path / "sample.duckdb"
    load_into([data], db, relative_to=data)
    con = open_database(db)
    try:
        filters = [Filters(), Filters(severities=("SEV1",)), Filters(severities=("SEV2", "SEV3"))]
        expected = [recurrence_status_counts(con, f) for f in filters]
        assert sum(expected[0].values()) > 0, "the sample data has recurrences"
        wrong: list[str] = []

        def ask() -> None:
            for round_ in range(60):
                which = round_ % len(filters)
                try:
                    got = recurrence_status_counts(con, filters[which])
                except Exception as error:  # noqa: BLE001 - every failure is reported below
                    wrong.append(repr(error))
                    continue
                if got != expected[which]:
                    wrong.append(f"{filters[which]}: {got} != {expected[which]}")

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        con.close()
    assert not wrong, wrong[:3]
