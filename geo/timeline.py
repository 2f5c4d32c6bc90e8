"""The timeline: counts per day/week/month stacked by weapon origin, as an Altair chart.

The store aggregates first (one row per period and origin group), so the chart spec is
bounded by periods × groups whatever the number of events (issue 5).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import altair as alt
import pandas as pd

from geo.origins import origin_colour, origin_label, sort_groups

MEASURES = {
    "events": "Events",
    "launched": "Weapons launched (attack reports)",
    "destroyed_share": "Share destroyed (attack reports)",
}
BRUSH = "brush"


def choose_bin(first: date | None, last: date | None) -> str:
    """Day bins for short spans, weeks up to ~3 years, months beyond (readable bar widths)."""
    if first is None or last is None:
        return "week"
    span = (last - first).days
    if span <= 120:
        return "day"
    if span <= 3 * 366:
        return "week"
    return "month"


_STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
         "month": pd.DateOffset(months=1)}


def shape(frame: pd.DataFrame, measure: str, bin_: str = "week") -> pd.DataFrame:
    """Chart-ready rows: period start/end, origin label, value; zero-report rows dropped."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    out = frame.copy()
    out["period"] = pd.to_datetime(out["period"])
    if measure == "events":
        out["value"] = out["events"].astype(float)
    elif measure == "launched":
        out = out[out["reports"] > 0]
        out["value"] = out["launched"].astype(float)
    else:
        out = out[out["launched_known"].fillna(0) > 0]
        out["value"] = (out["destroyed"].fillna(0) / out["launched_known"]).astype(float)
    out["origin"] = out["origin_group"].map(origin_label)
    # Bars span their whole period (x to x2), so a week reads as a week at any zoom.
    out["period_end"] = out["period"] + _STEP[bin_]
    return out[["period", "period_end", "origin_group", "origin", "value"]].reset_index(
        drop=True)


def build_chart(frame: pd.DataFrame, measure: str = "events", bin_: str = "week",
                *, height: int = 320, brush: bool = True, title: str | None = None) -> alt.Chart:
    """Stacked bars (events, launched) or lines (share destroyed) by origin group."""
    data = shape(frame, measure, bin_)
    groups = sort_groups(data["origin_group"]) if not data.empty else []
    domain = [origin_label(g) for g in groups]
    colours = [origin_colour(g) for g in groups]
    colour = alt.Color("origin:N", title="Weapon origin",
                       scale=alt.Scale(domain=domain, range=colours),
                       legend=alt.Legend(orient="bottom", columns=3, labelLimit=260))
    x = alt.X("period:T", title=f"{bin_.capitalize()} starting",
              axis=alt.Axis(labelOverlap=True))
    tooltip = [alt.Tooltip("period:T", title=f"{bin_.capitalize()} starting",
                           format="%Y-%m-%d"),
               alt.Tooltip("origin:N", title="Origin"),
               alt.Tooltip("value:Q", title=MEASURES[measure],
                           format=".0%" if measure == "destroyed_share" else ",.0f")]
    base = alt.Chart(data, title=title) if title else alt.Chart(data)
    if measure == "destroyed_share":
        chart = base.mark_line(point=True).encode(
            x=x, y=alt.Y("value:Q", title=MEASURES[measure], axis=alt.Axis(format="%"),
                         scale=alt.Scale(domain=[0, 1])),
            color=colour, tooltip=tooltip)
    else:
        chart = base.mark_bar(stroke="white", strokeWidth=0.3).encode(
            x=x, x2="period_end:T",
            y=alt.Y("sum(value):Q", title=MEASURES[measure], stack="zero"),
            color=colour, order=alt.Order("origin:N"), tooltip=tooltip)
    if brush:
        chart = chart.add_params(alt.selection_interval(name=BRUSH, encodings=["x"]))
    return chart.properties(height=height, width="container")


def brushed_dates(selection: object) -> tuple[date, date] | None:
    """The date range of a brush selection returned by ``st.altair_chart(on_select=...)``.

    Vega-Lite reports the brushed interval in epoch milliseconds under the x field name
    (with or without the time unit prefix); anything else is ignored.
    """
    if not isinstance(selection, dict):
        return None
    brush = selection.get(BRUSH)
    if not isinstance(brush, dict) or not brush:
        return None
    values = next(iter(brush.values()))
    if not isinstance(values, (list, tuple)) or len(values) != 2:
        return None
    try:
        ends = sorted(_to_date(v) for v in values)
    except (TypeError, ValueError, OverflowError):
        return None
    return ends[0], ends[1]


def _to_date(value: object) -> date:
    if isinstance(value, (int, float)):
        return (datetime(1970, 1, 1) + timedelta(milliseconds=float(value))).date()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()


def origin_totals(frame: pd.DataFrame) -> dict[str, int]:
    """Events per origin group over a timeline aggregate, largest first."""
    if frame.empty:
        return {}
    totals = frame.groupby("origin_group")["events"].sum().sort_values(ascending=False)
    return {str(k): int(v) for k, v in totals.items()}
