"""The app in a real browser: `streamlit run ui/app.py` headless, every view opened in Debian's
Chromium (driven by Playwright for Python; never `playwright install`), no error box, and a
screenshot of each view (build/screenshots/, or docs/screenshots/ via `make screenshots`).

Without Chromium this FAILS (CI must install it: `apt-get install -y chromium`, which
`make test` does), unless KG_SKIP_BROWSER=1 says to skip it on purpose.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browserkit import CHROMIUM_FLAGS, ERROR_BOXES, Server, chromium, settle

ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to build/screenshots (git-ignored) so a test run leaves the tree clean;
# `make screenshots` sets KG_SCREENSHOT_DIR=docs/screenshots to refresh the README tour.
SHOTS = Path(os.environ.get("KG_SCREENSHOT_DIR") or ROOT / "build" / "screenshots")
BUILD_SHOTS = ROOT / "build" / "screenshots"
FIXTURE = Path(__file__).parent / "fixtures" / "corpus"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    exe = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def claims_server(tmp_path_factory):
    """One server on the bundled corpus for the module (the tour's screenshots, the reader's view)."""
    server = Server(ROOT / "claims", tmp_path_factory.mktemp("runs"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fixture_server(tmp_path_factory):
    """One server on the small fixture corpus (with its hostile claim) for the module."""
    server = Server(FIXTURE, tmp_path_factory.mktemp("runs"))
    yield server
    server.stop()


def open_view(browser, url: str, graph: bool = False):
    page = browser.new_page(viewport={"width": 1360, "height": 1500 if graph else 900})
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    settle(page, graph)
    errors = page.locator(ERROR_BOXES)
    assert errors.count() == 0, f"{url}: error box shown: {errors.first.inner_text()[:500]}"
    assert page.locator("text=Traceback").count() == 0, url
    return page, dialogs


def tour_ids() -> dict[str, str]:
    """Subjects for the screenshots: the bundled corpus's most-evidenced hypothesis, its
    heaviest claim, and that claim's source."""
    from claimgraph import open_store
    from kg import by_relation, overview

    store = open_store(ROOT / "claims", runs=False)
    hyp, _ = max(overview(store), key=lambda hb: (len(hb[1].contributions), hb[1].contested))
    groups = by_relation(store, hyp.id)
    top = (groups["supports"] or groups["contradicts"] or groups["qualifies"])[0].row
    return {"hypothesis": hyp.id, "claim": top.claim, "source": top.source}


def test_every_view_renders_in_chromium_and_is_screenshotted(browser, claims_server):
    ids = tour_ids()
    views = {
        "overview": ("/", False),
        "hypothesis": (f"/hypothesis?id={ids['hypothesis']}", False),
        "claim": (f"/claim?id={ids['claim']}", True),
        "source": (f"/source?id={ids['source']}", True),
        "graph": (f"/graph?h={ids['hypothesis']}", True),
        "search": ("/search?q=grokking", False),
        "runs": ("/runs", False),
        "contribute": (f"/contribute?source={ids['source']}&hypothesis={ids['hypothesis']}", False),
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, (path, graph) in views.items():
        page, dialogs = open_view(browser, claims_server.url + path, graph)
        assert not dialogs
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)
        page.close()
    for name in views:
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000, name


def cytoscape(page):
    return next(f for f in page.frames if f.evaluate("() => !!document.getElementById('cy')"))


def test_clicking_a_graph_node_previews_it_and_open_goes_there(browser, fixture_server):
    page, _ = open_view(browser, fixture_server.url + "/claim?id=grokking-fourier", graph=True)
    cy = cytoscape(page)
    # labels at the default zoom: every node has a caption, drawn (min-zoomed-font-size 0)
    names = cy.evaluate("() => document.getElementById('cy')._cyreg.cy.nodes().map(n => [n.style('label'), n.style('min-zoomed-font-size')])")
    assert names and all(label and size in ("0px", "0") for label, size in names), names
    assert "Nanda et al. 2023" in [label for label, _ in names]  # a source by author and year
    assert page.locator('[data-testid="graph-legend"]').inner_text().count("supports") == 1
    # a real Cytoscape tap on the source node, as a click would produce: a preview, then "open"
    cy.evaluate("() => document.getElementById('cy')._cyreg.cy.getElementById('source:nanda2023-progress-measures').emit('tap')")
    preview = page.locator(".st-key-claim_graph_preview")
    preview.get_by_text("Open this source").wait_for(timeout=30_000)
    assert "Progress measures for grokking" in preview.inner_text()
    preview.get_by_text("Open this source").click()
    page.wait_for_url("**/source?id=nanda2023-progress-measures", timeout=30_000)
    settle(page)
    assert page.locator("h1", has_text="Progress measures for grokking").count() == 1
    page.close()


def test_hostile_text_stays_text_in_the_browser(browser, fixture_server):
    for path, graph in (("/claim?id=hostile-claim", True), ("/source?id=hostile-blog", True), ("/hypothesis?id=shallow-safety", False)):
        page, dialogs = open_view(browser, fixture_server.url + path, graph)
        assert not dialogs, f"{path}: a script ran: {dialogs}"
        assert page.locator('a[href^="javascript"]').count() == 0, path
        assert page.locator("main script, [data-testid='stMain'] img[src='x']").count() == 0, path
        if path.startswith("/claim"):
            assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1
        page.close()


READER = "far-out-of-context-generalisation"  # the example: its counter-evidence used to hide under Qualifies


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_the_readers_view(browser, claims_server, viewport):
    """What a reader sees: every overview bar labelled, the sidebar out of the way on a phone, the
    answer with the strongest evidence against, statements whole (wrapped, not clipped)."""
    from claimgraph import open_store

    store = open_store(ROOT / "claims", runs=False)
    page = browser.new_page(viewport=viewport)
    page.goto(claims_server.url + "/")
    settle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg text', timeout=30_000)
    drawn = chart.evaluate("c => [...c.querySelectorAll('svg text')].map(t => t.textContent).join('')").replace(" ", "").replace("\u00a0", "")
    for h in store.hypotheses():
        assert h.title.replace(" ", "") in drawn, f"no bar label for {h.title!r}"
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    if viewport["width"] < 600:
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1, sidebar  # collapsed on a phone
    page.goto(claims_server.url + f"/hypothesis?id={READER}")
    settle(page)
    against = page.locator(".st-key-strongest_against")
    assert against.count() == 1 and "Strongest against" in against.inner_text()
    link = against.locator('[data-testid="stPageLink"] a').first
    statement = " ".join(link.inner_text().split())
    assert len(statement) > 130, statement  # longer than the old cut
    full = {" ".join(c.statement.split()) for c in (store.claim(r.claim) for r in store.evidence(READER)) if c}
    assert statement in full, statement  # the whole statement, not a cut
    clipped = link.evaluate("a => [...a.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)")
    assert not clipped
    if viewport["width"] > 1000:  # the answer, both sides, inside the first screen
        box = against.bounding_box()
        assert box is not None and box["y"] < viewport["height"], box
    page.close()


def test_hypothesis_page_answer_above_the_fold_at_desktop_and_phone_sizes(browser, fixture_server):
    """The new hypothesis page: the answer (balance, certainty, range, 'rests on') inside the first
    screen, the summary of findings and the forest plot drawn; screenshotted at both sizes."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    BUILD_SHOTS.mkdir(parents=True, exist_ok=True)
    server = fixture_server
    for name, viewport in (("hypothesis-desktop", {"width": 1400, "height": 900}), ("hypothesis-phone", {"width": 390, "height": 844})):
        page = browser.new_page(viewport=viewport)
        page.goto(server.url + "/hypothesis?id=shallow-safety")
        settle(page)
        assert page.locator(ERROR_BOXES).count() == 0
        certainty = page.locator('[data-testid="stMetric"]', has_text="Certainty")
        assert certainty.count() == 1 and "very-low" in certainty.inner_text()
        if viewport["width"] > 1000:  # on a phone the metrics stack, so only the balance is sure to fit
            box = certainty.bounding_box()
            assert box is not None and box["y"] + box["height"] <= viewport["height"], box
        balance = page.locator('[data-testid="stMetric"]', has_text="Balance").first.bounding_box()
        assert balance is not None and balance["y"] + balance["height"] <= viewport["height"], balance
        assert page.get_by_text("Rests on one source:").count() == 1
        assert page.get_by_text("Summary of findings").count() == 1
        page.get_by_text("Sources, weighed").scroll_into_view_if_needed()
        page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', timeout=30_000)
        assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 3  # the balance bar, the forest plot, the pooled balance
        page.locator('[data-testid="stMain"] h1').first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{name}.png"))  # the first screen: the answer
        # the whole page: Streamlit scrolls inside its main block, so grow the viewport to it
        height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": viewport["width"], "height": min(int(height), 8000)})
        page.wait_for_timeout(1000)
        page.screenshot(path=str(BUILD_SHOTS / f"{name}-full.png"))  # for review; not part of the README tour
        if viewport["width"] > 1000:  # only the chosen claims tab is drawn: a click on another draws its cards
            assert page.get_by_text("Why: The behaviour is undone with little data.").count() == 1
            page.get_by_role("tab", name="Contradicts (2)").click()
            page.get_by_text("Why: Something deeper than the surface survives.").wait_for(timeout=30_000)
            assert page.get_by_text("Why: The behaviour is undone with little data.").count() == 0
        page.close()
    for shot in ("hypothesis-desktop", "hypothesis-phone"):
        assert (SHOTS / f"{shot}.png").stat().st_size > 10_000, shot
        assert (BUILD_SHOTS / f"{shot}-full.png").stat().st_size > 10_000, shot
