"""Semantic Scholar ingestion: client, cache, resolution of sources and informal references, citation edges."""
