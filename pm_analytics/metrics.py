"""The numbers leadership asks about, as DataFrames: response times, blast radius, action items,
participants and data quality. Definitions: ``docs/metrics.md``.

Every function takes a DuckDB connection, a :class:`~pm_analytics.filters.Filters`
and, where "now" matters, an explicit ``as_of`` date, so a result can be
reproduced. Aggregation happens in DuckDB (:mod:`pm_analytics.store`); this
module reshapes, derives rates and runs the statistics that need pandas/numpy.
Unknown values are never counted as zero: every statistic says how many
incidents it could not use. An empty selection gives empty frames with the
same columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pm_analytics import store
from pm_analytics.filters import Filters, quarter_start
from pm_analytics.schema import PRIORITIES, SEVERITIES, TEMPLATE_FIELDS
from pm_analytics.targets import on_target

RESPONSE_METRICS = {
    "time_to_detect_min": "Time to detect",
    "time_to_respond_min": "Time to respond",
    "time_to_understand_min": "Time to understand",
    "time_to_partial_recovery_min": "Time to partial recovery",
    "time_to_solution_min": "Time to solution",
    "time_to_full_recovery_min": "Time from solution to full recovery",
    "duration_min": "Time to recover (start → resolved)",
    "detect_to_resolved_min": "Detection → resolved",
}
# The consecutive phases from start to resolution, in order (partial recovery overlaps them).
CONSECUTIVE_PHASES = (
    "time_to_detect_min", "time_to_respond_min", "time_to_understand_min",
    "time_to_solution_min", "time_to_full_recovery_min",
)
BLAST_METRICS = {"clinics_affected": "Clinics", "providers_affected": "Providers", "patients_affected": "Patients"}
PARTICIPANT_METRICS = {
    "techops_engineers": "TechOps engineers", "software_engineers": "Software engineers",
    "security_engineers": "Security engineers", "engineers_total": "Engineers in all",
}
STATS = ("mean", "median", "p90", "min", "max")

# Buckets with fewer incidents than this are flagged so charts can show them as too small to trust.
MIN_BUCKET_N = 5
# Period comparisons need at least this many known values on each side to give a verdict.
MIN_COMPARE_N = 10
BOOTSTRAP_SAMPLES = 1000
# Above this many values on a side, a normal approximation replaces the bootstrap (same verdicts, far less work).
BOOTSTRAP_MAX_N = 1000
IMPROVED, WORSE, NO_CHANGE, TOO_SMALL = "improved", "worse", "no clear change", "no clear change (n too small)"


# -- response times -----------------------------------------------------------

def _stats_long(wide: pd.DataFrame, metrics: dict[str, str], keys: list[str]) -> pd.DataFrame:
    """Wide ``<metric>__<stat>`` columns -> one row per (keys, metric), metric by metric, made as one frame
    (a frame per metric, grown a column at a time, took 60 ms for the response times table)."""
    columns = keys + ["metric", "label", "incidents", "n", "unknown", *STATS, "small_sample"]
    if not metrics or wide.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})
    names = list(metrics)
    rows = len(wide)
    long = (pd.concat([wide[keys]] * len(names), ignore_index=True) if keys
            else pd.DataFrame(index=range(rows * len(names))))
    incidents = np.tile(wide["incidents"].to_numpy("int64"), len(names))
    n = np.concatenate([wide[f"{m}__n"].to_numpy("int64") for m in names])
    values = {
        "metric": np.repeat(np.array(names, dtype=object), rows),
        "label": np.repeat(np.array([metrics[m] for m in names], dtype=object), rows),
        "incidents": incidents, "n": n, "unknown": incidents - n,
        **{stat: np.concatenate([wide[f"{m}__{stat}"].to_numpy("float64", na_value=np.nan) for m in names])
           for stat in STATS},
        "small_sample": n < MIN_BUCKET_N,
    }
    return pd.concat([long, pd.DataFrame(values)], axis=1)[columns]


def _dtype(column: str) -> str:
    if column in ("incidents", "n", "unknown"):
        return "int64"
    if column == "small_sample":
        return "bool"
    if column == "period_start":
        return "datetime64[s]"
    if column in STATS:
        return "float64"
    return "object"


def response_time_stats(con, filters: Filters) -> pd.DataFrame:
    """Per response metric over the selection: n (known), unknown, mean, median, p90, min, max (minutes)."""
    wide = store.incident_aggregates(con, filters, _sql(RESPONSE_METRICS))
    stats = _stats_long(wide, RESPONSE_METRICS, [])
    if stats.empty:
        stats = pd.DataFrame({
            "metric": list(RESPONSE_METRICS), "label": list(RESPONSE_METRICS.values()),
            "incidents": 0, "n": 0, "unknown": 0, **{s: math.nan for s in STATS}, "small_sample": True,
        })
    return stats


def response_time_trend(con, filters: Filters, period: str = "month", by: str | None = None,
                        metrics: list[str] | None = None) -> pd.DataFrame:
    """The same statistics per period (``month``/``quarter``) and group (``None``/``severity``/``team``).

    ``incidents`` is the bucket's size and ``small_sample`` flags buckets with
    fewer than ``MIN_BUCKET_N`` known values.
    """
    chosen = {m: RESPONSE_METRICS[m] for m in (metrics or RESPONSE_METRICS)}
    wide = store.incident_aggregates(con, filters, _sql(chosen), period=period, by=by)
    return _stats_long(wide, chosen, ["period_start", "group"])


def time_breakdown(con, filters: Filters, period: str = "quarter", by: str | None = "severity") -> pd.DataFrame:
    """Where the time goes: the median minutes of each consecutive phase per period and group.

    Each phase's median is over the incidents that report that phase, so the
    stacked medians show which phase dominates; they need not add up to the
    median duration.
    """
    chosen = {m: RESPONSE_METRICS[m] for m in CONSECUTIVE_PHASES}
    wide = store.incident_aggregates(con, filters, _sql(chosen), period=period, by=by, stats=("n", "median"))
    names, rows = list(chosen), len(wide)
    # Made as one frame from whole columns (a frame per phase, then concatenated, took half as long again).
    return pd.DataFrame({
        "period_start": np.tile(wide["period_start"].to_numpy(), len(names)),
        "group": np.tile(wide["group"].to_numpy(), len(names)),
        "phase": np.repeat(names, rows), "label": np.repeat([chosen[m] for m in names], rows),
        "median_min": np.concatenate([wide[f"{m}__median"].to_numpy("float64", na_value=np.nan) for m in names]),
        "n": np.concatenate([wide[f"{m}__n"].to_numpy("int64") for m in names]),
    })


def _sql(metrics: dict[str, str]) -> dict[str, str]:
    return {m: store.RESPONSE_METRIC_SQL.get(m) or store.COUNT_METRIC_SQL[m] for m in metrics}


def incident_counts(con, filters: Filters, period: str = "month", by: str | None = "severity") -> pd.DataFrame:
    """Incidents per period and group (``period_start``, ``group``, ``incidents``)."""
    wide = store.incident_aggregates(con, filters, {}, period=period, by=by, stats=())
    return wide[["period_start", "group", "incidents"]]


# -- comparisons --------------------------------------------------------------

def compare_values(current: np.ndarray, previous: np.ndarray, statistic: str = "median",
                   higher_is_better: bool = False, seed: int = 0, samples: int = BOOTSTRAP_SAMPLES,
                   confidence: float = 0.95) -> dict:
    """Change of a statistic between two samples, with a confidence interval for the change.

    The interval is a seeded percentile bootstrap (the same inputs give the
    same interval). Above ``BOOTSTRAP_MAX_N`` values on a side, resampling
    costs more than it tells, and a normal approximation is used instead (for
    a median, its standard error from the distribution-free order-statistic
    interval). The verdict is ``improved``/``worse`` only when the whole
    interval lies on one side of zero, and ``no clear change (n too small)``
    when either side has fewer than ``MIN_COMPARE_N`` values.
    """
    current = np.asarray(current, dtype=float)
    previous = np.asarray(previous, dtype=float)
    reduce = {"median": np.median, "mean": np.mean, "sum": np.sum}[statistic]
    result = {
        "current_n": int(current.size), "previous_n": int(previous.size),
        "current": float(reduce(current)) if current.size else math.nan,
        "previous": float(reduce(previous)) if previous.size else math.nan,
        "change": math.nan, "ci_low": math.nan, "ci_high": math.nan, "verdict": TOO_SMALL,
    }
    if current.size and previous.size:
        result["change"] = result["current"] - result["previous"]
    if current.size < MIN_COMPARE_N or previous.size < MIN_COMPARE_N:
        return result
    alpha = (1 - confidence) / 2
    if max(current.size, previous.size) > BOOTSTRAP_MAX_N:
        z = _normal_quantile(1 - alpha)
        spread = math.hypot(_standard_error(current, statistic), _standard_error(previous, statistic))
        low, high = result["change"] - z * spread, result["change"] + z * spread
    else:
        rng = np.random.default_rng(seed)
        boot_current = reduce(rng.choice(current, size=(samples, current.size), replace=True), axis=1)
        boot_previous = reduce(rng.choice(previous, size=(samples, previous.size), replace=True), axis=1)
        low, high = np.quantile(boot_current - boot_previous, [alpha, 1 - alpha])
    result["ci_low"], result["ci_high"] = float(low), float(high)
    if low > 0 or high < 0:
        went_up = low > 0
        result["verdict"] = IMPROVED if went_up == higher_is_better else WORSE
    else:
        result["verdict"] = NO_CHANGE
    return result


def _standard_error(values: np.ndarray, statistic: str) -> float:
    """Standard error of a large sample's median, mean or sum."""
    n = values.size
    if statistic == "mean":
        return float(values.std(ddof=1) / math.sqrt(n))
    if statistic == "sum":
        return float(values.std(ddof=1) * math.sqrt(n))
    ordered = np.sort(values)
    half_width = 1.96 * math.sqrt(n) / 2
    low, high = int(max(0, math.floor(n / 2 - half_width))), int(min(n - 1, math.ceil(n / 2 + half_width)))
    return float((ordered[high] - ordered[low]) / (2 * 1.96))


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def compare_counts(current: int, previous: int, higher_is_better: bool = False, alpha: float = 0.05) -> dict:
    """Change in a count between two equally long periods, tested with an exact binomial test.

    Given ``current + previous`` events, equal rates put each in either period
    with probability 1/2; a two-sided p-value under ``alpha`` is a clear change.
    Above 1,000 events the normal approximation (with continuity correction)
    stands in for the exact sum, which it matches to many decimals there.
    """
    total = current + previous
    result = {"current": current, "previous": previous, "change": current - previous, "p_value": math.nan,
              "verdict": TOO_SMALL}
    if total < MIN_COMPARE_N:
        return result
    k = min(current, previous)
    if total > 1000:
        from statistics import NormalDist

        tail = NormalDist(total / 2, math.sqrt(total) / 2).cdf(k + 0.5)
    else:
        tail = sum(math.comb(total, i) for i in range(k + 1)) / 2 ** total
    p_value = min(1.0, 2 * tail)
    result["p_value"] = p_value
    if p_value < alpha and current != previous:
        result["verdict"] = IMPROVED if (current > previous) == higher_is_better else WORSE
    else:
        result["verdict"] = NO_CHANGE
    return result


def period_bounds(as_of: date, period: str) -> tuple[tuple[date, date], tuple[date, date]]:
    """(current, previous) date ranges: the period holding ``as_of`` so far, and the whole one before it."""
    if period == "quarter":
        start = quarter_start(as_of)
        previous_start = quarter_start(start - timedelta(days=1))
    elif period == "month":
        start = as_of.replace(day=1)
        previous_start = (start - timedelta(days=1)).replace(day=1)
    else:
        raise ValueError(f"period must be 'month' or 'quarter', not {period!r}")
    return (start, as_of), (previous_start, start - timedelta(days=1))


def compare_metric(con, current: Filters, previous: Filters, metric: str, statistic: str = "median",
                   higher_is_better: bool = False, seed: int = 0) -> dict:
    """:func:`compare_values` of one metric between two filters (usually two date ranges)."""
    expression = _sql({metric: ""})[metric]
    return compare_values(store.metric_values(con, current, expression), store.metric_values(con, previous, expression),
                          statistic=statistic, higher_is_better=higher_is_better, seed=seed)


def period_comparison(con, filters: Filters, as_of: date, period: str = "quarter",
                      metrics: tuple[str, ...] = ("time_to_detect_min", "time_to_respond_min", "duration_min"),
                      seed: int = 0) -> pd.DataFrame:
    """This period (so far) against the previous one, per metric: medians, change, 95% CI and verdict.

    The filter's own date range is replaced by the two periods; its other
    choices (severity, team, apps) apply to both.
    """
    (cur_from, cur_to), (prev_from, prev_to) = period_bounds(as_of, period)
    rows = []
    for metric in metrics:
        result = compare_metric(con, filters.with_dates(cur_from, cur_to), filters.with_dates(prev_from, prev_to),
                                metric, seed=seed)
        rows.append({"metric": metric, "label": RESPONSE_METRICS.get(metric, metric),
                     "current_from": cur_from, "current_to": cur_to, "previous_from": prev_from,
                     "previous_to": prev_to, **result})
    return pd.DataFrame(rows)


# -- blast radius -------------------------------------------------------------

def blast_radius(con, filters: Filters, period: str | None = None, by: str | None = None) -> pd.DataFrame:
    """Per period/group: incidents, and for clinics, providers and patients the total, median and
    how many incidents left it unknown (an unknown is never summed as 0)."""
    wide = store.incident_aggregates(con, filters, _sql(BLAST_METRICS), period=period, by=by,
                                     stats=("n", "sum", "median"))
    keys = (["period_start"] if period else []) + ["group", "incidents"]
    out = wide[keys].copy()
    for metric in BLAST_METRICS:
        out[f"{metric}_total"] = wide[f"{metric}__sum"].astype("Int64")
        out[f"{metric}_median"] = wide[f"{metric}__median"].astype("float64")
        out[f"{metric}_known"] = wide[f"{metric}__n"].astype("int64")
        out[f"{metric}_unknown"] = (wide["incidents"] - wide[f"{metric}__n"]).astype("int64")
    return out


def impact_minutes(con, filters: Filters, period: str | None = None, by: str | None = "team") -> pd.DataFrame:
    """Harm as people x time: patients affected x duration and clinics affected x duration, summed,
    with the number of incidents whose impact is unknown (count or duration unknown)."""
    metrics = {"patient_impact_min": "", "clinic_impact_min": ""}
    wide = store.incident_aggregates(con, filters, _sql(metrics), period=period, by=by, stats=("n", "sum"))
    keys = (["period_start"] if period else []) + ["group", "incidents"]
    out = wide[keys].copy()
    for metric in metrics:
        out[metric] = wide[f"{metric}__sum"].astype("float64")
        out[f"{metric}_unknown"] = (wide["incidents"] - wide[f"{metric}__n"]).astype("int64")
    return out


def most_harmful(con, filters: Filters, limit: int = 5) -> pd.DataFrame:
    """The incidents with the most patient impact-minutes (then clinic impact-minutes); unknown impact last."""
    return store.incident_table(con, filters, harmful_only=True, limit=limit)


def app_heatmap(con, filters: Filters) -> pd.DataFrame:
    """Incidents per audience (rows) x platform (columns); 0 where no matching incident named that pair."""
    counts = store.app_counts(con, filters)
    platforms = [p for p in ("Web", "iOS", "Android", "CWS APIs", "All") if p in set(counts["platform"])]
    audiences = [a for a in ("Patient", "Provider", "Unspecified") if a in set(counts["audience"])]
    if counts.empty:
        return pd.DataFrame(dtype="int64")
    grid = counts.pivot_table(index="audience", columns="platform", values="incidents", aggfunc="sum", fill_value=0)
    return grid.reindex(index=audiences, columns=platforms, fill_value=0).astype("int64")


# -- action items -------------------------------------------------------------

ACTION_COLUMNS = ["total", "done", "open", "wontfix", "completion_rate", "done_on_time", "due", "due_done_on_time",
                  "on_time_rate", "overdue", "open_age_days_median", "open_age_days_max"]


def action_items(con, filters: Filters, as_of: date) -> pd.DataFrame:
    """Every action item of the selection with ``done_on_time``, ``overdue``, ``days_overdue`` and
    ``open_age_days`` as of ``as_of``."""
    return store.action_item_rows(con, filters, as_of)


def action_item_summary(con, filters: Filters, as_of: date, by: tuple[str, ...] = ("priority",),
                        period: str | None = None) -> pd.DataFrame:
    """Per group (any of ``priority``, ``team``, ``owner``, ``severity``, and ``period_start`` when
    ``period`` is given): total, done, open, won't fix, completion rate, done on time, due (deadline passed
    by ``as_of``), due and done on time, the on-time rate (the last ÷ due), overdue now, and the median/max
    age of open items in days.

    Completion rate = done / (total - won't fix). On-time rate = done on time /
    items whose deadline has passed by ``as_of``, done or not (an open item past
    its deadline is late; one not yet due is left out). By team, an item counts
    in each of its incident's teams.
    """
    return action_item_summaries(con, filters, as_of, (("period_start",) * bool(period) + tuple(by),), period)[0]


def action_item_summaries(con, filters: Filters, as_of: date, groupings: tuple[tuple[str, ...], ...],
                          period: str | None = None) -> tuple[pd.DataFrame, ...]:
    """:func:`action_item_summary` for each of ``groupings`` (tuples of its keys, ``period_start`` among them
    for a period, which then comes first): the same frames, all from one query
    (:func:`store.action_item_aggregate_sets`)."""
    for grouping in groupings:
        if "period_start" in grouping[1:] or ("period_start" in grouping and not period):
            raise ValueError(f"period_start goes first in a grouping, and needs a period: {grouping!r}")
    if not groupings:
        return ()
    rows = store.action_item_aggregate_sets(con, filters, as_of, groupings, period)
    summaries = []
    for grouping in groupings:
        first = next(i for i, g in enumerate(groupings) if set(g) == set(grouping))
        part = rows[rows["grouping_set"] == first]
        if groupings[first] != grouping:
            part = part.sort_values(list(grouping), na_position="last", kind="stable")
        summaries.append(_summary_frame(part, list(grouping)))
    return tuple(summaries)


_SUMMARY_COUNTS = ("total", "done", "open", "wontfix", "done_on_time", "due", "due_done_on_time", "overdue")


def _summary_frame(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts of a grouping (``keys``) as :func:`action_item_summary` gives them: rates, types, priority order.
    Built from arrays in one go: a page asks for four of these per run, and a frame changed column by
    column took a tenth of the action items page's Python."""
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in keys + ACTION_COLUMNS})
    columns = {k: rows[k].array for k in keys}
    if "period_start" in keys:
        columns["period_start"] = pd.to_datetime(rows["period_start"]).array
    columns |= {c: rows[c].to_numpy(dtype="int64") for c in _SUMMARY_COUNTS}
    # Done items none of which has both dates: how many were on time is unknown, not 0.
    unknown = (rows["done_on_time_known"].to_numpy(dtype="int64") == 0) & (columns["done"] > 0)
    columns["done_on_time"] = pd.arrays.IntegerArray(columns["done_on_time"], unknown)
    columns["completion_rate"] = _rate(columns["done"], columns["total"] - columns["wontfix"])
    columns["on_time_rate"] = _rate(columns["due_done_on_time"], columns["due"])
    for c in ("open_age_days_median", "open_age_days_max"):
        columns[c] = rows[c].to_numpy(dtype="float64", na_value=np.nan)
    if "priority" in keys:
        order = {p: i for i, p in enumerate(PRIORITIES + ("No priority",))}
        rank = np.fromiter((order[p] for p in rows["priority"].tolist()), dtype=np.int64, count=len(rows))
        # As NumPy arrays: pandas 2.2 takes its own NumPy-backed extension arrays for lists here and warns
        # (a FutureWarning). The keys are strings and naive datetimes, which sort the same either way.
        others = [pd.factorize(np.asarray(columns[k]), sort=True, use_na_sentinel=False)[0]
                  for k in reversed(keys) if k != "priority"]
        at = np.lexsort([rank, *others])
        columns = {c: values[at] for c, values in columns.items()}
    return pd.DataFrame({c: columns[c] for c in keys + ACTION_COLUMNS})


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator as float, NaN where the denominator is 0 (nothing to divide)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def overdue_items(con, filters: Filters, as_of: date, limit: int | None = None) -> pd.DataFrame:
    """Open items past their deadline as of ``as_of``, most days overdue first (the first ``limit``)."""
    items = store.action_item_rows(con, filters, as_of, overdue_only=True, limit=limit)
    columns = ["incident_id", "title", "action_id", "priority", "description", "owner", "ticket", "ticket_url",
               "due_at", "days_overdue", "status_in_doc", "status_source"]
    return items[columns].reset_index(drop=True)


CHASE_COLUMNS = ["priority", "owner", "teams", "days_overdue", "ticket", "ticket_url", "incident_id", "title",
                 "action_id", "description", "due_at"]


def chase(con, filters: Filters, as_of: date, priorities: tuple[str, ...] = ("P0", "P1"),
          limit: int | None = None) -> tuple[pd.DataFrame, dict]:
    """Who to chase, in one query: (:func:`chase_list` of the first ``limit``, :func:`chase_summary` of all)."""
    rows = store.chase_rows(con, filters, as_of, priorities, limit)
    if rows.empty:
        summary = {"items": 0, "owners": 0, "most_overdue": None}
    else:
        most_overdue = rows["most_overdue"].iloc[0]
        summary = {"items": int(rows["chase_items"].iloc[0]), "owners": int(rows["chase_owners"].iloc[0]),
                   "most_overdue": tuple(most_overdue[key] for key in ("owner", "days_overdue", "incident_id", "action_id"))}
    return rows[CHASE_COLUMNS].astype({"days_overdue": "int64"}).reset_index(drop=True), summary


def chase_list(con, filters: Filters, as_of: date, priorities: tuple[str, ...] = ("P0", "P1"),
               limit: int | None = None) -> pd.DataFrame:
    """Who to chase: open items of ``priorities`` past their deadline as of ``as_of``, the deciding
    columns first, grouped by the incident's teams then owner, most days overdue first in each group."""
    return chase(con, filters, as_of, priorities, limit)[0]


def chase_summary(con, filters: Filters, as_of: date, priorities: tuple[str, ...] = ("P0", "P1")) -> dict:
    """The chase list at a glance: ``items``, ``owners`` (distinct, "(no owner)" counting as one) and the
    most overdue item (``most_overdue``: owner, days overdue, incident id, action id)."""
    return chase(con, filters, as_of, priorities, limit=1)[1]


def follow_through(con, filters: Filters) -> pd.DataFrame:
    """Per incident: action items done / total (``done_share`` is NULL for an incident with none)."""
    table = store.incident_table(con, filters)[["incident_id", "title", "action_items_done", "action_items_total"]]
    return table.assign(done_share=_ratio(table["action_items_done"], table["action_items_total"]))


# -- participants -------------------------------------------------------------

def participants(con, filters: Filters, period: str | None = "quarter", by: str | None = None) -> pd.DataFrame:
    """Engineers involved per incident (TechOps, software, security, all) and teams per incident,
    per period: mean and median over the incidents that report them, and how many do not (a post-mortem
    that lists no team says nothing about how many were involved: unknown, not 0)."""
    metrics = {**PARTICIPANT_METRICS, "teams_involved": "Teams involved"}
    sql = {**_sql(PARTICIPANT_METRICS),
           "teams_involved": "(SELECT nullif(count(*), 0) FROM incident_teams ct WHERE ct.incident_id = i.incident_id)"}
    wide = store.incident_aggregates(con, filters, sql, period=period, by=by, stats=("n", "mean", "median", "sum"))
    keys = (["period_start"] if period else []) + ["group", "incidents"]
    out = wide[keys].copy()
    for metric in metrics:
        out[f"{metric}_mean"] = wide[f"{metric}__mean"].astype("float64")
        out[f"{metric}_median"] = wide[f"{metric}__median"].astype("float64")
        out[f"{metric}_unknown"] = (wide["incidents"] - wide[f"{metric}__n"]).astype("int64")
    return out


def incidents_per_team(con, filters: Filters, period: str | None = None) -> pd.DataFrame:
    """Incidents per team (an incident with two teams counts for both), most first."""
    wide = store.incident_aggregates(con, filters, {}, period=period, by="team", stats=())
    keys = (["period_start"] if period else []) + ["group"]
    out = wide[keys + ["incidents"]].rename(columns={"group": "team"})
    return out.sort_values((["period_start"] if period else []) + ["incidents", "team"],
                           ascending=([True] if period else []) + [False, True]).reset_index(drop=True)


TEAM_COLUMNS = ["team", "incidents", "sev1", "median_duration_min", "p90_duration_min", "median_time_to_detect_min",
                "patients_affected", "patients_affected_unknown", "patient_impact_min", "overdue_p0_p1",
                "off_hours_share", "fully_reviewed_share", "incidents_per_quarter"]


# What the Teams page can sort by, each worst (or largest) first.
TEAM_SORTS = {
    "incidents": "Incidents", "sev1": "SEV1 incidents", "median_duration_min": "Median time to recover",
    "p90_duration_min": "p90 time to recover", "median_time_to_detect_min": "Median time to detect",
    "patients_affected": "Patients affected", "patient_impact_min": "Patient impact-minutes",
    "overdue_p0_p1": "Overdue P0/P1 items", "off_hours_share": "Off-hours share",
    "fully_reviewed_share": "Fully reviewed (least first)",
}


def team_table(con, filters: Filters, as_of: date, quarters: list[date] | None = None,
               sort_by: str = "incidents") -> pd.DataFrame:
    """One row per team, most incidents first: incidents, SEV1s, median and p90 time to recover, median
    time to detect, patients affected (sum of known, and incidents unknown), patient impact-minutes,
    overdue P0/P1 items as of ``as_of``, off-hours share, share of post-mortems fully reviewed, and
    ``incidents_per_quarter`` (a list, one count per quarter in ``quarters``, default the quarters of
    the filter's range or of the data). Sorted by ``sort_by`` (a :data:`TEAM_SORTS` key), largest first
    (least reviewed first), unknown last, then by team.

    An incident with several teams counts once for each of them."""
    sql = {**_sql({"duration_min": "", "time_to_detect_min": "", "patients_affected": "", "patient_impact_min": ""}),
           "sev1": "CASE WHEN i.severity = 'SEV1' THEN 1 END"}
    wide = store.incident_aggregates(con, filters, sql, by="team", stats=("n", "median", "p90", "sum"))
    if wide.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in TEAM_COLUMNS})
    out = pd.DataFrame({
        "team": wide["group"], "incidents": wide["incidents"].astype("int64"),
        "sev1": wide["sev1__n"].astype("int64"),
        "median_duration_min": wide["duration_min__median"], "p90_duration_min": wide["duration_min__p90"],
        "median_time_to_detect_min": wide["time_to_detect_min__median"],
        "patients_affected": wide["patients_affected__sum"].astype("Int64"),
        "patients_affected_unknown": (wide["incidents"] - wide["patients_affected__n"]).astype("int64"),
        "patient_impact_min": wide["patient_impact_min__sum"].astype("float64"),
    }).set_index("team")
    items = store.action_item_aggregates(con, filters, as_of, by=("team", "priority"))
    urgent = items[items["priority"].isin(("P0", "P1"))].groupby("team")["overdue"].sum()
    out["overdue_p0_p1"] = urgent.reindex(out.index).fillna(0).astype("int64")
    hours = store.off_hours_counts(con, filters, period=None, by="team").set_index("group")
    out["off_hours_share"] = _ratio(hours["off_hours"], hours["known"]).reindex(out.index)
    reviewed = store.review_aggregates(con, filters, "quarter").groupby("team")[["fully_reviewed", "post_mortems"]].sum()
    out["fully_reviewed_share"] = _ratio(reviewed["fully_reviewed"], reviewed["post_mortems"]).reindex(out.index)
    if quarters is None:
        first, last = filters.date_from, filters.date_to
        if first is None or last is None:
            bounds = store.date_bounds(con)
            first, last = first or bounds[0], last or bounds[1]
        quarters = quarter_starts(first, last)
    per_quarter = store.incident_aggregates(con, filters, {}, period="quarter", by="team", stats=())
    per_quarter["period_start"] = pd.to_datetime(per_quarter["period_start"]).dt.date
    grid = per_quarter.pivot_table(index="group", columns="period_start", values="incidents", aggfunc="sum",
                                   fill_value=0)
    grid = grid.reindex(index=out.index, columns=quarters, fill_value=0).fillna(0).astype("int64")
    out["incidents_per_quarter"] = [list(map(int, row)) for row in grid.to_numpy()]
    out = out.reset_index()
    keys = list(dict.fromkeys([sort_by if sort_by in TEAM_SORTS else "incidents", "incidents", "team"]))
    ascending = [key in ("fully_reviewed_share", "team") for key in keys]
    out = out.sort_values(keys, ascending=ascending, na_position="last", kind="stable")
    return out.astype({c: "float64" for c in ("median_duration_min", "p90_duration_min", "median_time_to_detect_min",
                                               "off_hours_share", "fully_reviewed_share")})[TEAM_COLUMNS].reset_index(drop=True)


def team_highlights(teams: pd.DataFrame) -> dict:
    """The Teams page's answer at a glance, from :func:`team_table`: the team with the most incidents
    (and its SEV1s), the slowest median and the worst p90 time to recover (teams with at least
    ``MIN_BUCKET_N`` known durations' worth of incidents only, so one slow incident does not crown a team)."""
    teams = teams[teams["team"] != store.NO_TEAM]
    if teams.empty:
        return {}
    busiest = teams.sort_values(["incidents", "sev1", "team"], ascending=[False, False, True]).iloc[0]
    enough = teams[teams["incidents"] >= MIN_BUCKET_N]
    out = {"most_incidents": (busiest["team"], int(busiest["incidents"]), int(busiest["sev1"]))}
    for key, column in (("slowest_median", "median_duration_min"), ("worst_p90", "p90_duration_min")):
        known = enough.dropna(subset=[column])
        if not known.empty:
            row = known.sort_values([column, "team"], ascending=[False, True]).iloc[0]
            out[key] = (row["team"], float(row[column]))
    return out


def quarter_starts(first: date | None, last: date | None) -> list[date]:
    """The first day of every quarter from ``first``'s to ``last``'s (empty without both)."""
    if first is None or last is None:
        return []
    starts, day = [], quarter_start(first)
    while day <= last:
        starts.append(day)
        day = date(day.year + (day.month == 10), (day.month + 2) % 12 + 1, 1)
    return starts


# -- data quality -------------------------------------------------------------

def field_completeness(con, filters: Filters) -> pd.DataFrame:
    """Per template field: how many post-mortems filled it, left the placeholder, or left it out; emptiest first."""
    gaps = store.field_state_counts(con, filters).set_index("attribute")
    matching = int(gaps["incidents"].iloc[0]) if not gaps.empty else int(sum(store.severity_counts(con, filters).values()))
    rows = []
    for label, attr in TEMPLATE_FIELDS:
        placeholder = int(gaps["placeholder"].get(attr, 0))
        missing = int(gaps["missing"].get(attr, 0))
        rows.append({"field": label, "attribute": attr, "filled": matching - placeholder - missing,
                     "placeholder": placeholder, "missing": missing,
                     "filled_share": (matching - placeholder - missing) / matching if matching else math.nan})
    return pd.DataFrame(rows).sort_values(["filled_share", "field"]).reset_index(drop=True)


def completeness_by_incident(con, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """Per post-mortem, least complete first: share of the template's fields filled, and which are empty."""
    labels = {attr: label for label, attr in TEMPLATE_FIELDS}
    scores = store.completeness_rows(con, filters, len(TEMPLATE_FIELDS), limit)
    order = {attr: i for i, (_, attr) in enumerate(TEMPLATE_FIELDS)}
    scores["empty_fields"] = [", ".join(labels[a] for a in sorted(attrs, key=order.get)) for attrs in scores.pop("empty_attributes")]
    return scores.astype({"completeness": "float64"})


def completeness_by_team(con, filters: Filters) -> pd.DataFrame:
    """Per team: post-mortems and their mean completeness (share of template fields filled)."""
    return store.completeness_by_team(con, filters, len(TEMPLATE_FIELDS)).astype({"completeness": "float64"})


def tracker_report(con, filters: Filters, limit: int | None = None) -> dict:
    """Action items against the ticket tracker exports: ``counts`` (items, with a ticket, in an export,
    status from the tracker, document and tracker disagree, ticket in no export), ``exports`` (each
    export read, its date, status and tickets), and the items that ``disagree`` and whose ticket is in
    no export (``not_in_export``): the first ``limit`` of each, newest incident first."""
    return {"counts": store.tracker_counts(con, filters), "exports": store.ticket_export_rows(con),
            **{which: store.tracker_items(con, filters, which, limit) for which in store.TRACKER_LISTS}}


def tracker_counts(con, filters: Filters) -> dict:
    """:func:`tracker_report`'s counts alone."""
    return store.tracker_counts(con, filters)


def tracker_items(con, filters: Filters, which: str) -> pd.DataFrame:
    """Every action item of :func:`tracker_report`'s ``disagree`` or ``not_in_export`` list."""
    return store.tracker_items(con, filters, which)


def load_summary(con) -> dict:
    """Files seen, loaded, with warnings and rejected by the last load, its source and time."""
    return store.load_summary(con)


def load_report(con, limit: int | None = None) -> dict:
    """The last load's summary, files per status, its problems (the first ``limit``) and their count."""
    return {"summary": store.load_summary(con), "files": store.source_file_counts(con),
            "problems": store.load_problems(con, limit), "problem_count": store.load_problem_count(con)}


# -- headline -----------------------------------------------------------------

def headline(con, filters: Filters, as_of: date) -> dict:
    """The overview's headline numbers for the selection (``None`` where nothing is known)."""
    row = store.headline_row(con, filters, as_of)
    by_severity = row["incidents_by_severity"]

    def number(name: str, digits: int | None = 2):
        value = row[name]
        return None if value is None or pd.isna(value) else (round(float(value), digits) if digits else int(value))

    def total(column: str):
        return number(f"{column}_total", None) if row[f"{column}_known"] else None

    return {
        "incidents": int(sum(by_severity.values())),
        "incidents_by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES + (store.UNKNOWN_SEVERITY,)
                                  if s in by_severity or s in SEVERITIES},
        **{name: number(name) for name in ("median_time_to_detect_min", "median_time_to_respond_min",
                                           "median_duration_min", "p90_duration_min")},
        "clinics_affected_total": total("clinics_affected"),
        "clinics_affected_unknown": int(row["incidents"] - row["clinics_affected_known"]),
        "patients_affected_total": total("patients_affected"),
        "patients_affected_unknown": int(row["incidents"] - row["patients_affected_known"]),
        **{name: int(row[name]) for name in ("action_items_total", "action_items_done", "action_items_done_on_time",
                                             "action_items_done_on_time_unknown", "action_items_due",
                                             "action_items_overdue", "action_items_overdue_p0_p1")},
        "action_items_on_time_rate": round(row["action_items_due_done_on_time"] / row["action_items_due"], 4)
        if row["action_items_due"] else None,
    }


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """:func:`_rate` of two Series (missing values count as unknown), on the numerator's index."""
    return pd.Series(_rate(numerator.to_numpy(dtype="float64", na_value=np.nan),
                           denominator.to_numpy(dtype="float64", na_value=np.nan)), index=numerator.index)


def _unknown_note(incidents: int) -> str:
    """Under a total: how many incidents it could not count ("+ 1 incident unknown"), or nothing."""
    return f"+ {incidents} incident{'s' if incidents != 1 else ''} unknown" if incidents else ""


def excluded_incidents(con, filters: Filters) -> int:
    """How many drills/tests the selection leaves out of every statistic."""
    return store.excluded_count(con, replace(filters, include_excluded=False))


def selection_counts(con, filters: Filters) -> dict[str, int]:
    """What every page asks first, in one query: ``incidents`` (how many the filter matches, drills/tests
    counted only when it includes them) and ``left_out`` (drills/tests the statistics leave out: 0 when
    the filter includes them)."""
    kept, drills = store.selection_counts(con, filters)
    if filters.include_excluded:
        return {"incidents": kept + drills, "left_out": 0}
    return {"incidents": kept, "left_out": drills}


def excluded_list(con, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """The drills/tests in the selection, each with the word that excluded it (``tag 'Drill'``)."""
    return store.excluded_rows(con, replace(filters, include_excluded=False), limit)


# -- one incident and the incident list -----------------------------------------

def filter_choices(con) -> dict:
    """What the filters can choose from: severities, teams, audiences, platforms, first/last date."""
    choices = store.dimension_values(con)
    choices["first_date"], choices["last_date"] = store.date_bounds(con)
    return choices


def incident_list(con, filters: Filters, search: str | None = None, sort_by: str = "incident_date",
                  descending: bool = True, include_drills: bool = True, limit: int | None = None) -> pd.DataFrame:
    """The incident table: matching incidents (and drills, flagged, unless ``include_drills`` is off),
    optionally searched, sorted (unknown values last whichever the direction) and cut to ``limit`` rows."""
    selection = replace(filters, include_excluded=True) if include_drills else filters
    return store.incident_table(con, selection, search=search or None, sort_by=sort_by, descending=descending,
                                limit=limit)


def incident_count(con, filters: Filters, search: str | None = None, include_drills: bool = True) -> int:
    """How many incidents :func:`incident_list` would give without a limit."""
    selection = replace(filters, include_excluded=True) if include_drills else filters
    return store.incident_count(con, selection, search=search or None)


def distribution(con, filters: Filters, metric: str, points_per_severity: int = 300) -> dict:
    """A metric's spread per severity: box statistics over every incident (``stats``, with the
    1.5 IQR fences) and up to ``points_per_severity`` incidents each to draw (``points``: outliers
    first, then a stable pick), so a chart stays light at 100,000 incidents."""
    expression = _sql({metric: ""})[metric]
    stats = store.distribution_stats(con, filters, expression)
    iqr = stats["q3"] - stats["q1"]
    stats["lower_fence"] = np.maximum(stats["min"], stats["q1"] - 1.5 * iqr)
    stats["upper_fence"] = np.minimum(stats["max"], stats["q3"] + 1.5 * iqr)
    points = store.distribution_points(con, filters, expression, points_per_severity)
    return {"stats": stats, "points": points}


PHASE_LABELS = {m: RESPONSE_METRICS[m] for m in (*CONSECUTIVE_PHASES, "time_to_partial_recovery_min", "duration_min")}
# The same on the incident page's cards, short enough to read whole there (each card's caption gives the span).
PHASE_CARD_LABELS = {**PHASE_LABELS, "time_to_partial_recovery_min": "Partial recovery",
                     "time_to_full_recovery_min": "Time to full recovery"}


def incident_detail(con, incident_id: str, as_of: date) -> dict | None:
    """One incident with everything the incident page shows, or ``None`` for an unknown id.

    ``phases``: each phase's minutes next to the median for incidents of the
    same severity (drills excluded). ``action_items`` carries the on-time and
    overdue flags as of ``as_of``.
    """
    record = store.incident_record(con, incident_id)
    if record is None:
        return None
    incident = record["incident"]
    peers = Filters(severities=(incident["severity"],)) if incident.get("severity") else Filters()
    medians = response_time_stats(con, peers).set_index("metric")
    record["phases"] = pd.DataFrame([
        {"metric": metric, "label": label, "card_label": PHASE_CARD_LABELS[metric],
         "minutes": _none_if_nan(incident.get(metric)),
         "severity_median": _none_if_nan(medians.loc[metric, "median"]), "severity_n": int(medians.loc[metric, "n"])}
        for metric, label in PHASE_LABELS.items()
    ])
    record["action_items"] = store.action_item_rows(con, Filters(include_excluded=True), as_of, incident_id)
    record["peer_label"] = incident.get("severity") or "all severities"
    record["repeats"] = recurrences(con, Filters(include_excluded=True), later_id=incident_id)
    items = record["action_items"]
    urgent = items[items["priority"].isin(("P0", "P1")) & items["overdue"].fillna(False).astype(bool)]
    record["overdue_p0_p1"] = {"count": len(urgent),
                               "max_days": int(urgent["days_overdue"].max()) if len(urgent) else None}
    record["phase_order"] = _phase_order(incident)
    zone = _zone(incident.get("timezone"))
    record["tz_label"] = zone.name if incident.get("timezone") else "UTC (no timezone given)"
    record["local"] = {k: _local(v, zone) for k, v in incident.items() if k.endswith("_at")}
    timeline = record["timeline"].copy()
    timeline["at"] = [_local(v, zone) for v in timeline["at"]]
    record["timeline_local"] = timeline
    # Deadlines on the same clock as the timeline beside them (a 48-hour P0 ends at the hour it resolved).
    record["action_items"] = items.assign(due_local=pd.Series([_local(v, zone) for v in items["due_at"]],
                                                              index=items.index, dtype="object"))
    record["sources"] = _explained(record["sources"])
    return record


# Each phase's span in the template's words: where it starts and where it ends.
PHASE_SPANS = {
    "time_to_detect_min": "start → detected", "time_to_respond_min": "detected → responding",
    "time_to_understand_min": "responding → understood", "time_to_partial_recovery_min": "responding → partial recovery",
    "time_to_solution_min": "understood → solution", "time_to_full_recovery_min": "solution → full recovery",
    "duration_min": "start → resolved",
}
_PHASE_ENDS = {"time_to_detect_min": "detected_at", "time_to_respond_min": "responded_at",
               "time_to_understand_min": "understood_at", "time_to_partial_recovery_min": "partially_recovered_at",
               "time_to_solution_min": "solution_at", "time_to_full_recovery_min": "resolved_at"}


def _phase_order(incident: dict) -> list[str]:
    """The template's phases in the order this incident reached their ends (template order where a moment
    is unknown, or for a tie): partial recovery falls wherever it happened."""
    template = list(_PHASE_ENDS)
    ends = {m: incident.get(column) for m, column in _PHASE_ENDS.items()}
    known = sorted((m for m in template if ends[m] is not None and not pd.isna(ends[m])),
                   key=lambda m: (pd.Timestamp(ends[m]), template.index(m)))
    ordered, rest = [], [m for m in template if m not in known]
    for metric in template:
        if metric in rest:
            ordered.append(metric)
        else:
            ordered.append(known.pop(0))
    return ordered


# How the incident page names the fields whose sources it lists, in the order it lists them.
SOURCE_LABELS = {
    "title": "Title", "severity": "Severity", "incident_date": "Date", "timezone": "Time zone",
    "started_at": "Started", "detected_at": "Detected", "responded_at": "Responding", "understood_at": "Understood",
    "partially_recovered_at": "Partial recovery", "solution_at": "Solution", "resolved_at": "Resolved",
    "duration_min": "Time to recover (start → resolved)", "time_to_detect_min": "Time to detect",
    "time_to_respond_min": "Time to respond", "time_to_understand_min": "Time to understand",
    "time_to_partial_recovery_min": "Time to partial recovery", "time_to_solution_min": "Time to solution",
    "time_to_full_recovery_min": "Time from solution to full recovery", "clinics_affected": "Clinics affected",
    "providers_affected": "Providers affected", "patients_affected": "Patients affected",
    "techops_engineers": "TechOps engineers", "software_engineers": "Software engineers",
    "security_engineers": "Security engineers", "apps": "Apps/APIs affected", "teams": "Teams",
    "author": "Author", "investigation_doc_name": "Investigation doc", "investigation_doc_url": "Investigation doc link",
    "impact_summary": "Impact summary", "timeline": "Timeline", "action_items": "Action items",
    "exclude_reason": "Drill", "incident_id": "Id",
}


def _explained(sources: pd.DataFrame) -> pd.DataFrame:
    """Each field's source with the name the page gives the field, in the page's order."""
    order = {field: i for i, field in enumerate(SOURCE_LABELS)}
    out = sources.assign(label=sources["field"].map(SOURCE_LABELS).fillna(sources["field"]),
                         order=sources["field"].map(order).fillna(len(order)))
    return out.sort_values(["order", "field"]).drop(columns="order").reset_index(drop=True)


def _zone(name):
    from pm_analytics.parse.values import resolve_timezone

    try:
        return resolve_timezone(name or "UTC")
    except ValueError:
        return resolve_timezone("UTC")


def _local(value, zone):
    """A stored UTC timestamp on the incident's own clock (naive, for plotting), or ``None``."""
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert(zone.tz).tz_localize(None).to_pydatetime()


def _none_if_nan(value):
    if value is None:
        return None
    try:
        return None if pd.isna(value) else float(value)
    except (TypeError, ValueError):
        return None


# -- overview ---------------------------------------------------------------------

def data_coverage(con, data_since: date | None = None) -> date | None:
    """The first day the data covers: the earliest post-mortem's date, or ``data_since`` (a setting) when
    that is earlier. Before it, no post-mortem says nothing about how many incidents there were."""
    first, _ = store.date_bounds(con)
    if first is None:
        return data_since
    return min(first, data_since) if data_since else first


def window_coverage(window: tuple[date, date], covered_from: date | None, as_of: date) -> dict:
    """How much of a date window the data covers: ``days``, ``covered_days`` and ``covered`` (the
    covered part's first and last day, ``None`` when none is covered)."""
    start, end = window
    days = (end - start).days + 1
    first = max(start, covered_from) if covered_from else None
    last = min(end, as_of)
    covered = (first, last) if first is not None and first <= last else None
    return {"days": days, "covered_days": (covered[1] - covered[0]).days + 1 if covered else 0, "covered": covered}


def _months(days: int) -> str:
    months = round(days / 30.44)
    return f"{months} month{'s' if months != 1 else ''}" if months >= 1 else f"{days} day{'s' if days != 1 else ''}"


def compare_rates(current: float, previous: float, current_days: int, previous_days: int,
                  higher_is_better: bool = False, alpha: float = 0.05) -> dict:
    """Change in a count between two windows of different covered lengths, per 30 days: an exact binomial
    test of whether the events split between the windows as their lengths would (the equal-length
    :func:`compare_counts` is the case of equal lengths)."""
    result = compare_counts(int(current), int(previous), higher_is_better, alpha)
    if current_days == previous_days or not current_days or not previous_days:
        return result
    share = current_days / (current_days + previous_days)
    total = int(current + previous)
    result.update(current=current, previous=previous,
                  change=30 * (current / current_days - previous / previous_days), p_value=math.nan)
    if total < MIN_COMPARE_N:
        result["verdict"] = TOO_SMALL
        return result
    p_value = _binomial_two_sided(int(current), total, share)
    result["p_value"] = p_value
    if p_value < alpha and current / current_days != previous / previous_days:
        went_up = current / current_days > previous / previous_days
        result["verdict"] = IMPROVED if went_up == higher_is_better else WORSE
    else:
        result["verdict"] = NO_CHANGE
    return result


def _binomial_two_sided(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial p-value: the probability of every outcome no likelier than ``k``
    (the "minlike" rule of R's binom.test and scipy's binomtest)."""
    log_pmf = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
               + i * math.log(p) + (n - i) * math.log1p(-p) for i in range(n + 1)]
    threshold = log_pmf[k] + 1e-7
    return min(1.0, sum(math.exp(v) for v in log_pmf if v <= threshold))


def overview_cards(con, filters: Filters, as_of: date, seed: int = 0, previous: Filters | None = None,
                   data_since: date | None = None, targets: dict | None = None) -> list[dict]:
    """The overview's headline numbers, each against ``previous`` (default: the equally long window
    before) where the filter has a date range: ``key``, ``label``, ``unit`` (count/minutes/percent),
    ``value``, ``previous``, ``change``, ``verdict`` (``None`` when there is nothing to compare),
    ``note``, ``previous_window`` (its first and last day, when compared), ``per_month`` (``change`` is
    per 30 days because a window is only partly covered) and ``how`` (what the comparison could use);
    with ``targets`` (from ``pm-analytics.toml``, see :mod:`pm_analytics.targets`), ``target`` and
    ``on_target`` (``None`` where there is no target or no value).

    A verdict compares like with like: only the part of each window the data covers counts
    (:func:`data_coverage`). When a window is only partly covered, counts and sums are compared per
    month over the covered parts, and the card says so; a window the data does not cover at all gets no
    verdict."""
    previous = previous if previous is not None else filters.previous_period()
    numbers = headline(con, filters, as_of)
    covered_from = data_coverage(con, data_since)
    cover = cover_before = None
    if previous is not None:
        before_from, before_to = previous.date_from, previous.date_to
        cover = window_coverage((filters.date_from, filters.date_to), covered_from, as_of)
        cover_before = window_coverage((previous.date_from, previous.date_to), covered_from, as_of)
        if cover_before["covered_days"] < min(30, cover_before["days"]) or not cover["covered_days"]:
            previous = None
    partial = cover is not None and previous is not None and (
        cover_before["covered_days"] < cover_before["days"] or cover["covered_days"] < cover["days"])
    how = ""
    if cover_before is not None:
        if previous is None:
            how = (f"no comparison: the data starts {covered_from.isoformat()}, so the window before "
                   f"({before_from.isoformat()} – {before_to.isoformat()}) holds less than a month of it"
                   if covered_from and cover["covered_days"] else "")
        elif partial:
            how = (f"the window before covers {_months(cover_before['covered_days'])} of "
                   f"{_months(cover_before['days'])} (data starts {covered_from.isoformat()}); counts compared per month")
    cards = []

    goals = {"mttd": (("time_to_detect_min", "median"), False), "mttr": (("duration_min", "median"), False),
             "on_time": (("action_items_on_time_rate", "rate"), True)}

    def card(key, label, unit, value, result=None, note="", per_month=False):
        compared = result is not None and previous is not None
        goal, higher_is_better = goals.get(key, (None, False))
        target = (targets or {}).get(goal) if goal else None
        cards.append({"key": key, "label": label, "unit": unit, "value": value, "target": target,
                      "on_target": on_target(value, target, higher_is_better),
                      "previous": result["previous"] if result else None,
                      "change": result["change"] if result else None, "verdict": result["verdict"] if result else None,
                      "note": note, "how": how if (compared or key != "overdue") else "",
                      "previous_window": (previous.date_from, previous.date_to) if compared else None,
                      "per_month": bool(per_month and partial and compared)})

    values = (store.period_values(con, filters, previous, _sql({"time_to_detect_min": "", "duration_min": "",
                                                                "patients_affected": ""}))
              if previous else None)

    def compare(metric: str, statistic: str = "median") -> dict | None:
        if values is None:
            return None
        known = values[values[metric].notna()]
        now, before = (known.loc[known["in_current"], metric].to_numpy(dtype=float),
                       known.loc[known["in_previous"], metric].to_numpy(dtype=float))
        if statistic == "sum" and partial:
            result = compare_values(now, before, statistic="sum", seed=seed)
            rated = compare_rates(float(now.sum()), float(before.sum()), cover["covered_days"],
                                  cover_before["covered_days"])
            return {**result, "change": rated["change"], "verdict": result["verdict"] if result["verdict"] == TOO_SMALL
                    else rated["verdict"]}
        return compare_values(now, before, statistic=statistic, seed=seed)

    def counted(current: int, before: int) -> dict:
        if partial:
            return compare_rates(current, before, cover["covered_days"], cover_before["covered_days"])
        return compare_counts(current, before)

    card("incidents", "Incidents", "count", numbers["incidents"],
         counted(numbers["incidents"], int(values["in_previous"].sum())) if previous else None, per_month=True)
    sev1_count = numbers["incidents_by_severity"]["SEV1"]
    include_sev1 = not filters.severities or "SEV1" in filters.severities
    sev1 = values[values["severity"] == "SEV1"] if values is not None else None
    card("sev1", "SEV1 incidents", "count", sev1_count,
         counted(sev1_count, int(sev1["in_previous"].sum())) if previous and include_sev1 else None, per_month=True)
    card("mttd", "Median time to detect", "minutes", numbers["median_time_to_detect_min"], compare("time_to_detect_min"))
    card("mttr", "Median time to recover", "minutes", numbers["median_duration_min"], compare("duration_min"))
    card("patients", "Patients affected", "count", numbers["patients_affected_total"],
         compare("patients_affected", statistic="sum"), per_month=True,
         note=_unknown_note(numbers["patients_affected_unknown"]))
    on_time, on_time_before = store.on_time_flags(con, filters, previous or filters, as_of)
    card("on_time", "Action items done on time", "percent", float(on_time.mean()) if on_time.size else None,
         compare_values(on_time, on_time_before, statistic="mean", higher_is_better=True, seed=seed)
         if previous else None,
         note=f"of {on_time.size} items due by {as_of.isoformat()} (open ones count as late)")
    card("overdue", "Overdue P0/P1 action items", "count", numbers["action_items_overdue_p0_p1"],
         note=f"as of {as_of.isoformat()}")
    return cards


# -- insights: recurrence, calibration, off-hours, reviews, search ----------------

def _total(rows: pd.DataFrame, limit: int | None, count: Callable[[], int]) -> int:
    """How many rows there are in all, given the first ``limit`` of them: counted only when the limit
    may have cut some off."""
    return len(rows) if limit is None or len(rows) < limit else count()


# What a repeat says about the earlier post-mortem's P0/P1 items, in the store's order (done, open, none,
# undated). Done before the repeat means the fix did not prevent it; still open is a follow-through gap.
RECURRENCE_STATUSES = ("fix did not prevent it (P0/P1 all done)", "P0/P1 still open (follow-through)",
                       "no P0/P1 items", "P0/P1 done, date unknown")


def text_model_state(con) -> str:
    """Whether related incidents, recurrences and themes are in the database: ``done``, ``pending`` (being
    computed by the load that wrote it) or ``not computed`` (``store.TEXT_MODEL_*``)."""
    return store.text_model_state(con)


def related(con, incident_id: str) -> pd.DataFrame:
    """An incident's most similar earlier and later incidents (text, plus shared team/app)."""
    return store.related_for(con, incident_id)


def recurrences(con, filters: Filters, limit: int | None = None, later_id: str | None = None) -> pd.DataFrame:
    """Did the fixes work? Each later incident that repeats an earlier one (text at least
    ``RECURRENCE_TEXT_SIMILARITY`` alike, same team or app), newest first (the first ``limit``), with
    the earlier incident's action items as of the later start: done before it, P0/P1 still open, and
    how many days past due the most overdue open P0/P1 was. ``status`` says whether every P0/P1 item was
    done before the repeat; ``incident_id`` is the repeat's (what a row links to). Why it reads as a
    repeat: ``shared_terms``, the words that weigh most in both post-mortems (comma-separated), and
    ``shared_with``, the teams they share, else the apps ("app: ...")."""
    rows = store.recurrence_rows(con, filters, limit, later_id)
    status = np.select([rows["p0_p1_items"] == 0, rows["p0_p1_open"] > 0, rows["p0_p1_done_undated"] > 0],
                       [RECURRENCE_STATUSES[2], RECURRENCE_STATUSES[1], RECURRENCE_STATUSES[3]], RECURRENCE_STATUSES[0])
    shared_with = [teams if isinstance(teams, str) else f"app: {apps}"
                   for teams, apps in zip(rows["shared_teams"], rows["shared_apps"])]
    return rows.assign(status=pd.Series(status, index=rows.index, dtype="object"), incident_id=rows["later_id"],
                       shared_terms=pd.Series([", ".join(terms) for terms in rows["shared_terms"]], index=rows.index,
                                              dtype="object"),
                       shared_with=pd.Series(shared_with, index=rows.index, dtype="object"))


def recurrence_report(con, filters: Filters, limit: int | None = None) -> dict:
    """:func:`recurrences` (``repeats``, the first ``limit``; ``total`` of them) and, per team shared by
    the two incidents, how many repeats came after every P0/P1 item was done, while some were still
    open, or with none (``by_team``); ``answer`` says so in words, and how the per-team counts add up when
    a repeat counts for more than one team."""
    counts = store.recurrence_counts(con, filters)
    counts["status"] = counts["status"].map(dict(zip(("done", "open", "none", "undated"), RECURRENCE_STATUSES)))
    table = counts.pivot_table(index="team", columns="status", values="recurrences", aggfunc="sum", fill_value=0)
    table = table.reindex(columns=list(RECURRENCE_STATUSES), fill_value=0).astype("int64")
    table.columns.name = None
    table["recurrences"] = table.sum(axis=1)
    by_team = table.reset_index().sort_values(["recurrences", "team"], ascending=[False, True]).reset_index(drop=True)
    repeats = recurrences(con, filters, limit)
    total = _total(repeats, limit, lambda: store.recurrence_total(con, filters))
    by_status = store.recurrence_status_counts(con, filters)
    answer = fixes_answer(by_status)
    pairs, team_counts = sum(by_status.values()), int(by_team["recurrences"].sum()) if not by_team.empty else 0
    if team_counts != pairs:
        these = "this repeat" if pairs == 1 else f"these {pairs} repeats"
        answer += (f" The chart counts each repeat once for every team the two incidents share: {team_counts} "
                   f"team counts for {these}.")
    return {"repeats": repeats, "total": total, "by_team": by_team, "answer": answer}


def fixes_answer(by_status: dict[str, int]) -> str:
    """"Did the earlier fixes work?" in one sentence, from repeats per status (done/open/none/undated)."""
    done, still_open = by_status.get("done", 0), by_status.get("open", 0)
    none, undated = by_status.get("none", 0), by_status.get("undated", 0)
    total = done + still_open + none + undated
    if not total:
        return "No incident in these filters repeats an earlier one."

    def repeats(n: int) -> str:
        return f"{n} repeat{'s' if n != 1 else ''}"

    parts = [f"{repeats(done)} happened although the earlier P0/P1 items were done (the fix did not prevent it)",
             f"{still_open} while they were still open (follow-through)"]
    if none:
        parts.append(f"{none} after a post-mortem with no P0/P1 items")
    if undated:
        parts.append(f"{undated} after P0/P1 items done on a day not given")
    return "; ".join(parts) + "."


def themes(con, filters: Filters) -> pd.DataFrame:
    """Recurring themes among the selection, biggest first."""
    table = store.themes_table(con, filters)
    return table.assign(top_terms=[", ".join(terms) for terms in table["top_terms"]])


def theme_trend(con, filters: Filters, period: str = "quarter") -> pd.DataFrame:
    """Incidents per theme and period."""
    return store.theme_counts(con, filters, period)


CALIBRATION_COLUMNS = ["incident_id", "title", "incident_date", "severity", "teams", "patient_impact_min",
                       "duration_min", "patients_affected", "reason"]


def severity_outliers(con, filters: Filters, limit: int | None = None) -> pd.DataFrame:
    """Incidents whose severity looks off against the selection's own impact distribution: a SEV2 or
    SEV3 whose patient impact-minutes exceed the SEV1 median (graded lower than its harm), and a SEV1
    or SEV2 below the SEV3 median (graded higher). Unknown impact is never judged. Newest first, the
    first ``limit``."""
    rows = store.severity_outlier_rows(con, filters, limit)
    reasons = [
        f"{s}, but more patient impact-minutes than the SEV1 median ({m1:,.0f})"
        if s in ("SEV2", "SEV3") and not pd.isna(m1) and v > m1
        else f"{s}, but fewer patient impact-minutes than the SEV3 median ({m3:,.0f})"
        for s, v, m1, m3 in zip(rows["severity"], rows["patient_impact_min"], rows["sev1_median"], rows["sev3_median"])
    ]
    return rows.assign(reason=pd.Series(reasons, index=rows.index, dtype="object"))[CALIBRATION_COLUMNS]


def severity_report(con, filters: Filters, limit: int | None = None) -> dict:
    """:func:`severity_outliers` (``outliers``, the first ``limit``) and how many there are (``total``)."""
    outliers = severity_outliers(con, filters, limit)
    total = _total(outliers, limit, lambda: store.severity_outlier_count(con, filters))
    return {"outliers": outliers, "total": total}


def severity_calibration_by_team(con, filters: Filters) -> pd.DataFrame:
    """Per team: incidents judged (known patient impact-minutes), how many look graded lower or higher
    than their harm (as :func:`severity_outliers` judges, against the whole selection's medians), and
    the share that looks off; the teams with the largest share first, so a team that grades
    consistently differently stands out."""
    counts = store.severity_calibration_counts(con, filters)
    looks_off = counts["graded_lower"] + counts["graded_higher"]
    table = counts.assign(looks_off=looks_off, looks_off_share=_ratio(looks_off, counts["judged"]))
    return table.sort_values(["looks_off_share", "judged", "team"], ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def start_heatmap(con, filters: Filters) -> pd.DataFrame:
    """Incidents by weekday (rows, Monday first) and hour of their start (columns 0-23), on their own clock."""
    counts = store.start_hours(con, filters)
    grid = counts.pivot_table(index="weekday", columns="hour", values="incidents", aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=range(7), columns=range(24), fill_value=0).astype("int64")
    grid.index = list(WEEKDAYS)
    return grid


def off_hours(con, filters: Filters, period: str | None = "quarter", by: str | None = None) -> pd.DataFrame:
    """Share of incidents starting outside 08:00-19:00 on weekdays (their own clock), per period and
    group, over the incidents whose start is known."""
    counts = store.off_hours_counts(con, filters, period, by)
    return counts.assign(off_hours_share=_ratio(counts["off_hours"], counts["known"]))


def reviews(con, filters: Filters, as_of: date) -> pd.DataFrame:
    """Per post-mortem: reviewers, LGTMs, the last LGTM and the days from resolution to it, and
    whether everyone listed said LGTM."""
    return store.review_rows(con, filters, as_of)


def review_summary(con, filters: Filters, as_of: date, period: str = "quarter") -> pd.DataFrame:
    """Per period and team: post-mortems, share fully reviewed (every reviewer LGTM), and the median
    days from resolution to the last LGTM."""
    summary = store.review_aggregates(con, filters, period)
    summary["fully_reviewed_share"] = _ratio(summary["fully_reviewed"], summary["post_mortems"])
    columns = ["period_start", "team", "post_mortems", "fully_reviewed", "fully_reviewed_share",
               "median_days_to_last_lgtm"]
    return summary.astype({"median_days_to_last_lgtm": "float64"})[columns]


def waiting_for_review(con, filters: Filters, as_of: date, limit: int | None = None) -> pd.DataFrame:
    """Post-mortems not yet LGTM'd by everyone listed (or with no reviewer), longest waiting first
    (the first ``limit``)."""
    return store.review_rows(con, filters, as_of, waiting_only=True, limit=limit)


def waiting_report(con, filters: Filters, as_of: date, limit: int | None = None) -> dict:
    """:func:`waiting_for_review` (``waiting``, the first ``limit``), how many wait (``total``), how many
    post-mortems the filter holds (``post_mortems``) and so how many are fully reviewed (``fully_reviewed``:
    every listed reviewer's LGTM), and the longest wait in days since resolution (``longest_days``)."""
    waiting = waiting_for_review(con, filters, as_of, limit)
    total = _total(waiting, limit, lambda: store.waiting_count(con, filters))
    post_mortems = selection_counts(con, filters)["incidents"]
    longest = waiting["days_since_resolved"].max() if not waiting.empty else None
    return {"waiting": waiting, "total": total, "post_mortems": post_mortems, "fully_reviewed": post_mortems - total,
            "longest_days": None if longest is None or pd.isna(longest) else int(longest)}


def search_outside_range(con, filters: Filters, query: str) -> dict:
    """What the filter's date range hides from a search: ``matches`` and ``post_mortems`` outside it (the
    other filters kept), for the search page to say so."""
    if not query or not query.strip():
        return {"matches": 0, "post_mortems": 0}
    everywhere = replace(filters, include_excluded=True)
    all_time = store.search_count(con, everywhere.with_dates(None, None), query.strip())
    in_range = store.search_count(con, everywhere, query.strip())
    return {"matches": all_time[0] - in_range[0], "post_mortems": all_time[1] - in_range[1]}


def search(con, filters: Filters, query: str, limit: int = 200) -> pd.DataFrame:
    """Every place ``query`` occurs in the selection's post-mortems (title, impact summary, findings,
    action items), newest first, with the text in which it occurs. Drills and tests are searched too
    (``drill`` true, with their ``exclude_reason``): what a game day found is worth finding."""
    if not query or not query.strip():
        return pd.DataFrame(columns=["incident_id", "title", "incident_date", "field", "text", "drill",
                                     "exclude_reason"])
    return store.search_matches(con, replace(filters, include_excluded=True), query.strip(), limit)
