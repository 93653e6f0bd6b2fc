"""The bundled corpus: valid under --strict, schema bound, statements our own."""

from __future__ import annotations

import json
from pathlib import Path

from kg import jsonschema
from kg.loading import corpus_files
from kg.validation import validate


def test_bundled_corpus_is_valid_under_strict(repo_root):
    report = validate(repo_root / "claims", strict=True)
    assert report.problems == [], "\n".join(map(str, report.problems))


def test_every_corpus_file_binds_its_json_schema(repo_root):
    for path in corpus_files(repo_root / "claims"):
        first = path.read_text().splitlines()[0]
        kind = "sources" if path.stem.startswith("sources") else "hypotheses" if path.stem.startswith("hypotheses") else "claims"
        assert first == f"# yaml-language-server: $schema=schema/{kind}.schema.json", path


def test_committed_json_schema_is_up_to_date():
    assert jsonschema.stale() == [], "run `kg schema` and commit claims/schema/"


def test_json_schema_forbids_unknown_keys():
    schema = json.loads(jsonschema.schemas()["claims.schema.json"])
    assert schema["$defs"]["Claim"]["additionalProperties"] is False
    assert schema["$defs"]["EvidenceLink"]["properties"]["relation"]["enum"] == ["supports", "contradicts", "qualifies"]


def test_every_hypothesis_has_at_least_four_claims_and_every_reference_work_a_source(repo_root):
    report = validate(repo_root / "claims")
    per_hypothesis = {h: 0 for h in report.corpus.hypotheses}
    for claim in report.corpus.claims.values():
        for link in claim.evidence:
            per_hypothesis[link.hypothesis] += 1
        assert claim.locator is not None
    assert min(per_hypothesis.values()) >= 4, per_hypothesis
    papers = json.loads(REFERENCE_NOTES.read_text())
    assert len(papers) == 35
    arxiv = {s.ids.arxiv for s in report.corpus.sources.values()}
    titles = {s.title.lower() for s in report.corpus.sources.values()}
    missing = [p["title"] for p in papers if p.get("arxiv_id") not in arxiv and p["title"].lower() not in titles]
    assert missing == []


# The seed's reference notes (shared/reference/papers.json), copied into the repository so the
# test runs, and can fail, on any clone.
REFERENCE_NOTES = Path(__file__).resolve().parent / "fixtures" / "papers.json"
RUN = 12  # words: a shared run this long is a copied sentence, not a shared term


def _words(text: str) -> list[str]:
    """Lower-cased words with typographic quotes folded and edge punctuation dropped, so a copy
    is caught whatever its quotes or punctuation."""
    text = text.lower().translate(str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}))
    return [w for w in (w.strip(".,;:!?()[]\"'*") for w in text.split()) if w]


def _runs(words: list[str]) -> set[str]:
    return {" ".join(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def _corpus_texts(corpus) -> list[tuple[str, str]]:
    """(where, text) for every piece of prose the corpus holds: statements, rationales, notes, titles."""
    texts = []
    for h in corpus.hypotheses.values():
        texts += [(f"hypothesis {h.id} title", h.title), (f"hypothesis {h.id} statement", h.statement)]
    for s in corpus.sources.values():
        texts.append((f"source {s.id} title", s.title))
        if s.note:
            texts.append((f"source {s.id} note", s.note))
    for c in corpus.claims.values():
        texts.append((f"claim {c.id} statement", c.statement))
        texts += [(f"claim {c.id} rationale ({e.hypothesis})", e.rationale) for e in c.evidence]
        texts += [(f"claim {c.id} link note ({link.claim})", link.note) for link in c.links if link.note]
    return texts


def _seed_texts(repo_root) -> list[str]:
    """The seed discussion: the repository's own copy (always there, so the check never silently
    passes), plus any seed files beside the repository."""
    fixture = repo_root / "tests" / "kg" / "fixtures" / "seed.txt"
    assert fixture.exists() and fixture.read_text().strip(), f"the repository's copy of the seed is missing: {fixture}"
    return [fixture.read_text()] + [p.read_text() for p in sorted((repo_root.parent / "shared" / "seed").glob("*.txt"))]


def test_claim_statements_are_not_copied_from_the_reference_notes(repo_root):
    """Facts carry over, sentences do not: no statement shares a long verbatim run with the notes."""
    notes = " ".join(c["text"] for p in json.loads(REFERENCE_NOTES.read_text()) for c in p.get("claims", [])).lower()
    notes_words = notes.split()
    grams = {" ".join(notes_words[i : i + 12]) for i in range(len(notes_words) - 11)}
    report = validate(repo_root / "claims")
    for claim in report.corpus.claims.values():
        words = claim.statement.lower().split()
        copied = [" ".join(words[i : i + 12]) for i in range(len(words) - 11) if " ".join(words[i : i + 12]) in grams]
        assert not copied, f"{claim.id} copies: {copied[0]}"


def test_no_prose_in_the_corpus_is_copied_from_the_seed(repo_root):
    """The seed discussion is a source like any other: statements, rationales, notes and titles
    say things in our words, and locators point to its paragraphs instead of quoting them."""
    seed = set().union(*(_runs(_words(text)) for text in _seed_texts(repo_root)))
    assert seed, "the seed text is empty"
    report = validate(repo_root / "claims")
    copied = [f"{where}: {run}" for where, text in _corpus_texts(report.corpus) for run in sorted(_runs(_words(text)) & seed)[:1]]
    assert copied == [], "\n".join(copied)


def test_seed_copy_check_catches_a_copied_sentence(repo_root):
    seed = _seed_texts(repo_root)[0]
    sentence = next(p for p in seed.splitlines() if len(_words(p)) > 2 * RUN)
    assert _runs(_words(sentence.upper())) & _runs(_words(seed))


def test_no_locator_quotes_and_no_seed_quotes(repo_root):
    """Quotes are retired: claims point with section/figure/table/page/paragraph, hypotheses with seed.paragraph."""
    report = validate(repo_root / "claims")
    quoted = [c.id for c in report.corpus.claims.values() if c.locator.quote]
    assert quoted == [], f"claims with locator.quote: {quoted}"
    seeded = [h.id for h in report.corpus.hypotheses.values() if h.seed is not None and h.seed.quote]
    assert seeded == [], f"hypotheses with seed.quote: {seeded}"
    unpointed = [h.id for h in report.corpus.hypotheses.values() if h.seed is None or h.seed.paragraph is None]
    assert unpointed == [], f"hypotheses without seed.paragraph: {unpointed}"


def test_the_corpus_holds_evidence_against_every_hypothesis(repo_root):
    """Issue 11's bar for a balanced corpus: enough sources and claims, 40+ contradicting links,
    and every hypothesis contradicted by 2+ claims from 2+ independent, non-opinion sources."""
    from kg.graph import group_of

    corpus = validate(repo_root / "claims").corpus
    assert len(corpus.sources) >= 70 and len(corpus.claims) >= 200
    links = [(c, e) for c in corpus.claims.values() for e in c.evidence]
    assert sum(e.relation == "contradicts" for _, e in links) >= 40
    for h in corpus.hypotheses:
        against = [c for c, e in links if e.hypothesis == h and e.relation == "contradicts" and c.effective_kind not in ("opinion", "definition")]
        assert len(against) >= 2 and len({group_of(corpus, c.source) for c in against}) >= 2, h


def test_every_claim_says_what_kind_of_claim_it_is(repo_root):
    corpus = validate(repo_root / "claims").corpus
    assert [c.id for c in corpus.claims.values() if c.kind is None] == []
    seed = [c for c in corpus.claims.values() if c.source.startswith("seed-")]
    assert seed and all(c.kind in ("opinion", "definition") for c in seed), "the seed discussion's claims are the discussion, not evidence"
