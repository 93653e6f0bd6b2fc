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


# --- the form's own checks, in the form's words ---------------------------------------------


def _caps() -> dict[str, int]:
    """Length caps from the schema itself (kg.schema), so the form and `kg validate` agree."""
    from kg.schema import Claim, ClaimLink, EvidenceLink, Locator, Scope

    def cap(model, name: str) -> int:
        return int(model.model_json_schema()["properties"][name].get("maxLength") or _any_max(model.model_json_schema()["properties"][name]))

    caps = {"id": cap(Claim, "id"), "statement": cap(Claim, "statement"), "rationale": cap(EvidenceLink, "rationale"), "link": cap(ClaimLink, "claim")}
    caps |= {f"locator.{k}": cap(Locator, k) for k in LOCATOR_KEYS}
    caps |= {f"scope.{k}": cap(Scope, k) for k in SCOPE_KEYS}
    return caps


def _any_max(prop: dict) -> int:
    for option in prop.get("anyOf", []):
        if option.get("maxLength"):
            return int(option["maxLength"])
    return 2000


CAPS = _caps()
MIN_STATEMENT = 20


def form_problems(form: dict) -> dict[str, list[str]]:
    """What is missing or too long, per form field ("statement", "locator", "evidence.0", …), in
    the form's words. Fields left to the validator: references, slugs, duplicates."""
    out: dict[str, list[str]] = {}

    def say(where: str, message: str) -> None:
        out.setdefault(where, []).append(message)

    if not form.get("source"):
        say("source", "Choose the source that makes the claim.")
    statement = _clean(form.get("statement") or "")
    if not statement:
        say("statement", "Write the finding in one or two sentences.")
    elif len(statement) < MIN_STATEMENT:
        say("statement", f"Too short: at least {MIN_STATEMENT} characters (now {len(statement)}).")
    if len(statement) > CAPS["statement"]:
        say("statement", f"Too long: at most {CAPS['statement']} characters (now {len(statement)}).")
    if len(form.get("id") or "") > CAPS["id"]:
        say("id", f"Too long: at most {CAPS['id']} characters.")
    if not form.get("setting"):
        say("setting", "Choose the setting it holds in.")
    locator = {k: _clean(v) for k, v in (form.get("locator") or {}).items() if _clean(v)}
    if not locator:
        say("locator", "Say where in the source: a section, figure, table or page.")
    for k, v in locator.items():
        if len(v) > CAPS.get(f"locator.{k}", 300):
            say("locator", f"{k.title()}: at most {CAPS.get(f'locator.{k}', 300)} characters.")
    for k, v in (form.get("scope") or {}).items():
        if len(_clean(v) or "") > CAPS.get(f"scope.{k}", 300):
            say("scope", f"{k.title()}: at most {CAPS.get(f'scope.{k}', 300)} characters.")
    links = form.get("evidence") or []
    if not any(e.get("hypothesis") for e in links):
        say("evidence.0", "Choose at least one hypothesis it bears on.")
    for i, e in enumerate(links):
        if not e.get("hypothesis"):
            continue
        missing = [name for name in ("relation", "strength", "rationale") if not _clean(e.get(name))]
        if missing:
            say(f"evidence.{i}", "Also needed: " + ", ".join(missing) + ".")
        if len(_clean(e.get("rationale") or "")) > CAPS["rationale"]:
            say(f"evidence.{i}", f"Rationale: at most {CAPS['rationale']} characters.")
    return out


FIELD_WORDS = ("statement", "source", "setting", "locator", "scope", "links", "tags", "id")


def field_of(message: str) -> str:
    """The form field a validator message is about ("evidence.1" for the second link), or ""."""
    import re

    found = re.search(r"evidence[ .\[]+(\d+)", message)
    if found:
        return f"evidence.{int(found.group(1))}"
    if re.search(r"\bhypothesis '", message):
        return "evidence.0"
    for name in FIELD_WORDS:
        if re.search(rf"(^|[\s'.:]){name}([\s'.:]|$)", message):
            return name
    return ""


def near_copies(statement: str, statements: dict[str, str], cutoff: float = 85) -> list[tuple[str, float]]:
    """Existing claims (any source) that say nearly the same thing: [(claim id, similarity)]."""
    from rapidfuzz import fuzz, process, utils

    text = utils.default_process(statement or "")
    if len(text) < MIN_STATEMENT:
        return []
    ids = list(statements)
    hits = process.extract(text, [utils.default_process(statements[i]) for i in ids], scorer=fuzz.ratio, processor=None, score_cutoff=cutoff, limit=3)
    return [(ids[index], round(score)) for _, score, index in hits]
