"""The process that owns one run: `python -m repro.worker RUN_DIR`.

It waits for a local slot (local backend), marks the run running, runs the job in this process
(local) or on a Ray cluster (ray), streams metrics/progress/log into the run directory, and
always leaves a terminal status: succeeded, failed (with the reason, e.g. a timeout or the
exception) or cancelled. SIGTERM or a `cancel` file cancels; a timer enforces the timeout. If
this process is killed outright, the store's reaper marks the run failed.
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
from repro.execute import execute
from repro.raytask import run_on_ray
from repro.store import RunStore

SLOT_POLL_S = 0.2


class Cancelled(BaseException):
    """Raised by the SIGTERM handler. BaseException so a job's `except Exception` can't eat it."""


class TimedOut(BaseException):
    pass


# ---------------------------------------------------------------------------------------------
# The worker process


class Worker:
    def __init__(self, run_dir: Path):
        self.store = RunStore(run_dir.parent)
        self.run_id = run_dir.name
        self.req = self.store.request(self.run_id) or {}  # empty when corrupt: main() fails the run
        self._slot: TextIO | None = None
        self._last_cancel_check = 0.0

    # events from the job -> files
    def emit(self, event: dict) -> None:
        kind = event["kind"]
        if kind == "metric":
            self.store.append_metric(self.run_id, event["row"])
        elif kind == "progress":
            self.store.write(self.run_id, "progress.json", {k: event[k] for k in ("done", "total", "note")})
        elif kind == "log":
            print(event["message"], flush=True)
        elif kind == "env":
            self.store.write(self.run_id, "env.json", event["env"])

    def should_stop(self) -> bool:
        now = time.monotonic()
        if now - self._last_cancel_check < 0.5:
            return False
        self._last_cancel_check = now
        if self.store.cancel_requested(self.run_id):
            raise Cancelled("cancel requested")
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

    def main(self) -> int:
        st = self.store.read(self.run_id, "status.json", {})
        if st.get("status") != "queued":
            print(f"[worker] run is {st.get('status')}, nothing to do", flush=True)
            return 0
        if not self.req:
            self._finish("failed", "request.json is corrupt or not a run request")
            return 1
        signal.signal(signal.SIGTERM, _raise(Cancelled, "cancelled (SIGTERM)"))
        self.store.set_status(self.run_id, "queued", "waiting for a slot", pid=os.getpid(), host=socket.gethostname())
        try:
            if self.store.cancel_requested(self.run_id):
                raise Cancelled("cancel requested before start")
            if self.req["backend"] == "local":
                self.wait_for_slot()
            self.store.set_status(self.run_id, "running", "", started_at=now_iso())
            timeout = float(self.req.get("timeout_s") or 0)
            if timeout > 0:
                signal.signal(signal.SIGALRM, _raise(TimedOut, f"timed out after {timeout:g} s"))
                signal.setitimer(signal.ITIMER_REAL, timeout)
            print(f"[worker] {self.run_id}: {self.req['job']} preset={self.req['preset']} seed={self.req['seed']} backend={self.req['backend']} pid={os.getpid()}", flush=True)
            t0 = time.perf_counter()
            if self.req["backend"] == "ray":
                result, verdict = run_on_ray(self.req, self.emit, self.should_stop)
            else:
                result, verdict = execute(self.req["job"], self.req["params"], self.req["seed"], self.emit, self.should_stop)
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.store.write(self.run_id, "result.json", result)
            self.store.write(self.run_id, "verdict.json", verdict)
            self.store.set_status(self.run_id, "succeeded", "", wall_s=round(time.perf_counter() - t0, 3))
            print(f"[worker] verdict: {verdict['outcome']} ({verdict['reason']})", flush=True)
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

    def _finish(self, status: str, reason: str) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second cancel must not interrupt the write
        print(f"[worker] {status}: {reason}", flush=True)
        try:
            self.store.set_status(self.run_id, status, reason)
        except OSError as exc:  # a full disk: the reaper marks the run failed once this process is gone
            print(f"[worker] cannot record the status {status}: {exc.strerror or exc}", flush=True)


def _raise(exc: type[BaseException], message: str):
    def handler(_signum, _frame):
        raise exc(message)

    return handler


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m repro.worker RUN_DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(Worker(Path(sys.argv[1]).resolve()).main())
