"""About: methodology, precision codes, the weapon catalogue, sources and licences."""

import pandas as pd
import streamlit as st

from geo import settings
from geo.catalogue import load_catalogue
from geo.credits import CC_BY_4, GEOBOUNDARIES_CITATION, data_credits
from geo.escape import for_markdown
from geo.maps import PRECISION_TEXT
from geo.sources import SOURCES
from ui.page import page
from ui.state import t
from ui.syncview import refresh_text

page("About", filters=False)
st.title(t("about.title"))
st.markdown(t("about.intro"))

st.subheader(t("about.precision"))
st.dataframe(pd.DataFrame({t("about.col.code"): list(PRECISION_TEXT),
                           t("about.col.meaning"): [t(f"precision.{p}") for p in PRECISION_TEXT]}),
             hide_index=True)
st.markdown(t("about.date_precision"))

st.subheader(t("about.catalogue"))
st.caption(t("about.catalogue.caption"))
catalogue = pd.DataFrame(load_catalogue().entries)
st.dataframe(catalogue.rename(columns={c: t(f"about.catalogue.col.{c}")
                                       for c in catalogue.columns}), hide_index=True)

st.subheader(t("about.sources"))
st.markdown(t("about.sources.text"))
st.markdown("\n".join(f"- {for_markdown(line)}" for line in data_credits()))
# Our own constant, not data: left unescaped so its DOI and the licence stay links.
st.caption(t("about.cite", citation=GEOBOUNDARIES_CITATION, licence=CC_BY_4))

st.subheader(t("about.public"))
st.caption(t("about.public.caption"))
# Source titles and credits are the sources' own wording; the rest is ours.
st.dataframe(pd.DataFrame([{t("sync.col.source"): s.title,
                            t("sync.col.provides"): t(f"sync.provides.{s.name}"),
                            t("sync.col.licence"): t(f"sync.licence.{s.name}"),
                            t("sync.col.credit"): s.credit,
                            t("sync.col.sync"): refresh_text(s)} for s in SOURCES]),
             hide_index=True)

st.subheader(t("about.config"))
st.caption(t("about.config.caption"))
config = pd.DataFrame(settings.describe())
st.dataframe(config.rename(columns={c: t(f"about.config.col.{c}") for c in config.columns}),
             hide_index=True)
