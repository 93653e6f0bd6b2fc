"""Unit tests for ui.findings: the summary of findings, the forest plot's rows and charts, and the
words for a balance, built from kg's aggregate on hand-made evidence rows."""

from __future__ import annotations

import pandas as pd
import pytest

from kg.evidence import EvidenceRow, Toggles, aggregate
from ui import findings, palette, timeline


def row(claim: str, source: str, relation: str = "supports", strength: str = "strong", setting: str = "toy", **kw) -> EvidenceRow:
    return EvidenceRow(claim, source, relation, strength, setting, **kw)


ROWS = [
    row("a1", "lab-a", controlled=True, verdicts=(("reproduced", "reproduced"),)),
    row("a2", "lab-a", strength="weak"),  # a second claim of one source: diminished, same forest row
    row("b1", "lab-b", "contradicts", "moderate"),
    row("c1", "lab-c", "qualifies", "moderate"),
    row("o1", "blog", "supports", setting="opinion", kind="opinion"),
]


def sides(rows, toggles=None):
    from dataclasses import replace

    return {side: aggregate("h", [r if side != "qualifies" else replace(r, relation="supports") for r in rows if r.relation == side], None, toggles) for side in findings.SIDE_LABELS}


def test_forest_frame_one_row_per_weighing_source():
    b = aggregate("h", ROWS)
    df = findings.forest_frame(b, {"lab-a": "Paper A"}).set_index("source")
    assert list(df.index) == ["lab-a", "lab-c", "lab-b"]  # for, hedge, against; the unweighed opinion left out
    a = df.loc["lab-a"]
    assert (a["claims"], a["label"], a["title"], bool(a["reproduced"])) == (2, "lab-a (2)", "Paper A", True)
    assert a["signed"] == sum(c.weight for c in b.contributions if c.row.source == "lab-a")
    assert df.loc["lab-b", "signed"] < 0 and df.loc["lab-c", "signed"] == 0 and df.loc["lab-c", "qualify"] > 0
    counted = findings.forest_frame(aggregate("h", ROWS, toggles=Toggles(count_opinions=True)))
    assert "blog" in set(counted["source"])


def vega_lite(spec: dict) -> dict:
    """The spec as the browser gets it (datasets as records), checked against Vega-Lite's own
    JSON schema: the page draws plain dicts, so this test is where a wrong key is caught."""
    import json

    import jsonschema
    from altair.vegalite.v6.schema.core import load_schema

    plain = {**spec, "datasets": {name: json.loads(df.to_json(orient="records", date_format="iso")) for name, df in spec["datasets"].items()}}
    jsonschema.validate(plain, load_schema())
    return plain


def test_forest_chart_layers_colours_and_markers():
    b = aggregate("h", ROWS)
    spec = vega_lite(findings.forest_chart(findings.forest_frame(b)))
    bars, hedges, stars, zero = spec["layer"]
    assert bars["encoding"]["color"]["scale"]["range"] == palette.side_scale()[1]
    assert hedges["mark"]["type"] == "circle" and stars["mark"]["shape"] == "diamond"
    star_rows = spec["datasets"][stars["data"]["name"]]
    assert [r["source"] for r in star_rows] == ["lab-a"] and star_rows[0]["x"] > star_rows[0]["support"]
    pooled = vega_lite(findings.pooled_chart(b))
    (point,) = [layer for layer in pooled["layer"] if layer["mark"]["type"] == "point"]
    data = pooled["datasets"][point["data"]["name"]][0]
    assert data["min"] <= data["score"] <= data["max"]


def test_the_timeline_chart_is_valid_vega_lite():
    frame = pd.DataFrame(
        {"date": pd.to_datetime(["2026-01-01", "2026-02-01"]), "balance": [0.5, -0.2], "certainty": ["low", "untested"], "commit": ["a1", "b2"], "subject": ["x", "y"], "claims": ["c", "d"]}
    )
    spec = vega_lite(timeline.chart(frame))
    assert [r["commit"] for r in spec["datasets"]["points"]] == ["a1", "b2"]


def test_the_balance_bar_is_valid_vega_lite():
    from ui.widgets import balance_bar_chart

    spec = vega_lite(balance_bar_chart(2.0, 0.5, 1.0))
    assert {r["side"]: r["weight"] for r in spec["datasets"]["sides"]} == {"against": -0.5, "support": 2.0, "qualify": 1.0}


def test_a_wrong_key_in_a_chart_is_caught():
    import jsonschema

    spec = findings.pooled_chart(aggregate("h", ROWS))
    spec["layer"][0]["mark"]["strokeWidht"] = 3
    with pytest.raises(jsonschema.ValidationError):
        vega_lite(spec)


def test_summary_rows_per_direction_discussion_and_overall():
    b = aggregate("h", ROWS)
    rows = {r["evidence"]: r for r in findings.summary_rows(b, sides(ROWS))}
    assert list(rows)[:4] == ["For (supports)", "Against (contradicts)", "Qualifies (hedges)", "The discussion (opinions, definitions)"]
    support = rows["For (supports)"]
    assert (support["claims"], support["independent groups"], support["kinds"], support["runs"]) == (2, 1, "2 experiments (1 controlled)", "1 agrees")
    assert support["certainty"] == sides(ROWS)["supports"].certainty[0] and support["why"].startswith("starts high")
    assert rows["The discussion (opinions, definitions)"]["certainty"] == "not weighed"
    overall = rows[f"Overall: balance {b.score:+.2f}"]
    assert (overall["certainty"], overall["why"]) == (b.certainty[0], "; ".join(b.certainty[1]))
    counted = aggregate("h", ROWS, toggles=Toggles(count_opinions=True))
    assert findings.discussion_row(counted)["certainty"] == "weighed"


def test_words_for_untested_range_rests_on_and_toggles():
    only_opinion = aggregate("h", [ROWS[-1]])
    assert findings.balance_text(only_opinion) == "UNTESTED"
    assert findings.overall_row(only_opinion)["evidence"] == "Overall: UNTESTED"
    one_each = aggregate("h", [row("s", "lab-a", setting="frontier"), row("t", "lab-b", "contradicts", setting="small-model")])
    assert findings.balance_text(one_each) == f"{one_each.score:+.2f}"
    assert findings.range_text(one_each) == "-1.00 .. +1.00"
    assert findings.rests_on_text(one_each) == "without lab-a the balance would be -1.00: its sign flips"
    assert findings.rests_on_text(aggregate("h", [row("s", "lab-a"), row("u", "lab-x")])) == ""
    assert findings.toggles_text(Toggles()) == []
    assert findings.toggles_text(Toggles(only_reproduced=True, exclude_sources=frozenset({"x"}), exclude_groups=frozenset({"g"}))) == [
        "only reproduced evidence",
        "without source x",
        "without group g",
    ]


def test_kinds_and_reproduction_text():
    b = aggregate("h", ROWS)
    assert findings.kinds_text(b.contributions) == "4 experiments (1 controlled) · 1 opinion"
    assert findings.reproduction_text([c for c in b.contributions if c.row.claim == "b1"]) == "no runs"
