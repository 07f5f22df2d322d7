"""The periods on a time axis: every month or quarter a view covers, named as people say them
("Jan 2026", "2026 Q1"), and marked when the view covers only part of one ("2025 Q4, Dec only").

Buckets match the store's (``date_trunc`` on the incident date): a period is named by its first day.
A view's *span* is the days its time axes show: the filter's date range, within the days the data
covers (from the first post-mortem; for "All time", up to the newest one). Inside the span a
count of incidents is known (0 where nothing happened); outside it nothing is.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd


def period_start(day: date, period: str) -> date:
    """The first day of the month or quarter holding ``day``."""
    if period == "month":
        return date(day.year, day.month, 1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    raise ValueError(f"period must be 'month' or 'quarter', not {period!r}")


def period_end(start: date, period: str) -> date:
    """The last day of the period starting on ``start``."""
    months = 1 if period == "month" else 3
    year, month = divmod(start.month - 1 + months, 12)
    return date(start.year + year, month + 1, 1) - timedelta(days=1)


def label(start, period: str) -> str:
    """``Jan 2026`` for a month, ``2026 Q1`` for a quarter."""
    start = pd.Timestamp(start)
    if period == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%b %Y}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def part_covered(start: date, period: str, span: tuple[date, date] | None) -> str | None:
    """How much of the period ``span`` covers, when not all of it: ``Dec only``, ``Nov–Dec``,
    ``to 15 Feb``, ``from 27 Nov``, ``3–26 Nov``; ``None`` for the whole period (or no span)."""
    if span is None:
        return None
    end = period_end(start, period)
    first, last = max(start, span[0]), min(end, span[1])
    if (first, last) == (start, end) or first > last:
        return None
    whole_months = first.day == 1 and last == period_end(period_start(last, "month"), "month")
    if period == "quarter" and whole_months:
        return f"{first:%b} only" if first.month == last.month else f"{first:%b}–{last:%b}"
    if first == start:
        return f"to {_day(last)}"
    if last == end:
        return f"from {_day(first)}"
    if first.month == last.month:
        return f"{first.day}–{_day(last)}"
    return f"{_day(first)} – {_day(last)}"


def labels(starts, period: str, span: tuple[date, date] | None = None) -> list[str]:
    """Each period start named for a table: ``2026 Q1``, or ``2025 Q4, Dec only`` when ``span`` covers part."""
    out = []
    for start in starts:
        if pd.isna(start):
            out.append("unknown")
            continue
        day = pd.Timestamp(start).date()
        part = part_covered(day, period, span)
        out.append(f"{label(day, period)}, {part}" if part else label(day, period))
    return out


def view_span(date_from: date | None, date_to: date | None, first_date: date | None, last_date: date | None,
              as_of: date) -> tuple[date, date] | None:
    """The days a view's time axes cover: the filter's range (``None`` ends: "All time") within the data's
    coverage, which runs from the first post-mortem (``first_date``) to today (``as_of``), or to the newest
    post-mortem when that is later. An open end takes the data's first/last day. ``None`` without data."""
    if first_date is None or last_date is None:
        return None
    start = max(date_from, first_date) if date_from else first_date
    end = min(date_to, max(as_of, last_date)) if date_to else last_date
    return (start, end) if start <= end else None


def axis(period: str, span: tuple[date, date] | None = None, starts=()) -> pd.DataFrame:
    """Every period of a time axis, in order: ``period_start`` (Timestamp), ``label`` ("2026 Q1"),
    ``part`` (how much the span covers, ``None`` when all of it), ``partial`` and ``full_label``
    ("2025 Q4, Dec only"). With a span, the periods it touches; without one, those from the first to the
    last of ``starts`` (the periods the data has), none left out between them."""
    if span is not None:
        first, last = period_start(span[0], period), period_start(span[1], period)
    else:
        known = [pd.Timestamp(s).date() for s in starts if not pd.isna(s)]
        if not known:
            return pd.DataFrame({"period_start": pd.Series(dtype="datetime64[ns]"), "label": pd.Series(dtype="str"),
                                 "part": pd.Series(dtype="object"), "partial": pd.Series(dtype="bool"),
                                 "full_label": pd.Series(dtype="str")})
        first, last = period_start(min(known), period), period_start(max(known), period)
    rows, current = [], first
    while current <= last:
        part = part_covered(current, period, span)
        name = label(current, period)
        rows.append({"period_start": pd.Timestamp(current), "label": name, "part": part, "partial": part is not None,
                     "full_label": f"{name}, {part}" if part else name})
        current = period_end(current, period) + timedelta(days=1)
    return pd.DataFrame(rows)


def on_axis(frame: pd.DataFrame, periods: pd.DataFrame, fill: dict | None = None,
            column: str = "period_start") -> pd.DataFrame:
    """``frame`` (at most one row per period) with a row for every period of ``periods``, in order, and
    their labels. A period ``frame`` lacks gets ``fill``'s value in each column it names (0 for a count:
    nothing happened) and NaN elsewhere (a statistic of nothing is unknown). Rows off the axis are dropped."""
    keyed = frame.assign(**{column: pd.to_datetime(frame[column]).astype("datetime64[ns]")}).set_index(column)
    index = pd.DatetimeIndex(periods["period_start"].astype("datetime64[ns]"), name=column)
    missing = ~index.isin(keyed.index)
    out = keyed.reindex(index).reset_index()
    for name, value in (fill or {}).items():
        out.loc[missing, name] = value
        if pd.api.types.is_integer_dtype(frame[name].dtype):
            out[name] = out[name].astype(frame[name].dtype)
    for name in ("label", "part", "partial", "full_label"):
        out[name] = periods[name].to_numpy()
    return out


def on_axis_by(frame: pd.DataFrame, group_column: str, periods: pd.DataFrame, fill: dict | None = None,
               column: str = "period_start") -> dict:
    """:func:`on_axis` for each group of ``group_column`` (at most one row per group and period): group ->
    the frame one ``on_axis`` call on the group's rows (without ``group_column``) gives, types included.
    Each column is taken once for all groups, from each (group, period)'s row number (pandas' ``take``
    fills and widens types as ``reindex`` does): a chart split by 20 teams places 20 panels, and a
    reindex on a (group, period) index took twice as long even for one group."""
    fill = fill or {}
    groups = list(dict.fromkeys(frame[group_column]))
    index = pd.DatetimeIndex(periods["period_start"].astype("datetime64[ns]"), name=column)
    size = len(index)
    slots = index.get_indexer(pd.to_datetime(frame[column]).astype("datetime64[ns]"))
    codes = pd.Index(groups, dtype=object).get_indexer(frame[group_column].astype(object))
    on = slots >= 0
    source_row = np.full(len(groups) * size, -1, dtype=np.intp)
    source_row[codes[on] * size + slots[on]] = np.flatnonzero(on)
    missing = source_row < 0
    values = {}
    for name in frame.columns.drop([group_column, column]):
        array = frame[name].array
        if isinstance(array, pd.arrays.NumpyExtensionArray):
            taken = pd.arrays.NumpyExtensionArray(pd.api.extensions.take(array.to_numpy(), source_row,
                                                                         allow_fill=True))
        else:
            taken = array.take(source_row, allow_fill=True)
        if name in fill and missing.any():
            taken[missing] = fill[name]
        values[name] = taken
    recast = {name for name in fill if pd.api.types.is_integer_dtype(frame[name].dtype)}
    labels = {name: periods[name].to_numpy() for name in ("label", "part", "partial", "full_label")}
    out = {}
    for position, group in enumerate(groups):
        rows = slice(position * size, (position + 1) * size)
        whole = not missing[rows].any()
        part = {column: index}
        for name, array in values.items():
            part[name] = array[rows].astype(frame[name].dtype) if whole or name in recast else array[rows]
        out[group] = pd.DataFrame({**part, **labels})
    return out
