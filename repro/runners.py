"""Runners start a run's worker process and stop it. Both backends use one worker process per
run (`python -m repro.worker RUN_DIR`; or per batch of seeds, local only), so a crash or an out-of-memory kill cannot take down the
CLI or the UI, and status/cancel/timeout work the same way:

  LocalRunner  the worker runs the job itself, after taking one of `max_concurrent` slots
               (file locks in the store, shared by every process that uses the store).
  RayRunner    the worker drives one Ray task on a cluster (address, RAY_ADDRESS, or a local
               Ray), asking for the preset's num_gpus; Ray's scheduler decides where and when.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from kg.util import env_number
from repro.store import REPO_ROOT, TERMINAL, RunStore, pid_alive

_children: list[subprocess.Popen] = []  # reaped on every call so long-lived callers leave no zombies


def reap_children() -> None:
    for p in list(_children):
        if p.poll() is not None:
            _children.remove(p)


class LocalRunner:
    backend = "local"

    def __init__(self, max_concurrent: int | None = None):
        self.max_concurrent = max_concurrent or int(env_number("KG_MAX_CONCURRENT", 1, minimum=1, maximum=1024, integer=True))

    def request_fields(self) -> dict:
        return {"backend": self.backend, "max_concurrent": self.max_concurrent}

    def start(self, store: RunStore, run_id: str) -> int:
        return self.start_batch(store, [run_id])

    def start_batch(self, store: RunStore, run_ids: list[str]) -> int:
        """One worker process for these runs (the seeds of one request; repro.worker)."""
        reap_children()
        env = dict(os.environ)
        # The worker imports repro from this checkout, whatever the caller's cwd or sys.path.
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        log = open(store.dir(run_ids[0]) / "log.txt", "a")
        proc = subprocess.Popen(
            [sys.executable, "-m", "repro.worker", *(str(store.dir(run_id)) for run_id in run_ids)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(REPO_ROOT),
            start_new_session=True,
        )
        log.close()
        _children.append(proc)
        return proc.pid

    def cancel(self, store: RunStore, run_id: str, grace_s: float = 10.0) -> dict:
        """Ask nicely (cancel file + SIGTERM), then kill after grace_s; always ends cancelled."""
        reap_children()
        st = store.status(run_id)
        if st["status"] in TERMINAL:
            return st
        store.request_cancel(run_id)
        pid = st.get("pid")
        if pid and pid_alive(pid, st.get("host")):
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            st = store.status(run_id, reap=False)
            if st["status"] in TERMINAL:
                return st
            if not st.get("pid") and st["status"] == "queued":
                time.sleep(0.1)  # the worker has not started yet; it will see the cancel file
                continue
            if st.get("pid") and not pid_alive(st["pid"], st.get("host")):
                break
            time.sleep(0.1)
            reap_children()
        st = store.status(run_id, reap=False)
        if st["status"] not in TERMINAL:
            if st.get("pid") and pid_alive(st["pid"], st.get("host")):
                _signal(st["pid"], signal.SIGKILL)
                time.sleep(0.2)
                reap_children()
            st = store.set_status(run_id, "cancelled", "cancelled (worker killed after the grace period)")
        return st


class RayRunner(LocalRunner):
    backend = "ray"

    def __init__(self, address: str | None = None):
        super().__init__(max_concurrent=None)
        self.address = address or os.environ.get("RAY_ADDRESS") or None

    def request_fields(self) -> dict:
        return {"backend": self.backend, "address": self.address}


def _signal(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # the worker leads its own session: reach its children too
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def get_runner(backend: str, address: str | None = None, max_concurrent: int | None = None):
    if backend == "local":
        return LocalRunner(max_concurrent)
    if backend == "ray":
        return RayRunner(address)
    raise ValueError(f"unknown backend {backend!r}; use local or ray")
