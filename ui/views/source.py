"""One source: metadata, links out, its claims, citations within the corpus, its neighbourhood."""

from __future__ import annotations

import streamlit as st

from kg import Kind, node_key
from kg.util import shorten
from ui import data, graphview, palette
from ui import widgets as w

store = w.require_store()
sid = w.choose("source", store, lambda: [(s.id, shorten(s.title, 80)) for s in store.sources()])
source = store.source(sid)
if source is None:
    w.header("Source")
    w.not_found("source", sid, store)
    st.stop()

w.header(source.title)
st.caption(f"{w.md(source.kind)} {w.code(source.id)} · link: {w.code(w.url_for('source', source.id))}")
st.markdown(w.source_line(source))
w.link_buttons(w.source_links(source))
if source.aliases:
    st.caption("Also known as: " + w.md(", ".join(source.aliases)))
meta = data.s2_metadata(source.id)
if meta:
    with st.container(border=True):
        counts = f"{meta['citation_count']:,} citations" if meta.get("citation_count") is not None else ""
        st.caption(" · ".join(x for x in ("From Semantic Scholar", counts, f"fetched {str(meta.get('fetched_at', ''))[:10]}") if x))
        if meta.get("tldr"):
            w.text_block("TL;DR: " + meta["tldr"])
        if meta.get("abstract"):
            with st.expander("Abstract"):
                w.text_block(meta["abstract"])
if source.note:
    with st.container(border=True):
        st.caption("Note")
        w.text_block(source.note)

claims = store.claims_of_source(source.id)
st.subheader(f"Claims ({len(claims)})")
if not claims:
    w.empty_state("No claim from this source yet", "Draft one on the Contribute page.", ":material/edit_note:")
    st.page_link(w.PAGES["contribute"], label="Draft a claim from this source", query_params={"source": source.id}, icon=":material/edit_note:")
for c in claims[:100]:
    with st.container(border=True):
        w.page_link("claim", c.id, c.statement)
        tags = [(c.setting, "gray")]
        for e in c.evidence:
            hyp = store.hypothesis(e.hypothesis)
            tags.append((f"{e.relation} · {hyp.title if hyp else e.hypothesis}", palette.RELATION_BADGE[e.relation]))
        w.badges(tags)
        st.caption(w.md(str(c.locator)))
if len(claims) > 100:
    st.caption(f"and {len(claims) - 100} more")

cites = store.citations(source.id)
if cites:
    st.subheader("Citations within the corpus")
    a, b = st.columns(2)
    with a:
        st.markdown("**Cites**")
        for c in [c for c in cites if c.citing == source.id]:
            other = store.source(c.cited)
            w.page_link("source", c.cited, other.title if other else c.cited)
    with b:
        st.markdown("**Cited by**")
        for c in [c for c in cites if c.cited == source.id]:
            other = store.source(c.citing)
            w.page_link("source", c.citing, other.title if other else c.citing)

st.subheader("Neighbourhood")
key = node_key(Kind.source, source.id)
g = graphview.from_subgraph(store.neighbourhood(key, depth=2))
if g.number_of_nodes() > 200:
    g = graphview.from_subgraph(store.neighbourhood(key, depth=1))
w.network(graphview.to_elements(g, focus=key, names=w.short_names(store, g)), key="source_graph", height=420)
