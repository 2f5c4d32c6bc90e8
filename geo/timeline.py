"""The timeline: counts per day/week/month stacked by origin, class or model (Altair).

The store aggregates first (one row per period and stack key), so the chart spec is
bounded by periods × stacks whatever the number of events (issue 5). The page's own
choices (bin, measure, stack) travel in its link (:class:`TimelineView`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import altair as alt
import pandas as pd
import vl_convert

from geo.filters import Filters
from geo.i18n import translate
from geo.origins import origin_colour, origin_label, sort_groups
from geo.taxonomy import class_label, family_of, is_family

# Vega's own date and number words per language ("січ. 2024", "1 234"): the app's chart and
# the exported one name months alike. vl-convert ships the d3 locale tables.
TIME_LOCALES = {"en": "en-US", "uk": "uk-UA"}

MEASURES = {
    "events": "Events",
    "launched": "Weapons launched (attack reports)",
    "destroyed_share": "Share destroyed (attack reports)",
}
# What the bars are stacked by (URL ``stack=``). "origin-family"/"origin-class": the design
# origin and the weapon family or class together, e.g. "Iran (IRN) · drones" vs "Russia (RUS)
# · cruise missile": the seed question "Iranian drones vs Russian cruise missiles" in one
# chart. Stacks read the event's own (stated) fields; candidates are not spread over stacks.
STACKS = {
    "origin": "Weapon origin",
    "supplier": "Weapon supplier",
    "family": "Weapon class family",
    "class": "Weapon class",
    "model": "Weapon model",
    "origin-family": "Origin · class family",
    "origin-class": "Origin · weapon class",
}
BINS = ("day", "week", "month")
BRUSH = "brush"
MAX_STACKS = 8  # more stacks than this are one "Other" bar segment (a legend stays readable)
OTHER = "Other"
# Colour-vision-safe categories for stacks that are not origins (Okabe & Ito, Paul Tol).
CATEGORY_COLOURS = ("#0072B2", "#D55E00", "#E69F00", "#009E73", "#CC79A7", "#56B4E9",
                    "#882255", "#999933")
OTHER_COLOUR, NONE_COLOUR = "#BBBBBB", "#8C8C8C"
_COLUMNS = {"class": "weapon_class", "model": "weapon_model", "family": "weapon_class",
            "supplier": "weapon_supplier", "origin-family": "origin_group, weapon_class",
            "origin-class": "origin_group, weapon_class"}


@dataclass(frozen=True)
class TimelineView:
    """The Timeline page's own choices, carried in its link (``per``, ``show``, ``stack``).

    ``None`` = not chosen: the page picks the bin from the date range and the measure from
    the data (weapons launched when the matching events are mostly attack reports).
    """

    per: str | None = None
    show: str | None = None
    stack: str = "origin"


def parse_timeline_query(params: Mapping[str, object]) -> tuple[TimelineView, list[str]]:
    """Read ``per``/``show``/``stack`` from URL parameters; bad values dropped with a note.

    >>> parse_timeline_query({"per": "month", "show": "launched", "stack": "model"})[0]
    TimelineView(per='month', show='launched', stack='model')
    >>> parse_timeline_query({"per": "fortnight"})[1]
    ["Ignored per='fortnight': use one of day, week, month."]
    """
    notes: list[str] = []
    out: dict[str, str] = {}
    for key, allowed in (("per", BINS), ("show", tuple(MEASURES)), ("stack", tuple(STACKS))):
        raw = params.get(key)
        values = raw if isinstance(raw, (list, tuple)) else [] if raw is None else [raw]
        if not values:
            continue
        value = str(values[-1]).strip().lower()
        if value in allowed:
            out[key] = value
        else:
            shown = value if len(value) <= 40 else value[:37] + "…"
            notes.append(f"Ignored {key}={shown!r}: use one of {', '.join(allowed)}.")
    return TimelineView(**out), notes


def timeline_query(view: TimelineView) -> dict[str, str]:
    """URL parameters for ``view`` (only what was chosen)."""
    out = {"per": view.per, "show": view.show}
    if view.stack != "origin":
        out["stack"] = view.stack
    return {k: v for k, v in out.items() if v}


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


def default_measure(frame: pd.DataFrame) -> str:
    """Weapons launched when most matching events are attack reports (a report row says
    "45 Shaheds launched": counting rows would make it weigh like one impact)."""
    if frame.empty or "reports" not in frame:
        return "events"
    return "launched" if frame["reports"].sum() >= 0.5 * frame["events"].sum() else "events"


# ---- data: the store's aggregate, per period and stack ----------------------------------------
_SUMS = ("events", "launched", "destroyed", "launched_known", "reports")


def stack_counts(store, filters: Filters, bin_: str, stack: str = "origin") -> pd.DataFrame:
    """Per period and stack key: events, launched, destroyed, launched_known, reports.

    Stacked by origin it is ``store.timeline``; otherwise the same sums grouped by the raw
    stored cell (an event naming two models is one "Iskander-M / KN-23" segment, so the
    stack adds up to the events, never counting one twice).
    """
    if stack not in STACKS:
        raise ValueError(f"stack must be one of {', '.join(STACKS)}")
    if bin_ not in BINS:
        raise ValueError(f"bin must be one of {', '.join(BINS)}")
    if stack == "origin":
        return store.timeline(filters, bin_).rename(columns={"origin_group": "key"})
    where, params = store.where(filters)
    keys = _COLUMNS[stack]
    frame = store._query(
        f"SELECT {store._period(bin_)} AS period, {keys}, count(*) AS events, "
        "CAST(sum(launched) AS DOUBLE PRECISION) AS launched, "
        "CAST(sum(destroyed) AS DOUBLE PRECISION) AS destroyed, "
        "CAST(sum(CASE WHEN destroyed IS NOT NULL THEN launched END) AS DOUBLE PRECISION) "
        "AS launched_known, "
        "CAST(sum(CASE WHEN launched IS NOT NULL THEN 1 ELSE 0 END) AS DOUBLE PRECISION) "
        f"AS reports FROM events WHERE {where} GROUP BY {keys}, 1 ORDER BY 1", params)
    cls = frame["weapon_class"].fillna("").astype(str) if "weapon_class" in frame else None
    if stack in ("family", "origin-family"):
        cls = cls.map(families_of)
    if stack.startswith("origin-"):
        frame["key"] = frame["origin_group"].astype(str) + "|" + cls
    elif cls is not None:
        frame["key"] = cls
    else:
        frame["key"] = frame[_COLUMNS[stack]].fillna("").astype(str)
    return (frame.groupby(["period", "key"], as_index=False, sort=True)[list(_SUMS)]
            .sum(min_count=1).assign(events=lambda f: f["events"].fillna(0).astype(int)))


def families_of(classes: str) -> str:
    """``"cruise missile;attack drone"`` → ``"drones;missiles"`` (the families, sorted)."""
    found = {family_of(c) for c in classes.split(";") if c}
    return ";".join(sorted(f for f in found if f))


def _what_label(value: str, lang: str) -> str:
    """A family or class inside a stack label, lower case as in "Russia (RUS) · missiles"."""
    if value == "other":  # the family and the class: "other weapons"
        return translate("family.other.weapons", lang)
    label = class_label(value, lang)
    return label.lower() if is_family(value) else label


def stack_label(stack: str, key: str, lang: str = "en") -> str:
    """The legend text of one stack key in ``lang`` (models stay as the sources write them).

    >>> stack_label("origin-family", "IRN|drones"), stack_label("origin-family", "IRN|drones", "uk")
    ('Iran (IRN) · drones', 'Іран (IRN) · дрони')
    """
    if key == OTHER:
        return translate("timeline.other", lang)
    if stack == "origin":
        return origin_label(key, lang)
    if stack == "supplier":
        known = key and origin_label(key) != origin_label("unknown")
        return origin_label(key, lang) if known else translate("timeline.none.supplier", lang)
    if stack.startswith("origin-"):
        group, _, what = key.partition("|")
        what = " / ".join(_what_label(w, lang) for w in what.split(";") if w)
        return f"{origin_label(group, lang)} · {what or translate('timeline.none.what', lang)}"
    if not key:
        return translate(f"timeline.none.{stack}", lang)
    if stack == "family":
        text = " / ".join(_what_label(w, lang) for w in key.split(";"))
        return text[:1].upper() + text[1:]
    if stack == "class":
        return " / ".join(class_label(c, lang) for c in key.split(";"))
    return key.replace(";", " / ")


def stack_colours(stack: str, keys: list[str]) -> list[str]:
    """Origins keep the app's colours; other stacks get colour-vision-safe categories in
    order of size, "not stated" and "Other" greys."""
    if stack in ("origin", "supplier"):  # countries: the same colour as on the map
        return [origin_colour(k) if k not in (OTHER, "") else
                (OTHER_COLOUR if k == OTHER else NONE_COLOUR) for k in keys]
    if stack in ("origin-family", "origin-class"):
        return _country_shades(keys)
    colours, spare = [], iter(CATEGORY_COLOURS * 2)
    for key in keys:
        if key == OTHER:
            colours.append(OTHER_COLOUR)
        elif key in ("", "unknown|") or key.startswith("unknown|"):
            colours.append(NONE_COLOUR)
        else:
            colours.append(next(spare))
    return colours


def _tint(colour: str, share: float) -> str:
    """``colour`` mixed with white by ``share`` (0 = as is)."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * share):02x}" for c in rgb)


def _country_shades(keys: list[str]) -> list[str]:
    """"RUS|missiles", "RUS|drones", "IRN|drones": each origin keeps its map colour (Russia
    is the same vermillion as on the map), its further classes lighter shades of it."""
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        origin = key.split("|", 1)[0]
        if key == OTHER:
            out.append(OTHER_COLOUR)
        elif not origin or origin == "unknown":
            out.append(NONE_COLOUR)
        else:
            n = seen.get(origin, 0)
            seen[origin] = n + 1
            out.append(_tint(origin_colour(origin), (0.0, 0.45, 0.7, 0.85)[min(n, 3)]))
    return out


_STEP = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1),
         "month": pd.DateOffset(months=1)}


def shape(frame: pd.DataFrame, measure: str, bin_: str = "week", stack: str = "origin",
          lang: str = "en") -> pd.DataFrame:
    """Chart-ready rows: period start/end, stack key and label, value; zero-report rows
    dropped. Stacks past the :data:`MAX_STACKS` largest are summed into "Other"."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}")
    out = frame.rename(columns={"origin_group": "key"}).copy()
    out["period"] = pd.to_datetime(out["period"])
    if measure == "events":
        out["value"] = out["events"].astype(float)
    elif measure == "launched":
        out = out[out["reports"] > 0]
        out["value"] = out["launched"].fillna(0).astype(float)
    else:
        out = out[out["launched_known"].fillna(0) > 0]
        out["value"] = (out["destroyed"].fillna(0) / out["launched_known"]).astype(float)
    if measure != "destroyed_share" and out["key"].nunique() > MAX_STACKS:
        totals = out.groupby("key")["value"].sum().sort_values(ascending=False)
        keep = set(totals.index[: MAX_STACKS - 1])
        out["key"] = out["key"].where(out["key"].isin(keep), OTHER)
        out = out.groupby(["period", "key"], as_index=False)["value"].sum()
    out["label"] = [stack_label(stack, str(k), lang) for k in out["key"]]
    # Bars span their whole period (x to x2), so a week reads as a week at any zoom.
    out["period_end"] = out["period"] + _STEP[bin_]
    # "origin" kept under its old name: the app's tooltips and tests read it.
    out["origin"] = out["label"]
    return out[["period", "period_end", "key", "label", "origin", "value"]].reset_index(
        drop=True)


def stack_order(data: pd.DataFrame, stack: str) -> list[str]:
    """Keys in legend order: origins as everywhere; others largest first, greys last."""
    if data.empty:
        return []
    if stack == "origin":
        return sort_groups(data["key"].astype(str))
    totals = data.groupby("key")["value"].sum()
    grey = {k for k in totals.index if k in (OTHER, "") or str(k).startswith("unknown|")}
    return (sorted((k for k in totals.index if k not in grey), key=lambda k: (-totals[k], k))
            + sorted(grey, key=lambda k: (k == OTHER, k)))


def time_format(data: pd.DataFrame, bin_: str) -> str:
    """Date labels that always name the year: "Sep 2022" over long spans (ticks then fall
    on month starts), "14 Oct 2024" over a few months."""
    if data.empty or bin_ == "month":
        return "%b %Y"
    span = (data["period_end"].max() - data["period"].min()).days
    return "%b %Y" if span > 200 else "%-d %b %Y"


def build_chart(frame: pd.DataFrame, measure: str = "events", bin_: str = "week",
                *, height: int = 320, brush: bool = True, title: str | None = None,
                stack: str = "origin", lang: str = "en", legend_columns: int = 1
                ) -> alt.Chart:
    """Stacked bars (events, launched) or lines (share destroyed) by ``stack``.

    Axis rules for print: count ticks are whole numbers, every date label names its year
    (``Sep 2022``, ``14 Oct 2024``) and labels that would touch are dropped. Titles, stack
    labels, month names and digit grouping are in ``lang``; the chart carries Vega's locale
    (:func:`vega_locale`), which a caller's ``configure_*`` keeps. The legend is one column
    by default: the page's chart does not know its width, and three columns ran off a phone;
    an image of known width asks for more.
    """
    data = shape(frame, measure, bin_, stack, lang)
    stack_title = translate(f"stack.label.{stack}", lang)
    x_title = translate(f"timeline.axis.{bin_}", lang)
    y_title = translate(f"measure.{measure}", lang)
    keys = stack_order(data, stack)
    labels = dict(zip(data["key"], data["label"], strict=True))
    domain = [labels[k] for k in keys]
    colour = alt.Color("label:N", title=stack_title,
                       scale=alt.Scale(domain=domain, range=stack_colours(stack, keys)),
                       legend=alt.Legend(orient="bottom", columns=legend_columns,
                                         labelLimit=300, titleLimit=400))
    x = alt.X("period:T", title=x_title,
              axis=alt.Axis(format=time_format(data, bin_), labelOverlap="greedy",
                            labelSeparation=10, labelFlush=True, tickCount=8))
    tooltip = [alt.Tooltip("period:T", title=x_title, format="%Y-%m-%d"),
               alt.Tooltip("label:N", title=stack_title),
               alt.Tooltip("value:Q", title=y_title,
                           format=".0%" if measure == "destroyed_share" else ",.0f")]
    base = alt.Chart(data, title=title) if title else alt.Chart(data)
    if measure == "destroyed_share":
        chart = base.mark_line(point=True).encode(
            x=x, y=alt.Y("value:Q", title=_axis_title(y_title),
                         axis=alt.Axis(format="%", titleLimit=_PLOT_HEIGHT),
                         scale=alt.Scale(domain=[0, 1])),
            color=colour, tooltip=tooltip)
    else:
        rank = {label: i for i, label in enumerate(domain)}
        data["rank"] = data["label"].map(rank)
        base = alt.Chart(data, title=title) if title else alt.Chart(data)
        chart = base.mark_bar(stroke="white", strokeWidth=0.3).encode(
            x=x, x2="period_end:T",
            y=alt.Y("sum(value):Q", title=_axis_title(y_title), stack="zero",
                    axis=alt.Axis(format=",d", tickMinStep=1, titleLimit=_PLOT_HEIGHT)),
            color=colour, order=alt.Order("rank:Q"), tooltip=tooltip)
    if brush:
        chart = chart.add_params(alt.selection_interval(name=BRUSH, encodings=["x"]))
    # Streamlit fits the whole chart, legend included, into ``height``: a one-column legend
    # gets its own rows on top of it, or the bars shrink to nothing. Streamlit's theme sets
    # a legend row ~30 px and its title ~24 px (measured in its screenshots; 18 px a row
    # left the plot ~130 px tall, too short for the axis title).
    legend_rows = -(-len(domain) // max(1, legend_columns))
    extra = 30 * legend_rows + 24 if legend_columns == 1 else 0
    chart = chart.properties(height=height + extra, width="container")
    return chart.configure(locale=vega_locale(lang)) if lang != "en" else chart


def vega_locale(lang: str) -> dict:
    """Vega's ``config.locale`` for ``lang``: d3's number and time tables, as vl-convert has
    them (the browser's Vega reads the same keys).

    >>> vega_locale("uk")["time"]["shortMonths"][0], vega_locale("uk")["number"]["decimal"]
    ('січ.', ',')
    """
    name = TIME_LOCALES.get(lang, "en-US")
    return {"number": vl_convert.get_format_locale(name),
            "time": vl_convert.get_time_format_locale(name)}


# The y title is written along the axis: on a phone Streamlit squeezes the plot to ~120 px
# and a longer title ran off the top of the chart ("Запущено засобів ураженн"). Limited to
# the plot's height, Vega shortens it with an ellipsis instead.
_PLOT_HEIGHT = alt.ExprRef("height")


def _axis_title(title: str) -> str:
    """The measure without its "(attack reports)" note: a short chart's axis cuts long titles
    (the note stays in the tooltip and the Show control)."""
    return title.split(" (")[0]


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
