"""What every job shares: the verdict rule's shape, the run context, device and seeding.

Jobs import only torch, numpy, pydantic, the standard library and this module (which takes
the one `Verdict` type from `kg.records`), so a GPU box with torch + pydantic can run them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import torch

from kg.records import OUTCOMES, Outcome, Verdict

__all__ = ["OUTCOMES", "Context", "Outcome", "Stopped", "Verdict", "decide", "first_step", "main", "pick_device", "seed_everything"]


def decide(checks: dict[str, bool], numbers: dict[str, Any], inconclusive: str | None = None) -> Verdict:
    """The common shape of a verdict rule: all checks pass -> reproduced; a precondition that
    makes the experiment uninformative -> inconclusive; otherwise not-reproduced."""
    if inconclusive:
        return Verdict(outcome="inconclusive", reason=inconclusive, numbers=numbers, checks=checks)
    failed = [name for name, ok in checks.items() if not ok]
    if not failed:
        return Verdict(outcome="reproduced", reason="all checks passed: " + ", ".join(checks), numbers=numbers, checks=checks)
    return Verdict(outcome="not-reproduced", reason="failed: " + ", ".join(failed), numbers=numbers, checks=checks)


class Stopped(Exception):
    """Raised inside a job when the run was cancelled or timed out."""


class Context:
    """What a job sees of the outside world while it runs.

    `emit` receives events as plain dicts ({"kind": "metric"|"progress"|"log", ...}); the worker
    writes them to the run store, the Ray task ships them back to the driver, tests collect them.
    """

    def __init__(self, seed: int = 0, device: str | None = None, emit: Callable[[dict], None] | None = None, should_stop: Callable[[], bool] | None = None):
        self.seed = seed
        self.device = torch.device(device or pick_device())
        self._emit = emit or (lambda _event: None)
        self._should_stop = should_stop or (lambda: False)
        self.metrics: list[dict] = []  # kept in memory too: jobs and tests read them back
        self._last_progress = 0.0

    def metric(self, **values: Any) -> None:
        """One row of the metrics stream, e.g. ctx.metric(arm="wd", step=100, test_acc=0.5)."""
        row = {k: _plain(v) for k, v in values.items()}
        self.metrics.append(row)
        self._emit({"kind": "metric", "row": row})
        self.check()

    def progress(self, done: float, total: float, note: str = "") -> None:
        # Throttled: a progress bar needs a few updates a second, not one per step.
        now = time.monotonic()
        if done >= total or now - self._last_progress > 0.25:
            self._last_progress = now
            self._emit({"kind": "progress", "done": float(done), "total": float(total), "note": note})
        self.check()

    def log(self, message: str) -> None:
        self._emit({"kind": "log", "message": message})

    def check(self) -> None:
        if self._should_stop():
            raise Stopped("stop requested")


def _plain(value: Any) -> Any:
    """Tensors and numpy scalars -> JSON-friendly Python values."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.item() if value.numel() == 1 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def pick_device() -> str:
    """CUDA when present, unless KG_DEVICE says otherwise."""
    forced = os.environ.get("KG_DEVICE")
    if forced:
        return forced
    return "cuda" if torch.cuda.is_available() else "cpu"


def seed_everything(seed: int) -> torch.Generator:
    """Seed every RNG a job might touch and ask torch for deterministic kernels."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    g = torch.Generator().manual_seed(seed)
    return g


def first_step(rows: list[dict], key: str, threshold: float, arm: str | None = None) -> int | None:
    """First logged step at which rows[key] >= threshold (None if never)."""
    for r in rows:
        if arm is not None and r.get("arm") != arm:
            continue
        v = r.get(key)
        if v is not None and v >= threshold:
            return int(r["step"])
    return None


def main(module: ModuleType, argv: list[str] | None = None) -> int:
    """`python -m repro.jobs.<name> [--preset smoke] [--seed 0] [--set key=value]...`: run one job
    in this process, print its metrics as they come and its verdict at the end (JSON lines)."""
    from kg.util import parse_overrides
    from repro.catalog import RUN_KEYS

    name = (module.__spec__.name if module.__spec__ else module.__name__).rsplit(".", 1)[-1]
    parser = argparse.ArgumentParser(prog=f"python -m repro.jobs.{name}", description=(module.__doc__ or name).strip().splitlines()[0])
    parser.add_argument("--preset", default="smoke", choices=list(module.PRESETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE", help="override a parameter")
    parser.add_argument("--quiet", action="store_true", help="print only the verdict")
    args = parser.parse_args(argv)
    try:
        values = {k: v for k, v in module.PRESETS[args.preset].items() if k not in RUN_KEYS}
        params = module.Params(**{**values, **parse_overrides(args.overrides)})
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    torch.set_num_threads(int(os.environ.get("KG_TORCH_THREADS") or 1))

    def emit(event: dict[str, Any]) -> None:
        if not args.quiet and event["kind"] in ("metric", "log"):
            print(json.dumps(event.get("row") or event.get("message"), default=str), flush=True)

    result = module.run(params, Context(seed=args.seed, emit=emit))
    verdict = module.verdict(result)
    print(verdict.model_dump_json())
    return 0 if verdict.outcome != "not-reproduced" else 1
