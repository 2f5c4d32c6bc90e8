"""Any other CSV/TSV/XLSX: find the columns, let the user confirm them, remember the choice.

**Finding columns** (:func:`~geo.importers.columns.suggest_mapping`, in :mod:`.columns`):
each canonical field is scored against every column by its header (``Date``, ``Дата``,
``titolo``, ``Town/City``…) and by its values. The report says which field came from which
column and why.

**Confirming**: an explicit mapping (the Import page's editor, ``--map COLUMN=FIELD`` on the
command line; ``--map =FIELD`` unmaps a field) overrides, field by field, a mapping remembered
for the same header signature, which overrides the suggestion.

**Remembering** (:func:`remember_mapping`): ``var/mappings.json`` maps a header signature (hash
of the sorted header keys, so column order does not matter) to the confirmed mapping and date
order. Written atomically; nothing is kept in module state.

**Rows**: dates by :class:`~geo.importers._common.DateReader` (order decided per column,
ambiguity reported); an optional time column joins the date; coordinates from two columns or
one ``"lat, lon"`` column; without coordinates the place column is geocoded offline
(:mod:`geo.gazetteer`); weapon model and origin through the catalogue (``catalogue`` when a
weapon cell *is* a model name, ``inferred`` when found in free text, never ``reported``);
``geo_precision`` from a mapped column, else ``exact`` for coordinates with ≥ 4 decimals and
``settlement`` for coarser ones; ``event_type`` from a mapped column, else ``impact`` when the
text speaks of strikes or names a weapon (or when there is no text column at all: noted).

**Ids**: ``gen-<signature>:<id column>`` or, without an id column, derived from the header
signature and the row's date, place and title (:class:`RowIds`): stable across re-imports
(same file → same ids → the store adds nothing), and a row corrected in any other cell keeps
its id, so the corrected version replaces the old one. Identical rows are rejected as
duplicates.

**Geodata** (:func:`read_geodata`): GeoJSON, JSON, NDJSON, KML/KMZ, GeoPackage, Shapefile and
GeoParquet become a table in :mod:`.geodata` and are then read exactly as above.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from geo.importers import geodata
from geo.importers._common import (
    STRIKE_WORDS,
    DateReader,
    ImportResult,
    InputError,
    ReadOptions,
    Stage,
    Table,
    finish,
    header_key,
    parse_lat_lon,
    parse_point,
    place_and_accept,
    read_table,
    stable_hash,
    table_collector,
    urls_in,
    weapon_fields,
)
from geo.importers.columns import (  # noqa: F401 - FIELDS, signature, suggest_mapping are API
    EVENT_TYPES,
    FIELDS,
    PRECISIONS,
    REQUIRED,
    SAMPLE,
    SIGNATURE_LENGTH,
    VERIFICATION,
    Suggestion,
    signature,
    suggest_mapping,
)
from geo.oblasts import oblast_for_name
from geo.schema import RowError
from geo.settings import ROOT

if TYPE_CHECKING:
    from geo.importers import Head

def default_mappings_file() -> Path:
    return ROOT / "var" / "mappings.json"

# ---- remembering ---------------------------------------------------------------------------

def _load(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"version": 1, "mappings": {}}
    if not isinstance(doc, dict) or not isinstance(doc.get("mappings"), dict):
        return {"version": 1, "mappings": {}}
    return doc


def recall_mapping(header: Sequence[str], path: Path | None = None) -> dict | None:
    """The remembered ``{"mapping": {...}, "date_order": ...}`` for this header, or None."""
    entry = _load(path or default_mappings_file())["mappings"].get(signature(header))
    if not isinstance(entry, dict) or not isinstance(entry.get("mapping"), dict):
        return None
    known = {str(h) for h in header}
    mapping = {f: c for f, c in entry["mapping"].items()
               if f in FIELDS and isinstance(c, str) and (c in known or c == "")}
    order = entry.get("date_order") if entry.get("date_order") in ("dmy", "mdy", "ymd") else None
    return {"mapping": mapping, "date_order": order}


def remember_mapping(header: Sequence[str], mapping: Mapping[str, str],
                     date_order: str | None = None, path: Path | None = None) -> Path:
    """Save the confirmed mapping for this header signature (atomic replace)."""
    path = path or default_mappings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = _load(path)
    doc["mappings"][signature(header)] = {
        "header": [str(h) for h in header],
        "mapping": {f: c for f, c in mapping.items() if f in FIELDS},
        "date_order": date_order,
        "saved_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    handle, tmp = tempfile.mkstemp(prefix=".mappings-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(doc, out, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def parse_map_args(pairs: Sequence[str]) -> dict[str, str]:
    """``["Date=event_date", "=weapon_model"]`` (command line) → field → column."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--map {pair!r}: expected COLUMN=FIELD")
        column, field = pair.rsplit("=", 1)
        field = field.strip()
        if field not in FIELDS:
            raise ValueError(f"--map {pair!r}: unknown field {field!r}; one of "
                             f"{', '.join(FIELDS)}")
        mapping[field] = column.strip()
    return mapping


def resolve_mapping(header: Sequence[str], rows: Sequence[Sequence[str]],
                    given: Mapping[str, str] | None = None,
                    remembered: Mapping[str, str] | None = None
                    ) -> tuple[dict[str, str], dict[str, str]]:
    """The mapping to use (field → column) and, per field, where it came from."""
    suggestion = suggest_mapping(header, rows)
    mapping = dict(suggestion.mapping)
    why = {f: f"suggested {w}".strip() for f, w in suggestion.why.items()}
    by_key = {header_key(h): str(h) for h in header}
    for layer, label in ((remembered or {}, "remembered"), (given or {}, "given")):
        for field, column in layer.items():
            if field not in FIELDS:
                raise ValueError(f"unknown field {field!r}")
            if column == "":
                mapping.pop(field, None)
                why[field] = f"unmapped ({label})"
                continue
            actual = column if column in header else by_key.get(header_key(column))
            if actual is None:
                raise ValueError(f"no column {column!r} for {field}; the columns are "
                                 f"{', '.join(map(str, header))[:200]}")
            for other, col in list(mapping.items()):
                if col == actual and other != field:
                    del mapping[other]
                    why[other] = f"unmapped (column given to {field})"
            mapping[field] = actual
            why[field] = label
    if "latitude" in mapping and "longitude" in mapping:
        mapping.pop("coordinates", None)
    return mapping, {f: why.get(f, "") for f in mapping} | {
        f: w for f, w in why.items() if w.startswith("unmapped")}


# ---- sniffing and reading ------------------------------------------------------------------

def sniff(head: Head) -> bool:
    """A table with a date column and something else to go on (place, coordinates, text)."""
    if head.looks_like_json or len(head.header) < 2 or not head.rows:
        return False
    suggestion = suggest_mapping(head.header, head.rows)
    if "event_date" not in suggestion.mapping:
        return False
    rest = set(suggestion.mapping) - {"event_date", "event_id", "time"}
    return bool(rest)


def _count(text: str) -> str:
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", value):
        value = value.replace(",", "")
    return value


def _dataset(name: str) -> str:
    stem = Path(name).stem.casefold()
    slug = re.sub(r"[^a-z0-9]+", "-", stem).strip("-")[:40]
    return slug or "generic"


def read(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    """A CSV/TSV/XLSX table of events."""
    options = options or ReadOptions()
    return read_rows(read_table(path, name, options), path, name, options, "generic")


def read_geodata(path: Path, name: str, options: ReadOptions | None = None) -> ImportResult:
    """Any geodata container (:mod:`.geodata`), through the same mapping as a table."""
    options = options or ReadOptions()
    with open(path, "rb") as handle:
        head = handle.read(65536)
    members: tuple[str, ...] = ()
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                members = tuple(archive.namelist()[:1000])
        except zipfile.BadZipFile:
            raise InputError(name, None, None, "a broken ZIP container") from None
    kind = geodata.container(head, members)
    if not kind:
        raise InputError(name, None, None, "not a geodata file (GeoJSON, JSON, NDJSON, KML/KMZ, "
                         "GeoPackage, zipped Shapefile or GeoParquet)")
    table = geodata.read_container(path, name, options, kind)
    return read_rows(table, path, name, options, "geodata")


def read_rows(table: Table, path: Path, name: str, options: ReadOptions,
              fmt: str) -> ImportResult:
    """Map a table's columns (suggested, remembered or given) and read its rows."""
    if len(table.header) < 2:
        raise InputError(name, 1, "header", "only one column: not a table of events (check the "
                         "delimiter)")
    sample = [cells for _, cells in table.rows[:SAMPLE]]
    memory = recall_mapping(table.header, options.mappings_file)
    try:
        mapping, why = resolve_mapping(table.header, sample, options.mapping,
                                       memory["mapping"] if memory else None)
    except ValueError as exc:
        raise InputError(name, 1, "header", f"mapping: {exc}") from None
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise InputError(name, 1, "header", "no date column found; map one (e.g. --map "
                         "'Date=event_date'); the columns are "
                         f"{', '.join(map(str, table.header))[:200]}")
    out = table_collector(fmt, path, table)
    sig = signature(table.header)
    out.info["mapping"] = "; ".join(f"{f} ← {mapping[f]!r}" + (f" ({why[f]})" if why.get(f)
                                                                else "") for f in mapping)
    unmapped = sorted(f for f, w in why.items() if w.startswith("unmapped"))
    if unmapped:
        out.info["unmapped"] = ", ".join(unmapped)
    out.info["header_signature"] = sig
    order = options.date_order or (memory or {}).get("date_order")
    pos = {f: table.header.index(c) for f, c in mapping.items()}
    dates = DateReader((cells[pos["event_date"]] for _, cells in table.rows),
                       default="dmy", order=order, column=mapping["event_date"])
    if dates.describe():
        out.info["dates"] = f"column {mapping['event_date']!r}: {dates.describe()}"
    if dates.ambiguous:
        out.note("date_order_ambiguous_assumed_" + dates.order)
    dataset = _dataset(name)
    text_fields = {"description", "title", "weapon_model", "event_type"} & set(mapping)
    ids = RowIds(sig)
    out.info["ids"] = ("from column " + repr(mapping["event_id"]) if "event_id" in mapping
                       else "derived: " + ids.rule)
    stages = [stage for line, cells in table.rows if (stage := _row(
        out, line, cells, pos, mapping, dates, ids, dataset, bool(text_fields))) is not None]
    place_and_accept(out, stages, options.progress, len(table.rows))
    result = finish(out)
    result.columns, result.mapping = list(table.header), dict(mapping)
    return result


def _key_text(text: str) -> str:
    """Text as an id key: NFKC, casefold, single spaces (spelling-preserving otherwise)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class RowIds:
    """Stable ids for rows without an id column (see the README, "Stable ids").

    ``gen-<header signature>:<hash of date, place, title>``: the date as read (ISO), the place
    (the place-name cell, else the coordinates rounded to 3 decimals ≈ 100 m, else the oblast
    cell) and the title (else the description's first 200 characters). The row's position and
    every other cell (counts, links, verification, weapon, type, the description when there is
    a title) are not part of the id, so re-importing the file adds nothing and a row whose
    other cells were corrected replaces its old version in the store. Two different rows with
    the same key in one file are told apart by their order among those rows (``~2``, ``~3``);
    an exact repeat of a row keeps the same id and is rejected as a duplicate.
    """

    rule = ("hash of (header signature, date, place or rounded coordinates, title); "
            "corrections of other cells keep the id")

    def __init__(self, sig: str):
        self.sig = sig[:SIGNATURE_LENGTH]
        self._seen: dict[str, list[str]] = {}

    def make(self, date: str, place: str, title: str, content: Sequence[str]) -> str:
        base = stable_hash(self.sig, date, place, title, length=12)
        whole = stable_hash(*content, length=16)
        versions = self._seen.setdefault(base, [])
        if whole in versions:
            index = versions.index(whole)
        else:
            versions.append(whole)
            index = len(versions) - 1
        return f"gen-{self.sig}:{base}" + (f"~{index + 1}" if index else "")


def _place_key(cell, lat: float | None, lon: float | None) -> str:
    if cell("location"):
        return _key_text(cell("location"))
    if lat is not None and lon is not None:
        return f"{round(lat, 3):.3f},{round(lon, 3):.3f}"
    return _key_text(cell("admin1"))


def _row(out, line: int, cells: list[str], pos: dict[str, int], mapping: dict[str, str],
         dates: DateReader, ids: RowIds, dataset: str, has_text: bool) -> Stage | None:
    out.rows_read += 1

    def cell(field: str) -> str:
        i = pos.get(field)
        return cells[i].strip() if i is not None else ""

    when = cell("event_date")
    if cell("time"):
        when = f"{when} {cell('time')}"
    try:
        parsed = dates.parse(when)
    except ValueError as exc:
        out.reject(line, "event_date", f"{exc} (column {mapping['event_date']!r})")
        return None
    for note in parsed.notes:
        out.note(note)
    try:
        if "coordinates" in pos:
            lat, lon = parse_point(cell("coordinates"))
        else:
            lat, lon = parse_lat_lon(cell("latitude"), cell("longitude"))
    except RowError as exc:
        out.reject(line, exc.field, exc.reason)
        return None
    except ValueError as exc:
        out.reject(line, "coordinates", str(exc))
        return None
    key = cell("event_id")
    title = cell("title")
    description = cell("description")
    if key:
        event_id = f"gen-{ids.sig}:{key}"
    else:
        fields = parsed.fields()
        event_id = ids.make(fields["time_start"] or fields["event_date"],
                            _place_key(cell, lat, lon),
                            _key_text(title or description[:200]), cells)
    if title and title.casefold() not in description.casefold():
        description = f"{title} — {description}" if description else title
    weapon_text = cell("weapon_model")
    weapon, note = weapon_fields(description, weapon_text)
    out.note(note)
    if note == "weapon_model_unresolved" and len(weapon_text) <= 60:
        out.unresolved[f"weapon: {weapon_text}"] += 1
    if cell("weapon_class") and not weapon["weapon_class"]:
        weapon["weapon_class"] = cell("weapon_class")
    raw_type = cell("event_type").casefold()
    if raw_type:
        kind = EVENT_TYPES.get(raw_type) or next(
            (v for k, v in EVENT_TYPES.items() if k in raw_type), "other")
    elif has_text:
        kind = "impact" if (STRIKE_WORDS.search(" ".join((description, weapon_text)))
                            or weapon["weapon_model"]) else "other"
    else:
        kind = "impact"
        out.note("event_type_assumed_impact")
    sources = cell("sources")
    links = urls_in(sources)
    leftover = sources
    for link in links:
        leftover = leftover.replace(link, " ")
    leftover = " ".join(leftover.replace(";", " ").split())
    if leftover:
        description = f"{description} (sources: {leftover})".strip()
    if weapon_text and not weapon["weapon_model"] and weapon_text.casefold() not in \
            description.casefold():
        description = f"{description} (weapon: {weapon_text})".strip()
    precision = PRECISIONS.get(cell("geo_precision").casefold(), "")
    if not precision:
        precision = _precision_from_decimals(cell, "coordinates" in pos)
        if lat is not None:
            out.note(f"geo_precision_{precision}_from_decimals")
    admin1_text = cell("admin1")
    admin1_code = _admin1(admin1_text)
    verification = VERIFICATION.get(cell("verification").casefold(), "unverified")
    if cell("verification") and cell("verification").casefold() not in VERIFICATION:
        out.note("verification_unknown_value_read_as_unverified")
    raw = {"event_id": event_id, **parsed.fields(), "event_type": kind,
           "location": cell("location"), "description": description, "actor": cell("actor"),
           "sources": " ".join(links), "source_dataset": dataset, "source_id": key,
           "verification": verification, **weapon}
    for field in ("launched", "destroyed", "hits", "fatalities", "injured"):
        raw[field] = _count(cell(field))
    return Stage(line, raw, lat, lon, precision, place=cell("location"),
                 oblast_name=admin1_text, oblast_code=admin1_code,
                 country=cell("country"))


def _admin1(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"[A-Za-z]{2}-[0-9A-Za-z]{1,3}", text):
        return text.upper()
    return oblast_for_name(text)


def _precision_from_decimals(cell, single: bool) -> str:
    """``exact`` when both coordinates carry ≥ 4 decimals (≈ 10 m), else ``settlement``."""
    text = cell("coordinates") if single else f"{cell('latitude')} ; {cell('longitude')}"
    decimals = [len(m) for m in re.findall(r"\d[.,](\d+)", text)]
    return "exact" if len(decimals) >= 2 and min(decimals) >= 4 else "settlement"
