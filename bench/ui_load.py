"""Many readers at once: the real Streamlit server under several concurrent browser sessions.

    python bench/ui_load.py                          # 5 sessions, 500 page loads (`make soak`)
    python bench/ui_load.py --sessions 3 --loads 60 --corpus claims
    python bench/ui_load.py --navigate               # after one page load, readers click through the app

Starts `streamlit run ui/app.py` as a subprocess (tests/ui/browserkit.Server), launches Debian's
Chromium once and opens one Playwright browser context per session. Each session walks every
view by its deep link (overview, hypothesis, claim, source, graph explorer, search, runs,
contribute; the subjects rotate over several hypotheses, claims and sources), one full page load
after another, until the sessions together have made `--loads` loads. A load counts from
`page.goto` until the app's script run is over (`stApp[data-test-script-state=notRunning]`)
with the page's title drawn (and, for pages with a network, its component frame attached).
With `--navigate` each session loads its first view and then moves between views inside the
running app (Streamlit's front end reruns the new page over its websocket, as for a click on an
st.page_link or the back button): no new front end to boot in the browser for each view.

Reported: every load's time (p50, p95, max, overall and per view), errors (an exception or
error box on the page, a console error, an uncaught page error, a load that never settles), and
the server's RSS after a warm-up round and at the end (growth over the run). Targets (issue
15): no errors; p95 under 1.5 s with 5 sessions on 2 cores; RSS growth under 50 MB over 500
loads. tests/ui/test_ui_load.py runs a short version and asserts only that there are no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))  # browserkit: the server and browser the tests use
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from browserkit import CHROMIUM_FLAGS, ERROR_BOXES, Server  # noqa: E402

VERBOSE = bool(os.environ.get("KG_LOAD_VERBOSE"))
VIEWS = ("overview", "hypothesis", "claim", "source", "graph", "search", "runs", "contribute")
TITLE = '[data-testid="stMain"] :is(h1, h3)'  # every view draws its title first
SETTLED = f'[data-testid="stApp"][data-test-script-state="notRunning"] {TITLE}'


@dataclass
class Report:
    sessions: int
    loads: list[tuple[str, float]] = field(default_factory=list)  # (view, seconds)
    errors: list[str] = field(default_factory=list)
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (loads done, MB)
    wall_s: float = 0.0

    def times(self, view: str | None = None) -> list[float]:
        return sorted(t for v, t in self.loads if view is None or v == view)

    @staticmethod
    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    def rss_growth_mb(self) -> float:
        """From the first sample after the warm-up round to the last."""
        return self.rss_mb[-1][1] - self.rss_mb[0][1] if len(self.rss_mb) >= 2 else float("nan")

    def summary(self) -> dict:
        all_ = self.times()
        views = sorted({v for v, _ in self.loads})
        return {
            "sessions": self.sessions,
            "loads": len(self.loads),
            "errors": len(self.errors),
            "wall_s": round(self.wall_s, 1),
            "p50_s": round(self.pct(all_, 0.5), 3),
            "p95_s": round(self.pct(all_, 0.95), 3),
            "max_s": round(max(all_, default=float("nan")), 3),
            "per_view_p95_s": {v: round(self.pct(self.times(v), 0.95), 3) for v in views},
            "rss_mb_after_warmup": round(self.rss_mb[0][1], 1) if self.rss_mb else None,
            "rss_mb_end": round(self.rss_mb[-1][1], 1) if self.rss_mb else None,
            "rss_growth_mb": round(self.rss_growth_mb(), 1),
        }


def subjects(corpus: Path, n: int = 4) -> dict[str, list[str]]:
    """A few hypotheses, claims and sources to rotate over (the most-evidenced first)."""
    from claimgraph import open_store
    from kg import overview

    store = open_store(corpus, runs=False)
    hyps = [h.id for h, _ in sorted(overview(store), key=lambda hb: -len(hb[1].contributions))][:n]
    sources = [s.id for s in store.sources()[:n]]
    claims = [c.id for s in store.sources()[: n * 3] for c in store.claims_of_source(s.id)][::3][:n]
    return {"hypothesis": hyps, "claim": claims, "source": sources}


def tour(ids: dict[str, list[str]]) -> list[tuple[str, str, bool]]:
    """(view, deep link, has a network) for every view, over the rotating subjects."""
    from urllib.parse import quote

    rounds = max(len(v) for v in ids.values())
    words = ["grokking", "safety fine-tuning", "superposition", "in-context learning"]
    out = []
    for i in range(rounds):
        h, c, s = (quote(ids[k][i % len(ids[k])], safe="") for k in ("hypothesis", "claim", "source"))
        out += [
            ("overview", "/", False),
            ("hypothesis", f"/hypothesis?id={h}", False),
            ("claim", f"/claim?id={c}", True),
            ("source", f"/source?id={s}", True),
            ("graph", f"/graph?h={h}", True),
            ("search", f"/search?q={quote(words[i % len(words)])}", False),
            ("runs", "/runs", False),
            ("contribute", f"/contribute?source={s}&hypothesis={h}", False),
        ]
    return out


def expected_failure(url: str, base: str) -> bool:
    """Failed requests that are not the app's: Streamlit's frontend finds its base path by
    asking `<page path>/_stcore/health` and `host-config` before the root (404s by design on a
    deep link), and the browser on this closed network cannot fetch the Material-icon favicon
    from fonts.gstatic.com. Anything else the console reports counts as an error."""
    from urllib.parse import urlparse

    if url and not url.startswith(base):
        return urlparse(url).hostname == "fonts.gstatic.com"
    path = urlparse(url).path
    return path.endswith(("/_stcore/health", "/_stcore/host-config")) and not path.startswith("/_stcore/")


async def one_load(page, url: str, graph: bool, timeout_s: float) -> None:
    await page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    await page.wait_for_selector(SETTLED, timeout=timeout_s * 1000)
    if graph:
        await page.wait_for_selector('[data-testid="stMain"] iframe', state="attached", timeout=timeout_s * 1000)


# Back/forward in the browser: Streamlit's front end hears `popstate` and asks the server for the
# page and query of the new URL over its open websocket, as a click on an st.page_link does.
NAVIGATE = "(path) => { history.pushState({}, '', path); window.dispatchEvent(new PopStateEvent('popstate')); }"
TITLE_TEXT = "(selector) => document.querySelector(selector)?.textContent ?? ''"
NAVIGATED = """([selector, previous]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const title = document.querySelector(selector);
  return app && app.getAttribute('data-test-script-state') === 'notRunning' && title && title.textContent !== previous;
}"""


async def one_navigation(page, path: str, graph: bool, timeout_s: float) -> None:
    """A view reached inside the running app (a reader clicking a link), not a fresh page load:
    settled when the script run is over and the title is the new view's (consecutive views of the
    tour have different titles)."""
    previous = await page.evaluate(TITLE_TEXT, TITLE)
    await page.evaluate(NAVIGATE, path)
    await page.wait_for_function(NAVIGATED, arg=[TITLE, previous], timeout=timeout_s * 1000)
    if graph:
        await page.wait_for_selector('[data-testid="stMain"] iframe', state="attached", timeout=timeout_s * 1000)


async def session(browser, base: str, views: list, offset: int, quota, report: Report, warmup: asyncio.Event, timeout_s: float, navigate: bool = False) -> None:
    context = await browser.new_context(viewport={"width": 1360, "height": 900})
    page = await context.new_page()
    current = {"url": ""}
    page.on(
        "console",
        lambda m: (
            report.errors.append(f"console error on {current['url']}: {m.text[:300]} ({m.location.get('url')})")
            if m.type == "error" and not expected_failure(m.location.get("url") or "", base)
            else None
        ),
    )
    page.on("pageerror", lambda e: report.errors.append(f"page error on {current['url']}: {str(e)[:300]}"))
    i = offset
    try:
        while quota():
            view, path, graph = views[i % len(views)]
            i += 1
            current["url"] = path
            t0 = time.perf_counter()
            try:
                if navigate and i > offset + 1:  # the session's first view is a page load, then it clicks through
                    await one_navigation(page, path, graph, timeout_s)
                else:
                    await one_load(page, base + path, graph, timeout_s)
            except Exception as exc:  # noqa: BLE001 - a load that never settles is an error, and the walk goes on
                report.errors.append(f"{path}: did not settle: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                continue
            took = time.perf_counter() - t0
            boxes = page.locator(ERROR_BOXES)
            if await boxes.count():
                report.errors.append(f"{path}: error box: {(await boxes.first.inner_text())[:300]}")
            if await page.locator("text=Traceback").count():
                report.errors.append(f"{path}: a traceback is shown")
            if warmup.is_set():
                report.loads.append((view, took))
            if VERBOSE:
                print(f"{'load' if warmup.is_set() else 'warm-up'} {path} {took:.2f} s", flush=True)
    finally:
        await context.close()


async def drive(server: Server, views: list, sessions: int, loads: int, chromium: str, rss_every: int, timeout_s: float, navigate: bool = False) -> Report:
    from playwright.async_api import async_playwright

    report = Report(sessions=sessions)
    warmup = asyncio.Event()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            # Warm-up: one session opens every view once (caches filled, first imports paid);
            # neither its times nor its memory count.
            done = {"n": 0}

            def warm_quota() -> bool:
                done["n"] += 1
                return done["n"] <= len(VIEWS)

            await session(browser, server.url, views, 0, warm_quota, report, warmup, timeout_s)
            warmup.set()
            report.rss_mb.append((0, server.rss_mb()))
            started = {"n": 0}

            def quota() -> bool:
                if started["n"] >= loads:
                    return False
                started["n"] += 1
                return True

            async def sample() -> None:
                last = 0
                while True:
                    await asyncio.sleep(0.5)
                    if len(report.loads) - last >= rss_every:
                        last = len(report.loads)
                        report.rss_mb.append((last, server.rss_mb()))

            sampler = asyncio.create_task(sample())
            t0 = time.perf_counter()
            await asyncio.gather(*(session(browser, server.url, views, k * len(views) // sessions, quota, report, warmup, timeout_s, navigate) for k in range(sessions)))
            report.wall_s = time.perf_counter() - t0
            sampler.cancel()
            await asyncio.sleep(2)  # let the server drop the last sessions before the final sample
            report.rss_mb.append((len(report.loads), server.rss_mb()))
        finally:
            await browser.close()
    return report


def run(
    corpus: Path, sessions: int, loads: int, chromium: str, runs: Path | None = None, rss_every: int = 50, timeout_s: float = 60, env: dict[str, str] | None = None, navigate: bool = False
) -> Report:
    """`timeout_s`: how long one load may take before it counts as an error (never settled);
    `navigate`: after its first page load, each session moves between views inside the app."""
    views = tour(subjects(corpus))
    server = Server(corpus, runs or Path(tempfile.mkdtemp(prefix="kg-ui-load-runs-")), **(env or {}))
    try:
        return asyncio.run(drive(server, views, sessions, loads, chromium, rss_every, timeout_s, navigate))
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=5)
    ap.add_argument("--loads", type=int, default=500, help="page loads in all, after the warm-up round")
    ap.add_argument("--corpus", type=Path, default=ROOT / "claims")
    ap.add_argument("--json", type=Path, help="also write the summary and every load here")
    ap.add_argument("--navigate", action="store_true", help="move between views inside the app (as a reader clicking links does) instead of a full page load each time")
    args = ap.parse_args()
    from browserkit import chromium

    load_before = os.getloadavg()[0]
    report = run(args.corpus.resolve(), args.sessions, args.loads, chromium(), navigate=args.navigate)
    summary = {
        **report.summary(),
        "mode": "in-app navigation" if args.navigate else "full page loads",
        "corpus": str(args.corpus),
        "cpus": len(os.sched_getaffinity(0)),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary, indent=1))
    print("rss (loads, MB):", ", ".join(f"{n}:{mb:.0f}" for n, mb in report.rss_mb))
    for e in report.errors[:20]:
        print("ERROR", e)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "loads": report.loads, "errors": report.errors, "rss_mb": report.rss_mb}, indent=1))
    ok = not report.errors and summary["p95_s"] < 1.5 and summary["rss_growth_mb"] < 50
    print("targets met" if ok else "TARGETS MISSED (no errors, p95 < 1.5 s, RSS growth < 50 MB)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
