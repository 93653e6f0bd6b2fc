"""Fixtures for ingest tests: a replay server on a real socket, a fast client, a temporary cache."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay import ReplayServer, World

from ingest.cache import Cache
from ingest.client import Backoff, S2Client

# The replay world records Semantic Scholar's answers for the sources the corpus had when they
# were recorded; a frozen copy of those sources keeps these tests independent of corpus growth.
CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"

# Fast but real: every test still goes through the rate limiter and the backoff loop.
TEST_RATE = 50.0  # requests per second
TEST_BACKOFF = dict(base=0.02, cap=0.2, attempts=5)


@pytest.fixture(autouse=True)
def frozen_corpus(monkeypatch) -> Path:
    monkeypatch.setenv("KG_CORPUS", str(CORPUS))
    return CORPUS


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "s2cache"
    monkeypatch.setenv("KG_S2_CACHE", str(d))
    return d


@pytest.fixture
def cache(cache_dir) -> Cache:
    return Cache.open(cache_dir)


@pytest.fixture
def server():
    with ReplayServer(World.load()) as s:
        yield s


@pytest.fixture
def make_client(server):
    made = []

    def make(rate: float = TEST_RATE, timeout: float = 2.0, api_key: str | None = "test-key", **backoff) -> S2Client:
        b = Backoff(**{**TEST_BACKOFF, **backoff}, rng=random.Random(7))
        c = S2Client(api_key=api_key, api_url=server.url, rate=rate, timeout=timeout, backoff=b)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="session")
def corpus():
    from kg.loading import load_corpus

    c, problems = load_corpus(CORPUS)
    assert not problems, problems
    return c
