"""Weapon-origin groups: their labels and colours, the same in the app and in every export.

An event's *origin group* is its ``weapon_origin`` cell as stored (``PRK``, ``RUS;PRK``) or
``unknown``. Colours come from this fixed table (never from data), so a colour means the same
thing on the map, the timeline and a PNG exported last month.
"""

from __future__ import annotations

import hashlib

COUNTRY_NAMES = {
    "RUS": "Russia",
    "IRN": "Iran",
    "PRK": "North Korea",
    "BLR": "Belarus",
    "UKR": "Ukraine",
    "USA": "United States",
    "GBR": "United Kingdom",
    "FRA": "France",
    "DEU": "Germany",
    "CHN": "China",
    "TUR": "Türkiye",
}

FIXED_COLOURS = {
    "RUS": "#d62728",
    "IRN": "#2ca02c",
    "PRK": "#1f5fb4",
    "RUS;PRK": "#9467bd",
    "unknown": "#8c8c8c",
}
# For any other group: a stable pick from a palette that avoids the fixed colours.
_SPARE = ("#ff7f0e", "#8c564b", "#e377c2", "#bcbd22", "#17becf", "#393b79", "#637939",
          "#7b4173", "#ad494a", "#3182bd")


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get(code, code)


def origin_label(group: str) -> str:
    """Human label: ``PRK`` → ``North Korea (PRK)``; ``RUS;PRK`` → ``Russia / North Korea``."""
    if not group or group == "unknown":
        return "Origin unknown"
    codes = [c for c in group.split(";") if c]
    if len(codes) == 1:
        return f"{country_name(codes[0])} ({codes[0]})"
    return " / ".join(country_name(c) for c in codes) + f" ({'/'.join(codes)})"


def origin_colour(group: str) -> str:
    group = group or "unknown"
    if group in FIXED_COLOURS:
        return FIXED_COLOURS[group]
    digest = hashlib.sha1(group.encode("utf-8"), usedforsecurity=False).digest()
    return _SPARE[digest[0] % len(_SPARE)]


def sort_groups(groups) -> list[str]:
    """Fixed groups first in a stable order, others alphabetically, unknown last."""
    order = {g: i for i, g in enumerate(FIXED_COLOURS)}
    return sorted(set(groups), key=lambda g: (g == "unknown", order.get(g, 99), g))
