"""Simplicity bias of the parameter-function map (Valle-Pérez, Camargo, Louis 2019, "Deep learning
generalizes because the parameter-function map is biased towards simple functions", arXiv
1805.08522, Sec. 4 and Fig. 1; Mingard et al. 2021, "Is SGD a Bayesian sampler? Well, almost",
JMLR 22).

Sampling the parameters of a small ReLU MLP on the 128 inputs {0,1}^7 (in lexicographic order) and
reading off the sign of its output gives a truth table, a 128-bit string. The paper finds that
the resulting distribution P(f) over the 2^128 functions is exponentially biased towards
functions of low Lempel-Ziv complexity (log P(f) falls roughly linearly with complexity, with the
bulk of the probability on simple functions).

The trap (../shared/notes/repro-v2.md): most of the raw correlation between log P and LZ
complexity is a bias towards few 1s (low entropy), and LZ complexity is low for low-entropy
strings whatever their arrangement. So the run keeps a negative control from the same samples:
every sampled truth table is permuted by one fixed random permutation of the 128 inputs. That
keeps P(f) and the number of 1s of every function but destroys their structure in the input
order. A bias that is a property of the network must survive matching the entropy; in the
control it must vanish. Two entropy-matched measures:
  shift   the complexity of a fresh random rearrangement of each sampled truth table (same
          number of 1s) minus its own complexity, averaged over samples (LZ units): how much
          simpler the sampled functions are than random functions of the same entropy;
  within  Spearman rank correlation of log P(f) with complexity within groups of functions with
          the same number of 1s (weighted mean over groups), over functions seen >= min_count times.

Complexity is Valle-Pérez's C_LZ: log2(128) x the mean of the Lempel-Ziv (1976) phrase counts of
the string and of its reverse; log2(128) for the two constant functions.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    if fewer than min_functions [500] functions were seen >= min_count [2] times:
                  P(f) cannot be estimated.
  reproduced      if all hold:
    simple_mass     share of samples simpler than the 1st percentile of uniformly random
                    128-bit strings >= min_mass [0.5] (uniform random functions: 0.01);
    raw_bias        Spearman(log P, complexity) over estimated functions <= max_raw_rho [-0.3];
    beyond_entropy  network shift > shift_z [3] standard errors and >= min_shift [3] LZ units;
    within_entropy  network within-group correlation <= max_within_rho [-0.05] and at least
                    within_margin [0.05] below the control's;
    control_fails   the control's shift stays within shift_z standard errors + control_shift_tol
                    [1.0 LZ units, a seventh of one phrase] of zero: the entropy-matched bias is
                    absent without the network's input structure. (One fixed permutation is one
                    draw: it leaves a residue of a few tenths.)
  not-reproduced  otherwise (the failed checks are named).
The control shares simple_mass and raw_bias with the network by construction (same P, same 1s):
those show the bias in the paper's raw form; the last three separate network from measure.
Measured at smoke (seeds 0, 1, 2): shift +15.5 / +15.6 / +15.5 (+- 0.12) LZ units, control +0.39 /
+0.16 / -0.18 (+- 0.05); within-group rho -0.124 / -0.145 / -0.124, control -0.057 / -0.025 / -0.011;
simple mass 0.981 (control 0.75, uniform random functions 0.01).
"""

from __future__ import annotations

import math
import time
from typing import Annotated

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    n_inputs: int = Field(7, ge=2, le=10, description="boolean inputs; truth tables have 2^n bits")
    hidden: list[Annotated[int, Field(ge=1, le=4096)]] = Field([40, 40], min_length=1, max_length=8, description="hidden layer widths (ReLU)")
    weight_sd: float = Field(1.0, gt=0, le=100, description="weights ~ N(0, weight_sd^2 / fan_in)")
    bias_sd: float = Field(0.1, ge=0, le=100, description="biases ~ N(0, bias_sd^2)")
    samples: int = Field(200_000, ge=1000, le=1_000_000_000, description="parameter draws")
    chunk: int = Field(10_000, ge=100, le=10_000_000, description="draws evaluated at once")
    min_count: int = Field(2, ge=1, le=1_000_000, description="a function's P(f) is estimated if seen this often")
    shift_samples: int = Field(20_000, ge=100, le=100_000_000, description="samples for the entropy-matched shift")
    uniform_samples: int = Field(2000, ge=100, le=10_000_000, description="uniform random strings for the reference")
    # verdict thresholds
    min_functions: int = Field(500, ge=1, le=1_000_000)
    min_mass: float = Field(0.5, ge=0, le=1)
    max_raw_rho: float = Field(-0.3, ge=-1, le=1)
    shift_z: float = Field(3.0, gt=0, le=100)
    min_shift: float = Field(3.0, ge=0, le=1000)
    max_within_rho: float = Field(-0.05, ge=-1, le=1)
    within_margin: float = Field(0.05, ge=0, le=10)
    control_shift_tol: float = Field(1.0, ge=0, le=100)


PRESETS: dict[str, dict] = {
    # The paper's 7 -> 40 -> 40 -> 1 network, 2e5 draws: 36-42 s CPU on one thread.
    "smoke": dict(timeout_s=300),
    # 1e8 draws on one GPU (Valle-Pérez used 1e8), 1e5 per chunk. Estimated (not run): sampling
    # ~3 min on one GPU, LZ of the ~1e6 functions seen >= 5 times ~2-4 min on CPU.
    "full": dict(samples=100_000_000, chunk=100_000, min_count=5, shift_samples=200_000, uniform_samples=20_000, min_functions=5000, num_gpus=1, timeout_s=3600),
}

# ---------------------------------------------------------------------------------------------
# Lempel-Ziv complexity


def lz76_phrases(s: bytes) -> int:
    """Number of phrases in the Lempel-Ziv (1976) exhaustive-history parse (Kaspar & Schuster
    1987): each new phrase is the shortest extension not already seen starting earlier (the
    search window may overlap the phrase itself, up to its last symbol)."""
    n, i, c = len(s), 0, 0
    while i < n:
        length = 1
        while i + length <= n and s[i : i + length] in s[: i + length - 1]:
            length += 1
        c += 1
        i += length
    return c


def _bitmasks(B: np.ndarray) -> np.ndarray:
    """Rows of 0/1 [m, n] -> the set bits as little-endian uint64 words [m, ceil(n/64)]."""
    m, n = B.shape
    W = -(-n // 64)
    padded = np.zeros((m, W * 64), np.uint8)
    padded[:, :n] = B
    return np.packbits(padded, axis=1, bitorder="little").view("<u8").reshape(m, W)


def _shift_down(M: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, bit j of the result = bit j + k of M (words [m, W], shifts k [m])."""
    m, W = M.shape
    ext = np.concatenate([M, np.zeros((m, 2), M.dtype)], axis=1)
    q, r = (k // 64)[:, None], (k % 64).astype(np.uint64)[:, None]
    w = np.arange(W)[None, :]
    lo = np.take_along_axis(ext, np.minimum(w + q, W + 1), axis=1)
    hi = np.take_along_axis(ext, np.minimum(w + q + 1, W + 1), axis=1)
    carry = np.where(r > 0, hi << ((np.uint64(64) - r) % np.uint64(64)), np.uint64(0))
    return (lo >> r) | carry


def lz76_phrases_batch(S: np.ndarray) -> np.ndarray:
    """`lz76_phrases` of every row of S [m, n] at once, bit-parallel: for the phrase that starts at
    l and has matched k symbols, a bitmask holds every earlier start j < l whose next k symbols
    are the same; each symbol read ANDs it with the shifted mask of positions holding that symbol.
    An empty mask ends the phrase (the new symbol included). n steps of numpy in all."""
    S = np.asarray(S, dtype=np.uint8)
    m, n = S.shape
    ones = _bitmasks(S)
    zeros = _bitmasks(1 - S)
    prefix = _bitmasks((np.arange(n)[None, :] < np.arange(n + 1)[:, None]).astype(np.uint8))  # [n+1, W]
    start, k, c = np.zeros(m, np.int64), np.zeros(m, np.int64), np.zeros(m, np.int64)
    M = prefix[start]
    rows = np.arange(m)
    for _ in range(n):  # each step reads one symbol of every row
        p = start + k  # rows with p == n have finished
        live = p < n
        if not live.any():
            break
        sym = S[rows, np.minimum(p, n - 1)]
        same = np.where(sym[:, None] == 1, ones, zeros)
        M2 = M & _shift_down(same, k)
        found = M2.any(axis=1)
        grow, close = live & found, live & ~found
        k = np.where(grow, k + 1, k)
        M = np.where(grow[:, None], M2, M)
        c += close  # the phrase s[start..p] is new: count it, start the next
        start = np.where(close, p + 1, start)
        k = np.where(close, 0, k)
        M = np.where(close[:, None], prefix[np.minimum(start, n)], M)
    return c + (k > 0)  # a last phrase that ran into the end counts too


def lz_complexity(tables: np.ndarray) -> np.ndarray:
    """Valle-Pérez et al.'s C_LZ of each 0/1 row: log2(n) x the mean phrase count of the row and
    of its reverse; log2(n) for the two constant strings."""
    tables = np.atleast_2d(tables).astype(np.uint8)
    n = tables.shape[1]
    both = lz76_phrases_batch(np.concatenate([tables, tables[:, ::-1]]))
    C = math.log2(n) * (both[: len(tables)] + both[len(tables) :]) / 2
    constant = tables.min(1) == tables.max(1)
    C[constant] = math.log2(n)
    return C


# ---------------------------------------------------------------------------------------------
# Sampling the parameter-function map


def all_inputs(n: int, device) -> torch.Tensor:
    """The 2^n boolean inputs in lexicographic order (first input is the most significant bit)."""
    idx = torch.arange(2**n, device=device)
    return ((idx[:, None] >> torch.arange(n - 1, -1, -1, device=device)) & 1).float()


def sample_tables(P: Params, ctx: Context, g: torch.Generator) -> np.ndarray:
    """`samples` truth tables, each from a fresh parameter draw, bit-packed: uint8
    [samples, 2^n / 8] (16 bytes a function, so 1e8 draws fit in 1.6 GB)."""
    dev = ctx.device
    X = all_inputs(P.n_inputs, dev)  # [2^n, n]
    widths = [P.n_inputs] + P.hidden + [1]
    out, done = [], 0
    while done < P.samples:
        B = min(P.chunk, P.samples - done)
        h = X.expand(B, *X.shape)  # [B, 2^n, n]
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=False)):
            W = torch.randn(B, a, b, generator=g, device=dev) * (P.weight_sd / math.sqrt(a))
            bias = torch.randn(B, 1, b, generator=g, device=dev) * P.bias_sd
            h = torch.baddbmm(bias, h, W)
            if i < len(widths) - 2:
                h = torch.relu(h)
        out.append(np.packbits((h[..., 0] > 0).cpu().numpy(), axis=1))
        done += B
        ctx.progress(done, P.samples, note="sampling")
    return np.concatenate(out)


# ---------------------------------------------------------------------------------------------
# Measures


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation with average ranks for ties (arbitrary tie-breaking fakes one)."""

    def ranks(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=r)
        return (sums / counts)[inv]

    if len(x) < 3:
        return 0.0
    rx, ry = ranks(np.asarray(x, float)), ranks(np.asarray(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


class ArmResult(BaseModel):
    """The measures of one distribution over truth tables (the network's, or the control's)."""

    model_config = ConfigDict(extra="forbid")
    distinct_functions: int
    functions_fitted: int = Field(description="functions seen >= min_count times")
    mass_fitted: float = Field(description="share of samples on fitted functions")
    raw_rho: float = Field(description="Spearman(log P, C) over fitted functions")
    within_rho: float = Field(description="the same within groups of equal number of 1s, weighted mean")
    within_groups: int
    shift: float = Field(description="mean C(random rearrangement) - C(f) over samples, LZ units")
    shift_se: float
    simple_mass: float = Field(description="share of samples below the uniform 1st-percentile complexity")
    upper_slope: float = Field(description="slope of the max log10 P per complexity value vs complexity")
    top_functions: list[dict] = Field(description="the most frequent functions: P, number of 1s, C")


def count_functions(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct functions among the packed draws: (a draw showing each, how many draws show it)."""
    keys = np.ascontiguousarray(packed).view(f"V{packed.shape[1]}").ravel()
    _, first, counts = np.unique(keys, return_index=True, return_counts=True)
    return first, counts


def measure(packed: np.ndarray, L: int, first: np.ndarray, counts: np.ndarray, perm: np.ndarray | None, P: Params, uniform_q01: float, rng: np.random.Generator, ctx: Context, arm: str) -> ArmResult:
    """The measures of the draws' truth tables, each permuted by `perm` (the control) or not.
    A fixed permutation maps distinct functions to distinct functions, so both arms share the
    counts: only the tables, and so the complexities, differ."""
    N = len(packed)

    def tables(rows):
        t = np.unpackbits(packed[rows], axis=1, count=L)
        return t if perm is None else t[:, perm]

    fitted = np.flatnonzero(counts >= P.min_count)
    T_fit = tables(first[fitted])
    C_fit = lz_complexity(T_fit)
    logp = np.log10(counts[fitted] / N)
    ones = T_fit.sum(1)
    ctx.log(f"{arm}: {len(counts)} distinct functions, {len(fitted)} seen >= {P.min_count} times")

    # Within groups of equal number of 1s: rank correlation, weighted by group size.
    rhos, weights = [], []
    for k in np.unique(ones):
        sel = ones == k
        if sel.sum() >= 10 and np.unique(C_fit[sel]).size > 1 and np.unique(logp[sel]).size > 1:
            rhos.append(spearman(logp[sel], C_fit[sel]))
            weights.append(sel.sum())
    within = float(np.average(rhos, weights=weights)) if rhos else 0.0

    # Upper bound: the highest log10 P at each complexity value, fitted by a line.
    cs = np.unique(C_fit)
    top = np.array([logp[C_fit == c].max() for c in cs])
    slope = float(np.polyfit(cs, top, 1)[0]) if len(cs) >= 3 else 0.0

    # Entropy-matched shift and simple mass on a subsample of draws.
    pick = rng.choice(N, size=min(P.shift_samples, N), replace=False)
    sub = tables(pick)
    own = lz_complexity(sub)
    shuffled = np.take_along_axis(sub, np.argsort(rng.random(sub.shape), axis=1), axis=1)
    diff = lz_complexity(shuffled) - own
    order = np.argsort(-counts)[:5]
    T_top = tables(first[order])
    top_fns = [{"p": float(counts[i] / N), "ones": int(t.sum()), "complexity": round(float(c), 2)} for i, t, c in zip(order, T_top, lz_complexity(T_top), strict=False)]
    return ArmResult(
        distinct_functions=len(counts),
        functions_fitted=len(fitted),
        mass_fitted=float(counts[fitted].sum() / N),
        raw_rho=spearman(logp, C_fit),
        within_rho=within,
        within_groups=len(rhos),
        shift=float(diff.mean()),
        shift_se=float(diff.std(ddof=1) / math.sqrt(len(diff))),
        simple_mass=float((own < uniform_q01).mean()),
        upper_slope=slope,
        top_functions=top_fns,
    )


# ---------------------------------------------------------------------------------------------
# Typed result and the job


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    network: ArmResult
    control: ArmResult = Field(description="the same draws, every truth table permuted by one fixed permutation")
    uniform_q01: float = Field(description="1st percentile of C over uniformly random strings")
    uniform_mean: float
    seconds: float


def run(params: Params, ctx: Context) -> Result:
    P, t0 = params, time.perf_counter()
    seed_everything(ctx.seed)
    g = torch.Generator(device=ctx.device).manual_seed(ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    ctx.log(f"sampling {P.samples} MLPs {P.n_inputs}-{'-'.join(map(str, P.hidden))}-1, sigma_w {P.weight_sd:g}, sigma_b {P.bias_sd:g}, on {ctx.device}")
    packed = sample_tables(P, ctx, g)
    L = 2**P.n_inputs
    first, counts = count_functions(packed)
    uniform = lz_complexity(rng.integers(0, 2, size=(P.uniform_samples, L), dtype=np.uint8))
    q01 = float(np.quantile(uniform, 0.01))
    network = measure(packed, L, first, counts, None, P, q01, rng, ctx, "network")
    ctx.metric(arm="network", **_row(network))
    control = measure(packed, L, first, counts, rng.permutation(L), P, q01, rng, ctx, "control")
    ctx.metric(arm="control", **_row(control))
    return Result(params=P, network=network, control=control, uniform_q01=q01, uniform_mean=float(uniform.mean()), seconds=time.perf_counter() - t0)


def _row(a: ArmResult) -> dict:
    return {k: v for k, v in a.model_dump().items() if k != "top_functions"}


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, net, ctl = result.params, result.network, result.control
    numbers = {
        "functions_fitted": net.functions_fitted,
        "simple_mass": round(net.simple_mass, 3),
        "raw_rho": round(net.raw_rho, 3),
        "control_raw_rho": round(ctl.raw_rho, 3),
        "shift": round(net.shift, 2),
        "shift_se": round(net.shift_se, 2),
        "control_shift": round(ctl.shift, 2),
        "control_shift_se": round(ctl.shift_se, 2),
        "within_rho": round(net.within_rho, 3),
        "control_within_rho": round(ctl.within_rho, 3),
        "upper_slope": round(net.upper_slope, 4),
        "control_upper_slope": round(ctl.upper_slope, 4),
        "uniform_q01": round(result.uniform_q01, 2),
    }
    inconclusive = None
    if net.functions_fitted < P.min_functions:
        inconclusive = f"only {net.functions_fitted} functions seen >= {P.min_count} times (< {P.min_functions}): P(f) cannot be estimated"
    checks = {
        "simple_mass": net.simple_mass >= P.min_mass,
        "raw_bias": net.raw_rho <= P.max_raw_rho,
        "beyond_entropy": net.shift > P.shift_z * net.shift_se and net.shift >= P.min_shift,
        "within_entropy": (net.within_rho <= P.max_within_rho and net.within_rho <= ctl.within_rho - P.within_margin),
        "control_fails": abs(ctl.shift) <= P.shift_z * ctl.shift_se + P.control_shift_tol,
    }
    return decide(checks, numbers, inconclusive)
