"""Reproduction jobs for the claims graph: jobs, a run store, local and Ray runners, an API.

Public entry points: `repro.api` (submit, status, cancel, list_runs, result, wait,
latest_verdict; typed models), `repro.catalog` (what each job accepts, without importing it)
and `repro.registry` (the job modules themselves). The `kg run` / `kg runs` commands live in
`cli/runs.py`.
"""
