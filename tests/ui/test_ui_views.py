"""AppTest for every view: no exception, the key content present, widgets drive the right calls,
deep links work. The `app` fixture asserts `not at.exception` after its first run; tests assert
it again after every later run."""

from __future__ import annotations

import re

from uihelpers import all_text, chart_frames, component_args, dataframe_with, page_links

HOSTILE = ("<script>", "[link](javascript:x)", "javascript:alert", "<img", "**bold**", ":red[colour]")


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def assert_no_live_markup(at):
    """Contributor text is escaped wherever Markdown would interpret it: once every escaped
    character (backslash + character) is dropped, no hostile token is left to interpret."""
    texts = [e.value for e in [*at.markdown, *at.caption, *at.title]] + [label for _, label, _ in page_links(at)]
    for text in texts:
        live = re.sub(r"\\.", "", text)
        for bad in HOSTILE:
            assert bad not in live, (bad, text)


# --- overview ------------------------------------------------------------------------------


def test_overview_lists_every_hypothesis_with_links(app):
    at = app()
    links = [(p, q) for p, _, q in page_links(at) if p == "hypothesis"]
    assert {q for _, q in links} >= {"id=general-algorithms", "id=shallow-safety", "id=lonely-hypothesis", "id=learnability-prior"}
    text = all_text(at)
    assert "contested" in text  # shallow-safety has strong claims on both sides
    assert "Balance" in text
    assert at.dataframe, "the sortable table"


def test_overview_shows_certainty_beside_every_balance(app):
    at = app()
    table = dataframe_with(at, "certainty").set_index("title")
    assert table.loc["Safety fine-tuning is shallow", "certainty"] == "very-low"
    assert table.loc["General algorithms given the right training mix", "certainty"] == "moderate"
    assert table.loc["Safety fine-tuning is shallow", "range"] == "-1.00 .. +1.00"
    assert table.loc["Safety fine-tuning is shallow", "rests on"] == "gurnee2024-shallow-safety"
    # untested: no confident number, neither in the table nor on the card
    assert table.loc["A hypothesis with no evidence yet", "certainty"] == "untested"
    assert table["balance"].isna().tolist() == [t == "A hypothesis with no evidence yet" for t in table.index]
    balances = [m.value for m in at.metric if m.label == "Balance"]
    assert balances.count("untested") == 1 and "+0.11" in balances
    text = all_text(at).replace("\\", "")
    assert "certainty: moderate" in text and "certainty: very-low" in text
    assert "rests on gurnee2024-shallow-safety" in text


def test_overview_sort_and_contested_filter(app):
    at = app()
    at.selectbox(key="ov_sort").set_value("Contested first").run()
    ok(at)
    order = [q for p, _, q in page_links(at) if p == "hypothesis"]
    assert order[0] == "id=shallow-safety"
    at.toggle(key="ov_contested").set_value(True).run()
    ok(at)
    assert [q for p, _, q in page_links(at) if p == "hypothesis"] == ["id=shallow-safety"]


# --- hypothesis ----------------------------------------------------------------------------


def test_hypothesis_deep_link_shows_statement_seed_and_claims(app):
    at = app("hypothesis", id="general-algorithms")
    text = all_text(at)
    assert "General algorithms given the right training mix" in text
    assert "increasingly general algorithms" in text  # the seed quote
    claims = {q for p, _, q in page_links(at) if p == "claim"}
    assert {"id=grokking-fourier", "id=parity-hidden-progress", "id=grokking-needs-weight-decay"} <= claims
    assert "Why: The general algorithm wins over the lookup table" in text.replace("\\", "")
    assert [t.label for t in at.tabs][:3] == ["Supports (2)", "Contradicts (0)", "Qualifies (1)"]


def open_tab(at, relation: str):
    """Choose the claims tab of a relation, as a click on it does (only that tab is drawn)."""
    at.session_state["relation_tab"] = next(t.label for t in at.tabs if t.label.startswith(f"{relation.title()} ("))
    return ok(at.run())


def test_only_the_chosen_claims_tab_is_drawn_and_it_stays_chosen_through_a_what_if(app):
    supporting, contradicting = "Why: The behaviour is undone with little data.", "Why: Something deeper than the surface survives."
    at = app("hypothesis", id="shallow-safety")
    assert [t.label for t in at.tabs][:3] == ["Supports (1)", "Contradicts (2)", "Qualifies (0)"]
    text = all_text(at).replace("\\", "")
    assert supporting in text and contradicting not in text  # the first tab, alone
    text = all_text(open_tab(at, "contradicts")).replace("\\", "")
    assert contradicting in text and supporting not in text
    # the what-if changes the labels' counts; the reader stays on Contradicts
    at.toggle(key="wi_without_observational").set_value(True).run()
    ok(at)
    assert [t.label for t in at.tabs][:3] == ["Supports (0)", "Contradicts (2)", "Qualifies (0)"]
    assert contradicting in all_text(at).replace("\\", "")


def _balance(at) -> str:
    return next(m.value for m in at.metric if m.label == "Balance")


def test_hypothesis_answer_names_the_strongest_evidence_and_what_qualifying_means(app):
    at = app("hypothesis", id="general-algorithms")
    text = all_text(at).replace("\\", "")
    assert "Strongest for" in text and "Strongest against:" in text and "nothing contradicts it" in text
    assert "Strongest qualifications:" in text and "pull the balance toward 0" in text
    assert "A one-layer transformer trained on modular addition ends up computing it with a few Fourier frequencies." in text  # whole
    assert "What moved it most recently" in text and "Newest source (2023)" in text
    assert "No claim contradicts this hypothesis." in all_text(open_tab(at, "contradicts")).replace("\\", "")  # the grammar, and a pointer to Qualifies
    table = dataframe_with(at, "training")
    assert list(table.columns) == ["claim", "statement", "relation", "setting", "model", "size", "training", "task", "year", "source", "strength", "weight", "verdict"]
    assert len(table) == 3 and set(table["relation"]) == {"supports", "qualifies"}
    assert any(e.proto.label.startswith("Download the table") for e in at.get("download_button"))


def test_hypothesis_weight_sliders_update_the_balance_live(app):
    at = app("hypothesis", id="shallow-safety")
    before = _balance(at)
    at.slider(key="w_setting_frontier").set_value(0.0).run()  # the only supporting claim is frontier
    ok(at)
    after = _balance(at)
    assert before != after and after.startswith("-1.00"), (before, after)
    assert "custom weights" in all_text(at)
    # the weights follow the session to the overview, and reset restores the default
    at.switch_page("views/overview.py").run()
    ok(at)
    assert "Custom weights" in all_text(at)
    at.button(key="ov_reset").click().run()
    ok(at)
    assert "Custom weights" not in all_text(at)


def test_hypothesis_reset_button_restores_defaults(app):
    at = app("hypothesis", id="shallow-safety")
    before = _balance(at)
    at.slider(key="w_setting_small-model").set_value(0.5).run()  # the contradicting claim is small-model
    assert ok(at) and _balance(at) != before
    at.button(key="w_reset").click().run()
    ok(at)
    assert _balance(at) == before


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _forest(at):
    """The forest plot's rows: one per source drawn in any of its layers (bars, hedges, markers)."""
    import pandas as pd

    layers = [df for df in chart_frames(at) if "signed" in df.columns]
    return pd.concat(layers, ignore_index=True).drop_duplicates("source", ignore_index=True)


def test_hypothesis_answer_certainty_reasons_and_sensitivity(app):
    at = app("hypothesis", id="shallow-safety")
    assert _metric(at, "Balance") == "+0.11"
    assert _metric(at, "Certainty") == "very-low"
    assert _metric(at, "Leave one source out") == "-1.00 .. +1.00"
    assert _metric(at, "Independent groups") == "2 of 3"
    text = all_text(at).replace("\\", "")
    assert "Why the certainty is very-low:" in text
    assert "down for inconsistency: strong claims on both sides" in text
    assert "down for imprecision: 2 independent source group(s) decide it" in text
    assert "**Rests on one source:** without gurnee2024-shallow-safety the balance would be -1.00: its sign flips" in text
    assert "UNTESTED" not in text
    flips = dataframe_with(at, "balance without it").set_index("source")
    assert bool(flips.loc["gurnee2024-shallow-safety", "flips"]) and not flips["flips"].drop("gurnee2024-shallow-safety").any()


def test_hypothesis_with_no_direct_evidence_says_untested(app, corpus):
    (corpus / "opinion.yaml").write_text(
        "- id: an-opinion-only\n  source: hostile-blog\n  statement: Someone thinks the lonely hypothesis is obviously true.\n"
        "  locator: {section: '2'}\n  setting: opinion\n  evidence:\n"
        "    - {hypothesis: lonely-hypothesis, relation: supports, strength: strong, rationale: An opinion.}\n"
    )
    at = app("hypothesis", id="lonely-hypothesis")
    assert _metric(at, "Balance") == "UNTESTED"
    assert _metric(at, "Certainty") == "very-low"
    assert at.error and "UNTESTED" in at.error[0].value and "is not an answer" in at.error[0].value
    assert "untested: no experiment, observation or theory bears directly on it" in all_text(at).replace("\\", "")
    summary = dataframe_with(at, "evidence").set_index("evidence")
    assert summary.loc["Overall: UNTESTED", "certainty"] == "very-low"
    assert summary.loc["The discussion (opinions, definitions)", "claims"] == 1
    # counting the opinion does not make it tested: still no answer
    at.toggle(key="wi_count_opinions").set_value(True).run()
    ok(at)
    assert _metric(at, "Balance") == "UNTESTED"


def test_hypothesis_summary_of_findings_table(app):
    at = app("hypothesis", id="general-algorithms")
    summary = dataframe_with(at, "evidence").set_index("evidence")
    assert list(summary.index) == [
        "For (supports)",
        "Against (contradicts)",
        "Qualifies (hedges)",
        "The discussion (opinions, definitions)",
        "Overall: balance +0.83",
    ]
    support = summary.loc["For (supports)"]
    assert (support["claims"], support["independent groups"], support["kinds"], support["direct"]) == (2, 2, "2 experiments", "2 of 2")
    assert support["certainty"] in ("very-low", "low", "moderate", "high") and support["why"].startswith("starts moderate")
    assert summary.loc["Against (contradicts)", "claims"] == 0 and summary.loc["Against (contradicts)", "why"] == "no evidence"
    assert summary.loc["Qualifies (hedges)", "claims"] == 1
    overall = summary.loc["Overall: balance +0.83"]
    assert (overall["certainty"], overall["independent groups"]) == ("moderate", 2)
    assert "up: 2 direct findings for its direction replicated by another group" in overall["why"]
    assert summary.loc["The discussion (opinions, definitions)", "certainty"] == "not weighed"


def test_hypothesis_forest_plot_rows_and_pooled_interval(app):
    at = app("hypothesis", id="shallow-safety")
    forest = _forest(at).set_index("source")
    assert set(forest.index) == {"gurnee2024-shallow-safety", "barak2022-hidden-progress"}  # the opinion weighs nothing
    assert forest.loc["gurnee2024-shallow-safety", "signed"] == 3.0
    assert round(forest.loc["barak2022-hidden-progress", "signed"], 2) == -2.4
    assert forest.loc["gurnee2024-shallow-safety", "label"] == "gurnee2024-shallow-safety (1)"
    pooled = next(df for df in chart_frames(at) if {"min", "max", "score"} <= set(df.columns))
    assert (round(pooled.loc[0, "min"], 2), round(pooled.loc[0, "score"], 2), round(pooled.loc[0, "max"], 2)) == (-1.0, 0.11, 1.0)


def test_hypothesis_toggles_recompute_balance_certainty_and_chart(app):
    at = app("hypothesis", id="shallow-safety")
    at.toggle(key="wi_without_observational").set_value(True).run()  # the one support is a frontier report
    ok(at)
    assert _metric(at, "Balance") == "-1.00"
    assert set(_forest(at)["source"]) == {"barak2022-hidden-progress"}
    assert "what if: without observational frontier reports" in all_text(at).replace("\\", "")
    at.toggle(key="wi_without_observational").set_value(False)
    at.multiselect(key="wi_exclude_sources").set_value(["barak2022-hidden-progress"]).run()
    ok(at)
    assert _metric(at, "Balance") == "+1.00" and set(_forest(at)["source"]) == {"gurnee2024-shallow-safety"}
    at.multiselect(key="wi_exclude_sources").set_value([])
    at.toggle(key="wi_count_opinions").set_value(True).run()  # the hostile opinion contradicts, weakly
    ok(at)
    assert _metric(at, "Balance") == "+0.06"
    assert "hostile-blog" in set(_forest(at)["source"])
    assert dataframe_with(at, "evidence").set_index("evidence").loc["The discussion (opinions, definitions)", "certainty"] == "weighed"
    at.toggle(key="wi_count_opinions").set_value(False)
    at.multiselect(key="wi_exclude_groups").set_value(["gurnee2024-shallow-safety"]).run()
    ok(at)
    assert _metric(at, "Balance") == "-1.00"
    at.multiselect(key="wi_exclude_groups").set_value([])
    at.toggle(key="wi_only_reproduced").set_value(True).run()  # no run has agreed with anything yet
    ok(at)
    assert _metric(at, "Balance") == "UNTESTED" and "The what-ifs above leave no claim" in all_text(at)


def test_hypothesis_kind_and_diminishing_sliders_replace_repeat(app):
    at = app("hypothesis", id="shallow-safety")
    keys = {s.key for s in at.slider}
    assert {"w_kind_experiment", "w_kind_observation", "w_kind_opinion", "w_diminishing"} <= keys
    assert "w_kind_definition" not in keys and not any("repeat" in k for k in keys)  # definitions never weigh
    assert at.slider(key="w_diminishing").max < 1  # kg's bound
    at.slider(key="w_kind_opinion").set_value(1.0).run()
    ok(at)
    assert _metric(at, "Balance") == "+0.06"


def test_hypothesis_without_evidence_has_an_empty_state(app):
    at = app("hypothesis", id="lonely-hypothesis")
    assert "No claim bears on this hypothesis yet" in all_text(at)
    assert ("contribute", "Draft a claim for this hypothesis", "hypothesis=lonely-hypothesis") in page_links(at)


def test_hypothesis_unknown_id_suggests_matches(app):
    at = app("hypothesis", id="general-algorithm")
    assert "No hypothesis with id" in all_text(at)
    assert ("hypothesis", "General algorithms given the right training mix", "id=general-algorithms") in [(p, label.replace("\\", ""), q) for p, label, q in page_links(at)]


def test_hypothesis_picker_writes_the_deep_link(app):
    at = app("hypothesis")
    at.selectbox(key="pick_hypothesis").set_value("shallow-safety").run()
    ok(at)
    assert at.query_params["id"] == ["shallow-safety"] or at.query_params["id"] == "shallow-safety"
    assert "Safety fine-tuning is shallow" in all_text(at).replace("\\", "")


# --- claim and source ----------------------------------------------------------------------


def test_claim_page_metadata_links_and_neighbourhood(app):
    at = app("claim", id="grokking-fourier")
    text = all_text(at).replace("\\", "")
    assert "A one-layer transformer trained on modular addition" in text
    assert "Sec. 4; Fig. 1" in text or "4; Fig. 1" in text
    assert [b.proto.url for b in at.get("link_button")] == ["https://arxiv.org/abs/2301.05217"]
    links = page_links(at)
    assert ("source", "Progress measures for grokking via mechanistic interpretability", "id=nanda2023-progress-measures") in links
    assert ("runs", "Run it", "job=grokking&preset=smoke") in links
    assert any(p == "claim" and q == "id=parity-hidden-progress" for p, _, q in links)  # replicates this one
    graph = component_args(at, "claim_graph")["elements"]
    keys = {n["data"]["id"] for n in graph["nodes"]}
    assert {"claim:grokking-fourier", "source:nanda2023-progress-measures", "hypothesis:general-algorithms"} <= keys
    at.radio(key="claim_depth").set_value(2).run()
    ok(at)
    assert len(component_args(at, "claim_graph")["elements"]["nodes"]) > len(graph["nodes"])


def test_hostile_claim_renders_as_text(app):
    at = app("claim", id="hostile-claim")
    assert_no_live_markup(at)
    text = all_text(at)
    assert r"\<script\>alert\(1\)\<\/script\>" in text  # escaped, so shown literally
    assert r"\[link\]\(javascript\:x\)" in text
    at = app("source", id="hostile-blog")
    assert_no_live_markup(at)
    at = app("hypothesis", id="shallow-safety")
    assert_no_live_markup(at)
    at = app("search", q="script alert")
    assert_no_live_markup(at)


def test_source_page_lists_its_claims_and_links_out(app):
    at = app("source", id="barak2022-hidden-progress")
    assert [b.proto.url for b in at.get("link_button")] == ["https://arxiv.org/abs/2207.08977", "https://doi.org/10.48550/arXiv.2207.08977"]
    claims = {q for p, _, q in page_links(at) if p == "claim"}
    assert claims >= {"id=parity-hidden-progress", "id=refusal-survives-probing"}
    assert "hidden progress" in all_text(at)  # an alias
    assert component_args(at, "source_graph")["elements"]["nodes"]


def test_source_page_shows_cached_semantic_scholar_metadata(app, tmp_path, monkeypatch):
    from ingest.cache import Cache, now_iso

    monkeypatch.setenv("KG_S2_CACHE", str(tmp_path / "s2"))
    assert "From Semantic Scholar" not in all_text(app("source", id="barak2022-hidden-progress"))
    paper = {"paperId": "a" * 40, "title": "Hidden progress", "citationCount": 321, "abstract": "An <b>abstract</b>.", "tldr": {"text": "SGD finds parities."}}
    Cache.open().write("papers", "barak2022-hidden-progress", {"status": "found", "paper": paper, "fetched_at": now_iso()})
    text = all_text(app("source", id="barak2022-hidden-progress"))
    assert "From Semantic Scholar · 321 citations" in text
    assert "SGD finds parities" in text


def test_missing_claim_and_source_are_deliberate(app):
    assert "No claim with id" in all_text(app("claim", id="nope-not-here"))
    assert "No source with id" in all_text(app("source", id="nope-not-here"))


# --- graph explorer ------------------------------------------------------------------------


def _nodes(at):
    return {n["data"]["id"] for n in component_args(at, "gx_graph")["elements"]["nodes"]}


def test_graph_explorer_filters_and_url(app):
    at = app("graph")
    nodes = _nodes(at)
    assert {"hypothesis:general-algorithms", "claim:hostile-claim", "source:hostile-blog"} <= nodes
    at.multiselect(key="gx_rel").set_value(["contradicts"]).run()
    ok(at)
    claims = {n for n in _nodes(at) if n.startswith("claim:")}
    assert claims == {"claim:refusal-survives-probing", "claim:hostile-claim"}
    assert at.query_params["rel"] in ("contradicts", ["contradicts"])
    at.toggle(key="gx_sources").set_value(False).run()
    ok(at)
    assert not any(n.startswith("source:") for n in _nodes(at))


def test_graph_explorer_deep_link_with_filters(app):
    at = app("graph", h="shallow-safety", setting="frontier,opinion", years="2024-2024")
    assert {n for n in _nodes(at) if n.startswith("claim:")} == {"claim:refusal-removed-cheaply"}
    assert at.multiselect(key="gx_hyp").value == ["shallow-safety"]


def test_graph_click_previews_the_node_with_an_open_link(app):
    at = app("graph")
    assert "Click a node to preview it here." in all_text(at)
    # what st-link-analysis sends back when a node is tapped (see ui.graphview.clicked)
    at.session_state["gx_graph"] = {"action": "open", "data": {"type": "tap", "target_id": "claim:grokking-fourier", "target_group": "nodes"}, "timestamp": 1}
    at.run()
    ok(at)
    assert "A one-layer transformer trained on modular addition" in all_text(at).replace("\\", "")  # the full statement, on the graph page
    assert ("claim", "Open this claim", "id=grokking-fourier") in page_links(at)


# --- search --------------------------------------------------------------------------------


def test_search_deep_link_alias_and_typos(app):
    at = app("search", q="badllama")
    assert ("source", "Safety fine\\-tuning is shallow", "id=gurnee2024-shallow-safety") in page_links(at)
    at.text_input(key="q").input("grokking fourir algoritm").run()  # typos
    ok(at)
    assert any(q == "id=grokking-fourier" for _, _, q in page_links(at))
    assert at.query_params["q"] in ("grokking fourir algoritm", ["grokking fourir algoritm"])
    at.multiselect(key="kinds").set_value(["source"]).run()
    ok(at)
    assert "No match" in all_text(at)  # no source holds those words: nothing, rather than a guess
    at.text_input(key="q").input("progres mesures").run()
    ok(at)
    assert {p for p, _, _ in page_links(at) if p in ("claim", "source", "hypothesis")} == {"source"}


def test_search_shows_what_matched_and_what_a_claim_bears_on(app):
    at = app("search", q="nanda")  # an author: the source, with the author highlighted
    text = all_text(at)
    assert "author:" in text and ":orange-background[Nanda]" in text
    at = app("search", q="fourier", kinds="claim")
    text = all_text(at)
    assert ":orange-background[Fourier]" in text  # the statement, highlighted
    assert "supports · General algorithms given the right training mix" in text  # relation and hypothesis


def test_search_gives_no_wrong_results(app):
    assert "No match" in all_text(app("search", q="sleeper agents"))  # not in this corpus
    at = app("search", q="grokking", kinds="hypothesis")  # no hypothesis says grokking; their evidence does
    text = all_text(at)
    assert "Hypotheses whose evidence matches" in text
    assert any(p == "hypothesis" and q == "id=general-algorithms" for p, _, q in page_links(at))


def test_search_empty_and_no_match_states(app):
    assert "Type to search" in all_text(app("search"))
    assert "No match" in all_text(app("search", q="zzzzqqqq xxyyzz"))


# --- contribute ----------------------------------------------------------------------------


def _fill(at, statement="Grokking also happens with a two-layer transformer on modular subtraction tasks.", section="6"):
    at.selectbox(key="cf_source").set_value("nanda2023-progress-measures")
    at.text_area(key="cf_statement").input(statement)
    at.selectbox(key="cf_setting").set_value("toy")
    at.text_input(key="cf_loc_section").input(section)
    at.selectbox(key="cf_h0").set_value("general-algorithms")
    at.selectbox(key="cf_rel0").set_value("supports")
    at.selectbox(key="cf_str0").set_value("moderate")
    at.text_input(key="cf_rat0").input("The same general algorithm appears in a deeper model.")
    return at


def test_contribute_valid_claim_gives_yaml_and_file(app):
    at = _fill(app("contribute"))
    at.button[0].click().run()  # the form's submit button
    ok(at)
    text = all_text(at)
    assert "passes" in text
    yaml_text = at.code[-1].value
    assert "source: nanda2023-progress-measures" in yaml_text and "relation: supports" in yaml_text
    assert "id: nanda2023-grokking-also-happens-with" in yaml_text  # suggested id
    assert "grokking.yaml" in text  # beside the source's other claims


def test_contribute_shows_validator_errors_inline(app):
    at = _fill(app("contribute", source="hostile-blog"), statement="too short", section="")
    at.button[0].click().run()
    ok(at)
    text = all_text(at)
    assert "problem(s) to fix" in text
    assert "statement" in text and "locator" in text


def test_contribute_puts_each_problem_beside_its_field_without_knock_on_errors(app):
    at = _fill(app("contribute"), statement="")
    at.button[0].click().run()
    ok(at)
    text = all_text(at)
    assert ":red[Write the finding in one or two sentences.]" in text  # beside the statement, in the form's words
    assert "'id'" not in text  # the id is optional: no knock-on error about it
    assert at.text_area(key="cf_statement").proto.max_chars == 1500  # the schema's cap


def test_contribute_warns_of_a_near_copy_of_an_existing_claim(app):
    at = _fill(app("contribute"), statement="A one-layer transformer trained on modular addition ends up computing it with a few Fourier frequency.")
    at.button[0].click().run()
    ok(at)
    assert "nearly the same as the existing claim `grokking-fourier`" in all_text(at)


def test_contribute_prefills_from_the_url(app):
    at = app("contribute", source="barak2022-hidden-progress", hypothesis="learnability-prior")
    assert at.selectbox(key="cf_source").value == "barak2022-hidden-progress"
    assert at.selectbox(key="cf_h0").value == "learnability-prior"


# --- corpus errors and reloads -----------------------------------------------------------------


def test_broken_corpus_shows_the_problems_not_a_traceback(app, corpus):
    (corpus / "broken.yaml").write_text("- id: Bad Id\n  source: nowhere\n")
    at = app()
    text = all_text(at)
    assert "The corpus could not be loaded" in text
    assert at.dataframe and "broken.yaml" in at.dataframe[0].value.to_string()


def test_edits_under_the_corpus_reload_the_graph(app, corpus):
    at = app("hypothesis", id="lonely-hypothesis")
    assert "No claim bears on this hypothesis yet" in all_text(at)
    (corpus / "new.yaml").write_text(
        "- id: a-new-claim\n  source: hostile-blog\n  statement: A brand new claim about the lonely hypothesis appears.\n"
        "  locator: {section: '1'}\n  setting: theory\n  evidence:\n"
        "    - {hypothesis: lonely-hypothesis, relation: supports, strength: weak, rationale: It says so.}\n"
    )
    at.run()
    ok(at)
    assert ("claim", "A brand new claim about the lonely hypothesis appears\\.", "id=a-new-claim") in page_links(at)


# --- cold start ----------------------------------------------------------------------------------


def test_drawing_pages_never_imports_the_training_stack(corpus, tmp_path):
    """A fresh process draws the overview, a hypothesis and the runs page without importing
    torch, Ray or a job's code (the cold start's budget: bench/ui_coldstart.py)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    app_file = root / "ui" / "app.py"
    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        "for page, q in (('views/overview.py', {}), ('views/hypothesis.py', {'id': 'general-algorithms'}), ('views/runs.py', {})):\n"
        f"    at = AppTest.from_file({str(app_file)!r}, default_timeout=120)\n"
        "    [at.query_params.__setitem__(k, v) for k, v in q.items()]\n"
        "    at.switch_page(page); at.run(); assert not at.exception, at.exception\n"
        "print('HEAVY=' + ','.join(m for m in sys.modules if m.split('.')[0] in ('torch', 'ray') or m.startswith(('repro.jobs.', 'repro.core'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    heavy = next(line for line in out.stdout.splitlines() if line.startswith("HEAVY="))
    assert heavy == "HEAVY=", heavy


def test_long_hypothesis_tables_draw_the_heaviest_rows_and_all_on_request(app, corpus, monkeypatch):
    """At 100k claims a hypothesis has ~17k: its tables draw the first rows, say how many of how
    many, and draw them all when asked."""
    import ui.widgets
    from claimgraph import load_graph_store
    from kg.store import balance

    store = load_graph_store(corpus, runs=False)
    hid = max(store.corpus.hypotheses, key=lambda h: len(store.evidence(h)))
    b = balance(store, hid)
    total = len(b.contributions)
    assert total > 2
    monkeypatch.setattr(ui.widgets, "LONG_TABLE_ROWS", 2)
    at = ok(app("hypothesis", id=hid))
    explain = dataframe_with(at, "independence")
    assert list(explain["weight"]) == [round(c.weight, 4) for c in sorted(b.contributions, key=lambda c: (-c.weight, c.row.claim))[:2]]
    compared = dataframe_with(at, "statement")
    assert len(compared) == 2 and set(compared["weight"]) <= {round(c.weight, 3) for c in b.contributions}
    captions = [c.value for c in at.caption]
    assert f"Showing 2 of {total} claims, the heaviest first." in captions
    assert f"Showing 2 of {total} claims, the heaviest claims, by relation." in captions
    at.toggle(key="explain_all").set_value(True).run()
    ok(at)
    assert len(dataframe_with(at, "independence")) == total
    assert len(dataframe_with(at, "statement")) == 2  # each table has its own toggle
    at.toggle(key="comparison_all").set_value(True).run()
    assert len(ok(at) and dataframe_with(at, "statement")) == total
