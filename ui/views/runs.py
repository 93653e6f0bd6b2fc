"""Runs: start a reproduction job, watch it (status, live metric curves), read its verdict and
the claims it bears on; browse past runs. `?run=<id>` opens one run, `?job=&preset=` pre-fills
the form."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import auth, data, palette, policy
from ui import widgets as w

w.header("Reproduction runs", "Small runnable jobs test claims; a run's verdict becomes evidence next to the claim.")
store = w.require_store()
gate = auth.gate()  # who may start, cancel and re-run (ui.policy decides; app.py already checked the settings)
qp = st.query_params
run_id = (qp.get("run") or "").strip()


# --- one run ----------------------------------------------------------------------------------


def show_metrics(metrics: list[dict]) -> None:
    """One line chart per metric family (losses, accuracies, the rest), one line per arm/run."""
    df = pd.DataFrame(metrics)
    if df.empty or "step" not in df:
        st.caption("No metrics yet.")
        return
    series = next((c for c in ("arm", "run") if c in df and not pd.api.types.is_numeric_dtype(df[c])), None)
    numeric = [c for c in df.columns if c not in ("step", series) and pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique(dropna=True) > 1]
    if not numeric:
        st.caption("No changing numeric metric yet.")
        return
    groups: dict[str, list[str]] = {}
    for col in numeric:
        family = "accuracy" if "acc" in col else "loss" if "loss" in col else col
        groups.setdefault(family, []).append(col)
    cols = st.columns(min(2, len(groups)))
    for i, (family, names) in enumerate(groups.items()):
        with cols[i % len(cols)]:
            st.markdown(f"**{w.md(family)}**")
            if series:
                wide = df.pivot_table(index="step", columns=series, values=names, aggfunc="last")
                wide.columns = [f"{s_} {name}" if len(names) > 1 else str(s_) for name, s_ in wide.columns]
            else:
                wide = df.groupby("step")[names].last()
            st.line_chart(wide, height=220)


def show_result_plots(job: str, metrics: list[dict]) -> bool:
    """The job's own result plots (its catalogue's PLOT: title, series), with titled axes."""
    import altair as alt

    drawn = False
    for i, spec in enumerate(data.job_plots(job)):
        df = data.plot_frame(metrics, spec)
        if df.empty:
            continue
        title = spec.get("title") or ", ".join(spec.get("y") or [])
        chart = (
            alt.Chart(df, title=title)
            .mark_line(point=len(df) < 60)
            .encode(
                x=alt.X("x:Q", title=spec.get("x", "step")),
                y=alt.Y("value:Q", title=title),
                color=alt.Color("series:N", title=spec.get("group") or "series", legend=alt.Legend(orient="bottom")),
                tooltip=["series", "x", alt.Tooltip("value:Q", format=".4g")],
            )
            .properties(height=260)
        )
        st.altair_chart(chart, width="stretch", key=f"result_plot_{i}")
        drawn = True
    return drawn


def show_run(run_id: str) -> bool:
    """Draw one run; True while it is still queued or running."""
    try:
        res = data.run_result(run_id)
    except (KeyError, ValueError, TypeError, AttributeError, OSError) as exc:  # an unknown id or a damaged run folder
        st.error(f"Run {w.code(run_id)} could not be read: {w.md(exc)}", icon=":material/error:")
        return False
    run = res.status
    status, job, preset = run.status, run.job, run.preset
    with st.container(border=True):
        a, b = st.columns([4, 2])
        a.markdown(f"#### Run {w.code(run_id)}")
        a.caption(f"{w.code(job)} preset {w.code(preset)} · started by {w.md(run.started_by or 'unknown (recorded before runs kept it)')}")
        with b:
            w.badges([(status, palette.STATUS_BADGE.get(status, "gray"))])
            if not run.finished and st.button("Cancel", key="cancel", icon=":material/stop_circle:", disabled=not gate.may_run, help=gate.may_run.reason or None):
                if gate.may_run:  # checked here too: `disabled` is only a hint to the browser
                    data.cancel_run(run_id)
                st.rerun()
        if not run.finished:
            done, total = (run.progress.done, run.progress.total) if run.progress else (0, 0)
            if not res.metrics:  # the first seconds: say what is happening rather than "0%"
                st.info(
                    f"Starting: {'waiting for a worker' if status == 'queued' else 'loading the model and data'}. "
                    "The first metrics usually arrive within about 20 s on a CPU smoke preset; this page updates by itself.",
                    icon=":material/hourglass_top:",
                )
            else:
                st.progress(min(1.0, done / total) if total else 0.0, text=f"{status}: step {done} of {total}" if total else f"{status}…")
        if status == "failed":
            st.error("The run failed: " + w.md(run.reason or "no reason recorded"), icon=":material/error:")
        if res.verdict is not None:
            st.markdown("**Verdict**")
            w.badges([(res.verdict.outcome, palette.OUTCOME_BADGE.get(res.verdict.outcome, "gray"))])
            st.caption(w.md(res.verdict.reason))
            nums, checks = st.columns(2)
            if res.verdict.numbers:
                nums.markdown("**The deciding numbers**")
                nums.dataframe(pd.DataFrame([{"number": k, "value": str(v)} for k, v in res.verdict.numbers.items()]), hide_index=True, width="stretch")
            if res.verdict.checks:
                checks.markdown("**Checks**")
                checks.dataframe(pd.DataFrame([{"check": k, "passed": v} for k, v in res.verdict.checks.items()]), hide_index=True, width="stretch")
        if show_result_plots(job, res.metrics):
            with st.expander("Every metric"):
                show_metrics(res.metrics)
        elif res.metrics:
            show_metrics(res.metrics)
        claims = data.claims_tested_by(store, job, preset)
        if claims:
            st.markdown("**Claims this run bears on**")
            for c, ref in claims:
                w.page_link("claim", c.id, c.statement, icon=":material/description:")
                moved = ""
                if res.verdict is not None:
                    moves = [f"on {hyp}: {before:.2f} → {after:.2f}" for hyp, before, after in data.weight_change(c, ref.expect, res.verdict.outcome, data.weights())]
                    moved = "; this verdict moves its weight " + ", ".join(moves) + " (before the independence discount)" if moves else ""
                st.caption(f"expects {w.md(ref.expect)}{w.md(moved)}")
        with st.expander("Parameters, environment and log"):
            st.json(res.params, expanded=False)
            if res.env:
                st.json(res.env, expanded=False)
            st.text(res.log_tail)
    return not run.finished


if run_id:
    st.page_link(w.PAGES["runs"], label="All runs", icon=":material/arrow_back:")

    @st.fragment(run_every=1.0)
    def live() -> None:
        active = show_run(run_id)
        if not active and st.session_state.get("_run_live") == run_id:
            st.session_state["_run_live"] = None
            st.rerun()  # one full rerun when it ends, so the page stops polling

    if st.session_state.get("_run_live") == run_id:
        live()
    else:
        if show_run(run_id):
            st.session_state["_run_live"] = run_id
            st.rerun()
    st.stop()


# --- start a run ------------------------------------------------------------------------------

jobs = data.job_names()
if not jobs:
    w.empty_state("No jobs registered", "Add a job module under `repro/jobs/`.", ":material/science:")
    st.stop()

with st.container(border=True):
    st.markdown("#### Start a run")
    if "run_job" not in st.session_state and qp.get("job") in jobs:
        st.session_state["run_job"] = qp.get("job")
    c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
    job = c1.selectbox("Job", jobs, key="run_job")
    presets = data.presets(job)
    if "run_preset" in st.session_state and st.session_state["run_preset"] not in presets:
        del st.session_state["run_preset"]
    if "run_preset" not in st.session_state and qp.get("preset") in presets:
        st.session_state["run_preset"] = qp.get("preset")
    if "run_preset" not in st.session_state:  # start on a preset this server lets you run
        st.session_state["run_preset"] = next((p for p in presets if policy.preset_allowed(gate.settings, p)), presets[0])
    preset = c2.selectbox("Preset", presets, key="run_preset")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="run_seed")
    backend = c4.selectbox("Runner", policy.runner_choices(gate.settings), key="run_backend")
    address = None
    if backend == "ray" and gate.may_run:  # chosen from the server's list, never typed (and not shown to readers)
        address = st.selectbox("Ray cluster", policy.address_choices(gate.settings, data.default_ray_address()), key="run_address", format_func=lambda a: a or "a local Ray (RAY_ADDRESS is not set)")
    overrides_text = st.text_area(
        "Parameter overrides, one `name = value` a line (checked against the job's Params)", key="run_overrides", height=80, placeholder=data.override_placeholder(job, preset)
    )
    overrides, problems = data.parse_overrides(overrides_text)
    problems = problems or data.check_params(job, preset, overrides)
    problem = "; ".join(problems)
    if problem:
        st.error("These overrides will not run:\n" + "\n".join(f"- {w.md(p)}" for p in problems), icon=":material/error:")
    else:
        with st.expander("Resolved parameters", expanded=False):
            st.dataframe(data.params_table(job, preset, overrides), hide_index=True, width="stretch")
    three = st.checkbox(
        f"Seeds {int(seed)}, {int(seed) + 1} and {int(seed) + 2}: the three a verdict of record needs (stacked in one process where the job can)", key="run_three", disabled=not gate.may_run
    )
    seeds = [int(seed) + i for i in range(3 if three else 1)]
    allowed = gate.check_request(preset, backend, address, count=len(seeds))
    if not allowed:
        st.warning(w.md(allowed.reason), icon=":material/lock:")
    force = st.checkbox("Run again even if an identical run exists", key="run_force", disabled=not gate.may_run)
    if st.button("Start run", type="primary", disabled=bool(problem) or not allowed, key="run_start", icon=":material/play_arrow:"):
        if not allowed:  # checked here too: `disabled` is only a hint to the browser
            st.stop()
        try:
            limit = gate.settings.runs.max_queued if gate.team and gate.settings else None  # checked again under the store's lock
            new_id = data.submit_runs(job, preset, overrides, seeds=seeds, backend=backend, force=force, started_by=gate.user.name, address=address, max_active=limit)[0]
        except ValueError as exc:  # the job's own model rejected the parameters: shown inline
            st.error("Could not start the run:\n" + "\n".join(f"- {w.md(line)}" for line in data.readable_error(exc)), icon=":material/error:")
        else:
            st.query_params.from_dict({"run": str(new_id)})
            st.rerun()

# --- past runs ----------------------------------------------------------------------------------

st.markdown("#### Past runs")
f1, f2 = st.columns(2)
job_filter = f1.selectbox("Job", ["all", *jobs], key="runs_job")
status_filter = f2.selectbox("Status", ["all", "queued", "running", "succeeded", "failed", "cancelled"], key="runs_status")
unreadable: list[str] = []
runs = data.list_runs(None if job_filter == "all" else job_filter, None if status_filter == "all" else status_filter, unreadable)
for reason in unreadable:  # a corrupt run folder is named; the others are still listed
    st.warning(w.md(reason), icon=":material/warning:")
if not runs:
    w.empty_state("No runs yet", "Start one above; it appears here with its status and verdict.", ":material/history:")
else:
    st.dataframe(
        pd.DataFrame(runs),
        hide_index=True,
        width="stretch",
        column_config={"run": st.column_config.LinkColumn("run", display_text=r"\./runs\?run=(.*)")},
    )
