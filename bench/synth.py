"""Generate a synthetic corpus of any size, shaped like the real one, for benchmarks.

    python bench/synth.py --claims 100000 --out /tmp/corpus-100k

Ten claims per source by default, twelve hypotheses, one to three evidence links per claim,
an occasional claim-to-claim link, structured locators and scopes. Claim files hold 5,000
claims each (the loader caps files at 8 MiB). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDS = (
    "transformer grokking circuit memorisation generalisation fourier embedding attention head "
    "superposition feature sparse parity curriculum prior solomonoff speed learnability bayesian "
    "in-context belief state probe reward hacking task completion scheming honesty fine-tuning "
    "refusal jailbreak weight decay phase transition loss plateau induction copying lookup table "
    "frontier model emergent misalignment out-of-context reasoning steering vector synthetic document"
).split()
SETTINGS = ["toy", "small-model", "frontier", "theory", "opinion"]
KINDS = ("experiment", "experiment", "observation", "theory", "opinion")
RELATIONS = ["supports", "supports", "contradicts", "qualifies"]
STRENGTHS = ["weak", "moderate", "strong"]
CLAIMS_PER_FILE = 5000


def _q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid double-quoted YAML scalar


def generate(n_claims: int, out: Path, claims_per_source: int = 10, n_hypotheses: int = 12, seed: int = 0) -> dict[str, int]:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    n_sources = max(1, n_claims // claims_per_source)

    hyp_ids = [f"hypothesis-{i:03d}" for i in range(n_hypotheses)]
    with open(out / "hypotheses.yaml", "w") as f:
        f.write("# yaml-language-server: $schema=schema/hypotheses.schema.json\n")
        for i, hid in enumerate(hyp_ids):
            words = " ".join(rng.choices(WORDS, k=8))
            f.write(f"- id: {hid}\n  title: {_q('Hypothesis ' + str(i) + ': ' + words[:40])}\n  statement: {_q('Networks ' + words + '.')}\n")

    with open(out / "sources.yaml", "w") as f:
        f.write("# yaml-language-server: $schema=schema/sources.schema.json\n")
        for i in range(n_sources):
            title = " ".join(rng.choices(WORDS, k=7)).capitalize() + f" {i}"
            f.write(
                f"- id: source-{i:06d}\n  kind: paper\n  title: {_q(title)}\n"
                f"  authors: [{_q('Author ' + str(rng.randrange(5000)))}, {_q('Author ' + str(rng.randrange(5000)))}]\n"
                f'  year: {rng.randrange(2015, 2027)}\n  ids: {{arxiv: "{2000 + i // 100000:04d}.{i % 100000:05d}"}}\n'
                + (f"  origin: lab-{rng.randrange(max(1, n_sources // 20)):05d}\n" if rng.random() < 0.3 else "")  # some labs publish a lot
            )

    files = 0
    for start in range(0, n_claims, CLAIMS_PER_FILE):
        files += 1
        with open(out / f"claims-{start // CLAIMS_PER_FILE:04d}.yaml", "w") as f:
            f.write("# yaml-language-server: $schema=schema/claims.schema.json\n")
            for i in range(start, min(n_claims, start + CLAIMS_PER_FILE)):
                statement = f"Claim {i}: " + " ".join(rng.choices(WORDS, k=rng.randrange(12, 30))) + "."
                f.write(
                    f"- id: claim-{i:07d}\n  source: source-{i // claims_per_source:06d}\n  statement: {_q(statement)}\n"
                    f'  locator: {{section: "{rng.randrange(1, 9)}.{rng.randrange(1, 5)}", figure: "{rng.randrange(1, 12)}"}}\n'
                    f"  setting: {rng.choice(SETTINGS)}\n"
                    f"  kind: {rng.choice(KINDS)}\n  controlled: {rng.choice(['true', 'false'])}\n"
                    f"  scope: {{model: {_q(rng.choice(['GPT-2', 'Llama-2', '1-layer transformer', 'MLP']))}, task: {_q(rng.choice(WORDS))}}}\n"
                    "  evidence:\n"
                )
                for hid in rng.sample(hyp_ids, rng.randrange(1, 4)):
                    direct = ", direct: false" if rng.random() < 0.3 else ""
                    f.write(f"    - {{hypothesis: {hid}, relation: {rng.choice(RELATIONS)}, strength: {rng.choice(STRENGTHS)}{direct}, rationale: {_q(' '.join(rng.choices(WORDS, k=6)))}}}\n")
                if i > 0 and rng.random() < 0.1:
                    f.write(f"  links:\n    - {{claim: claim-{rng.randrange(i):07d}, relation: {rng.choice(['replicates', 'extends', 'disputes'])}}}\n")
    return {"claims": n_claims, "sources": n_sources, "hypotheses": n_hypotheses, "claim_files": files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--per-source", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(generate(args.claims, args.out, args.per_source, seed=args.seed)))


if __name__ == "__main__":
    main()
