"""Sparse parity with SGD (Barak, Edelman, Goel, Kakade, Malach, Zhang 2022, "Hidden Progress in
Deep Learning: SGD Learns Parities Near the Computational Limit", arXiv 2207.08799).

A 2-layer ReLU MLP (width 1000) learns y = prod_{i in S} x_i for x in {+-1}^n, |S| = k, from
fresh samples each step (online SGD, lr 0.1, batch 32, weight decay 0.01, hinge loss). The paper:
accuracy sits at chance, then jumps abruptly after roughly n^O(k) steps; progress hidden from
the loss shows in the weights beforehand; steps-to-solve grow with n.

One run trains a main model (n = params.n) with dense curves, then a sweep over `sweep_ns` x
`sweep_seeds` for the scaling check. Seeds of the sweep are derived from the run's seed.
Hidden-progress measure (`top_neuron_share`): for each hidden neuron, the share of its squared
input weight on the k relevant coordinates; averaged over the top 1% of neurons. At init it is
near chance (k/n plus noise); it climbs steadily while test accuracy is still at chance. Also
logged: the share of first-layer |W| on S, how many of S are among the k largest input columns,
and ||W - W0||_1.

Verdict rule (S_solve = first evaluated step with test acc >= 0.99 on 4096 fresh samples):
  inconclusive    if the main run or more than half the runs of some sweep n do not solve within
                  max_steps (a median cannot be taken), i.e. the budget was too short.
  reproduced      if all hold:
    solves          the main run solves within max_steps
    flat            test acc <= 0.60 at every evaluation up to 0.5 * S_solve
    sharp           the climb from test acc >= 0.60 to >= 0.99 takes <= 0.3 * S_solve steps
    hidden_progress top_neuron_share at the last evaluation before the climb with test acc still
                    < 0.55 is >= hidden_factor [1.5] x its value at the first evaluation >= 250
    scaling         median S_solve is non-decreasing in n over the sweep and
                    median S_solve(max n) >= 2 * median S_solve(min n)
  not-reproduced  otherwise.
"""

from __future__ import annotations

import statistics
import time
from typing import Annotated

import torch
from pydantic import BaseModel, ConfigDict, Field

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    n: int = Field(50, ge=2, le=1000, description="input bits of the main run")
    k: int = Field(3, ge=1, le=32, description="parity degree |S|")
    width: int = Field(1000, ge=1, le=100_000)
    lr: float = Field(0.1, gt=0, le=10)
    batch_size: int = Field(32, ge=1, le=8192)
    weight_decay: float = Field(0.01, ge=0, le=100)
    max_steps: int = Field(20_000, ge=1, le=1_000_000, description="per model")
    eval_every: int = Field(100, ge=1, le=1_000_000)
    test_size: int = Field(4096, ge=16, le=1_000_000)
    sweep_ns: list[Annotated[int, Field(ge=2, le=1000)]] = Field(default_factory=lambda: [20, 30, 50, 100], max_length=16, description="[] skips the sweep")
    sweep_seeds: int = Field(3, ge=1, le=32, description="models per n in the sweep")
    hidden_factor: float = Field(1.5, gt=0, le=1000, description="verdict: flat-phase share / early share")


PRESETS: dict[str, dict] = {
    # 2 CPU cores: ~2.2k steps for the main run, ~25k steps for the sweep, well under a minute.
    "smoke": dict(timeout_s=600),
    # One GPU: up to n=200 (estimated 10^4-10^5 steps each at k=3), 3 seeds per n.
    "full": dict(n=100, sweep_ns=[50, 100, 150, 200], sweep_seeds=3, max_steps=300_000, num_gpus=1, timeout_s=1800),
}


# What `kg runs show` plots (one panel per entry).
PLOT = [
    {"title": "main run: test acc and hidden progress", "y": ["test_acc", "top_neuron_share"], "where": {"run": "main"}},
]

# ---------------------------------------------------------------------------------------------
# Result: what `run` returns and `verdict` reads (stored as result.json, so the names are the JSON keys)


class Eval(BaseModel):
    """One evaluation of one model: also a row of the metrics stream."""

    model_config = ConfigDict(extra="forbid")
    run: str  # "main", or "n{n}-s{i}" in the sweep
    n: int
    step: int
    test_acc: float
    relevant_share: float  # share of first-layer |W| on the k relevant inputs
    top_neuron_share: float  # the hidden-progress measure (module docstring)
    relevant_in_topk: int  # relevant inputs among the k largest input columns
    w_dist_l1: float  # ||W - W0||_1


class Run(BaseModel):
    """One trained model; solved_at is None if it never reached test acc 0.99."""

    model_config = ConfigDict(extra="forbid")
    n: int
    seed: int
    solved_at: int | None
    steps: int


class MainRun(Run):
    rows: list[Eval]  # every evaluation, for the sharpness and hidden-progress checks


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    main: MainRun
    sweep: list[Run]  # sweep_ns x sweep_seeds, the main run reused at n == params.n
    steps: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Data, model, one training run


def sample(n: int, batch: int, support: torch.Tensor, g: torch.Generator, device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randint(0, 2, (batch, n), generator=g, device=device).float() * 2 - 1
    return x, x[:, support].prod(1)


def train_one(n: int, seed: int, P: Params, ctx: Context, tag: str, dense: bool, done: list[int], budget: int) -> MainRun:
    """Train one MLP on an n-bit, k-sparse parity. dense=True logs every evaluation."""
    dev = ctx.device
    seed_everything(seed)
    g = torch.Generator(device=dev).manual_seed(seed)
    support = torch.randperm(n, generator=torch.Generator().manual_seed(seed))[: P.k].to(dev)
    hidden_layer = torch.nn.Linear(n, P.width)
    model = torch.nn.Sequential(hidden_layer, torch.nn.ReLU(), torch.nn.Linear(P.width, 1)).to(dev)
    W0 = hidden_layer.weight.detach().clone()
    opt = torch.optim.SGD(model.parameters(), lr=P.lr, weight_decay=P.weight_decay)
    x_test, y_test = sample(n, P.test_size, support, g, dev)

    rows: list[Eval] = []
    solved_at = None
    for step in range(P.max_steps + 1):
        if step % P.eval_every == 0:
            with torch.no_grad():
                acc = ((model(x_test).squeeze(1) * y_test) > 0).float().mean().item()
                W = hidden_layer.weight.abs()
                col = W.sum(0)
                share = (col[support].sum() / col.sum()).item()
                moved = (hidden_layer.weight - W0).abs().sum(0)  # movement since init, per input
                # Hidden progress: the neurons most tuned to S (top 1%), by the share of their
                # squared input weight on S. Chance is k/n; it climbs while accuracy is flat.
                W2 = hidden_layer.weight.pow(2)
                per_neuron = W2[:, support].sum(1) / W2.sum(1)
                top_neuron = per_neuron.topk(max(1, P.width // 100)).values.mean().item()
                top = set(col.topk(P.k).indices.tolist())
                row = Eval(run=tag, n=n, step=step, test_acc=acc, relevant_share=share, top_neuron_share=top_neuron, relevant_in_topk=len(top & set(support.tolist())), w_dist_l1=moved.sum().item())
            rows.append(row)
            if dense:
                ctx.metric(**row.model_dump())
            if acc >= 0.99:
                solved_at = step
                break
        if step == P.max_steps:
            break
        x, y = sample(n, P.batch_size, support, g, dev)
        loss = torch.clamp(1 - y * model(x).squeeze(1), min=0).mean()  # hinge loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done[0] += 1
        ctx.progress(min(done[0], budget - 1), budget, note=tag)  # the budget is an estimate
    if not dense:
        ctx.metric(**rows[-1].model_dump())  # one summary row per sweep model
    return MainRun(n=n, seed=seed, solved_at=solved_at, steps=rows[-1].step, rows=rows)


# ---------------------------------------------------------------------------------------------
# The job


def run(params: Params, ctx: Context) -> Result:
    P, t0 = params, time.perf_counter()
    # Progress is counted in steps against a rough estimate (steps to solve grow ~n^1.4 here).
    est = lambda n: int(min(P.max_steps, 45 * n**1.4))
    budget = est(P.n) + sum(est(n) for n in P.sweep_ns) * P.sweep_seeds
    done = [0]
    ctx.log(f"sparse parity n={P.n} k={P.k} width={P.width}; sweep n={P.sweep_ns} x {P.sweep_seeds} seeds on {ctx.device}")

    main = train_one(P.n, ctx.seed, P, ctx, "main", dense=True, done=done, budget=budget)
    # The sweep keeps one summary per model, not its evaluations.
    summary = lambda r: Run(n=r.n, seed=r.seed, solved_at=r.solved_at, steps=r.steps)
    sweep = []
    for n in P.sweep_ns:
        for i in range(P.sweep_seeds):
            if n == P.n and i == 0:
                sweep.append(summary(main))  # reuse the main run
                continue
            r = train_one(n, ctx.seed * 1000 + i, P, ctx, f"n{n}-s{i}", dense=False, done=done, budget=budget)
            sweep.append(summary(r))
    ctx.progress(budget, budget)
    return Result(params=P, main=main, sweep=sweep, steps=done[0], seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, rows, S = result.params, result.main.rows, result.main.solved_at
    numbers: dict = {"S_solve": S, "n": P.n, "k": P.k}
    inconclusive = None if S is not None else f"the main run did not solve within {P.max_steps} steps"

    # Sharpness: flat before 0.5*S, fast climb from 0.6 to 0.99.
    flat = sharp = hidden = False
    if S is not None:
        flat = all(r.test_acc <= 0.60 for r in rows if r.step <= 0.5 * S)
        # First evaluation with test acc >= 0.60; it exists, since the solving one has >= 0.99.
        t60 = next(r.step for r in rows if r.test_acc >= 0.60)
        numbers["climb_steps"] = S - t60
        sharp = (S - t60) <= 0.3 * S
        early = next((r for r in rows if r.step >= 250), rows[0])
        flat_rows = [r for r in rows if early.step <= r.step < t60 and r.test_acc < 0.55]
        late = flat_rows[-1] if flat_rows else early
        numbers.update(early_step=early.step, early_hidden=early.top_neuron_share, flat_end_step=late.step, flat_end_hidden=late.top_neuron_share, flat_end_acc=late.test_acc, chance_share=P.k / P.n)
        hidden = late.step > early.step and late.top_neuron_share >= P.hidden_factor * early.top_neuron_share

    # Scaling: medians over seeds per n.
    medians: dict[int, float | None] = {}
    for n in sorted(set(P.sweep_ns)):
        runs = [r for r in result.sweep if r.n == n]
        solved = sorted(r.solved_at for r in runs if r.solved_at is not None)
        if len(solved) * 2 <= len(runs) - 1 or not solved:
            inconclusive = inconclusive or f"most sweep runs at n={n} did not solve within {P.max_steps} steps"
            medians[n] = None
        else:  # unsolved runs count as 'more than max_steps' when taking the median
            medians[n] = statistics.median(solved + [P.max_steps + 1] * (len(runs) - len(solved)))
    numbers["median_S_by_n"] = {str(n): m for n, m in medians.items()}
    ms = [m for m in medians.values() if m is not None]
    scaling = len(ms) >= 2 and all(a <= b for a, b in zip(ms, ms[1:], strict=False)) and ms[-1] >= 2 * ms[0]
    checks = {"solves": S is not None, "flat": flat, "sharp": sharp, "hidden_progress": hidden}
    if P.sweep_ns:
        checks["scaling"] = scaling
    return decide(checks, numbers, inconclusive)


if __name__ == "__main__":
    import sys

    from repro.core import main

    sys.exit(main(sys.modules[__name__]))
