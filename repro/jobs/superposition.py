"""Toy models of superposition (Elhage et al. 2022, "Toy Models of Superposition", Anthropic).

The ReLU-output toy model x' = ReLU(W^T W x + b) squeezes n_features sparse features through
n_hidden dimensions. Independent instances share nothing but the step: instance i sees features
that are non-zero with probability 20^(-i/(n_instances-1)) (dense -> sparse), values U[0, 1],
importance decay^j for feature j, loss = importance-weighted squared error (as in the paper's
notebook). The paper: with dense features the model keeps the n_hidden most important features
orthogonally; as sparsity rises it packs more features than dimensions (superposition), and the
dimensions per feature m / ||W||_F^2 fall (5 -> 2: antipodal pairs at 1/2 dims per feature).

Measures per instance: features represented (||W_j|| > 0.5), dimensions per feature
m / ||W||_F^2, and each feature's dimensionality D_j = ||W_j||^4 / sum_k (W_j_hat . W_k)^2.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    if the densest instance represents no feature at all (training failed).
  reproduced      if all hold:
    dense_orthogonal  densest instance: represented <= n_hidden and dims/feature >= dense_min [0.9]
    sparse_superposed sparsest instance: represented >= n_hidden + 2 and dims/feature <= sparse_max [0.6]
    trend             features per dimension rise with sparsity: Spearman rank correlation between
                      the instance's sparsity and ||W||_F^2 / m is >= min_trend_rho [0.8]
  not-reproduced  otherwise.
A strict "monotone in every step" rule is not used: single instances settle in different local
optima (seed 1 of the smoke preset has a 5-feature pentagon at the sparsest level and a
non-monotone step in between), as the paper's own phase diagrams show.
"""

from __future__ import annotations

import time

import torch
from pydantic import BaseModel, ConfigDict, Field

from repro.core import Context, Verdict, decide, seed_everything

# ---------------------------------------------------------------------------------------------
# Config


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    n_features: int = Field(5, ge=2, le=10_000)
    n_hidden: int = Field(2, ge=1, le=10_000)
    n_instances: int = Field(10, ge=2, le=1000, description="one per sparsity level, dense to sparse")
    max_sparsity_base: float = Field(20.0, gt=1, le=1_000_000, description="feature prob = base^-linspace(0,1)")
    importance_decay: float = Field(0.9, gt=0, le=1)
    steps: int = Field(10_000, ge=1, le=1_000_000)
    batch_size: int = Field(1024, ge=1, le=65_536)
    lr: float = Field(1e-3, gt=0, le=1)
    weight_decay: float = Field(0.01, ge=0, le=100, description="torch AdamW default, as in the notebook")
    eval_every: int = Field(500, ge=1, le=1_000_000)
    dense_min: float = Field(0.9, ge=0, le=1)
    sparse_max: float = Field(0.6, ge=0, le=1)
    min_trend_rho: float = Field(0.8, ge=-1, le=1)


PRESETS: dict[str, dict] = {
    # The paper's 5 -> 2 intro model, 10k steps at batch 1024: ~20 s on 2 CPU cores.
    "smoke": dict(timeout_s=600),
    # The dimensionality experiment's scale on one GPU: 400 -> 30, 20 instances, 50k steps at 4096.
    "full": dict(n_features=400, n_hidden=30, n_instances=20, importance_decay=1.0, steps=50_000, batch_size=4096, eval_every=5000, num_gpus=1, timeout_s=1800),
}


# What `kg runs show` plots.
PLOT = [{"title": "dimensions per feature, densest (0) to sparsest instance", "y": ["dims_per_feature_0", "dims_per_feature_3", "dims_per_feature_6", "dims_per_feature_9"]}]

# ---------------------------------------------------------------------------------------------
# Result: what `run` returns and `verdict` reads (stored as result.json, so the names are the JSON keys).
# Lists run over instances, densest first.


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    feature_probability: list[float]
    represented: list[int]  # features with ||W_j|| > 0.5
    dims_per_feature: list[float]  # n_hidden / ||W||_F^2
    feature_dimensionality: list[list[float]]  # D_j per instance and feature
    steps: int
    seconds: float


# ---------------------------------------------------------------------------------------------
# Model and measures


class ToyModel(torch.nn.Module):
    """One seed's instances: W [instance, feature, hidden], b [instance, feature]."""

    def __init__(self, P: Params):
        super().__init__()
        self.W = torch.nn.Parameter(torch.empty(P.n_instances, P.n_features, P.n_hidden))
        torch.nn.init.xavier_normal_(self.W)
        self.b = torch.nn.Parameter(torch.zeros(P.n_instances, P.n_features))


class StackedModels(torch.nn.Module):
    """Several seeds' ToyModels trained side by side: W [seed, instance, feature, hidden]. Each
    seed keeps its own initialisation and data stream, and the loss is a sum over seeds, so every
    seed gets exactly the gradient (and AdamW update, which is elementwise) it gets alone."""

    def __init__(self, models: list[ToyModel]):
        super().__init__()
        self.W = torch.nn.Parameter(torch.stack([m.W.detach() for m in models]))
        self.b = torch.nn.Parameter(torch.stack([m.b.detach() for m in models]))

    def forward(self, x):  # x [seed * instance, batch, feature]: one batched matmul, no transposes of x
        W = self.W.flatten(0, 1)  # [seed * instance, feature, hidden]
        return torch.relu(torch.bmm(torch.bmm(x, W), W.transpose(1, 2)) + self.b.flatten(0, 1)[:, None])


@torch.no_grad()
def measures(W: torch.Tensor, n_hidden: int) -> dict:
    norms = W.norm(dim=-1)  # [instance, feature]
    frob2 = W.pow(2).sum((1, 2))
    unit = W / norms.clamp_min(1e-6)[..., None]
    overlap = torch.einsum("ifh,igh->ifg", unit, W).pow(2).sum(-1)  # sum_k (W_j_hat . W_k)^2
    dim = norms.pow(4) / overlap.clamp_min(1e-12)
    return {"represented": (norms > 0.5).sum(1).tolist(), "dims_per_feature": (n_hidden / frob2.clamp_min(1e-12)).tolist(), "feature_dimensionality": dim.tolist()}


# ---------------------------------------------------------------------------------------------
# The job


def run(params: Params, ctx: Context) -> Result:
    return run_seeds(params, [ctx])[0]


def run_seeds(params: Params, ctxs: list[Context]) -> list[Result]:
    """Train one stacked model per seed in lockstep (one process, one step loop): the seeds of a
    verdict of record cost little more than one, because a step of this model is mostly fixed
    overhead. A seed's result does not depend on which seeds it runs beside."""
    P, dev, t0 = params, ctxs[0].device, time.perf_counter()
    S, shape = len(ctxs), (2, P.n_instances, P.batch_size, P.n_features)  # values and masks
    prob = (P.max_sparsity_base ** -torch.linspace(0, 1, P.n_instances))[:, None, None].to(dev)  # [instance, 1, 1]
    importance = (P.importance_decay ** torch.arange(P.n_features, dtype=torch.float32)).to(dev)
    gens, models = [], []
    for ctx in ctxs:  # each seed's initialisation and data stream, as if it ran alone
        seed_everything(ctx.seed)
        gens.append(torch.Generator(device=dev).manual_seed(ctx.seed))
        models.append(ToyModel(P))
    model = StackedModels(models).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=P.lr, weight_decay=P.weight_decay)
    for ctx in ctxs:
        ctx.log(f"TMS {P.n_features}->{P.n_hidden}, {P.n_instances} instances, feature prob {prob[0].item():.2f}..{prob[-1].item():.3f}, on {dev}, {S} seed(s) stacked")

    for step in range(P.steps + 1):
        if step % P.eval_every == 0 or step == P.steps:
            for ctx, W in zip(ctxs, model.W, strict=True):
                m = measures(W, P.n_hidden)
                ctx.metric(step=step, **{f"dims_per_feature_{i}": v for i, v in enumerate(m["dims_per_feature"])}, **{f"represented_{i}": v for i, v in enumerate(m["represented"])})
        if step == P.steps:
            break
        u = torch.stack([torch.rand(shape, generator=g, device=dev) for g in gens], 1)  # [2, seed, instance, batch, feature]
        x = torch.where(u[1] <= prob, u[0], 0.0).flatten(0, 1)  # a feature is present with its instance's probability
        loss = (importance * (x - model(x)).pow(2)).mean((1, 2)).sum()  # mean over batch/features; sum instances (and seeds)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        for ctx in ctxs:
            ctx.progress(step + 1, P.steps)

    results = []
    for W in model.W:
        final = measures(W, P.n_hidden)
        results.append(
            Result(
                params=P,
                feature_probability=prob.flatten().tolist(),
                represented=final["represented"],
                dims_per_feature=final["dims_per_feature"],
                feature_dimensionality=final["feature_dimensionality"],
                steps=P.steps,
                seconds=time.perf_counter() - t0,
            )
        )
    return results


# ---------------------------------------------------------------------------------------------
# Verdict


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman rank correlation (average ranks for ties)."""

    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=False))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def verdict(result: Result) -> Verdict:
    P, rep, dpf = result.params, result.represented, result.dims_per_feature
    numbers = dict(
        densest_represented=rep[0],
        densest_dims_per_feature=dpf[0],
        sparsest_represented=rep[-1],
        sparsest_dims_per_feature=dpf[-1],
        features_per_dim=[1 / d if d else None for d in dpf],
        n_hidden=P.n_hidden,
    )
    rho = spearman(list(range(len(dpf))), [1 / max(d, 1e-12) for d in dpf])
    numbers["trend_rho"] = rho
    inconclusive = "the densest instance represents no feature: training failed" if rep[0] == 0 else None
    checks = {"dense_orthogonal": rep[0] <= P.n_hidden and dpf[0] >= P.dense_min, "sparse_superposed": rep[-1] >= P.n_hidden + 2 and dpf[-1] <= P.sparse_max, "trend": rho >= P.min_trend_rho}
    return decide(checks, numbers, inconclusive)


if __name__ == "__main__":
    import sys

    from repro.core import main

    sys.exit(main(sys.modules[__name__]))
