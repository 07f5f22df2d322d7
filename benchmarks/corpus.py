#!/usr/bin/env python3
"""A fast, deterministic synthetic corpus of post-mortems for benchmarks.

``generate(n, out_dir, seed)`` writes ``n`` post-mortem files shaped like the
template (``/work/shared/template/postmortem-template.txt`` and the README's
"Input formats"), in the proportions a real repository of post-mortems has:

* ~45 % the template filled in: ``.txt`` tab-separated exactly like the
  template, ``.md`` with pipe tables, ``.md`` with ``- **Label:** value`` bullets;
* ~25 % Markdown with YAML front matter (id, date, timezone, severity, teams)
  over a template body;
* ~30 % ``.yaml`` with the README's snake_case keys (clock times quoted).

Every file is internally consistent: the start clock plus the five consecutive
phase durations (detect, response, understand, solution, full recovery) is the
"Resolved at" clock, so the loader has nothing to disagree about. About 1 % of
the files leave the patients (and sometimes providers) count as ``Unknown``;
that is the only warning the loader should report (``not filled in: ...``).

A file's content depends only on ``(seed, index)`` -- one ``random.Random`` per
file -- so file 123 is the same in a corpus of 1,000 and of 100,000, and
:func:`expected` can recompute what the loader must produce for any one file.

    python benchmarks/corpus.py N OUT_DIR [--seed 7] [--workers K]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time as _time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

FIRST_DAY = date(2016, 11, 21)
LAST_DAY = date(2026, 11, 20)
_SPAN_DAYS = (LAST_DAY - FIRST_DAY).days + 1
_FIRST_ORD = FIRST_DAY.toordinal()

# (format, cumulative percentage): 45 % template (15/15/15), 25 % front matter, 30 % YAML.
FORMATS = (("txt", 15), ("md_pipe", 30), ("md_bullets", 45), ("front_matter", 70), ("yaml", 100))
SUFFIX = {"txt": ".txt", "md_pipe": ".md", "md_bullets": ".md", "front_matter": ".md", "yaml": ".yaml"}
# The loader's source_format for each shape.
SOURCE_FORMAT = {"txt": "text", "md_pipe": "markdown", "md_bullets": "markdown",
                 "front_matter": "front_matter", "yaml": "yaml"}

UNKNOWN_PATIENTS_RATE = 0.012  # the deliberate warning: "not filled in: Patients affected (placeholder)"

# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

TEAMS = (
    ("Payments", "PAY"), ("Billing", "BILL"), ("Platform", "PLAT"), ("Infrastructure", "INFRA"),
    ("SRE", "SRE"), ("Identity", "IDN"), ("Security", "SEC"), ("Patient Apps", "PAPP"),
    ("Provider Apps", "PROV"), ("Mobile", "MOB"), ("Web Frontend", "WEB"), ("Scheduling", "SCHED"),
    ("Messaging", "MSG"), ("Notifications", "NOTIF"), ("Telehealth", "TELE"), ("Clinical Records", "EHR"),
    ("Integrations", "INT"), ("Data Platform", "DATA"), ("Search", "SRCH"), ("Reporting", "RPT"),
)
FIRST_NAMES = (
    "Hannah", "Maya", "Luis", "Tom", "Priya", "Ben", "Sofia", "Kenji", "Amara", "Lucas", "Elena", "Sam",
    "Nadia", "Jonas", "Aisha", "Marcus", "Ravi", "Ingrid", "Omar", "Chen", "Grace", "Daniel", "Fatima",
    "Arjun", "Chloe", "Diego", "Rachel", "Michael", "Laura", "Victor", "Noor", "Tariq", "Mei", "Olga",
)
LAST_NAMES = (
    "Kim", "Goldberg", "Ortega", "Becker", "Raman", "Carter", "Rossi", "Watanabe", "Okafor", "Meyer",
    "Petrova", "Whitaker", "Haddad", "Weber", "Bello", "Lee", "Shankar", "Larsen", "Farouk", "Wei", "Liu",
    "Novak", "Zahra", "Mehta", "Martin", "Alvarez", "Stein", "Osei", "Chen", "Hughes", "Aziz", "Brennan",
)
SUBJECTS = (
    "Appointment reminders", "Patient portal logins", "Card payments at check-in", "Lab result imports",
    "Video visits", "Prescription refill requests", "Provider calendars", "Insurance eligibility checks",
    "Intake forms", "Invoice PDFs", "SMS notifications", "Patient search", "Clinic reports", "Fax delivery",
    "HL7 message ingestion", "Password reset emails", "Waitlist notifications", "Saved cards",
    "Push notifications", "Secure messages", "Claims submissions", "Document uploads", "Online booking",
    "Provider invites", "Audit log exports", "Chart notes autosave", "E-prescriptions", "Payment plans",
)
PROBLEMS = (
    "delayed by up to two hours", "failing for most clinics", "timing out", "returning server errors",
    "missing for some clinics", "very slow", "duplicated", "unavailable", "showing stale data",
    "failing intermittently", "silently dropped", "blocked by a bad rate limit",
)
CONTEXTS = (
    "", "", "", " after a config change", " during the nightly batch", " on Android", " on iOS",
    " for EU clinics", " after a database failover", " during a vendor outage", " after a certificate expired",
    " after a dependency upgrade", " during peak morning hours", " after a schema migration",
)
AUDIENCE_TEXT = ("patients", "providers", "front desk staff", "clinic admins", "billing staff")
IMPACT_EXTRA = (
    "Front desks fell back to phone calls and paper forms while the issue lasted.",
    "Support received a spike of tickets and had to answer each caller with a generic message.",
    "Some clinics rescheduled appointments because staff could not confirm details in time.",
    "No data was lost, but several hundred records had to be reconciled by hand afterwards.",
    "The largest clinic groups escalated through their account managers within the first hour.",
    "Downstream reports for the day were wrong until they were regenerated the next morning.",
    "Patients saw a generic error page and many retried several times, which added load.",
    "A handful of clinics reported the problem on social media before our status page was updated.",
)
APPS = ("Patient Web", "Patient iOS", "Patient Android", "Provider Web", "Provider iOS", "Provider Android",
        "CWS APIs", "All")
# (trigger, root cause, fix): one coherent story per incident.
SCENARIOS = (
    ("a release changed the default timeout of the client library",
     "the new timeout was shorter than the slowest vendor call", "timeout raised and redeployed"),
    ("a config change disabled the retry policy for the queue consumer",
     "the retry policy was missing from the new consumer config", "config rolled back"),
    ("a database failover left the connection pool pointing at the old primary",
     "the pool kept connections to the old primary", "pool recycled and failover runbook updated"),
    ("a vendor rotated an API key without notice",
     "requests to the vendor were rejected with the retired key", "new API key deployed from the vault"),
    ("a schema migration locked a hot table for several minutes",
     "the migration took an exclusive lock on the appointments table", "migration rewritten to run in batches"),
    ("a certificate on the internal load balancer expired",
     "the renewal job had been failing silently for weeks", "certificate renewed and reloaded"),
    ("a feature flag was enabled for every clinic instead of the pilot group",
     "the flag targeting rule had no clinic filter", "flag turned off and targeting fixed"),
    ("the nightly batch job ran twice after a scheduler restart",
     "the job had no idempotency key", "duplicate jobs cancelled and records cleaned up"),
    ("a dependency upgrade changed how dates were serialised",
     "the serialiser dropped the timezone offset", "serialiser patched and hotfix released"),
    ("an autoscaler scaled the worker pool down to one pod",
     "the scale-down policy ignored queue depth", "minimum replicas raised and pool scaled up"),
    ("a cache key change invalidated every entry at the same time",
     "the cache stampede overloaded the database", "cache warmed and key change reverted"),
    ("disk on the logging nodes filled up and blocked writes",
     "log retention had been turned off during a migration", "old indices deleted and retention restored"),
)
DETECTIONS = (
    "paging alert on the error rate", "support tickets from several clinics", "synthetic check failed",
    "an engineer noticed the latency dashboard during an unrelated deploy", "customer success escalation",
    "queue depth alert", "spike in failed payment events", "anomaly alert on login failures",
)
RESPONSE_EVENTS = (
    "{ic} acknowledged and opened #inc-bench-{num}", "Incident channel opened, {ic} is IC",
    "On-call ({ic}) acknowledged and started investigating", "{ic} joined the bridge and took incident command",
)
PARTIAL_EVENTS = (
    "Partial recovery: error rate back under 5% after mitigation", "Partial recovery: most clinics working again",
    "Partial recovery: feature flag turned off for new traffic", "Partial recovery: backlog starting to drain",
    "Partial recovery: traffic shifted away from the failing path",
)
EXTRA_EVENTS = (
    "Status page updated for all clinics", "Escalated to the {team} on-call", "Customer success notified the largest clinics",
    "Rolled back the latest deploy with no change in errors", "Scaled the worker pool from 8 to 24 pods",
    "Vendor confirmed a problem on their side", "Support started a macro for incoming tickets",
    "Second responder joined to check the database", "Hypothesis about the CDN ruled out",
    "Leadership briefed on the impact so far", "Canary with the candidate fix started",
    "Error budget alert fired for the {team} service", "Paused the nightly batch to reduce load",
    "Queried the audit log to size the blast radius", "Asked clinics to retry through the support channel",
)
RESOLVED_NOTES = ("metrics back to baseline", "confirmed with affected clinics", "users confirmed working",
                  "error rate normal", "monitoring for 30 min, all green", "backlog fully drained")
WENT_WELL = (
    "On-call acknowledged the page within {n} minutes and pulled in the right people quickly.",
    "Rollback was quick because the previous release was still warm in the deploy pipeline.",
    "Support had a clinic communication template ready and sent it within 20 minutes.",
    "The incident channel stayed focused, with one incident commander, one scribe and clear hand-offs.",
    "The status page was updated early and kept current until the very end of the incident.",
    "A feature flag let us turn off the broken path without waiting for a deploy.",
    "Dashboards made it easy to size the blast radius per clinic and per app.",
    "Customer success called the largest affected clinics before they called us.",
    "The runbook for this service was accurate and up to date, including the failover steps.",
    "{team} and {other} swarmed together without hand-off delays.",
    "Request IDs in the logs made tracing a single failing request fast.",
    "The hotfix went through CI and canary in under 30 minutes.",
)
WENT_WRONG = (
    "The alert went to a Slack channel instead of the pager, so nobody saw it for a while.",
    "It took a while to find the right dashboard because there are three with similar names.",
    "The runbook was out of date and pointed at a host that was decommissioned last year.",
    "Two people chased the same hypothesis in parallel for about {n} minutes.",
    "The status page was updated late, after clinics had already called support.",
    "We paged the wrong on-call rotation first and lost time re-routing the page.",
    "Logs for the failing service were sampled, so the first errors were missing.",
    "It was unclear who was incident commander for the first part of the incident.",
    "The rollback was blocked by a migration that could not be reversed.",
    "Support did not know which clinics were affected, so every caller got the same generic answer.",
    "The change was deployed on a Friday afternoon with thin coverage from the owning team.",
    "We had no quick way to reach clinic admins outside business hours.",
)
GOT_LUCKY = (
    "It happened early on a Sunday when clinic volume is low.",
    "Only clinics in the canary cohort got the change at first.",
    "The vendor already had a fix staged and rolled it out within the hour.",
    "An engineer happened to be watching the deploy dashboard at the time.",
    "Most affected appointments were days away, so we could fix the data before the visits.",
    "Client retries hid most of the errors from users.",
    "No PHI was exposed or sent to the wrong recipient.",
    "Last night's backup was complete and recent, so a restore would have been cheap.",
    "The largest clinic group was closed for a holiday.",
    "It was found before the monthly billing run started.",
)
WHY = (
    "There was no automated test covering this path, so the regression shipped unnoticed.",
    "Change review did not include the owning team, who would have spotted the risk.",
    "Monitoring watched averages instead of p99 latency or per-clinic error rates.",
    "On-call for this service had not been trained on the runbook.",
    "Capacity assumptions had not been revisited in over a year.",
    "The {team} service had a hidden dependency on a single database replica.",
    "Config changes skip the canary stage that code changes go through.",
    "The vendor contract has no notification requirement for breaking changes.",
)
ACTIONS = (
    "Add this failure mode to the on-call training deck", "Update the runbook with the steps from this incident",
    "Add a paging alert for this failure mode", "Write a customer-facing RCA for the affected clinics",
    "Run a game day for this failure mode", "Add a dashboard panel for the signal that showed the problem",
    "Review the on-call escalation policy", "Add a canary stage for config changes",
    "Add an integration test for the vendor API contract", "Move the retry policy into the shared client library",
    "Alert on queue depth per consumer group", "Add per-clinic error rate panels to the service dashboard",
    "Require a second reviewer from the owning team for schema migrations",
    "Document the failover procedure for the payments database", "Rate limit the nightly batch job",
    "Add idempotency keys to the reminder sender", "Track certificate expiry dates in the inventory",
    "Load test the booking flow at twice the peak traffic", "Reduce the default client timeout fan-out",
)

INSTR_IMPACT = ("High level of the impact, this is not for investigation sake but to give context "
                "for the severity of the incident")
INSTR_TIMELINE = ("<This should be a compressed version of the investigation doc timeline, if it's a short "
                  "incident than the **start** and **resolution** timeline would do.>")
INSTR_WELL = "Short version of what has happened well."
INSTR_WRONG = "Short version of what did not go well."
INSTR_LUCKY = ("If things could have been much worse, detail them as well. We want to fix the "
               "\u201cnear miss\u201d problems as well.")
INSTR_WHY = ("Summarize all the things that led to this problem in depth using the [5 whys](#) mindset. "
             "Include both technical and organizational things like")
TIMING_LABELS_FULL = (
    "Time to detect the issue (From when the issue started in production to when eng realized there was a problem)",
    "Time to response (From when eng knew there was a problem to starting to work on it)",
    "Time to understand the issue (Once eng started working on it, how long did it take to understand what the issue was)",
    "Time to partial recovery (Sometimes we have a partial recovery. How long did it last from responding to the incident to partial recovery)",
    "Time to solution (From understanding the issue to creating a solution)",
    "Time to full recovery (From creating a solution to full recovery)",
)
TIMING_LABELS_SHORT = ("Time to detect the issue", "Time to response", "Time to understand the issue",
                       "Time to partial recovery", "Time to solution", "Time to full recovery")
YAML_TIMING_KEYS = ("time_to_detect", "time_to_response", "time_to_understand", "time_to_partial_recovery",
                    "time_to_solution", "time_to_full_recovery")
PRI_HEADINGS = {"P0": "P0 Action Items (should be done within 48 hours)",
                "P1": "P1 Action Items (should be done within 14 days)",
                "P2": "P2 Action Items (should be done within 28 days)"}

# Timezones as written: (label kind, weight). "PT" is PST or PDT, whichever the calendar says.
_TZ_KINDS = (("UTC", 20), ("PT", 50), ("America/New_York", 70), ("Europe/Berlin", 85), ("IST", 100))
_FIXED = {"UTC": timezone.utc, "PST": timezone(timedelta(hours=-8), "PST"),
          "PDT": timezone(timedelta(hours=-7), "PDT"), "IST": timezone(timedelta(hours=5, minutes=30), "IST")}
_ZONES = {name: ZoneInfo(name) for name in ("America/Los_Angeles", "America/New_York", "Europe/Berlin")}
_NOON = time(12)


@lru_cache(maxsize=8192)
def _pacific_label(ordinal: int) -> str:
    """PST or PDT: what Los Angeles' clock says at noon on that day (the loader's DST check)."""
    noon = datetime.combine(date.fromordinal(ordinal), _NOON, _ZONES["America/Los_Angeles"])
    return "PDT" if noon.dst() else "PST"


def _lognormal(rng: random.Random, med: float, sigma: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(rng.lognormvariate(0.0, sigma) * med)))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


class _FastRandom(random.Random):
    """``random.Random`` whose integer helpers scale one ``random()`` float: several times faster than
    the exact-integer versions, and as deterministic (bias of 2**-53 is irrelevant here)."""

    def randrange(self, start, stop=None):  # type: ignore[override]
        if stop is None:
            return int(self.random() * start)
        return start + int(self.random() * (stop - start))

    def randint(self, a, b):  # type: ignore[override]
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def shuffle(self, x):  # type: ignore[override]
        rnd = self.random
        for i in range(len(x) - 1, 0, -1):
            j = int(rnd() * (i + 1))
            x[i], x[j] = x[j], x[i]

    def sample(self, population, k):  # type: ignore[override]
        pool = list(population)
        rnd = self.random
        n = len(pool)
        for i in range(k):
            j = i + int(rnd() * (n - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def _rng(seed: int, index: int) -> random.Random:
    return _FastRandom((seed << 40) ^ index)


# ---------------------------------------------------------------------------
# One incident: every value chosen once, then rendered in the file's shape
# ---------------------------------------------------------------------------

def _spec(seed: int, index: int) -> dict:
    """Everything about file ``index``: the values and how they are written."""
    rng = _rng(seed, index)
    num = index + 1
    r = rng.random() * 100
    fmt = next(name for name, upto in FORMATS if r < upto)
    day = date.fromordinal(_FIRST_ORD + rng.randrange(_SPAN_DAYS))

    r = rng.random() * 100
    tz_kind = next(name for name, upto in _TZ_KINDS if r < upto)
    tz_label = _pacific_label(day.toordinal()) if tz_kind == "PT" else tz_kind
    tzinfo = _FIXED.get(tz_label) or _ZONES[tz_label]

    r = rng.random()
    severity = "SEV1" if r < 0.15 else "SEV2" if r < 0.5 else "SEV3"
    scale = {"SEV1": 1.6, "SEV2": 1.0, "SEV3": 0.7}[severity]
    durations = [
        _lognormal(rng, 12 * scale, 1.0, 1, 180),   # detect
        _lognormal(rng, 6, 0.8, 1, 60),             # response
        _lognormal(rng, 30 * scale, 0.9, 2, 300),   # understand
        _lognormal(rng, 20 * scale, 0.9, 1, 240),   # solution
        _lognormal(rng, 25 * scale, 1.0, 1, 300),   # full recovery
    ]
    total = sum(durations)
    upto = durations[2] + durations[3] + durations[4] - 1  # partial recovery ends before resolution
    partial = rng.randint(1, max(1, upto // 2)) if rng.random() < 0.7 else None

    start_min = rng.randrange(7 * 60, 19 * 60) if rng.random() < 0.7 else rng.randrange(1440)
    if tzinfo.__class__ is ZoneInfo and not _same_offset(day, start_min, total, tzinfo):
        start_min = 3 * 60 + start_min % 60  # 03:xx + at most 18 h never meets a DST change

    unknown = rng.random() < UNKNOWN_PATIENTS_RATE
    clinics = _lognormal(rng, 25 * scale, 1.2, 1, 900)
    providers = clinics * rng.randint(1, 8)
    patients = None if unknown else clinics * rng.randint(3, 90)
    if unknown and rng.random() < 0.5:
        providers = None

    teams_idx = rng.sample(range(len(TEAMS)), rng.choice((1, 1, 2, 2, 2, 3)))
    teams = [TEAMS[i][0] for i in teams_idx]
    prefix = TEAMS[teams_idx[0]][1]
    author = _person(rng)
    ic = _person(rng)

    # Timeline: start and resolution always; the phase rows and updates fill 4..12 rows.
    trigger, cause, fix = rng.choice(SCENARIOS)
    d, rsp, u, s, f = durations
    responded = d + rsp
    understood = responded + u
    solution = understood + s
    key_rows = [
        (d, "Detected: " + rng.choice(DETECTIONS)),
        (responded, rng.choice(RESPONSE_EVENTS).format(ic=ic, num=num)),
        (understood, "Root cause identified: " + cause),
        (solution, "Fix deployed: " + fix),
    ]
    if partial is not None:
        key_rows.append((responded + partial, rng.choice(PARTIAL_EVENTS)))
    rows_n = rng.randint(4, 12)
    rng.shuffle(key_rows)
    middle = key_rows[: rows_n - 2]
    for _ in range(rows_n - 2 - len(middle)):
        middle.append((rng.randint(1, total - 1), rng.choice(EXTRA_EVENTS).format(team=rng.choice(teams))))
    middle.sort(key=lambda row: row[0])
    timeline = [(0, "Started at: " + trigger), *middle, (total, "Resolved at: " + rng.choice(RESOLVED_NOTES))]

    subject = rng.choice(SUBJECTS)
    problem = rng.choice(PROBLEMS)
    title = f"{subject} {problem}{rng.choice(CONTEXTS)}"
    audience = rng.choice(AUDIENCE_TEXT)
    impact = [f"{subject} were {problem} for {audience} after {trigger}."]
    if patients is not None:
        impact.append(f"Roughly {patients:,} patients at {clinics:,} clinics were affected.")
    else:
        impact.append(f"At least {clinics:,} clinics were affected; we could not count the patients.")
    impact.extend(rng.sample(IMPACT_EXTRA, rng.randint(1, 3)))

    other = rng.choice([t for t, _ in TEAMS if t != teams[0]])
    fill = {"n": rng.randint(3, 25), "team": teams[0], "other": other}
    findings = {kind: [t.format(**fill) for t in rng.sample(bank, rng.randint(1, 4))]
                for kind, bank in (("went_well", WENT_WELL), ("went_wrong", WENT_WRONG),
                                   ("got_lucky", GOT_LUCKY), ("why", WHY))}

    reviewers = []
    for _ in range(rng.randint(1, 4)):
        lgtm = rng.random() < 0.85
        reviewers.append((_person(rng), "LGTM" if lgtm else "Not Reviewed",
                          day + timedelta(days=rng.randint(1, 14)) if lgtm else None))

    actions = []
    for desc in rng.sample(ACTIONS, rng.randint(3, 8)):
        r = rng.random()
        prio = "P0" if r < 0.25 else "P1" if r < 0.65 else "P2"
        r = rng.random()
        status = "done" if r < 0.55 else "open" if r < 0.85 else "wontfix"
        completed = day + timedelta(days=rng.randint(0, 45)) if status == "done" else None
        ticket = f"{prefix}-{rng.randint(100, 3999)}"
        actions.append((prio, desc, _person(rng), ticket, rng.random() < 0.4, status, completed))
    actions.sort(key=lambda a: a[0])  # grouped under the P0/P1/P2 headings, stable within a priority

    sev_n = severity[-1]
    return {
        "index": index, "num": num, "fmt": fmt, "date": day, "tz_label": tz_label, "tzinfo": tzinfo,
        "severity": severity,
        "severity_text": rng.choice((f"SEV{sev_n}", f"SEV{sev_n}", f"SEV{sev_n}", f"Sev {sev_n}", f"SEV-{sev_n}",
                                     f"sev{sev_n}", f"Severity {sev_n}")),
        "durations": durations, "partial": partial, "start_min": start_min, "total": total,
        "clinics": clinics, "providers": providers, "patients": patients,
        "apps": rng.sample(APPS[:-1], rng.randint(1, 3)) if rng.random() < 0.93 else ["All"],
        "techops": rng.randint(0, 4), "software": rng.randint(1, 8), "security": rng.randint(0, 2),
        "teams": teams, "author": author, "title": title, "impact": impact, "timeline": timeline,
        "findings": findings, "reviewers": reviewers, "actions": actions,
        "twelve_hour": rng.random() < 0.45, "dur_styles": [rng.randrange(8) for _ in range(6)],
        "commas": rng.random() < 0.5, "heading_style": rng.randrange(2), "body_style": rng.randrange(2),
        "table_timeline": rng.random() < 0.4, "task_boxes": rng.random() < 0.3, "linked_doc": rng.random() < 0.7,
    }


def _same_offset(day: date, start_min: int, total: int, tz: ZoneInfo) -> bool:
    """True when local clock arithmetic equals real elapsed time (no DST change, start time exists)."""
    start = datetime.combine(day, time(start_min // 60, start_min % 60))
    end = start + timedelta(minutes=total)
    a, b = start.replace(tzinfo=tz), end.replace(tzinfo=tz)
    if a.utcoffset() != b.utcoffset():
        return False
    return a.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == start


def file_name(spec: dict) -> str:
    return f"{spec['date'].isoformat()}-bench-{spec['num']:06d}{SUFFIX[spec['fmt']]}"


def incident_id(spec: dict) -> str:
    if spec["fmt"] in ("yaml", "front_matter"):
        return f"BENCH-{spec['num']:06d}"
    return file_name(spec).rsplit(".", 1)[0]


# ---------------------------------------------------------------------------
# Value spellings
# ---------------------------------------------------------------------------

def _dur(m: int, style: int) -> str:
    h, mm = divmod(m, 60)
    if style == 0:
        return "1 minute" if m == 1 else f"{m} minutes"
    if style == 1:
        return f"{m} min"
    if style == 2:
        return f"{h}h {mm}m" if h and mm else f"{h}h" if h else f"{mm}m"
    if style == 3:
        return f"{h}:{mm:02d}"
    if style == 4:
        return "PT" + (f"{h}H" if h else "") + (f"{mm}M" if mm or not h else "")
    if style == 5:
        if h and mm == 0:
            return "1 hour" if h == 1 else f"{h} hrs"
        if h and mm == 30:
            return f"{m / 60:g} hours"
        return f"{m} mins"
    if style == 6:
        return f"{m}m"
    return f"{m} minutes"


def _clock(minutes: int, twelve: bool) -> str:
    h, m = divmod(minutes % 1440, 60)
    if twelve:
        return f"{(h % 12) or 12:02d}:{m:02d} {'PM' if h >= 12 else 'AM'}"
    return f"{h:02d}:{m:02d}"


def _count(n: int | None, commas: bool) -> str:
    if n is None:
        return "Unknown"
    return f"{n:,}" if commas else str(n)


def _action_line(i: int, action: tuple, task_boxes: bool) -> str:
    prio, desc, owner, ticket, linked, status, completed = action
    ref = f"[{ticket}](https://jira.example.com/browse/{ticket})" if linked else f"[{ticket}]"
    tail = f" done {completed.isoformat()}" if status == "done" else " won't fix" if status == "wontfix" else ""
    box = ("[x] " if status == "done" else "[ ] ") if task_boxes and status != "wontfix" else ""
    return f"- {box}AI{i}: {desc}, owner: {owner}, {ref}{tail}"


def _action_groups(spec: dict) -> list[tuple[str, list[str]]]:
    """Action item lines under their priority, numbered AI1.. within each priority as the template does."""
    groups: list[tuple[str, list[str]]] = []
    for action in spec["actions"]:
        if not groups or groups[-1][0] != action[0]:
            groups.append((action[0], []))
        lines = groups[-1][1]
        lines.append(_action_line(len(lines) + 1, action, spec["task_boxes"]))
    return groups


def _timeline_clocks(spec: dict) -> list[tuple[str, str]]:
    start, twelve = spec["start_min"], spec["twelve_hour"]
    return [(_clock(start + off, twelve), text) for off, text in spec["timeline"]]


def _doc(spec: dict) -> tuple[str, str]:
    year = spec["date"].year
    name = f"INC-{year}-{spec['num']:06d} investigation"
    return name, f"https://docs.example.com/inc-{year}-{spec['num']:06d}"


# ---------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------

def _render_txt(spec: dict) -> str:
    """The template exactly: tab-separated rows, section titles as plain lines."""
    name, _ = _doc(spec)
    d = spec["durations"]
    durs = [d[0], d[1], d[2], spec["partial"], d[3], d[4]]
    styles = spec["dur_styles"]
    commas = spec["commas"]
    lines = [
        "", "",
        f"Investigation doc\t{name}",
        f"Title\t{spec['title']}",
        f"Author\t{spec['author']}",
        f"Severity\t{spec['severity_text']}",
        "", "Reviewers / List of stakeholders", "", "Name\tState (Not Reviewed/LGTM)\tDate",
    ]
    for who, state, on in spec["reviewers"]:
        lines.append(f"{who}\t{state}\t{on.isoformat()}" if on else f"{who}\t{state}")
    lines += ["", "Impact summary", "", INSTR_IMPACT, "", *spec["impact"], "",
              f"Timeline summary \u2013 All times are in {spec['tz_label']}", "", INSTR_TIMELINE, ""]
    lines += [f"{clock}\t{text}" for clock, text in _timeline_clocks(spec)]
    lines += ["", " ", "Incident Response Metrics", "", "Blast Radius", "",
              f"Number of Clinics affected\t{_count(spec['clinics'], commas)}",
              f"Number of Providers affected\t{_count(spec['providers'], commas)}",
              f"Number of Patients affected\t{_count(spec['patients'], commas)}",
              "", f"Apps/APIs Affected\t{', '.join(spec['apps'])}", "--------------------\t---",
              "", "Timing of the response", "", "", ""]
    for label, minutes, style in zip(TIMING_LABELS_FULL, durs, styles):
        lines.append(f"{label}\t{_dur(minutes, style) if minutes is not None else 'N/A'}")
    lines += ["", "Participants", "",
              f"Number of TechOps engineers involved\t{spec['techops']}",
              f"Number of Software engineers involved\t{spec['software']}",
              f"Number of Security engineers involved\t{spec['security']}",
              "", f"Teams involved (list)\t{', '.join(spec['teams'])}", "-----------------------\t--------------", ""]
    f = spec["findings"]
    for title, instr, kind in (("What went well?", INSTR_WELL, "went_well"),
                               ("What didn't go well?", INSTR_WRONG, "went_wrong"),
                               ("Where did we get lucky?", INSTR_LUCKY, "got_lucky"),
                               ("Why did it happen?", INSTR_WHY, "why")):
        lines += [title, "", instr, "", *(f"- {t}" for t in f[kind]), ""]
    lines += ["Action Items", ""]
    for prio, items in _action_groups(spec):
        lines += [PRI_HEADINGS[prio], "", *items, ""]
    return "\n".join(lines) + "\n"


def _heading(spec: dict, text: str, level: int = 2) -> str:
    return f"{'#' * level} {text}" if spec["heading_style"] else f"**{text}**"


def _render_md_pipe(spec: dict) -> str:
    """Google-Docs-like Markdown: pipe tables for the key/value blocks, bold or # headings."""
    name, url = _doc(spec)
    d = spec["durations"]
    durs = [d[0], d[1], d[2], spec["partial"], d[3], d[4]]
    commas = spec["commas"]
    h = lambda text, level=2: _heading(spec, text, level)  # noqa: E731
    doc = f"[{name}]({url})" if spec["linked_doc"] else name
    lines = [
        f"| **Investigation doc** | {doc} |", "| :---- | :---- |",
        f"| **Title** | {spec['title']} |", f"| **Author** | {spec['author']} |",
        f"| **Severity** | {spec['severity_text']} |", "",
        h("Reviewers / List of stakeholders"), "", "| Name | State | Date |", "|---|---|---|",
    ]
    for who, state, on in spec["reviewers"]:
        lines.append(f"| {who} | {state} | {on.isoformat() if on else ''} |")
    lines += ["", h("Impact summary"), "", INSTR_IMPACT, "", " ".join(spec["impact"]), "",
              h(f"Timeline summary \u2013 All times are in {spec['tz_label']}"), "",
              "\\" + INSTR_TIMELINE[:-1] + "\\>", ""]
    if spec["table_timeline"]:
        lines += ["| Time | Event |", "|---|---|"]
        lines += [f"| {clock} | {text} |" for clock, text in _timeline_clocks(spec)]
    else:
        lines += [f"* {clock} \u2014 {text}" for clock, text in _timeline_clocks(spec)]
    lines += ["", h("Incident Response Metrics"), "", h("Blast Radius", 3), "",
              f"| **Number of Clinics affected** | {_count(spec['clinics'], commas)} |", "| :---- | :---- |",
              f"| **Number of Providers affected** | {_count(spec['providers'], commas)} |",
              f"| **Number of Patients affected** | {_count(spec['patients'], commas)} |",
              f"| **Apps/APIs Affected** | {', '.join(spec['apps'])} |", "",
              h("Timing of the response", 3), ""]
    for i, (label, minutes, style) in enumerate(zip(TIMING_LABELS_FULL, durs, spec["dur_styles"])):
        lines.append(f"| **{label}** | {_dur(minutes, style) if minutes is not None else 'N/A'} |")
        if i == 0:
            lines.append("| :---- | :---- |")
    lines += ["", h("Participants", 3), "",
              f"| **Number of TechOps engineers involved** | {spec['techops']} |", "| :---- | :---- |",
              f"| **Number of Software engineers involved** | {spec['software']} |",
              f"| **Number of Security engineers involved** | {spec['security']} |",
              f"| **Teams involved (list)** | {', '.join(spec['teams'])} |", ""]
    lines += _md_findings(spec, h, instructions=True)
    lines += _md_actions(spec, h)
    return "\n".join(lines) + "\n"


def _md_findings(spec: dict, h, instructions: bool) -> list[str]:
    lines: list[str] = []
    f = spec["findings"]
    for title, instr, kind in (("What went well?", INSTR_WELL, "went_well"),
                               ("What didn't go well?", INSTR_WRONG, "went_wrong"),
                               ("Where did we get lucky?", INSTR_LUCKY, "got_lucky"),
                               ("Why did it happen?", INSTR_WHY, "why")):
        lines += [h(title), ""]
        if instructions:
            lines += [instr, ""]
        lines += [f"* {t}" for t in f[kind]] + [""]
    return lines


def _md_actions(spec: dict, h) -> list[str]:
    lines = [h("Action Items"), ""]
    for prio, items in _action_groups(spec):
        lines += [h(PRI_HEADINGS[prio], 3), "", *items, ""]
    return lines


def _render_md_bullets(spec: dict, front: bool = False) -> str:
    """Markdown with ``- **Label:** value`` bullets and # headings."""
    name, url = _doc(spec)
    d = spec["durations"]
    durs = [d[0], d[1], d[2], spec["partial"], d[3], d[4]]
    commas = spec["commas"]
    bold = not front or spec["heading_style"]
    lab = (lambda text: f"**{text}:**") if bold else (lambda text: f"{text}:")  # noqa: E731
    h = lambda text, level=2: f"{'#' * level} {text}"  # noqa: E731
    doc = f"[{name}]({url})" if spec["linked_doc"] else name
    lines = [] if front else [f"# Postmortem - {spec['title']}", "", ""]
    lines += [f"- {lab('Investigation doc')} {doc}", f"- {lab('Title')} {spec['title']}",
              f"- {lab('Author')} {spec['author']}", f"- {lab('Severity')} {spec['severity_text']}", "", "",
              h("Reviewers / List of stakeholders"), "", "", "| Name | State | Date |", "|---|---|---|"]
    for who, state, on in spec["reviewers"]:
        lines.append(f"| {who} | {state} | {on.isoformat() if on else ''} |")
    lines += ["", "", h("Impact summary"), "", "", INSTR_IMPACT, "", "", " ".join(spec["impact"]), "", "",
              h(f"Timeline summary - All times are in {spec['tz_label']}"), "", "", INSTR_TIMELINE, "", ""]
    lines += [f"- {clock} \u2014 {text}" for clock, text in _timeline_clocks(spec)]
    lines += ["", "", h("Incident Response Metrics"), "", "", h("Blast Radius", 3), "", "",
              f"- {lab('Number of Clinics affected')} {_count(spec['clinics'], commas)}",
              f"- {lab('Number of Providers affected')} {_count(spec['providers'], commas)}",
              f"- {lab('Number of Patients affected')} {_count(spec['patients'], commas)}",
              f"- {lab('Apps/APIs Affected')} {', '.join(spec['apps'])}", "", "",
              h("Timing of the response", 3), "", ""]
    for label, minutes, style in zip(TIMING_LABELS_SHORT, durs, spec["dur_styles"]):
        lines.append(f"- {lab(label)} {_dur(minutes, style) if minutes is not None else 'N/A'}")
    lines += ["", "", h("Participants", 3), "", "",
              f"- {lab('Number of TechOps engineers involved')} {spec['techops']}",
              f"- {lab('Number of Software engineers involved')} {spec['software']}",
              f"- {lab('Number of Security engineers involved')} {spec['security']}",
              f"- {lab('Teams involved')} {', '.join(spec['teams'])}", "", ""]
    lines += _md_findings(spec, h, instructions=not front)
    lines += _md_actions(spec, h)
    return "\n".join(lines) + "\n"


def _render_front_matter(spec: dict) -> str:
    """A ``---`` YAML block (id, date, timezone, severity, teams) over a template body."""
    teams = "".join(f"\n  - {t}" for t in spec["teams"])
    head = (f"---\nid: BENCH-{spec['num']:06d}\ndate: {spec['date'].isoformat()}\n"
            f"timezone: {spec['tz_label']}\nseverity: {spec['severity']}\nteams:{teams}\n---\n\n")
    body = _render_md_bullets(spec, front=True) if spec["body_style"] else _render_md_pipe(spec)
    return head + body


_YAML_PLAIN_BAD_START = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _yq(text: str) -> str:
    """A YAML scalar for ``text``: plain when safe, else double-quoted."""
    if ": " in text or " #" in text or text[0] in _YAML_PLAIN_BAD_START or text.endswith(":"):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _render_yaml(spec: dict) -> str:
    name, url = _doc(spec)
    d = spec["durations"]
    durs = [d[0], d[1], d[2], spec["partial"], d[3], d[4]]
    out = [
        f"id: BENCH-{spec['num']:06d}", f"title: {_yq(spec['title'])}",
        "investigation_doc:", f"  name: {name}", f"  url: {url}",
        f"author: {spec['author']}", f"severity: {spec['severity']}", f"date: {spec['date'].isoformat()}",
        f"timezone: {spec['tz_label']}", "reviewers:",
    ]
    for who, state, on in spec["reviewers"]:
        out += [f"  - name: {who}", f"    state: {state}", f"    date: {on.isoformat()}" if on else "    date:"]
    out.append("impact_summary: >")
    out += [f"  {sentence}" for sentence in spec["impact"]]
    out.append("timeline:")
    start, total = spec["start_min"], spec["total"]
    for off, text in spec["timeline"]:
        out += [f'  - time: "{_clock(start + off, False)}"', f"    event: {_yq(text)}"]
    out.append(f'started_at: "{_clock(start, False)}"')
    if start + total < 1440:
        out.append(f'resolved_at: "{_clock(start + total, False)}"')
    else:  # a bare clock would be read on the start day, before the start
        end_day = spec["date"] + timedelta(days=(start + total) // 1440)
        out.append(f'resolved_at: "{end_day.isoformat()} {_clock(start + total, False)}"')
    out += ["blast_radius:", f"  clinics: {spec['clinics']}",
            f"  providers: {spec['providers'] if spec['providers'] is not None else 'Unknown'}",
            f"  patients: {spec['patients'] if spec['patients'] is not None else 'Unknown'}",
            f"  apps: [{', '.join(spec['apps'])}]", "timing:"]
    for key, minutes, style in zip(YAML_TIMING_KEYS, durs, spec["dur_styles"]):
        if minutes is None:
            value = "N/A"
        elif style in (1, 7):
            value = str(minutes)  # a bare number is minutes
        else:
            value = _dur(minutes, style)
            if style == 3:
                value = f'"{value}"'  # keep h:mm a string in every YAML 1.1 loader
        out.append(f"  {key}: {value}")
    out += ["participants:", f"  techops_engineers: {spec['techops']}",
            f"  software_engineers: {spec['software']}", f"  security_engineers: {spec['security']}",
            f"teams: [{', '.join(spec['teams'])}]"]
    for kind, items in spec["findings"].items():
        out.append(f"{kind}:")
        out += [f"  - {_yq(t)}" for t in items]
    out.append("action_items:")
    for n, (prio, desc, owner, ticket, _linked, status, completed) in enumerate(spec["actions"], start=1):
        out += [f"  - id: AI{n}", f"    priority: {prio}", f"    description: {_yq(desc)}",
                f"    owner: {owner}", f"    ticket: {ticket}", f"    status: {status}"]
        if completed is not None:
            out.append(f"    completed: {completed.isoformat()}")
    return "\n".join(out) + "\n"


_RENDER = {"txt": _render_txt, "md_pipe": _render_md_pipe, "md_bullets": _render_md_bullets,
           "front_matter": _render_front_matter, "yaml": _render_yaml}


MAX_FILE_BYTES = 6000


def _render_bytes(spec: dict) -> bytes:
    """The file's bytes; the rare file over ``MAX_FILE_BYTES`` loses impact prose and extra findings."""
    data = _RENDER[spec["fmt"]](spec).encode("utf-8")
    while len(data) > MAX_FILE_BYTES:
        if len(spec["impact"]) > 2:
            spec["impact"].pop()
        else:
            kind = max(spec["findings"], key=lambda k: len(spec["findings"][k]))
            if len(spec["findings"][kind]) == 1:
                break
            spec["findings"][kind].pop()
        data = _RENDER[spec["fmt"]](spec).encode("utf-8")
    return data


def render(seed: int, index: int) -> tuple[str, bytes]:
    """(file name, file bytes) of file ``index``."""
    spec = _spec(seed, index)
    return file_name(spec), _render_bytes(spec)


# ---------------------------------------------------------------------------
# What the loader must produce
# ---------------------------------------------------------------------------

def expected(n: int, seed: int, index: int) -> dict:
    """The values the loader should produce for file ``index`` of ``generate(n, ..., seed)``.

    ``started_at`` is a UTC ISO string (``datetime.isoformat()`` of the loaded
    value); durations are float minutes; ``patients_affected`` is ``None`` when
    the file says ``Unknown``.
    """
    if not 0 <= index < n:
        raise IndexError(f"index {index} outside a corpus of {n} files")
    spec = _spec(seed, index)
    start = datetime.combine(spec["date"], time(spec["start_min"] // 60, spec["start_min"] % 60), spec["tzinfo"])
    return {
        "source_path": file_name(spec),
        "source_format": SOURCE_FORMAT[spec["fmt"]],
        "incident_id": incident_id(spec),
        "severity": spec["severity"],
        "incident_date": spec["date"],
        "timezone": spec["tz_label"],
        "started_at": start.astimezone(timezone.utc).isoformat(),
        "duration_min": float(spec["total"]),
        "time_to_detect_min": float(spec["durations"][0]),
        "time_to_partial_recovery_min": None if spec["partial"] is None else float(spec["partial"]),
        "clinics_affected": spec["clinics"],
        "providers_affected": spec["providers"],
        "patients_affected": spec["patients"],
        "action_items": len(spec["actions"]),
        "action_items_done": sum(1 for a in spec["actions"] if a[5] == "done"),
        "timeline_rows": len(spec["timeline"]),
        "teams": list(spec["teams"]),
        "reviewers": len(spec["reviewers"]),
    }


def loaded_values(incident) -> dict:
    """The same keys as :func:`expected`, read from a loaded ``pm_analytics.schema.Incident``."""
    return {
        "source_path": incident.source_path,
        "source_format": incident.source_format,
        "incident_id": incident.incident_id,
        "severity": incident.severity,
        "incident_date": incident.incident_date,
        "timezone": incident.timezone,
        "started_at": incident.started_at.isoformat() if incident.started_at else None,
        "duration_min": incident.duration_min,
        "time_to_detect_min": incident.time_to_detect_min,
        "time_to_partial_recovery_min": incident.time_to_partial_recovery_min,
        "clinics_affected": incident.clinics_affected,
        "providers_affected": incident.providers_affected,
        "patients_affected": incident.patients_affected,
        "action_items": len(incident.action_items),
        "action_items_done": sum(1 for a in incident.action_items if a.status == "done"),
        "timeline_rows": len(incident.timeline),
        "teams": list(incident.teams),
        "reviewers": len(incident.reviewers),
    }


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------

def _write_range(out_dir: str, seed: int, start: int, stop: int) -> dict:
    by_format: dict[str, int] = {}
    sizes: list[int] = []
    join, os_open, os_write, os_close = os.path.join, os.open, os.write, os.close
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    for index in range(start, stop):
        spec = _spec(seed, index)
        data = _render_bytes(spec)
        fd = os_open(join(out_dir, file_name(spec)), flags, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os_write(fd, view):]
        finally:
            os_close(fd)
        by_format[spec["fmt"]] = by_format.get(spec["fmt"], 0) + 1
        sizes.append(len(data))
    return {"by_format": by_format, "sizes": sizes}


GENERATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-bench-\d{6,}\.(?:txt|md|yaml)$")


def generate(n: int, out_dir: Path | str, seed: int = 7, workers: int | None = None, clean: bool = True) -> dict:
    """Write ``n`` post-mortems into ``out_dir`` (created if needed); return a summary.

    ``workers`` processes share the work (default: one per CPU, up to 8, when
    ``n`` >= 2,000). The bytes written do not depend on ``workers``. With
    ``clean``, files of an earlier corpus in ``out_dir`` (``YYYY-MM-DD-bench-NNNNNN.*``)
    are deleted first, so the folder holds exactly this corpus; other files are left alone.
    """
    t0 = _time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if clean:
        with os.scandir(out) as entries:
            for entry in entries:
                if GENERATED_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                    os.unlink(entry.path)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if n >= 2000 else 1
    workers = max(1, min(workers, n or 1))
    if workers == 1:
        parts = [_write_range(str(out), seed, 0, n)]
    else:
        chunk = -(-n // (workers * 4))
        ranges = [(i, min(n, i + chunk)) for i in range(0, n, chunk)]
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_write_range, [str(out)] * len(ranges), [seed] * len(ranges),
                                  [a for a, _ in ranges], [b for _, b in ranges]))
    by_format: dict[str, int] = {}
    sizes: list[int] = []
    for part in parts:
        for k, v in part["by_format"].items():
            by_format[k] = by_format.get(k, 0) + v
        sizes.extend(part["sizes"])
    sizes.sort()
    by_suffix: dict[str, int] = {}
    for k, v in by_format.items():
        by_suffix[SUFFIX[k]] = by_suffix.get(SUFFIX[k], 0) + v

    def pct(p: float) -> int:
        return sizes[min(len(sizes) - 1, int(p * len(sizes)))] if sizes else 0

    return {
        "files": n,
        "seed": seed,
        "out_dir": str(out),
        "by_format": dict(sorted(by_format.items())),
        "by_suffix": dict(sorted(by_suffix.items())),
        "total_bytes": sum(sizes),
        "size_bytes": {"min": pct(0), "p5": pct(0.05), "median": pct(0.5), "p95": pct(0.95),
                       "max": sizes[-1] if sizes else 0},
        "seconds": round(_time.perf_counter() - t0, 3),
        "workers": workers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic post-mortem corpus.")
    parser.add_argument("n", type=int, help="number of files")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep files of an earlier corpus in OUT_DIR")
    args = parser.parse_args(argv)
    summary = generate(args.n, args.out_dir, args.seed, args.workers, clean=not args.keep)
    rate = summary["files"] / summary["seconds"] if summary["seconds"] else float("inf")
    print(f"{summary['files']:,} files, {summary['total_bytes']:,} bytes in {summary['seconds']:.2f} s "
          f"({rate:,.0f} files/s, {summary['workers']} worker(s)) -> {summary['out_dir']}")
    print("by format:", ", ".join(f"{k} {v:,}" for k, v in summary["by_format"].items()))
    print("size bytes:", ", ".join(f"{k} {v:,}" for k, v in summary["size_bytes"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
