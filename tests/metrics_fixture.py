"""Five hand-written incidents whose metrics are worked out on paper in test_metrics.py.

A (SEV1, Payments)           Fri 2025-01-10 10:00Z, phases 10/5/30/20/15 -> 80 min, 10 clinics, 100 providers,
                             1000 patients; reviewed: 2 LGTM (last 2025-01-15)
B (SEV2, Payments+Platform)  Mon 2025-01-20 08:00Z, phases 30/10/60/40/20 -> 160 min, 5 clinics, providers/patients
                             unknown; reviewers: 1 LGTM (2025-01-22), 1 not reviewed
C (SEV2, Platform)           Sat 2025-02-15 12:00Z, detect unknown, 5/15/10/10, resolved 12:50 -> 50 min, 200 patients
D (SEV3, no team)            Sat 2025-04-05 09:00Z, detect 5, never resolved, 0 patients, clinics left as placeholder
E (SEV1, Payments, a drill)  excluded from every statistic
"""

from datetime import date, datetime, timezone

import duckdb

from pm_analytics.schema import TEMPLATE_FIELDS, ActionItem, AffectedApp, Incident, Reviewer, is_filled
from pm_analytics.insights import RECURRENCE_TEXT_SIMILARITY
from pm_analytics.store import derive_recurrences, fill, insert_rows


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def item(action_id, priority, due, status="open", completed=None):
    return ActionItem(action_id, priority, f"{priority} {action_id}", "Owner " + action_id, None, None, status,
                      completed, due)


INCIDENTS = [
    Incident(
        "INC-A", title="A: checkout down", severity="SEV1", timezone="UTC", incident_date=date(2025, 1, 10),
        started_at=utc(2025, 1, 10, 10, 0), detected_at=utc(2025, 1, 10, 10, 10), responded_at=utc(2025, 1, 10, 10, 15),
        understood_at=utc(2025, 1, 10, 10, 45), solution_at=utc(2025, 1, 10, 11, 5), resolved_at=utc(2025, 1, 10, 11, 20),
        time_to_detect_min=10, time_to_respond_min=5, time_to_understand_min=30, time_to_solution_min=20,
        time_to_full_recovery_min=15, duration_min=80, clinics_affected=10, providers_affected=100,
        patients_affected=1000, techops_engineers=2, software_engineers=3, security_engineers=0,
        source_path="a.yaml", source_format="yaml", source_sha256="a", teams=["Payments"],
        apps=[AffectedApp("Patient", "Web")],
        reviewers=[Reviewer("Ann", "LGTM", date(2025, 1, 12)), Reviewer("Bo", "LGTM", date(2025, 1, 15))],
        action_items=[
            item("AI1", "P0", utc(2025, 1, 12, 11, 20), "done", date(2025, 1, 11)),
            item("AI2", "P1", utc(2025, 1, 24, 11, 20), "done", date(2025, 2, 1)),
            item("AI3", "P2", utc(2025, 2, 7, 11, 20)),
        ],
    ),
    Incident(
        "INC-B", title="B: provider app errors", severity="SEV2", timezone="UTC", incident_date=date(2025, 1, 20),
        started_at=utc(2025, 1, 20, 8, 0), detected_at=utc(2025, 1, 20, 8, 30), responded_at=utc(2025, 1, 20, 8, 40),
        understood_at=utc(2025, 1, 20, 9, 40), solution_at=utc(2025, 1, 20, 10, 20), resolved_at=utc(2025, 1, 20, 10, 40),
        time_to_detect_min=30, time_to_respond_min=10, time_to_understand_min=60, time_to_solution_min=40,
        time_to_full_recovery_min=20, duration_min=160, clinics_affected=5, techops_engineers=1,
        software_engineers=2, source_path="b.md", source_format="markdown", source_sha256="b",
        teams=["Payments", "Platform"], apps=[AffectedApp("Provider", "iOS"), AffectedApp(None, "CWS APIs")],
        reviewers=[Reviewer("Ann", "LGTM", date(2025, 1, 22)), Reviewer("Cy", "Not Reviewed", None)],
        action_items=[
            item("AI1", "P0", utc(2025, 1, 22, 10, 40)),
            item("AI2", "P1", utc(2025, 2, 3, 10, 40), "wontfix"),
        ],
    ),
    Incident(
        "INC-C", title="C: reminders late", severity="SEV2", timezone="UTC", incident_date=date(2025, 2, 15),
        started_at=utc(2025, 2, 15, 12, 0), resolved_at=utc(2025, 2, 15, 12, 50),
        time_to_respond_min=5, time_to_understand_min=15, time_to_solution_min=10, time_to_full_recovery_min=10,
        duration_min=50, patients_affected=200, source_path="c.txt", source_format="text", source_sha256="c",
        teams=["Platform"],
    ),
    Incident(
        "INC-D", title="D: search slow", severity="SEV3", timezone="UTC", incident_date=date(2025, 4, 5),
        started_at=utc(2025, 4, 5, 9, 0), detected_at=utc(2025, 4, 5, 9, 5), time_to_detect_min=5,
        patients_affected=0, placeholder_fields=["clinics_affected"], source_path="d.md", source_format="markdown",
        source_sha256="d", action_items=[item("AI1", "P2", utc(2025, 5, 3, 9, 0))],
    ),
    Incident(
        "INC-E", title="E: game day", severity="SEV1", timezone="UTC", incident_date=date(2025, 1, 15),
        started_at=utc(2025, 1, 15, 9, 0), resolved_at=utc(2025, 1, 15, 17, 20), time_to_detect_min=100,
        duration_min=500, clinics_affected=999, patients_affected=99999, exclude_from_metrics=True,
        source_path="e.yaml", source_format="yaml", source_sha256="e", teams=["Payments"],
        apps=[AffectedApp("Patient", "Web")],
        action_items=[item("AI1", "P0", utc(2025, 1, 17, 17, 20))],
    ),
]


for _incident in INCIDENTS:
    _incident.started_local = _incident.started_at.replace(tzinfo=None) if _incident.started_at else None
    _incident.missing_fields = [attr for _, attr in TEMPLATE_FIELDS
                                if not is_filled(_incident, attr) and attr not in _incident.placeholder_fields]


# B reads like A (and shares Payments): B repeats A. C reads like nothing else.
RELATED = [("INC-A", "INC-B", "later", 1, 0.6, 0.5, True, False, ["checkout", "card errors"]),
           ("INC-B", "INC-A", "earlier", 1, 0.6, 0.5, True, False, ["checkout", "card errors"]),
           ("INC-B", "INC-C", "later", 1, 0.2, 0.1, True, False, ["reminders"]),
           ("INC-C", "INC-B", "earlier", 1, 0.2, 0.1, True, False, ["reminders"])]


def database(incidents=INCIDENTS):
    """An in-memory DuckDB holding ``incidents`` (and, for the fixture's own, hand-written related pairs)."""
    con = duckdb.connect(":memory:")
    # The fixture's own incidents come with a text model (its related pairs and theme, written by hand).
    fill(con, incidents, [], [], {"text_model": "done"} if incidents is INCIDENTS else None)
    if incidents is INCIDENTS:
        insert_rows(con, "related_incidents", RELATED)
        derive_recurrences(con, RECURRENCE_TEXT_SIMILARITY)
        insert_rows(con, "themes", [(1, "checkout, payments", ["checkout", "payments"], 2)])
        insert_rows(con, "incident_themes", [("INC-A", 1), ("INC-B", 1)])
    return con
