"""The incident review as one self-contained HTML file leadership can read offline.

Sits beside :mod:`~pm_analytics.charts`: every number comes from a
:mod:`~pm_analytics.metrics` function the dashboard's pages call too, every
chart from :mod:`~pm_analytics.charts`; nothing here runs SQL. The file is
rendered from the Jinja2 template ``templates/review.html.j2`` (autoescape on:
every post-mortem text is escaped), and is complete on its own:

- plotly's JavaScript is inlined once, and each figure's JSON sits in a
  ``<script type="application/json">`` block (``<``, ``>`` and ``&`` escaped, so
  a title holding ``</script>`` cannot end it) drawn by one small script;
- a Content-Security-Policy allows only those scripts (by hash), inline styles,
  ``data:`` images and nothing from any host, so the file can ask no server for
  anything, and an injected script or ``onerror=`` could not run even if
  escaping ever failed;
- with JavaScript off, each chart's numbers show as a table; when the chart is
  drawn the table folds away under "The numbers";
- charts are drawn :data:`CHART_WIDTH_PX` wide, the printable width of A4 and
  Letter at 15 mm margins, so a printed page cuts none.

:func:`review_html` is the whole report for a filter; the CLI's ``report`` and
the overview's **Download review** both call it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

import pandas as pd

from pm_analytics import __version__, charts, metrics, settings, targets
from pm_analytics.filters import Filters, comparison_range, quarter_start, to_query_params
from pm_analytics.formatting import (
    UNKNOWN,
    format_count,
    format_day,
    format_minutes,
    format_percent,
    incident_href,
    is_unknown,
    safe_url,
)

# A4 (210 mm) and Letter (216 mm) less 15 mm margins each side: 180 mm, 680 CSS pixels at 96 per inch.
CHART_WIDTH_PX = 680
SYSTEM_FONTS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
# How many rows the longer lists show; each says how many there are in all.
OVERDUE_SHOWN = 25
OWNERS_SHOWN = 10
REPEATS_SHOWN = 20
WAITING_SHOWN = 10
FIELDS_SHOWN = 8
TEMPLATE = "review.html.j2"
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")

# Which part of docs/metrics.md defines what each section shows (anchors in the report's last section).
SECTION_DEFINITIONS = {
    "headline": "comparing-periods", "incidents": "response-phases-the-templates-timing-of-the-response",
    "response": "response-phases-the-templates-timing-of-the-response", "blast": "blast-radius",
    "actions": "action-items", "repeats": "insights", "off-hours": "insights", "reviews": "insights",
    "data-quality": "data-quality",
}


# -- what the report covers -------------------------------------------------------

def quarter_range(text: str) -> tuple[date, date]:
    """``2026Q3`` (or ``2026-Q3``, ``2026q3``) as its first and last day; ``ValueError`` otherwise."""
    match = _QUARTER.match(text or "")
    if not match:
        raise ValueError(f"'{text}' is not a quarter (like 2026Q3)")
    year, quarter = int(match.group(1)), int(match.group(2))
    start = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class Window:
    """The report's date range, what it is called, and the window its numbers are compared with."""

    date_from: date
    date_to: date
    label: str
    previous: tuple[date, date] | None


def review_window(as_of: date, quarter: str | None = None, date_from: date | None = None,
                  date_to: date | None = None) -> Window:
    """The window a review covers: a quarter (compared with the quarter before, as the dashboard's "last
    full quarter"), or ``date_from``..``date_to`` (``date_to`` default ``as_of``; compared with the equally
    long window before), or by default the last quarter that ended by ``as_of``."""
    if quarter and (date_from is not None or date_to is not None):
        raise ValueError("give --quarter or --from/--to, not both")
    if quarter:
        start, end = quarter_range(quarter)
        preset = "last_full_quarter"
    elif date_from is not None:
        start, end, preset = date_from, date_to or as_of, "custom"
        if start > end:
            raise ValueError(f"--from {start.isoformat()} is after --to {end.isoformat()}")
    elif date_to is not None:
        raise ValueError("--to needs --from (or give --quarter)")
    else:
        end = date.fromordinal(quarter_start(as_of).toordinal() - 1)
        start, preset = quarter_start(end), "last_full_quarter"
    return Window(start, end, window_label(start, end), comparison_range(preset, start, end))


def window_label(date_from: date | None, date_to: date | None) -> str:
    """``2026 Q3`` for a calendar quarter, else ``2026-01-01 – 2026-06-30`` (``all time`` without dates)."""
    if date_from is None or date_to is None:
        return "all time"
    if date_from == quarter_start(date_from) and (date_from, date_to) == quarter_range(
            f"{date_from.year}Q{(date_from.month - 1) // 3 + 1}"):
        return f"{date_from.year} Q{(date_from.month - 1) // 3 + 1}"
    return f"{date_from.isoformat()} – {date_to.isoformat()}"


def dashboard_base(page_url: str | None, base_path: str | None = None) -> str | None:
    """The dashboard's root URL from the URL a page was opened at (Streamlit's ``st.context.url``) and
    the server's base path (``server.baseUrlPath``); ``None`` unless it is http(s)."""
    if not page_url:
        return None
    parts = urlsplit(page_url)
    path = "/" + base_path.strip("/") if base_path and base_path.strip("/") else ""
    return safe_url(f"{parts.scheme}://{parts.netloc}{path}")


def checked_base_url(base_url: str | None) -> str | None:
    """``base_url`` without a trailing ``/`` if it is an absolute http(s) URL with no query or fragment;
    ``ValueError`` otherwise (``None`` stays ``None``: incidents are then named without a link)."""
    if base_url is None:
        return None
    url = safe_url(base_url)
    if url is None or urlsplit(url).query or urlsplit(url).fragment:
        raise ValueError(f"'{base_url}' is not an http(s) URL of the dashboard (like https://pm.example.com)")
    return url.rstrip("/")


# -- the numbers, as the template shows them ------------------------------------------

def _incident(incident_id, title, base_url: str | None, link_params: dict) -> dict:
    """An incident named in the report: its title (or id) and, with a base URL, its dashboard page."""
    text = title if not is_unknown(title) and str(title).strip() else incident_id
    href = safe_url(f"{base_url}/{incident_href(str(incident_id), link_params)}") if base_url else None
    return {"text": str(text), "id": str(incident_id), "href": href}


def _table(columns: list[str], rows: list[list], numeric: tuple[int, ...] = (), text: tuple[int, ...] = ()) -> dict:
    """A table for the template: headers, rows of cells (text, or an incident dict), and the indexes of
    its numeric columns (right-aligned) and free-text columns (which may break anywhere to fit the page)."""
    return {"columns": columns, "rows": rows, "numeric": set(numeric), "text": set(text)}


def _month(value) -> str:
    return UNKNOWN if is_unknown(value) else f"{pd.Timestamp(value):%b %Y}"


def _quarter(value) -> str:
    return UNKNOWN if is_unknown(value) else f"{pd.Timestamp(value).year} Q{pd.Timestamp(value).quarter}"


def card_view(card: dict) -> dict:
    """One headline card as the overview shows it (``ui.metric_card``): the value, the change against the
    window before (coloured only when the verdict is "improved" or "worse"), and the lines under it."""
    fmt = {"count": format_count, "minutes": format_minutes, "percent": format_percent}[card["unit"]]
    change, verdict = card["change"], card["verdict"]
    delta = None
    if verdict is not None and change is not None and not pd.isna(change) and round(change, 3) != 0:
        sign = "+" if change > 0 else "−"
        size = (f"{abs(change) * 100:.1f} pp" if card["unit"] == "percent"
                else (f"{abs(change):,.0f}" if abs(change) >= 10 else f"{abs(change):.1f}") if card.get("per_month")
                else f"{abs(change):.1f} min" if card["unit"] == "minutes" and abs(change) < 1 else fmt(abs(change)))
        delta = f"{sign}{size}{' a month' if card.get('per_month') else ''} vs before"
    lines = []
    if verdict is not None and delta is None and change is not None and not pd.isna(change):
        lines.append("same as before")
    window = card.get("previous_window")
    if window:
        value = card["previous"]
        lines.append(f"Before: {format_day(window[0])} – {format_day(window[1])}, "
                     f"{fmt(value) if not is_unknown(value) else UNKNOWN}")
    if card.get("per_month"):
        lines.append(card.get("how") or "compared per month")
    elif verdict is None and card["key"] != "overdue":
        lines.append(card.get("how") or "no window before to compare with")
    target = None
    if card.get("target") is not None:
        goal = f"≥ {format_percent(card['target'])}" if card["unit"] == "percent" else f"≤ {fmt(card['target'])}"
        target = {True: f"on target ({goal})", False: f"off target (target {goal})",
                  None: f"target {goal}"}[card.get("on_target")]
    if card["note"]:
        lines.append(card["note"])
    tone = {metrics.IMPROVED: "improved", metrics.WORSE: "worse"}.get(verdict, "neutral")
    raw = card["value"]
    return {"key": card["key"], "label": card["label"], "value": fmt(raw), "delta": delta, "tone": tone,
            "verdict": verdict, "lines": lines, "target": target, "on_target": card.get("on_target"),
            "raw": None if is_unknown(raw) else raw}


def _figure(fig, fallback: dict, caption: str = "") -> dict:
    """A chart for the template: plotly's figure as JSON safe inside ``<script>``, its numbers as a table."""
    fig.update_layout(width=CHART_WIDTH_PX, autosize=False, font={"family": SYSTEM_FONTS})
    spec = fig.to_json()
    # plotly already writes < > & as \u escapes; doing it again here keeps that true whatever plotly does.
    spec = spec.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    title = fig.layout.title.text or ""
    return {"json": spec, "title": re.sub(r"<[^>]*>", "", title), "fallback": fallback, "caption": caption}


def _incidents_chart(counts: pd.DataFrame) -> dict:
    severities = sorted(counts["group"].unique(), key=lambda s: (s not in charts.SEVERITY_COLORS, s))
    months = sorted(counts["period_start"].unique())
    cells = {(p, g): n for p, g, n in zip(counts["period_start"], counts["group"], counts["incidents"])}
    rows = [[_month(p)] + [format_count(cells.get((p, s), 0)) for s in severities]
            + [format_count(sum(cells.get((p, s), 0) for s in severities))] for p in months]
    table = _table(["Month", *severities, "All"], rows, tuple(range(1, len(severities) + 2)))
    return _figure(charts.incidents_per_period(counts, "month"), table)


def _response_chart(trend: pd.DataFrame, metric: str) -> dict:
    part = trend[trend["metric"] == metric].sort_values("period_start")
    label = metrics.RESPONSE_METRICS[metric]
    rows = [[_month(r.period_start), format_count(r.incidents), format_count(r.n), format_minutes(r.median),
             format_minutes(r.p90), "too few to trust" if r.small_sample else ""] for r in part.itertuples()]
    table = _table(["Month", "Incidents", "With a value", "Median", "90th percentile", ""], rows, (1, 2, 3, 4))
    fig = charts.response_trend(part, label, "month")
    fig.update_xaxes(dtick="M1")  # one tick a month: plotly's own choice repeats a month at this width
    return _figure(fig, table,
                   "Hollow markers: fewer than 5 incidents report this time that month, too few to trust. "
                   "n = incidents with a value.")


def _breakdown_chart(breakdown: pd.DataFrame) -> dict:
    known = breakdown.dropna(subset=["median_min"]).sort_values(["period_start", "group"])
    rows = [[_quarter(r.period_start), r.group, r.label, format_minutes(r.median_min), format_count(r.n)]
            for r in known.itertuples()]
    table = _table(["Quarter", "Severity", "Phase", "Median", "Incidents with it"], rows, (3, 4))
    return _figure(charts.time_breakdown_chart(breakdown, "quarter"), table,
                   "Each phase's median is over the incidents that report it, so the stack shows which phase "
                   "dominates; it need not add up to the median time to recover.")


def _impact_chart(impact: pd.DataFrame) -> dict:
    ordered = impact.sort_values("patient_impact_min", ascending=False, na_position="last")
    rows = [[r.group, format_count(r.incidents), format_count(r.patient_impact_min),
             format_count(r.patient_impact_min_unknown), format_count(r.clinic_impact_min)]
            for r in ordered.itertuples()]
    table = _table(["Team", "Incidents", "Patient impact-minutes", "Incidents with it unknown",
                    "Clinic impact-minutes"], rows, (1, 2, 3, 4), (0,))
    return _figure(charts.impact_by_group(impact, "patient_impact_min"), table,
                   "Impact-minutes: people affected × time to recover. An incident with two teams counts in both; "
                   "incidents missing either number are counted as unknown.")


def _filter_text(filters: Filters) -> str:
    parts = [", ".join(filters.severities) if filters.severities else "all severities",
             ("teams " + ", ".join(filters.teams)) if filters.teams else "all teams"]
    if filters.audiences:
        parts.append("audience " + ", ".join(filters.audiences))
    if filters.platforms:
        parts.append("platform " + ", ".join(filters.platforms))
    parts.append("drills included" if filters.include_excluded else "drills left out")
    return " · ".join(parts)


def review_context(con, filters: Filters, as_of: date, previous: Filters | None = None, *, title: str | None = None,
                   base_url: str | None = None, link_params: dict | None = None,
                   project: targets.ProjectSettings | None = None, generated_at: datetime | None = None) -> dict:
    """Everything the template shows, from the same :mod:`metrics` calls as the dashboard's pages.

    ``previous`` is the window the headline cards compare with and ``project`` the ``pm-analytics.toml``
    settings (the day the data starts, targets), both as the overview passes them (``View.previous``,
    ``View.settings``); ``base_url`` (the dashboard's root, http(s) only) links each incident named to its
    page, keeping ``link_params`` (default: this filter and ``as_of``)."""
    project = project or targets.ProjectSettings()
    base_url = checked_base_url(base_url)
    if link_params is None:
        link_params = {**to_query_params(filters, "custom"), "as_of": as_of.isoformat()}

    def named(incident_id, name) -> dict:
        return _incident(incident_id, name, base_url, link_params)

    headline = metrics.headline(con, filters, as_of)
    cards = metrics.overview_cards(con, filters, as_of, previous=previous, data_since=project.data_since,
                                   targets=project.targets)
    excluded = metrics.excluded_incidents(con, filters)

    counts = metrics.incident_counts(con, filters, "month", "severity")
    trend = metrics.response_time_trend(con, filters, "month", None, ["time_to_detect_min", "duration_min"])
    breakdown = metrics.time_breakdown(con, filters, "quarter", "severity")
    impact = metrics.impact_minutes(con, filters, None, "team")
    blast = metrics.blast_radius(con, filters, None, "severity")
    harmful = metrics.most_harmful(con, filters, 5)

    by_priority = metrics.action_item_summary(con, filters, as_of, ("priority",))
    overdue = metrics.overdue_items(con, filters, as_of, OVERDUE_SHOWN)
    by_owner = metrics.action_item_summary(con, filters, as_of, ("owner",))
    owners = by_owner[by_owner["overdue"] > 0].sort_values(["overdue", "owner"], ascending=[False, True])

    recurrence = metrics.recurrence_report(con, filters)
    repeats = recurrence["repeats"]
    still_open = repeats[repeats["status"] == metrics.RECURRENCE_STATUSES[1]]
    status_counts = repeats["status"].value_counts()
    off_hours = metrics.off_hours(con, filters, None, None)
    reviews = metrics.review_summary(con, filters, as_of, "quarter")
    waiting = metrics.waiting_report(con, filters, as_of, WAITING_SHOWN)
    loaded = metrics.load_report(con, 0)
    fields = metrics.field_completeness(con, filters)

    sections = {
        "incidents": [_incidents_chart(counts)],
        "response": [_response_chart(trend, "time_to_detect_min"), _response_chart(trend, "duration_min"),
                     _breakdown_chart(breakdown)],
        "impact": [_impact_chart(impact)],
    }
    off = off_hours.iloc[0] if not off_hours.empty else None
    return {
        "title": title or "Incident review",
        "version": __version__,
        "filters_text": _filter_text(filters),
        "date_from": format_day(filters.date_from), "date_to": format_day(filters.date_to),
        "previous": (format_day(previous.date_from), format_day(previous.date_to)) if previous else None,
        "as_of": as_of.isoformat(),
        # The file's name only: the report travels, the folders of whoever made it need not.
        "settings_path": project.path.name if project.path is not None else None,
        "data_since": format_day(project.data_since) if project.data_since else None,
        "generated_at": (generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        "linked": base_url is not None, "base_url": base_url,
        "definitions_anchor": SECTION_DEFINITIONS,
        "headline": headline,
        "headline_json": json.dumps(headline, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "cards": [card_view(card) for card in cards],
        "by_severity": ", ".join(f"{format_count(n)} {s}" for s, n in headline["incidents_by_severity"].items()),
        "excluded": excluded if not filters.include_excluded else 0,
        "charts": sections,
        "blast": _table(
            ["Severity", "Incidents", "Clinics", "Unknown", "Providers", "Unknown", "Patients", "Unknown"],
            [[r.group, format_count(r.incidents), format_count(r.clinics_affected_total),
              format_count(r.clinics_affected_unknown), format_count(r.providers_affected_total),
              format_count(r.providers_affected_unknown), format_count(r.patients_affected_total),
              format_count(r.patients_affected_unknown)] for r in blast.itertuples()], tuple(range(1, 8))),
        "harmful": [{"incident": named(r.incident_id, r.title), "severity": r.severity or "severity unknown",
                     "date": format_day(r.incident_date),
                     "line": f"{format_count(r.patient_impact_min)} patient-minutes · "
                             f"{format_count(r.patients_affected)} patients · {format_count(r.clinics_affected)} "
                             f"clinics · down {format_minutes(r.duration_min)}"} for r in harmful.itertuples()],
        "priorities": _table(
            ["Priority", "Items", "Done", "Open", "Won't fix", "Completion", "Due", "Of those, done on time",
             "On-time rate", "Overdue now"],
            [[r.priority, format_count(r.total), format_count(r.done), format_count(r.open), format_count(r.wontfix),
              format_percent(r.completion_rate), format_count(r.due), format_count(r.due_done_on_time),
              format_percent(r.on_time_rate), format_count(r.overdue)] for r in by_priority.itertuples()],
            tuple(range(1, 10))),
        "overdue_total": headline["action_items_overdue"],
        "overdue": _table(
            ["Post-mortem", "Item", "Priority", "Action item", "Owner", "Due", "Days overdue"],
            [[named(r.incident_id, r.title), r.action_id or "", r.priority or UNKNOWN, r.description or "",
              r.owner or "(no owner)", format_day(r.due_at), format_count(r.days_overdue)]
             for r in overdue.itertuples()], (6,), (0, 3, 4)),
        "owners_total": len(owners),
        "owners": _table(["Owner", "Overdue", "Open", "Items"],
                         [[r.owner, format_count(r.overdue), format_count(r.open), format_count(r.total)]
                          for r in owners.head(OWNERS_SHOWN).itertuples()], (1, 2, 3), (0,)),
        # Repeats come from the text model: while it is pending, or when it was not computed, they are not
        # known, and the review says so rather than "0 repeats".
        "repeats_state": metrics.text_model_state(con),
        "repeats_total": recurrence["total"],
        "repeat_statuses": [(status, int(status_counts.get(status, 0))) for status in metrics.RECURRENCE_STATUSES],
        "still_open_total": len(still_open),
        "still_open": _table(
            ["Repeat", "On", "Repeats", "Earlier on", "P0/P1 still open", "Days past due"],
            [[named(r.later_id, r.later_title), format_day(r.later_date), named(r.earlier_id, r.earlier_title),
              format_day(r.earlier_date), format_count(r.p0_p1_open), format_count(r.days_past_due)]
             for r in still_open.head(REPEATS_SHOWN).itertuples()], (4, 5), (0, 2)),
        "off_hours": None if off is None else {
            "incidents": int(off["incidents"]), "known": int(off["known"]), "off_hours": int(off["off_hours"]),
            "share": format_percent(off["off_hours_share"])},
        "reviews": _table(
            ["Quarter", "Team", "Post-mortems", "Fully reviewed", "Share", "Median days to last LGTM"],
            [[_quarter(r.period_start), r.team, format_count(r.post_mortems), format_count(r.fully_reviewed),
              format_percent(r.fully_reviewed_share),
              UNKNOWN if is_unknown(r.median_days_to_last_lgtm) else f"{r.median_days_to_last_lgtm:g}"]
             for r in reviews.itertuples()], (2, 3, 4, 5), (1,)),
        "waiting_total": waiting["total"],
        "fully_reviewed": headline["incidents"] - waiting["total"],
        "waiting": _table(
            ["Post-mortem", "Date", "Teams", "Reviewers", "LGTM", "Days since resolved"],
            [[named(r.incident_id, r.title), format_day(r.incident_date), r.teams or "", format_count(r.reviewers),
              format_count(r.lgtm), format_count(r.days_since_resolved)] for r in waiting["waiting"].itertuples()],
            (3, 4, 5), (0, 2)),
        "load": {**loaded["summary"], "problems": loaded["problem_count"],
                 "loaded_at": (loaded["summary"]["loaded_at"] or "")[:16].replace("T", " ") or None,
                 "files": [(r.status, int(r.files)) for r in loaded["files"].itertuples()]},
        "fields": _table(
            ["Template field", "Filled", "Placeholder left", "Missing", "Filled share"],
            [[r.field, format_count(r.filled), format_count(r.placeholder), format_count(r.missing),
              format_percent(r.filled_share)]
             for r in fields[(fields["placeholder"] + fields["missing"]) > 0].head(FIELDS_SHOWN).itertuples()],
            (1, 2, 3, 4)),
        "definitions": definitions_html(),
    }


# -- rendering ----------------------------------------------------------------------

_ID_TRANSLATE = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _ID_TRANSLATE.sub("-", text.lower().replace("'", "").replace("’", "")).strip("-")


@lru_cache(maxsize=1)
def definitions_html() -> str:
    """docs/metrics.md as HTML (raw HTML in it escaped, not passed through), one heading level down, each
    heading with an ``id`` (``def-<slug>``) the report's sections link to."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(settings.METRICS_DOC.read_text(encoding="utf-8"))
    if tokens and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        tokens = tokens[3:]  # its title is the report section's own heading
    for index, token in enumerate(tokens):
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
            if token.type == "heading_open":
                token.attrSet("id", "def-" + _slug(tokens[index + 1].content))
    return parser.renderer.render(tokens, parser.options, {})


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("pm_analytics", "templates"), undefined=StrictUndefined,
                              autoescape=select_autoescape(default=True, default_for_string=True),
                              trim_blocks=True, lstrip_blocks=True)
    environment.filters["minutes"] = format_minutes
    return environment


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # Nothing in plotly's bundle closes a <script> today; if a future one did, this keeps it inside.
    return re.sub(r"</(script)", r"<\\/\1", get_plotlyjs(), flags=re.I)


# Marks the page as scripted (CSS then hides the tables the charts replace), before anything is drawn.
_HEAD_JS = "document.documentElement.classList.add('js');"
# Draws every figure from its JSON block, then folds its table of numbers away.
_DRAW_JS = """(function () {
  var config = {displaylogo: false, responsive: false, displayModeBar: 'hover',
                toImageButtonOptions: {format: 'png', scale: 2}};
  document.querySelectorAll('[data-figure]').forEach(function (box) {
    var spec = JSON.parse(document.getElementById(box.getAttribute('data-figure')).textContent);
    Plotly.newPlot(box, spec.data, spec.layout, config).then(function () {
      var numbers = box.parentNode.querySelector('details.numbers');
      if (numbers) { numbers.open = false; }
      box.setAttribute('data-drawn', 'true');
    });
  });
})();"""


def _csp_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def render(context: dict) -> str:
    """The report's HTML from :func:`review_context`'s result."""
    from markupsafe import Markup

    scripts = {"head_js": _HEAD_JS, "plotly_js": _plotly_js(), "draw_js": _DRAW_JS}
    policy = ("default-src 'none'; script-src " + " ".join(_csp_hash(s) for s in scripts.values())
              + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; base-uri 'none'; form-action 'none'")
    # Marked safe: only what this module generates (scripts, figure JSON escaped above, the definitions
    # rendered with raw HTML escaped); everything else is autoescaped by the template.
    charts_safe = {name: [{**chart, "json": Markup(chart["json"])} for chart in items]
                   for name, items in context["charts"].items()}
    return _environment().get_template(TEMPLATE).render(
        **{**context, "charts": charts_safe, "headline_json": Markup(context["headline_json"]),
           "definitions": Markup(context["definitions"])},
        **{name: Markup(script) for name, script in scripts.items()}, csp=policy, chart_width=CHART_WIDTH_PX)


def review_html(con, filters: Filters, as_of: date, previous: Filters | None = None, **options) -> str:
    """The whole review for ``filters`` as one HTML document (see :func:`review_context` for ``options``)."""
    return render(review_context(con, filters, as_of, previous, **options))


def file_name(title: str) -> str:
    """A file name for a review: ``incident-review-2026-q3.html``."""
    return f"{_slug(title) or 'incident-review'}.html"
