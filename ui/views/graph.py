"""Graph explorer: hypotheses, claims and sources as an interactive network, filterable by
hypothesis, relation, setting and year. Filters live in the URL, so a view can be shared."""

from __future__ import annotations

from typing import cast

import streamlit as st

from kg import Kind
from ui import data, graphview
from ui import widgets as w

store = w.require_store()
whole = data.whole_graph(store)
hypotheses = {hid: a["label"] for hid, a in graphview.entities(whole, Kind.hypothesis).items()}
w.header("Graph explorer", "Claims (blue) point at the hypotheses they bear on (purple) and come from sources (brown). Click a node to preview it, then open its page.")

if not hypotheses:
    w.empty_state("Nothing to explore yet", "The corpus has no hypotheses.")
    st.stop()

years_known = graphview.source_years(whole)
qp = st.query_params


def _seed(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _split(name: str, allowed) -> list[str]:
    return [v for v in (qp.get(name) or "").split(",") if v in allowed]


_seed("gx_hyp", _split("h", hypotheses))
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
    y0 = max((y for y in years_known if y <= max(lo, y0)), default=lo)  # snap to years that exist
    y1 = min((y for y in years_known if y >= min(hi, y1)), default=hi)
    start_years = (y0, y1) if lo < hi else (lo, hi)

with st.container(border=True):
    c1, c2, c3 = st.columns([3, 2, 2])
    hyps = c1.multiselect("Hypotheses", list(hypotheses), format_func=lambda i: hypotheses[i], key="gx_hyp", placeholder="all hypotheses")
    rels = c2.multiselect("Relation", list(data.RELATIONS), key="gx_rel", placeholder="all relations")
    sets = c3.multiselect("Setting", list(data.SETTINGS), key="gx_set", placeholder="all settings")
    c4, c5, c6 = st.columns([3, 2, 2])
    years: tuple[int, int] | None = None
    if years_known and years_known[0] < years_known[-1]:
        # the years the sources have, evenly spaced: a linear axis from 1964 squeezed 2023-2025 into one end
        chosen = c4.select_slider("Source year", options=years_known, value=start_years, key="gx_years")  # value: from the URL, the first time
        low, high = cast(tuple[int, int], chosen if isinstance(chosen, tuple | list) else (chosen, chosen))  # one year picked: a range of one
        if (low, high) != (years_known[0], years_known[-1]):  # the full range also keeps sources without a year
            years = (low, high)
    include_sources = c5.toggle("Show sources", key="gx_sources")
    max_claims = c6.number_input("At most this many claims", 10, 1000, step=10, key="gx_max")

g = data.explorer_graph(store, whole, hyps, rels, sets, years, include_sources, int(max_claims))

# the filters, as a shareable URL
filters: dict[str, str] = {
    "h": ",".join(hyps),
    "rel": ",".join(rels),
    "setting": ",".join(sets),
    "years": f"{years[0]}-{years[1]}" if years else "",
    "sources": "" if include_sources else "0",
    "max": "" if int(max_claims) == 150 else str(int(max_claims)),
}
qp.from_dict({k: v for k, v in filters.items() if v})

kinds = {kind: len(graphview.entities(g, kind)) for kind in (Kind.hypothesis, Kind.claim, Kind.source)}
summary = f"Showing {kinds[Kind.claim]} of {g.graph['matched']} matching claims · {kinds[Kind.hypothesis]} hypotheses · {kinds[Kind.source]} sources · {g.number_of_edges()} edges"
if g.graph.get("omitted"):
    st.warning(f"{g.graph['matched']} claims match; showing the {kinds[Kind.claim]} strongest. Narrow the filters or raise the limit to see more.", icon=":material/filter_alt:")
st.caption(summary)
if not kinds[Kind.claim]:
    st.info("No claim matches these filters; only the hypotheses are drawn.", icon=":material/filter_alt_off:")
w.network(graphview.to_elements(g, names=w.short_names(store, g)), key="gx_graph", height=620)
