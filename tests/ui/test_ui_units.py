"""Unit tests for the UI's pure parts: graph conversion, the claim builder, escaping, overrides."""

from __future__ import annotations

import networkx as nx
import pytest

from ui import contribute, data, graphview, widgets
from ui.graphview import Row

DATA = {
    "hypotheses": {"h1": "Hyp one", "h2": "Hyp two"},
    "parents": {"h2": "h1"},
    "sources": {"s1": {"title": "Paper one", "year": 2020, "kind": "paper"}, "s2": {"title": "Post two", "year": None, "kind": "post"}},
    "claims": {
        "c1": {"statement": "Claim one says a thing.", "source": "s1", "setting": "toy"},
        "c2": {"statement": "Claim two says <b>another</b>.", "source": "s2", "setting": "frontier"},
        "c3": {"statement": "Claim three.", "source": "s1", "setting": "theory"},
    },
    "rows": [
        Row("h1", "c1", "s1", "supports", "strong", "toy"),
        Row("h1", "c2", "s2", "contradicts", "weak", "frontier"),
        Row("h2", "c3", "s1", "qualifies", "moderate", "theory"),
        Row("h2", "c1", "s1", "supports", "weak", "toy"),
    ],
}


def keys(g, kind):
    return {n for n, a in g.nodes(data=True) if a["kind"] == kind}


def test_select_all():
    g = graphview.select(DATA)
    assert keys(g, "claim") == {"claim:c1", "claim:c2", "claim:c3"}
    assert keys(g, "source") == {"source:s1", "source:s2"}
    assert g.has_edge("hypothesis:h2", "hypothesis:h1")  # REFINES
    assert g.graph["omitted"] == 0
    evidence = [(u, v, d["relation"]) for u, v, d in g.edges(data=True) if d["type"] == "EVIDENCE"]
    assert ("claim:c1", "hypothesis:h2", "supports") in evidence and len(evidence) == 4


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
    assert node["text"] == "Claim two says <b>another</b>."  # data, not markup: the component shows text
    assert next(n["data"] for n in el["nodes"] if n["data"]["id"] == "claim:c1")["focus"] is True
    ids = {n["data"]["id"] for n in el["nodes"]}
    for e in el["edges"]:
        assert e["data"]["source"] in ids and e["data"]["target"] in ids
    assert len({e["data"]["id"] for e in el["edges"]}) == len(el["edges"])
    labels = {e["data"]["label"] for e in el["edges"]}
    assert labels == {"SUPPORTS", "CONTRADICTS", "QUALIFIES", "FROM", "REFINES"}


def test_to_elements_shortens_captions():
    g = nx.MultiDiGraph()
    g.add_node("claim:x", kind="claim", id="x", name="word " * 40)
    data_ = graphview.to_elements(g)["nodes"][0]["data"]
    assert len(data_["name"]) <= 48 and data_["name"].endswith("…")


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
        "id": "new-claim-here", "source": "hostile-blog", "statement": "A perfectly reasonable statement about things.",
        "locator": {"section": "2"}, "setting": "theory",
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
    assert data.parse_overrides("max_steps = 20\nlr=0.01\nname = abc  # comment\n\n") == ({"max_steps": 20, "lr": 0.01, "name": "abc"}, [])
    assert data.parse_overrides("oops")[1] == ["line 1: expected `name = value`"]


def test_fingerprint_changes_on_edit(corpus):
    before = data.fingerprint(corpus)
    assert data.fingerprint(corpus) == before
    (corpus / "safety.yaml").write_text((corpus / "safety.yaml").read_text() + "\n")
    assert data.fingerprint(corpus) != before
