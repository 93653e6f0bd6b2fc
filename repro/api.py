"""The Python API the CLI and the UI use. Every function takes `store` (a RunStore, a path, or
None for $KG_RUNS_DIR / <repo>/runs).

    run_id = submit("grokking", preset="smoke", params={"max_steps": 500}, seed=1)
    wait(run_id, timeout=600)
    result(run_id)["verdict"]["outcome"]          # reproduced | not-reproduced | inconclusive
"""

from __future__ import annotations

import os
import time
from typing import Any

from repro.registry import preset_settings, validate_params
from repro.runners import get_runner, reap_children
from repro.store import ACTIVE, TERMINAL, RunStore, code_version, request_key

StoreLike = RunStore | str | os.PathLike | None


def _store(store: StoreLike) -> RunStore:
    return store if isinstance(store, RunStore) else RunStore(store)


def submit(job: str, preset: str = "smoke", params: dict | None = None, seed: int = 0,
           backend: str = "local", force: bool = False, store: StoreLike = None,
           address: str | None = None, max_concurrent: int | None = None,
           timeout_s: float | None = None) -> str:
    """Start a run and return its id at once. An identical request (job, resolved params, seed,
    code version) that is queued, running or succeeded is reused unless force=True.
    Raises ValueError for an unknown job/preset/backend or params the job's model rejects."""
    s = _store(store)
    resolved = validate_params(job, preset, params or {}).model_dump(mode="json")
    runner = get_runner(backend, address=address, max_concurrent=max_concurrent)
    version = code_version()
    key = request_key(job, resolved, int(seed), version)
    if not force:
        existing = s.find(key, ("succeeded",) + ACTIVE)
        if existing:
            return existing
    settings = preset_settings(job, preset)
    request = {"job": job, "preset": preset, "params": resolved, "overrides": params or {}, "seed": int(seed),
               "code_version": version, "key": key, "num_gpus": settings["num_gpus"],
               "timeout_s": timeout_s if timeout_s is not None else settings["timeout_s"],
               **runner.request_fields()}
    run_id = s.create(request)
    runner.start(s, run_id)
    return run_id


def status(run_id: str, store: StoreLike = None) -> dict:
    """{run_id, job, preset, seed, backend, status, reason, progress, created_at, finished_at, ...}.
    A run whose worker died is reported (and recorded) as failed."""
    return _status(run_id, store)


def _status(run_id: str, store: StoreLike) -> dict:
    reap_children()
    s = _store(store)
    if not s.exists(run_id):
        raise KeyError(f"no run {run_id!r} in {s.root}")
    req, st = s.read(run_id, "request.json", {}), s.status(run_id)
    return {"run_id": run_id, "job": req.get("job"), "preset": req.get("preset"), "seed": req.get("seed"),
            "backend": req.get("backend"), "created_at": req.get("created_at"),
            "progress": s.read(run_id, "progress.json"), **st}


def cancel(run_id: str, store: StoreLike = None) -> dict:
    s = _store(store)
    if not s.exists(run_id):
        raise KeyError(f"no run {run_id!r} in {s.root}")
    backend = s.read(run_id, "request.json", {}).get("backend", "local")
    get_runner(backend).cancel(s, run_id)
    return status(run_id, s)


def list_runs(job: str | None = None, status: str | None = None, store: StoreLike = None) -> list[dict]:
    """Newest first: one summary dict per run (status() plus outcome when finished)."""
    s = _store(store)
    rows = []
    for run_id in s.run_ids():
        row = _status(run_id, s)
        if (job and row["job"] != job) or (status and row["status"] != status):
            continue
        v = s.read(run_id, "verdict.json")
        row["outcome"] = v.get("outcome") if v else None
        rows.append(row)
    rows.sort(key=lambda r: r.get("created_at") or "", reverse=True)
    return rows


def result(run_id: str, store: StoreLike = None, log_lines: int = 40) -> dict:
    """Everything about a run: request, params, status, metrics rows, verdict, env, result, log tail."""
    s = _store(store)
    st = status(run_id, s)
    req = s.read(run_id, "request.json", {})
    return {"run_id": run_id, "request": req, "params": req.get("params"), "status": st["status"],
            "reason": st.get("reason"), "status_detail": st, "metrics": s.metrics(run_id),
            "verdict": s.read(run_id, "verdict.json"), "env": s.read(run_id, "env.json"),
            "result": s.read(run_id, "result.json"), "log_tail": s.log_tail(run_id, log_lines)}


def wait(run_id: str, timeout: float | None = None, store: StoreLike = None, poll_s: float = 0.2) -> dict:
    """Block until the run is finished; returns status(). Raises TimeoutError."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        st = status(run_id, store)
        if st["status"] in TERMINAL:
            return st
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {st['status']} after {timeout} s")
        time.sleep(poll_s)


def latest_verdict(job: str, preset: str = "smoke", params: dict | None = None,
                   store: StoreLike = None) -> dict[str, Any] | None:
    """The verdict of the most recent finished run for this job, preset and resolved params (any
    seed, any code version), or None. Keys: run_id, job, preset, seed, outcome, reason, numbers,
    checks, finished_at, code_version, summary (one line for display)."""
    s = _store(store)
    resolved = validate_params(job, preset, params or {}).model_dump(mode="json")
    best = None
    for run_id in s.run_ids():
        req = s.read(run_id, "request.json", {})
        if req.get("job") != job or req.get("preset") != preset or req.get("params") != resolved:
            continue
        st = s.status(run_id)
        v = s.read(run_id, "verdict.json")
        if st.get("status") != "succeeded" or not v:
            continue
        finished = st.get("finished_at") or ""
        if best is None or finished > best["finished_at"]:
            best = {"run_id": run_id, "job": job, "preset": preset, "seed": req.get("seed"),
                    "finished_at": finished, "code_version": req.get("code_version"), **v,
                    "summary": f"{v['outcome']} (seed {req.get('seed')}): {v['reason']}"}
    return best
