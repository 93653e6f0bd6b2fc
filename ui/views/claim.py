"""One claim: what it says, where, under which conditions, what it bears on, its reproductions,
related claims, and its neighbourhood in the graph."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kg import Kind, node_key
from kg.util import shorten
from ui import data, graphview, palette
from ui import widgets as w

store = w.require_store()
cid = w.choose("claim", store, lambda: [(c.id, shorten(c.statement, 80)) for s in store.sources() for c in store.claims_of_source(s.id)])
claim = store.claim(cid)
if claim is None:
    w.header("Claim")
    w.not_found("claim", cid, store)
    st.stop()

source = store.source(claim.source)
st.caption(f"claim {w.code(claim.id)} · link: {w.code(w.url_for('claim', claim.id))}")
st.markdown("### " + w.md(claim.statement))

tags = [(claim.setting, "gray")] + [(t, "blue") for t in claim.tags]
w.badges(tags)

left, right = st.columns([3, 2])
with left:
    st.markdown("**Source**")
    if source is None:
        st.warning(f"The source {w.code(claim.source)} is missing from the corpus.", icon=":material/link_off:")
    else:
        st.page_link(w.PAGES["source"], label=w.md(source.title), query_params={"id": source.id}, icon=":material/science:")
        st.caption(w.source_line(source))
        w.link_buttons(w.source_links(source))
with right:
    st.markdown("**Where in the source**")
    st.markdown(w.md(str(claim.locator)))
    if claim.locator.quote:
        st.markdown("> " + w.md(claim.locator.quote))
    origin = store.origin("claim", claim.id)
    if origin:
        st.caption(f"Written at {w.code(origin)}")

if claim.scope:
    scope = {k: v for k, v in claim.scope.model_dump().items() if v}
    if scope:
        st.markdown("**Scope**")
        st.dataframe(pd.DataFrame([scope]), hide_index=True, width="stretch")

st.subheader("Bears on")
if not claim.evidence:
    st.caption("No hypothesis: this claim only relates to other claims.")
for link in claim.evidence:
    hyp = store.hypothesis(link.hypothesis)
    with st.container(border=True):
        a, b = st.columns([4, 2])
        with a:
            w.page_link("hypothesis", link.hypothesis, hyp.title if hyp else link.hypothesis, icon=":material/flag:")
            st.caption("Why: " + w.md(link.rationale))
        with b:
            w.badges([(link.relation, palette.RELATION_BADGE[link.relation]), (link.strength, "blue")])

st.subheader("Reproductions")
verdicts = {(v.job, v.preset): v for v in store.verdicts(claim.id)}
if not claim.reproductions:
    st.caption("No runnable job tests this claim yet.")
for problem in data.unreadable_runs_of({ref.job for ref in claim.reproductions}):
    st.warning(w.md(problem), icon=":material/warning:")  # left out of the verdicts below
for ref in claim.reproductions:
    v = verdicts.get((ref.job, ref.preset))
    with st.container(border=True):
        a, b = st.columns([4, 2])
        with a:
            st.markdown(f"{w.code(ref.job)} preset {w.code(ref.preset)}; the claim expects **{w.md(ref.expect)}**")
            if ref.params:
                st.caption("params: " + w.code(ref.params))
            if v is not None:
                st.caption(w.md(v.summary) if v.summary else "")
                if v.status == "local":  # a run in this machine's run store: its page exists
                    st.page_link(w.PAGES["runs"], label=f"Run {w.md(v.run_id)}", query_params={"run": v.run_id}, icon=":material/play_circle:")
                else:  # a published verdict of record: its details, not a local run
                    with st.expander("The verdict of record" + (" (stale)" if v.status == "stale" else "")):
                        st.markdown(f"Seeds {w.md(', '.join(str(s) for s in v.seeds) or '?')} · code version {w.code(v.code_version or '?')} · published {w.md(v.finished_at[:10] or '?')}")
                        st.caption(f"Published as {w.code(f'claims/verdicts/{ref.job}.{ref.preset}.json')}; re-run it locally with the button below.")
                    st.page_link(w.PAGES["runs"], label="Run it here", query_params={"job": ref.job, "preset": ref.preset}, icon=":material/play_arrow:")
            else:
                st.page_link(w.PAGES["runs"], label="Run it", query_params={"job": ref.job, "preset": ref.preset}, icon=":material/play_arrow:")
        with b:
            if v is None:
                w.badges([("not run yet", "gray")])
            else:
                agreement = {True: ("agrees with the claim", "green"), False: ("disagrees", "gray"), None: ("inconclusive", "gray")}[v.agrees]
                status = {"record": ("of record", "blue"), "stale": ("stale: weighs nothing", "orange"), "local": ("local, unpublished", "gray")}[v.status]
                w.badges([(v.outcome, palette.OUTCOME_BADGE.get(v.outcome, "gray")), agreement, status])

st.subheader("Related claims")
links = store.claim_links(claim.id)
siblings = [c for c in store.claims_of_source(claim.source) if c.id != claim.id] if source else []
if not links and not siblings:
    st.caption("No linked claims, and no other claim from this source.")
for link in links:
    other = store.claim(link.other)
    verb = link.relation if link.direction == "out" else f"{link.relation} (by the other)"
    a, b = st.columns([5, 2])
    with a:
        w.page_link("claim", link.other, other.statement if other else link.other)
    b.caption(w.md(verb))
if siblings:
    with st.expander(f"{len(siblings)} other claim(s) from the same source"):
        for c in siblings[:50]:
            w.page_link("claim", c.id, c.statement)

st.subheader("Neighbourhood")
depth = st.radio("Depth", [1, 2], horizontal=True, key="claim_depth", format_func=lambda d: f"{d} hop" + ("s" if d > 1 else ""))
key = node_key(Kind.claim, claim.id)
g = graphview.from_subgraph(store.neighbourhood(key, depth=depth))
if g.number_of_nodes() > 200:
    st.caption(f"{g.number_of_nodes()} nodes: showing the first hop only.")
    g = graphview.from_subgraph(store.neighbourhood(key, depth=1))
w.network(graphview.to_elements(g, focus=key, names=w.short_names(store, g)), key="claim_graph", height=420)
