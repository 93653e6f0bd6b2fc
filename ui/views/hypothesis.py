"""One hypothesis: its statement and seed passage, every claim behind it grouped by relation,
and the balance with its explanation; the weights are adjustable here and the balance follows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kg.util import shorten
from ui import data, palette
from ui import widgets as w

SHOWN = 12  # cards per relation; the rest are in a table under them

store = w.require_store()
hid = w.choose("hypothesis", store, lambda: [(h.id, h.title) for h in store.hypotheses()])
h = store.hypothesis(hid)
if h is None:
    w.header("Hypothesis")
    w.not_found("hypothesis", hid, store)
    st.stop()

# --- heading --------------------------------------------------------------------------------
w.header(h.title)
st.caption(f"hypothesis {w.code(h.id)} · link: {w.code(w.url_for('hypothesis', h.id))}")
w.text_block(h.statement)
if h.parent:
    parent = store.hypothesis(h.parent)
    w.page_link("hypothesis", h.parent, f"Refines: {parent.title if parent else h.parent}", icon=":material/subdirectory_arrow_left:")
if h.seed:
    with st.container(border=True):
        where = ", ".join(x for x in (h.seed.file, f"paragraph {h.seed.paragraph}" if h.seed.paragraph else "") if x)
        st.caption("From the seed discussion" + (f" ({w.md(where)})" if where else ""))
        if h.seed.quote:
            st.markdown("> " + w.md(h.seed.quote))

# --- weights (before the balance, which reads them) -------------------------------------------
defaults = data.default_weights()
current = data.weights()
balance_box = st.container()

# Every weight kg defines gets a slider: the dict-valued ones per key, the scalars by their
# description (so a weight added to kg.evidence.Weights shows up here without a UI change).
DICTS = [name for name, f in type(defaults).model_fields.items() if isinstance(getattr(defaults, name), dict)]
SCALARS = [name for name in type(defaults).model_fields if name not in DICTS]
SLIDERS = [(group, k) for group in DICTS for k in getattr(defaults, group)] + [(name, None) for name in SCALARS]


def _slider_key(group: str, name: str | None) -> str:
    return f"w_{group}_{name}" if name else f"w_{group}"


def _value(wts, group: str, name: str | None) -> float:
    value = getattr(wts, group)
    return float(value.get(name, 1.0) if name else value)


def _reset() -> None:
    for group, name in SLIDERS:
        st.session_state[_slider_key(group, name)] = _value(defaults, group, name)
    data.set_weights(None)


for group, name in SLIDERS:  # seed the sliders from the session's weights once
    st.session_state.setdefault(_slider_key(group, name), _value(current, group, name))

with st.expander("Weights: adjust them and the balance follows", expanded=False, icon=":material/tune:"):
    cols = st.columns(len(DICTS) + 1)
    for col, group in zip(cols, DICTS, strict=False):
        with col:
            st.markdown(f"**{group.title()}**")
            top = max(5.0, *getattr(defaults, group).values()) if group == "strength" else max(2.0, *getattr(defaults, group).values())
            for k in getattr(defaults, group):
                st.slider(k, 0.0, float(top), step=0.05, key=_slider_key(group, k))
    with cols[-1]:
        st.markdown("**Multipliers**")
        for name in SCALARS:
            field = type(defaults).model_fields[name]
            st.slider(field.description or name, 0.0, max(3.0, 2 * _value(defaults, name, None)), step=0.05, key=_slider_key(name, None))
        st.button("Reset to defaults", on_click=_reset, key="w_reset", icon=":material/restart_alt:")
    st.caption("The weights apply to every page of this session (the overview too).")

weights = defaults.model_copy(
    update={
        **{group: {k: st.session_state[_slider_key(group, k)] for k in getattr(defaults, group)} for group in DICTS},
        **{name: st.session_state[_slider_key(name, None)] for name in SCALARS},
    }
)
data.set_weights(None if weights == defaults else weights)
b = data.balance(store, h.id, weights)
groups = data.by_relation(store, h.id, weights)

# --- the balance -----------------------------------------------------------------------------
with balance_box:
    c = st.columns([1.2, 1, 1, 1, 1.6])
    c[0].metric("Balance", f"{b.score:+.2f}", help="in [−1, 1]; the formula is under 'Why this balance'")
    c[1].metric("Support", f"{b.support:.2f}", help=f"{b.counts['supports']} claims")
    c[2].metric("Against", f"{b.against:.2f}", help=f"{b.counts['contradicts']} claims")
    c[3].metric("Qualify", f"{b.qualify:.2f}", help=f"{b.counts['qualifies']} claims")
    with c[4]:
        tags = [(w.balance_caption(b.score), "blue"), (f"{b.sources} sources", "gray")]
        if b.contested:
            tags.insert(0, ("contested", "orange"))
        if weights != defaults:
            tags.append(("custom weights", "violet"))
        w.badges(tags)
    if b.contributions:
        w.balance_bar(b.support, b.against, b.qualify)

# --- claims by relation ----------------------------------------------------------------------
st.subheader("Claims")
if not b.contributions:
    w.empty_state(
        "No claim bears on this hypothesis yet",
        "Know a paper that does? Draft a claim on the Contribute page and open a pull request.",
        ":material/edit_note:",
    )
    st.page_link(w.PAGES["contribute"], label="Draft a claim for this hypothesis", query_params={"hypothesis": h.id}, icon=":material/edit_note:")
    st.stop()


def claim_card(contribution) -> None:
    row = contribution.row
    claim = store.claim(row.claim)
    source = store.source(row.source)
    with st.container(border=True):
        top = st.columns([6, 1])
        with top[0]:
            w.page_link("claim", row.claim, shorten(claim.statement, 140) if claim else row.claim)
        top[1].metric("weight", f"{contribution.weight:.2f}", label_visibility="collapsed", help="this claim's weight")
        bits = [(row.strength, palette.STRENGTH_BADGE.get(row.strength, "gray")), (row.setting, "gray")]
        for v in store.verdicts(row.claim)[:1]:
            bits.append((f"run: {v.outcome}", palette.OUTCOME_BADGE.get(v.outcome, "gray")))
        if contribution.reproduction == "none" and claim and claim.reproductions:
            bits.append(("not run yet", "gray"))
        w.badges(bits)
        src = source.title if source else row.source
        loc = str(claim.locator) if claim else ""
        left, right = st.columns([3, 2])
        with left:
            st.page_link(w.PAGES["source"], label=w.md(shorten(src, 90)), query_params={"id": row.source}, icon=":material/science:")
        right.caption(w.md(loc))
        if row.rationale:
            st.caption("Why: " + w.md(row.rationale))


labels = {relation: relation.title() for relation in data.RELATIONS}
tabs = st.tabs([f"{labels[r]} ({len(groups[r])})" for r in labels])
for tab, relation in zip(tabs, labels, strict=True):
    with tab:
        items = groups[relation]
        if not items:
            st.caption(f"No claim {relation[:-1] if relation.endswith('s') else relation} this hypothesis.")
            continue
        for contribution in items[:SHOWN]:
            claim_card(contribution)
        if len(items) > SHOWN:
            st.caption(f"{len(items) - SHOWN} more, lighter claims:")
            st.dataframe(
                pd.DataFrame(
                    [
                        {"claim": w.url_for("claim", c.row.claim), "source": c.row.source, "strength": c.row.strength, "setting": c.row.setting, "reproduction": c.reproduction, "weight": round(c.weight, 3)}
                        for c in items[SHOWN:]
                    ]
                ),
                hide_index=True,
                width="stretch",
                column_config={"claim": st.column_config.LinkColumn("claim", display_text=r"\./claim\?id=(.*)")},
            )

# --- explanation -------------------------------------------------------------------------------
st.subheader("Why this balance")
st.code(weights.describe(), language=None)
explain = pd.DataFrame(
    [
        {
            "claim": e["claim"],
            "relation": e["relation"],
            "strength": e["factors"]["strength"],
            "setting": e["factors"]["setting"],
            "reproduction": e["factors"]["reproduction"],
            "independence": e["factors"]["independence"],
            "weight": e["weight"],
            "signed": e["signed"],
        }
        for e in b.explain()
    ]
)
st.dataframe(explain, hide_index=True, width="stretch", key="explain")
st.caption(f"support {b.support:.2f} · against {b.against:.2f} · qualify {b.qualify:.2f} → balance {b.score:+.2f}")
