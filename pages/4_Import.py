"""Import: upload a file, preview what it becomes, read the report, add it to the store."""

import streamlit as st

from geo import settings
from geo.escape import for_markdown
from ui.importview import FORMATS, add_to_store, read_upload, show_report
from ui.page import page

p = page("Import", minimum_role="editor", filters=False)
st.title("Import events")
limit_mb, limit_rows = settings.get("upload_max_mb"), settings.get("upload_max_rows")
st.markdown(
    f"CSV, GeoJSON (up to {limit_mb} MB and {limit_rows:,} rows). The format is detected "
    "from the columns; every row is either accepted or rejected with a reason."
)
fmt = st.selectbox("Format", FORMATS, key="imp_format")
upload = st.file_uploader("File", type=["csv", "geojson", "json", "txt"], key="imp_file")
if upload is not None:
    result, error = read_upload(upload.name, upload.getvalue(), fmt)
    if error:
        st.error(for_markdown(error))
    else:
        show_report(result, upload.name)
        if len(result.events) and st.button(f"Add {len(result.events):,} events to the store",
                                            type="primary"):
            outcome = add_to_store(p.store, result)
            st.success(f"Stored: {outcome.inserted:,} new, {outcome.updated:,} updated, "
                       f"{outcome.unchanged:,} unchanged.")
