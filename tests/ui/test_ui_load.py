"""Many readers at once, short: the real Streamlit server, three concurrent Chromium sessions
(Playwright browser contexts) walking every view by its deep link, 48 page loads after a
warm-up round. Asserts no errors (no exception or error box, no console or page error, every
load settles) and that every view was loaded; the times and the server's memory are recorded
(build/ui_load_short.json and the test's properties), not asserted: the targets are checked by
`make soak` (bench/ui_load.py, 5 sessions, 500 loads; numbers in bench/README.md)."""

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


def test_three_readers_walk_every_view_without_errors(tmp_path, record_property):
    # A load that never settles is an error; "never" is generous here, as a shared CI machine can
    # be slow (no timed assertion: the speed targets are make soak's).
    report = ui_load.run(ROOT / "claims", sessions=3, loads=48, chromium=chromium(), runs=tmp_path / "runs", rss_every=12, timeout_s=300)
    summary = report.summary()
    for key in ("p50_s", "p95_s", "max_s", "rss_growth_mb", "wall_s"):
        record_property(key, summary[key])
    (ROOT / "build").mkdir(exist_ok=True)
    (ROOT / "build" / "ui_load_short.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    assert not report.errors, report.errors[:10]
    assert len(report.loads) == 48
    assert {view for view, _ in report.loads} == set(ui_load.VIEWS)
    assert len(report.rss_mb) >= 2 and all(mb > 0 for _, mb in report.rss_mb)


def test_a_reader_clicks_through_every_view_without_errors(tmp_path):
    """The soak's other mode: after one page load, the reader moves between views inside the
    running app (`--navigate`, as clicking an st.page_link or the back button does). A view that
    never arrives (its script run not started, or its title never drawn) is an error."""
    report = ui_load.run(ROOT / "claims", sessions=1, loads=8, chromium=chromium(), runs=tmp_path / "runs", rss_every=4, timeout_s=300, navigate=True)
    print(json.dumps(report.summary()))
    assert not report.errors, report.errors[:10]
    assert len(report.loads) == 8
    assert {view for view, _ in report.loads} == set(ui_load.VIEWS)
