"""Grokking beyond algorithmic data: a large initialisation makes an MLP memorise first and
generalise much later (Liu, Michaud, Tegmark 2022, "Omnigrok: Grokking Beyond Algorithmic Data",
arXiv 2210.01117, Sec. 3.1, MNIST with a small training set; here on scikit-learn's bundled
8x8 digits).

An MLP (ReLU, MSE loss on one-hot targets, full batch, AdamW) is trained on a small training
set. Every initial parameter is the PyTorch default draw multiplied by an init scale alpha.
The paper: with a large alpha the network fits the training set quickly while test accuracy
stays low, then weight decay slowly shrinks the weight norm towards the "Goldilocks" norm and
test accuracy rises long after memorisation (grokking); at the standard scale it generalises
without delay, and without weight decay the large-init network stays where it is.

Arms, trained side by side as one stacked model (same data, same seed, same steps):
  * `alpha=A`   one arm per alpha in params.alphas with weight decay; alphas[0] is the standard
                scale (1), alphas[-1] the large one;
  * `control`   alpha = alphas[-1] without weight decay: the negative control, must not generalise.

Measures: train/test accuracy every eval_every steps; S_mem = first step with train acc >= 0.99;
the reference = the standard arm's final test acc; S_gen = first step with test acc >=
reference - gen_gap [0.05]; delay = S_gen / S_mem; the L2 norm of all parameters.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    if an arm never memorises (train acc < 0.99 at the end) or the standard arm
                  generalises poorly (reference < min_reference [0.8]): the setting is broken, not
                  the claim; or if the large arm has not generalised but its test acc rose by
                  >= 0.1 over the last quarter (still climbing: the budget ran out).
  reproduced      if all hold:
    memorises_first     large arm: test acc at S_mem <= reference - mem_gap [0.30]
    delayed             large arm: S_gen exists and delay >= delay_min [3]
    catches_up          large arm: final test acc >= reference - gen_gap
    standard_prompt     standard arm: delay <= standard_delay_max [2]
    control_fails       control: best test acc (after its S_mem) < reference - control_gap [0.10]
    norm_shrinks        large arm: final/initial parameter norm <= shrink_max [0.5], while the
                        control's stays >= 0.8 (the paper's mechanism: the norm, not the step count)
    later_with_alpha    S_gen does not come earlier as alpha rises over the weight-decay arms
                        (never = latest); the delay *ratio* need not grow: from some alpha on,
                        memorising itself waits for weight decay, so S_mem grows too
  not-reproduced  otherwise (the failed checks are named).

Measured (smoke, seeds 0/1/2): reproduced on all three. alpha=6 memorises at step 1100/800/700
with test acc 0.17/0.15/0.17 and generalises at 5800/6000/5500 (delay 5.3/7.5/7.9; final 0.955/
0.939/0.949 against a reference of 0.963/0.964/0.963); its parameter norm falls 57 -> 15. The
control memorises and stays at 0.15/0.14/0.13 test acc with its norm at 55. 55-68 CPU s.
Pixels are standardised: on raw pixels / 16 (the first trial) memorising waited for weight decay
(step ~2000, test acc 0.42 by then) and the delay was only 2.3-2.7. Alpha is a knob: at alpha=8
memorising itself waits for the norm to fall (step 1700), at alpha=4 the delay ratio was 11.7.
"""

from __future__ import annotations

import math
import time
from typing import Annotated

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    n_train: int = Field(300, ge=10, le=1700, description="training examples; the rest of the 1797 are the test set")
    width: int = Field(128, ge=4, le=4096)
    depth: int = Field(3, ge=2, le=16, description="number of linear layers")
    alphas: list[Annotated[float, Field(gt=0, le=1000)]] = Field([1.0, 6.0], min_length=2, max_length=16, description="init scales, ascending; [0] standard, [-1] large")
    lr: float = Field(2e-3, gt=0, le=1)
    weight_decay: float = Field(0.1, gt=0, le=100)
    steps: int = Field(7000, ge=1, le=500_000)
    eval_every: int = Field(100, ge=1, le=500_000)
    # verdict thresholds
    gen_gap: float = Field(0.05, ge=0, le=1)
    mem_gap: float = Field(0.30, ge=0, le=1)
    delay_min: float = Field(3.0, gt=0, le=1000)
    standard_delay_max: float = Field(2.0, gt=0, le=1000)
    control_gap: float = Field(0.10, ge=0, le=1)
    shrink_max: float = Field(0.5, gt=0, le=100)
    min_reference: float = Field(0.8, ge=0, le=1)

    @model_validator(mode="after")
    def _ascending(self):
        if list(self.alphas) != sorted(set(self.alphas)):
            raise ValueError("alphas must be distinct and ascending")
        return self


PRESETS: dict[str, dict] = {
    # 2 CPU cores, one thread: 3 stacked arms x 7000 full-batch steps, about a minute.
    "smoke": dict(timeout_s=600),
    # One GPU: the paper's MLP (width 200, 3 layers), 1000 training digits, an alpha sweep, 100k
    # steps at lr x weight decay 6.7x smaller than smoke, so every time scale stretches (5 stacked
    # arms, launch-bound: about 2-5 min on one GPU, estimated, not yet run; hours on 2 CPU cores).
    "full": dict(n_train=1000, width=200, depth=3, alphas=[1.0, 2.0, 4.0, 8.0], lr=1e-3, weight_decay=0.03, steps=100_000, eval_every=250, num_gpus=1, timeout_s=3600),
}

PLOT = [
    {"title": "test accuracy", "y": ["test_acc"], "group": "arm"},
    {"title": "train accuracy", "y": ["train_acc"], "group": "arm"},
    {"title": "parameter norm", "y": ["param_norm"], "group": "arm"},
]

# ---------------------------------------------------------------------------------------------
# Data and model


def load_digits_split(n_train: int, seed: int) -> tuple[torch.Tensor, ...]:
    """scikit-learn's bundled 8x8 digits (1797 images, no download), split by a seeded
    permutation, each pixel standardised with the training set's mean and standard deviation."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.target))
    x = torch.tensor(digits.data[order], dtype=torch.float32)
    y = torch.tensor(digits.target[order], dtype=torch.long)
    mean, std = x[:n_train].mean(0), x[:n_train].std(0).clamp_min(1.0)  # constant pixels stay 0
    x = (x - mean) / std
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


class StackedMLP(torch.nn.Module):
    """n_arms independent ReLU MLPs evaluated in one batched matmul per layer. Arm a starts from
    PyTorch's default Linear draw (uniform +-1/sqrt(fan_in), weights and biases), times alpha[a]."""

    def __init__(self, sizes: list[int], alphas: list[float]):
        super().__init__()
        A = len(alphas)
        scale = torch.tensor(alphas, dtype=torch.float32)
        self.weights, self.biases = torch.nn.ParameterList(), torch.nn.ParameterList()
        for fan_in, fan_out in zip(sizes, sizes[1:], strict=False):
            bound = 1 / math.sqrt(fan_in)
            w = torch.empty(A, fan_in, fan_out).uniform_(-bound, bound) * scale[:, None, None]
            b = torch.empty(A, 1, fan_out).uniform_(-bound, bound) * scale[:, None, None]
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(b))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x [N, in] -> [A, N, out]
        h = x.expand(len(self.weights[0]), *x.shape)
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=False)):
            h = torch.baddbmm(b, h, w)
            if i < len(self.weights) - 1:
                h = torch.relu(h)
        return h

    def arm_norms(self) -> torch.Tensor:  # [A] L2 norm of each arm's parameters
        return torch.sqrt(torch.stack([p.detach().pow(2).flatten(1).sum(1) for p in self.parameters()]).sum(0))


# ---------------------------------------------------------------------------------------------
# Results


class ArmResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    alpha: float
    weight_decay: float
    memorised_at: int | None = Field(description="first step with train acc >= 0.99")
    generalised_at: int | None = Field(description="first step with test acc >= reference - gen_gap")
    test_acc_at_memorisation: float | None
    final_train_acc: float
    final_test_acc: float
    best_test_acc_after_memorisation: float | None
    test_acc_at_75pct: float
    norm_initial: float
    norm_final: float

    @property
    def delay(self) -> float | None:
        if self.memorised_at is None or self.generalised_at is None:
            return None
        return self.generalised_at / max(self.memorised_at, 1)


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    reference_test_acc: float = Field(description="the standard arm's final test acc")
    arms: list[ArmResult] = Field(description="the weight-decay arms by ascending alpha, then the control")
    steps: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# The job


def run(params: Params, ctx: Context) -> Result:
    P, dev, t0 = params, ctx.device, time.perf_counter()
    seed_everything(ctx.seed)
    x_tr, y_tr, x_te, y_te = (t.to(dev) for t in load_digits_split(P.n_train, ctx.seed))
    target = torch.nn.functional.one_hot(y_tr, 10).float()
    names = [f"alpha={a:g}" for a in P.alphas] + ["control"]
    alphas = list(P.alphas) + [P.alphas[-1]]
    decay = torch.tensor([P.weight_decay] * len(P.alphas) + [0.0], device=dev)
    ctx.log(f"omnigrok on digits: {P.n_train} train / {len(y_te)} test, arms {names}, on {dev}")

    model = StackedMLP([64] + [P.width] * (P.depth - 1) + [10], alphas).to(dev)
    # Adam is elementwise, so one optimiser over the stacked tensors trains each arm exactly as on
    # its own. Weight decay differs per arm, so it is applied here, decoupled as in AdamW.
    opt = torch.optim.Adam(model.parameters(), lr=P.lr)

    rows: list[list[dict]] = [[] for _ in names]
    norm0 = model.arm_norms()
    for step in range(P.steps + 1):
        if step % P.eval_every == 0 or step == P.steps:
            with torch.no_grad():
                tr = (model(x_tr).argmax(-1) == y_tr).float().mean(1)
                te = (model(x_te).argmax(-1) == y_te).float().mean(1)
                norms = model.arm_norms()
            for a, name in enumerate(names):
                row = dict(arm=name, step=step, train_acc=tr[a].item(), test_acc=te[a].item(), param_norm=norms[a].item())
                rows[a].append(row)
                ctx.metric(**row)
        if step == P.steps:
            break
        loss = (model(x_tr) - target).pow(2).sum(-1).mean(-1).sum()  # MSE per arm, summed over arms
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(1 - P.lr * decay.view(-1, *[1] * (p.dim() - 1)))
        opt.step()
        ctx.progress(step + 1, P.steps)

    reference = rows[0][-1]["test_acc"]
    arms = [summarise(name, alpha, decay[a].item(), rows[a], reference, P, norm0[a].item()) for a, (name, alpha) in enumerate(zip(names, alphas, strict=False))]
    return Result(params=P, reference_test_acc=reference, arms=arms, steps=P.steps, seconds=time.perf_counter() - t0)


def summarise(name: str, alpha: float, wd: float, rows: list[dict], reference: float, P: Params, norm_initial: float) -> ArmResult:
    mem = next((r for r in rows if r["train_acc"] >= 0.99), None)
    gen = next((r for r in rows if r["test_acc"] >= reference - P.gen_gap), None)
    after = [r["test_acc"] for r in rows if mem is not None and r["step"] >= mem["step"]]
    return ArmResult(
        name=name,
        alpha=alpha,
        weight_decay=wd,
        memorised_at=mem["step"] if mem else None,
        generalised_at=gen["step"] if gen else None,
        test_acc_at_memorisation=mem["test_acc"] if mem else None,
        final_train_acc=rows[-1]["train_acc"],
        final_test_acc=rows[-1]["test_acc"],
        best_test_acc_after_memorisation=max(after) if after else None,
        test_acc_at_75pct=next(r["test_acc"] for r in rows if r["step"] >= 0.75 * rows[-1]["step"]),
        norm_initial=norm_initial,
        norm_final=rows[-1]["param_norm"],
    )


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, ref = result.params, result.reference_test_acc
    wd_arms, control = result.arms[:-1], result.arms[-1]
    standard, large = wd_arms[0], wd_arms[-1]
    delays = [a.delay for a in wd_arms]
    gen_steps = [a.generalised_at if a.generalised_at is not None else math.inf for a in wd_arms]
    climb = large.final_test_acc - large.test_acc_at_75pct
    numbers = dict(
        reference_test_acc=ref,
        alphas=[a.alpha for a in wd_arms],
        delays=delays,
        memorised_at=[a.memorised_at for a in result.arms],
        generalised_at=[a.generalised_at for a in result.arms],
        large_test_acc_at_memorisation=large.test_acc_at_memorisation,
        large_final_test_acc=large.final_test_acc,
        control_final_test_acc=control.final_test_acc,
        control_best_test_acc=control.best_test_acc_after_memorisation,
        control_final_train_acc=control.final_train_acc,
        large_norm=[large.norm_initial, large.norm_final],
        control_norm=[control.norm_initial, control.norm_final],
        large_test_acc_climb_last_quarter=climb,
    )
    checks = {
        "memorises_first": large.test_acc_at_memorisation is not None and large.test_acc_at_memorisation <= ref - P.mem_gap,
        "delayed": large.delay is not None and large.delay >= P.delay_min,
        "catches_up": large.final_test_acc >= ref - P.gen_gap,
        "standard_prompt": standard.delay is not None and standard.delay <= P.standard_delay_max,
        "control_fails": control.best_test_acc_after_memorisation is not None and control.best_test_acc_after_memorisation < ref - P.control_gap,
        "norm_shrinks": large.norm_final <= P.shrink_max * large.norm_initial and control.norm_final >= 0.8 * control.norm_initial,
        "later_with_alpha": all(b >= a for a, b in zip(gen_steps, gen_steps[1:], strict=False)),
    }
    inconclusive = None
    if any(a.memorised_at is None for a in result.arms):
        inconclusive = "an arm never reached train acc 0.99: the budget or the setting is broken"
    elif ref < P.min_reference:
        inconclusive = f"the standard arm reaches only {ref:.2f} test acc: the setting does not learn digits"
    elif large.generalised_at is None and climb >= 0.1:
        inconclusive = f"the large-init arm is still climbing (+{climb:.2f} over the last quarter): raise steps"
    return decide(checks, numbers, inconclusive)
