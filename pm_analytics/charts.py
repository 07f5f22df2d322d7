"""Numbers -> plotly figures, and the formatting every view shares. Never calls Streamlit."""

from __future__ import annotations

import math


def format_minutes(minutes: float | None) -> str:
    """``1 h 05 min`` for 65, ``25 min`` for 25, ``2 d 3 h`` for 3060; "unknown" when not known."""
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return "unknown"
    total = int(round(float(minutes)))
    if total < 60:
        return f"{total} min" if minutes >= 1 or minutes == 0 else "< 1 min"
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h {mins:02d} min"
