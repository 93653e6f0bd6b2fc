"""The hypothesis page's reading of a kg balance: the summary of findings (GRADE style), the
forest plot, and the words for certainty and sensitivity.

Pure functions from `kg.Balance` (kg.evidence) to tables and Vega-Lite charts, so they can be
tested without running the app. Every number comes from kg; nothing here weighs evidence.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pandas as pd

from ui import palette
from ui.vega import nominal, quantitative

SIDE_LABELS = {"supports": "For (supports)", "contradicts": "Against (contradicts)", "qualifies": "Qualifies (hedges)"}
SIDE_NAMES = {"supports": "support", "contradicts": "against", "qualifies": "qualify"}  # palette.side_scale's domain
DISCUSSION_KINDS = ("opinion", "definition")
LABEL_PX = 160  # the forest plot's label column, the same in both panels so their axes line up


# --- words ----------------------------------------------------------------------------------


def balance_text(b: Any) -> str:
    """The balance as the page's headline: 'UNTESTED' rather than a number nothing tests."""
    return "UNTESTED" if b.untested else f"{b.score:+.2f}"


def range_text(b: Any) -> str:
    s = b.sensitivity
    return f"{s.min:+.2f} .. {s.max:+.2f}"


def rests_on_text(b: Any) -> str:
    """'' unless leaving one source out flips the balance's sign."""
    s = b.sensitivity
    if not s.rests_on:
        return ""
    return f"without {s.rests_on} the balance would be {s.without[s.rests_on]:+.2f}: its sign flips"


def toggles_text(t: Any) -> list[str]:
    """The what-ifs in effect, in words (empty for the full evidence)."""
    words = []
    if t.only_reproduced:
        words.append("only reproduced evidence")
    if t.without_observational:
        words.append("without observational frontier reports")
    if t.count_opinions:
        words.append("counting opinions")
    words += [f"without source {s}" for s in sorted(t.exclude_sources)]
    words += [f"without group {g}" for g in sorted(t.exclude_groups)]
    return words


# --- the summary of findings ----------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def kinds_text(contributions: list) -> str:
    """'2 experiments (1 controlled) · 1 observation'."""
    kinds = Counter(c.row.kind for c in contributions)
    controlled = sum(1 for c in contributions if c.row.kind == "experiment" and c.row.controlled)
    parts = []
    for kind, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        part = _plural(n, kind)
        if kind == "experiment" and controlled:
            part += f" ({controlled} controlled)"
        parts.append(part)
    return " · ".join(parts)


def reproduction_text(contributions: list) -> str:
    tally = Counter(c.reproduction for c in contributions)
    runs = [f"{tally[k]} {k}" for k in ("agrees", "disagrees", "inconclusive") if tally[k]]
    return " · ".join(runs) if runs else "no runs"


def _groups_of(contributions: list) -> int:
    return len({c.row.independence_group for c in contributions if c.weight > 0})


def evidence_of(b: Any, side: str) -> list:
    """The claims of one side that count as evidence (opinions and definitions are the discussion)."""
    return [c for c in b.contributions if c.row.relation == side and c.counts_as_evidence]


def discussion_of(b: Any) -> list:
    return [c for c in b.contributions if not c.counts_as_evidence]


def summary_rows(b: Any, by_side: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per direction of evidence, the discussion, and the overall answer: claims,
    independent groups, weight, kinds, directness, runs, and the certainty with its reasons."""
    rows = []
    for side, label in SIDE_LABELS.items():
        cs = evidence_of(b, side)
        level, reasons = by_side[side].certainty if cs else ("", ["no evidence"])
        rows.append(
            {
                "evidence": label,
                "claims": len(cs),
                "independent groups": _groups_of(cs),
                "weight": round(sum(c.weight for c in cs), 2),
                "kinds": kinds_text(cs),
                "direct": f"{sum(1 for c in cs if c.row.direct)} of {len(cs)}" if cs else "",
                "runs": reproduction_text(cs) if cs else "",
                "certainty": level,
                "why": "; ".join(reasons),
            }
        )
    rows.append(discussion_row(b))
    rows.append(overall_row(b))
    return rows


def discussion_row(b: Any) -> dict[str, Any]:
    cs = discussion_of(b)
    weighed = any(c.weight > 0 for c in cs)
    sides = Counter(SIDE_NAMES[c.row.relation] for c in cs)
    return {
        "evidence": "The discussion (opinions, definitions)",
        "claims": len(cs),
        "independent groups": len({c.row.independence_group for c in cs}),
        "weight": round(sum(c.weight for c in cs), 2),
        "kinds": kinds_text(cs),
        "direct": " · ".join(f"{n} {side}" for side, n in sorted(sides.items())),
        "runs": "",
        "certainty": "weighed" if weighed else "not weighed",
        "why": "opinions weigh because 'count opinions' is on; definitions never weigh" if weighed else "shown beside the evidence, not counted: opinions weigh 0 by default, definitions never",
    }


def overall_row(b: Any) -> dict[str, Any]:
    level, reasons = b.certainty
    evidence = [c for c in b.contributions if c.counts_as_evidence]
    return {
        "evidence": "Overall: " + ("UNTESTED" if b.untested else f"balance {b.score:+.2f}"),
        "claims": len(evidence),
        "independent groups": b.independent_groups,
        "weight": round(b.support + b.against + b.qualify, 2),
        "kinds": kinds_text(evidence),
        "direct": f"{sum(1 for c in evidence if c.row.direct)} of {len(evidence)}" if evidence else "",
        "runs": reproduction_text(evidence) if evidence else "",
        "certainty": level,
        "why": "; ".join(reasons),
    }


# --- the forest plot ------------------------------------------------------------------------


def forest_frame(b: Any, titles: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per source that weighs anything: its claims, its weight on each side, its signed
    weight (support - against), and whether a reproduction run agrees with one of its claims."""
    titles = titles or {}
    by_source: dict[str, list] = {}
    for c in b.contributions:
        by_source.setdefault(c.row.source, []).append(c)
    rows = []
    for source, cs in by_source.items():
        side = {s: sum(c.weight for c in cs if c.row.relation == s) for s in SIDE_LABELS}
        if sum(side.values()) <= 0:
            continue
        rows.append(
            {
                "source": source,
                "title": titles.get(source, source),
                "label": f"{source} ({len(cs)})",
                "group": cs[0].row.independence_group,
                "claims": len(cs),
                "claim ids": ", ".join(sorted(c.row.claim for c in cs)),
                "support": side["supports"],
                "against": side["contradicts"],
                "qualify": side["qualifies"],
                "signed": side["supports"] - side["contradicts"],
                "reproduced": any(c.reproduction == "agrees" for c in cs),
            }
        )
    columns = ["source", "title", "label", "group", "claims", "claim ids", "support", "against", "qualify", "signed", "reproduced"]
    df = pd.DataFrame(rows, columns=columns)
    return df.sort_values(["signed", "qualify", "source"], ascending=[False, False, True], ignore_index=True)


def _marker_x(row: pd.Series, gap: float) -> float:
    """Just past the end of a source's longer bar, so the marker never hides it."""
    if row["against"] > row["support"]:
        return -(row["against"] + gap)
    return row["support"] + gap


def _y(order: list[str]) -> dict[str, Any]:
    return nominal("label", sort=order, title=None, axis={"labelLimit": LABEL_PX, "minExtent": LABEL_PX, "maxExtent": LABEL_PX})


def forest_chart(df: pd.DataFrame) -> dict[str, Any]:
    """Bars to the right for support, to the left against, a grey dot at 0 sized by the
    qualifying weight, and a star where a reproduction run agrees with the source's claim.

    A Vega-Lite spec for st.vega_lite_chart, its data as named datasets (Streamlit sends them as
    Arrow). Written as a plain dict: building the same chart in Altair and validating it took
    ~0.1 s on every rerun of the hypothesis page."""
    domain, colours = palette.side_scale()
    order = list(df["label"])
    colour = nominal("side", scale={"domain": domain, "range": colours}, legend={"orient": "bottom", "title": None})
    tooltip = [
        nominal("title", title="source"),
        nominal("group"),
        quantitative("claims"),
        nominal("claim ids", title="claims"),
        quantitative("support", format=".2f"),
        quantitative("against", format=".2f"),
        quantitative("qualify", format=".2f"),
        quantitative("signed", format="+.2f", title="signed weight"),
    ]
    bars_df = pd.concat([df.assign(side="support", x=df["support"]), df.assign(side="against", x=-df["against"])], ignore_index=True)
    bars_df = bars_df[bars_df["x"] != 0]
    span = max(1.0, float(df[["support", "against"]].max().max()) if len(df) else 1.0) * 1.15
    x = quantitative("x", scale={"domain": [-span, span]}, title="weight of each source (against ← 0 → for)")
    hedges_df = df[df["qualify"] > 0].assign(side="qualify", x=0.0)
    stars_df = df[df["reproduced"]].assign(x=lambda d: d.apply(lambda r: _marker_x(r, 0.07 * span), axis=1))
    return {
        "layer": [
            {"data": {"name": "bars"}, "mark": {"type": "bar", "height": {"band": 0.6}}, "encoding": {"x": x, "y": _y(order), "color": colour, "tooltip": tooltip}},
            {
                "data": {"name": "hedges"},
                "mark": {"type": "circle", "opacity": 0.9, "stroke": "white", "strokeWidth": 1},
                "encoding": {"x": x, "y": _y(order), "color": colour, "size": quantitative("qualify", scale={"range": [40, 400]}, legend=None), "tooltip": tooltip},
            },
            {
                "data": {"name": "stars"},
                "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 110, "color": palette.REPRODUCED_HEX},
                "encoding": {"x": x, "y": _y(order), "tooltip": [nominal("title", title="reproduced by a run that agrees")]},
            },
            {"data": {"name": "zero"}, "mark": {"type": "rule", "color": "#616161"}, "encoding": {"x": x}},
        ],
        "height": {"step": 28},  # a fixed height would squeeze the rows (Streamlit fits axes into it)
        "datasets": {"bars": bars_df, "hedges": hedges_df, "stars": stars_df, "zero": pd.DataFrame({"x": [0.0]})},
    }


def pooled_chart(b: Any) -> dict[str, Any]:
    """The pooled balance on [-1, 1], with the leave-one-source-out range as an interval (a
    Vega-Lite spec, as `forest_chart`)."""
    s = b.sensitivity
    label = "pooled balance (UNTESTED)" if b.untested else "pooled balance"
    df = pd.DataFrame([{"label": label, "score": b.score, "min": s.min, "max": s.max, "rests on": s.rests_on or "no single source"}])
    scale = {"domain": [-1, 1]}
    title = "balance (−1 against .. +1 for); line: leave one source out"
    colour = palette.RELATION_HEX["qualifies"] if b.untested else palette.POOLED_HEX
    tooltip = [quantitative("score", format="+.2f", title="balance"), quantitative("min", format="+.2f"), quantitative("max", format="+.2f"), nominal("rests on")]
    return {
        "layer": [
            {
                "data": {"name": "pooled"},
                "mark": {"type": "rule", "strokeWidth": 3, "color": colour},
                "encoding": {"x": quantitative("min", scale=scale, title=title), "x2": {"field": "max"}, "y": _y([label]), "tooltip": tooltip},
            },
            {
                "data": {"name": "pooled"},
                "mark": {"type": "point", "shape": "diamond", "filled": True, "size": 260, "color": colour, "opacity": 1},
                "encoding": {"x": quantitative("score", scale=scale, title=title), "y": _y([label]), "tooltip": tooltip},
            },
            {"data": {"name": "zero"}, "mark": {"type": "rule", "color": "#616161"}, "encoding": {"x": quantitative("score", scale=scale, title=title)}},
        ],
        "height": {"step": 40},
        "datasets": {"pooled": df, "zero": pd.DataFrame({"score": [0.0]})},
    }
