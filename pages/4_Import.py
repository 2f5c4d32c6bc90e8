"""Import: upload a file, map its columns, preview what it becomes, read the report, store it."""

import streamlit as st

from geo import settings
from ui.importview import FORMATS, UPLOAD_TYPES, format_label, import_flow
from ui.page import page
from ui.state import t
from ui.syncview import source_panel

p = page("Import", minimum_role="editor", filters=False)
st.title(t("import.title"))
limit_mb, limit_rows = settings.get("upload_max_mb"), settings.get("upload_max_rows")
st.markdown(
    f"ACLED and UCDP GED exports, TimeMap JSON, our canonical CSV, any GeoJSON / JSON / "
    f"NDJSON, KML/KMZ (Google My Maps), GeoPackage, zipped Shapefile or GeoParquet, or any "
    f"other CSV/TSV/XLSX with a date and a place or coordinates (up to {limit_mb} MB and "
    f"{limit_rows:,} rows). The format is detected from the columns; every row is either "
    "accepted or rejected with a reason, and every inference is marked as one."
)
fmt = st.selectbox("Format", FORMATS, key="imp_format", format_func=format_label)
upload = st.file_uploader("File", type=UPLOAD_TYPES, key="imp_file",
                          max_upload_size=limit_mb)
if upload is not None:
    import_flow(p.store, upload, fmt)

st.divider()
source_panel(p.store)
