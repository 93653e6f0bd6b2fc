"""The local learning coefficient of deep linear networks (Lau, Furman, Wang, Murfet, Wei 2023,
"The Local Learning Coefficient: A Singularity-Aware Complexity Measure", arXiv 2308.12108,
Sec. 6 and Fig. 3; scaled up in Furman & Lau 2024, arXiv 2402.03698, Fig. 1).

Singular learning theory measures a model's effective complexity at a solution by its learning
coefficient lambda. For a regular model lambda = d/2 (d = number of parameters); for a singular
one, such as a deep linear network (DLN) whose weight matrices multiply to a low-rank product,
lambda is smaller, and for DLNs it is known exactly (Aoyagi 2024's formula, `aoyagi_lambda`). The
paper estimates the *local* learning coefficient with SGLD on the tempered posterior localised at
w*:  lambda_hat(w*) = n*beta * (E_w[L_n(w)] - L_n(w*)),  n*beta = n / ln n, and finds that the
estimate tracks the theoretical value and sits far below d/2.

Each network (written `widths:rank`, e.g. `6-4-6:2` = 6 inputs, one hidden layer of 4, 6 outputs,
true product of rank 2) gets a true parameter w* with every layer of rank exactly r, n Gaussian
inputs and targets y = W* x (+ optional label noise). The estimator is devinterp's SGLD sampler
(`SGMCMC.sgld`, localisation gamma, inverse temperature n*beta) in our own loop; all chains of one
network are stacked into one batched model (one sampler step moves every chain). Two details
matter (measured, see ../shared/notes/repro-v2.md): each step's loss difference is taken on the
same minibatch at w and at w* (otherwise minibatch noise swamps it), and w* is first moved to
the empirical minimum by full-batch gradient descent (only matters with label noise; the
default is noiseless targets, which have the same population loss K(w) and so the same lambda).
Sampler settings (measured on seed 0, 4 chains): the trials' localisation gamma = 10 with step
3e-5 read the most singular networks far low (4-6-6-4:1 at 0.53 of theory, 8-8-8-8:2 at 0.77);
gamma = 1 with step 5e-5 and 4,000 steps reads, on seeds 0 / 1 / 2 (6-4-6:2, 8-8-8-8:2, 4-6-6-4:1,
5-5-5:1), 1.03 1.09 0.73 0.88 / 0.98 0.94 0.89 0.86 / 0.93 1.06 0.81 0.89 of theory, and the
control 1.01 / 0.98 / 0.98 of d/2; the DLNs sit at 0.14-0.58 of d/2.

Negative control, in the same run: a single linear layer (`control`, a regular model) at a
low-rank point. Its learning coefficient is d/2 whatever the rank, so its estimate must sit at
d/2: the "far below d/2" property must fail for it.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    if the control's estimate is outside d/2 +- control_tol [15%]: the estimator is
                  not calibrated at this step size / temperature, so the DLN numbers mean nothing;
                  or if any estimate is not finite (the chains diverged).
  reproduced      if all hold:
    below_regular   every DLN estimate is nearer Aoyagi's lambda than d/2 (below the midpoint),
                    and on average they sit <= max_frac_of_half_d [0.6] x d/2 (per network, a
                    flat cut would fail shapes whose own lambda is 0.56 d/2, like 6-4-6:2);
    near_theory     every DLN estimate within +- theory_tol [35%] of Aoyagi's lambda;
    tracks_theory   Spearman rank correlation of DLN estimates with theory >= min_rank_corr [0.8].
  not-reproduced  otherwise (the failed checks are named).
The rank-0 point (w* = 0) is left out of the default arms: its estimate needs far longer chains
(31-37% low at smoke length in the trials).
"""

from __future__ import annotations

import math
import time
from typing import Annotated

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, field_validator

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


NET_SPEC = r"^\d{1,4}(-\d{1,4}){1,15}:\d{1,4}$"  # widths:rank, at most 16 widths of 4 digits
MAX_WIDTH = 1000


def parse_net(spec: str) -> tuple[list[int], int]:
    """'6-4-6:2' -> ([6, 4, 6], 2): layer widths from input to output, and the true rank."""
    try:
        widths_s, rank_s = spec.split(":")
        widths, rank = [int(w) for w in widths_s.split("-")], int(rank_s)
    except ValueError:
        raise ValueError(f"network {spec!r} must look like '6-4-6:2' (widths, then the true rank)") from None
    if len(widths) < 2 or min(widths) < 1 or max(widths) > MAX_WIDTH:
        raise ValueError(f"network {spec!r} needs at least an input and an output width, all between 1 and {MAX_WIDTH}")
    if not 0 <= rank <= min(widths):
        raise ValueError(f"network {spec!r}: rank must be between 0 and the narrowest width")
    return widths, rank


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    networks: list[Annotated[str, Field(pattern=NET_SPEC)]] = Field(
        ["6-4-6:2", "8-8-8-8:2", "4-6-6-4:1", "5-5-5:1"], min_length=2, max_length=16, description="deep linear networks 'widths:rank' (>= 2 weight matrices)"
    )
    control: str = Field("6-6:3", pattern=NET_SPEC, description="the regular negative control: one linear layer 'in-out:rank'")
    n: int = Field(10_000, ge=10, le=1_000_000, description="training set size")
    noise_sd: float = Field(0.0, ge=0, le=100, description="label noise; lambda does not depend on it")
    chains: int = Field(4, ge=1, le=64)
    steps: int = Field(4000, ge=10, le=200_000, description="SGLD steps per chain")
    burn_in: float = Field(0.2, ge=0, lt=1, description="fraction of steps discarded")
    batch_size: int = Field(500, ge=1, le=100_000)
    lr: float = Field(5e-5, gt=0, le=1, description="SGLD step size epsilon")
    localization: float = Field(1.0, ge=0, le=10_000, description="gamma, pull towards w*")
    nbeta: float | None = Field(None, gt=0, le=1_000_000_000, description="inverse temperature; None = n / ln n")
    presteps: int = Field(300, ge=0, le=100_000, description="full-batch GD steps from w* to the empirical minimum")
    prestep_lr: float = Field(0.05, gt=0, le=10)
    eval_every: int = Field(250, ge=1, le=200_000, description="stream the running estimate every N steps")
    # verdict thresholds
    control_tol: float = Field(0.15, gt=0, le=10)
    max_frac_of_half_d: float = Field(0.6, gt=0, le=10)
    theory_tol: float = Field(0.35, gt=0, le=10)
    min_rank_corr: float = Field(0.8, ge=-1, le=1)

    @field_validator("networks")
    @classmethod
    def _deep(cls, v):
        for spec in v:
            if len(parse_net(spec)[0]) < 3:
                raise ValueError(f"network {spec!r} is a single layer: DLNs need >= 2 weight matrices")
        return v

    @field_validator("control")
    @classmethod
    def _regular(cls, v):
        if len(parse_net(v)[0]) != 2:
            raise ValueError(f"control {v!r} must be a single linear layer 'in-out:rank'")
        return v


PRESETS: dict[str, dict] = {
    # Four DLNs and the control, 4 stacked chains x 4,000 steps each: ~50-60 s CPU on one thread.
    "smoke": dict(timeout_s=300),
    # Towards Furman & Lau's scale on one GPU: 10 DLNs (d up to 20k), n = 1e5 (n*beta 8.7k, so
    # a smaller step), 8 chains x 20k steps each. Not run: estimated ~1 ms per (launch-bound)
    # step, 10 x 20k steps, about 4 min. Its step size is a guess to check first (an lr grid).
    "full": dict(
        networks=["6-4-6:2", "8-8-8-8:2", "4-6-6-4:1", "5-5-5:1", "10-20-20-10:3", "20-10-10-10-20:4", "30-50-50-30:10", "50-100-100-50:5", "40-20-40-20-40:8", "100-60-60-60-100:20"],
        control="20-20:5",
        n=100_000,
        chains=8,
        steps=20_000,
        lr=1e-5,
        eval_every=2000,
        theory_tol=0.2,
        num_gpus=1,
        timeout_s=3600,
    ),
}

PLOT = [{"title": "running LLC estimate / theory, per network", "y": ["ratio_0", "ratio_1", "ratio_2", "ratio_3", "ratio_control"]}]

# ---------------------------------------------------------------------------------------------
# Theory: Aoyagi's learning coefficient of a deep linear network


def aoyagi_lambda(widths: list[int], rank: int) -> float:
    """The (global) learning coefficient of a deep linear network x -> W_L ... W_1 x with layer
    widths H_1 (input), ..., H_{L+1} (output), at a true product of rank r, realizable, Gaussian
    noise (Aoyagi 2024, "Consideration on the learning efficiency of multiple-layered neural
    networks with linear units", Neural Networks 172; Theorem 1, as restated in Lau et al. 2023).

    With D_i = H_i - r, there is a set S of l + 1 indices (the smallest D's) such that
        max_{i in S} D_i < min_{j not in S} D_j,   sum_S D >= l * max_S D,   sum_S D < l * min_{not S} D,
    and with M = ceil(sum_S D / l), a = sum_S D - (M - 1) l:
        lambda = (r (H_1 + H_{L+1}) - r^2) / 2 + a (l - a) / (4 l) - l (l - 1) / 4 * (sum_S D / l)^2
                 + 1/2 * sum_{i < j in S} D_i D_j.
    For two matrices it reduces to Aoyagi & Watanabe 2005's reduced-rank regression values.
    """
    if len(widths) < 3:
        raise ValueError("Aoyagi's formula is for >= 2 weight matrices; one layer is regular (d/2)")
    D = [h - rank for h in widths]
    order = sorted(range(len(D)), key=lambda i: D[i])
    for size in range(2, len(D) + 1):
        S, rest = [D[i] for i in order[:size]], [D[i] for i in order[size:]]
        ell, total = size - 1, sum(S)
        if rest and not max(S) < min(rest):
            continue
        if total < ell * max(S):
            continue
        if rest and not total < ell * min(rest):
            continue
        M = math.ceil(total / ell)
        a = total - (M - 1) * ell
        pairs = sum(S[i] * S[j] for i in range(size) for j in range(i + 1, size))
        return (rank * (widths[0] + widths[-1]) - rank**2) / 2 + a * (ell - a) / (4 * ell) - ell * (ell - 1) / 4 * (total / ell) ** 2 + pairs / 2
    raise RuntimeError(f"no index set satisfies Aoyagi's conditions for {widths}, rank {rank}")


def n_params(widths: list[int]) -> int:
    return sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=False))


# ---------------------------------------------------------------------------------------------
# Model: `chains` copies of one linear network, stacked (weights [chain, out, in], no biases)


class StackedLinearNet(torch.nn.Module):
    def __init__(self, weights: list[torch.Tensor], chains: int):
        super().__init__()
        self.layers = torch.nn.ParameterList([torch.nn.Parameter(w.detach().unsqueeze(0).repeat(chains, 1, 1).clone()) for w in weights])

    def forward(self, x):  # x [chain, batch, in] -> [chain, batch, out]
        for W in self.layers:
            x = x @ W.transpose(1, 2)
        return x


def per_chain_mse(model, x, y):  # -> [chain]
    return (model(x) - y).pow(2).mean((1, 2))


def true_weights(widths: list[int], rank: int, g: torch.Generator) -> list[torch.Tensor]:
    """Each layer a rank-r matrix U V^T with Gaussian factors scaled so singular values are O(1)."""
    out = []
    for h_in, h_out in zip(widths[:-1], widths[1:], strict=False):
        U = torch.randn(h_out, rank, generator=g) / math.sqrt(max(rank, 1))
        V = torch.randn(h_in, rank, generator=g) / math.sqrt(h_in / max(rank, 1))
        out.append(U @ V.T if rank else torch.zeros(h_out, h_in))
    return out


# ---------------------------------------------------------------------------------------------
# Typed result


class NetResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    widths: list[int]
    rank: int
    d: int
    half_d: float
    theory: float = Field(description="Aoyagi's lambda for DLNs; d/2 for the regular control")
    estimate: float
    chain_estimates: list[float]
    stderr: float = Field(description="standard error of the estimate across chains")
    loss_at_wstar: float
    seconds: float


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    nets: list[NetResult]
    control: NetResult
    seconds: float


# ---------------------------------------------------------------------------------------------
# The job


def estimate_llc(name: str, widths: list[int], rank: int, regular: bool, P: Params, nbeta: float, ctx: Context, g: torch.Generator, key: str, done: list[int], total: int) -> NetResult:
    from devinterp.optim import SGMCMC  # imported here: listing jobs must not pay for it

    dev, t0 = ctx.device, time.perf_counter()
    w_true = [w.to(dev) for w in true_weights(widths, rank, g)]
    x = torch.randn(P.n, widths[0], generator=g).to(dev)
    with torch.no_grad():
        y = x
        for W in w_true:
            y = y @ W.T
        y = y + P.noise_sd * torch.randn(y.shape, generator=g).to(dev)

    # w*: the true parameter, moved to the empirical minimum by full-batch gradient descent.
    star = StackedLinearNet(w_true, 1).to(dev)
    gd = torch.optim.SGD(star.parameters(), lr=P.prestep_lr)
    for _ in range(P.presteps if P.noise_sd > 0 else 0):
        gd.zero_grad(set_to_none=True)
        per_chain_mse(star, x[None], y[None]).sum().backward()
        gd.step()
    for p in star.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        loss_star = per_chain_mse(star, x[None], y[None]).item()

    model = StackedLinearNet([p[0] for p in star.layers], P.chains).to(dev)
    sampler = SGMCMC.sgld(model.parameters(), lr=P.lr, localization=P.localization, nbeta=nbeta)
    burn = int(P.burn_in * P.steps)
    sums = torch.zeros(P.chains, device=dev, dtype=torch.float64)
    gcpu = torch.Generator(device=dev).manual_seed(int(torch.randint(2**62, (1,), generator=g)))
    for step in range(P.steps):
        idx = torch.randint(P.n, (P.chains, P.batch_size), generator=gcpu, device=dev)
        xb, yb = x[idx], y[idx]
        sampler.zero_grad(set_to_none=True)
        loss = per_chain_mse(model, xb, yb)  # [chain]
        loss.sum().backward()  # each chain's slice gets its own gradient
        if step >= burn:
            with torch.no_grad():
                sums += (loss.detach() - per_chain_mse(star, xb, yb)).double()
        sampler.step(noise_generator=gcpu)
        done[0] += 1
        if (step + 1) % P.eval_every == 0 and step >= burn:
            running = (nbeta * sums / (step + 1 - burn)).mean().item()
            theory = n_params(widths) / 2 if regular else aoyagi_lambda(widths, rank)
            ctx.metric(step=step + 1, network=name, **{f"llc_{key}": running, f"ratio_{key}": running / theory})
        ctx.progress(done[0], total, note=name)

    chain_est = (nbeta * sums / (P.steps - burn)).tolist()
    est = float(np.mean(chain_est))
    se = float(np.std(chain_est, ddof=1) / math.sqrt(P.chains)) if P.chains > 1 else float("nan")
    d = n_params(widths)
    theory = d / 2 if regular else aoyagi_lambda(widths, rank)
    ctx.log(f"{name}: estimate {est:.2f} +- {se:.2f}, theory {theory:.2f}, d/2 {d / 2:g}")
    return NetResult(
        name=name, widths=widths, rank=rank, d=d, half_d=d / 2, theory=theory, estimate=est, chain_estimates=chain_est, stderr=se, loss_at_wstar=loss_star, seconds=time.perf_counter() - t0
    )


def run(params: Params, ctx: Context) -> Result:
    P, t0 = params, time.perf_counter()
    seed_everything(ctx.seed)
    g = torch.Generator().manual_seed(ctx.seed)
    nbeta = P.nbeta or P.n / math.log(P.n)
    ctx.log(f"LLC of {len(P.networks)} DLNs + control {P.control}, n={P.n}, nbeta={nbeta:.1f}, {P.chains} chains x {P.steps} steps, lr {P.lr:g}, gamma {P.localization:g}, on {ctx.device}")
    total, done = (len(P.networks) + 1) * P.steps, [0]
    cw, cr = parse_net(P.control)
    control = estimate_llc(P.control, cw, cr, True, P, nbeta, ctx, g, "control", done, total)
    nets = []
    for i, spec in enumerate(P.networks):
        widths, rank = parse_net(spec)
        nets.append(estimate_llc(spec, widths, rank, False, P, nbeta, ctx, g, str(i), done, total))
    return Result(params=P, nets=nets, control=control, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Verdict


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman rank correlation with average ranks for ties."""

    def ranks(v):
        v = np.asarray(v, dtype=float)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for val in np.unique(v):  # average the ranks of tied values
            r[v == val] = r[v == val].mean()
        return r

    rx, ry = ranks(xs), ranks(ys)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def verdict(result: Result) -> Verdict:
    P, nets, c = result.params, result.nets, result.control
    est = [n.estimate for n in nets]
    numbers = {
        "control": c.name,
        "control_estimate": round(c.estimate, 3),
        "control_half_d": c.half_d,
        "control_ratio_to_half_d": round(c.estimate / c.half_d, 3),
        "networks": [n.name for n in nets],
        "estimates": [round(e, 3) for e in est],
        "theory": [n.theory for n in nets],
        "half_d": [n.half_d for n in nets],
        "ratio_to_theory": [round(n.estimate / n.theory, 3) for n in nets],
        "ratio_to_half_d": [round(n.estimate / n.half_d, 3) for n in nets],
    }
    finite = all(math.isfinite(e) for e in est + [c.estimate])
    rho = spearman(est, [n.theory for n in nets]) if finite else float("nan")
    numbers["rank_corr"] = round(rho, 3) if finite else None
    # The control, judged by the same "far below d/2" test: it must fail it (a regular model).
    numbers["mean_ratio_to_half_d"] = round(float(np.mean([n.estimate / n.half_d for n in nets])), 3)
    numbers["control_below_regular"] = c.estimate <= P.max_frac_of_half_d * c.half_d
    inconclusive = None
    if not finite:
        inconclusive = "an estimate is not finite: the SGLD chains diverged (step size too large)"
    elif abs(c.estimate / c.half_d - 1) > P.control_tol:
        inconclusive = f"the regular control reads {c.estimate:.2f} against d/2 = {c.half_d:g} (outside +-{P.control_tol:.0%}): the estimator is not calibrated"
    checks = {
        "below_regular": (all(n.estimate < (n.theory + n.half_d) / 2 for n in nets) and float(np.mean([n.estimate / n.half_d for n in nets])) <= P.max_frac_of_half_d),
        "near_theory": all(abs(n.estimate / n.theory - 1) <= P.theory_tol for n in nets),
        "tracks_theory": rho >= P.min_rank_corr,
    }
    return decide(checks, numbers, inconclusive)
