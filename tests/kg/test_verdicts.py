"""A real run's verdict reaches every claim that names its job, preset and params, and moves the balance."""

from __future__ import annotations

from claimgraph import load_graph_store
from kg.store import balance

TINY = {"n": 6, "k": 2, "width": 16, "max_steps": 60, "eval_every": 10, "test_size": 64, "sweep_ns": [], "sweep_seeds": 1}


def test_run_verdict_becomes_evidence(base_corpus, tmp_path, monkeypatch):
    from repro import api

    runs = tmp_path / "runs"
    monkeypatch.setenv("KG_RUNS_DIR", str(runs))
    params = "{" + ", ".join(f"{k}: {v}" for k, v in TINY.items()) + "}"
    claims = (base_corpus / "claims.yaml").read_text()
    ref = f"  reproductions: [{{job: sparse_parity, preset: smoke, params: {params}}}]\n"
    # both claims name the same reproduction, so one lookup must serve both
    (base_corpus / "claims.yaml").write_text(claims.replace("  setting: toy\n", "  setting: toy\n" + ref))

    before = load_graph_store(base_corpus)
    assert before.all_verdicts() == []
    run_id = api.submit("sparse_parity", "smoke", TINY, seed=0, store=runs)
    record = api.wait(run_id, timeout=120, store=runs)
    assert record.status == "succeeded", record

    after = load_graph_store(base_corpus)
    verdicts = after.all_verdicts()
    assert {v.claim for v in verdicts} == {"grokking-fourier", "parity-hidden-progress"}
    assert {v.run_id for v in verdicts} == {run_id}
    # 60 steps cannot solve parity: the job says not-reproduced (decisive, unlike inconclusive,
    # which would leave the weight unchanged), so the claims' weight must halve.
    assert {v.outcome for v in verdicts} == {"not-reproduced"}
    support_before, support_after = balance(before, "general-algorithms").support, balance(after, "general-algorithms").support
    assert support_before > 0 and support_after == support_before * 0.5
