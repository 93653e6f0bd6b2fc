"""Every colour the UI uses, in one place, so a relation looks the same in a chart, a badge and
the graph.

Two forms of the same choices: hex codes for charts and the graph widget, and Streamlit's named
colours for badges (`:green-badge[...]` takes a name, not a hex code).
"""

from __future__ import annotations

from kg import Kind
from kg.graph import Edge

# Evidence relations: the balance bars, the graph's evidence edges, the badges.
RELATION_HEX = {"supports": "#2e7d32", "contradicts": "#c62828", "qualifies": "#9e9e9e"}
RELATION_BADGE = {"supports": "green", "contradicts": "red", "qualifies": "gray"}

# Node kinds in the graph widget.
KIND_HEX: dict[str, str] = {Kind.hypothesis: "#5e35b1", Kind.claim: "#0277bd", Kind.source: "#6d4c41", Kind.run: "#ef6c00"}

# Edges other than evidence (which take their relation's colour).
EDGE_HEX: dict[str, str] = {Edge.FROM: "#bcaaa4", Edge.REFINES: "#7e57c2", Edge.LINK: "#0288d1", Edge.CITES: "#a1887f", Edge.TESTS: "#ef6c00"}

# How strongly a claim bears on a hypothesis, as a badge.
STRENGTH_BADGE = {"strong": "blue", "moderate": "blue", "weak": "gray"}

# Reproduction runs: a verdict's outcome and a run's status, as badges.
OUTCOME_BADGE = {"reproduced": "green", "not-reproduced": "red", "inconclusive": "orange"}
STATUS_BADGE = {"succeeded": "green", "failed": "red", "cancelled": "gray", "running": "blue", "queued": "violet"}


def edge_hex(label: str) -> str:
    """The colour of an edge drawn with this label: a relation (SUPPORTS…) or an edge type
    (FROM…); claim-to-claim relations (REPLICATES…) take the LINK colour."""
    return RELATION_HEX.get(label.lower()) or EDGE_HEX.get(label, EDGE_HEX[Edge.LINK])


def side_scale() -> tuple[list[str], list[str]]:
    """(domain, range) for an Altair colour scale over the balance's three sides."""
    return ["support", "against", "qualify"], [RELATION_HEX["supports"], RELATION_HEX["contradicts"], RELATION_HEX["qualifies"]]


# Certainty (GRADE levels, kg.evidence.LEVELS), as a badge; untested is its own warning colour.
CERTAINTY_BADGE = {"high": "green", "moderate": "blue", "low": "orange", "very-low": "red"}
UNTESTED_BADGE = "red"

# The forest plot's marker for evidence a reproduction run agrees with, and the pooled balance.
REPRODUCED_HEX = "#1a237e"
POOLED_HEX = "#212121"
