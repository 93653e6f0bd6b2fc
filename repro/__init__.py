"""Reproduction jobs for the claims graph: jobs, a run store, local and Ray runners, an API and CLI.

Public entry points: `repro.registry` (job_names, get_job, validate_params), `repro.api`
(submit, status, cancel, list_runs, result, wait, latest_verdict) and `repro.cli.register`.
"""
