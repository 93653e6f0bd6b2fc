"""The bundled corpus: valid under --strict, schema bound, statements our own."""

from __future__ import annotations

import json

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
    papers = json.loads((repo_root.parent / "shared" / "reference" / "papers.json").read_text()) if (repo_root.parent / "shared").exists() else []
    if papers:  # the reference list sits beside the repository in development and CI
        arxiv = {s.ids.arxiv for s in report.corpus.sources.values()}
        titles = {s.title.lower() for s in report.corpus.sources.values()}
        missing = [p["title"] for p in papers if p.get("arxiv_id") not in arxiv and p["title"].lower() not in titles]
        assert missing == []


def test_claim_statements_are_not_copied_from_the_reference_notes(repo_root):
    """Facts carry over, sentences do not: no statement shares a long verbatim run with the notes."""
    notes_path = repo_root.parent / "shared" / "reference" / "papers.json"
    if not notes_path.exists():
        return
    notes = " ".join(c["text"] for p in json.loads(notes_path.read_text()) for c in p.get("claims", [])).lower()
    notes_words = notes.split()
    grams = {" ".join(notes_words[i : i + 12]) for i in range(len(notes_words) - 11)}
    report = validate(repo_root / "claims")
    for claim in report.corpus.claims.values():
        words = claim.statement.lower().split()
        copied = [" ".join(words[i : i + 12]) for i in range(len(words) - 11) if " ".join(words[i : i + 12]) in grams]
        assert not copied, f"{claim.id} copies: {copied[0]}"
