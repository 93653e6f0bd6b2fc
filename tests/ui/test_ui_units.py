"""Unit tests for the UI's pure parts: graph conversion, the claim builder, escaping, overrides."""

from __future__ import annotations

import networkx as nx
import pytest

from kg import Claim, Corpus, Hypothesis, Source, build_graph
from kg.util import shorten
from ui import contribute, data, graphview, palette, widgets


def _claim(cid: str, source: str, statement: str, setting: str, evidence=(), links=()) -> Claim:
    return Claim.model_validate(
        {
            "id": cid,
            "source": source,
            "statement": statement,
            "setting": setting,
            "locator": {"section": "1"},
            "evidence": [{"hypothesis": h, "relation": r, "strength": s, "rationale": "why"} for h, r, s in evidence],
            "links": [{"claim": other, "relation": relation} for other, relation in links],
        }
    )


def small_graph() -> nx.MultiDiGraph:
    """kg's graph (kg.build_graph) of a tiny corpus: what the explorer selects from."""
    sources = [Source(id="s1", kind="paper", title="Paper one", year=2020), Source(id="s2", kind="post", title="Post two")]
    hypotheses = [
        Hypothesis(id="h1", title="Hyp one", statement="The first hypothesis."),
        Hypothesis(id="h2", title="Hyp two", statement="The second hypothesis.", parent="h1"),
    ]
    claims = [
        _claim("c1", "s1", "Claim one says a thing about models.", "toy", [("h1", "supports", "strong"), ("h2", "supports", "weak")]),
        _claim("c2", "s2", "Claim two says <b>another</b> thing.", "frontier", [("h1", "contradicts", "weak")]),
        _claim("c3", "s1", "Claim three qualifies the second one.", "theory", [("h2", "qualifies", "moderate")]),
        _claim("c4", "s2", "Claim four repeats claim one exactly.", "toy", links=[("c1", "replicates")]),  # bears on no hypothesis
    ]
    corpus = Corpus(sources={s.id: s for s in sources}, hypotheses={h.id: h for h in hypotheses}, claims={c.id: c for c in claims})
    return build_graph(corpus)


DATA = small_graph()


def keys(g, kind):
    return {n for n, a in g.nodes(data=True) if a["kind"] == kind}


def test_select_all():
    g = graphview.select(DATA)
    assert keys(g, "claim") == {"claim:c1", "claim:c2", "claim:c3"}  # c4 bears on no hypothesis
    assert keys(g, "source") == {"source:s1", "source:s2"}
    assert g.has_edge("hypothesis:h2", "hypothesis:h1")  # REFINES
    assert g.graph["omitted"] == 0
    evidence = [(u, v, d["relation"]) for u, v, d in g.edges(data=True) if d["type"] == "EVIDENCE"]
    assert ("claim:c1", "hypothesis:h2", "supports") in evidence and len(evidence) == 4
    assert {d["type"] for _, _, d in g.edges(data=True)} == {"EVIDENCE", "FROM", "REFINES"}


def test_select_keeps_kg_attributes_and_drops_filtered_edges():
    g = graphview.select(DATA, hypotheses=["h1"], relations=["supports"])
    assert g.nodes["claim:c1"] == DATA.nodes["claim:c1"]  # kg's node, not a copy with other names
    assert g.nodes["claim:c1"]["statement"] == "Claim one says a thing about models."
    # c1 also supports h2, which is not asked for; c2 contradicts h1, which is filtered out
    assert [(u, v) for u, v, d in g.edges(data=True) if d["type"] == "EVIDENCE"] == [("claim:c1", "hypothesis:h1")]
    assert keys(g, "hypothesis") == {"hypothesis:h1"} and not g.has_edge("hypothesis:h2", "hypothesis:h1")


def test_entities_and_source_years():
    assert {h: a["label"] for h, a in graphview.entities(DATA, "hypothesis").items()} == {"h1": "Hyp one", "h2": "Hyp two"}
    assert graphview.source_years(DATA) == [2020]  # s2 has no year


def test_select_filters():
    assert keys(graphview.select(DATA, hypotheses=["h2"]), "claim") == {"claim:c1", "claim:c3"}
    assert keys(graphview.select(DATA, relations=["contradicts"]), "claim") == {"claim:c2"}
    assert keys(graphview.select(DATA, settings=["theory"]), "claim") == {"claim:c3"}
    # a year filter drops claims whose source has no year
    assert keys(graphview.select(DATA, years=(2019, 2021)), "claim") == {"claim:c1", "claim:c3"}
    assert keys(graphview.select(DATA, years=(2021, 2022)), "claim") == set()
    assert keys(graphview.select(DATA, include_sources=False), "source") == set()
    # hypotheses stay even when no claim matches
    assert keys(graphview.select(DATA, relations=["contradicts"], hypotheses=["h2"]), "hypothesis") == {"hypothesis:h2"}


def test_select_caps_strongest_first():
    g = graphview.select(DATA, max_claims=1)
    assert keys(g, "claim") == {"claim:c1"}  # strong beats moderate and weak
    assert g.graph == {"omitted": 2, "matched": 3}


def test_to_elements_shape_and_determinism():
    g = graphview.select(DATA)
    el = graphview.to_elements(g, focus="claim:c1")
    assert el == graphview.to_elements(graphview.select(DATA), focus="claim:c1")
    node = next(n["data"] for n in el["nodes"] if n["data"]["id"] == "claim:c2")
    assert node["label"] == "Claim" and node["kind"] == "claim" and node["entity"] == "c2"
    assert node["text"] == "Claim two says <b>another</b> thing."  # data, not markup: the component shows text
    assert next(n["data"] for n in el["nodes"] if n["data"]["id"] == "claim:c1")["focus"] is True
    ids = {n["data"]["id"] for n in el["nodes"]}
    for e in el["edges"]:
        assert e["data"]["source"] in ids and e["data"]["target"] in ids
    assert len({e["data"]["id"] for e in el["edges"]}) == len(el["edges"])
    labels = {e["data"]["label"] for e in el["edges"]}
    assert labels == {"SUPPORTS", "CONTRADICTS", "QUALIFIES", "FROM", "REFINES"}


def test_to_elements_shortens_captions():
    g = nx.MultiDiGraph()
    g.add_node("claim:x", kind="claim", id="x", label="word word…", statement="word " * 40)
    data_ = graphview.to_elements(g)["nodes"][0]["data"]
    assert len(data_["name"]) <= 40 and data_["name"].endswith("…")
    assert data_["text"] == " ".join(["word"] * 40)  # the full statement, not kg's short label
    assert data_["name"] == shorten("word " * 40, 40)  # kg's one shortening rule
    named = graphview.to_elements(g, names={"claim:x": "Nanda et al. 2023"})["nodes"][0]["data"]
    assert named["name"] == "Nanda et al. 2023" and named["text"] == data_["text"]


def test_author_year_names_a_source_as_readers_do():
    assert graphview.author_year(["Neel Nanda", "Lawrence Chan", "Tom Lieberum"], 2023) == "Nanda et al. 2023"
    assert graphview.author_year(["Boaz Barak", "Ben Edelman"], 2022) == "Barak & Edelman 2022"
    assert graphview.author_year(["Ray Solomonoff"], 1964) == "Solomonoff 1964"
    assert graphview.author_year([], None) == ""


def test_graph_captions_show_at_default_zoom_and_the_legend_names_every_edge():
    # st-link-analysis hides captions under 10 px on screen and draws them at 3.6 px: ours override both
    node = graphview.node_styles()[0].dump()["style"]
    assert node["min-zoomed-font-size"] == 0 and node["font-size"] >= 8 and node["label"] == "data(name)"
    edge = graphview.edge_styles(["SUPPORTS"])[0].dump()["style"]
    assert edge["min-zoomed-font-size"] == 0 and edge["label"] == "data(label)"
    legend = graphview.legend_html(["SUPPORTS", "CONTRADICTS", "FROM"], ["claim", "source"])
    for word in ("supports", "contradicts", "from", "Claim", "Source", palette.RELATION_HEX["supports"]):
        assert word in legend


def test_from_subgraph():
    from kg.store import Subgraph

    sub = Subgraph(
        [{"key": "claim:a", "kind": "claim", "id": "a", "label": "A"}, {"key": "hypothesis:h", "kind": "hypothesis", "id": "h", "label": "H"}],
        [{"source": "claim:a", "target": "hypothesis:h", "type": "EVIDENCE", "relation": "supports"}],
    )
    el = graphview.to_elements(graphview.from_subgraph(sub))
    assert [e["data"]["label"] for e in el["edges"]] == ["SUPPORTS"]


@pytest.mark.parametrize(
    "event, expected",
    [
        ({"action": "open", "data": {"target_id": "claim:c1"}, "timestamp": 1}, ("claim", "c1")),
        ({"action": "expand", "data": {"node_ids": ["source:s-1"]}}, ("source", "s-1")),
        ({"action": "open", "data": {"target_id": "bogus"}}, None),
        ({"action": "open", "data": {"target_id": "alien:x"}}, None),
        (None, None),
        ("junk", None),
    ],
)
def test_clicked(event, expected):
    assert graphview.clicked(event) == expected


def test_styles_cover_every_kind():
    assert {s.label for s in graphview.node_styles()} == {"Hypothesis", "Claim", "Source", "Run"}
    assert {s.label for s in graphview.edge_styles(["SUPPORTS", "FROM"])} == {"SUPPORTS", "FROM"}


def test_edge_labels_follow_kg_edge_attributes():
    assert graphview.edge_label({"type": "EVIDENCE", "relation": "qualifies"}) == "QUALIFIES"
    assert graphview.edge_label({"type": "LINK", "relation": "replicates", "note": None}) == "REPLICATES"
    assert graphview.edge_label({"type": "FROM"}) == "FROM"


def test_one_colour_per_relation_everywhere():
    """The graph's edges, the balance bars and the badges take a relation's colour from one place."""
    domain, colours = palette.side_scale()
    assert dict(zip(domain, colours, strict=False)) == {
        "support": palette.edge_hex("SUPPORTS"),
        "against": palette.edge_hex("CONTRADICTS"),
        "qualify": palette.edge_hex("QUALIFIES"),
    }
    styles = {s.label: s for s in graphview.edge_styles()}
    assert {label: s.color for label, s in styles.items() if label in ("SUPPORTS", "CONTRADICTS", "QUALIFIES")} == {
        "SUPPORTS": palette.RELATION_HEX["supports"],
        "CONTRADICTS": palette.RELATION_HEX["contradicts"],
        "QUALIFIES": palette.RELATION_HEX["qualifies"],
    }
    assert palette.edge_hex("REPLICATES") == palette.edge_hex("LINK")  # claim-to-claim relations are links
    assert set(palette.RELATION_BADGE) == set(palette.RELATION_HEX) == set(data.RELATIONS)


@pytest.mark.parametrize(
    "raw",
    ["<script>alert(1)</script>", "[link](javascript:x)", "**bold** _it_ `code`", ":red[x] :rocket:", "$x^2$", "# heading", "a\n\n- list", "www.example.com https://x.y"],
)
def test_md_escapes_every_markdown_construct(raw):
    import re
    import string

    out = widgets.md(raw)
    assert "\n" not in out
    # every punctuation character is escaped, so nothing is left for Markdown to interpret
    assert not re.search(r"(?<!\\)[" + re.escape(string.punctuation.replace("\\", "")) + "]", re.sub(r"\\\\.", "", out))
    assert re.sub(r"\\(.)", r"\1", out) == " ".join(raw.split())


def test_code_and_url_for():
    assert widgets.code("a`b") == "`a'b`"
    assert widgets.url_for("claim", "a b/c") == "./claim?id=a%20b%2Fc"


def test_build_claim_drops_empty_fields():
    claim = contribute.build_claim(
        {
            "id": "x-claim",
            "source": "s1",
            "statement": "  A   statement  ",
            "setting": "toy",
            "locator": {"section": "4", "figure": "", "quote": " "},
            "scope": {"model": "", "task": "parity"},
            "evidence": [{"hypothesis": "h1", "relation": "supports", "strength": "weak", "rationale": "why"}, {"hypothesis": None}],
            "links": [{"claim": "", "relation": "extends"}],
            "tags": "a, b ,",
        }
    )
    assert claim == {
        "id": "x-claim",
        "source": "s1",
        "statement": "A statement",
        "locator": {"section": "4"},
        "setting": "toy",
        "scope": {"task": "parity"},
        "evidence": [{"hypothesis": "h1", "relation": "supports", "strength": "weak", "rationale": "why"}],
        "tags": ["a", "b"],
    }
    assert list(claim) == ["id", "source", "statement", "locator", "setting", "scope", "evidence", "tags"]


def test_suggest_id():
    assert contribute.suggest_id("nanda2023-progress-measures", "A one-layer transformer learns Fourier features") == "nanda2023-layer-transformer-learns-fourier"
    assert contribute.suggest_id("", "") == "claim"


def test_validate_claim_uses_kg_validate(corpus):
    good = {
        "id": "new-claim-here",
        "source": "hostile-blog",
        "statement": "A perfectly reasonable statement about things.",
        "locator": {"section": "2"},
        "setting": "theory",
        "evidence": [{"hypothesis": "shallow-safety", "relation": "qualifies", "strength": "weak", "rationale": "r"}],
    }
    problems, text = data.validate_claim(good, corpus)
    assert [p for p in problems if p.severity == "error"] == [] and text.startswith("- id: new-claim-here")
    bad = {**good, "id": "grokking-fourier", "source": "nanda2023-progress-measure", "setting": "toys", "locator": {}}
    problems, _ = data.validate_claim(bad, corpus)
    messages = " | ".join(p.message + " " + p.hint for p in problems)
    assert "setting" in messages and "locator" in messages
    assert all(p.file == "your claim" for p in problems)


def test_claim_yaml_round_trips_hostile_text():
    import yaml

    claim = {"id": "x", "statement": "<script>alert(1)</script>: [a](javascript:x) # not a comment " * 3}
    assert yaml.safe_load(data.claim_yaml(claim)) == [claim]


def test_parse_overrides():
    assert data.parse_overrides("max_steps = 20\nlr=0.01\n# a comment\nname = abc\nns = [20, 50]\n\n") == (
        {"max_steps": 20, "lr": 0.01, "name": "abc", "ns": [20, 50]},
        [],
    )
    overrides, errors = data.parse_overrides("lr = 0.1\noops\n\n= 3")
    assert overrides == {"lr": 0.1}
    assert errors == ["line 2: expected key=value, got 'oops'", "line 4: expected key=value, got '= 3'"]


def test_runs_form_reads_the_catalogue():
    assert "sparse_parity" in data.job_names() and "smoke" in data.presets("sparse_parity")
    assert data.check_params("sparse_parity", "smoke", {"n": 8}) == []
    problems = data.check_params("sparse_parity", "smoke", {"n": -3, "no_such_param": 1})
    assert len(problems) == 2 and "'n'" in problems[0] and "no_such_param" in problems[1]
    table = data.params_table("sparse_parity", "smoke", {"n": 8})
    row = table.set_index("parameter").loc["n"]
    assert row["value"] == "8" and row["description"] == "input bits of the main run"


def test_fingerprint_changes_on_edit(corpus):
    before = data.fingerprint(corpus)
    assert data.fingerprint(corpus) == before
    (corpus / "safety.yaml").write_text((corpus / "safety.yaml").read_text() + "\n")
    assert data.fingerprint(corpus) != before


def test_explorer_on_a_store_without_networkx_draws_what_the_embedded_one_draws(corpus):
    """A Neo4j store has no networkx graph: the explorer selects from a skeleton read with the
    store's queries and fills in the drawn claims' statements; the drawing is the same."""
    from claimgraph import load_graph_store

    local = load_graph_store(corpus, runs=False)

    class Remote:  # only the Store queries the skeleton and the explorer use, like Neo4jStore
        def stats(self):
            return local.stats()

        def sources(self):
            return local.sources()

        def hypotheses(self):
            return local.hypotheses()

        def evidence_by_hypothesis(self):
            return local.evidence_by_hypothesis()

        def claim(self, claim_id):
            return local.claim(claim_id)

    assert data.whole_graph(local) is local.graph
    remote = Remote()
    skeleton = data.whole_graph(remote)
    h = next(iter(local.corpus.hypotheses))
    for filters in [(), ([h], ["supports"], None, None, False, 3), (None, None, ["toy"], (2020, 2023), True, 5), (None, None, None, None, True, 1000)]:
        want = data.explorer_graph(local, local.graph, *filters)
        got = data.explorer_graph(remote, skeleton, *filters)
        assert graphview.to_elements(got) == graphview.to_elements(want), filters
        assert (got.graph["matched"], got.graph["omitted"]) == (want.graph["matched"], want.graph["omitted"])
    assert want.graph["matched"] == len(local.corpus.claims) - sum(1 for c in local.corpus.claims.values() if not c.evidence)


def test_highlighted_marks_the_matched_words_keeps_spaces_and_escapes_the_rest():
    out = widgets.highlighted("Grokking as the Transition: [x](javascript:y)", ("grokking", "transition"))
    assert out == ":orange-background[Grokking] as the :orange-background[Transition]\\: \\[x\\]\\(javascript\\:y\\)"


def test_every_jobs_override_placeholder_is_valid_for_that_job():
    for job in data.job_names():
        for preset in data.presets(job):
            text = data.override_placeholder(job, preset)
            overrides, errors = data.parse_overrides(text)
            assert not errors and not data.check_params(job, preset, overrides), (job, preset, text)


def test_readable_error_drops_urls_and_boilerplate():
    raw = "1 validation error for Params\nn\n  Input should be greater than or equal to 2 [type=greater_than_equal, input_value=-3, input_type=int]\n    For further information visit https://errors.pydantic.dev/2.11/v/greater_than_equal"
    assert data.readable_error(raw) == ["n", "Input should be greater than or equal to 2"]


def test_a_verdict_moves_a_claims_weight_by_the_reproduction_factor():
    claim = Claim.model_validate(
        {
            "id": "cc",
            "source": "ss",
            "statement": "A claim long enough to be a statement.",
            "locator": {"section": "1"},
            "setting": "toy",
            "evidence": [{"hypothesis": "hh", "relation": "qualifies", "strength": "weak", "rationale": "r"}],
        }
    )
    assert data.weight_change(claim, "reproduced", "reproduced") == [("hh", 0.6, pytest.approx(0.9))]  # 0.60 -> 0.90, the example
    assert data.weight_change(claim, "reproduced", "inconclusive") == [("hh", 0.6, 0.6)]
