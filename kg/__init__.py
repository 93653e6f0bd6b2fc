"""claimgraph: a literature-grounded claims knowledge graph.

Data flows one way: YAML (claims/) -> models (kg.schema, kg.loading) -> graph (kg.graph)
-> evidence (kg.evidence) -> stores (kg.store) -> CLI (kg.cli) and UI (ui/).
"""

__version__ = "0.1.0"
