"""Grokking: our job vs the paper's own training loop, same config, same machine, interleaved.

The paper's loop is progress-measures-paper's `Trainer` (transformers.py), driven exactly as its
`train_model` does (do_a_training_step every epoch, save_epoch every 100, take_metrics every
1000), minus the final save and plot. Its code is never copied into this repository: pass a
scratch checkout. The only changes are what CPU needs without its logging service:
`Config.device = cpu`, and stand-in modules for `wandb` (no-op init/log) and, if absent, the
plotting-only imports of helpers.py (plotly, pandas, tqdm.notebook). It needs einops:

    git clone <progress-measures-paper> /tmp/pmp
    uv pip install --target /tmp/pmp-deps einops==0.8.1
    .venv/bin/python bench/repro_grokking_vs_paper.py --paper-dir /tmp/pmp --extra-path /tmp/pmp-deps

For each seed it runs our job (both arms, smoke preset) and then the paper's loop for the same
number of steps per arm with the same hyperparameters (p=53, frac 0.5, d=64, 4 heads,
d_mlp 256, AdamW lr 3e-3, betas (0.9, 0.98), 10-step warmup, wd 1 then wd 0). "To the verdict"
is the wall time of everything each loop computes on the way (ours: the whole job including
accuracy every 50 steps and the Fourier measures every 250; the paper's: training plus its
per-step test loss and its 1000-step metrics).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.machinery
import io
import json
import os
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from repro.core import Context  # noqa: E402
from repro.jobs import grokking  # noqa: E402


def stub(name: str, **attrs) -> None:
    mod = types.ModuleType(name)
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None)  # torch inspects module specs
    mod.__dict__.update(attrs)
    sys.modules[name] = mod


def load_paper(paper_dir: Path):
    """Import the paper's transformers.py as a package from a scratch copy (it uses `from . import helpers`)."""
    pkg_root = Path(tempfile.mkdtemp(prefix="pmp-pkg-"))
    pkg = pkg_root / "pmp"
    pkg.mkdir()
    for f in ("transformers.py", "helpers.py"):
        shutil.copy(paper_dir / f, pkg / f)
    (pkg / "__init__.py").write_text("")
    stub("wandb", init=lambda *a, **k: None, log=lambda *a, **k: None)
    for name in ("plotly", "plotly.express", "plotly.io", "plotly.graph_objects", "pandas", "tqdm", "tqdm.notebook"):
        try:
            __import__(name)
        except ImportError:
            stub(name)
    sys.path.insert(0, str(pkg_root))
    import pmp.transformers as T

    return T


def paper_arm(T, wd: float, steps: int, seed: int, P: grokking.Params) -> dict:
    cfg = T.Config(
        lr=P.lr, weight_decay=wd, p=P.p, d_model=P.d_model, frac_train=P.frac_train, num_epochs=steps, seed=seed, d_vocab=P.p + 1, d_mlp=P.d_mlp, num_heads=P.n_heads, device=torch.device("cpu")
    )
    torch.manual_seed(seed)
    with contextlib.redirect_stdout(io.StringIO()):
        t0 = time.perf_counter()
        world = T.Trainer(config=cfg)
        for epoch in range(cfg.num_epochs):  # train_model's loop
            world.do_a_training_step(epoch)
            if cfg.is_it_time_to_save(epoch=epoch):
                world.save_epoch(epoch=epoch)
            if cfg.is_it_time_to_take_metrics(epoch=epoch):
                world.take_metrics(epoch=epoch, train=world.train)
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            test = torch.tensor(world.test)
            logits = world.model(test)[:, -1, :-1]
            test_acc = (logits.argmax(-1) == (test[:, 0] + test[:, 1]) % cfg.p).float().mean().item()
    return {"steps": steps, "seconds": seconds, "ms_per_step": 1000 * seconds / steps, "final_test_loss": world.test_losses[-1], "final_test_acc": test_acc}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--paper-dir", required=True, type=Path)
    ap.add_argument("--extra-path", default=None, help="where einops is installed (a --target folder)")
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.extra_path:
        sys.path.insert(0, args.extra_path)
    torch.set_num_threads(args.threads)
    T = load_paper(args.paper_dir)
    P = grokking.Params()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        t0 = time.perf_counter()
        res = grokking.run(P, Context(seed=seed, device="cpu"))
        ours_s = time.perf_counter() - t0
        verdict = grokking.verdict(res)
        arms = res.arms
        paper = {"wd": paper_arm(T, P.weight_decay, arms.wd.steps, seed, P), "control": paper_arm(T, P.control_weight_decay, arms.control.steps, seed, P)}
        steps = arms.wd.steps + arms.control.steps
        paper_s = paper["wd"]["seconds"] + paper["control"]["seconds"]
        row = {
            "seed": seed,
            "steps": steps,
            "ours_s": ours_s,
            "paper_s": paper_s,
            "ours_ms_per_step": 1000 * ours_s / steps,
            "paper_ms_per_step": 1000 * paper_s / steps,
            "speedup": paper_s / ours_s,
            "verdict": verdict.outcome,
            "ours_wd_test_acc": arms.wd.final_test_acc,
            "paper_wd_test_acc": paper["wd"]["final_test_acc"],
            "ours_control_test_acc": arms.control.final_test_acc,
            "paper_control_test_acc": paper["control"]["final_test_acc"],
            "paper": paper,
        }
        rows.append(row)
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k != "paper"}), flush=True)
    load = os.getloadavg()
    print(f"\nload average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; torch threads {args.threads}\n")
    print("| seed | steps (both arms) | ours (s) | paper loop (s) | ours ms/step | paper ms/step | speedup | verdict | wd-arm test acc ours / paper |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(
            f"| {r['seed']} | {r['steps']} | {r['ours_s']:.1f} | {r['paper_s']:.1f} | {r['ours_ms_per_step']:.1f} | "
            f"{r['paper_ms_per_step']:.1f} | {r['speedup']:.1f}x | {r['verdict']} | "
            f"{r['ours_wd_test_acc']:.3f} / {r['paper_wd_test_acc']:.3f} |"
        )
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "repro_grokking_vs_paper.json").write_text(json.dumps({"rows": rows, "loadavg": load}, indent=1))


if __name__ == "__main__":
    main()
