"""The corpora of the contract suite, each as an embedded GraphStore (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

from claimgraph import load_graph_store
from kg.loading import Corpus, Origin
from kg.records import CitationEdge, ClaimVerdict, Verdict
from kg.schema import Claim, ClaimLink, EvidenceLink, Hypothesis, Locator, Source
from kg.store import GraphStore
from kg.util import default_corpus
from kg.validation import validate


def claim_verdict(claim, job, preset, expect, outcome, run_id, finished_at="", reason=""):
    """A ClaimVerdict as a run would give it (positional, for compact test data)."""
    return ClaimVerdict(claim=claim, job=job, preset=preset, expect=expect, verdict=Verdict(outcome=outcome, reason=reason), run_id=run_id, finished_at=finished_at)


def citation(citing, cited, intents=(), influential=False):
    return CitationEdge(citing=citing, cited=cited, intents=intents, influential=influential)


HERE = Path(__file__).resolve().parent
CORPORA = ("bundled", "hostile-yaml", "hostile-ids")


def hostile_yaml_store() -> GraphStore:
    report = validate(HERE / "hostile", check_duplicates=False)
    assert not report.errors, report.errors
    verdicts = [
        claim_verdict("claim-with-quotes", "grokking", "smoke", "reproduced", "reproduced", "run-'1'", "2026-01-01T00:00:00", "summary with 'quotes' and `ticks`"),
        claim_verdict("claim-with-quotes", "grokking", "full", "reproduced", "not-reproduced", "run-`2`", "", ""),
        claim_verdict("claim-disputes", "sparse_parity", "smoke", "not-reproduced", "inconclusive", "run-'1'", "2026-01-02", "run shared with another claim"),
        claim_verdict("claim-replicates", "grokking", "smoke", "reproduced", "reproduced", "run-3", "", "listed twice"),
        claim_verdict("claim-replicates", "grokking", "smoke", "reproduced", "reproduced", "run-3", "", "listed twice"),
    ]
    citations = [
        citation("match-n-detach-delete-n", "return-1-union-call", ("methodology", "result"), True),
        citation("return-1-union-call", "match-n-detach-delete-n", ("background",), False),
        citation("match-n-detach-delete-n", "return-1-union-call", ("background",), False),
        citation("load-csv-from-file", "load-csv-from-file", (), False),
        citation("load-csv-from-file", "not-in-the-corpus", ("result",), True),
    ]
    return GraphStore(report.corpus, verdicts, citations)


# Ids the schema would reject; only code can make them. Each is a classic injection attempt.
S1, S2 = "s'}) DETACH DELETE n //", "`src` $id {x: 1}"
H1, H2 = 'h") RETURN 1 UNION MATCH (n) RETURN n //', "h:with:colons"
C1, C2, C3, C4 = "c'; MATCH (n) DETACH DELETE n; //", "c`]->(x) CREATE (y)-[`", "claim:hypothesis:evil", "\\u0027 ünï 😀 \n newline"


def hostile_ids_store() -> GraphStore:
    corpus = Corpus()

    def add(kind: str, model, file: str, line: int):
        getattr(corpus, kind)[model.id] = model
        corpus.origins[(kind, model.id)] = Origin(file, line)

    add("sources", Source.model_construct(id=S1, kind="paper", title="Source ' one", authors=["A `B`"], aliases=["MATCH (n)"]), "we'ird`.yaml", 1)
    add("sources", Source.model_construct(id=S2, kind="post", title='Source "two"', year=2020), "we'ird`.yaml", 9)
    add("hypotheses", Hypothesis.model_construct(id=H1, title="H ' one", statement="Statement `one` ${x}"), "h.yaml", 1)
    add("hypotheses", Hypothesis.model_construct(id=H2, title="H two", statement="Child of one", parent=H1), "h.yaml", 5)
    loc = Locator.model_construct(section="1'")
    add(
        "claims",
        Claim.model_construct(
            id=C1,
            source=S1,
            statement="Claim one ' \" `",
            locator=loc,
            setting="toy",
            evidence=[EvidenceLink.model_construct(hypothesis=H1, relation="supports", strength="strong", rationale="r'1")],
        ),
        "c.yaml",
        1,
    )
    add(
        "claims",
        Claim.model_construct(
            id=C2,
            source=S1,
            statement="Claim two replicates one",
            locator=loc,
            setting="frontier",
            evidence=[
                EvidenceLink.model_construct(hypothesis=H1, relation="contradicts", strength="moderate", rationale="r`2"),
                EvidenceLink.model_construct(hypothesis=H2, relation="qualifies", strength="weak", rationale="r{3}"),
            ],
            links=[ClaimLink.model_construct(claim=C1, relation="replicates", note=None)],
        ),
        "c.yaml",
        10,
    )
    add(
        "claims",
        Claim.model_construct(
            id=C3,
            source=S2,
            statement="Claim three disputes two",
            locator=loc,
            setting="theory",
            evidence=[EvidenceLink.model_construct(hypothesis=H2, relation="supports", strength="moderate", rationale="$rows")],
            links=[ClaimLink.model_construct(claim=C2, relation="disputes", note="n'")],
        ),
        "c.yaml",
        20,
    )
    add("claims", Claim.model_construct(id=C4, source=S2, statement="Claim four, on its own", locator=loc, setting="opinion"), "c.yaml", 30)
    verdicts = [
        claim_verdict(C1, "grokking", "smoke", "reproduced", "reproduced", "run'}) DELETE n //", "t", "s"),
        claim_verdict(C3, "grokking", "smoke", "reproduced", "not-reproduced", "run`x`", "", ""),
    ]
    citations = [citation(S1, S2, ("result'",), True), citation(S2, S1, (), False)]
    return GraphStore(corpus, verdicts, citations)


_BUILDERS = {
    "bundled": lambda: load_graph_store(default_corpus(), runs=False),
    "hostile-yaml": hostile_yaml_store,
    "hostile-ids": hostile_ids_store,
}
_cache: dict[str, GraphStore] = {}


def build(name: str) -> GraphStore:
    if name not in _cache:
        _cache[name] = _BUILDERS[name]()
    return _cache[name]
