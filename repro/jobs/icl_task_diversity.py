"""Pretraining task diversity and the emergence of non-Bayesian in-context learning for regression
(Raventós, Paul, Chen, Ganguli 2023, arXiv 2306.15063, Figs. 1-2).

A small causal transformer is trained on in-context linear regression. A sequence is
(x_1, y_1, ..., x_K, y_K) with x ~ N(0, I_D), y = w.x + eps, eps ~ N(0, noise_var); the model
predicts every y_k from the pairs before it and x_k. During pretraining w is drawn uniformly from
a fixed pool of M task vectors (each drawn once from N(0, I_D)). Each arm trains a fresh model
on one M; arms share the seed, the evaluation sets and the step budget.

Two Bayes estimators are the references (computed exactly, not trained):
  * dMMSE  the posterior mean for the pretraining prior, uniform on the arm's M tasks;
  * ridge  the posterior mean for the Gaussian prior N(0, I_D) that fresh tasks come from
           (ridge regression with lambda = noise_var), optimal on fresh tasks.
Every MSE is averaged over the K query positions. The paper: with few tasks the transformer
behaves like dMMSE (near-optimal on its pretraining tasks, poor on fresh tasks); past a task-
diversity threshold it behaves like ridge and solves fresh tasks, departing from the Bayes
estimator of its own pretraining distribution. "Behaves like" is read off the predictions: the
mean squared difference between the model's and an estimator's predictions (dPMSE; the paper
compares predictions with the two estimators the same way).

Arms (params.task_counts, ascending): the smallest M is the negative control: it must fail on
fresh tasks as the paper implies (close to dMMSE, far above ridge). The largest M must generalise.
A second control runs at evaluation: the largest-M model with the context labels y_1..y_K
shuffled across sequences must lose its advantage (it predicts from the context, not from a
memorised prior mean).

Verdict rule (thresholds are Params fields, defaults in brackets; "fresh" = new tasks from
N(0, I_D), "pretrain" = the arm's own M tasks; each MSE is read against the optimum for its
set: fresh / ridge, pretrain / dMMSE):
  inconclusive    if the smallest-M arm did not fit its pretraining tasks (pretrain / dMMSE >
                  fit_max [1.5]), or if the largest-M arm misses the fresh-task bar while it also
                  misses the same bar on its own pretraining tasks (pretrain / dMMSE >
                  large_fresh_max): undertrained, so the run cannot speak to the claim.
  reproduced      if all hold:
    small_like_dmmse    smallest M, fresh tasks: dPMSE to dMMSE < dPMSE to ridge
    small_fails_fresh   smallest M, fresh tasks: MSE >= small_fresh_min [1.5] x ridge
    large_generalises   largest M, fresh tasks: MSE <= large_fresh_max [1.3] x ridge
    large_no_gap        largest M: fresh / ridge <= gap_max [1.1] x pretrain / dMMSE (as good on
                        new tasks as on its own)
    large_like_ridge    largest M, fresh tasks: dPMSE to ridge <= ridge_close [0.25] x the
                        smallest-M dMMSE's own dPMSE to ridge (the model sits near ridge on the
                        scale of the gap between the two estimators)
    trend               fresh MSE / ridge does not rise with M (each step up in M changes the
                        ratio by at most +trend_slack [0.05])
    uses_context        largest M, labels shuffled: fresh MSE >= shuffled_min [2] x unshuffled
    beats_dmmse         only if require_beats_dmmse (full preset): some arm above the smallest
                        whose own dMMSE is >= beats_margin [1.2] x ridge on fresh tasks has a
                        lower fresh MSE than that dMMSE (the paper's "non-Bayesian" regime: better
                        than the Bayes estimator of its pretraining distribution)
  not-reproduced  otherwise (the failed checks are named).
"""

from __future__ import annotations

import math
import time
from typing import Annotated

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator

from repro.core import Context, Verdict, decide, seed_everything
from repro.transformer import Block

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    dim: int = Field(4, ge=1, le=64, description="D, the input dimension")
    n_points: int = Field(16, ge=2, le=128, description="K, in-context examples per sequence")
    noise_var: float = Field(0.25, gt=0, le=100, description="label noise variance sigma^2")
    task_counts: list[Annotated[int, Field(ge=1, le=2**24)]] = Field([4, 4096], min_length=2, max_length=12, description="M per arm, ascending")
    n_layers: int = Field(3, ge=1, le=24)
    d_model: int = Field(32, ge=8, le=1024)
    n_heads: int = Field(2, ge=1, le=32)
    steps: int = Field(2000, ge=1, le=200_000, description="training steps per arm")
    batch_size: int = Field(64, ge=1, le=8192)
    lr: float = Field(2e-3, gt=0, le=1)
    warmup_frac: float = Field(0.05, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0, le=100)
    eval_every: int = Field(250, ge=1, le=200_000)
    n_eval: int = Field(1024, ge=16, le=100_000, description="sequences per evaluation set")
    # verdict thresholds
    fit_max: float = Field(1.5, gt=1, le=100, description="small-M pretrain MSE / dMMSE above this: undertrained")
    small_fresh_min: float = Field(1.5, gt=1, le=100)
    large_fresh_max: float = Field(1.3, ge=1, le=100)
    gap_max: float = Field(1.1, ge=1, le=100)
    ridge_close: float = Field(0.25, gt=0, le=100)
    trend_slack: float = Field(0.05, ge=0, le=10)
    shuffled_min: float = Field(2.0, gt=1, le=100)
    require_beats_dmmse: bool = Field(False, description="also require the beats_dmmse check (full)")
    beats_margin: float = Field(1.2, gt=1, le=100, description="dMMSE must be this far above ridge to count")

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")
        if list(self.task_counts) != sorted(set(self.task_counts)) or self.task_counts[0] < 1:
            raise ValueError("task_counts must be distinct, positive and ascending")
        return self


PRESETS: dict[str, dict] = {
    # 2 CPU cores, one thread: two arms (M = 4 and 4096), 3 layers, d=32, 2000 steps each, about
    # 2-3 minutes. It can end undertrained (then it says inconclusive); `full` decides.
    "smoke": dict(timeout_s=900),
    # One GPU: the paper's D=8, K=16 with a deeper model and M = 2^0 ... 2^20 in steps of 2^4,
    # 30k steps per arm at batch 256 (about 20-40 min on one GPU, estimated, not yet run).
    "full": dict(
        dim=8,
        n_points=16,
        task_counts=[1, 16, 256, 4096, 65536, 1048576],
        n_layers=8,
        d_model=256,
        n_heads=8,
        steps=30_000,
        batch_size=256,
        lr=3e-4,
        eval_every=2000,
        n_eval=4096,
        large_fresh_max=1.1,
        fit_max=1.2,
        require_beats_dmmse=True,
        num_gpus=1,
        timeout_s=2 * 3600,
    ),
}

PLOT = [
    {"title": "fresh-task MSE / ridge", "y": ["fresh_over_ridge"], "group": "arm"},
    {"title": "pretrain-task MSE / dMMSE", "y": ["pretrain_over_dmmse"], "group": "arm"},
]

# ---------------------------------------------------------------------------------------------
# Data and the two Bayes estimators


def sample_batch(tasks: torch.Tensor | None, n: int, P: Params, g: torch.Generator, dev) -> tuple:
    """n sequences: x [n, K, D], y [n, K]. tasks=None draws a fresh w ~ N(0, I) per sequence."""
    D, K = P.dim, P.n_points
    if tasks is None:
        w = torch.randn(n, D, generator=g, device=dev)
    else:
        w = tasks[torch.randint(len(tasks), (n,), generator=g, device=dev)]
    x = torch.randn(n, K, D, generator=g, device=dev)
    y = (x * w[:, None]).sum(-1) + math.sqrt(P.noise_var) * torch.randn(n, K, generator=g, device=dev)
    return x, y


def ridge_predictions(x: torch.Tensor, y: torch.Tensor, noise_var: float) -> torch.Tensor:
    """Posterior mean under w ~ N(0, I): predict y_k from the k pairs before it (0 with none)."""
    n, K, D = x.shape
    preds = torch.zeros(n, K, device=x.device, dtype=torch.float64)
    x64, y64 = x.double(), y.double()
    eye = torch.eye(D, device=x.device, dtype=torch.float64)
    for k in range(1, K):
        xc, yc = x64[:, :k], y64[:, :k]
        w = torch.linalg.solve(xc.transpose(1, 2) @ xc + noise_var * eye, xc.transpose(1, 2) @ yc[..., None])
        preds[:, k] = (x64[:, k] * w[..., 0]).sum(-1)
    return preds.float()


def dmmse_predictions(x: torch.Tensor, y: torch.Tensor, tasks: torch.Tensor, noise_var: float) -> torch.Tensor:
    """Posterior mean under w uniform on `tasks`: weights exp(-sum of squared residuals / 2 sigma^2)
    over the pairs before each position. Chunked over sequences: [chunk, K, M] stays ~16M floats."""
    out, chunk = [], max(1, 2**24 // (x.shape[1] * len(tasks)))
    for i in range(0, len(x), chunk):
        xs, ys = x[i : i + chunk], y[i : i + chunk]
        pred_m = xs @ tasks.T  # [c, K, M]
        sq = (ys[..., None] - pred_m).pow(2)
        before = torch.cumsum(sq, 1) - sq  # residuals of earlier pairs
        post = (-before / (2 * noise_var)).softmax(-1)
        out.append((post * pred_m).sum(-1))
    return torch.cat(out)


# ---------------------------------------------------------------------------------------------
# Model


class ICLTransformer(torch.nn.Module):
    """GPT-style (pre-LayerNorm) over the interleaved tokens x_1, y_1, ..., x_K, y_K, each token
    a (D+1)-vector: [0, x] for inputs, [y, 0...] for labels. y_k is read out at x_k's position."""

    def __init__(self, P: Params):
        super().__init__()
        self.embed = torch.nn.Linear(P.dim + 1, P.d_model)
        self.pos = torch.nn.Parameter(0.02 * torch.randn(2 * P.n_points, P.d_model))
        self.blocks = torch.nn.ModuleList(Block(P.d_model, P.n_heads, torch.nn.ReLU) for _ in range(P.n_layers))
        self.ln_f, self.head = torch.nn.LayerNorm(P.d_model), torch.nn.Linear(P.d_model, 1)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        n, K, D = x.shape
        xt = torch.cat([torch.zeros(n, K, 1, device=x.device), x], -1)
        yt = torch.cat([y[..., None], torch.zeros(n, K, D, device=x.device)], -1)
        tokens = torch.stack([xt, yt], 2).view(n, 2 * K, D + 1)
        h = self.embed(tokens) + self.pos
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h[:, 0::2]))[..., 0]  # [n, K] at the x positions


# ---------------------------------------------------------------------------------------------
# Results


class EvalSet(BaseModel):
    """One arm on one evaluation set: MSEs and prediction distances (dPMSE), position-averaged."""

    model_config = ConfigDict(extra="forbid")
    mse: float
    ridge_mse: float
    dmmse_mse: float
    dpmse_to_ridge: float = Field(description="mean (model - ridge prediction)^2")
    dpmse_to_dmmse: float = Field(description="mean (model - dMMSE prediction)^2")
    dmmse_dpmse_to_ridge: float = Field(description="mean (dMMSE - ridge prediction)^2: the gap")


class Arm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n_tasks: int
    steps: int
    seconds: float
    fresh: EvalSet
    pretrain: EvalSet
    fresh_shuffled_mse: float = Field(description="fresh tasks with context labels shuffled across sequences")


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    arms: list[Arm]
    seconds: float


# ---------------------------------------------------------------------------------------------
# Training and evaluation


@torch.no_grad()
def evaluate(model, x, y, ridge, dmmse) -> EvalSet:
    model.eval()
    pred = model(x, y)
    model.train()
    mse = lambda a, b: (a - b).pow(2).mean().item()
    return EvalSet(mse=mse(pred, y), ridge_mse=mse(ridge, y), dmmse_mse=mse(dmmse, y), dpmse_to_ridge=mse(pred, ridge), dpmse_to_dmmse=mse(pred, dmmse), dmmse_dpmse_to_ridge=mse(dmmse, ridge))


def train_arm(M: int, P: Params, ctx: Context, fresh: tuple, arm_index: int) -> Arm:
    dev, t0 = ctx.device, time.perf_counter()
    seed_everything(ctx.seed * 1000 + arm_index)
    g = torch.Generator(device=dev).manual_seed(ctx.seed * 1000 + arm_index)
    tasks = torch.randn(M, P.dim, generator=g, device=dev)  # the arm's pretraining pool
    x_fr, y_fr, ridge_fr = fresh
    x_pre, y_pre = sample_batch(tasks, P.n_eval, P, g, dev)
    # The estimators do not change during training: compute them once.
    fresh_set = (x_fr, y_fr, ridge_fr, dmmse_predictions(x_fr, y_fr, tasks, P.noise_var))
    pre_set = (x_pre, y_pre, ridge_predictions(x_pre, y_pre, P.noise_var), dmmse_predictions(x_pre, y_pre, tasks, P.noise_var))

    model = ICLTransformer(P).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=P.lr, weight_decay=P.weight_decay)
    warm = max(1, int(P.warmup_frac * P.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(  # linear warmup, cosine decay to 10%
        opt, lambda s: min((s + 1) / warm, 0.1 + 0.45 * (1 + math.cos(math.pi * min(s / P.steps, 1.0))))
    )

    for step in range(P.steps + 1):
        if step % P.eval_every == 0 or step == P.steps:
            fr, pre = evaluate(model, *fresh_set), evaluate(model, *pre_set)
            ctx.metric(
                arm=f"M={M}",
                n_tasks=M,
                step=step,
                fresh_mse=fr.mse,
                pretrain_mse=pre.mse,
                fresh_over_ridge=fr.mse / fr.ridge_mse,
                pretrain_over_dmmse=pre.mse / pre.dmmse_mse,
                fresh_dpmse_to_ridge=fr.dpmse_to_ridge,
                fresh_dpmse_to_dmmse=fr.dpmse_to_dmmse,
            )
        if step == P.steps:
            break
        x, y = sample_batch(tasks, P.batch_size, P, g, dev)
        loss = F.mse_loss(model(x, y), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        ctx.progress(arm_index * P.steps + step + 1, len(P.task_counts) * P.steps, note=f"M={M}")

    with torch.no_grad():  # control: break the context
        perm = torch.randperm(len(y_fr), generator=g, device=dev)
        model.eval()
        shuffled = F.mse_loss(model(x_fr, y_fr[perm]), y_fr).item()
    return Arm(n_tasks=M, steps=P.steps, seconds=time.perf_counter() - t0, fresh=fr, pretrain=pre, fresh_shuffled_mse=shuffled)


def run(params: Params, ctx: Context) -> Result:
    P, dev, t0 = params, ctx.device, time.perf_counter()
    ctx.log(f"ICL regression D={P.dim} K={P.n_points}, M in {P.task_counts}, {P.n_layers}L d={P.d_model}, {P.steps} steps/arm on {dev}")
    g = torch.Generator(device=dev).manual_seed(10_000 + ctx.seed)
    x_fr, y_fr = sample_batch(None, P.n_eval, P, g, dev)  # one fresh-task set for all arms
    fresh = (x_fr, y_fr, ridge_predictions(x_fr, y_fr, P.noise_var))
    arms = [train_arm(M, P, ctx, fresh, i) for i, M in enumerate(P.task_counts)]
    return Result(params=P, arms=arms, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, small, large = result.params, result.arms[0], result.arms[-1]
    ratios = [a.fresh.mse / a.fresh.ridge_mse for a in result.arms]
    fits = [a.pretrain.mse / a.pretrain.dmmse_mse for a in result.arms]
    numbers = dict(
        task_counts=[a.n_tasks for a in result.arms],
        fresh_over_ridge=ratios,
        pretrain_over_dmmse=fits,
        small_fresh_dpmse_to_dmmse=small.fresh.dpmse_to_dmmse,
        small_fresh_dpmse_to_ridge=small.fresh.dpmse_to_ridge,
        small_fresh_dmmse_over_ridge=small.fresh.dmmse_mse / small.fresh.ridge_mse,
        large_fresh_dpmse_to_ridge=large.fresh.dpmse_to_ridge,
        gap_dmmse_to_ridge=small.fresh.dmmse_dpmse_to_ridge,
        large_shuffled_over_unshuffled=large.fresh_shuffled_mse / large.fresh.mse,
    )
    checks = {
        "small_like_dmmse": small.fresh.dpmse_to_dmmse < small.fresh.dpmse_to_ridge,
        "small_fails_fresh": ratios[0] >= P.small_fresh_min,
        "large_generalises": ratios[-1] <= P.large_fresh_max,
        "large_no_gap": ratios[-1] <= P.gap_max * fits[-1],
        "large_like_ridge": large.fresh.dpmse_to_ridge <= P.ridge_close * small.fresh.dmmse_dpmse_to_ridge,
        "trend": all(b <= a + P.trend_slack for a, b in zip(ratios, ratios[1:], strict=False)),
        "uses_context": large.fresh_shuffled_mse >= P.shuffled_min * large.fresh.mse,
    }
    beats = [a.n_tasks for a in result.arms[1:] if a.fresh.dmmse_mse >= P.beats_margin * a.fresh.ridge_mse and a.fresh.mse < a.fresh.dmmse_mse]
    numbers["fresh_over_own_dmmse"] = [a.fresh.mse / a.fresh.dmmse_mse for a in result.arms]
    numbers["arms_beating_own_dmmse"] = beats
    if P.require_beats_dmmse:
        checks["beats_dmmse"] = bool(beats)
    inconclusive = None
    if fits[0] > P.fit_max:
        inconclusive = f"the M={small.n_tasks} arm did not fit its pretraining tasks ({fits[0]:.2f} x dMMSE > {P.fit_max}): undertrained"
    elif not checks["large_generalises"] and fits[-1] > P.large_fresh_max:
        inconclusive = f"the M={large.n_tasks} arm is at {ratios[-1]:.2f} x ridge on fresh tasks but also at {fits[-1]:.2f} x dMMSE on its own tasks: undertrained, raise steps (or run `full`)"
    return decide(checks, numbers, inconclusive)
