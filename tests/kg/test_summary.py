"""The overview's summaries (kg.summary, kg.store.summaries): the same numbers as the balances,
carried through JSON exactly, and kept or recomputed by a store that keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from claimgraph import load_graph_store
from kg.evidence import Weights
from kg.store import GraphStore, SummaryKeeper, overview, summaries
from kg.summary import Summary, dumps, loads, method, summarise
from kg.util import default_corpus


@pytest.fixture(scope="module")
def bundled() -> GraphStore:
    return load_graph_store(default_corpus(), runs=False)


def test_a_summary_has_the_balance_numbers_the_overview_shows(bundled):
    for h, b in overview(bundled):
        s = summarise(b)
        assert (s.hypothesis, s.score, s.support, s.against, s.qualify) == (h.id, b.score, b.support, b.against, b.qualify)
        assert (s.claims, s.counts, s.sources, s.reproductions) == (len(b.contributions), b.counts, b.sources, b.reproductions)
        assert (s.contested, s.untested, s.certainty, s.independent_groups) == (b.contested, b.untested, b.certainty, b.independent_groups)
        assert (s.sensitivity.min, s.sensitivity.max, s.sensitivity.rests_on) == (b.sensitivity.min, b.sensitivity.max, b.sensitivity.rests_on)
        if b.sensitivity.rests_on:
            assert s.sensitivity.without == {b.sensitivity.rests_on: b.sensitivity.without[b.sensitivity.rests_on]}
        assert s.to_dict() == {**{k: v for k, v in b.to_dict().items() if k != "groups"}, "claims": len(b.contributions), "independent_groups": b.independent_groups}


def test_summaries_read_back_from_json_equal(bundled):
    found = {h.id: summarise(b) for h, b in overview(bundled)}
    assert loads(dumps(found)) == found


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"format": 0, "summaries": {}}', '{"format": 1, "summaries": {"h": {"score": 1}}}', "not json"])
def test_anything_else_reads_as_nothing_kept(text):
    assert loads(text) is None


def test_the_method_names_the_evidence_code_and_default_weights():
    assert method() == method() and len(method()) == 24


def test_the_embedded_store_computes_them(bundled):
    assert summaries(bundled) == [(h, summarise(b)) for h, b in overview(bundled)]
    assert not isinstance(bundled, SummaryKeeper)


class Keeper:
    """A store that keeps summaries in memory, counting how often the evidence is read."""

    def __init__(self, inner: GraphStore, version: Any = (1, False)):
        self.inner, self.version = inner, version
        self.kept: dict[str, tuple[Any, dict[str, Summary]]] = {}
        self.evidence_reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def evidence_by_hypothesis(self):
        self.evidence_reads += 1
        return self.inner.evidence_by_hypothesis()

    def kept_summaries(self, method: str):
        version, found = self.kept.get(method, (None, None))
        return self.version, (found if version == self.version else None)

    def keep_summaries(self, method: str, version: Any, found: dict[str, Summary]) -> bool:
        self.kept[method] = (version, found)
        return True


def test_a_keeping_store_computes_once_per_version_then_reads_what_it_kept(bundled):
    store = Keeper(bundled)
    first = summaries(store)
    assert first == summaries(bundled) and store.evidence_reads == 1
    assert summaries(store) == first and store.evidence_reads == 1  # read back, not recomputed
    store.version = (2, False)  # a sync changed something: recomputed and kept again
    assert summaries(store) == first and store.evidence_reads == 2
    assert store.kept[method()][0] == (2, False)


def test_custom_weights_are_computed_and_never_kept(bundled):
    store = Keeper(bundled)
    custom = Weights(diminishing=0.25)
    assert summaries(store, custom) == [(h, summarise(b)) for h, b in overview(bundled, custom)]
    assert store.kept == {} and store.evidence_reads == 1
    summaries(store)
    summaries(store, custom)
    assert store.evidence_reads == 3  # the default weights' summaries never answer for custom ones


def test_nothing_is_kept_while_a_sync_writes(bundled):
    store = Keeper(bundled, version=None)
    summaries(store)
    summaries(store)
    assert store.kept == {} and store.evidence_reads == 2


def test_kept_summaries_missing_a_hypothesis_are_recomputed(bundled):
    store = Keeper(bundled)
    summaries(store)
    version, found = store.kept[method()]
    store.kept[method()] = (version, dict(list(found.items())[1:]))
    assert summaries(store) == summaries(bundled) and store.evidence_reads == 2
