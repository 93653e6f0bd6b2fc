"""kg.search: every significant word must be there; short aliases only exactly; what matched is said."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from kg.search import EXACT_BELOW, FUZZY_CUTOFF, Entry, SearchIndex, _fuzzy_lengths, _word_score


def index() -> SearchIndex:
    return SearchIndex(
        [
            Entry("source", "elhage-tms", "Toy Models of Superposition", (("title", "Toy Models of Superposition"), ("alias", "TMS"), ("author", "Nelson Elhage"), ("id", "elhage-tms"))),
            Entry("source", "watanabe-slt", "Algebraic Geometry and Statistical Learning Theory", (("title", "Algebraic Geometry and Statistical Learning Theory"), ("alias", "SLT"))),
            Entry("source", "power-grokking", "Grokking: Generalization Beyond Overfitting", (("title", "Grokking: Generalization Beyond Overfitting"), ("alias", "grokking paper"))),
            Entry("claim", "rh", "Frontier models hack their reward when working on coding tasks.", (("statement", "Frontier models hack their reward when working on coding tasks."), ("id", "rh"))),
            Entry("claim", "wd", "Weight decay drives grokking on modular addition.", (("statement", "Weight decay drives grokking on modular addition."), ("id", "wd"))),
        ]
    )


def test_short_aliases_match_only_exactly():
    idx = index()
    assert idx.search("sleeper agents") == []  # used to find TMS and SLT through their three letters
    assert [h.id for h in idx.search("tms")] == ["elhage-tms"]
    assert idx.search("tms")[0].score == 100 and idx.search("tms")[0].field == "alias"
    assert idx.search("tm") == [] and idx.search("slx") == []


def test_every_word_must_be_there_so_no_wrong_results():
    idx = index()
    assert {h.id for h in idx.search("grokking")} == {"power-grokking", "wd"}  # not the reward-hacking claim
    assert idx.search("grokking reward") == []
    assert [h.id for h in idx.search("weight decay grokking")] == ["wd"]


def test_typos_and_stems_still_match_and_say_what_matched():
    idx = index()
    hit = idx.search("superpositon toy")[0]
    assert hit.id == "elhage-tms" and hit.field == "title" and hit.terms == ("superposition", "toy") and 80 <= hit.score < 95
    assert idx.search("grokked")[0].id in ("power-grokking", "wd")  # a shared stem
    author = idx.search("elhage")[0]
    assert (author.field, author.matched, author.terms) == ("author", "Nelson Elhage", ("elhage",))


def test_scores_mean_something():
    idx = index()
    assert idx.search("grokking paper")[0].score == 100  # the whole alias
    phrase = next(h for h in idx.search("weight decay") if h.id == "wd")
    assert phrase.score == 98  # the query as a phrase
    scattered = idx.search("decay weight")[0]
    assert scattered.score == 95  # every word, not as a phrase


def test_hits_do_not_depend_on_the_hash_seed():
    """Two corpus words can match a query word equally well; which one a hit names (`terms`,
    what the UI highlights) must not follow set order, which changes with PYTHONHASHSEED."""
    script = "import json, sys; from claimgraph import load_graph_store; s = load_graph_store(sys.argv[1], runs=False); print(json.dumps([[list(h.terms), h.id] for q in ('refusal jailbreak model', 'groking', 'weight decay') for h in s.search(q, limit=50)]))"
    root = Path(__file__).resolve().parents[2]
    out = {
        subprocess.run([sys.executable, "-c", script, str(root / "claims")], capture_output=True, text=True, check=True, cwd=root, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(out) == 1 and json.loads(out.pop())


def test_numbers_and_names_with_digits_match_only_as_written_or_by_their_start():
    """A close spelling of an identifier is another identifier: 2022 is not 12022, resnet50 is
    not resnet56 (rapidfuzz rates those 89 and 88, above the cutoff)."""
    idx = SearchIndex(
        [
            Entry("claim", "a", "ResNet50 on ImageNet in 2022.", (("statement", "ResNet50 on ImageNet in 2022."),)),
            Entry("claim", "b", "ResNet56 on CIFAR, claim 12022.", (("statement", "ResNet56 on CIFAR, claim 12022."),)),
        ]
    )
    assert [h.id for h in idx.search("resnet50")] == ["a"]
    assert [h.id for h in idx.search("2022")] == ["a"]
    assert {h.id for h in idx.search("resnet")} == {"a", "b"}  # a word's start still finds both
    assert [h.id for h in idx.search("imagnet")] == ["a"]  # words without digits keep their typos


@settings(max_examples=300, deadline=None)
@given(st.text("abcde", min_size=1, max_size=30), st.text("abcde", min_size=1, max_size=30))
def test_a_close_spelling_is_never_outside_the_lengths_searched(a, b):
    if fuzz.ratio(a, b) >= FUZZY_CUTOFF:
        assert len(b) in _fuzzy_lengths(len(a))


def test_a_large_vocabulary_finds_what_the_plain_loop_finds():
    """Past 5,000 distinct words the index narrows candidates with rapidfuzz, by length and by
    the sorted vocabulary; it must find the same words, with the same scores, as trying each."""
    rng = random.Random(7)
    vocabulary = {"".join(rng.choice("aeiourstnlg") for _ in range(rng.randint(2, 12))) for _ in range(6000)}
    vocabulary |= {w + str(rng.randint(0, 99)) for w in list(vocabulary)[:500]}
    idx = SearchIndex([Entry("claim", f"c{i}", w, (("statement", w),)) for i, w in enumerate(sorted(vocabulary))])
    queries = [w[:-1] + "x" for w in list(vocabulary)[:150]] + list(vocabulary)[150:250] + [w[:5] for w in list(vocabulary)[250:300]]
    for q in queries:
        plain = {w: s for w in idx._vocabulary if (s := _word_score(q, w)) > 0} if len(q) >= EXACT_BELOW else None
        if plain is not None:
            assert idx._matches(q) == plain, q
