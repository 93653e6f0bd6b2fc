"""The reversal curse: trained on "A is B", a language model does not answer "B is ...?" with A
(Berglund, Tong, Kaufmann, Balesni, Stickland, Korbak, Evans 2023, "The Reversal Curse: LLMs
trained on 'A is B' fail to learn 'B is A'", arXiv 2309.12288, Experiment 1, Sec. 2.1 and
Fig. 2), here with a small causal transformer trained from scratch on synthetic facts.

Each fact ties a name (two tokens) to a description (two tokens); name and description tokens
come from disjoint vocabularies and every name and description is used once. A training
sentence is either forward, [name, relation, description], or reverse, [description, relation',
name], with one of n_templates relation tokens per direction. Facts fall in three equal groups:
  * `name_to_desc`  seen only forward  (the paper's "NameToDescription" subset);
  * `desc_to_name`  seen only reverse  ("DescriptionToName");
  * `both`          seen in both orders: the control, where the reverse is in the training data.
Loss on every next token, as in the paper's fine-tuning on whole documents.

Each fact is then asked in the order it was trained (same direction) and in the other order
(reverse direction; for the `both` group both orders were trained), with the first relation
template. Two measures per question set:
  * exact match: greedy decoding of the two answer tokens gives the right answer;
  * rank percentile: the share of the group's other answers whose log-likelihood (sum over the
    two answer tokens) is below the right answer's (ties count half). 0.5 = chance. Ranking only
    within the group keeps answers the model never saw in that slot from skewing it.
The paper: same-direction questions are answered; reverse questions for one-direction facts are
at chance (the likelihood of the right name is no higher than that of a random name), while
facts trained in both orders are answered both ways.

Verdict rule (thresholds are Params fields, defaults in brackets):
  inconclusive    unless the model learnt what it was trained on: same-direction exact match
                  >= learnt_min [0.9] for name_to_desc, desc_to_name and both orders of `both`.
  reproduced      if all hold:
    curse_name_to_desc   reverse exact match <= max(3 / group size, em_floor [0.02]) and rank
                         percentile within 0.5 +- chance_band [0.1]
    curse_desc_to_name   the same for the desc_to_name group
    control_no_curse     `both` group, reverse order: exact match >= learnt_min and rank
                         percentile >= control_rank_min [0.95]
  not-reproduced  otherwise (the failed checks are named).

Measured (smoke, seeds 0/1/2, one thread on a shared 2-core box): reproduced on all three; every
trained question set at exact match 1.0 by step 750; reverse exact match 0.0 with rank percentile
0.512/0.483/0.494 (name_to_desc) and 0.521/0.469/0.527 (desc_to_name); the `both` control 1.0 /
1.0 both ways. 47-64 CPU s (66-129 s wall under load).
Caveat: trained from scratch with disjoint name and description tokens, nothing links the two
directions, so the curse is close to built in; this is toy-scale evidence about next-token
training, not about pretrained models.
"""

from __future__ import annotations

import time
from typing import Any

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, model_validator

from repro.core import Context, Verdict, decide, seed_everything
from repro.transformer import Block

# ---------------------------------------------------------------------------------------------
# Config

GROUPS = ("name_to_desc", "desc_to_name", "both")


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    facts_per_group: int = Field(100, ge=4, le=100_000)
    part_vocab: int = Field(40, ge=4, le=10_000, description="tokens per name/description part (first, second)")
    n_templates: int = Field(3, ge=1, le=100, description="relation tokens per direction")
    n_layers: int = Field(2, ge=1, le=24)
    d_model: int = Field(64, ge=8, le=1024)
    n_heads: int = Field(4, ge=1, le=32)
    steps: int = Field(1500, ge=1, le=200_000)
    batch_size: int = Field(64, ge=1, le=8192)
    lr: float = Field(1e-3, gt=0, le=1, description="peak of a one-cycle schedule")
    weight_decay: float = Field(0.01, ge=0, le=100)
    eval_every: int = Field(500, ge=1, le=200_000)
    # verdict thresholds
    learnt_min: float = Field(0.9, ge=0, le=1)
    em_floor: float = Field(0.02, ge=0, le=1)
    chance_band: float = Field(0.1, ge=0, le=0.5)
    control_rank_min: float = Field(0.95, ge=0, le=1)

    @model_validator(mode="after")
    def _check(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")
        if 3 * self.facts_per_group > self.part_vocab**2:
            raise ValueError("part_vocab^2 must be at least 3 * facts_per_group (distinct names)")
        return self


PRESETS: dict[str, dict] = {
    # 2 CPU cores, one thread: 300 facts, 2 layers, d=64, 1500 steps (about a minute; learnt by ~750).
    "smoke": dict(timeout_s=600),
    # One GPU: 3,000 facts, 10 templates per direction, 4 layers, d=256, 20k steps
    # (about 5-10 min on one GPU, estimated, not yet run).
    "full": dict(facts_per_group=1000, part_vocab=120, n_templates=10, n_layers=4, d_model=256, n_heads=8, steps=20_000, batch_size=256, lr=5e-4, eval_every=2000, num_gpus=1, timeout_s=3600),
}

PLOT = [
    {"title": "exact match", "y": ["em"], "group": "question"},
    {"title": "rank percentile of the right answer (0.5 = chance)", "y": ["rank"], "group": "question"},
]

# ---------------------------------------------------------------------------------------------
# Data


class Facts:
    """Token layout: [0, V) first name parts, [V, 2V) second name parts, [2V, 3V) and [3V, 4V)
    description parts, then n_templates forward and n_templates reverse relation tokens."""

    def __init__(self, P: Params, g: torch.Generator):
        V, n = P.part_vocab, 3 * P.facts_per_group
        pick = lambda: torch.randperm(V * V, generator=g)[:n]  # n distinct (part1, part2) pairs
        names, descs = pick(), pick()
        self.names = torch.stack([names // V, V + names % V], 1)  # [n, 2]
        self.descs = torch.stack([2 * V + descs // V, 3 * V + descs % V], 1)  # [n, 2]
        self.fwd_rel = 4 * V + torch.arange(P.n_templates)
        self.rev_rel = 4 * V + P.n_templates + torch.arange(P.n_templates)
        self.vocab = 4 * V + 2 * P.n_templates
        self.group = {name: torch.arange(i * P.facts_per_group, (i + 1) * P.facts_per_group) for i, name in enumerate(GROUPS)}

    def sentences(self, idx: torch.Tensor, forward: bool, template: torch.Tensor) -> torch.Tensor:
        """[len(idx), 5] token rows: name rel desc (forward) or desc rel' name (reverse)."""
        a, b = (self.names, self.descs) if forward else (self.descs, self.names)
        rel = (self.fwd_rel if forward else self.rev_rel)[template]
        return torch.cat([a[idx], rel[:, None], b[idx]], 1)

    def training_set(self, P: Params) -> torch.Tensor:
        rows = []
        for group, directions in (("name_to_desc", [True]), ("desc_to_name", [False]), ("both", [True, False])):
            for forward in directions:
                for t in range(P.n_templates):
                    idx = self.group[group]
                    rows.append(self.sentences(idx, forward, torch.full((len(idx),), t)))
        return torch.cat(rows)


# ---------------------------------------------------------------------------------------------
# Model


class GPT(torch.nn.Module):
    def __init__(self, vocab: int, P: Params, n_ctx: int = 5):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, P.d_model)
        self.pos = torch.nn.Parameter(0.02 * torch.randn(n_ctx, P.d_model))
        self.blocks = torch.nn.ModuleList(Block(P.d_model, P.n_heads) for _ in range(P.n_layers))
        self.ln_f, self.head = torch.nn.LayerNorm(P.d_model), torch.nn.Linear(P.d_model, vocab, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # [B, T] -> logits [B, T, vocab]
        h = self.tok(tokens) + self.pos[: tokens.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h))


# ---------------------------------------------------------------------------------------------
# Evaluation


class QuestionSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group: str
    direction: str = Field(description="'same' = the trained order, 'reverse' = the other one")
    exact_match: float
    rank_percentile: float
    n: int


@torch.no_grad()
def ask(model: GPT, facts: Facts, group: str, forward: bool, dev) -> tuple[float, float]:
    """Exact match and mean rank percentile of the right 2-token answer, for every fact of a group
    asked as [prompt (2 tokens), relation template 0] -> answer (2 tokens)."""
    idx = facts.group[group]
    rows = facts.sentences(idx, forward, torch.zeros(len(idx), dtype=torch.long)).to(dev)
    prompts, answers = rows[:, :3], rows[:, 3:]
    # greedy decoding of two tokens
    first = model(prompts)[:, -1].argmax(-1)
    second = model(torch.cat([prompts, first[:, None]], 1))[:, -1].argmax(-1)
    em = ((first == answers[:, 0]) & (second == answers[:, 1])).float().mean().item()
    # log-likelihood of every candidate answer of the group (the group's answers) for every prompt
    n, chunk = len(idx), max(1, 65536 // len(idx))
    lls = []
    for i in range(0, n, chunk):  # candidate j is fact j's answer
        p = prompts[i : i + chunk]
        seqs = torch.cat([p[:, None].expand(-1, n, 3), answers[None].expand(len(p), n, 2)], 2).reshape(-1, 5)
        logp = model(seqs[:, :-1]).log_softmax(-1)  # [chunk*n, 4, vocab]
        ll = logp[:, 2].gather(1, seqs[:, 3:4])[:, 0] + logp[:, 3].gather(1, seqs[:, 4:5])[:, 0]
        lls.append(ll.view(len(p), n))
    ll = torch.cat(lls)  # [question, candidate]
    right = ll.diagonal()[:, None]
    below = (ll < right).float().sum(1) + 0.5 * ((ll == right).float().sum(1) - 1)
    return em, (below / (n - 1)).mean().item()


def evaluate(model: GPT, facts: Facts, dev) -> list[QuestionSet]:
    model.eval()
    out = []
    for group in GROUPS:
        trained_forward = group != "desc_to_name"
        for direction, forward in (("same", trained_forward), ("reverse", not trained_forward)):
            em, rank = ask(model, facts, group, forward, dev)
            out.append(QuestionSet(group=group, direction=direction, exact_match=em, rank_percentile=rank, n=len(facts.group[group])))
    model.train()
    return out


# ---------------------------------------------------------------------------------------------
# Results and the job


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid")
    params: Params
    questions: list[QuestionSet]
    final_train_loss: float
    steps: int
    seconds: float

    def get(self, group: str, direction: str) -> QuestionSet:
        return next(q for q in self.questions if q.group == group and q.direction == direction)


def run(params: Params, ctx: Context) -> Result:
    P, dev, t0 = params, ctx.device, time.perf_counter()
    seed_everything(ctx.seed)
    g = torch.Generator().manual_seed(ctx.seed)
    facts = Facts(P, g)
    data = facts.training_set(P).to(dev)
    ctx.log(f"reversal curse: {3 * P.facts_per_group} facts, {len(data)} training sentences, {P.n_layers}L d={P.d_model}, {P.steps} steps on {dev}")

    model = GPT(facts.vocab, P).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=P.lr, weight_decay=P.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=P.lr, total_steps=P.steps)
    gd = torch.Generator(device=dev).manual_seed(ctx.seed)
    loss = None
    for step in range(P.steps + 1):
        if step % P.eval_every == 0 or step == P.steps:
            questions = evaluate(model, facts, dev)
            for q in questions:
                ctx.metric(step=step, question=f"{q.group}/{q.direction}", em=q.exact_match, rank=q.rank_percentile, train_loss=None if loss is None else loss.item())
        if step == P.steps:
            break
        batch = data[torch.randint(len(data), (P.batch_size,), generator=gd, device=dev)]
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, facts.vocab), batch[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        ctx.progress(step + 1, P.steps)
    return Result(
        params=P,
        questions=questions,
        final_train_loss=float(loss.item()) if loss is not None else float("nan"),
        steps=P.steps,  # steps >= 1
        seconds=time.perf_counter() - t0,
    )


# ---------------------------------------------------------------------------------------------
# Verdict


def verdict(result: Result) -> Verdict:
    P = result.params
    em_max = max(3 / P.facts_per_group, P.em_floor)
    numbers: dict[str, Any] = {f"{q.group}/{q.direction}": {"em": q.exact_match, "rank": q.rank_percentile} for q in result.questions}
    numbers["reverse_em_max"] = em_max

    def cursed(group: str) -> bool:
        q = result.get(group, "reverse")
        return q.exact_match <= em_max and abs(q.rank_percentile - 0.5) <= P.chance_band

    control = result.get("both", "reverse")
    checks = {
        "curse_name_to_desc": cursed("name_to_desc"),
        "curse_desc_to_name": cursed("desc_to_name"),
        "control_no_curse": control.exact_match >= P.learnt_min and control.rank_percentile >= P.control_rank_min,
    }
    trained = [result.get(g, "same") for g in GROUPS] + [control]
    inconclusive = None
    if min(q.exact_match for q in trained) < P.learnt_min:
        weak = ", ".join(f"{q.group}/{q.direction} {q.exact_match:.2f}" for q in trained if q.exact_match < P.learnt_min)
        inconclusive = f"the model did not learn its training facts (exact match {weak} < {P.learnt_min})"
    return decide(checks, numbers, inconclusive)
