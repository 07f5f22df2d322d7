"""A quarterly review in a real browser: five questions a director asks, each answered within two clicks
of the overview on the bundled sample, and each answer checked against the database with SQL of its own
(not the metrics functions the pages use)."""

from datetime import date, timedelta

import duckdb
import pytest

from browser_support import AS_OF, ROOT, RUN_FINISHED, WAIT_MS, open_page
from pm_analytics.formatting import format_minutes, format_percent
from pm_analytics.load import load_into

TODAY = date.fromisoformat(AS_OF)
# The default range: the 12 months up to AS_OF.
WINDOW = (date(TODAY.year - 1, TODAY.month, TODAY.day) + timedelta(days=1), TODAY)
IN_WINDOW = "i.incident_date BETWEEN ? AND ? AND NOT i.exclude_from_metrics"


@pytest.fixture(scope="module")
def server(sample_server):
    return sample_server


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("review-db") / "sample.duckdb"
    load_into([ROOT / "data"], path)
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def click_and_wait(page, locator, url_part: str, title: str) -> None:
    """Click, then wait for the new page: its URL, its title (which only a run of that page draws, so the
    run that follows is the new one, not the one before the click) and the end of that run."""
    locator.click()
    page.wait_for_url(f"**{url_part}**", timeout=WAIT_MS)
    page.locator('[data-testid="stMain"] h1', has_text=title).first.wait_for(timeout=WAIT_MS)
    page.wait_for_selector(RUN_FINISHED, state="attached", timeout=WAIT_MS)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=WAIT_MS)


def nav(page, label: str):
    return page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]', has_text=label).first


@pytest.fixture
def overview(server, chromium):
    page = open_page(chromium, f"{server}/?as_of={AS_OF}", charts=True)
    yield page
    page.close()


def test_are_we_getting_better_compares_like_with_like(overview, db):
    """No click: the incidents card shows the window before, its count, and that it is compared per month
    because the data starts inside that window."""
    first_day = db.execute("SELECT min(incident_date) FROM incidents").fetchone()[0]
    before = (date(WINDOW[0].year - 1, WINDOW[0].month, WINDOW[0].day), WINDOW[0] - timedelta(days=1))
    count = db.execute(f"SELECT count(*) FROM incidents i WHERE {IN_WINDOW}", list(before)).fetchone()[0]
    text = main_text(overview)
    assert f"Before: {before[0]} – {before[1]}, {count:,}" in text
    assert first_day > before[0]
    assert f"data starts {first_day}); counts compared per month" in text


def test_is_follow_through_on_time_counts_open_items_past_their_deadline(overview, db):
    due, on_time = db.execute(f"""
        SELECT count(*), count(*) FILTER (a.status = 'done' AND a.completed_on <= CAST(a.due_at AS DATE))
        FROM action_items a JOIN incidents i USING (incident_id)
        WHERE {IN_WINDOW} AND a.due_at IS NOT NULL AND CAST(a.due_at AS DATE) < ? AND a.status <> 'wontfix'
          AND NOT (a.status = 'done' AND a.completed_on IS NULL)""", [*WINDOW, TODAY]).fetchone()
    card = overview.locator('[data-testid="stMetric"]', has_text="Action items on time").first
    assert format_percent(on_time / due) in card.inner_text()
    assert f"of {due} items due by {AS_OF}" in main_text(overview)


def test_which_teams_carry_the_load_and_recover_slowest(overview, db):
    """One click: Teams."""
    rows = db.execute(f"""
        SELECT t.team, count(*) AS incidents, count(*) FILTER (i.severity = 'SEV1') AS sev1,
               median(i.duration_min) AS median_recover
        FROM incidents i JOIN incident_teams t USING (incident_id) WHERE {IN_WINDOW}
        GROUP BY t.team""", list(WINDOW)).fetchall()
    busiest = sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))[0]
    slowest = sorted((r for r in rows if r[1] >= 5 and r[3] is not None), key=lambda r: (-r[3], r[0]))[0]
    click_and_wait(overview, nav(overview, "Teams"), "/teams", "Teams")
    text = main_text(overview)
    assert f"Most incidents: {busiest[0]} ({busiest[1]}, {busiest[2]} of them SEV1)" in text
    assert f"slowest median recovery: {slowest[0]} ({format_minutes(slowest[3])})" in text


def test_which_overdue_p0_p1_items_to_chase_and_with_whom(overview, db):
    """One click: the overdue card's link to the chase list."""
    owner, days, incident_id = db.execute(f"""
        SELECT coalesce(a.owner, '(no owner)'), date_diff('day', CAST(a.due_at AS DATE), CAST(? AS DATE)), a.incident_id
        FROM action_items a JOIN incidents i USING (incident_id)
        WHERE {IN_WINDOW} AND a.status = 'open' AND a.priority IN ('P0', 'P1') AND CAST(a.due_at AS DATE) < ?
        ORDER BY 2 DESC, a.incident_id, a.seq LIMIT 1""", [TODAY, *WINDOW, TODAY]).fetchone()
    click_and_wait(overview, overview.get_by_text("Who to chase →"), "/action_items", "Action items")
    text = main_text(overview)
    assert f"Most overdue: {owner}, {days} days ({incident_id}" in text


def test_did_the_earlier_fixes_work(overview, db):
    """One click: Recurring incidents."""
    done, still_open = db.execute(f"""
        SELECT count(*) FILTER (r.p0_p1_items > 0 AND r.p0_p1_open = 0 AND r.p0_p1_done_undated = 0),
               count(*) FILTER (r.p0_p1_items > 0 AND r.p0_p1_open > 0)
        FROM recurrences r JOIN incidents i ON i.incident_id = r.later_id WHERE {IN_WINDOW}""",
                                  list(WINDOW)).fetchone()
    click_and_wait(overview, nav(overview, "Recurring incidents"), "/recurring", "Recurring incidents")
    text = main_text(overview)
    assert (f"{done} repeat{'s' if done != 1 else ''} happened although the earlier P0/P1 items were done "
            f"(the fix did not prevent it); {still_open} while they were still open (follow-through)") in text
