"""Search: hypotheses, claims and sources by title, statement, author, informal name or id.

Every significant word of the query must be there (typos tolerated; words and aliases under
four characters only exactly: kg.search), so a result is never a guess. Each result says which
field matched, with the words highlighted, and for a claim, how it bears on which hypothesis.
The query lives in the URL (`?q=`, `&kinds=`)."""

from __future__ import annotations

import streamlit as st

from ui import palette
from ui import widgets as w

KIND_ICON = {"hypothesis": ":material/flag:", "claim": ":material/description:", "source": ":material/science:"}
FIELD_WORDS = {"title": "title", "alias": "also known as", "author": "author", "statement": "statement", "id": "id"}

store = w.require_store()
w.header("Search", "Hypotheses, claims and sources: by title, statement, author, id or informal name. Small typos are fine; every word you type must be there.")

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

# A search for hypotheses only also finds those whose evidence is about the words: a reader who
# asks which hypotheses grokking bears on wants those, said as such.
via_evidence: dict[str, list] = {}
if kinds and "hypothesis" in kinds and "claim" not in kinds:
    direct = {h.id for h in hits if h.kind == "hypothesis"}
    for hit in store.search(q, limit=60, kinds={"claim"}):
        claim = store.claim(hit.id)
        for link in claim.evidence if claim else []:
            if link.hypothesis not in direct:
                via_evidence.setdefault(link.hypothesis, []).append((hit, link))

if not hits and not via_evidence:
    w.empty_state(
        "No match",
        "No hypothesis, claim or source holds every word of the query. Check the spelling of rare words, search for fewer words, or try an author's name.",
        ":material/search_off:",
    )
    st.stop()


def where_it_matched(hit) -> None:
    label = " ".join(hit.label.split())
    if hit.field == "id":
        st.caption(f"matched the id {w.code(hit.matched)}")
    elif hit.matched != label or hit.field not in ("title", "statement"):
        st.markdown(f":gray[{FIELD_WORDS.get(hit.field, hit.field)}:] " + w.highlighted(hit.matched, hit.terms))


def quality(score: float) -> str:
    return "exact" if score >= 98 else "every word" if score >= 94 else "close spelling" if score >= 80 else "some words"


st.caption(f"{len(hits)} result(s)" + (f", and {len(via_evidence)} hypothesis(es) through their evidence" if via_evidence else "") + ". Highlighted: the words that matched.")
for hit in hits:
    with st.container(border=True):
        a, b = st.columns([8, 1.4])
        with a:
            if hit.field in ("title", "statement"):
                st.page_link(w.PAGES[hit.kind], label=w.highlighted(hit.label, hit.terms), query_params={"id": hit.id}, icon=KIND_ICON.get(hit.kind))
            else:
                w.page_link(hit.kind, hit.id, hit.label, icon=KIND_ICON.get(hit.kind))
            where_it_matched(hit)
            if hit.kind == "claim":
                claim = store.claim(hit.id)
                tags = []
                for link in claim.evidence if claim else []:
                    hyp = store.hypothesis(link.hypothesis)
                    tags.append((f"{link.relation} · {hyp.title if hyp else link.hypothesis}", palette.RELATION_BADGE[link.relation]))
                w.badges(tags or [("bears on no hypothesis", "gray")])
        b.caption(
            f"{w.md(hit.kind)} · {quality(hit.score)} ({hit.score:.0f})", help="100: the whole title or alias; 98: the query as a phrase; 95: every word; lower: close spellings or a word missing"
        )

if via_evidence:
    st.markdown("**Hypotheses whose evidence matches**")
    for hid, pairs in sorted(via_evidence.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        hyp = store.hypothesis(hid)
        with st.container(border=True):
            w.page_link("hypothesis", hid, hyp.title if hyp else hid, icon=KIND_ICON["hypothesis"])
            st.caption(f"{len(pairs)} claim(s) about it bear on this hypothesis, for example:")
            hit, link = pairs[0]
            w.badges([(link.relation, palette.RELATION_BADGE[link.relation])])
            st.markdown(w.highlighted(hit.label, hit.terms))
