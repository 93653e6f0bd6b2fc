"""Resolution quality on tests/ingest/resolution_set.yaml, mention finding in the seed text, the
id/title rules for matching a source to an S2 paper, and the `kg resolve` CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ingest.resolve import Catalogue, confirm_match, lookup_id, resolve, resolve_text
from kg.schema import Source

HERE = Path(__file__).resolve().parent
# The seed discussion: KG_SEED_DIR, else the repository's copy (tests/kg/fixtures/seed.txt, the
# same text as ../shared/seed), so the test runs, and can fail, on any clone.
SEED = Path(os.environ.get("KG_SEED_DIR") or HERE.parents[1] / "tests" / "kg" / "fixtures")
SET = yaml.safe_load((HERE / "resolution_set.yaml").read_text())


def _accept(expect) -> set[str]:
    return set(expect if isinstance(expect, list) else [expect] if expect else [])


def _grade(cat: Catalogue, item: dict) -> tuple[bool, bool]:
    """(right, confidently wrong) for one entry."""
    ok = _accept(item["expect"])
    r = cat.resolve(item["mention"])
    if not ok:
        return r.source is None, r.confident
    right = r.source in ok and (len(ok) == 1 or r.ambiguous or r.source in ok)
    return right, r.confident and r.source not in ok


def test_the_set_is_big_enough_and_names_real_sources(corpus):
    assert len(SET) >= 40
    for item in SET:
        assert _accept(item["expect"]) <= set(corpus.sources), item


def test_resolution_accuracy(corpus):
    cat = Catalogue(corpus)
    seed = [i for i in SET if i.get("seed")]
    rest = [i for i in SET if not i.get("seed")]
    seed_grades = [_grade(cat, i) for i in seed]
    rest_grades = [_grade(cat, i) for i in rest]
    seed_wrong = [i["mention"] for i, g in zip(seed, seed_grades, strict=False) if not g[0]]
    rest_wrong = [i["mention"] for i, g in zip(rest, rest_grades, strict=False) if not g[0]]
    confident_wrong = [i["mention"] for i, g in zip(seed + rest, seed_grades + rest_grades, strict=False) if g[1]]
    print(f"\nseed {len(seed) - len(seed_wrong)}/{len(seed)}, rest {len(rest) - len(rest_wrong)}/{len(rest)}, confident wrong {len(confident_wrong)}")
    assert seed_wrong == []
    assert (len(rest) - len(rest_wrong)) / len(rest) >= 0.9, rest_wrong
    assert confident_wrong == []


def test_ambiguous_mentions_say_so(corpus):
    for mention in ("Yang et al.", "OOCR", "bushnaq", "riechers et al.", "reward hacking results"):
        r = resolve(mention, corpus)
        assert r.ambiguous and not r.confident and len([c for c in r.candidates if c.score == 100]) >= 2, mention
    r = resolve("Yang et al. 2025", corpus)  # a year settles it
    assert r.source == "yang2025-socrates" and r.confident


def test_every_seed_mention_is_found_in_the_seed_text(corpus):
    texts = sorted(SEED.glob("seed*.txt")) or sorted(SEED.glob("*.txt"))
    assert texts, f"no seed discussion in {SEED}: set KG_SEED_DIR to a folder with it"
    text = "\n".join(p.read_text() for p in texts)
    found = resolve_text(text, corpus)
    by_mention: dict[str, set] = {}
    for r in found:
        by_mention.setdefault(r.mention.lower().replace("’", "'"), set()).add(r.source)
    missing = []
    for item in (i for i in SET if i.get("seed")):
        m = item["mention"].lower().replace("’", "'")
        hits = {src for k, srcs in by_mention.items() if m.endswith(k) or k.endswith(m.removeprefix("the ")) for src in srcs}
        if not hits & _accept(item["expect"]):
            missing.append(item["mention"])
    assert missing == []
    # nothing in the seed resolves to a source outside the seed's own references
    assert all(r.source is not None for r in found)


def test_unknown_references_in_text_are_reported_unresolved(corpus):
    text = "As Kaplan et al. showed, scale helps. The Chinchilla paper disagrees. Contrast badllama with progress measure for groking (sic)."
    found = {r.mention: r for r in resolve_text(text, corpus)}
    assert found["Kaplan et al."].source is None
    assert found["The Chinchilla paper"].source is None
    assert found["badllama"].source == "gade2023-badllama"
    assert found["progress measure for groking"].source == "nanda2023-progress-measures"


def test_cli_resolve_text_json(tmp_path, corpus):
    from cli.app import app

    f = tmp_path / "thread.txt"
    f.write_text("See e.g. Yang et al. and the Apollo anti-scheming paper; compare Kaplan et al.\n")
    r = CliRunner().invoke(app, ["resolve", "--text", str(f), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [set(x) >= {"mention", "source", "score", "candidates"} for x in rows] == [True] * 3
    by = {x["mention"]: x for x in rows}
    assert by["Apollo anti-scheming paper"]["source"] == "schoen2025-anti-scheming"
    assert by["Yang et al."]["ambiguous"] and {c["source"] for c in by["Yang et al."]["candidates"]} >= {"yang2024-latent-multihop", "yang2025-socrates"}
    assert by["Kaplan et al."]["source"] is None


def test_cli_resolve_one_online(server, corpus):
    from cli.app import app

    r = CliRunner().invoke(app, ["resolve", "LoRA fine-tuning undoes safety training", "--api-url", server.url, "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["source"] == "lermen2023-lora-undoes-safety"
    assert d["s2"] and d["s2"][0]["source"] == "lermen2023-lora-undoes-safety"
    assert "S2 search #1" in d["candidates"][0]["why"]
    (req,) = server.requests("/paper/search")
    assert req.query["query"] == "LoRA fine-tuning undoes safety training"


def test_cli_resolve_needs_one_input():
    from cli.app import app

    r = CliRunner().invoke(app, ["resolve"])
    assert r.exit_code == 2 and r.stderr.startswith("error:") and "Traceback" not in r.output  # a usage error


def _src(**kw) -> Source:
    return Source(**{"id": "x-source", "kind": "paper", "title": "A Title", **kw})


def test_lookup_ids_strongest_first():
    assert lookup_id(_src(ids={"s2": "a" * 40, "arxiv": "2301.05217"})) == "a" * 40
    assert lookup_id(_src(ids={"arxiv": "2301.05217", "doi": "10.1000/x"})) == "ARXIV:2301.05217"
    assert lookup_id(_src(ids={"doi": "10.48550/arXiv.2301.05217"})) == "ARXIV:2301.05217"
    assert lookup_id(_src(ids={"doi": "10.1017/CBO9780511800474"})) == "DOI:10.1017/CBO9780511800474"
    assert lookup_id(_src(ids={"url": "https://arxiv.org/abs/2405.15071"})) == "ARXIV:2405.15071"
    assert lookup_id(_src()) is None


@pytest.mark.parametrize(
    "title,year,accepted",
    [
        ("Universal Sequential Search Problems", 1973, True),  # case differs
        ("Universal sequential search problems", 1974, True),  # a year off: accepted
        ("Universal sequential search problems", 1990, False),  # same title, wrong year
        ("Universal search problems revisited", 1973, False),  # weak title
        ("Universal sequential search problems", None, True),  # exact title, no year
        ("Universal sequential search methods", None, False),  # near title and no year to confirm it
    ],
)
def test_title_match_needs_title_and_year(title, year, accepted):
    s = _src(title="Universal sequential search problems", year=1973)
    assert confirm_match(s, {"title": title, "year": year}).accepted is accepted
