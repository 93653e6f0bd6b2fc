"""claimgraph's core: a literature-grounded claims knowledge graph.

Data flows one way: YAML (claims/) -> models (schema, loading) -> graph -> evidence -> stores.
The core imports nothing else of this repository; reproduction verdicts and citation edges
enter as `ClaimVerdict` and `CitationEdge` records (see `claimgraph` for the wiring).

    import kg
    report = kg.validate("claims")
    store = kg.GraphStore(report.corpus)
    for hypothesis, balance in kg.overview(store):
        print(hypothesis.id, f"{balance.score:+.2f}")

Names are imported on first use, so `import kg` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    # schema
    "Source": "kg.schema",
    "Hypothesis": "kg.schema",
    "Claim": "kg.schema",
    "EvidenceLink": "kg.schema",
    "ClaimLink": "kg.schema",
    "Locator": "kg.schema",
    "ReproductionRef": "kg.schema",
    # records that enter from the plugins
    "Verdict": "kg.records",
    "ClaimVerdict": "kg.records",
    "CitationEdge": "kg.records",
    # loading and validation
    "Corpus": "kg.loading",
    "Origin": "kg.loading",
    "load_corpus": "kg.loading",
    "Problem": "kg.problems",
    "validate": "kg.validation",
    "validate_text": "kg.validation",
    "Report": "kg.validation",
    "JobCatalog": "kg.validation",
    # graph, evidence, stores
    "Kind": "kg.graph",
    "build_graph": "kg.graph",
    "node_key": "kg.graph",
    "Weights": "kg.evidence",
    "Balance": "kg.evidence",
    "EvidenceRow": "kg.evidence",
    "aggregate": "kg.evidence",
    "Store": "kg.store",
    "GraphStore": "kg.store",
    "CorpusError": "kg.store",
    "balance": "kg.store",
    "overview": "kg.store",
    "summaries": "kg.store",
    "Summary": "kg.summary",
    "by_relation": "kg.store",
    "resolve_key": "kg.store",
}

__all__ = [
    "Balance",
    "Claim",
    "ClaimLink",
    "ClaimVerdict",
    "CitationEdge",
    "Corpus",
    "CorpusError",
    "EvidenceLink",
    "EvidenceRow",
    "GraphStore",
    "Hypothesis",
    "JobCatalog",
    "Kind",
    "Locator",
    "Origin",
    "Problem",
    "Report",
    "ReproductionRef",
    "Source",
    "Store",
    "Summary",
    "Verdict",
    "Weights",
    "__version__",
    "aggregate",
    "balance",
    "build_graph",
    "by_relation",
    "load_corpus",
    "node_key",
    "overview",
    "resolve_key",
    "summaries",
    "validate",
    "validate_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from kg.evidence import Balance, EvidenceRow, Weights, aggregate
    from kg.graph import Kind, build_graph, node_key
    from kg.loading import Corpus, Origin, load_corpus
    from kg.problems import Problem
    from kg.records import CitationEdge, ClaimVerdict, Verdict
    from kg.schema import Claim, ClaimLink, EvidenceLink, Hypothesis, Locator, ReproductionRef, Source
    from kg.store import CorpusError, GraphStore, Store, balance, by_relation, overview, resolve_key, summaries
    from kg.summary import Summary
    from kg.validation import JobCatalog, Report, validate, validate_text
