"""Many readers at once, short: the real Streamlit server and three concurrent Chromium
sessions (Playwright browser contexts). After a warm-up round of full page loads, the three open
the app by deep links at the same moment, then click through every view inside it, 30 views in
all. Asserts no errors (no exception or error box, no console or page error, every view
settles) and that every view was reached; the times and the server's memory are recorded
(build/ui_load_short.json and the test's properties), not asserted: the targets are checked by
`make soak` (bench/ui_load.py, 5 sessions, 500 full page loads; numbers in bench/README.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from browserkit import chromium

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import ui_load  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_three_readers_click_through_every_view_without_errors(tmp_path, record_property):
    """Each reader opens the app with a full page load, at the same time as the others, then
    moves between views inside the running app (`--navigate`, as clicking an st.page_link or the
    back button does). A view that never arrives (its script run not started, or its title never
    drawn) is an error; "never" is generous, as a shared CI machine can be slow (no timed
    assertion: the speed targets are make soak's)."""
    report = ui_load.run(ROOT / "claims", sessions=3, loads=30, chromium=chromium(), runs=tmp_path / "runs", rss_every=10, timeout_s=300, navigate=True)
    summary = report.summary()
    for key in ("p50_s", "p95_s", "max_s", "rss_growth_mb", "wall_s"):
        record_property(key, summary[key])
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "ui_load_short.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    assert not report.errors, report.errors[:10]
    assert len(report.loads) == 30
    assert {view for view, _ in report.loads} == set(ui_load.VIEWS)
    assert len(report.rss_mb) >= 2 and all(mb > 0 for _, mb in report.rss_mb)
