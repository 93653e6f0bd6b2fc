"""Grokking on modular addition (Nanda, Chan, Lieberum, Smith, Steinhardt 2023, "Progress
measures for grokking via mechanistic interpretability", arXiv 2301.05217).

A one-layer transformer (no LayerNorm, ReLU MLP, untied embeddings) is trained full-batch with
AdamW on (x + y) mod p from the input [x, y, =], loss on the last position. Two arms share a seed,
a data split, an initialisation and a step budget:
  * `wd`      weight_decay = params.weight_decay (1.0): memorises early, generalises much later;
  * `control` weight_decay = params.control_weight_decay (0.0): the negative control, memorises
              but does not generalise within the same budget.
Mechanism measures follow the paper's code (progress-measures-paper, transformers.py):
  * key frequencies = the set of each MLP neuron's best frequency in a 2-D Fourier fit of its
    activations over all p^2 inputs (`calculate_key_freqs`);
  * excluded loss = train loss after removing the cos/sin(w(x+y)) components of the logits for
    every key frequency at once (paper Sec. 5; the code's per-frequency row is kept too);
  * restricted loss = loss with only the key-frequency components kept (plus a bias correction);
  * the share of W_E's squared norm in its top `n_top_freqs` Fourier frequencies.

Verdict rule (thresholds are Params fields, defaults in brackets):
  S1 = first evaluated step with train acc >= 0.99, S2 = first with test acc >= 0.95 (wd arm).
  inconclusive    if either arm never memorises (train acc < 0.99 at its last step): the
                  experiment did not reach the regime the claim is about; or if the wd arm has
                  not generalised but its test acc rose by >= 0.1 over the last quarter of the
                  budget (still climbing: the budget, not the claim, ran out).
  reproduced      if all hold:
    memorises       S1 <= memorise_by [500]
    groks           S2 exists (within max_steps)
    delayed         S2 >= delay_factor * S1 [3]
    control_fails   control arm's final test acc < 0.95 and its best test acc < 0.95
    fourier         wd arm's W_E top-`n_top_freqs` Fourier share >= fourier_share_min [0.75]
    excluded        wd arm's final excluded loss >= excluded_ratio_min [100] x its train loss
  not-reproduced  otherwise (the failed checks are named).
"""

from __future__ import annotations

import math
import random
import time
from typing import Annotated

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator

from repro.core import Context, Verdict, decide, first_step, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    p: int = Field(53, ge=5, le=1000, description="modulus (prime); Nanda uses 113")
    frac_train: float = Field(0.5, gt=0, lt=1, description="fraction of the p^2 pairs trained on")
    d_model: int = Field(64, ge=4, le=1024)
    n_heads: int = Field(4, ge=1, le=32)
    d_mlp: int = Field(256, ge=4, le=4096)
    lr: float = Field(3e-3, gt=0, le=1)
    weight_decay: float = Field(1.0, ge=0, le=100, description="the grokking arm")
    control_weight_decay: float = Field(0.0, ge=0, le=100, description="the negative-control arm")
    betas: tuple[Annotated[float, Field(ge=0, lt=1)], Annotated[float, Field(ge=0, lt=1)]] = (0.9, 0.98)
    warmup_steps: int = Field(10, ge=0, le=100_000, description="linear warmup, min(step/10, 1) as in the paper")
    max_steps: int = Field(3000, ge=1, le=200_000, description="step budget S_max, the same for both arms")
    eval_every: int = Field(50, ge=1, le=200_000, description="train/test loss and accuracy every N steps")
    fourier_every: int = Field(250, ge=1, le=200_000, description="key freqs, excluded/restricted loss every N")
    stop_after_grok: int = Field(300, ge=0, le=200_000, description="wd arm stops this long after test acc >= .99")
    n_top_freqs: int = Field(5, ge=1, le=50)
    # verdict thresholds
    memorise_by: int = Field(500, ge=1, le=200_000)
    delay_factor: float = Field(3.0, gt=0, le=1000)
    fourier_share_min: float = Field(0.75, ge=0, le=1)
    excluded_ratio_min: float = Field(100.0, gt=0, le=1_000_000)

    @model_validator(mode="after")
    def _heads_divide_width(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")
        return self


PRESETS: dict[str, dict] = {
    # 2 CPU cores, about a minute: groks at 800-1050 steps on most seeds, some need ~2000+.
    "smoke": dict(timeout_s=600),
    # Nanda et al. exactly, one GPU: p=113, 30% train, d=128, lr 1e-3; stop 2k steps after grokking.
    "full": dict(
        p=113, frac_train=0.3, d_model=128, n_heads=4, d_mlp=512, lr=1e-3, max_steps=25_000, eval_every=100, fourier_every=1000, stop_after_grok=2000, memorise_by=1500, num_gpus=1, timeout_s=1800
    ),
}


# What `kg runs show` plots (one panel per entry).
PLOT = [
    {"title": "accuracy", "y": ["train_acc", "test_acc"], "group": "arm"},
    {"title": "loss (train, test, excluded)", "y": ["train_loss", "test_loss", "excluded_loss"], "group": "arm"},
]

# ---------------------------------------------------------------------------------------------
# Result: what `run` returns and `verdict` reads (stored as result.json, so the names are the JSON keys)


class Arm(BaseModel):
    """One training arm, measured at its last step (first-step fields are None if never reached)."""

    model_config = ConfigDict(extra="forbid")
    weight_decay: float
    steps: int
    seconds: float
    memorised_at: int | None  # S1: first evaluated step with train acc >= 0.99
    generalised_at: int | None  # S2: first evaluated step with test acc >= 0.95
    final_train_acc: float
    final_test_acc: float
    final_train_loss: float
    final_test_loss: float
    best_test_acc: float
    test_acc_at_75pct: float  # at 3/4 of the steps run: is test acc still climbing?
    fourier_top_share: float
    neuron_top_freq_share: float
    key_freqs: list[int]
    excluded_loss: float
    excluded_loss_per_freq: list[float]
    restricted_loss: float


class Arms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wd: Arm
    control: Arm


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    arms: Arms
    steps: int  # both arms together


# ---------------------------------------------------------------------------------------------
# Data and model


def make_split(p: int, frac_train: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Index tensors into the p*p pairs (row x*p + y), shuffled with Python's random.seed(seed)
    like the paper's gen_train_test, so the split depends on the seed."""
    pairs = list(range(p * p))
    random.seed(seed)
    random.shuffle(pairs)
    cut = int(frac_train * len(pairs))
    return torch.tensor(sorted(pairs[:cut])), torch.tensor(sorted(pairs[cut:]))


class OneLayerTransformer(torch.nn.Module):
    """Nanda's architecture and init. Only the last ('=') query position is computed: the loss
    reads out nothing else, and with causal attention the other positions cannot affect it."""

    def __init__(self, p: int, d_model: int, n_heads: int, d_mlp: int):
        super().__init__()
        d_vocab, self.n_heads, self.d_head = p + 1, n_heads, d_model // n_heads
        r = lambda *shape, fan: torch.nn.Parameter(torch.randn(*shape) / math.sqrt(fan))
        self.W_E = r(d_vocab, d_model, fan=d_model)
        self.W_pos = r(3, d_model, fan=d_model)
        self.W_Q = r(d_model, n_heads * self.d_head, fan=d_model)
        self.W_K = r(d_model, n_heads * self.d_head, fan=d_model)
        self.W_V = r(d_model, n_heads * self.d_head, fan=d_model)
        self.W_O = r(n_heads * self.d_head, d_model, fan=d_model)
        self.W_in = r(d_model, d_mlp, fan=d_model)
        self.b_in = torch.nn.Parameter(torch.zeros(d_mlp))
        self.W_out = r(d_mlp, d_model, fan=d_model)
        self.b_out = torch.nn.Parameter(torch.zeros(d_model))
        self.W_U = r(d_model, d_vocab, fan=d_vocab)  # the paper scales W_U by 1/sqrt(d_vocab)

    def forward(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """tokens [B, 3] -> (logits [B, p+1] at the last position, MLP neuron activations [B, d_mlp])."""
        B, H, dh = tokens.shape[0], self.n_heads, self.d_head
        h = self.W_E[tokens] + self.W_pos  # [B, 3, d]
        q = (h[:, -1] @ self.W_Q).view(B, H, dh)  # the '=' query only
        k = (h @ self.W_K).view(B, 3, H, dh)
        v = (h @ self.W_V).view(B, 3, H, dh)
        attn = torch.einsum("bhd,bphd->bhp", q, k).div(math.sqrt(dh)).softmax(-1)
        z = torch.einsum("bhp,bphd->bhd", attn, v).reshape(B, H * dh)
        resid = h[:, -1] + z @ self.W_O
        neurons = F.relu(resid @ self.W_in + self.b_in)
        resid = resid + neurons @ self.W_out + self.b_out
        return resid @ self.W_U, neurons


def cross_entropy64(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    # float64: float32 log-softmax saturates at ~1e-7 and gives late-training loss spikes.
    return F.cross_entropy(logits.double(), labels)


# ---------------------------------------------------------------------------------------------
# Fourier measures (after progress-measures-paper transformers.py / helpers.py)


def fourier_basis(p: int, device) -> torch.Tensor:
    """[p, p] orthonormal rows: const, cos 1, sin 1, ..., cos p//2, sin p//2 (make_fourier_basis)."""
    x = torch.arange(p, dtype=torch.float64, device=device)
    rows = [torch.ones(p, dtype=torch.float64, device=device)]
    for f in range(1, p // 2 + 1):
        rows += [torch.cos(2 * math.pi * f * x / p), torch.sin(2 * math.pi * f * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


def embedding_freq_norms(W_E: torch.Tensor, basis: torch.Tensor, p: int) -> torch.Tensor:
    """Squared norm of W_E (number tokens only) at each frequency 1..p//2."""
    coef = (basis @ W_E[:p].double()).pow(2).sum(-1)  # [p] per basis row
    return coef[1::2] + coef[2::2]  # cos f + sin f


def key_freqs(neurons: torch.Tensor, basis: torch.Tensor, p: int) -> tuple[list[int], np.ndarray]:
    """calculate_key_freqs, vectorised: each neuron's best frequency is the one whose constant,
    linear and quadratic 2-D Fourier terms (a 3x3 block) explain most of its centred activation
    over all p^2 inputs; the key frequencies are the distinct best frequencies. As in the paper's
    code, frequencies run over 1..p//2 - 1."""
    acts = neurons.double() - neurons.double().mean(0, keepdim=True)
    acts = acts.view(p, p, -1)
    four = torch.einsum("xym,fx,gy->fgm", acts, basis, basis).pow(2)  # [p, p, m]
    freqs = torch.arange(1, p // 2)
    idx = torch.stack([torch.zeros_like(freqs), 2 * freqs - 1, 2 * freqs], 1).to(four.device)
    block = four[idx[:, :, None], idx[:, None, :]].sum((1, 2))  # [n_freqs, m]
    frac = block / four.sum((0, 1)).clamp_min(1e-30)
    best = freqs[frac.argmax(0).cpu()].numpy()
    return sorted(set(int(f) for f in best)), best


def xpy_directions(freq: int, basis: torch.Tensor) -> torch.Tensor:
    """The two unit vectors in R^(p^2) for cos(w(x+y)) and sin(w(x+y)) (get_component_*_xpy)."""
    c, s = basis[2 * freq - 1], basis[2 * freq]
    cos_xpy = (torch.outer(c, c) - torch.outer(s, s)).flatten() / math.sqrt(2)
    sin_xpy = (torch.outer(s, c) + torch.outer(c, s)).flatten() / math.sqrt(2)
    return torch.stack([cos_xpy, sin_xpy])


def progress_measures(logits: torch.Tensor, labels: torch.Tensor, is_train: torch.Tensor, freqs: list[int], basis: torch.Tensor) -> dict:
    """Excluded loss (all key freqs removed, train set), per-frequency excluded loss (the code's
    row), and restricted loss (only key freqs kept, bias-corrected, all inputs)."""
    logits = logits.double()  # [p^2, p]
    dirs = torch.cat([xpy_directions(f, basis) for f in freqs]) if freqs else logits.new_zeros(0, len(labels))
    comps = dirs.T @ (dirs @ logits)  # key-frequency part of the logits
    excluded = cross_entropy64((logits - comps)[is_train], labels[is_train]).item()
    per_freq = []
    for i, _ in enumerate(freqs):
        d = dirs[2 * i : 2 * i + 2]
        per_freq.append(cross_entropy64((logits - d.T @ (d @ logits))[is_train], labels[is_train]).item())
    restricted_logits = comps + (logits - comps).mean(0, keepdim=True)
    restricted = cross_entropy64(restricted_logits, labels).item()
    return {"excluded_loss": excluded, "excluded_loss_per_freq": per_freq, "restricted_loss": restricted}


# ---------------------------------------------------------------------------------------------
# Training


def train_arm(arm: str, wd: float, params: Params, ctx: Context, stop_early: bool, step_offset: int, total_steps: int) -> Arm:
    P, dev = params, ctx.device
    seed_everything(ctx.seed)  # same init and split for both arms
    train_idx, test_idx = make_split(P.p, P.frac_train, ctx.seed)
    xs, ys = torch.arange(P.p).repeat_interleave(P.p), torch.arange(P.p).repeat(P.p)
    all_tokens = torch.stack([xs, ys, torch.full_like(xs, P.p)], 1).to(dev)
    all_labels = ((xs + ys) % P.p).to(dev)
    is_train = torch.zeros(P.p * P.p, dtype=torch.bool, device=dev)
    is_train[train_idx.to(dev)] = True
    train_tokens, train_labels = all_tokens[is_train], all_labels[is_train]
    basis = fourier_basis(P.p, dev)

    model = OneLayerTransformer(P.p, P.d_model, P.n_heads, P.d_mlp).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=P.lr, weight_decay=wd, betas=P.betas)
    warm = max(P.warmup_steps, 1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(s / warm, 1.0))

    def evaluate(step: int, fourier: bool) -> dict:
        with torch.no_grad():
            logits, neurons = model(all_tokens)
            loss_tr = cross_entropy64(logits[is_train], all_labels[is_train]).item()
            loss_te = cross_entropy64(logits[~is_train], all_labels[~is_train]).item()
            correct = logits[:, : P.p].argmax(-1) == all_labels
            row = dict(arm=arm, step=step, train_loss=loss_tr, test_loss=loss_te, train_acc=correct[is_train].float().mean().item(), test_acc=correct[~is_train].float().mean().item())
            if fourier:
                norms = embedding_freq_norms(model.W_E, basis, P.p)
                total = (basis @ model.W_E[: P.p].double()).pow(2).sum().item()
                row["fourier_top_share"] = norms.topk(min(P.n_top_freqs, len(norms))).values.sum().item() / total
                freqs, best = key_freqs(neurons, basis, P.p)
                counts = np.bincount(best, minlength=P.p // 2)
                row["n_key_freqs"] = len(freqs)
                row["neuron_top_freq_share"] = float(np.sort(counts)[::-1][: P.n_top_freqs].sum() / len(best))
                pm = progress_measures(logits[:, : P.p], all_labels, is_train, freqs, basis)
                row.update(excluded_loss=pm["excluded_loss"], restricted_loss=pm["restricted_loss"])
                row["_key_freqs"] = freqs
                row["_excluded_loss_per_freq"] = pm["excluded_loss_per_freq"]
        return row

    rows, grokked_at, t0 = [], None, time.perf_counter()
    last_step = P.max_steps
    for step in range(P.max_steps + 1):
        if step % P.eval_every == 0 or step == P.max_steps:
            row = evaluate(step, fourier=(step % P.fourier_every == 0 or step == P.max_steps))
            extra = {k: row.pop(k) for k in list(row) if k.startswith("_")}
            ctx.metric(**row)
            rows.append({**row, **extra})
            if grokked_at is None and row["test_acc"] >= 0.99:
                grokked_at = step
            if stop_early and grokked_at is not None and step >= grokked_at + P.stop_after_grok:
                last_step = step
                break
        if step == P.max_steps:
            break
        logits, _ = model(train_tokens)
        loss = cross_entropy64(logits, train_labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        ctx.progress(step_offset + step + 1, total_steps, note=arm)

    if "fourier_top_share" not in rows[-1]:  # stopped early between Fourier evals
        row = evaluate(last_step, fourier=True)
        extra = {k: row.pop(k) for k in list(row) if k.startswith("_")}
        ctx.metric(**row)
        rows[-1] = {**row, **extra}
    final = rows[-1]
    return Arm(
        weight_decay=wd,
        steps=last_step,
        seconds=time.perf_counter() - t0,
        memorised_at=first_step(rows, "train_acc", 0.99),
        generalised_at=first_step(rows, "test_acc", 0.95),
        final_train_acc=final["train_acc"],
        final_test_acc=final["test_acc"],
        final_train_loss=final["train_loss"],
        final_test_loss=final["test_loss"],
        best_test_acc=max(r["test_acc"] for r in rows),
        test_acc_at_75pct=next(r["test_acc"] for r in rows if r["step"] >= 0.75 * last_step),
        fourier_top_share=final["fourier_top_share"],
        neuron_top_freq_share=final["neuron_top_freq_share"],
        key_freqs=final["_key_freqs"],
        excluded_loss=final["excluded_loss"],
        excluded_loss_per_freq=final["_excluded_loss_per_freq"],
        restricted_loss=final["restricted_loss"],
    )


def run(params: Params, ctx: Context) -> Result:
    total = 2 * params.max_steps
    ctx.log(f"grokking p={params.p} frac={params.frac_train} d={params.d_model} on {ctx.device}")
    wd = train_arm("wd", params.weight_decay, params, ctx, stop_early=True, step_offset=0, total_steps=total)
    # The wd arm usually stops early; let the bar continue from its budget, not its stop step.
    control = train_arm("control", params.control_weight_decay, params, ctx, stop_early=False, step_offset=params.max_steps, total_steps=total)
    return Result(params=params, arms=Arms(wd=wd, control=control), steps=wd.steps + control.steps)


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, wd, ctl = result.params, result.arms.wd, result.arms.control
    S1, S2 = wd.memorised_at, wd.generalised_at
    ratio = wd.excluded_loss / max(wd.final_train_loss, 1e-12)
    numbers = dict(
        S1_memorised=S1,
        S2_generalised=S2,
        delay=(S2 / max(S1, 1)) if S1 is not None and S2 is not None else None,
        wd_final_test_acc=wd.final_test_acc,
        control_final_test_acc=ctl.final_test_acc,
        control_best_test_acc=ctl.best_test_acc,
        control_final_train_acc=ctl.final_train_acc,
        control_final_test_loss=ctl.final_test_loss,
        wd_fourier_top_share=wd.fourier_top_share,
        control_fourier_top_share=ctl.fourier_top_share,
        wd_key_freqs=wd.key_freqs,
        wd_excluded_over_train_loss=ratio,
        budget=P.max_steps,
    )
    inconclusive = None
    climb = wd.final_test_acc - wd.test_acc_at_75pct
    numbers["wd_test_acc_climb_last_quarter"] = climb
    if S1 is None or ctl.memorised_at is None:
        inconclusive = "an arm never memorised the training set (train acc < 0.99), so the budget is too short to judge"
    elif S2 is None and climb >= 0.1:
        inconclusive = f"the wd arm has not generalised yet but its test acc is still climbing (+{climb:.2f} over the last quarter): raise max_steps"
    checks = {
        "memorises": S1 is not None and S1 <= P.memorise_by,
        "groks": S2 is not None,
        "delayed": S1 is not None and S2 is not None and S2 >= P.delay_factor * S1,
        "control_fails": ctl.final_test_acc < 0.95 and ctl.best_test_acc < 0.95,
        "fourier": wd.fourier_top_share >= P.fourier_share_min,
        "excluded": ratio >= P.excluded_ratio_min,
    }
    return decide(checks, numbers, inconclusive)


if __name__ == "__main__":
    import sys

    from repro.core import main

    sys.exit(main(sys.modules[__name__]))
