"""Shared render helpers.

Contributor text is data, never markup. Everything that came from the corpus or a run goes
through `md()` (every ASCII punctuation character backslash-escaped, so Markdown, HTML, LaTeX,
colour directives and autolinks all render as the literal characters) or is shown with
`st.text`, `st.code` or a dataframe. Nothing here uses `unsafe_allow_html`.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from kg import GraphStore, Kind
from ui import palette
from ui.vega import nominal, quantitative

if TYPE_CHECKING:
    import pandas as pd

# Page files, relative to ui/app.py. Views link to each other through these.
PAGES = {
    "overview": "views/overview.py",
    "hypothesis": "views/hypothesis.py",
    "claim": "views/claim.py",
    "source": "views/source.py",
    "graph": "views/graph.py",
    "search": "views/search.py",
    "runs": "views/runs.py",
    "contribute": "views/contribute.py",
}

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")


def md(text: Any) -> str:
    """Escape text so Markdown shows it literally: `[a](javascript:x)` stays those characters."""
    text = " ".join(str(text).split())  # newlines would start Markdown blocks
    return _PUNCT.sub(r"\\\1", text)


def code(text: Any) -> str:
    """Inline code for ids and paths: Markdown is not interpreted inside, only backticks matter."""
    return "`" + " ".join(str(text).split()).replace("`", "'") + "`"


def text_block(text: Any) -> None:
    """A paragraph of contributor text, shown literally and wrapped."""
    st.markdown(md(text))


def page_link(kind: str, entity_id: str, label: str | None = None, icon: str | None = None, **kw) -> None:
    """A link to an entity's page (`/claim?id=…`); the label is escaped."""
    st.page_link(PAGES[kind], label=md(label or entity_id), query_params={"id": entity_id}, icon=icon, **kw)


def url_for(kind: str, entity_id: str) -> str:
    """A relative deep link, for tables (LinkColumn) and for sharing."""
    from urllib.parse import quote

    return f"./{kind}?id={quote(entity_id, safe='')}"


def badges(items: list[tuple[str, str]]) -> None:
    """A row of small coloured labels, e.g. [("contested", "orange"), ("toy", "gray")]."""
    # st.markdown's :color-badge[...] directive keeps them on one line; labels are escaped.
    st.markdown(" ".join(f":{c}-badge[{md(label)}]" for label, c in items if label))


def balance_caption(score: float) -> str:
    if score > 0.33:
        return "leans supported"
    if score < -0.33:
        return "leans contradicted"
    return "balanced" if score != 0 else "no weighed evidence"


def balance_bar_chart(support: float, against: float, qualify: float, height: int = 34) -> dict[str, Any]:
    """Against to the left of 0, support to the right, and qualifying weight as its own thinner
    grey bar beneath: it takes no side (it pulls the balance toward 0), so it is never stacked
    onto support, where its length would read as support. A plain Vega-Lite spec (see
    ui.findings.forest_chart)."""
    import pandas as pd

    df = pd.DataFrame(
        [
            {"side": "against", "weight": -against, "row": "for / against"},
            {"side": "support", "weight": support, "row": "for / against"},
            {"side": "qualify", "weight": qualify, "row": "qualify"},
        ]
    )
    span = max(support, against, qualify, 1.0)
    domain, colours = palette.side_scale()
    return {
        "data": {"name": "sides"},
        "mark": {"type": "bar"},
        "encoding": {
            "x": quantitative("weight", scale={"domain": [-span, span]}, axis=None),
            "y": nominal("row", sort=["for / against", "qualify"], title=None, axis={"labelLimit": 120, "ticks": False, "domain": False}),
            "color": nominal("side", scale={"domain": domain, "range": colours}, legend=None),
            "tooltip": [nominal("side"), quantitative("weight", format=".2f")],
        },
        "height": height + 14,
        "datasets": {"sides": df},
    }


def balance_bar(support: float, against: float, qualify: float, height: int = 34) -> None:
    st.vega_lite_chart(balance_bar_chart(support, against, qualify, height), width="stretch")


def empty_state(title: str, body: str = "", icon: str = ":material/inbox:") -> None:
    """A deliberate 'nothing here yet' panel (title and body are our own words, Markdown ok)."""
    with st.container(border=True):
        st.markdown(f"#### {icon} {title}")
        if body:
            st.markdown(body)


def not_found(kind: str, entity_id: str, store=None) -> None:
    """The page for an id that does not exist: say so, suggest close matches."""
    st.warning(f"No {kind} with id {code(entity_id)} in this corpus.", icon=":material/search_off:")
    if store is not None and entity_id:
        hits = store.search(entity_id.replace("-", " "), limit=5, kinds={kind})
        if hits:
            st.markdown("Did you mean:")
            for h in hits:
                page_link(h.kind, h.id, h.label)
    st.page_link(PAGES["search"], label="Search the corpus", icon=":material/search:")


STORE_RETRY_S = 3.0


def store_down(reason: str) -> None:
    """One line saying the store is not answering, and a fragment that checks every few seconds
    and reruns the page once it answers again: the page recovers by itself."""
    st.error(f"The claims store is not answering, so this page cannot be shown right now ({md(reason)}). It retries every {STORE_RETRY_S:g} s and comes back by itself.", icon=":material/cloud_off:")
    _retry_store()


@st.fragment(run_every=STORE_RETRY_S)
def _retry_store() -> None:
    from ui import data

    if data.store_answers():
        st.rerun()  # the whole page, now that the store answers again


def require_store():
    """The store, or a deliberate error page (and stop) when the corpus cannot be loaded."""
    from ui import data

    loaded = data.load()
    if loaded.store is not None:
        return loaded.store
    if loaded.unavailable:
        store_down(loaded.error)
        st.stop()
    st.title("The corpus could not be loaded")
    st.error(md(loaded.error), icon=":material/error:")
    st.markdown(f"Corpus folder: {code(loaded.path)} (set `KG_CORPUS` to use another one).")
    if loaded.problems:
        import pandas as pd

        st.markdown("Fix these and the app reloads by itself (the same list `kg validate` prints):")
        st.dataframe(
            pd.DataFrame([{"file": p.file, "line": p.line, "problem": p.message, "how to fix": p.hint} for p in loaded.problems]),
            hide_index=True,
            width="stretch",
        )
    st.stop()


def query_id(key: str = "id") -> str:
    return (st.query_params.get(key) or "").strip()


def pick_entity(kind: str, options: list[tuple[str, str]], current: str = "") -> str:
    """A selectbox over (id, label) that also writes the choice into the URL (a deep link)."""
    ids = [i for i, _ in options]
    labels = dict(options)
    index = ids.index(current) if current in ids else None
    chosen = st.selectbox(
        f"Choose a {kind}",
        ids,
        index=index,
        format_func=lambda i: f"{labels[i]}  ·  {i}",
        placeholder=f"Type to find a {kind}…",
        key=f"pick_{kind}",
    )
    if chosen and chosen != current:
        st.query_params["id"] = chosen
    return chosen or ""


def source_links(source) -> list[tuple[str, str]]:
    """(label, url) links out for a source: arXiv, DOI, Semantic Scholar, its URL."""
    ids, out = source.ids, []
    if ids.arxiv:
        out.append((f"arXiv {ids.arxiv}", f"https://arxiv.org/abs/{ids.arxiv}"))
    if ids.doi:
        out.append((f"DOI {ids.doi}", f"https://doi.org/{ids.doi}"))
    if ids.s2:
        out.append(("Semantic Scholar", f"https://www.semanticscholar.org/paper/{ids.s2}"))
    if ids.url:
        out.append(("Web", ids.url))
    return [(label, url) for label, url in out if url.startswith(("https://", "http://"))]


def link_buttons(links: list[tuple[str, str]]) -> None:
    if not links:
        st.caption("No external identifiers recorded.")
        return
    cols = st.columns(len(links))
    for col, (label, url) in zip(cols, links, strict=True):
        col.link_button(md(label), url, icon=":material/open_in_new:")


def source_line(source) -> str:
    """'Nanda, Chan, … (2023). Title. Venue' as escaped Markdown."""
    authors = source.authors
    who = ", ".join(authors[:3]) + (" et al." if len(authors) > 3 else "") if authors else "Unknown authors"
    year = f" {md(f'({source.year})')}" if source.year else ""
    venue = f" · {md(source.venue)}" if source.venue else ""
    return f"{md(who)}{year}{venue}"


def header(title: str, caption: str = "") -> None:
    st.title(md(title))
    if caption:
        st.caption(caption)


def sidebar_footer() -> None:
    """Where the data comes from (shown on every page)."""
    from ui import data

    loaded = data.load()
    with st.sidebar:
        st.divider()
        if loaded.store is not None:
            s = loaded.store.stats()
            st.caption(f"{s['hypotheses']} hypotheses · {s['claims']} claims · {s['sources']} sources · {s['runs']} verdicts")
        if loaded.store is None or isinstance(loaded.store, GraphStore):
            st.caption(f"Corpus: {code(data.relative(loaded.path))}")
        else:  # KG_STORE=neo4j (claimgraph.open_store)
            st.caption(f"Store: Neo4j at {code(os.environ.get('NEO4J_URI', '?'))}")


# --- entity pickers and the network widget ---------------------------------------------------


def choose(kind: str, store, options_fn) -> str:
    """The page's subject: `?id=` from the URL, else a picker (a selectbox for small corpora,
    a search box for large ones). The choice is written back into the URL."""
    current = query_id()
    if current:
        return current
    st.info(f"Pick a {kind} below, or open one from another page. The address bar then holds a link you can share.", icon=":material/link:")
    options = options_fn()
    if len(options) <= 1000:
        chosen = pick_entity(kind, options)
    else:
        q = st.text_input(f"Find a {kind}", key=f"find_{kind}", placeholder="words from its title or statement, or its id")
        chosen = ""
        for hit in store.search(q, limit=10, kinds={kind}) if q else []:
            page_link(kind, hit.id, hit.label)
    if chosen:
        st.rerun()
    st.stop()


def short_names(store, g) -> dict[str, str]:
    """Graph captions a reader recognises: sources by author and year ('Nanda et al. 2023')."""
    from ui import graphview

    out = {}
    for key, a in g.nodes(data=True):
        if a.get("kind") == Kind.source:
            src = store.source(a["id"])
            if src is not None:
                out[key] = graphview.author_year(src.authors, src.year) or src.title
        elif a.get("kind") == Kind.hypothesis:
            hyp = store.hypothesis(a["id"])
            if hyp is not None:
                out[key] = hyp.title
    return out


def network(elements: dict, key: str, height: int = 520, layout: str = "cose") -> None:
    """st-link-analysis with claimgraph's styles and a legend; clicking a node shows a preview
    of it beside the graph, with an explicit link to open its page."""
    from st_link_analysis import Event, st_link_analysis

    from ui import graphview

    if not elements["nodes"]:
        empty_state("Nothing to draw", "No node matches: loosen the filters.", ":material/hub:")
        return
    labels = {e["data"]["label"] for e in elements["edges"]}
    event = st_link_analysis(
        elements,
        layout=layout,
        node_styles=graphview.node_styles(),
        edge_styles=graphview.edge_styles(labels),
        height=height,
        key=key,
        events=[Event("open", "tap", "node")],
    )
    st.html(graphview.legend_html(labels, sorted({n["data"]["kind"] for n in elements["nodes"]})))
    preview(event, elements, key)


def preview(event, elements: dict, key: str) -> None:
    """The node last clicked: what it is, its full text, and a link to its page."""
    from ui import graphview

    hit = graphview.clicked(event)
    with st.container(border=True, key=f"{key}_preview"):
        if hit is None:
            st.caption("Click a node to preview it here.")
            return
        kind, entity = hit
        node = next((n["data"] for n in elements["nodes"] if n["data"]["entity"] == entity and n["data"]["kind"] == kind), None)
        st.markdown(f"**{md(kind.title())}** {code(entity)}")
        if node:
            text_block(node.get("text", ""))
            extra = [str(node[k]) for k in ("setting", "year") if node.get(k) is not None]
            if extra:
                st.caption(" · ".join(md(x) for x in extra))
        if kind in PAGES:
            page_link(kind, entity, f"Open this {kind}", icon=":material/open_in_new:")
        elif kind == Kind.run:
            st.page_link(PAGES["runs"], label="Open this run", query_params={"run": entity}, icon=":material/open_in_new:")


def highlighted(text: str, terms: tuple[str, ...] | list[str]) -> str:
    """Escaped Markdown of `text` with the words in `terms` (lowercase, as kg.search gives them)
    on a highlight; every other character shown literally."""
    import re

    wanted = {t.lower() for t in terms}
    out = []
    for token in re.findall(r"\w+|\W+", " ".join(str(text).split())):
        if token.lower() in wanted:
            out.append(f":orange-background[{md(token)}]")
        else:  # md() collapses whitespace, which would glue the words together
            out.append(" ".join(md(part) for part in token.split(" ")))
    return "".join(out)


LONG_TABLE_ROWS = 200  # rows a long table draws at first: at 100k claims a hypothesis has ~17k


def long_table(total: int, frame: Callable[[int | None], pd.DataFrame], key: str, noun: str, order: str, shown: int | None = None, **options: Any) -> None:
    """A table of `total` rows drawn with its first `shown` (default LONG_TABLE_ROWS;
    `frame(shown)`, `order` says which come first) and 'Showing N of M'; a toggle draws all of
    them (`frame(None)`). The frame is built only for the rows drawn, so a rerun does not pay
    for thousands it hides."""
    shown = LONG_TABLE_ROWS if shown is None else shown
    everything = total <= shown or st.toggle(f"Show all {total:,} {noun}", key=f"{key}_all")
    if not everything:
        st.caption(f"Showing {shown:,} of {total:,} {noun}, {order}.")
    st.dataframe(frame(None if everything else shown), hide_index=True, width="stretch", key=key, **options)
