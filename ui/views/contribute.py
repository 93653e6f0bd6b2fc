"""Contribute: draft a claim for an existing source and hypothesis, check it with the same
validator as `kg validate`, and copy the YAML into a pull request."""

from __future__ import annotations

import streamlit as st

from kg.util import shorten
from ui import contribute, data
from ui import widgets as w

store = w.require_store()
w.header("Contribute a claim", "Fill in the form, check it, then paste the YAML into the file named below and open a pull request.")

sources = {s.id: s.title for s in store.sources()}
hypotheses = {h.id: h.title for h in store.hypotheses()}
if not sources or not hypotheses:
    w.empty_state("The corpus needs sources and hypotheses first", "Add them to `claims/sources.yaml` and `claims/hypotheses.yaml`.")
    st.stop()

qp = st.query_params
if "cf_source" not in st.session_state and qp.get("source") in sources:
    st.session_state["cf_source"] = qp.get("source")
if "cf_h0" not in st.session_state and qp.get("hypothesis") in hypotheses:
    st.session_state["cf_h0"] = qp.get("hypothesis")

n_links = st.segmented_control("Evidence links", [1, 2, 3], default=1, key="cf_n")

with st.form("claim_form", border=True):
    st.markdown("**The claim**")
    source = st.selectbox("Source", list(sources), format_func=lambda i: f"{shorten(sources[i], 90)}  ·  {i}", index=None, key="cf_source", placeholder="which paper or post makes the claim")
    statement = st.text_area("Statement (one precise finding, in your own words, at least 20 characters)", key="cf_statement", height=90)
    c1, c2 = st.columns([2, 1])
    claim_id = c1.text_input("Id (lowercase-with-hyphens; left empty, one is suggested from the source and statement)", key="cf_id")
    setting = c2.selectbox("Setting", list(data.SETTINGS), index=None, key="cf_setting", placeholder="toy, small-model, frontier…")

    st.markdown("**Where in the source** (at least one)")
    lc = st.columns(4)
    locator = {k: lc[i].text_input(k.title(), key=f"cf_loc_{k}") for i, k in enumerate(("section", "figure", "table", "page"))}
    locator["quote"] = st.text_input("Short verbatim quote (optional, at most 300 characters)", key="cf_loc_quote")

    with st.expander("Scope (optional): the conditions it holds under"):
        sc = st.columns(4)
        scope = {k: sc[i].text_input(k.title(), key=f"cf_scope_{k}") for i, k in enumerate(contribute.SCOPE_KEYS)}

    st.markdown("**Evidence**")
    evidence = []
    for i in range(n_links or 1):
        ec = st.columns([3, 1.3, 1.2])
        hyp = ec[0].selectbox(f"Hypothesis {i + 1}", list(hypotheses), format_func=lambda h: shorten(hypotheses[h], 80), index=None, key=f"cf_h{i}")
        rel = ec[1].selectbox(f"Relation {i + 1}", list(data.RELATIONS), index=None, key=f"cf_rel{i}")
        strength = ec[2].selectbox(f"Strength {i + 1}", list(data.STRENGTHS), index=None, key=f"cf_str{i}")
        rationale = st.text_input(f"Rationale {i + 1}: why it bears on the hypothesis, in one line", key=f"cf_rat{i}")
        evidence.append({"hypothesis": hyp, "relation": rel, "strength": strength, "rationale": rationale})

    with st.expander("Link to another claim (optional)"):
        lk = st.columns([3, 2])
        other = lk[0].text_input("Claim id", key="cf_link_claim")
        other_rel = lk[1].selectbox("Relation", list(data.CLAIM_RELATIONS), index=None, key="cf_link_rel")
    tags = st.text_input("Tags (comma-separated slugs, optional)", key="cf_tags")
    submitted = st.form_submit_button("Check the claim", type="primary", icon=":material/fact_check:")

if not submitted:
    st.caption("Nothing is written anywhere: the check runs in memory, against the loaded corpus.")
    st.stop()

form = {
    "id": claim_id or (contribute.suggest_id(source or "", statement or "") if source and statement else ""),
    "source": source,
    "statement": statement,
    "setting": setting,
    "locator": locator,
    "scope": scope,
    "evidence": evidence,
    "links": [{"claim": other, "relation": other_rel}] if other else [],
    "tags": tags,
}
claim = contribute.build_claim(form)
with st.spinner("Validating with kg validate…"):
    problems, text = data.validate_claim(claim)
errors = [p for p in problems if p.severity == "error"]
warnings = [p for p in problems if p.severity != "error"]

if errors:
    st.error(f"{len(errors)} problem(s) to fix before this claim can be merged:", icon=":material/error:")
    for p in errors:
        st.markdown(f"- line {p.line}: {w.md(p.message)}" + (f"  \n  *{w.md(p.hint)}*" if p.hint else ""))
else:
    st.success("The claim passes `kg validate`.", icon=":material/check_circle:")
for p in warnings:
    st.warning(f"line {p.line}: {w.md(p.message)}" + (f" ({w.md(p.hint)})" if p.hint else ""), icon=":material/warning:")

target = data.claim_file_for(store, claim)
st.markdown(f"Add it to {w.code(target)}:")
st.code(text, language="yaml", line_numbers=True)
st.download_button("Download the YAML", text, file_name=f"{claim.get('id', 'claim')}.yaml", mime="text/yaml", icon=":material/download:")
