"""A second opinion for the headline numbers.

``pm-analytics summary --json`` is recomputed here with plain pandas over the loaded database's tables,
read with ``SELECT *`` only (none of the SQL of ``store``/``metrics``), from the definitions in
docs/metrics.md:

- the selection: incidents whose start date (``incident_date``) is in the range (inclusive), whose
  severity is one of those asked (written as the parser reads them: ``sev2`` is SEV2), that involve one
  of the teams asked (a team is one team whatever its case), and that are not drills
  (``exclude_from_metrics``);
- medians and the p90 over the incidents that report the value, the p90 with linear interpolation;
  unknown (null) when none reports it; rounded to 2 decimals as the JSON prints them;
- totals over the incidents that report the number, unknown (null) when none does; ``*_unknown`` counts
  the incidents that leave it unknown (never 0 for them);
- action items of the selected incidents: done on time = done and completed on or before the deadline's
  (UTC) date, both known; overdue = open and the deadline's date before *as of* (the deadline day itself
  is not overdue; won't-fix never is); due = the deadline's date before *as of*, done or not, won't-fix
  and done-without-a-date left out; on-time rate = due items done on time / due items.

The two are compared on the bundled sample with several filters and on folders written by the
generator of tests/generated.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import generated
from pm_analytics.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SEVERITIES = ("SEV1", "SEV2", "SEV3")


# -- the two opinions ------------------------------------------------------------------------------

def run(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    assert code == 0, f"pm-analytics {' '.join(args)} exited {code}"
    return out.getvalue()


def load(folder: Path, db: Path) -> Path:
    run("load", str(folder), "--db", str(db), "--workers", "1")
    return db


def product(db: Path, **filters) -> dict:
    """What ``pm-analytics summary --json`` says."""
    args = ["summary", "--db", str(db), "--json", "--as-of", filters["as_of"].isoformat()]
    if filters.get("date_from"):
        args += ["--from", filters["date_from"].isoformat()]
    if filters.get("date_to"):
        args += ["--to", filters["date_to"].isoformat()]
    if filters.get("severities"):
        args += ["--severity", *filters["severities"]]
    if filters.get("teams"):
        args += ["--team", *filters["teams"]]
    return json.loads(run(*args))


def tables(db: Path) -> dict[str, pd.DataFrame]:
    """The tables the headline needs, every column, as pandas reads them."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name}").df()
                for name in ("incidents", "incident_teams", "action_items")}
    finally:
        con.close()


def _days(column: pd.Series, utc: bool = False) -> pd.Series:
    """Each value's calendar day (``None`` where unknown); with ``utc``, a timestamp's UTC day."""
    stamps = pd.to_datetime(column, utc=utc)
    return pd.Series([stamp.date() if pd.notna(stamp) else None for stamp in stamps], index=column.index,
                     dtype=object)


def _utc_days(column: pd.Series) -> pd.Series:
    """The UTC calendar day of each timestamp (a deadline's date is its UTC date)."""
    return _days(column, utc=True)


def _severity(written: str) -> str:
    """``sev2``, ``SEV-2``, ``Sev 2`` -> ``SEV2`` (only the template's own scale is asked for here)."""
    return re.sub(r"[\s_-]", "", written).upper()


def second_opinion(t: dict[str, pd.DataFrame], as_of: date, date_from: date | None = None,
                   date_to: date | None = None, severities=(), teams=()) -> dict:
    incidents = t["incidents"].copy()
    incidents["day"] = _days(incidents["incident_date"])
    chosen = incidents[~incidents["exclude_from_metrics"].astype(bool)]
    if date_from is not None:
        chosen = chosen[chosen["day"] >= date_from]
    if date_to is not None:
        chosen = chosen[chosen["day"] <= date_to]
    if severities:
        chosen = chosen[chosen["severity"].isin({_severity(s) for s in severities})]
    if teams:
        team_rows = t["incident_teams"]
        wanted = {name.strip().casefold() for name in teams}
        involved = team_rows.loc[team_rows["team"].str.strip().str.casefold().isin(wanted), "incident_id"]
        chosen = chosen[chosen["incident_id"].isin(set(involved))]

    def stat(column: str, q: float):
        values = chosen[column].dropna().astype(float)
        return None if values.empty else round(float(values.quantile(q, interpolation="linear")), 2)

    def total(column: str):
        values = chosen[column].dropna()
        return None if values.empty else int(values.astype("int64").sum())

    by_severity = chosen["severity"].fillna("Unknown").value_counts().to_dict()
    items = t["action_items"]
    items = items[items["incident_id"].isin(set(chosen["incident_id"]))].copy()
    items["completed"] = _days(items["completed_on"])
    items["deadline"] = _utc_days(items["due_at"])
    done = items["status"] == "done"
    on_time = done & pd.Series([c is not None and d is not None and c <= d
                                for c, d in zip(items["completed"], items["deadline"])], index=items.index, dtype=bool)
    past_deadline = items["deadline"].map(lambda d: d is not None and d < as_of).astype(bool)
    overdue = (items["status"] == "open") & past_deadline
    due = past_deadline & (items["status"] != "wontfix") & ~(done & items["completed"].isna())
    return {
        "incidents": len(chosen),
        "incidents_by_severity": {**{s: int(by_severity.get(s, 0)) for s in SEVERITIES},
                                  **({"Unknown": int(by_severity["Unknown"])} if "Unknown" in by_severity else {})},
        "median_time_to_detect_min": stat("time_to_detect_min", 0.5),
        "median_time_to_respond_min": stat("time_to_respond_min", 0.5),
        "median_duration_min": stat("duration_min", 0.5),
        "p90_duration_min": stat("duration_min", 0.9),
        "clinics_affected_total": total("clinics_affected"),
        "clinics_affected_unknown": int(chosen["clinics_affected"].isna().sum()),
        "patients_affected_total": total("patients_affected"),
        "patients_affected_unknown": int(chosen["patients_affected"].isna().sum()),
        "action_items_total": len(items),
        "action_items_done": int(done.sum()),
        "action_items_done_on_time": int(on_time.sum()),
        "action_items_done_on_time_unknown": int((done & (items["completed"].isna() | items["deadline"].isna())).sum()),
        "action_items_overdue": int(overdue.sum()),
        "action_items_overdue_p0_p1": int((overdue & items["priority"].isin(["P0", "P1"])).sum()),
        "action_items_due": int(due.sum()),
        "action_items_on_time_rate": round(int((due & on_time).sum()) / int(due.sum()), 4) if due.any() else None,
    }


# The keys `summary --json` gives (README "Command line"); it may give more, each of which the second opinion
# must recompute too (action_items_due and action_items_on_time_rate, docs/metrics.md "Action items").
HEADLINE_KEYS = {"incidents", "incidents_by_severity", "median_time_to_detect_min", "median_time_to_respond_min",
                 "median_duration_min", "p90_duration_min", "clinics_affected_total", "patients_affected_total",
                 "patients_affected_unknown", "action_items_total", "action_items_done", "action_items_done_on_time",
                 "action_items_overdue"}


def disagreements(db: Path, t: dict[str, pd.DataFrame], **filters) -> list[str]:
    said, recomputed = product(db, **filters), second_opinion(t, **filters)
    shown = ", ".join(f"{k}={v.isoformat() if isinstance(v, date) else v}" for k, v in filters.items() if v)
    wrong = [f"[{shown}] summary lacks {key}" for key in sorted(HEADLINE_KEYS - set(said))]
    wrong += [f"[{shown}] summary gives {key}, which the second opinion does not recompute"
              for key in sorted(set(said) - set(recomputed))]
    return wrong + [f"[{shown}] {key}: summary says {said[key]!r}, pandas says {recomputed[key]!r}"
                    for key in said if key in recomputed
                    and (said[key] != recomputed[key] or type(said[key]) is not type(recomputed[key]))]


# -- on the bundled sample -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    db = load(DATA, tmp_path_factory.mktemp("sample") / "pm.duckdb")
    return db, tables(db)


def sample_filters(t: dict[str, pd.DataFrame]) -> list[dict]:
    days = sorted(_days(t["incidents"]["incident_date"]))
    deadlines = sorted(d for d in _utc_days(t["action_items"]["due_at"]).dropna())
    middle, deadline = days[len(days) // 2], deadlines[len(deadlines) // 2]
    return [
        {"as_of": date(2026, 3, 1)},
        {"as_of": days[0]},
        {"as_of": deadline},                              # the deadline day itself is not overdue
        {"as_of": deadline + timedelta(days=1)},          # the day after is
        {"as_of": date(2025, 7, 1), "date_from": date(2025, 1, 1), "date_to": date(2025, 6, 30)},
        {"as_of": date(2025, 12, 31), "date_from": date(2025, 7, 1)},
        {"as_of": middle, "date_to": middle},
        {"as_of": date(2026, 3, 1), "date_from": middle, "date_to": middle},
        {"as_of": date(2026, 1, 15), "severities": ("SEV1",)},
        {"as_of": date(2026, 1, 15), "severities": ("SEV1", "SEV2"), "date_from": date(2025, 10, 1)},
        {"as_of": date(2026, 1, 15), "severities": ("sev3",)},
        {"as_of": date(2025, 9, 30), "teams": ("Payments",)},
        {"as_of": date(2026, 2, 1), "teams": ("payments", "Platform"), "severities": ("SEV2",)},
        {"as_of": date(2026, 2, 1), "teams": ("Scheduling",), "date_from": date(2025, 6, 1), "date_to": middle},
        {"as_of": date(2026, 2, 1), "teams": ("No such team",)},
    ]


def test_the_second_opinion_agrees_on_the_bundled_sample(sample):
    db, t = sample
    assert len(t["incidents"]) > 40 and t["incidents"]["exclude_from_metrics"].any(), \
        "the sample has incidents and drills to leave out"
    wrong = [line for filters in sample_filters(t) for line in disagreements(db, t, **filters)]
    assert not wrong, "\n".join(wrong)


def test_the_second_opinion_counts_what_it_should(sample):
    """The pandas side is not vacuous: on the sample it finds items of every kind and unknown values."""
    _, t = sample
    numbers = second_opinion(t, as_of=date(2026, 3, 1))
    assert numbers["incidents"] < len(t["incidents"]), "drills are left out"
    assert 0 < numbers["action_items_done_on_time"] < numbers["action_items_done"] < numbers["action_items_total"]
    assert numbers["action_items_overdue"] > 0
    assert numbers["median_duration_min"] < numbers["p90_duration_min"]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_second_opinion_agrees_whatever_the_machine_time_zone(sample, zone, monkeypatch, tmp_path):
    """A deadline's date is its UTC date on a machine at UTC+14 or UTC-11 too, loaded and summed there."""
    _, at_utc = sample
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        db = load(DATA, tmp_path / "pm.duckdb")
        t = tables(db)
        wrong = [line for filters in sample_filters(at_utc) for line in disagreements(db, t, **filters)]
        wrong += [f"loaded at {zone}, {filters}: {second_opinion(t, **filters)} != {second_opinion(at_utc, **filters)}"
                  for filters in sample_filters(at_utc)
                  if second_opinion(t, **filters) != second_opinion(at_utc, **filters)]
    finally:
        monkeypatch.undo()
        time.tzset()
    assert not wrong, "\n".join(wrong)


# -- on folders written by the generator ---------------------------------------------------------------

FOLDER_EXAMPLES = 25


def folder_filters(docs: list[generated.Doc], t: dict[str, pd.DataFrame]) -> list[dict]:
    days = sorted(doc.day for doc in docs)
    deadlines = sorted(d for d in _utc_days(t["action_items"]["due_at"]).dropna())
    completions = sorted(d for d in _days(t["action_items"]["completed_on"]).dropna())
    as_of = deadlines[len(deadlines) // 2] if deadlines else days[-1] + timedelta(days=20)
    filters = [{"as_of": as_of}, {"as_of": as_of + timedelta(days=1)}, {"as_of": days[0]},
               {"as_of": days[-1] + timedelta(days=365)},
               {"as_of": as_of, "date_from": days[len(days) // 2]},
               {"as_of": as_of, "date_to": days[len(days) // 2]}]
    if completions:
        filters.append({"as_of": completions[-1]})
    severities = sorted({doc.canonical_severity for doc in docs if doc.canonical_severity})
    if severities:
        filters.append({"as_of": as_of, "severities": (severities[0],)})
        filters.append({"as_of": as_of, "severities": (severities[-1].lower(),)})
    written = [team for doc in docs for team in doc.teams]
    if written:
        team = written[0].removesuffix(" team").removesuffix(" Team")
        filters.append({"as_of": as_of, "teams": (team,)})
        filters.append({"as_of": as_of, "teams": (team.swapcase(),), "date_from": days[0]})
    return filters


@settings(max_examples=FOLDER_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
@given(generated.folders(min_size=2, max_size=8))
def test_the_second_opinion_agrees_on_generated_folders(docs):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "postmortems"
        folder.mkdir()
        for doc in docs:
            name, data = generated.render(doc)
            (folder / name).write_bytes(data)
        db = load(folder, Path(tmp) / "pm.duckdb")
        t = tables(db)
        wrong = [line for filters in folder_filters(docs, t) for line in disagreements(db, t, **filters)]
        files = "\n".join(f"--- {name}\n{data.decode()}" for name, data in map(generated.render, docs))
        assert not wrong, "\n".join(wrong) + "\n" + files
