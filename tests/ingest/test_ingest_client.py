"""The S2 client over real HTTP against the replay server: recorded responses, batching, paging,
the rate limit (from the server's timestamps), backoff and every injected fault."""

from __future__ import annotations

import math
import time

import pytest
from replay import ReplayServer, World

from ingest.client import S2Client, S2Unavailable

NANDA = "ARXIV:2301.05217"


def test_recorded_references_and_citations_page_to_the_end():
    """Real recorded S2 responses: 2 pages of references (67 items) and 19 of citations (1,881)."""
    with ReplayServer(World(), cassettes=["test_get_paper_references.yaml", "test_get_paper_citations.yaml"]) as s:
        c = S2Client(api_key="k", api_url=s.url, rate=100)
        refs, truncated = c.edges("10.2139/ssrn.2250500", "references", fields=["title"], page_size=50)
        assert (len(refs), truncated) == (67, False)
        assert all("citedPaper" in r for r in refs)
        cites, _ = c.edges("CorpusID:14514057", "citations", fields=["title"], page_size=100)
        assert len(cites) == 1881
        assert len(s.requests("/citations")) == 19
        # bug workaround: our own call sends the key on these endpoints (the package does not)
        assert all(r.headers.get("x-api-key") == "k" for r in s.requests())
        c.close()


def test_recorded_batch_with_nulls_and_not_found():
    """A real batch response with a null (unknown id) maps the other ids to their papers."""
    with ReplayServer(World(), cassettes=["test_get_papers_return_not_found.yaml"]) as s:
        ids = ["CorpusId:211530585", "CorpusId:470667", "10.2139/ssrn.2250500", "0f40b1f08821e22e859c6050916cec3667778613"]
        c = S2Client(api_url=s.url, rate=100)
        fields = (
            "abstract,authors,citationCount,citationStyles,corpusId,externalIds,fieldsOfStudy,influentialCitationCount,"
            "isOpenAccess,journal,openAccessPdf,paperId,publicationDate,publicationTypes,publicationVenue,referenceCount,"
            "s2FieldsOfStudy,title,url,venue,year"
        ).split(",")
        got = c.papers(ids, fields=fields)
        assert got["CorpusId:211530585"] is None
        assert got["0f40b1f08821e22e859c6050916cec3667778613"]["paperId"] == "0f40b1f08821e22e859c6050916cec3667778613"
        assert got["CorpusId:470667"]["externalIds"]["CorpusId"] == 470667
        assert sum(v is not None for v in got.values()) == 3
        c.close()


def test_recorded_match_title_and_empty_search():
    with ReplayServer(World(), cassettes=["test_search_paper_match_title.yaml", "test_empty_paginated_results.yaml"]) as s:
        c = S2Client(api_url=s.url, rate=100)
        hit = c.match_title("mining association rules between", fields=["title"])
        assert hit and "matchScore" in hit and hit["title"]
        assert c.search("n0 r3sult s3arch t3rm", limit=100, fields=["title"]) == []
        c.close()


def test_query_is_encoded(server, make_client):
    """Bug workaround: '&', '+' and '#' in a query arrive intact."""
    c = make_client()
    c.search("graph & C++ #1", limit=5)
    (req,) = server.requests("/paper/search")
    assert req.query["query"] == "graph & C++ #1"
    assert req.query["fields"] == "paperId,title,year,authors,externalIds,venue"  # explicit fields


@pytest.mark.parametrize("n", [1, 500, 501, 1200])
def test_batching_requests_per_n_papers(n, make_client, server):
    server.world.synthesize_arxiv = True
    c = make_client(rate=1000)
    ids = [f"ARXIV:2401.{i:05d}" for i in range(n)]
    got = c.papers(ids)
    assert len(got) == n and all(v is not None for v in got.values())
    batches = server.requests("/paper/batch")
    assert len(batches) == math.ceil(n / 500)
    assert len(server.requests()) == len(batches)


def test_rate_limit_seen_by_the_server(server, make_client):
    rate = 10.0
    c = make_client(rate=rate)
    for _ in range(12):
        c.paper(NANDA)
    times = [r.t for r in server.requests("/paper/")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 12
    assert min(gaps) >= 1 / rate - 0.01, gaps  # never faster than the limit
    observed = (len(times) - 1) / (times[-1] - times[0])
    assert observed <= rate * 1.05


def test_default_rate_is_slower_without_a_key(monkeypatch):
    monkeypatch.delenv("S2_RATE", raising=False)
    assert S2Client(api_key="k").limiter.interval == pytest.approx(1.0)
    monkeypatch.delenv("S2_API_KEY", raising=False)
    assert S2Client(api_key="").limiter.interval > 1.0


def test_429_burst_backs_off_exponentially_and_recovers(server, make_client):
    c = make_client(rate=1000, base=0.05, cap=1.0, attempts=6)
    server.fault("429", times=4)
    assert c.paper(NANDA)["externalIds"]["ArXiv"] == "2301.05217"
    reqs = server.requests()
    assert [r.status for r in reqs] == [429, 429, 429, 429, 200]
    gaps = [b.t - a.t for a, b in zip(reqs, reqs[1:], strict=False)]
    # attempt k waits uniform(0.5, 1) * base * 2**k: the floors are 25, 50, 100, 200 ms
    for k, gap in enumerate(gaps):
        assert gap >= 0.5 * 0.05 * 2**k - 0.005, gaps
    assert gaps[3] > gaps[0]
    assert c.stats.retries == 4 and c.stats.errors["429 too many requests"] == 4


def client_timeout(kind: str) -> tuple[float, float]:
    """(the client's timeout, the fault's delay). Only a `timeout` fault needs a short timeout;
    for the others a 0.3 s timeout made a healthy reply on a busy CI machine an extra retry."""
    return (1.0, 2.0) if kind == "timeout" else (10.0, 0.0)


@pytest.mark.parametrize("kind,reason", [("500", "500 server error"), ("502", "error body"), ("error200", "error body"), ("truncated", "malformed response"), ("timeout", "timeout")])
def test_each_fault_is_retried_on_the_package_path(kind, reason, server, make_client):
    timeout, delay = client_timeout(kind)
    c = make_client(timeout=timeout)
    server.fault(kind, times=2, delay=delay)
    got = c.papers([NANDA, "ARXIV:2405.15071"])
    assert got[NANDA]["title"].startswith("Progress measures")
    assert c.stats.errors[reason] == 2


@pytest.mark.parametrize("kind", ["429", "500", "truncated", "error200", "timeout"])
def test_each_fault_is_retried_on_our_edge_path(kind, server, make_client):
    timeout, delay = client_timeout(kind)
    c = make_client(timeout=timeout)
    pid = c.paper(NANDA)["paperId"]
    server.fault(kind, times=2, path="/references", delay=delay)
    items, _ = c.edges(pid, "references")
    assert len(items) == 3
    assert c.stats.retries == 2


def test_error_body_never_passes_as_not_found(server, make_client):
    """The package turns 200 {"error": ...} into {}: for a batch that would read as 'all not found'."""
    c = make_client(attempts=3)
    server.fault("error200", times=99)
    with pytest.raises(S2Unavailable, match="error body"):
        c.papers([NANDA])


def test_gives_up_with_a_reason_after_the_attempts(server, make_client):
    c = make_client(attempts=3)
    server.fault("500", times=99)
    t = time.monotonic()
    with pytest.raises(S2Unavailable, match=r"500 server error \(gave up after 3 attempts\)"):
        c.paper(NANDA)
    assert len(server.requests()) == 3
    assert time.monotonic() - t < 2


def test_empty_page_with_next_is_followed(server, make_client):
    """Toy Models has 2,402 citers behind a filtered gap: page 2 is empty but carries `next`."""
    c = make_client(rate=1000)
    pid = c.paper("ARXIV:2209.10652")["paperId"]
    items, truncated = c.edges(pid, "citations")
    assert (len(items), truncated) == (2402, False)
    pages = server.requests("/citations")
    assert [int(r.query["offset"]) for r in pages] == [0, 1000, 2000, 3000]


def test_not_found_is_none_not_an_error(server, make_client):
    c = make_client()
    assert c.paper("ARXIV:0000.00000") is None
    assert c.papers(["ARXIV:0000.00000", NANDA])["ARXIV:0000.00000"] is None
    assert c.match_title("zzzz qqqq xxxx") is None
