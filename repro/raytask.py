"""Running a job on a Ray cluster.

The local worker process (repro.worker, backend "ray") connects to the cluster (the request's
address, else RAY_ADDRESS, else a fresh local Ray) and starts one Ray task that asks for the
preset's `num_gpus`. The task is a streaming generator: it runs the job in a thread and yields
its events (metrics, progress, log, env) as they happen, then the result and verdict. The
driver writes them into the local run store, so status, metrics and logs look the same for
both backends. The `repro` package travels to the cluster as a py_module; workers need only
torch, numpy and pydantic. Cancel and timeout on the driver cancel the Ray task.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections.abc import Callable
from pathlib import Path

REPRO_DIR = Path(__file__).resolve().parent
KG_DIR = REPRO_DIR.parent / "kg"  # repro imports the core's records and helpers: ship both


def job_task(job: str, params: dict, seed: int):
    """The body of the Ray task (a generator). Runs in a Ray worker process."""
    from repro.execute import execute

    events: queue.Queue = queue.Queue()
    stop = threading.Event()

    def target():
        try:
            result, verdict = execute(job, params, seed, events.put, stop.is_set)
            events.put({"kind": "done", "result": result, "verdict": verdict})
        except BaseException as e:  # noqa: BLE001 - report, don't lose, the job's exception
            import traceback

            events.put({"kind": "error", "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        while True:
            event = events.get()
            yield event
            if event["kind"] in ("done", "error"):
                return
    finally:  # cancelled or finished: tell the job thread to stop at its next check
        stop.set()
        thread.join(timeout=10)


def run_on_ray(req: dict, emit: Callable[[dict], None], should_stop: Callable[[], bool]) -> tuple[dict, dict]:
    import ray

    address = req.get("address") or os.environ.get("RAY_ADDRESS") or None
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    our_sigterm = signal.getsignal(signal.SIGTERM)
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, runtime_env={"py_modules": [str(REPRO_DIR), str(KG_DIR)]})
    signal.signal(signal.SIGTERM, our_sigterm)  # ray.init installs its own; cancel must stay ours
    print(f"[ray] connected to {address or 'a new local cluster'}; resources {ray.cluster_resources()}", flush=True)
    # max_calls=1: the Ray worker process exits after the job, so GPU memory goes back with it.
    task = ray.remote(max_calls=1)(job_task).options(num_gpus=req.get("num_gpus") or 0, max_retries=0, num_returns="streaming")
    gen = task.remote(req["job"], req["params"], req["seed"])
    try:
        for ref in gen:  # type: ignore[attr-defined]  # ray types .remote() as ObjectRef; num_returns="streaming" returns an ObjectRefGenerator
            event = ray.get(ref)
            should_stop()  # raises Cancelled when a cancel was requested
            if event["kind"] == "done":
                return event["result"], event["verdict"]
            if event["kind"] == "error":
                print(event["traceback"], flush=True)
                raise RuntimeError(f"on Ray: {event['error']}")
            emit(event)
        raise RuntimeError("the Ray task ended without a result")
    except BaseException:
        ray.cancel(gen, force=True)
        raise
    finally:
        ray.shutdown()
