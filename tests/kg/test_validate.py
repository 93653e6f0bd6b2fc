"""Cross-file checks: near-duplicates, strict mode, warnings."""

from __future__ import annotations

from claimgraph import validate  # the core checks plus the reproduction catalogue, as `kg validate`

CLAIM = """- id: {id}
  source: nanda2023-progress-measures
  statement: "{statement}"
  locator: {{section: "4"}}
  setting: toy
  evidence: [{{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r}}]
"""


def test_near_duplicate_claims_are_flagged_with_score(base_corpus):
    (base_corpus / "dupes.yaml").write_text(CLAIM.format(id="near-copy", statement="A one-layer transformer trained on modular addition ends up computing it with a few Fourier frequencies!"))
    report = validate(base_corpus)
    assert report.ok  # a warning by default
    [warning] = report.warnings
    assert warning.file.endswith("dupes.yaml") and warning.line == 1
    assert "claim 'near-copy' nearly duplicates 'grokking-fourier'" in warning.message
    assert "(similarity 100)" in warning.message


def test_strict_turns_warnings_into_errors(base_corpus):
    (base_corpus / "dupes.yaml").write_text(CLAIM.format(id="near-copy", statement="A one layer transformer trained on modular addition ends up computing it with few Fourier frequencies."))
    assert validate(base_corpus).ok
    strict = validate(base_corpus, strict=True)
    assert not strict.ok and "nearly duplicates" in strict.errors[0].message


def test_different_claims_of_one_source_are_not_flagged(base_corpus):
    (base_corpus / "more.yaml").write_text(CLAIM.format(id="other", statement="Weight decay is needed: without it the same network memorises and never generalises."))
    assert validate(base_corpus, strict=True).problems == []


def test_near_duplicate_sources_by_title(base_corpus):
    (base_corpus / "sources-extra.yaml").write_text("- id: nanda-copy\n  kind: paper\n  title: Progress measures for grokking via mechanistic interpretability.\n  year: 2023\n")
    [warning] = validate(base_corpus).warnings
    # files load in name order, so sources-extra.yaml comes first and sources.yaml holds the copy
    assert "source 'nanda2023-progress-measures' nearly duplicates 'nanda-copy'" in warning.message


def test_claim_without_links_is_a_warning(base_corpus):
    (base_corpus / "orphan.yaml").write_text(
        "- id: orphan\n  source: nanda2023-progress-measures\n  statement: A claim that bears on nothing at all in the graph.\n  locator: {page: '3'}\n  setting: toy\n"
    )
    report = validate(base_corpus)
    assert [w.message for w in report.warnings] == ["'orphan' bears on no hypothesis and no claim"]


def test_validate_text_checks_a_draft_against_the_corpus(base_corpus):
    from kg.validation import validate_text

    corpus = validate(base_corpus).corpus
    before = dict(corpus.claims)
    draft = "- id: draft\n  source: nanda2023-progress-measure\n  statement: A draft claim that names a source with a typo in it.\n  locator: {section: '2'}\n  setting: toys\n"
    problems = validate_text(draft, corpus)
    assert [(p.line, p.message) for p in problems] == [
        (5, "'draft': setting: 'toys' is not one of 'toy', 'small-model', 'frontier', 'theory', 'opinion'"),
    ]
    fixed = draft.replace("toys", "toy") + "  evidence: [{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r}]\n"
    [problem] = validate_text(fixed, corpus)
    assert (problem.file, problem.line) == ("your claim", 1)
    assert "source 'nanda2023-progress-measure' does not exist (did you mean 'nanda2023-progress-measures'?)" in str(problem)
    good = fixed.replace("progress-measure\n", "progress-measures\n")
    assert validate_text(good, corpus) == []
    assert corpus.claims == before  # the loaded corpus is untouched
    dupe = good.replace("id: draft", "id: grokking-fourier")
    assert "duplicate claim id 'grokking-fourier'" in validate_text(dupe, corpus)[0].message


def test_dangling_link_into_an_unreadable_file_points_at_that_file(base_corpus):
    (base_corpus / "claims.yaml").write_text((base_corpus / "claims.yaml").read_text().replace("  setting: toy\n", "  setting: [toy\n", 1))
    (base_corpus / "later.yaml").write_text(
        "- id: later\n  source: barak2022-hidden-progress\n  statement: A claim that extends one in a file that does not parse.\n"
        "  locator: {section: '1'}\n  setting: toy\n  links: [{claim: grokking-fourier, relation: extends}]\n"
    )
    problems = [p for p in validate(base_corpus).problems if p.file.endswith("later.yaml")]
    assert [p.message for p in problems] == ["'later': linked claim 'grokking-fourier' does not exist"]
    assert problems[0].hint.endswith("claims.yaml, which could not be read: fix that first")


def test_reproductions_name_known_jobs_with_params_their_model_accepts(base_corpus):
    def claim(reproduction: str) -> str:
        return (
            "- id: with-repro\n  source: nanda2023-progress-measures\n  statement: Weight decay makes the network generalise long after it memorises.\n"
            f"  locator: {{section: '5'}}\n  setting: toy\n  evidence: [{{hypothesis: general-algorithms, relation: supports, strength: weak, rationale: r}}]\n"
            f"  reproductions: [{reproduction}]\n"
        )

    (base_corpus / "repro.yaml").write_text(claim("{job: grokking, preset: smoke, params: {p: 31}}"))
    assert validate(base_corpus).ok
    (base_corpus / "repro.yaml").write_text(claim("{job: groking, preset: smoke}"))
    [problem] = validate(base_corpus).errors
    assert (problem.line, problem.message, problem.hint) == (1, "'with-repro': unknown reproduction job 'groking'", "did you mean 'grokking'?")
    (base_corpus / "repro.yaml").write_text(claim("{job: grokking, preset: smoke, params: {learning_rat: 0.1}}"))
    [problem] = validate(base_corpus).errors
    assert problem.message == "'with-repro': reproduction grokking/smoke: unknown parameter 'learning_rat'" and problem.hint.startswith("grokking takes: ")
    (base_corpus / "repro.yaml").write_text(claim("{job: grokking, preset: huge}"))
    [problem] = validate(base_corpus).errors
    assert "huge" in problem.message
