"""The Python API the CLI and the UI use. It returns typed models (below), never raw dicts.
Every function takes `store`: a RunStore, a path, or None for $KG_RUNS_DIR / <repo>/runs.

    run_id = submit("grokking", preset="smoke", params={"max_steps": 500}, seed=1)
    wait(run_id, timeout=600)
    result(run_id).verdict.outcome          # reproduced | not-reproduced | inconclusive

Reading verdicts (`latest_verdict`, `list_runs`, `status`) never imports a job, so never
imports torch: the request is matched as data through the catalogue (repro.catalog).
"""

from __future__ import annotations

import getpass
import json
import os
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kg.records import MIN_SEEDS, Hardware, SeedVerdict, Verdict, VerdictOfRecord
from kg.util import now_iso, read_json
from repro.catalog import Catalog
from repro.index import RunIndex
from repro.runners import get_runner, reap_children
from repro.store import ACTIVE, TERMINAL, RunStore, code_version, job_code_version, request_key

StoreLike = RunStore | str | os.PathLike[str] | None

__all__ = [
    "NotEnoughSeeds",
    "QueueFull",
    "Progress",
    "RunResult",
    "RunStatus",
    "RunVerdict",
    "StoreLike",
    "TERMINAL",
    "cancel",
    "catalog",
    "job_code_version",
    "latest_verdict",
    "list_runs",
    "local_user",
    "result",
    "status",
    "submit",
    "submit_seeds",
    "verdict_of_record",
    "wait",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Progress(_Model):
    done: float = 0.0
    total: float = 0.0
    note: str = ""


class RunStatus(_Model):
    """Where one run stands. A run whose worker died is reported (and recorded) as failed."""

    run_id: str
    job: str
    preset: str
    seed: int
    backend: str = "local"
    started_by: str | None = Field(None, description="who asked for the run: a signed-in e-mail, or the local user name; None on runs recorded before it was kept")
    status: str  # queued | running | succeeded | failed | cancelled
    reason: str = ""
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    wall_s: float | None = None
    pid: int | None = None
    host: str | None = None
    progress: Progress | None = None
    outcome: str | None = Field(None, description="the verdict's outcome once the run succeeded")

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


class RunResult(_Model):
    """Everything about a run: request, status, metrics rows, verdict, environment, log tail."""

    run_id: str
    request: dict[str, Any]
    params: dict[str, Any]
    status: RunStatus
    metrics: list[dict[str, Any]]
    verdict: Verdict | None
    env: dict[str, Any] | None
    result: dict[str, Any] | None
    log_tail: str


class RunVerdict(_Model):
    """The verdict of one finished run, with what identifies the run."""

    run_id: str
    job: str
    preset: str
    seed: int | None
    finished_at: str
    code_version: str | None
    verdict: Verdict

    @property
    def summary(self) -> str:
        return f"{self.verdict.outcome} (seed {self.seed}): {self.verdict.reason}"


_CATALOG: Catalog | None = None


def catalog() -> Catalog:
    """The job catalogue (names, presets, parameters), read once per process."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = Catalog.load()
    return _CATALOG


def local_user() -> str:
    """The name of the user this process runs as: who a CLI run is recorded as started by."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no $USER and no passwd entry (some containers)
        return f"uid-{os.getuid()}"


def _store(store: StoreLike) -> RunStore:
    return store if isinstance(store, RunStore) else RunStore(store)


def submit(
    job: str,
    preset: str = "smoke",
    params: dict[str, Any] | None = None,
    seed: int = 0,
    backend: str = "local",
    force: bool = False,
    store: StoreLike = None,
    address: str | None = None,
    max_concurrent: int | None = None,
    timeout_s: float | None = None,
    started_by: str | None = None,
) -> str:
    """Start a run and return its id at once. An identical request (job, resolved params, seed,
    code version) that is queued, running or succeeded is reused unless force=True (the reused
    run keeps the name of whoever started it). `started_by` is recorded with the request:
    the UI passes the signed-in user, otherwise it is the local user name (`local_user`).
    Raises ValueError for an unknown job/preset/backend or params the job's model rejects."""
    return submit_seeds(job, preset, params, [seed], backend, force, store, address, max_concurrent, timeout_s, started_by)[0]


class QueueFull(ValueError):
    """The user already has as many runs queued or running as the server allows."""


def submit_seeds(
    job: str,
    preset: str = "smoke",
    params: dict[str, Any] | None = None,
    seeds: list[int] | tuple[int, ...] = (0, 1, 2),
    backend: str = "local",
    force: bool = False,
    store: StoreLike = None,
    address: str | None = None,
    max_concurrent: int | None = None,
    timeout_s: float | None = None,
    started_by: str | None = None,
    max_active: int | None = None,
) -> list[str]:
    """Start one run per seed of the same request (what a verdict of record needs) and return
    their ids in seed order; each seed is found-or-created as in `submit`. On the local backend,
    the new runs of a job that can stack its seeds (`run_seeds`) share one worker process and
    one slot, and the preset's timeout covers them all (it is multiplied by their number);
    other jobs and Ray get one worker per run, so seeds run in parallel where slots allow.
    `max_active` (a team server's runs per user): QueueFull when `started_by` would then have
    more runs queued or running; counted under the submission lock, so two clicks at once
    cannot both pass."""
    from repro.registry import get_job, validate_params  # imports the job: running it needs torch anyway

    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct and at least one, got {seeds}")
    s = _store(store)
    resolved = validate_params(job, preset, params or {}).model_dump(mode="json")
    runner = get_runner(backend, address=address, max_concurrent=max_concurrent)
    version = code_version()
    settings = catalog().preset(job, preset)
    stack = backend == "local" and len(seeds) > 1 and hasattr(get_job(job), "run_seeds")
    with s.submission_lock():  # find-or-create as one step: identical requests at once make one run
        found: dict[int, str] = {}
        for seed in seeds:
            existing = None if force else s.find(request_key(job, resolved, seed, version), ("succeeded",) + ACTIVE, job)
            if existing:
                found[seed] = existing
        fresh = [seed for seed in seeds if seed not in found]
        who = started_by or local_user()
        if max_active is not None and fresh:
            active = sum(1 for r in list_runs(store=s) if r.started_by == who and not r.finished)
            if active + len(fresh) > max_active:
                raise QueueFull(f"{who} has {active} run(s) queued or running and asks for {len(fresh)} more; this server allows {max_active} at once: wait for one to finish or cancel it")
        limit = timeout_s if timeout_s is not None else settings["timeout_s"] * (len(fresh) if stack else 1)
        for seed in fresh:
            request = {
                "job": job,
                "preset": preset,
                "params": resolved,
                "overrides": params or {},
                "seed": seed,
                "code_version": version,
                "job_code_version": job_code_version(job),
                "key": request_key(job, resolved, seed, version),
                "num_gpus": settings["num_gpus"],
                "timeout_s": limit,
                "started_by": who,
                **runner.request_fields(),
            }
            found[seed] = s.create(request)
        new = [found[seed] for seed in fresh]
        if stack and len(new) > 1:
            runner.start_batch(s, new)
        else:
            for run_id in new:
                runner.start(s, run_id)
    return [found[seed] for seed in seeds]


def status(run_id: str, store: StoreLike = None) -> RunStatus:
    reap_children()
    s = _store(store)
    return _status(s, run_id, _request(s, run_id))


def _request(s: RunStore, run_id: str) -> dict[str, Any]:
    """The run's request. Raises KeyError when there is no such run, ValueError when its
    request.json is corrupt or wrong-shaped (the store has warned which)."""
    if not s.exists(run_id):
        raise KeyError(f"no run {run_id!r} in {s.root}")
    req = s.request(run_id)
    if req is None:
        raise ValueError(f"run {run_id} in {s.root} is unreadable: its request.json is corrupt or not a run request")
    return req


def _status(s: RunStore, run_id: str, req: dict[str, Any]) -> RunStatus:
    st = s.status(run_id)
    verdict = s.read(run_id, "verdict.json") if st.get("status") == "succeeded" else None
    return RunStatus.model_validate(
        {
            **st,
            "run_id": run_id,
            "job": req.get("job"),
            "preset": req.get("preset"),
            "seed": req.get("seed"),
            "backend": req.get("backend") or "local",
            "started_by": req.get("started_by"),
            "created_at": req.get("created_at"),
            "progress": s.read(run_id, "progress.json"),
            "outcome": (verdict or {}).get("outcome"),
        }
    )


def cancel(run_id: str, store: StoreLike = None) -> RunStatus:
    s = _store(store)
    backend = _request(s, run_id).get("backend", "local")
    get_runner(backend).cancel(s, run_id)
    return status(run_id, s)


def list_runs(job: str | None = None, status: str | None = None, store: StoreLike = None, problems: list[str] | None = None) -> list[RunStatus]:
    """Newest first. Finished runs come from the run store's index (repro.index) while their
    folders are unchanged. A run folder that cannot be read (a corrupt or half-written record) is
    left out, and a one-line reason naming it is appended to `problems` when given."""
    reap_children()
    s = _store(store)
    found = problems if problems is not None else []
    if not s.root.is_dir():  # no runs yet, or a runs "folder" that is not one
        s.run_ids()  # warns about the second
        return []
    rows = [RunStatus.model_validate_json(row) for row in RunIndex(s.root).listing(lambda run_id: _listing_row(s, run_id, found))]
    rows = [r for r in rows if (not job or r.job == job) and (not status or r.status == status)]
    rows.sort(key=lambda r: (r.created_at or "", r.run_id), reverse=True)
    return rows


def _listing_row(s: RunStore, run_id: str, problems: list[str]) -> tuple[str, str] | None:
    """One run's listing row (RunStatus as JSON) and status, read from its folder; None for a
    folder that is not a run (no request.json) or cannot be read (the reason goes to `problems`)."""
    if not (s.root / run_id / "request.json").exists():
        return None
    try:
        req = s.request(run_id)
        if req is None:  # corrupt or wrong-shaped: the store has warned which
            problems.append(unreadable_reason(s, run_id, ValueError("request.json is not a run request")))
            return None
        row = _status(s, run_id, req)
        return row.model_dump_json(), row.status
    except (ValueError, TypeError, AttributeError, OSError) as exc:  # a file of the wrong shape; ValidationError is a ValueError
        problems.append(unreadable_reason(s, run_id, exc))
        return None


def unreadable_reason(s: RunStore, run_id: str, exc: BaseException) -> str:
    """'run X left out: <folder>/request.json does not parse' (or the first line of the error)."""
    folder = s.root / run_id
    for name in ("request.json", "status.json", "verdict.json", "progress.json"):
        path = folder / name
        if path.exists() and read_json(path, _MISSING) is _MISSING:
            return f"run {run_id} left out: {path} does not parse (corrupt or half-written)"
    first = str(exc).strip().splitlines()
    return f"run {run_id} left out: {folder} is not a readable run record ({type(exc).__name__}: {first[0] if first else ''})"


_MISSING = object()


def result(run_id: str, store: StoreLike = None, log_lines: int = 40) -> RunResult:
    s = _store(store)
    req = _request(s, run_id)
    st = _status(s, run_id, req)
    verdict = s.read(run_id, "verdict.json")
    return RunResult(
        run_id=run_id,
        request=req,
        params=req.get("params") or {},
        status=st,
        metrics=s.metrics(run_id),
        verdict=Verdict.model_validate(verdict) if verdict else None,
        env=s.read(run_id, "env.json"),
        result=s.read(run_id, "result.json"),
        log_tail=s.log_tail(run_id, log_lines),
    )


def wait(run_id: str, timeout: float | None = None, store: StoreLike = None, poll_s: float = 0.2) -> RunStatus:
    """Block until the run is finished. Raises TimeoutError."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        st = status(run_id, store)
        if st.finished:
            return st
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still {st.status} after {timeout} s")
        time.sleep(poll_s)


def latest_verdict(job: str, preset: str = "smoke", params: dict[str, Any] | None = None, store: StoreLike = None) -> RunVerdict | None:
    """The verdict of the most recent succeeded run of this job, preset and resolved params (any
    seed, any code version), or None. Raises ValueError for an unknown job or preset."""
    s = _store(store)
    resolved = catalog().resolve(job, preset, params or {})
    best: RunVerdict | None = None
    for run_id in s.run_ids(job):
        try:
            found = _run_verdict(s, run_id, job, preset, resolved)
        except (ValueError, TypeError, AttributeError, OSError):
            continue  # a corrupt or half-written record is no verdict (`kg runs` names it)
        if found is not None and (best is None or found.finished_at > best.finished_at):
            best = found
    return best


def _run_verdict(s: RunStore, run_id: str, job: str, preset: str, resolved: dict[str, Any]) -> RunVerdict | None:
    req = s.request(run_id) or {}  # a corrupt one is warned about and skipped
    if req.get("job") != job or req.get("preset") != preset or req.get("params") != resolved:
        return None
    st = s.status(run_id)
    v = s.read(run_id, "verdict.json")
    if st.get("status") != "succeeded" or not v:
        return None
    finished = st.get("finished_at") or ""
    return RunVerdict(run_id=run_id, job=job, preset=preset, seed=req.get("seed"), finished_at=finished, code_version=req.get("code_version"), verdict=Verdict.model_validate(v))


# --- verdicts of record ----------------------------------------------------------------------


class NotEnoughSeeds(ValueError):
    """Fewer than MIN_SEEDS seeds have a succeeded run of the request on the current job code.
    The message names the `kg run` commands that would supply the missing seeds."""

    def __init__(self, job: str, preset: str, overrides: dict[str, Any], version: str, seeds: list[int], older: int):
        self.job, self.preset, self.seeds = job, preset, seeds
        missing = [n for n in range(len(seeds) + MIN_SEEDS) if n not in seeds][: MIN_SEEDS - len(seeds)]
        options = (f" --preset {preset}" if preset != "smoke" else "") + "".join(f" --set '{k}={json.dumps(v)}'" for k, v in sorted(overrides.items()))
        have = f"seed{'s' if len(seeds) != 1 else ''} {', '.join(map(str, seeds))}" if seeds else "no seed"
        older_note = f" ({older} run(s) on older job code do not count)" if older else ""
        command = f"`kg run {job}{options} --seeds {','.join(map(str, missing))}`" if len(missing) > 1 else f"`kg run {job}{options} --seed {missing[0]}`"
        super().__init__(f"{job}/{preset} has succeeded runs for {have} on the current job code {version}{older_note}; a verdict of record needs {MIN_SEEDS}: run {command}, then publish again")


def verdict_of_record(job: str, preset: str = "smoke", params: dict[str, Any] | None = None, store: StoreLike = None) -> VerdictOfRecord:
    """The verdict of record the local runs support (`kg runs publish` writes it): the latest
    succeeded run of each seed of this job, preset and resolved params on the current job code
    version, judged by the rule (kg.records.agreement: at least three seeds; all agree -> their
    outcome, else inconclusive). Raises ValueError for an unknown job or preset or params the
    catalogue rejects, NotEnoughSeeds when fewer than three seeds have such a run."""
    s = _store(store)
    overrides = dict(params or {})
    problems = catalog().check(job, preset, overrides)
    if problems:
        raise ValueError(f"bad parameters for {job}/{preset}: " + "; ".join(f"{m} ({h})" for m, h in problems))
    resolved = catalog().resolve(job, preset, overrides)
    version = job_code_version(job)
    latest: dict[int, tuple[str, str, dict[str, Any]]] = {}  # seed -> (run id, finished at, verdict)
    older = 0
    for run_id in s.run_ids(job):
        req = s.request(run_id) or {}  # a corrupt one is warned about and skipped
        if req.get("job") != job or req.get("preset") != preset or req.get("params") != resolved:
            continue
        st, v = s.status(run_id), s.read(run_id, "verdict.json")
        if st.get("status") != "succeeded" or not v:
            continue
        if req.get("job_code_version") != version:
            older += 1
            continue
        seed, finished = int(req.get("seed", 0)), st.get("finished_at") or ""
        if seed not in latest or finished > latest[seed][1]:
            latest[seed] = (run_id, finished, v)
    if len(latest) < MIN_SEEDS:
        raise NotEnoughSeeds(job, preset, overrides, version, sorted(latest), older)
    seeds = []
    for seed, (run_id, finished, v) in sorted(latest.items()):
        verdict = Verdict.model_validate(v)
        seeds.append(SeedVerdict(seed=seed, outcome=verdict.outcome, reason=verdict.reason, numbers=verdict.numbers, run_id=run_id, finished_at=finished))
    envs = [s.read(run_id, "env.json", {}) or {} for run_id, _, _ in latest.values()]
    return VerdictOfRecord.from_seeds(job, preset, resolved, version, seeds, _hardware(envs), now_iso())


def _hardware(envs: list[dict[str, Any]]) -> Hardware:
    def joined(key: str) -> str | None:
        values = sorted({str(e[key]) for e in envs if e.get(key)})
        return ", ".join(values) or None

    device = joined("device") or "unknown"
    return Hardware(device=device, gpu=joined("gpu"), torch=joined("torch"))
