"""claimgraph's web UI: `streamlit run ui/app.py` (or `make run`).

The entry script only sets the page up and routes; each view is a script in ui/views/ (not
pages/: see the Streamlit note in the README). Every page takes its subject from the URL
(`/claim?id=…`), so any page can be shared as a link.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `streamlit run ui/app.py` runs this as a script
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)

import streamlit as st

from ui import auth, data, widgets

st.set_option("client.toolbarMode", "minimal")  # a research tool, not a deploy button
st.set_page_config(page_title="claimgraph", page_icon=":material/hub:", layout="wide", initial_sidebar_state="auto")

P = widgets.PAGES
pages = {
    "Browse": [
        st.Page(P["overview"], title="Hypotheses", icon=":material/balance:", url_path="overview", default=True),
        st.Page(P["hypothesis"], title="Hypothesis", icon=":material/flag:", url_path="hypothesis"),
        st.Page(P["claim"], title="Claim", icon=":material/description:", url_path="claim"),
        st.Page(P["source"], title="Source", icon=":material/science:", url_path="source"),
        st.Page(P["graph"], title="Graph explorer", icon=":material/hub:", url_path="graph"),
        st.Page(P["search"], title="Search", icon=":material/search:", url_path="search"),
    ],
    "Work": [
        st.Page(P["runs"], title="Runs", icon=":material/play_circle:", url_path="runs"),
        st.Page(P["contribute"], title="Contribute", icon=":material/edit_note:", url_path="contribute"),
    ],
}

# Our own stylesheet (no contributor text, no script): statements in links wrap instead of being
# cut off at the line's end, and headings fit a phone.
st.html(
    """<style>
[data-testid="stPageLink"] a span, [data-testid="stPageLink"] a p { white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stPageLink"] a { height: auto !important; align-items: flex-start; }
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
@media (max-width: 640px) {
  [data-testid="stMain"] h1 { font-size: 1.7rem !important; line-height: 1.2 !important; }
  [data-testid="stMainBlockContainer"] { padding-left: 0.8rem; padding-right: 0.8rem; }
  /* a row of numbers (the answer's metrics) stays two by two instead of one under another */
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) { flex-direction: row !important; flex-wrap: wrap !important; gap: 0.5rem !important; }
  [data-testid="stColumn"]:has([data-testid="stMetric"]) { flex: 1 1 40% !important; min-width: 40% !important; width: auto !important; }
  [data-testid="stMetricValue"] { font-size: 1.5rem !important; }
}
</style>"""
)

page = st.navigation(pages)
with st.sidebar:
    st.markdown("### :material/hub: claimgraph")
    st.caption("Claims from the literature, weighed against the hypotheses they bear on.")
auth.guard()  # who you are; stops here when the settings are bad or reading needs sign-in
try:
    widgets.sidebar_footer()
    page.run()
except data.store_errors() as exc:  # the Neo4j server went away mid-session: one line, then retry
    widgets.store_down(data.one_line(exc))
