"""`kg runs publish` from real (tiny) runs: three seeds on the current job code make a verdict
of record beside the claims; fewer are refused with the `kg run` commands that would help."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from claimgraph import load_graph_store, validate
from kg.records import agreement
from kg.verdicts import load_records, record_path
from repro import api
from repro.store import job_code_version

JOB = "superposition"


def kg(*args, runs):
    env = {**os.environ, "KG_RUNS_DIR": str(runs), "KG_TORCH_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "cli.app", *args], capture_output=True, text=True, env=env)


def test_publish_needs_three_seeds_then_writes_the_record(tiny, store, base_corpus):
    params = tiny[JOB]
    sets = [arg for k, v in params.items() for arg in ("--set", f"{k}={json.dumps(v)}")]
    publish = ("runs", "publish", JOB, *sets, "--corpus", str(base_corpus))

    # The claim names this reproduction with the same params the seeds run with.
    claims = base_corpus / "claims.yaml"
    text, mark = claims.read_text(), "  setting: toy\n"
    at = text.index(mark) + len(mark)
    claims.write_text(text[:at] + f"  reproductions: [{{job: {JOB}, preset: smoke, params: {json.dumps(params)}}}]\n" + text[at:])

    ids = {}
    for seed in (0, 1):
        ids[seed] = api.submit(JOB, "smoke", params, seed=seed, store=store)
        assert api.wait(ids[seed], timeout=300, store=store).status == "succeeded"
    request = store.read(ids[0], "request.json")
    assert request["job_code_version"] == job_code_version(JOB)

    proc = kg(*publish, runs=store.root)
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()  # one line, naming the run that would make three seeds
    assert line.startswith(f"error: {JOB}/smoke has succeeded runs for seeds 0, 1 on the current job code {job_code_version(JOB)}")
    assert f"`kg run {JOB} --set 'batch_size=64' --set 'eval_every=100' --set 'steps=200' --seed 2`" in line
    assert not record_path(base_corpus, JOB, "smoke").exists()

    ids[2] = api.submit(JOB, "smoke", params, seed=2, store=store)
    assert api.wait(ids[2], timeout=300, store=store).status == "succeeded"
    proc = kg(*publish, runs=store.root)
    assert proc.returncode == 0, proc.stderr
    assert f"{JOB}.smoke.json" in proc.stdout

    [found], problems = load_records(base_corpus)
    assert problems == []
    r = found.record
    outcomes = [api.result(ids[s], store=store).verdict.outcome for s in (0, 1, 2)]
    assert (r.job, r.preset, r.code_version) == (JOB, "smoke", job_code_version(JOB))
    assert r.params == request["params"] == api.catalog().resolve(JOB, "smoke", params)  # the resolved params
    assert [(s.seed, s.run_id, s.outcome) for s in r.seeds] == [(n, ids[n], outcomes[n]) for n in (0, 1, 2)]
    assert (r.outcome, r.note) == agreement(outcomes)
    assert all(s.numbers for s in r.seeds)  # each seed's deciding numbers
    assert r.hardware.device == "cpu" and r.hardware.torch

    # kg validate accepts it, and the claim's reproduction now reads the record, not a run
    assert validate(base_corpus).ok
    [v] = load_graph_store(base_corpus).verdicts("grokking-fourier")
    assert (v.status, v.seeds, v.outcome) == ("record", (0, 1, 2), r.outcome)


def test_publish_refuses_unknown_jobs_and_bad_params(store, base_corpus):
    proc = kg("runs", "publish", "grokkin", "--corpus", str(base_corpus), runs=store.root)
    assert proc.returncode == 1 and "unknown job 'grokkin'" in proc.stderr
    proc = kg("runs", "publish", JOB, "--set", 'steps="many"', "--corpus", str(base_corpus), runs=store.root)
    assert proc.returncode == 1 and "parameter 'steps': expected integer" in proc.stderr
    proc = kg("runs", "publish", JOB, "--corpus", str(base_corpus), runs=store.root)
    assert proc.returncode == 1 and "no seed on the current job code" in proc.stderr
    assert f"`kg run {JOB} --seeds 0,1,2`" in proc.stderr
