"""The evidence over time in the UI (ui/timeline.py): the hypothesis page's timeline and the
overview's "changed since…", on the scripted git repository (tests/scripted_repo.py), and on a
plain copy of a corpus (a tarball: no git history), where both say so instead of failing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from uihelpers import all_text, chart_frames, page_links

from ui.timeline import NO_HISTORY

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"


@pytest.fixture
def in_git(scripted_repo, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CORPUS", str(scripted_repo.corpus))
    monkeypatch.setenv("KG_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("KG_HISTORY_CACHE", str(tmp_path / "cache"))
    return scripted_repo


def run(page: str, **query):
    from streamlit.testing.v1 import AppTest

    from ui.widgets import PAGES

    at = AppTest.from_file(str(APP), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(PAGES[page])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_the_hypothesis_page_draws_the_balance_over_the_commits_that_moved_it(in_git):
    at = run("hypothesis", id="general-algorithms")
    assert "Over time" in [s.value for s in at.subheader]
    timeline = next(f for f in chart_frames(at) if "commit" in f.columns)
    shas = {sha[:10]: name for name, sha in in_git.commits.items()}
    assert [shas[c] for c in timeline["commit"]] == ["c1", "c2", "c3", "c5", "c7"]  # c4 renamed a file; c6 did not load
    assert timeline["balance"].iloc[0] == 1.0 and timeline["balance"].iloc[1] < 0.5
    # the tooltip's claims: what moved the balance at each point
    assert timeline["claims"].iloc[1].startswith("parity-needs-no-general-algorithm (added, -")
    assert "grokking-fourier (edited" in timeline["claims"].iloc[3]
    assert "did not load are left out" in all_text(at)


def test_the_overview_marks_hypotheses_whose_verdict_moved_since_a_date(in_git):
    at = run("overview")
    at.date_input(key="ov_since").set_value(date(2026, 1, 2)).run()  # the corpus at c2 vs the work tree (c7)
    assert not at.exception, [e.message for e in at.exception]
    moved = [label.replace("\\", "") for p, label, q in page_links(at) if q == "id=general-algorithms" and "→" in label]
    # c2 -> c7: the counterweight removed, grokking-fourier edited (strength, reproduction)
    assert moved == ["General algorithms when the mix is right: +0.20 (very-low) → +1.00 (low), 2 claim(s) changed"]
    at.date_input(key="ov_since").set_value(date(2026, 1, 7)).run()
    assert "No hypothesis moved since 2026-01-07" in all_text(at)


def test_without_git_history_both_views_say_so(app):
    hyp = app("hypothesis", id="general-algorithms")
    assert NO_HISTORY in [i.value for i in hyp.info]
    overview = app("overview")
    assert NO_HISTORY in all_text(overview)
