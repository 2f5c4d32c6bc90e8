"""Import: upload a file, map its columns, preview what it becomes, read the report, store it."""

import streamlit as st

from geo import settings
from ui.importview import FORMATS, UPLOAD_TYPES, format_label, import_flow
from ui.page import page
from ui.state import language, t
from ui.syncview import source_panel

p = page("Import", minimum_role="editor", filters=False)
st.title(t("import.title"))
limit_mb, limit_rows = settings.get("upload_max_mb"), settings.get("upload_max_rows")
st.markdown(t("import.intro", mb=limit_mb, rows=limit_rows))
lang = language()
fmt = st.selectbox(t("import.format"), FORMATS, key="imp_format",
                   format_func=lambda name: format_label(name, lang))
upload = st.file_uploader(t("import.file"), type=UPLOAD_TYPES, key="imp_file",
                          max_upload_size=limit_mb)
if upload is not None:
    import_flow(p.store, upload, fmt)

st.divider()
source_panel(p.store)
