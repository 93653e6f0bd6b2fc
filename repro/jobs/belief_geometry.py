"""Belief-state geometry in a transformer trained on Mess3 (Shai, Marzen, Teixeira, Gietelink
Oldenziel, Riechers 2024, "Transformers represent belief state geometry in their residual
stream", arXiv 2405.15943).

A 4-layer, 1-head transformer (d_model 64, d_head 8, d_mlp 256, context 10; the paper's dims)
is trained on fresh sequences from the Mess3(x=0.05, a=0.85) hidden Markov process. The paper:
the residual stream linearly represents the Bayesian belief over the hidden states (a fractal
in the 2-simplex), not just the next-token distribution.

Measures (all on held-out sequences):
  * next-token cross-entropy vs the Bayes-optimal one (exact filtering from the stationary
    distribution) and vs the uniform 1.0986;
  * linear probes (least squares, features = residual stream + one-hot of the current token)
    from the final layer and from all layers concatenated onto the true belief, fitted on half
    the sequences, scored on the other half;
  * the within-token R^2: the score on the belief minus its per-current-token mean. Plain R^2
    is not discriminating on Mess3(0.05, 0.85): the current token alone explains ~0.8 of the
    belief variance and an untrained model reaches 0.96;
  * the same probes on the untrained model (same seed, same init): the control.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    if the trained CE is above optimal + undertrained_gap [0.05]: the model has
                  not learned the process, so the budget was too short to judge.
  reproduced      if all hold:
    near_optimal    trained CE <= optimal CE + ce_gap [0.01]
    probe           within-token R^2, all layers concatenated, >= r2_min [0.95]
    beats_control   trained unexplained within-token variance (concatenated layers)
                    <= control_ratio [0.4] x the untrained model's
  not-reproduced  otherwise. Plain R^2 is reported but decides nothing.
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    x: float = Field(0.05, gt=0, lt=0.5, description="Mess3 leak; the paper uses 0.05")
    a: float = Field(0.85, gt=0, le=1, description="Mess3 emission sharpness; the paper uses 0.85")
    n_ctx: int = Field(10, ge=2, le=64)
    d_model: int = Field(64, ge=4, le=1024)
    n_layers: int = Field(4, ge=1, le=16)
    n_heads: int = Field(1, ge=1, le=32)
    d_head: int = Field(8, ge=1, le=256)
    d_mlp: int = Field(256, ge=1, le=4096)
    lr: float = Field(1e-3, gt=0, le=1)
    batch_size: int = Field(256, ge=1, le=8192)
    max_steps: int = Field(800, ge=1, le=200_000)
    eval_every: int = Field(100, ge=1, le=200_000)
    n_eval_seqs: int = Field(2000, ge=20, le=100_000, description="held-out sequences for CE and the probes")
    ce_gap: float = Field(0.01, gt=0, le=10)
    undertrained_gap: float = Field(0.05, gt=0, le=10)
    r2_min: float = Field(0.95, ge=0, le=1)
    control_ratio: float = Field(0.4, gt=0, le=10)


PRESETS: dict[str, dict] = {
    # 2 CPU cores, about a minute: 800 Adam steps of 256 sequences reach CE within ~0.003 of optimal.
    "smoke": dict(timeout_s=600),
    # One GPU: ~20M tokens (the paper's analysed checkpoint is at 4.8M), more probe data.
    "full": dict(max_steps=8000, eval_every=500, n_eval_seqs=10_000, num_gpus=1, timeout_s=1800),
}


# What `kg runs show` plots.
PLOT = [{"title": "held-out cross-entropy vs optimal", "y": ["eval_ce", "optimal_ce"]}]

# ---------------------------------------------------------------------------------------------
# Result: what `run` returns and `verdict` reads (stored as result.json, so the names are the JSON keys)


class Probe(BaseModel):
    """One linear probe onto the belief, scored on the held-out half."""

    model_config = ConfigDict(extra="forbid")
    plain_r2: float
    within_r2: float  # R^2 after removing each current token's mean belief
    unexplained: float  # 1 - within_r2


class Probes(BaseModel):
    """One model (trained, or the untrained control) on the held-out sequences."""

    model_config = ConfigDict(extra="forbid")
    ce: float
    final: Probe  # from the final layer's residual stream
    concat: Probe  # from all layers concatenated
    token_only: Probe  # from the current token alone: the floor


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    optimal_ce: float
    uniform_ce: float
    trained: Probes
    untrained: Probes
    steps: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# The process


def mess3(x: float, a: float) -> torch.Tensor:
    """T[v, i, j] = P(emit v, go to j | state i), as in epsilon-transformers' processes.py."""
    b, y = (1 - a) / 2, 1 - 2 * x
    ay, bx, by, ax = a * y, b * x, b * y, a * x
    return torch.tensor([[[ay, bx, bx], [ax, by, bx], [ax, bx, by]], [[by, ax, bx], [bx, ay, bx], [bx, ax, by]], [[by, bx, ax], [bx, by, ax], [bx, bx, ay]]], dtype=torch.float64)


def sample(T: torch.Tensor, batch: int, length: int, g: torch.Generator) -> torch.Tensor:
    """Token sequences [batch, length], the hidden state starting from the stationary (uniform)."""
    S = T.shape[1]
    state = torch.randint(0, S, (batch,), generator=g)
    tokens = torch.empty(batch, length, dtype=torch.long)
    joint = T.permute(1, 0, 2).reshape(S, -1)  # [i, (v, j)]
    for t in range(length):
        pick = torch.multinomial(joint[state], 1, generator=g).squeeze(1)
        tokens[:, t], state = pick // S, pick % S
    return tokens


def beliefs_and_optimal(T: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact Bayesian filtering: belief after each token [B, L, S], and the optimal next-token
    log-probabilities log P(x_{t+1} | x_0..t) for t = 0..L-2 [B, L-1]."""
    B, L = tokens.shape
    eta = torch.full((B, T.shape[1]), 1.0 / T.shape[1], dtype=torch.float64)
    emit = T.sum(2)  # [v, i] = P(v | i)
    beliefs, logp = [], []
    for t in range(L):
        if t > 0:
            logp.append(torch.log((eta @ emit.T).gather(1, tokens[:, t : t + 1]).squeeze(1)))
        eta = torch.einsum("bi,bij->bj", eta, T[tokens[:, t]])
        eta = eta / eta.sum(1, keepdim=True)
        beliefs.append(eta)
    return torch.stack(beliefs, 1), torch.stack(logp, 1)


# ---------------------------------------------------------------------------------------------
# The model: a small pre-LN transformer


class Block(torch.nn.Module):
    def __init__(self, d: int, n_heads: int, d_head: int, d_mlp: int):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_head
        self.ln1, self.ln2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.qkv = torch.nn.Linear(d, 3 * n_heads * d_head)
        self.out = torch.nn.Linear(n_heads * d_head, d)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(d, d_mlp), torch.nn.ReLU(), torch.nn.Linear(d_mlp, d))

    def forward(self, x):
        B, L, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        z = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.out(z.transpose(1, 2).reshape(B, L, -1))
        return x + self.mlp(self.ln2(x))


class Transformer(torch.nn.Module):
    def __init__(self, P: Params, vocab: int = 3):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, P.d_model)
        self.pos = torch.nn.Parameter(torch.randn(P.n_ctx, P.d_model) * 0.02)
        self.blocks = torch.nn.ModuleList(Block(P.d_model, P.n_heads, P.d_head, P.d_mlp) for _ in range(P.n_layers))
        self.ln_f = torch.nn.LayerNorm(P.d_model)
        self.unembed = torch.nn.Linear(P.d_model, vocab)

    def forward(self, tokens, keep_residuals: bool = False):
        x = self.embed(tokens) + self.pos[: tokens.shape[1]]
        resid = [x]
        for block in self.blocks:
            x = block(x)
            resid.append(x)
        logits = self.unembed(self.ln_f(x))
        return (logits, resid) if keep_residuals else logits


# ---------------------------------------------------------------------------------------------
# Probes


def probe_scores(feats: np.ndarray, tokens: np.ndarray, beliefs: np.ndarray, n_train: int) -> Probe:
    """Least-squares probe from [features, one-hot(token), 1] to the belief. Rows are
    (sequence, position) pairs, the first n_train rows from the fitting sequences."""
    X = np.concatenate([feats, np.eye(3)[tokens], np.ones((len(feats), 1))], 1)
    Xtr, Xte, ytr, yte = X[:n_train], X[n_train:], beliefs[:n_train], beliefs[n_train:]
    # A tiny ridge keeps the solve stable when features are collinear (e.g. the untrained model).
    W = np.linalg.solve(Xtr.T @ Xtr + 1e-6 * np.eye(X.shape[1]), Xtr.T @ ytr)
    pred = Xte @ W
    sse = ((yte - pred) ** 2).sum()
    plain = 1 - sse / ((yte - ytr.mean(0)) ** 2).sum()
    # Within-token: subtract each current token's mean belief (from the fitting half).
    tok_mean = np.stack([ytr[tokens[:n_train] == v].mean(0) if (tokens[:n_train] == v).any() else ytr.mean(0) for v in range(3)])
    within = 1 - sse / ((yte - tok_mean[tokens[n_train:]]) ** 2).sum()
    return Probe(plain_r2=float(plain), within_r2=float(within), unexplained=float(1 - within))


@torch.no_grad()
def analyse(model, tokens, beliefs, dev) -> Probes:
    logits, resid = model(tokens.to(dev), keep_residuals=True)
    B, L = tokens.shape
    n_train = (B // 2) * L
    flat = lambda t: t.reshape(B * L, -1).double().cpu().numpy()
    toks, bel = tokens.reshape(-1).numpy(), beliefs.reshape(B * L, -1).numpy()
    final = probe_scores(flat(resid[-1]), toks, bel, n_train)
    concat = probe_scores(np.concatenate([flat(r) for r in resid], 1), toks, bel, n_train)
    token_only = probe_scores(np.zeros((B * L, 0)), toks, bel, n_train)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, 3).double(), tokens[:, 1:].reshape(-1).to(dev)).item()
    return Probes(ce=ce, final=final, concat=concat, token_only=token_only)


# ---------------------------------------------------------------------------------------------
# The job


def run(params: Params, ctx: Context) -> Result:
    P, dev, t0 = params, ctx.device, time.perf_counter()
    seed_everything(ctx.seed)
    g = torch.Generator().manual_seed(ctx.seed)
    T = mess3(P.x, P.a)
    eval_tokens = sample(T, P.n_eval_seqs, P.n_ctx, g)
    eval_beliefs, opt_logp = beliefs_and_optimal(T, eval_tokens)
    optimal_ce = -opt_logp.mean().item()
    ctx.log(f"Mess3(x={P.x}, a={P.a}) optimal CE {optimal_ce:.4f} (uniform {math.log(3):.4f}) on {dev}")

    model = Transformer(P).to(dev)
    untrained = copy.deepcopy(model)
    opt = torch.optim.Adam(model.parameters(), lr=P.lr)
    for step in range(P.max_steps + 1):
        if step % P.eval_every == 0 or step == P.max_steps:
            with torch.no_grad():
                logits = model(eval_tokens.to(dev))
                ce = F.cross_entropy(logits[:, :-1].reshape(-1, 3).double(), eval_tokens[:, 1:].reshape(-1).to(dev)).item()
            ctx.metric(step=step, eval_ce=ce, optimal_ce=optimal_ce, gap=ce - optimal_ce)
        if step == P.max_steps:
            break
        tokens = sample(T, P.batch_size, P.n_ctx, g).to(dev)
        loss = F.cross_entropy(model(tokens)[:, :-1].reshape(-1, 3), tokens[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        ctx.progress(step + 1, P.max_steps)

    trained, control = analyse(model, eval_tokens, eval_beliefs, dev), analyse(untrained, eval_tokens, eval_beliefs, dev)
    ctx.log(f"trained within-token R2 final {trained.final.within_r2:.3f} concat {trained.concat.within_r2:.3f}; untrained {control.final.within_r2:.3f} / {control.concat.within_r2:.3f}")
    return Result(params=P, optimal_ce=optimal_ce, uniform_ce=math.log(3), trained=trained, untrained=control, steps=P.max_steps, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P, tr, un, opt = result.params, result.trained, result.untrained, result.optimal_ce
    ratio = tr.concat.unexplained / max(un.concat.unexplained, 1e-12)
    numbers = dict(
        ce=tr.ce,
        optimal_ce=opt,
        ce_gap=tr.ce - opt,
        within_r2_concat=tr.concat.within_r2,
        within_r2_final=tr.final.within_r2,
        untrained_within_r2_concat=un.concat.within_r2,
        untrained_within_r2_final=un.final.within_r2,
        unexplained_ratio_concat=ratio,
        unexplained_ratio_final=tr.final.unexplained / max(un.final.unexplained, 1e-12),
        plain_r2_final=tr.final.plain_r2,
        untrained_plain_r2_final=un.final.plain_r2,
        token_only_plain_r2=tr.token_only.plain_r2,
    )
    inconclusive = None
    if tr.ce > opt + P.undertrained_gap:
        inconclusive = f"CE {tr.ce:.4f} is more than {P.undertrained_gap} above optimal {opt:.4f}: undertrained"
    checks = {"near_optimal": tr.ce <= opt + P.ce_gap, "probe": tr.concat.within_r2 >= P.r2_min, "beats_control": ratio <= P.control_ratio}
    return decide(checks, numbers, inconclusive)


if __name__ == "__main__":
    import sys

    from repro.core import main

    sys.exit(main(sys.modules[__name__]))
