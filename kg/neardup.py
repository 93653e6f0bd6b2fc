"""Near-duplicate texts in linear time: exact within a small group, MinHash blocking in a large one.

A source's claims are usually a handful, and comparing every pair is exact and cheap. But one
pull request can give a source 100,000 claims, and all pairs would be 5e9 comparisons. Above
SMALL_GROUP texts, candidates come from MinHash/LSH over the words of each text: BANDS bands of
ROWS hashes, and texts whose band agrees fall into one block. Work per block is bounded: each
text is compared with its WINDOW next neighbours in the block only (a block of near-identical
texts needs no more to flag every one), so the cost is at most n x BANDS x WINDOW comparisons,
done by rapidfuzz in C++. Texts that share most of their words are found with high probability
(word Jaccard 0.8: 99.7%, 0.7: 96%); texts that differ by typos in many words can be missed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
from rapidfuzz import process

SMALL_GROUP = 64  # up to here: every pair (at most 2,016 comparisons per group)
BANDS, ROWS, WINDOW = 8, 3, 3
_SEEDS = np.random.default_rng(20261202).integers(1, 2**63, size=(2, BANDS * ROWS), dtype=np.uint64) | np.uint64(1)  # fixed: the same warnings on every run


def first_matches(texts: list[str], scorer: Callable[..., Any], cutoff: float) -> list[tuple[int, int, float]]:
    """(i, j, score) for each text j that scores at least `cutoff` against an earlier text i:
    the first such i found, so each text is reported once."""
    if len(texts) <= SMALL_GROUP:
        pairs = ((i, j, scorer(texts[i], texts[j], processor=None, score_cutoff=cutoff)) for j in range(1, len(texts)) for i in range(j))
        found = [(i, j, s) for i, j, s in pairs if s]
    else:
        first, second = _candidates(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        short, long = np.minimum(lengths[first], lengths[second]), np.maximum(lengths[first], lengths[second])
        close = 200 * short >= cutoff * (short + long)  # the ratio is at most 200*short/(short+long)
        first, second = first[close], second[close]
        if not len(first):
            return []
        scores = process.cpdist([texts[i] for i in first], [texts[j] for j in second], scorer=scorer, score_cutoff=cutoff, workers=-1)
        keep = np.nonzero(scores)[0]
        found = [(int(first[k]), int(second[k]), float(scores[k])) for k in keep]
    best: dict[int, tuple[int, int, float]] = {}
    for i, j, s in found:
        if j not in best or i < best[j][0]:
            best[j] = (i, j, s)
    return [best[j] for j in sorted(best)]


def _candidates(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (first < second) of texts that share a MinHash band and are close in their block.

    The shingles are word pairs: single words from a small vocabulary make unrelated texts
    share their minimum and fill the blocks with pairs that are not near-duplicates."""
    words: list[bytes] = []
    counts = np.empty(len(texts), dtype=np.int64)
    for n, text in enumerate(texts):
        tokens = text.encode("utf-8", "surrogatepass").split() or [b""]  # an empty text still gets a signature
        words += tokens
        words.append(b"\n")  # the end of a text: its last pair is (last word, end)
        counts[n] = len(tokens)
    hashes = np.fromiter(map(zlib.crc32, words), dtype=np.uint64, count=len(words))
    ends = np.cumsum(counts + 1) - 1  # the position of each text's end marker
    pair_hashes = hashes[:-1] * np.uint64(0x100000001B3) + hashes[1:]
    keep = np.ones(len(pair_hashes), dtype=bool)
    keep[ends[:-1]] = False  # (end of one text, first word of the next) is no pair
    hashes = pair_hashes[keep]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pairs = []
    order_index = np.arange(len(texts))
    for band in range(BANDS):
        key = np.zeros(len(texts), dtype=np.uint64)
        for row in range(band * ROWS, (band + 1) * ROWS):
            a, b = _SEEDS[0, row], _SEEDS[1, row]
            signature = np.minimum.reduceat((hashes * a + b) >> np.uint64(32), starts)  # multiply-shift hashing; wraps mod 2**64
            key = key * np.uint64(0x9E3779B97F4A7C15) + signature
        order = np.lexsort((order_index, key))  # blocks of equal keys, texts in corpus order within a block
        ranked = key[order]
        for step in range(1, WINDOW + 1):
            same = np.nonzero(ranked[step:] == ranked[:-step])[0]
            pairs.append(np.stack((order[same], order[same + step])))
    both = np.concatenate(pairs, axis=1) if pairs else np.empty((2, 0), dtype=np.int64)
    codes = np.sort(both[0] * len(texts) + both[1])  # first < second: lexsort kept corpus order
    unique = codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes  # a block of near-copies repeats its pairs in every band
    return unique // len(texts), unique % len(texts)
