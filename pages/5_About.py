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

page("About", filters=False)
st.title(t("about.title"))
st.markdown(
    """
Salvo shows strike and impact events on a map and a timeline, filtered by date and by
**weapon origin** — the country that *designed or supplied* the weapon — kept separate from
the **actor** that fired it. A KN-23 fired by Russia is a North-Korean-origin weapon with
Russia as the actor.

**Origin basis** says how we know the origin:
`catalogue` (the model's designer/supplier, from our weapon catalogue), `reported` (stated
by the source), `inferred` (found by keyword in free text — check the source), `ambiguous`
(the source cannot tell origins apart, e.g. the Ukrainian Air Force reports *Iskander-M/KN-23*
together: stored as `RUS;PRK`, never a guess), `unknown`.

**Iranian-designed drones made in Russia** (Shahed-136 / Geran-2): origin is the country of
*design* (IRN); the catalogue notes licensed or copied production. Filtering on Iran
therefore shows Shahed-type drones whoever assembled them.

**Verification**: `verified` (independently geolocated or confirmed, e.g. by an open-source
investigation), `reported` (official statement or news report), `unverified`.
"""
)
st.subheader("Location precision — never drawn finer than known")
st.dataframe(pd.DataFrame({"code": list(PRECISION_TEXT), "meaning": list(PRECISION_TEXT.values())}),
             hide_index=True)
st.markdown("Date precision (`time_precision`): hour, day, week, month, year. Dates are Kyiv "
            "local dates.")
st.subheader("Weapon catalogue")
st.dataframe(pd.DataFrame(load_catalogue().entries), hide_index=True)
st.subheader("Data sources and licences")
st.markdown(
    """
- **Bundled events** (`data/events.csv`): curated by the Salvo project from the news reports
  and official statements cited on each event; see `data/events.PROVENANCE.md`.
- **Weapon catalogue** (`data/weapons.csv`): Salvo project; see `data/weapons.PROVENANCE.md`.
- **Imported datasets** keep their own licences; each event names its `source_dataset`.
- **Maps and place names** use the data credited below (full notices: `THIRD_PARTY.md`).
  Crimea and Sevastopol are shown as Ukrainian units (de jure).
"""
)
st.markdown("\n".join(f"- {for_markdown(line)}" for line in data_credits()))
# Our own constant, not data: left unescaped so its DOI and the licence stay links.
st.caption(f"Please cite: {GEOBOUNDARIES_CITATION}. Licence: CC BY 4.0, {CC_BY_4}. "
           "Salvo itself is MIT-licensed (`LICENSE`).")
st.subheader("Public sources")
st.caption("What `python -m geo sync` and the Import page can fetch; each source's credit "
           "appears in the captions of exports that contain its events.")
st.dataframe(pd.DataFrame([{"source": s.title, "provides": s.provides, "licence": s.licence,
                            "credit": s.credit, "sync": "manual" if not s.url else
                            f"every {s.refresh_hours} h"} for s in SOURCES]),
             hide_index=True)
st.subheader("Configuration")
st.dataframe(pd.DataFrame(settings.describe()), hide_index=True)
