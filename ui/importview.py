"""Import page helpers: limits enforced by our own loader, report layout."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo import settings
from geo.escape import for_markdown
from geo.importers import FORMAT_NAMES, ImportResult, InputError, read_events
from geo.store import Store, UpsertResult

FORMATS = ("auto", *FORMAT_NAMES)


def read_upload(name: str, data: bytes, fmt: str) -> tuple[ImportResult | None, str | None]:
    """Parse uploaded bytes within the size/row limits; returns (result, error message)."""
    limit = settings.get("upload_max_mb") * 1024 * 1024
    if len(data) > limit:
        return None, f"{name}: {len(data) / 1e6:.1f} MB is over the {limit // 2**20} MB limit."
    suffix = Path(name).suffix.lower()[:10] or ".csv"
    # The user's file name never becomes a path: a random temp name, removed right after.
    handle, tmp = tempfile.mkstemp(prefix="salvo-upload-", suffix=suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        result = read_events(tmp, fmt)
    except InputError as exc:
        return None, str(exc).replace(tmp, name)
    finally:
        os.unlink(tmp)
    result.path = name
    if result.rows_read > settings.get("upload_max_rows"):
        return None, (f"{name}: {result.rows_read:,} rows is over the "
                      f"{settings.get('upload_max_rows'):,}-row limit; use the command line.")
    return result, None


def show_report(result: ImportResult, name: str) -> None:
    report = result.report()
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows read", f"{result.rows_read:,}")
    c2.metric("Accepted", f"{len(result.events):,}")
    c3.metric("Rejected", f"{len(result.rejections):,}")
    st.caption(f"Format: {for_markdown(result.format)}")
    if len(result.events):
        st.markdown("**Preview** (first rows after mapping to the canonical table)")
        st.dataframe(result.events.head(20), hide_index=True)
    if result.rejections:
        st.markdown("**Rejected rows**")
        st.dataframe(pd.DataFrame([
            {"row": r.row, "field": r.field, "reason": r.reason} for r in result.rejections[:200]
        ]), hide_index=True)
    notes = {k: v for k, v in report.get("notes", {}).items() if v}
    if notes:
        st.markdown("**Notes**")
        st.dataframe(pd.DataFrame([{"note": k, "rows": v} for k, v in notes.items()]),
                     hide_index=True)


def add_to_store(store: Store, result: ImportResult) -> UpsertResult:
    return store.upsert(result.events)
