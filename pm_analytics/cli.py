"""``pm-analytics``: load and validate post-mortems, print headline numbers, write the review, serve the dashboard.

A thin shell over the core: library results become printed lines and exit
codes here and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from pm_analytics import __version__, metrics, settings
from pm_analytics.filters import Filters
from pm_analytics.load import LoadResult, load_into, load_paths
from pm_analytics.parse.values import parse_severity
from pm_analytics.store import open_database


def _print_problems(result: LoadResult, out) -> None:
    for problem in sorted(result.problems, key=lambda p: (p.source_path, p.line or 0)):
        print(problem, file=out)


SAMPLE_FOLDER = "pm-analytics-sample"


def write_sample(folder: Path) -> int:
    """Copy the bundled sample post-mortems into ``folder`` (new or empty); the number of files."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder}: exists and is not an empty folder; name a new one")
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in settings.SAMPLE_DATA.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in files:
        shutil.copyfile(path, folder / path.name)
    return len(files)


def cmd_load(args: argparse.Namespace) -> int:
    if args.sample:
        count = write_sample(Path(args.sample))
        print(f"wrote {count} sample post-mortems to {args.sample}")
        if not args.db:
            print(f"look at them: pm-analytics dashboard {args.sample}")
            return 0
        args.paths.append(args.sample)

    def progress(done: int, total: int) -> None:
        print(f"read {done}/{total} files", file=sys.stderr, flush=True)

    def phase(name: str) -> None:
        print(f"phase: {name}", file=sys.stderr, flush=True)

    result = load_into(args.paths, args.db, progress=progress if args.progress else None,
                       phase=phase if args.progress else None, workers=args.workers,
                       incremental=not args.full, budget_s=settings.PARSE_BUDGET.value(args.parse_budget),
                       text_model=args.text_model, tickets=settings.ticket_exports(args.tickets))
    _print_problems(result, sys.stdout)
    if args.progress and result.text_model is not None:
        print(result.text_model.summary(), file=sys.stderr, flush=True)
    print(result.summary() + f" -> {args.db}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    result = load_paths(args.paths, budget_s=settings.PARSE_BUDGET.value(args.parse_budget))
    _print_problems(result, sys.stdout)
    print(result.summary())
    return 1 if any(p.level == "error" for p in result.problems) else 0


_EXPLAINED = ("incident_id", "title", "severity", "severity_original", "author", "investigation_doc_name",
              "investigation_doc_url", "timezone", "incident_date", "started_at", "detected_at", "responded_at",
              "understood_at", "partially_recovered_at", "solution_at", "resolved_at", "time_to_detect_min",
              "time_to_respond_min", "time_to_understand_min", "time_to_partial_recovery_min", "time_to_solution_min",
              "time_to_full_recovery_min", "duration_min", "clinics_affected", "providers_affected",
              "patients_affected", "techops_engineers", "software_engineers", "security_engineers",
              "impact_summary", "exclude_reason", "teams", "apps", "reviewers", "timeline", "findings", "action_items")


def explain_incident(incident) -> list[str]:
    """Every field of a parsed incident as ``field = value   (line N, rule: quoted text)``, then the
    fields it could not find."""
    sources = {s.field: s for s in incident.sources}
    lines, missing = [], []
    for name in _EXPLAINED:
        value = getattr(incident, name)
        if value is None or value == [] or (name == "impact_summary" and not value):
            missing.append(name)
            continue
        shown = _shown(name, value)
        source = sources.get(name)
        where = "" if source is None else \
            f"   (line {source.line if source.line else '-'}, {source.rule}: {source.text!r})"
        lines.append(f"  {name} = {shown}{where}")
    if missing:
        lines.append("  not found: " + ", ".join(missing))
    return lines


def _shown(name: str, value) -> str:
    if isinstance(value, list):
        if name == "timeline":
            return f"{sum(e.at is not None for e in value)} of {len(value)} rows with a time"
        if name == "action_items":
            return f"{len(value)} ({sum(a.status == 'done' for a in value)} done)"
        if name == "teams":
            return ", ".join(value)
        if name == "apps":
            return ", ".join(f"{a.audience or '?'} {a.platform}" for a in value)
        return f"{len(value)}"
    if isinstance(value, float) and name.endswith("_min"):
        return f"{value:g} min"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return repr(text if len(text) <= 80 else text[:79] + "…")


def cmd_explain(args: argparse.Namespace) -> int:
    from pm_analytics.load import discover, read_candidate

    failed = False
    for candidate in discover(args.paths):
        result, _ = read_candidate(candidate)
        print(f"{candidate.source_path}:")
        for incident in result.incidents:
            if len(result.incidents) > 1:
                print(f" incident {incident.incident_id}:")
            print("\n".join(explain_incident(incident)))
        for problem in result.problems:
            print(f"  {problem.level}: line {problem.line or '-'}: {problem.field or '-'}: {problem.message}")
        failed |= not result.incidents
    return 1 if failed else 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from pm_analytics import dashboard

    data = Path(settings.DATA.value(args.path)).expanduser().resolve()
    if not data.exists():
        print(f"pm-analytics: error: {data}: no such folder or database file", file=sys.stderr)
        return 2
    try:
        port = settings.PORT.value(args.port)
    except ValueError:
        print(f"pm-analytics: error: {settings.PORT.env}: not a port number", file=sys.stderr)
        return 2
    cache = Path(settings.CACHE.value(args.cache)).expanduser().resolve()
    if args.parse_budget is not None:
        os.environ[settings.PARSE_BUDGET.env] = str(args.parse_budget)
    if args.tickets:
        os.environ[settings.TICKETS.env] = os.pathsep.join(str(Path(p).resolve())
                                                           for p in settings.ticket_exports(args.tickets))
    print(f"pm-analytics: serving {data} (cache: {cache})", file=sys.stderr, flush=True)
    return dashboard.serve(data, cache, settings.HOST.value(args.host), port)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _severities(args: argparse.Namespace) -> tuple[str, ...]:
    """``--severity`` values as the database spells them (``sev1`` -> ``SEV1``); ``ValueError`` if one is not."""
    return tuple(parse_severity(s) for s in args.severity or ())


def _filters(con, args: argparse.Namespace, severities: tuple[str, ...], date_from: date | None,
             date_to: date | None) -> Filters:
    """The filter ``summary`` and ``report`` apply: ``--team`` names matched to the data's teams whatever their case."""
    known = {t.lower(): t for t in metrics.filter_choices(con).get("teams", [])}
    return Filters(date_from=date_from, date_to=date_to, severities=severities,
                   teams=tuple(known.get(t.strip().lower(), t) for t in args.team or ()))


def cmd_summary(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.db):
        print(f"pm-analytics: error: {args.db}: no such database file (make one with `pm-analytics load`)", file=sys.stderr)
        return 2
    try:
        severities = _severities(args)
    except ValueError as exc:
        print(f"pm-analytics: error: --severity: {exc}", file=sys.stderr)
        return 2
    con = open_database(args.db)
    try:
        filters = _filters(con, args, severities, args.date_from, args.date_to)
        numbers = metrics.headline(con, filters, args.as_of or date.today())
    finally:
        con.close()
    if args.json:
        print(json.dumps(numbers, indent=2))
    else:
        print(format_headline(numbers))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from pm_analytics import datasource, report, targets

    as_of = args.as_of or date.today()
    try:
        severities = _severities(args)
        window = report.review_window(as_of, args.quarter, args.date_from, args.date_to)
        base_url = report.checked_base_url(args.base_url)
    except ValueError as exc:
        print(f"pm-analytics: error: {exc}", file=sys.stderr)
        return 2
    if os.path.isdir(args.db):  # a folder of post-mortems: loaded (or refreshed) into the cache, as the dashboard does
        source = datasource.resolve(args.db)
        result = datasource.refresh(source)
        if result.pending is not None:  # the review has a repeats section: wait for the text model
            result.text_model = result.pending.run()
        print(f"{result.summary()} -> {source.db_path}", file=sys.stderr)
        db_path = source.db_path
    elif os.path.isfile(args.db):
        db_path = args.db
    else:
        print(f"pm-analytics: error: {args.db}: no such database file or folder", file=sys.stderr)
        return 2
    project = targets.load(args.db)  # pm-analytics.toml beside the data, as the dashboard reads it
    for problem in project.problems:
        print(f"pm-analytics: warning: {problem}", file=sys.stderr)
    con = open_database(db_path)
    try:
        filters = _filters(con, args, severities, window.date_from, window.date_to)
        previous = filters.with_dates(*window.previous) if window.previous else None
        html = report.review_html(con, filters, as_of, previous, title=f"Incident review {window.label}",
                                  base_url=base_url, project=project)
    finally:
        con.close()
    Path(args.out).write_text(html, encoding="utf-8")
    print(f"wrote {args.out}: {window.label}, compared with "
          f"{window.previous[0].isoformat()} – {window.previous[1].isoformat()} ({len(html.encode()) / 1e6:.1f} MB)")
    return 0


def format_headline(numbers: dict) -> str:
    """The headline numbers as aligned ``label  value`` lines; unknown values print as "unknown"."""
    from pm_analytics.formatting import format_minutes

    def count(value) -> str:
        return "unknown" if value is None else f"{value:,}"

    by_severity = ", ".join(f"{k} {v}" for k, v in numbers["incidents_by_severity"].items())
    unknown = numbers["action_items_done_on_time_unknown"]
    done_unknown = f" ({unknown:,} done with no deadline or no completion date: unknown)" if unknown else ""
    lines = [
        ("Incidents", f"{numbers['incidents']:,} ({by_severity})"),
        ("Median time to detect", format_minutes(numbers["median_time_to_detect_min"])),
        ("Median time to respond", format_minutes(numbers["median_time_to_respond_min"])),
        ("Median time to recover", format_minutes(numbers["median_duration_min"])),
        ("90th percentile time to recover", format_minutes(numbers["p90_duration_min"])),
        ("Clinics affected", count(numbers["clinics_affected_total"])),
        ("Patients affected", f"{count(numbers['patients_affected_total'])} "
                              f"(+ {numbers['patients_affected_unknown']} incident"
                              f"{'s' if numbers['patients_affected_unknown'] != 1 else ''} unknown)"),
        ("Action items", f"{numbers['action_items_done']:,} of {numbers['action_items_total']:,} done, "
                         f"{numbers['action_items_done_on_time']:,} on time{done_unknown}, "
                         f"{numbers['action_items_overdue']:,} overdue"),
    ]
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in lines)


def _budget_option(command: argparse.ArgumentParser) -> None:
    setting = settings.PARSE_BUDGET
    command.add_argument(setting.option, metavar=setting.metavar, type=setting.type,
                         help=f"{setting.help} [env {setting.env}; default: {setting.default_text}]".replace("`", ""))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pm-analytics", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    load = sub.add_parser("load", help="load post-mortem files and folders into a DuckDB file")
    load.add_argument("paths", nargs="*", help="post-mortem files or folders (read recursively)")
    load.add_argument("--db", help="DuckDB file to write (replaced atomically); needed unless --sample alone")
    load.add_argument("--sample", nargs="?", const=SAMPLE_FOLDER, metavar="DIR",
                      help=f"write the bundled sample post-mortems to DIR (new or empty; default {SAMPLE_FOLDER}) "
                           "for a first look, and load them too if --db is given")
    load.add_argument("--full", action="store_true", help="parse every file again, even unchanged ones")
    load.add_argument("--workers", type=int, help="parsing processes (default: one per core)")
    load.add_argument("--progress", action="store_true", help="report progress on standard error")
    load.add_argument("--no-text-model", dest="text_model", action="store_false",
                      help="leave out related incidents, repeats and themes (the database says they were not "
                           "computed); by default they are computed once the database is written, and load waits")
    _budget_option(load)
    load.add_argument(settings.TICKETS.option, nargs="+", action="extend", metavar=settings.TICKETS.metavar,
                      help=f"{settings.TICKETS.help} [env {settings.TICKETS.env}]".replace("`", ""))
    load.set_defaults(func=cmd_load)

    validate = sub.add_parser("validate", help="check post-mortems without writing; exit 1 if any has an error")
    validate.add_argument("paths", nargs="+", help="post-mortem files or folders (read recursively)")
    _budget_option(validate)
    validate.set_defaults(func=cmd_validate)

    explain = sub.add_parser("explain", help="print every field read from post-mortems, with the line, rule and text "
                                            "it came from, and the fields not found")
    explain.add_argument("paths", nargs="+", help="post-mortem files or folders")
    explain.set_defaults(func=cmd_explain)

    summary = sub.add_parser("summary", help="print the headline numbers for a filter")
    summary.add_argument("--db", required=True, help="DuckDB file made by `pm-analytics load`")
    summary.add_argument("--from", dest="date_from", type=_day, help="first incident start date (inclusive)")
    summary.add_argument("--to", dest="date_to", type=_day, help="last incident start date (inclusive)")
    summary.add_argument("--severity", nargs="+", metavar="SEV", help="only these severities (SEV1 SEV2 SEV3)")
    summary.add_argument("--team", nargs="+", metavar="NAME", help="only incidents involving these teams")
    summary.add_argument("--as-of", type=_day, help="the day overdue items are counted on (default: today)")
    summary.add_argument("--json", action="store_true", help="print one JSON object")
    summary.set_defaults(func=cmd_summary)

    review = sub.add_parser(
        "report", help="write the incident review for a quarter (or a date range) as one HTML file to read offline",
        description="Write the incident review as one self-contained HTML file: the overview's headline numbers "
                    "against the window before, response times, blast radius, action items, repeats, off-hours "
                    "load, review follow-through, data quality and what every number means. Opens offline, "
                    "reads without JavaScript, prints on A4 or Letter.")
    review.add_argument("--db", required=True, metavar="PATH",
                        help="DuckDB file made by `pm-analytics load`, or a folder of post-mortems (loaded into "
                             "the cache folder first)")
    window = review.add_mutually_exclusive_group()
    window.add_argument("--quarter", metavar="YYYYQN",
                        help="the quarter to review, like 2026Q3, compared with the quarter before (default: the "
                             "last quarter ended by --as-of)")
    window.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                        help="first incident start date (inclusive), compared with the equally long window before")
    review.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                        help="last incident start date (inclusive; default --as-of)")
    review.add_argument("--severity", nargs="+", metavar="SEV", help="only these severities (SEV1 SEV2 SEV3)")
    review.add_argument("--team", nargs="+", metavar="NAME", help="only incidents involving these teams")
    review.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                        help="the day overdue and due items are counted on (default: today)")
    review.add_argument("--base-url", metavar="URL",
                        help="the dashboard's address (http or https), to link each incident named to its page")
    review.add_argument("--out", default="review.html", metavar="FILE",
                        help="the HTML file to write (default: review.html)")
    review.set_defaults(func=cmd_report)

    dashboard = sub.add_parser(
        "dashboard", help="serve the dashboard on a folder of post-mortems or a .duckdb file",
        description="Serve the Streamlit dashboard (Ctrl-C stops it). Each setting is taken from its option, "
                    "else its environment variable, else its default; Streamlit's own settings (headless, no "
                    "usage statistics) come from the project's .streamlit/config.toml.")
    for setting in settings.SETTINGS:
        help_text = f"{setting.help} [env {setting.env}; default: {setting.default_text}]".replace("`", "")
        if setting.option is None:
            dashboard.add_argument("path", nargs="?", metavar=setting.metavar, help=help_text)
        elif setting is settings.TICKETS:
            dashboard.add_argument(setting.option, action="append", metavar=setting.metavar, help=help_text)
        else:
            dashboard.add_argument(setting.option, metavar=setting.metavar, type=setting.type, help=help_text)
    dashboard.set_defaults(func=cmd_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "load" and not (args.db if args.paths else args.sample):
        parser.exit(2, "pm-analytics load: error: give paths and --db (or --sample [DIR])\n")
    for path in getattr(args, "paths", []):
        if not os.path.exists(path):
            parser.exit(2, f"pm-analytics: error: {path}: no such file or folder\n")
    try:
        return args.func(args)
    except OSError as exc:
        print(f"pm-analytics: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
