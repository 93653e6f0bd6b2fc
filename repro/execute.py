"""Running one job in this process: validate its parameters, run it, judge it.

Both backends end here: the local worker calls `execute` itself, the Ray task calls it inside
a Ray worker. The result and verdict come back as JSON-ready dicts for the run store.
"""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from repro.store import code_version, git_describe


def environment(device: Any) -> dict[str, Any]:
    import numpy
    import pydantic
    import torch

    env: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "pydantic": pydantic.__version__,
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": str(device),
        "code_version": code_version(),
        "git": git_describe(),
    }
    if str(device).startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(device)
    try:
        import ray

        if ray.is_initialized():
            env["ray_gpu_ids"] = [str(g) for g in ray.get_gpu_ids()]
            env["ray_node"] = ray.get_runtime_context().get_node_id()
    except ImportError:  # a bare GPU box without Ray
        pass
    except RuntimeError:  # Ray present, but this is not a Ray worker
        pass
    return env


def execute(job: str, params: dict[str, Any], seed: int, emit: Callable[[dict[str, Any]], None], should_stop: Callable[[], bool] = lambda: False) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate params, run the job, judge it. Returns (result, verdict) as JSON-ready dicts."""
    return execute_seeds(job, params, [seed], [emit], should_stop)[0]


def execute_seeds(
    job: str, params: dict[str, Any], seeds: list[int], emits: list[Callable[[dict[str, Any]], None]], should_stop: Callable[[], bool] = lambda: False
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Several seeds of one request in this process, one (result, verdict) per seed, in order.

    A job that defines `run_seeds(params, contexts)` trains its seeds side by side (stacked models
    in one step loop); any other job runs them one after the other. Each seed has its own Context,
    so its metrics and progress go to its own run."""
    import torch

    from repro.core import Context
    from repro.registry import get_job

    module = get_job(job)
    p = module.Params(**params)
    # One thread by default: these models are small, and on a shared 2-core machine two OpenMP
    # threads per run were 3-6x slower per step than one (bench/README.md). KG_TORCH_THREADS overrides.
    torch.set_num_threads(int(os.environ.get("KG_TORCH_THREADS") or 1))
    contexts = [Context(seed=seed, emit=emit, should_stop=should_stop) for seed, emit in zip(seeds, emits, strict=True)]
    stacked = len(seeds) > 1 and hasattr(module, "run_seeds")
    env = environment(contexts[0].device)
    if len(seeds) > 1:
        env["batch"] = {"seeds": list(seeds), "stacked": stacked}
    for emit in emits:
        emit({"kind": "env", "env": env})
    results = module.run_seeds(p, contexts) if stacked else [module.run(p, ctx) for ctx in contexts]
    out = []
    for result in results:
        verdict = module.verdict(result)
        plain = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        out.append((plain, verdict.model_dump(mode="json")))
    return out
