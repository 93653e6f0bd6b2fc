"""Contribute: draft a claim for an existing source and hypothesis, check it with the same
validator as `kg validate`, and copy the YAML into a pull request."""

from __future__ import annotations

import streamlit as st

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

C = contribute.CAPS
slots: dict[str, object] = {}  # form field -> the spot beside it where its problems go


def slot(name: str) -> None:
    slots[name] = st.empty()


with st.form("claim_form", border=True):
    st.markdown("**The claim**")
    source = st.selectbox("Source", list(sources), format_func=lambda i: f"{sources[i]}  ·  {i}", index=None, key="cf_source", placeholder="which paper or post makes the claim")
    slot("source")
    statement = st.text_area(f"Statement (one precise finding, in your own words, {contribute.MIN_STATEMENT} to {C['statement']} characters)", key="cf_statement", height=90, max_chars=C["statement"])
    slot("statement")
    c1, c2 = st.columns([2, 1])
    with c1:
        claim_id = st.text_input("Id (lowercase-with-hyphens; left empty, one is suggested from the source and statement)", key="cf_id", max_chars=C["id"])
        slot("id")
    with c2:
        setting = st.selectbox("Setting", list(data.SETTINGS), index=None, key="cf_setting", placeholder="toy, small-model, frontier…")
        slot("setting")

    st.markdown("**Where in the source** (at least one)")
    lc = st.columns(4)
    locator = {k: lc[i].text_input(k.title(), key=f"cf_loc_{k}", max_chars=C[f"locator.{k}"]) for i, k in enumerate(("section", "figure", "table", "page"))}
    locator["quote"] = st.text_input(f"Short verbatim quote (optional, at most {C['locator.quote']} characters)", key="cf_loc_quote", max_chars=C["locator.quote"])
    slot("locator")

    with st.expander("Scope (optional): the conditions it holds under"):
        sc = st.columns(4)
        scope = {k: sc[i].text_input(k.title(), key=f"cf_scope_{k}", max_chars=C[f"scope.{k}"]) for i, k in enumerate(contribute.SCOPE_KEYS)}
        slot("scope")

    st.markdown("**Evidence**")
    evidence = []
    for i in range(n_links or 1):
        ec = st.columns([3, 1.3, 1.2])
        hyp = ec[0].selectbox(f"Hypothesis {i + 1}", list(hypotheses), format_func=lambda h: hypotheses[h], index=None, key=f"cf_h{i}")
        rel = ec[1].selectbox(f"Relation {i + 1}", list(data.RELATIONS), index=None, key=f"cf_rel{i}")
        strength = ec[2].selectbox(f"Strength {i + 1}", list(data.STRENGTHS), index=None, key=f"cf_str{i}")
        rationale = st.text_input(f"Rationale {i + 1}: why it bears on the hypothesis, in one line", key=f"cf_rat{i}", max_chars=C["rationale"])
        slot(f"evidence.{i}")
        evidence.append({"hypothesis": hyp, "relation": rel, "strength": strength, "rationale": rationale})

    with st.expander("Link to another claim (optional)"):
        lk = st.columns([3, 2])
        other = lk[0].text_input("Claim id", key="cf_link_claim", max_chars=C["link"])
        other_rel = lk[1].selectbox("Relation", list(data.CLAIM_RELATIONS), index=None, key="cf_link_rel")
        slot("links")
    tags = st.text_input("Tags (comma-separated slugs, optional)", key="cf_tags", max_chars=500)
    slot("tags")
    submitted = st.form_submit_button("Check the claim", type="primary", icon=":material/fact_check:")

if not submitted:
    st.caption("Nothing is written anywhere: the check runs in memory, against the loaded corpus.")
    st.stop()

suggested = contribute.suggest_id(source or "", statement or "") if source and statement else ""
form = {
    "id": claim_id or suggested,
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

# Beside each field: the form's own words first; the validator's problems for a field the form
# already flagged are knock-on effects, and an id the reader left empty is ours to suggest.
beside = contribute.form_problems(form)
flagged = set(beside)
general = []
for p in problems:
    where = contribute.field_of(p.message)
    if where in flagged or (where == "id" and not claim_id):
        continue
    line = w.md(p.message) + (f" ({w.md(p.hint)})" if p.hint else "")
    if p.severity != "error":
        beside.setdefault(where or "_warnings", []).append("Warning: " + line)
    elif where in slots:
        beside.setdefault(where, []).append(line)
    else:
        general.append(line)
copies = contribute.near_copies(statement or "", {c.id: c.statement for s in store.sources() for c in store.claims_of_source(s.id)})
for other_id, score in copies:
    beside.setdefault("statement", []).append(f"Warning: nearly the same as the existing claim {w.code(other_id)} (similarity {score}): merge, or say what differs.")

n_errors = sum(1 for field, lines in beside.items() for line in lines if not line.startswith("Warning")) + len(general)
for field, lines in beside.items():
    target = slots.get(field)
    text_ = "\n".join(f":red[{line}]" if not line.startswith("Warning") else f":orange[{line}]" for line in lines if field in contribute.form_problems(form) or True)
    if target is not None:
        target.markdown(text_)  # type: ignore[attr-defined]  # an st.empty placeholder
    else:
        general += lines

if n_errors:
    st.error(f"{n_errors} problem(s) to fix before this claim can be merged: see the notes in red beside the fields above.", icon=":material/error:")
    for line in general:
        st.markdown(f"- {line}")
else:
    st.success("The claim passes `kg validate`.", icon=":material/check_circle:")
    for line in general:
        st.warning(line, icon=":material/warning:")
if not claim_id and suggested:
    st.caption(f"Suggested id: {w.code(suggested)}")

target = data.claim_file_for(store, claim)
st.markdown(f"Add it to {w.code(target)}:")
st.code(text, language="yaml", line_numbers=True)
st.download_button("Download the YAML", text, file_name=f"{claim.get('id', 'claim')}.yaml", mime="text/yaml", icon=":material/download:")
