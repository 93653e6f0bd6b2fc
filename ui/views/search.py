"""Search: fuzzy, typo-tolerant, over hypotheses, claims and sources (titles, statements,
authors and informal aliases such as "badllama"). The query lives in the URL (`?q=`)."""

from __future__ import annotations

import streamlit as st

from kg.util import shorten
from ui import widgets as w

KIND_ICON = {"hypothesis": ":material/flag:", "claim": ":material/description:", "source": ":material/science:"}

store = w.require_store()
w.header("Search", "Hypotheses, claims and sources: by title, statement, author, id or informal name. Typos are fine.")

if "q" not in st.session_state:
    st.session_state["q"] = st.query_params.get("q", "")
if "kinds" not in st.session_state:
    st.session_state["kinds"] = [k for k in (st.query_params.get("kinds") or "").split(",") if k in KIND_ICON]

c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
q = c1.text_input("Search", key="q", placeholder="e.g. grokking fourier, badllama, Nanda, hidden progress…", label_visibility="collapsed")
kinds = c2.multiselect("Only", list(KIND_ICON), key="kinds", placeholder="all kinds", label_visibility="collapsed")

params = {"q": q.strip()} if q.strip() else {}
if kinds:
    params["kinds"] = ",".join(kinds)
st.query_params.from_dict(params)

if not q.strip():
    w.empty_state("Type to search", "Try `grokking`, an author's name, or an informal name people use for a paper.", ":material/search:")
    st.stop()

hits = store.search(q, limit=30, kinds=set(kinds) or None)
if not hits:
    w.empty_state("No match", "Nothing scored above the match threshold. Check the spelling of rare words, or search for fewer words.", ":material/search_off:")
    st.stop()

st.caption(f"{len(hits)} result(s)")
for hit in hits:
    with st.container(border=True):
        a, b = st.columns([8, 1])
        with a:
            w.page_link(hit.kind, hit.id, hit.label, icon=KIND_ICON.get(hit.kind))
            if hit.matched and hit.matched.lower() != " ".join(hit.label.split()).lower():
                st.caption("matched: " + w.md(shorten(hit.matched, 160)))
        b.caption(f"{w.md(hit.kind)} · {hit.score:.0f}")
