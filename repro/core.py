"""What every job shares: the verdict model, the run context, device and seeding.

Jobs import only torch, numpy, pydantic, the standard library and this module, so a GPU box
with just torch + pydantic can run them.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any, Callable, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["reproduced", "not-reproduced", "inconclusive"]
OUTCOMES: tuple[str, ...] = ("reproduced", "not-reproduced", "inconclusive")


class Verdict(BaseModel):
    """A job's decision on whether the paper's qualitative result came out, and why."""

    model_config = ConfigDict(extra="forbid")
    outcome: Outcome
    reason: str = Field(description="one or two sentences naming the check that decided")
    numbers: dict[str, Any] = Field(default_factory=dict, description="the deciding numbers")
    checks: dict[str, bool] = Field(default_factory=dict, description="each named check, pass/fail")


def decide(checks: dict[str, bool], numbers: dict[str, Any], inconclusive: str | None = None) -> Verdict:
    """The common shape of a verdict rule: all checks pass -> reproduced; a precondition that
    makes the experiment uninformative -> inconclusive; otherwise not-reproduced."""
    if inconclusive:
        return Verdict(outcome="inconclusive", reason=inconclusive, numbers=numbers, checks=checks)
    failed = [name for name, ok in checks.items() if not ok]
    if not failed:
        return Verdict(outcome="reproduced", reason="all checks passed: " + ", ".join(checks),
                       numbers=numbers, checks=checks)
    return Verdict(outcome="not-reproduced", reason="failed: " + ", ".join(failed),
                   numbers=numbers, checks=checks)


class Stopped(Exception):
    """Raised inside a job when the run was cancelled or timed out."""


class Context:
    """What a job sees of the outside world while it runs.

    `emit` receives events as plain dicts ({"kind": "metric"|"progress"|"log", ...}); the worker
    writes them to the run store, the Ray task ships them back to the driver, tests collect them.
    """

    def __init__(self, seed: int = 0, device: str | None = None,
                 emit: Callable[[dict], None] | None = None,
                 should_stop: Callable[[], bool] | None = None):
        self.seed = seed
        self.device = torch.device(device or pick_device())
        self._emit = emit or (lambda event: None)
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
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")   # deterministic cuBLAS
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
