"""Score the parser against real-world post-mortem layouts.

    .venv/bin/python benchmarks/realworld.py          # table per fixture, accuracy per field, overall
    .venv/bin/python benchmarks/realworld.py --json   # the same as one JSON object
    .venv/bin/python benchmarks/realworld.py tests/fixtures/realworld-holdout   # another folder

Every file in ``tests/fixtures/realworld/`` (or the folders given; except README.md and the
``*.expected.json`` files) is parsed with :func:`pm_analytics.parse.parse_bytes`.
Its ``X.expected.json`` says what a careful reader takes from the document: a
list of incidents, in document order. Expected incidents are matched to parsed
ones by position; each non-null expected field is scored:

- ``title``: equal ignoring case, runs of whitespace and surrounding punctuation
- ``incident_date``: the same day
- ``started_at`` / ``detected_at`` / ``resolved_at``: the same UTC minute
- ``duration_min`` / ``time_to_detect_min``: within 1 minute
- ``severity``: exact; ``severity_original``: equal ignoring case and whitespace
- ``action_items``: ``len(incident.action_items)``; ``action_items_done``: items with status "done"
- ``timeline_rows_with_time``: timeline events whose ``at`` is not None

A rejected file, or an expected incident with no parsed counterpart, scores 0
on all its fields. Null expected values are not scored. Not a test: it always
exits 0, so it can track progress while the parser changes.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pm_analytics.parse import parse_bytes  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "realworld"
FIELDS = ["title", "incident_date", "started_at", "detected_at", "resolved_at", "duration_min",
          "time_to_detect_min", "severity", "severity_original", "action_items", "action_items_done",
          "timeline_rows_with_time"]
_STRIP = string.punctuation + string.whitespace + "–—“”‘’«»…"


def incidents_of(result) -> list:
    """The incidents a parse result holds: several for the new parser, at most one for the old."""
    if hasattr(result, "incidents"):
        return list(result.incidents or [])
    return [result.incident] if result.incident is not None else []


def got_value(incident, name: str):
    """The parsed counterpart of one expected field."""
    if name == "action_items":
        return len(incident.action_items)
    if name == "action_items_done":
        return sum(1 for item in incident.action_items if item.status == "done")
    if name == "timeline_rows_with_time":
        return sum(1 for event in incident.timeline if event.at is not None)
    return getattr(incident, name, None)


def _text(value) -> str:
    return " ".join(str(value).split()).strip(_STRIP).casefold()


def _minute(value) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(second=0, microsecond=0)


def matches(name: str, got, expected) -> bool:
    if got is None:
        return False
    if name in ("title", "severity_original"):
        return _text(got) == _text(expected)
    if name == "incident_date":
        day = got.date() if isinstance(got, datetime) else got
        return isinstance(day, date) and day.isoformat() == expected
    if name.endswith("_at"):
        return _minute(got) == _minute(expected)
    if name.endswith("_min"):
        return isinstance(got, (int, float)) and abs(got - expected) <= 1
    return got == expected


def _shown(value) -> str:
    if isinstance(value, datetime):
        return _minute(value).strftime("%Y-%m-%dT%H:%MZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def score_file(path: Path) -> dict:
    """Right/scored counts and the misses for one fixture."""
    expected = json.loads(path.with_name(path.name + ".expected.json").read_text())["incidents"]
    result = parse_bytes(path.read_bytes(), path.name)
    parsed = incidents_of(result)
    rejected = not parsed
    rows = {"file": path.name, "rejected": rejected, "expected_incidents": len(expected),
            "parsed_incidents": len(parsed), "right": 0, "scored": 0, "misses": [], "fields": {}}
    for index, want in enumerate(expected):
        incident = parsed[index] if index < len(parsed) else None
        for name in FIELDS:
            if want.get(name) is None:
                continue
            got = got_value(incident, name) if incident is not None else None
            ok = incident is not None and matches(name, got, want[name])
            right, scored = rows["fields"].get(name, (0, 0))
            rows["fields"][name] = (right + ok, scored + 1)
            rows["right"] += ok
            rows["scored"] += 1
            if not ok:
                where = f"#{index + 1} " if len(expected) > 1 else ""
                got_text = "rejected" if rejected else "missing" if incident is None else _shown(got)
                rows["misses"].append(f"{where}{name}: got {got_text}, expected {_shown(want[name])}")
    return rows


def fixtures(folder: Path = FIXTURES) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and not p.name.endswith(".expected.json") and p.name != "README.md")


def summarise(files: list[dict]) -> dict:
    per_field = {}
    for name in FIELDS:
        right = sum(f["fields"].get(name, (0, 0))[0] for f in files)
        scored = sum(f["fields"].get(name, (0, 0))[1] for f in files)
        per_field[name] = {"right": right, "scored": scored, "accuracy": round(100 * right / scored, 1) if scored else None}
    right, scored = sum(f["right"] for f in files), sum(f["scored"] for f in files)
    return {
        "overall": {"right": right, "scored": scored, "accuracy": round(100 * right / scored, 1) if scored else None},
        "per_field": per_field,
        "per_file": [{k: v for k, v in f.items() if k != "fields"} for f in files],
    }


def print_report(summary: dict) -> None:
    width = max(len(f["file"]) for f in summary["per_file"])
    print(f"{'fixture':<{width}}  right/scored  incidents  wrong fields (got vs expected)")
    for f in summary["per_file"]:
        incidents = "rejected" if f["rejected"] else f"{f['parsed_incidents']}/{f['expected_incidents']}"
        misses = "; ".join(f["misses"]) or "-"
        print(f"{f['file']:<{width}}  {f['right']:>5}/{f['scored']:<6}  {incidents:<9}  {misses}")
    print()
    print(f"{'field':<24} accuracy")
    for name, stats in summary["per_field"].items():
        if stats["scored"]:
            print(f"{name:<24} {stats['accuracy']:5.1f} %  ({stats['right']}/{stats['scored']})")
    overall = summary["overall"]
    print(f"\noverall: {overall['accuracy']} % of {overall['scored']} fields right ({overall['right']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one machine-readable JSON object")
    parser.add_argument("folders", nargs="*", type=Path, default=[FIXTURES], help="fixture folders (default: realworld)")
    args = parser.parse_args(argv)
    summary = summarise([score_file(p) for folder in args.folders for p in fixtures(folder)])
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print_report(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
