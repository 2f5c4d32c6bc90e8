"""Curation: editors verify, edit, retract, restore and link events; every change is audited.

This module decides what a change *means* (validated new row, status, audit record); the
store applies it in one transaction with its audit row, so an edit and its history can
never disagree. Retracted and duplicate events vanish from every view and export but stay
in the store and in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from geo.schema import COLUMNS, RowError, normalise_row

ACTIONS = ("verify", "edit", "retract", "restore", "link_duplicate")
# Fields an editor may change. Provenance (source_dataset/source_id) and the id never change.
EDITABLE = tuple(c for c in COLUMNS if c not in ("event_id", "source_dataset", "source_id"))
STATUSES = ("active", "retracted", "duplicate")


class CurationError(ValueError):
    """A change that cannot be applied; the message says why, for the editor."""


@dataclass(frozen=True)
class Change:
    """What one curation action does to one event, ready for the store."""

    event_id: str
    action: str
    actor: str
    reason: str
    row: dict[str, object]  # the full canonical row after the change
    status: str
    before: dict[str, object]
    link_to: str = ""
    at: str = ""

    def audit_json(self) -> tuple[str, str]:
        """Before/after as JSON text (only the fields that changed, plus status)."""
        keys = [k for k in (*COLUMNS, "status")
                if _plain(self.before.get(k)) != _plain(self.after_dict().get(k))]
        before = {k: _plain(self.before.get(k)) for k in keys}
        after = {k: _plain(self.after_dict().get(k)) for k in keys}
        return (json.dumps(before, ensure_ascii=False, sort_keys=True),
                json.dumps(after, ensure_ascii=False, sort_keys=True))

    def after_dict(self) -> dict[str, object]:
        return {**self.row, "status": self.status}


def _plain(value: object) -> object:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if len(str(value)) >= 10 else str(value)
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def plan_change(current: dict[str, object], action: str, *, actor: str, reason: str = "",
                fields: dict[str, object] | None = None, link_to: str = "") -> Change:
    """Validate one action on ``current`` (a stored row incl. ``status``) → a :class:`Change`."""
    if action not in ACTIONS:
        raise CurationError(f"unknown action {action!r}")
    if not actor:
        raise CurationError("a change needs the editor's identity")
    reason = (reason or "").strip()
    status = str(current.get("status") or "active")
    before = {k: _plain(current.get(k)) for k in (*COLUMNS, "status")}
    try:  # compare like with like: the stored row in its normalised form
        before = {**normalise_row(before), "status": status}
    except RowError:
        pass
    row = {k: before[k] for k in COLUMNS}
    if action in ("retract", "link_duplicate", "edit") and not reason:
        raise CurationError(f"{action} needs a reason (it goes into the audit log)")
    if action == "verify":
        row["verification"] = "verified"
    elif action == "edit":
        unknown = set(fields or {}) - set(EDITABLE)
        if unknown:
            raise CurationError(f"these fields cannot be edited: {', '.join(sorted(unknown))}")
        if not fields:
            raise CurationError("nothing to change")
        row.update(fields)
    elif action == "retract":
        if status == "retracted":
            raise CurationError("already retracted")
        status = "retracted"
    elif action == "restore":
        if status == "active":
            raise CurationError("the event is not retracted")
        status = "active"
    elif action == "link_duplicate":
        if not link_to or link_to == current.get("event_id"):
            raise CurationError("name the other event this one duplicates")
        status = "duplicate"
    try:
        normalised = normalise_row(row)
    except RowError as exc:
        raise CurationError(f"invalid {exc.field}: {exc.reason}") from exc
    return Change(event_id=str(current["event_id"]), action=action, actor=actor, reason=reason,
                  row=normalised, status=status, before=before, link_to=link_to,
                  at=datetime.now(UTC).isoformat(timespec="seconds"))
