"""One hypothesis: the answer first, above the fold (the verdict in one sentence; balance,
certainty, leave-one-source-out range; the strongest evidence for and against, or the strongest
qualifications and what qualifying does; what moved the balance most recently: ui.reading), then
what-if toggles and weights that recompute it live, a summary of findings (GRADE style) beside
the discussion, a forest plot of the sources, every claim grouped by relation, a comparison
table (CSV), and the numbers behind the balance. The method is kg.evidence's; see its docstring."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from ui import data, findings, palette, reading
from ui import widgets as w
from ui.timeline import render as render_timeline

SHOWN = 12  # cards per relation; the rest are in a table under them
DISCUSSION_SHOWN = 50  # at 100k claims a hypothesis has thousands of opinions: a page of links, not all

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

answer_box = st.container(border=True)  # filled once the toggles and weights below are read
rows = store.evidence(h.id)

# --- what if (named toggles, kg.evidence.Toggles) ----------------------------------------------


def what_if_toggles() -> data.Toggles:
    """The reader's what-ifs; each recomputes the balance, certainty and chart."""
    with st.expander("What if: leave evidence out, or count opinions", expanded=True, icon=":material/science:"):
        cols = st.columns(3)
        only_reproduced = cols[0].toggle("Only reproduced evidence", key="wi_only_reproduced", help="keep only claims a reproduction run agrees with")
        without_observational = cols[1].toggle("Leave out observational frontier reports", key="wi_without_observational")
        count_opinions = cols[2].toggle("Count opinions", key="wi_count_opinions", help="opinions weigh 0 by default; this lets them weigh")
        pair = st.columns(2)
        sources = pair[0].multiselect("Leave out sources", sorted({r.source for r in rows}), key="wi_exclude_sources", placeholder="none")
        groups = pair[1].multiselect("Leave out groups (a lab, a dataset, one line of follow-ups)", sorted({r.independence_group for r in rows}), key="wi_exclude_groups", placeholder="none")
    return data.Toggles(
        only_reproduced=only_reproduced,
        without_observational=without_observational,
        count_opinions=count_opinions,
        exclude_sources=frozenset(sources),
        exclude_groups=frozenset(groups),
    )


toggles = what_if_toggles()

# --- weights (before the balance, which reads them) -------------------------------------------
defaults = data.default_weights()
current = data.weights()

# Every weight kg defines gets a slider: the dict-valued ones per key, the scalars by their
# description (so a weight added to kg.evidence.Weights shows up here without a UI change).
DICTS = [name for name, f in type(defaults).model_fields.items() if isinstance(getattr(defaults, name), dict)]
SCALARS = [name for name in type(defaults).model_fields if name not in DICTS]
FIXED = {("kind", "definition")}  # definitions never weigh (kg.evidence): no slider
SLIDERS = [(group, k) for group in DICTS for k in getattr(defaults, group) if (group, k) not in FIXED] + [(name, None) for name in SCALARS]


def _slider_key(group: str, name: str | None) -> str:
    return f"w_{group}_{name}" if name else f"w_{group}"


def _value(wts, group: str, name: str | None) -> float:
    value = getattr(wts, group)
    return float(value.get(name, 1.0) if name else value)


def _scalar_top(name: str) -> float:
    """A scalar slider's upper end: kg's own bound (e.g. diminishing < 1), else twice the default."""
    for bound in type(defaults).model_fields[name].metadata:
        if getattr(bound, "lt", None) is not None:
            return float(bound.lt) - 0.05
        if getattr(bound, "le", None) is not None:
            return float(bound.le)
    return max(3.0, 2 * _value(defaults, name, None))


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
                if (group, k) not in FIXED:
                    st.slider(k, 0.0, float(top), step=0.05, key=_slider_key(group, k))
    with cols[-1]:
        st.markdown("**Multipliers**")
        for name in SCALARS:
            field = type(defaults).model_fields[name]
            st.slider(field.description or name, 0.0, _scalar_top(name), step=0.05, key=_slider_key(name, None))
        st.button("Reset to defaults", on_click=_reset, key="w_reset", icon=":material/restart_alt:")
    st.caption("The weights apply to every page of this session (the overview too).")

weights = defaults.model_copy(
    update={
        **{group: {k: st.session_state[_slider_key(group, k)] if (group, k) not in FIXED else v for k, v in getattr(defaults, group).items()} for group in DICTS},
        **{name: st.session_state[_slider_key(name, None)] for name in SCALARS},
    }
)
data.set_weights(None if weights == defaults else weights)
b = data.balance(store, h.id, weights, toggles)


def kept(what: str, compute):
    """`compute()` kept like the balance (per store state, hypothesis, weights and what-ifs):
    at 100k claims the tables below are built from ~17k contributions, and a rerun must not
    build them again."""
    return data.remembered(what, store, f"{h.id}\n{weights.model_dump_json()}\n{toggles!r}", compute)


# The page's claims in the orders it draws them: each relation's heaviest first (cards, then a
# table), and the discussion by relation and id (a page of links).
groups: dict[str, list] = {relation: [] for relation in data.RELATIONS}
for contribution in sorted(b.contributions, key=lambda c: (-c.weight, c.row.claim)):
    groups[contribution.row.relation].append(contribution)
discussion_items = sorted(findings.discussion_of(b), key=lambda c: (c.row.relation, c.row.claim))


def shown_claims() -> set[str]:
    """The claims this page draws as text: the strongest ones in the answer, the discussion's
    links and the claim cards of each relation."""
    ids = {c.row.claim for items in groups.values() for c in items[:SHOWN]}
    ids |= {c.row.claim for relation in data.RELATIONS for c in reading.strongest(b, relation)}
    ids |= {c.row.claim for c in discussion_items[:DISCUSSION_SHOWN]}
    return ids


# What the page shows, read in two queries and kept (on Neo4j, one round trip per claim card,
# source and verdict list was ~150 round trips on every rerun at 100k claims).
def read_shown() -> tuple[dict, dict, set[str]]:
    ids = shown_claims()
    return store.claims_of(ids), store.verdicts_of(ids), ids


shown_docs, shown_verdicts, shown_ids = kept("shown claims", read_shown)
sources = data.sources_by_id(store)


def claim_of(claim_id: str):
    return shown_docs.get(claim_id) if claim_id in shown_ids else store.claim(claim_id)


def verdicts_for(claim_id: str) -> list:
    return shown_verdicts.get(claim_id, []) if claim_id in shown_ids else store.verdicts(claim_id)


# --- the answer ------------------------------------------------------------------------------


def untested_notice() -> None:
    st.error(
        f"**UNTESTED.** No experiment, observation or theory bears directly on this hypothesis for or against, so its balance ({b.score:+.2f} from {len(b.contributions)} claims) is not an answer.",
        icon=":material/help:",
    )


def answer_metrics() -> None:
    level, _ = b.certainty
    deciding = b.independent_groups
    c = st.columns(4)
    c[0].metric("Balance", findings.balance_text(b), help="in [−1, 1]; UNTESTED when nothing tests it directly. The formula is under 'Why this balance'")
    c[1].metric("Certainty", level, help="GRADE adapted to ML: high, moderate, low or very-low; the reasons are below")
    c[2].metric("Leave one source out", findings.range_text(b), help="the balance's range when any one source is left out")
    c[3].metric("Independent groups", f"{deciding} of {len(b.groups)}", help="groups (a source, or the sources of one declared origin) that weigh for or against, of all")


def answer_badges() -> None:
    level, _ = b.certainty
    tags = [("UNTESTED", palette.UNTESTED_BADGE)] if b.untested else []
    tags.append((f"certainty: {level}", palette.CERTAINTY_BADGE[level]))
    if b.contested:
        tags.insert(0, ("contested", "orange"))
    tags.append((f"support {b.support:.2f} · against {b.against:.2f} · qualify {b.qualify:.2f}", "gray"))
    if weights != defaults:
        tags.append(("custom weights", "violet"))
    tags += [(f"what if: {words}", "violet") for words in findings.toggles_text(toggles)]
    w.badges(tags)


def certainty_reasons() -> None:
    level, reasons = b.certainty
    st.markdown(f"**Why the certainty is {level}:**")
    st.markdown("\n".join(f"- {w.md(reason)}" for reason in reasons))


def evidence_line(contribution) -> None:
    """One claim in the answer: its full statement (a link), its weight and where it is from."""
    row = contribution.row
    claim = claim_of(row.claim)
    source = sources.get(row.source)
    w.page_link("claim", row.claim, claim.statement if claim else row.claim)
    where = f"{source.title} ({source.year})" if source and source.year else source.title if source else row.source
    st.caption(f"weight {contribution.weight:.2f} · {w.md(row.strength)} · {w.md(row.setting)} · {w.md(where)}")


def strongest_block() -> None:
    """The strongest evidence for, and against (or, when nothing contradicts, the strongest
    qualifications and what qualifying does to the balance)."""
    if not b.contributions:
        return
    left, right = st.columns(2)
    with left, st.container(key="strongest_for"):
        st.markdown(":green[**Strongest for**]")
        items = reading.strongest(b, "supports", 1)
        if not items:
            st.caption("Nothing supports it.")
        for c in items:
            evidence_line(c)
    with right, st.container(key="strongest_against"):
        against = reading.strongest(b, "contradicts", 1)
        if against:
            st.markdown(":red[**Strongest against**]")
            for c in against:
                evidence_line(c)
        else:
            qualifies = reading.strongest(b, "qualifies")
            st.markdown(":red[**Strongest against:**] nothing contradicts it." + (" :gray[**Strongest qualifications:**]" if qualifies else ""))
            for c in qualifies:
                evidence_line(c)
            if qualifies:
                st.caption(reading.QUALIFYING_MEANS.format(dilution=f"{weights.dilution:g}"))


def latest_moves() -> None:
    """What moved the balance most recently (the history of the balance goes below the answer)."""

    def compute() -> list[str]:
        verdicts = store.verdicts_of({c.row.claim for c in b.contributions})  # one round trip, not one per claim
        years = {sid: (src.year if (src := sources.get(sid)) else None) for sid in {c.row.source for c in b.contributions}}
        found = []
        for m in reading.recent_moves(h.id, rows, b, verdicts, years, weights, toggles):
            claim = claim_of(m.claim) if m.claim else None
            source = sources.get(m.source)
            found.append(reading.move_text(m, claim.statement if claim else "", source.title if source else ""))
        return found

    lines = kept("latest moves", compute)
    if lines:
        st.markdown("**What moved it most recently**\n" + "\n".join(f"- {w.md(line)}" for line in lines))


with answer_box:
    st.markdown("##### " + w.md(reading.verdict_sentence(b)))
    if b.untested:
        untested_notice()
    answer_metrics()
    answer_badges()
    rests_on = findings.rests_on_text(b)
    if rests_on:
        st.warning(f"**Rests on one source:** {w.md(rests_on)}.", icon=":material/warning:")
    strongest_block()
    latest_moves()
    if b.contributions and not b.untested:
        w.balance_bar(b.support, b.against, b.qualify)
    with st.expander(f"Why the certainty is {b.certainty[0]}"):
        certainty_reasons()

if h.seed:
    with st.container(border=True):
        where = ", ".join(x for x in (h.seed.file, f"paragraph {h.seed.paragraph}" if h.seed.paragraph else "") if x)
        st.caption("From the seed discussion" + (f" ({w.md(where)})" if where else ""))
        if h.seed.quote:
            st.markdown("> " + w.md(h.seed.quote))

if not rows:
    st.subheader("Claims")
    w.empty_state(
        "No claim bears on this hypothesis yet",
        "Know a paper that does? Draft a claim on the Contribute page and open a pull request.",
        ":material/edit_note:",
    )
    st.page_link(w.PAGES["contribute"], label="Draft a claim for this hypothesis", query_params={"hypothesis": h.id}, icon=":material/edit_note:")
    st.stop()

# --- summary of findings and the discussion --------------------------------------------------


def summary_of_findings() -> None:
    st.subheader("Summary of findings")
    st.caption("GRADE style: each body of evidence with its independent groups and how sure we can be of it; the last row is the answer.")
    table = pd.DataFrame(kept("summary of findings", lambda: findings.summary_rows(b, data.side_balances(store, h.id, weights, toggles))))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        key="sof",
        column_order=("evidence", "claims", "independent groups", "certainty", "why", "weight", "kinds", "direct", "runs"),
        column_config={
            "evidence": st.column_config.TextColumn("evidence", width="medium"),
            "why": st.column_config.TextColumn("certainty: why", width="large"),
        },
    )


def discussion() -> None:
    cs = discussion_items
    weighed = any(c.weight > 0 for c in cs)
    st.subheader("The discussion")
    st.caption(
        "Opinions and definitions, shown beside the evidence. "
        + ("Opinions weigh now ('Count opinions' is on); definitions never weigh." if weighed else "Not weighed: opinions weigh 0 unless you count them, definitions never.")
    )
    if not cs:
        st.caption("No opinion or definition bears on this hypothesis.")
    if len(cs) > DISCUSSION_SHOWN:
        st.caption(f"Showing {DISCUSSION_SHOWN} of {len(cs)}; the claims below list them all.")
    for c in cs[:DISCUSSION_SHOWN]:
        claim = claim_of(c.row.claim)
        w.badges([(c.row.kind, "gray"), (c.row.relation, palette.RELATION_BADGE[c.row.relation]), ("weighed" if c.weight > 0 else "not weighed", "violet" if c.weight > 0 else "gray")])
        w.page_link("claim", c.row.claim, claim.statement if claim else c.row.claim)


left, right = st.columns([3, 1.3])
with left:
    summary_of_findings()
with right:
    discussion()

# --- forest plot -------------------------------------------------------------------------------


FOREST_SHOWN = 60


def forest_plot() -> None:
    st.subheader("Sources, weighed")
    known = data.source_titles(store)
    df = kept("forest", lambda: findings.forest_frame(b, {s: known.get(s, s) for s in {c.row.source for c in b.contributions}}))
    hidden = b.sources - len(df)
    if df.empty:
        st.info("Nothing weighs under these weights and what-ifs.", icon=":material/filter_alt_off:")
    else:
        if len(df) > FOREST_SHOWN:  # thousands of sources at 100k claims: the heaviest either way
            st.caption(f"Showing the {FOREST_SHOWN} of {len(df)} sources that weigh most either way.")
            df = df.loc[df["signed"].abs().nlargest(FOREST_SHOWN).index].sort_index()
        st.vega_lite_chart(findings.forest_chart(df), width="stretch", key="forest")
    st.vega_lite_chart(findings.pooled_chart(b), width="stretch", key="pooled")
    st.caption(
        "One row per source (its number of claims in brackets): green bars weigh for, red against; a grey dot at 0 is "
        "qualifying weight (it pulls the balance toward 0); ◆ marks a source a reproduction run agrees with. "
        "At the bottom: the pooled balance, and as a line its range when any one source is left out."
        + (f" {hidden} source(s) weigh nothing here (opinions, definitions): see the discussion." if hidden > 0 else "")
    )


forest_plot()

# --- claims by relation ----------------------------------------------------------------------
st.subheader("Claims")
if not b.contributions:
    st.info("The what-ifs above leave no claim.", icon=":material/filter_alt_off:")


def claim_card(contribution) -> None:
    row = contribution.row
    claim = claim_of(row.claim)
    source = sources.get(row.source)
    with st.container(border=True):
        top = st.columns([6, 1])
        with top[0]:
            w.page_link("claim", row.claim, claim.statement if claim else row.claim)
        top[1].metric("weight", f"{contribution.weight:.2f}", label_visibility="collapsed", help="this claim's weight")
        bits = [(row.strength, palette.STRENGTH_BADGE.get(row.strength, "gray")), (row.setting, "gray"), (row.kind, "gray")]
        if not contribution.counts_as_evidence:
            bits.append(("the discussion: weighed" if contribution.weight > 0 else "the discussion: not weighed", "violet"))
        if not row.direct:
            bits.append(("indirect", "orange"))
        if row.independence_group != row.source:
            bits.append((f"group: {row.independence_group}", "gray"))
        for v in verdicts_for(row.claim)[:1]:
            bits.append((f"run: {v.outcome}", palette.OUTCOME_BADGE.get(v.outcome, "gray")))
        if contribution.reproduction == "none" and claim and claim.reproductions:
            bits.append(("not run yet", "gray"))
        w.badges(bits)
        src = source.title if source else row.source
        loc = str(claim.locator) if claim else ""
        left, right = st.columns([3, 2])
        with left:
            st.page_link(w.PAGES["source"], label=w.md(src), query_params={"id": row.source}, icon=":material/science:")
        right.caption(w.md(loc))
        if row.rationale:
            st.caption("Why: " + w.md(row.rationale))


def lighter_frame(contributions: list, limit: int | None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "claim": w.url_for("claim", c.row.claim),
                "source": c.row.source,
                "strength": c.row.strength,
                "setting": c.row.setting,
                "reproduction": c.reproduction,
                "weight": round(c.weight, 3),
            }
            for c in contributions[:limit]
        ]
    )


tab_labels = {r: f"{r.title()} ({len(groups[r])})" for r in data.RELATIONS}
# Only the chosen tab's cards are drawn (a click on another reruns the page): drawing all three
# was ~30% of the browser's work for this view (CDP profile: 1.4-1.5 vs 2.0-2.1 s a view). The
# labels carry counts, which a what-if can change: the tab chosen last stays open by its relation.
last = str(st.session_state.get("relation_tab", "")).split(" (")[0].lower()  # "Contradicts (3)" -> contradicts
tabs = st.tabs(list(tab_labels.values()), key="relation_tab", on_change="rerun", default=tab_labels.get(last))
for tab, relation in zip(tabs, tab_labels, strict=True):
    if not tab.open:
        continue
    with tab:
        items = groups[relation]
        if not items:
            st.caption(f"No claim {relation} this hypothesis.")
            if relation == "contradicts" and groups["qualifies"]:
                st.caption(f"What limits it is under Qualifies ({len(groups['qualifies'])}): claims that narrow where it holds. " + reading.QUALIFYING_MEANS.format(dilution=f"{weights.dilution:g}"))
            continue
        for contribution in items[:SHOWN]:
            claim_card(contribution)
        if len(items) > SHOWN:
            st.caption(f"{len(items) - SHOWN:,} more, lighter claims:")
            w.long_table(
                len(items) - SHOWN,
                partial(lighter_frame, items[SHOWN:]),
                key=f"more_{relation}",
                noun="claims",
                order="the heaviest first",
                column_config={"claim": st.column_config.LinkColumn("claim", display_text=r"\./claim\?id=(.*)")},
            )

# --- the comparison table (ORKG style) ---------------------------------------------------------
st.subheader("Compare the claims")
st.caption("One row per claim: the conditions it holds under, side by side. Click a column header to sort; download it as CSV.")


def comparison_frame(limit: int | None) -> pd.DataFrame:
    return pd.DataFrame(reading.comparison_rows(b, store, limit), columns=list(reading.COMPARISON_COLUMNS))


w.long_table(
    len(b.contributions),
    lambda n: (lambda df: df.assign(claim=[w.url_for("claim", c) for c in df["claim"]]))(kept(f"comparison {n}", lambda: comparison_frame(n))),
    key="comparison",
    noun="claims",
    order="the heaviest claims, by relation",
    column_config={
        "claim": st.column_config.LinkColumn("claim", display_text=r"\./claim\?id=(.*)"),
        "statement": st.column_config.TextColumn("statement", width="large"),
        "year": st.column_config.NumberColumn("year", format="%d"),
    },
)
st.download_button(
    f"Download the table (CSV, all {len(b.contributions):,} claims)",
    lambda: comparison_frame(None).to_csv(index=False),
    file_name=f"{h.id}-claims.csv",
    mime="text/csv",
    key="comparison_csv",
    icon=":material/download:",
)

# --- explanation -------------------------------------------------------------------------------
st.subheader("Why this balance")
st.code(weights.describe(), language=None)


def explain_frame(limit: int | None) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "claim": e["claim"],
                "source": e["source"],
                "group": e["group"],
                "relation": e["relation"],
                "kind": e["kind"],
                "direct": e["direct"],
                "strength": e["factors"]["strength"],
                "setting": e["factors"]["setting"],
                "kind ×": e["factors"]["kind"],
                "reproduction": e["factors"]["reproduction"],
                "independence": e["factors"]["independence"],
                "weight": e["weight"],
                "signed": e["signed"],
            }
            for e in b.explain(limit)
        ]
    )


w.long_table(len(b.contributions), lambda n: kept(f"explain {n}", lambda: explain_frame(n)), key="explain", noun="claims", order="the heaviest first")
st.caption(f"support {b.support:.2f} · against {b.against:.2f} · qualify {b.qualify:.2f} → balance {b.score:+.2f}")
without = b.sensitivity.without
if without:
    st.markdown("**Leave one source out** (largest change first)")

    def without_frame(limit: int | None) -> pd.DataFrame:
        changes = sorted(without.items(), key=lambda kv: (-abs(kv[1] - b.score), kv[0]))[:limit]
        return pd.DataFrame([{"source": src, "balance without it": round(v, 3), "change": round(v - b.score, 3), "flips": src == b.sensitivity.rests_on} for src, v in changes])

    w.long_table(len(without), lambda n: kept(f"without {n}", lambda: without_frame(n)), key="without", noun="sources", order="the largest change first")

# --- over time (ui/timeline.py) --------------------------------------------------------------
render_timeline(h.id)
