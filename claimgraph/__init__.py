"""claimgraph: the composition layer that joins the core (`kg`) with its plugins.

The core knows nothing of reproduction runs or Semantic Scholar; this package reads them
(`repro`'s run store and job catalogue, `ingest`'s cache) and hands them to the core as typed
records. The CLI (`cli/`) and the UI (`ui/`) open stores through here.

    from claimgraph import open_store
    store = open_store()                      # the bundled corpus, with verdicts and citations
"""

from claimgraph.wiring import (
    collect_verdicts,
    job_catalog,
    job_code_version,
    load_citations,
    load_graph_store,
    open_store,
    store_answers,
    store_errors,
    validate,
    validate_text,
)

__all__ = ["collect_verdicts", "job_catalog", "job_code_version", "load_citations", "load_graph_store", "open_store", "store_answers", "store_errors", "validate", "validate_text"]
