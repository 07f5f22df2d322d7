"""Golden files: a parsed post-mortem as plain JSON, and the command that rewrites them.

Run ``python tests/golden.py`` after a deliberate parser change, then read the
diff of ``tests/fixtures/good/*.expected.json`` line by line before committing.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent
GOOD = ROOT / "fixtures" / "good"


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def as_golden(path: Path) -> dict:
    """What the parser makes of one fixture, as JSON-ready data (no hash: it changes with every edit)."""
    from pm_analytics.parse import parse_bytes

    name = path.name
    result = parse_bytes(path.read_bytes(), name)
    incident = dataclasses.asdict(result.incident) if result.incident else None
    if incident:
        incident.pop("source_sha256")
    return {"incident": _plain(incident), "problems": [str(p) for p in result.problems]}


def fixtures() -> list[Path]:
    return sorted(p for p in GOOD.iterdir() if not p.name.endswith(".expected.json"))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT.parent))
    for fixture in fixtures():
        target = fixture.with_name(fixture.name + ".expected.json")
        target.write_text(json.dumps(as_golden(fixture), indent=2, ensure_ascii=False) + "\n")
        print("wrote", target.relative_to(ROOT.parent))
