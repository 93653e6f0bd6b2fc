"""The hypothesis page's timeline in a real Chromium (the same server and browser as
test_ui_browser.py), on the scripted git repository: the chart draws, hovering a point shows
the commit and the claims, and a screenshot goes to build/screenshots/timeline.png."""

from __future__ import annotations

import pytest
from test_ui_browser import BUILD_SHOTS, ERROR_BOXES, Server, browser, settle  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser


def test_the_timeline_draws_and_its_points_name_the_commit_and_the_claims(browser, scripted_repo, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("KG_HISTORY_CACHE", str(tmp_path / "cache"))
    BUILD_SHOTS.mkdir(parents=True, exist_ok=True)
    server = Server(scripted_repo.corpus, tmp_path / "runs")
    try:
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(server.url + "/hypothesis?id=general-algorithms")
        settle(page)
        assert page.locator(ERROR_BOXES).count() == 0
        heading = page.get_by_role("heading", name="Over time")
        heading.scroll_into_view_if_needed()
        chart = page.locator('[data-testid="stVegaLiteChart"]').last
        chart.wait_for(timeout=30_000)
        page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', timeout=30_000)
        page.wait_for_timeout(1000)
        # The first commit's point: balance +1.00 (the top of the plot), at the left of the time
        # axis. Sweep the pointer over that corner until Vega's tooltip shows it.
        box = chart.bounding_box()
        assert box is not None
        tooltip = page.locator("#vg-tooltip-element")
        found = ""
        for dx in range(0, 160, 3):
            for dy in (1, 3, 5, 7, 9):
                page.mouse.move(box["x"] + dx, box["y"] + dy)
                if tooltip.count() and tooltip.is_visible() and "commit" in tooltip.inner_text():
                    found = tooltip.inner_text()
                    break
            if found:
                break
        page.screenshot(path=str(BUILD_SHOTS / "timeline.png"))
        assert found, f"no tooltip over the first point; chart at {box}"
        assert scripted_repo.commits["c1"][:10] in found and "grokking-fourier (added, +1.000)" in found, found
        page.close()
    finally:
        server.stop()
    assert (BUILD_SHOTS / "timeline.png").stat().st_size > 10_000
