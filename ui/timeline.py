"""The evidence over time in the UI: a hypothesis's balance over the commits that moved it (the
hypothesis page) and "changed since…" (the overview). Both read the corpus's git history through
`claimgraph.history`, with the default weights (one method across time: a move on the chart is
a change of evidence, not of a slider); where there is no git history (a tarball, a copy) they
say so instead of failing.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from claimgraph.history import History, NoHistory, Point, RevisionError
from kg.diff import HypothesisDiff
from ui import data
from ui import widgets as w
from ui.vega import nominal, quantitative, temporal

NO_HISTORY = "No git history here (the corpus is a copy or a tarball, not a git checkout), so there is no timeline: clone the repository to see how the evidence moved."


def _head(corpus: str) -> str:
    """The commit the checkout is on (the cache key of its history); '' when there is none."""
    try:
        done = subprocess.run(["git", "-C", corpus, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


@st.cache_data(max_entries=64, show_spinner="Reading the history of the corpus…")
def _timeline(corpus: str, head: str, hypothesis: str) -> list[Point] | str:  # noqa: ARG001 - head is the cache key
    try:
        with History(corpus) as h:
            return h.timeline(hypothesis)
    except NoHistory:
        return NO_HISTORY
    except (RevisionError, OSError) as exc:
        return f"The history could not be read: {exc}"


@st.cache_data(max_entries=16, show_spinner="Comparing with the corpus as it was…")
def _changed_since(corpus: str, head: str, fingerprint: str, day: date) -> tuple[str | None, list[HypothesisDiff]] | str:  # noqa: ARG001 - cache keys
    try:
        with History(corpus) as h:
            return h.changed_since(datetime.combine(day, time.max, tzinfo=UTC))
    except NoHistory:
        return NO_HISTORY
    except (RevisionError, OSError) as exc:
        return f"The history could not be read: {exc}"


def points_frame(points: list[Point]) -> pd.DataFrame:
    """One row per commit that moved the hypothesis (commits where the corpus did not load, or
    where the hypothesis did not exist, are left out): what the chart and its tooltip show."""
    rows: list[dict[str, Any]] = []
    for p in points:
        if p.error or p.state is None:
            continue
        moved = [f"{c.claim} ({c.change}, {c.delta:+.3f})" for c in p.changes[:5]]
        if len(p.changes) > 5:
            moved.append(f"and {len(p.changes) - 5} more")
        rows.append(
            {
                "date": pd.Timestamp(p.commit.date).tz_convert("UTC").tz_localize(None),
                "balance": round(p.state.score, 4),
                "certainty": "untested" if p.state.untested else p.state.certainty,
                "commit": p.commit.short,
                "subject": p.commit.subject,
                "claims": "; ".join(moved) or "(no claim changed: the certainty moved)",
            }
        )
    return pd.DataFrame(rows, columns=["date", "balance", "certainty", "commit", "subject", "claims"])


def chart(frame: pd.DataFrame) -> dict[str, Any]:
    """The balance after each commit, a step line with a point per commit (hover: the commit and
    the claims that moved it): a plain Vega-Lite spec, as ui.findings's charts."""
    x = temporal("date", title=None)
    y = quantitative("balance", scale={"domain": [-1, 1]}, title="balance (−1 against .. +1 for)")
    tooltip = [nominal("commit"), temporal("date", format="%Y-%m-%d %H:%M"), quantitative("balance", format="+.2f"), nominal("certainty"), nominal("subject"), nominal("claims")]
    return {
        "layer": [
            {"data": {"name": "zero"}, "mark": {"type": "rule", "color": "#9e9e9e", "strokeDash": [4, 4]}, "encoding": {"y": quantitative("y")}},
            {
                "data": {"name": "points"},
                "layer": [
                    {"mark": {"type": "line", "interpolate": "step-after", "color": "#5e35b1"}, "encoding": {"x": x, "y": y}},
                    {"mark": {"type": "circle", "size": 90, "color": "#5e35b1"}, "encoding": {"x": x, "y": y, "tooltip": tooltip}},
                ],
            },
        ],
        "height": 260,
        "datasets": {"zero": pd.DataFrame({"y": [0]}), "points": frame},
    }


def render(hypothesis_id: str) -> None:
    """The hypothesis page's timeline: the balance after each commit that moved the evidence."""
    st.subheader("Over time")
    corpus = str(data.corpus_path())
    found = _timeline(corpus, _head(corpus), hypothesis_id)
    if isinstance(found, str):
        st.info(found, icon=":material/history:")
        return
    frame = points_frame(found)
    broken = [p for p in found if p.error]
    if frame.empty:
        st.caption("No commit has changed the evidence for this hypothesis yet (uncommitted edits show in `kg diff HEAD`).")
        return
    st.vega_lite_chart(chart(frame), width="stretch")
    st.caption(f"{len(frame)} commit(s) moved the evidence for it, with the default weights; hover a point for the commit and the claims that moved it.")
    if broken:
        st.caption(f"{len(broken)} commit(s) where the corpus did not load are left out: " + "; ".join(f"{p.commit.short}: {p.error}" for p in broken[:3]))
    with st.expander("Every event"):
        st.dataframe(frame.iloc[::-1], hide_index=True, width="stretch", key="timeline_events")


def changed_since() -> dict[str, HypothesisDiff]:
    """The overview's "changed since…": a date, and the hypotheses whose balance or certainty
    moved between the last commit before it and the corpus as it is now. Returns them by id."""
    corpus = str(data.corpus_path())
    head = _head(corpus)
    with st.expander("Changed since…", icon=":material/history:"):
        if not head:
            st.caption(NO_HISTORY)
            return {}
        day = st.date_input("Changed since", value=date.today() - timedelta(days=30), key="ov_since", max_value=date.today())
        if not isinstance(day, date):
            return {}
        found = _changed_since(corpus, head, data.fingerprint(), day)
        if isinstance(found, str):
            st.caption(found)
            return {}
        commit, moved = found
        since = f"the corpus at {commit[:10]}, the last commit on or before {day:%Y-%m-%d}" if commit else f"nothing (the corpus did not exist on {day:%Y-%m-%d})"
        if not moved:
            st.caption(f"No hypothesis moved since {day:%Y-%m-%d} (compared with {since}).")
            return {}
        st.caption(f"{len(moved)} hypothes{'is' if len(moved) == 1 else 'es'} moved, compared with {since}:")
        for d in moved:
            before = "new" if d.before is None else f"{d.score_before:+.2f} ({d.before.certainty})"
            after = "removed" if d.after is None else f"{d.score_after:+.2f} ({d.after.certainty})"
            label = f"{d.title}: {before} → {after}, {len(d.changes)} claim(s) changed"
            if d.after is not None:
                w.page_link("hypothesis", d.hypothesis, label, icon=":material/change_history:")
            else:
                st.markdown(w.md(label))
        return {d.hypothesis: d for d in moved}
