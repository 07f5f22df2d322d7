"""The records a post-mortem becomes, named in the template's words.

Every parser produces these; the store turns them into DuckDB tables whose
columns are exactly the dataclass fields (see ``TABLES``). Timestamps are
timezone-aware UTC ``datetime``; durations are minutes (``float``); ``None``
always means "not known", never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime

SEVERITIES = ("SEV1", "SEV2", "SEV3")
PRIORITIES = ("P0", "P1", "P2")
FINDING_KINDS = ("went_well", "went_wrong", "got_lucky", "why")
ACTION_STATUSES = ("open", "done", "wontfix")
AUDIENCES = ("Patient", "Provider")
PLATFORMS = ("Web", "iOS", "Android", "CWS APIs", "All")

# The template's six response phases, in order, as (duration field, timestamp
# it ends at, timestamp it starts from). Partial recovery is measured from
# responding and runs alongside understand/solution.
PHASES = (
    ("time_to_detect_min", "detected_at", "started_at"),
    ("time_to_respond_min", "responded_at", "detected_at"),
    ("time_to_understand_min", "understood_at", "responded_at"),
    ("time_to_solution_min", "solution_at", "understood_at"),
    ("time_to_full_recovery_min", "resolved_at", "solution_at"),
)
PARTIAL_RECOVERY = ("time_to_partial_recovery_min", "partially_recovered_at", "responded_at")
DURATION_FIELDS = (
    "time_to_detect_min",
    "time_to_respond_min",
    "time_to_understand_min",
    "time_to_partial_recovery_min",
    "time_to_solution_min",
    "time_to_full_recovery_min",
)

# Deadline of an action item after the incident's resolution (template: P0
# within 48 hours, P1 within 14 days, P2 within 28 days).
DEADLINE_HOURS = {"P0": 48, "P1": 14 * 24, "P2": 28 * 24}


@dataclass
class TimelineEvent:
    seq: int
    at: datetime | None
    description: str


@dataclass
class Reviewer:
    name: str
    state: str | None
    reviewed_on: date | None


@dataclass
class Finding:
    kind: str
    seq: int
    text: str


@dataclass
class AffectedApp:
    audience: str | None
    platform: str


@dataclass
class ActionItem:
    action_id: str
    priority: str | None
    description: str
    owner: str | None
    ticket: str | None
    ticket_url: str | None
    status: str
    completed_on: date | None
    due_at: datetime | None


@dataclass
class FieldSource:
    """Where one stored value came from: its line, the rule that read it, and the text, quoted."""

    field: str
    line: int | None
    rule: str
    text: str


@dataclass
class Incident:
    incident_id: str
    title: str | None = None
    severity: str | None = None
    severity_original: str | None = None
    author: str | None = None
    investigation_doc_name: str | None = None
    investigation_doc_url: str | None = None
    timezone: str | None = None
    incident_date: date | None = None
    started_local: datetime | None = None
    started_at: datetime | None = None
    detected_at: datetime | None = None
    responded_at: datetime | None = None
    understood_at: datetime | None = None
    partially_recovered_at: datetime | None = None
    solution_at: datetime | None = None
    resolved_at: datetime | None = None
    time_to_detect_min: float | None = None
    time_to_respond_min: float | None = None
    time_to_understand_min: float | None = None
    time_to_partial_recovery_min: float | None = None
    time_to_solution_min: float | None = None
    time_to_full_recovery_min: float | None = None
    duration_min: float | None = None
    clinics_affected: int | None = None
    providers_affected: int | None = None
    patients_affected: int | None = None
    techops_engineers: int | None = None
    software_engineers: int | None = None
    security_engineers: int | None = None
    impact_summary: str | None = None
    exclude_from_metrics: bool = False
    exclude_reason: str | None = None
    placeholder_fields: list[str] = field(default_factory=list)
    missing_fields: list[str] = field(default_factory=list)
    source_path: str = ""
    source_format: str = ""
    source_sha256: str = ""
    teams: list[str] = field(default_factory=list)
    apps: list[AffectedApp] = field(default_factory=list)
    reviewers: list[Reviewer] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    sources: list[FieldSource] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file: an ``error`` rejects the file, a ``warning`` does not."""

    source_path: str
    level: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source_path}:{self.line}" if self.line else self.source_path
        return f"{where}: {self.level}: {self.field or '-'}: {self.message}"


# Child records stored in their own tables (placeholder_fields and missing_fields stay list columns).
INCIDENT_LIST_FIELDS = ("teams", "apps", "reviewers", "timeline", "findings", "action_items", "sources")
INCIDENT_COLUMNS = tuple(f.name for f in fields(Incident) if f.name not in INCIDENT_LIST_FIELDS)

# The template's fields a post-mortem author is asked to fill in, used for the
# completeness score: (name shown to users, incident attribute or child list).
TEMPLATE_FIELDS = (
    ("Investigation doc", "investigation_doc_name"),
    ("Title", "title"),
    ("Author", "author"),
    ("Severity", "severity"),
    ("Reviewers", "reviewers"),
    ("Impact summary", "impact_summary"),
    ("Timezone", "timezone"),
    ("Started at", "started_at"),
    ("Resolved at", "resolved_at"),
    ("Clinics affected", "clinics_affected"),
    ("Providers affected", "providers_affected"),
    ("Patients affected", "patients_affected"),
    ("Apps/APIs affected", "apps"),
    ("Time to detect", "time_to_detect_min"),
    ("Time to response", "time_to_respond_min"),
    ("Time to understand", "time_to_understand_min"),
    ("Time to partial recovery", "time_to_partial_recovery_min"),
    ("Time to solution", "time_to_solution_min"),
    ("Time to full recovery", "time_to_full_recovery_min"),
    ("TechOps engineers", "techops_engineers"),
    ("Software engineers", "software_engineers"),
    ("Security engineers", "security_engineers"),
    ("Teams involved", "teams"),
    ("What went well", "went_well"),
    ("What didn't go well", "went_wrong"),
    ("Where we got lucky", "got_lucky"),
    ("Why it happened", "why"),
    ("Action items", "action_items"),
)


def is_filled(incident: Incident, attr: str) -> bool:
    """Whether the post-mortem gave a value for one of ``TEMPLATE_FIELDS``' attributes."""
    if attr in FINDING_KINDS:
        return any(f.kind == attr for f in incident.findings)
    value = getattr(incident, attr)
    return bool(value) if isinstance(value, list) else value is not None
