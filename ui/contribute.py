"""Turning the Contribute form's values into a claim dict (pure; unit-tested)."""

from __future__ import annotations

from typing import Any

LOCATOR_KEYS = ("section", "figure", "table", "page", "quote")
SCOPE_KEYS = ("model", "size", "training", "task")


def _clean(value: Any) -> Any:
    return " ".join(value.split()) if isinstance(value, str) else value


def build_claim(form: dict) -> dict:
    """A claim as the schema orders it, with empty fields left out (the validator says what is
    missing, in its own words). `form` holds: id, source, statement, setting, locator{...},
    scope{...}, evidence[{hypothesis, relation, strength, rationale}], links[{claim, relation}],
    tags (comma-separated)."""
    claim: dict[str, Any] = {}
    for key in ("id", "source", "statement"):
        if _clean(form.get(key)):
            claim[key] = _clean(form[key])
    locator = {k: _clean(v) for k, v in (form.get("locator") or {}).items() if k in LOCATOR_KEYS and _clean(v)}
    claim["locator"] = locator
    if form.get("setting"):
        claim["setting"] = form["setting"]
    scope = {k: _clean(v) for k, v in (form.get("scope") or {}).items() if k in SCOPE_KEYS and _clean(v)}
    if scope:
        claim["scope"] = scope
    evidence = [{k: _clean(e.get(k)) for k in ("hypothesis", "relation", "strength", "rationale") if _clean(e.get(k))} for e in form.get("evidence") or [] if e.get("hypothesis")]
    if evidence:
        claim["evidence"] = evidence
    links = [{k: _clean(link.get(k)) for k in ("claim", "relation", "note") if _clean(link.get(k))} for link in form.get("links") or [] if _clean(link.get("claim"))]
    if links:
        claim["links"] = links
    tags = [t.strip() for t in (form.get("tags") or "").split(",") if t.strip()]
    if tags:
        claim["tags"] = tags
    return claim


def suggest_id(source: str, statement: str, words: int = 4) -> str:
    """A slug from the source id's first part and the statement's first long words."""
    import re

    stem = source.split("-")[0] if source else "claim"
    picked = [w for w in re.findall(r"[a-z0-9]+", statement.lower()) if len(w) > 3][:words]
    return "-".join([stem, *picked])[:80].strip("-") or "new-claim"
