"""The process that owns a run: `python -m repro.worker RUN_DIR [RUN_DIR...]`.

It waits for a local slot (local backend), marks the run running, runs the job in this process
(local) or on a Ray cluster (ray), streams metrics/progress/log into the run directory, and
always leaves a terminal status: succeeded, failed (with the reason, e.g. a timeout or the
exception) or cancelled. SIGTERM or a `cancel` file cancels; a timer enforces the timeout. If
this process is killed outright, the store's reaper marks the run failed.

Several run directories make a batch: the seeds of one request (`kg run --seeds 0,1,2`), run
in this one process and one slot (stacked, where the job has `run_seeds`). Each seed keeps its
own run record; they start, fail, time out and are cancelled together, and the log is written
to the first run's log.txt.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

from kg.util import now_iso
from repro.execute import execute_seeds
from repro.raytask import run_on_ray
from repro.store import TERMINAL, RunStore

SLOT_POLL_S = 0.2


class Cancelled(BaseException):
    """Raised by the SIGTERM handler. BaseException so a job's `except Exception` can't eat it."""


class TimedOut(BaseException):
    pass


# ---------------------------------------------------------------------------------------------
# The worker process


class Worker:
    def __init__(self, run_dirs: list[Path]):
        self.store = RunStore(run_dirs[0].parent)
        self.run_ids = [d.name for d in run_dirs]
        self.run_id = self.run_ids[0]  # the batch's first run: its log and its request lead
        self.requests = [self.store.request(run_id) or {} for run_id in self.run_ids]  # empty when corrupt: main() fails the run
        self.req = self.requests[0]
        self._slot: TextIO | None = None
        self._last_cancel_check = 0.0

    # events from the job -> files
    def emitter(self, run_id: str):
        def emit(event: dict) -> None:
            kind = event["kind"]
            if kind == "metric":
                self.store.append_metric(run_id, event["row"])
            elif kind == "progress":
                self.store.write(run_id, "progress.json", {k: event[k] for k in ("done", "total", "note")})
            elif kind == "log":
                print(event["message"] if len(self.run_ids) == 1 else f"[{run_id}] {event['message']}", flush=True)
            elif kind == "env":
                self.store.write(run_id, "env.json", event["env"])

        return emit

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self._last_cancel_check < 0.5:
            return False
        self._last_cancel_check = now
        if any(self.store.cancel_requested(run_id) for run_id in self.run_ids):
            raise Cancelled("cancel requested" if len(self.run_ids) == 1 else "cancel requested for a run of this batch")
        return False

    def wait_for_slot(self) -> None:
        """A file lock per slot under <root>/.slots: the limit holds across every process using
        this store (CLI, UI), and a dead worker's lock is released by the OS."""
        limit = max(1, int(self.req.get("max_concurrent") or 1))
        slots = self.store.root / ".slots"
        slots.mkdir(exist_ok=True)
        waited = False
        while True:
            for i in range(limit):
                f = open(slots / f"slot-{i}.lock", "w")
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._slot = f
                    return
                except BlockingIOError:
                    f.close()
            if not waited:
                print(f"[worker] waiting for one of {limit} local slots", flush=True)
                waited = True
            self.should_stop()
            time.sleep(SLOT_POLL_S)

    def _batch_ok(self) -> str | None:
        """Why these runs cannot run as one batch, or None: every run must be queued and ask for
        the same job, preset, parameters and backend as the first."""
        same = ("job", "preset", "params", "backend", "code_version")
        for run_id, req in zip(self.run_ids[1:], self.requests[1:], strict=True):
            if any(req.get(k) != self.req.get(k) for k in same):
                return f"run {run_id} is not a seed of the same request as {self.run_id}"
        if len(self.run_ids) > 1 and self.req.get("backend") != "local":
            return "batched seeds run on the local backend only"
        return None

    def main(self) -> int:
        st = self.store.read(self.run_id, "status.json", {})
        if st.get("status") != "queued":
            print(f"[worker] run is {st.get('status')}, nothing to do", flush=True)
            return 0
        if not self.req:
            self._finish("failed", "request.json is corrupt or not a run request")
            return 1
        problem = self._batch_ok()
        if problem:
            self._finish("failed", problem)
            return 1
        for run_id in self.run_ids[1:]:
            self.store.log(run_id, f"[worker] runs in one process with {', '.join(r for r in self.run_ids if r != run_id)}; the log is in {self.run_id}/log.txt")
        signal.signal(signal.SIGTERM, _raise(Cancelled, "cancelled (SIGTERM)"))
        self._set_all("queued", "waiting for a slot", pid=os.getpid(), host=socket.gethostname())
        try:
            if any(self.store.cancel_requested(run_id) for run_id in self.run_ids):
                raise Cancelled("cancel requested before start")
            if self.req["backend"] == "local":
                self.wait_for_slot()
            self._set_all("running", "", started_at=now_iso())
            timeout = float(self.req.get("timeout_s") or 0)
            if timeout > 0:
                signal.signal(signal.SIGALRM, _raise(TimedOut, f"timed out after {timeout:g} s"))
                signal.setitimer(signal.ITIMER_REAL, timeout)
            seeds = [req.get("seed", 0) for req in self.requests]
            print(f"[worker] {', '.join(self.run_ids)}: {self.req['job']} preset={self.req['preset']} seed={','.join(map(str, seeds))} backend={self.req['backend']} pid={os.getpid()}", flush=True)
            t0 = time.perf_counter()
            if self.req["backend"] == "ray":
                outcomes = [run_on_ray(self.req, self.emitter(self.run_id), self.should_stop)]
            else:
                outcomes = execute_seeds(self.req["job"], self.req["params"], seeds, [self.emitter(r) for r in self.run_ids], self.should_stop)
            signal.setitimer(signal.ITIMER_REAL, 0)
            wall = round(time.perf_counter() - t0, 3)
            for run_id, (result, verdict) in zip(self.run_ids, outcomes, strict=True):
                self.store.write(run_id, "result.json", result)
                self.store.write(run_id, "verdict.json", verdict)
                self.store.set_status(run_id, "succeeded", "", wall_s=wall)
                print(f"[worker] {run_id} verdict: {verdict['outcome']} ({verdict['reason']})", flush=True)
            return 0
        except Cancelled as e:
            self._finish("cancelled", str(e) or "cancelled")
            return 0
        except TimedOut as e:
            self._finish("failed", str(e))
            return 1
        except BaseException as e:  # noqa: BLE001 - the job raised: the reason is the exception, the log has the traceback
            traceback.print_exc()
            sys.stdout.flush()
            self._finish("failed", f"{type(e).__name__}: {e}"[:500])
            return 1

    def _set_all(self, status: str, reason: str, **extra) -> None:
        for run_id in self.run_ids:
            self.store.set_status(run_id, status, reason, **extra)

    def _finish(self, status: str, reason: str) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second cancel must not interrupt the write
        print(f"[worker] {status}: {reason}", flush=True)
        for run_id in self.run_ids:
            try:
                if self.store.status(run_id, reap=False).get("status") not in TERMINAL:
                    self.store.set_status(run_id, status, reason)
            except OSError as exc:  # a full disk: the reaper marks the run failed once this process is gone
                print(f"[worker] cannot record the status {status} of {run_id}: {exc.strerror or exc}", flush=True)


def _raise(exc: type[BaseException], message: str):
    def handler(_signum, _frame):
        raise exc(message)

    return handler


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print("usage: python -m repro.worker RUN_DIR [RUN_DIR...]", file=sys.stderr)
        sys.exit(2)
    sys.exit(Worker([Path(arg).resolve() for arg in sys.argv[1:]]).main())
