"""Graph explorer: hypotheses, claims and sources as an interactive network, filterable by
hypothesis, relation, setting and year. Filters live in the URL, so a view can be shared."""

from __future__ import annotations

import streamlit as st

from ui import data, graphview, widgets as w

store = w.require_store()
inputs = data.explorer_data()
w.header("Graph explorer", "Claims (blue) point at the hypotheses they bear on (purple) and come from sources (brown). Click a node to open its page.")

if not inputs["hypotheses"]:
    w.empty_state("Nothing to explore yet", "The corpus has no hypotheses.")
    st.stop()

years_known = sorted({s["year"] for s in inputs["sources"].values() if s.get("year")})
qp = st.query_params


def _seed(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _split(name: str, allowed) -> list[str]:
    return [v for v in (qp.get(name) or "").split(",") if v in allowed]


_seed("gx_hyp", _split("h", inputs["hypotheses"]))
_seed("gx_rel", _split("rel", data.RELATIONS))
_seed("gx_set", _split("setting", data.SETTINGS))
_seed("gx_sources", qp.get("sources", "1") != "0")
_seed("gx_max", int(qp.get("max", 150)) if str(qp.get("max", "150")).isdigit() else 150)
if years_known:
    lo, hi = years_known[0], years_known[-1]
    try:
        y0, y1 = (int(x) for x in (qp.get("years") or f"{lo}-{hi}").split("-"))
    except ValueError:
        y0, y1 = lo, hi
    _seed("gx_years", (max(lo, y0), min(hi, y1)) if lo < hi else (lo, hi))

with st.container(border=True):
    c1, c2, c3 = st.columns([3, 2, 2])
    hyps = c1.multiselect("Hypotheses", list(inputs["hypotheses"]), format_func=lambda i: inputs["hypotheses"][i], key="gx_hyp", placeholder="all hypotheses")
    rels = c2.multiselect("Relation", list(data.RELATIONS), key="gx_rel", placeholder="all relations")
    sets = c3.multiselect("Setting", list(data.SETTINGS), key="gx_set", placeholder="all settings")
    c4, c5, c6 = st.columns([3, 2, 2])
    years = None
    if years_known and years_known[0] < years_known[-1]:
        years = c4.slider("Source year", years_known[0], years_known[-1], key="gx_years")
        if tuple(years) == (years_known[0], years_known[-1]):
            years = None  # the full range also keeps sources without a year
    include_sources = c5.toggle("Show sources", key="gx_sources")
    max_claims = c6.number_input("At most this many claims", 10, 1000, step=10, key="gx_max")

g = graphview.select(inputs, hyps, rels, sets, tuple(years) if years else None, include_sources, int(max_claims))

# the filters, as a shareable URL
qp.from_dict(
    {k: v for k, v in {
        "h": ",".join(hyps), "rel": ",".join(rels), "setting": ",".join(sets),
        "years": f"{years[0]}-{years[1]}" if years else "", "sources": "" if include_sources else "0",
        "max": "" if int(max_claims) == 150 else str(int(max_claims)),
    }.items() if v}
)

kinds = {}
for _, a in g.nodes(data=True):
    kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
summary = f"{kinds.get('hypothesis', 0)} hypotheses · {kinds.get('claim', 0)} claims · {kinds.get('source', 0)} sources · {g.number_of_edges()} edges"
if g.graph.get("omitted"):
    st.warning(f"{g.graph['matched']} claims match; showing the {kinds.get('claim', 0)} strongest. Narrow the filters or raise the limit to see more.", icon=":material/filter_alt:")
st.caption(summary)
if not kinds.get("claim"):
    st.info("No claim matches these filters; only the hypotheses are drawn.", icon=":material/filter_alt_off:")
w.network(graphview.to_elements(g), key="gx_graph", height=620)
