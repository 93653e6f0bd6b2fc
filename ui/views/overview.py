"""Hypotheses overview: every hypothesis with its weighted balance of evidence, the certainty
beside it (or "untested" instead of a confident number) and its leave-one-source-out range."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd
import streamlit as st

from ui import data, findings, palette
from ui import widgets as w
from ui.timeline import changed_since

store = w.require_store()
weights = data.weights()
rows = data.overview(store, weights)

w.header("Hypotheses", "Each hypothesis with the weighted balance of the claims that bear on it. Open one to see every claim and adjust the weights.")

if not rows:
    w.empty_state("No hypotheses yet", "Add positions under debate to `claims/hypotheses.yaml`, then claims that support or contradict them.")
    st.stop()

changed_since()  # the hypotheses whose verdict moved since a date (ui/timeline.py)

SORTS = {
    "Most supported first": lambda hb: (-hb[1].score, hb[0].title),
    "Most contradicted first": lambda hb: (hb[1].score, hb[0].title),
    "Most evidence first": lambda hb: (-hb[1].claims, hb[0].title),
    "Contested first": lambda hb: (not hb[1].contested, -hb[1].claims, hb[0].title),
    "Title": lambda hb: hb[0].title.lower(),
}
c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
sort = c1.selectbox("Sort by", list(SORTS), key="ov_sort")
only_contested = c2.toggle("Only contested", key="ov_contested")
if weights != data.default_weights():
    c3.info("Custom weights from a hypothesis page are in effect.", icon=":material/tune:")
    if c3.button("Reset to the default weights", key="ov_reset"):
        data.set_weights(None)
        st.rerun()

rows = sorted(rows, key=SORTS[sort])
if only_contested:
    rows = [hb for hb in rows if hb[1].contested]
    if not rows:
        w.empty_state("No contested hypothesis", "None has strong claims on both sides under these weights.", ":material/handshake:")
        st.stop()


def balance_metric(b) -> None:
    """The balance with its certainty beside it; 'untested' instead of a number nothing tests."""
    level, reasons = b.certainty
    st.metric("Balance", "untested" if b.untested else f"{b.score:+.2f}", help=w.balance_caption(b.score), label_visibility="visible")
    w.badges([(f"certainty: {level}", palette.CERTAINTY_BADGE[level])])
    if b.claims:
        st.caption(f"range {findings.range_text(b)}", help="the balance when any one source is left out; certainty: " + "; ".join(reasons))


SIDES, SIDE_COLOURS = palette.side_scale()


def two_lines(text: str, width: int = 46) -> str:
    """A chart label on exactly two lines (the first may be empty), so it sits above its bars at
    any width: Vega-Lite neither wraps labels nor keeps a clipped one readable."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > 2:
        lines = textwrap.wrap(text, -(-len(text) // 2) + 4)
    return "\n".join((["\u00a0"] if len(lines) == 1 else []) + lines)


tab_cards, tab_table = st.tabs(["Cards", "Table"])

with tab_cards:
    # One row per hypothesis, its title (with the balance) written above its bars so every label
    # shows at any width: against to the left, support to the right, and the qualifying weight
    # as a separate grey bar beneath (it takes no side; it pulls the balance toward 0).
    titles = [two_lines(f"{h.title}  ·  {findings.balance_text(b)}") for h, b in rows]
    chart_df = pd.DataFrame(
        [
            {"hypothesis": label, "id": h.id, "side": side, "weight": value, "row": "qualify" if side == "qualify" else "for / against"}
            for label, (h, b) in zip(titles, rows, strict=True)
            for side, value in (("support", b.support), ("against", -b.against), ("qualify", b.qualify))
        ]
    )
    chart = (
        alt.Chart(chart_df)
        .mark_bar(height={"band": 0.5})
        .encode(
            y=alt.Y(
                "hypothesis:N",
                sort=titles,
                title=None,
                axis=alt.Axis(
                    labelAlign="left",
                    labelBaseline="bottom",
                    labelPadding=0,
                    labelOffset=-9,
                    labelLimit=2000,
                    labelOverlap=False,
                    ticks=False,
                    domain=False,
                    labelFontSize=12,
                    minExtent=0,
                    maxExtent=0,
                    labelExpr="split(datum.label, '\\n')",
                ),
            ),
            yOffset=alt.YOffset("row:N", scale=alt.Scale(domain=["title", "for / against", "qualify"])),  # the title's line, then the bars
            x=alt.X("weight:Q", title="← against · weighted evidence · for →"),
            color=alt.Color("side:N", scale=alt.Scale(domain=SIDES, range=SIDE_COLOURS), legend=alt.Legend(orient="top", title=None)),
            tooltip=["hypothesis", "side", alt.Tooltip("weight:Q", format=".2f")],
        )
        .properties(height=alt.Step(17), usermeta={"embedOptions": {"renderer": "svg"}})  # svg: the labels are text a reader (and a test) can find
    )
    st.altair_chart(chart, width="stretch")

    for h, b in rows:
        with st.container(border=True):
            left, mid, right = st.columns([5, 1.3, 2.2])
            with left:
                w.page_link("hypothesis", h.id, h.title, icon=":material/flag:")
                st.caption(w.md(h.statement))
            counts = b.counts
            with mid:
                balance_metric(b)
            with right:
                tags = [
                    (f"{counts['supports']} for", palette.RELATION_BADGE["supports"]),
                    (f"{counts['contradicts']} against", palette.RELATION_BADGE["contradicts"]),
                    (f"{counts['qualifies']} qualifying", palette.RELATION_BADGE["qualifies"]),
                    (f"{b.sources} sources", "blue"),
                ]
                if b.contested:
                    tags.insert(0, ("contested", "orange"))
                if b.sensitivity.rests_on:
                    tags.insert(0, (f"rests on {b.sensitivity.rests_on}", "orange"))
                rep = b.reproductions
                if any(rep.values()):
                    tags.append((f"runs: {rep['agrees']} agree · {rep['disagrees']} disagree · {rep['inconclusive']} inconclusive", "violet"))
                else:
                    tags.append(("no runs", "gray"))
                w.badges(tags)
                if not b.claims:
                    st.caption("No claims yet.")

with tab_table:
    table = pd.DataFrame(
        [
            {
                "hypothesis": w.url_for("hypothesis", h.id),
                "title": h.title,
                "balance": None if b.untested else round(b.score, 3),
                "certainty": "untested" if b.untested else b.certainty[0],
                "why": "; ".join(b.certainty[1]),
                "range": findings.range_text(b) if b.claims else "",
                "rests on": b.sensitivity.rests_on or "",
                "support": round(b.support, 2),
                "against": round(b.against, 2),
                "qualify": round(b.qualify, 2),
                "claims": b.claims,
                "sources": b.sources,
                "independent groups": b.independent_groups,
                "contested": b.contested,
                "runs agree": b.reproductions["agrees"],
                "runs disagree": b.reproductions["disagrees"],
            }
            for h, b in rows
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "hypothesis": st.column_config.LinkColumn("open", display_text=r"\./hypothesis\?id=(.*)", width="medium"),
            "balance": st.column_config.ProgressColumn("balance", min_value=-1, max_value=1, format="%+.2f"),
        },
    )
    st.caption("Click a column header to sort.")

with st.expander("How the balance is computed"):
    st.code(weights.describe(), language=None)
