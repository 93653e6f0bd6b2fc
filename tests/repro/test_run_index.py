"""The run store's listing index (repro/index.py): a cache that is never the source of truth.
Runs are written as a worker writes them (RunStore.create, set_status, atomic JSON writes)."""

from __future__ import annotations

import json
import shutil

from kg.util import atomic_write_json
from repro import api
from repro.index import INDEX_NAME
from repro.store import RunStore


def finished_run(store: RunStore, job: str = "sparse_parity", seed: int = 0, outcome: str = "reproduced") -> str:
    run_id = store.create({"job": job, "preset": "smoke", "params": {}, "seed": seed, "backend": "local", "key": f"k{seed}"})
    store.write(run_id, "verdict.json", {"outcome": outcome, "reason": "test", "numbers": {}, "checks": {}})
    store.set_status(run_id, "succeeded", "")
    return run_id


def by_id(rows) -> dict[str, api.RunStatus]:
    return {r.run_id: r for r in rows}


def test_listing_is_the_same_with_and_without_the_index(store):
    ids = [finished_run(store, seed=s, outcome=("reproduced", "inconclusive")[s % 2]) for s in range(6)]
    first = api.list_runs(store=store)  # builds the index
    assert (store.root / INDEX_NAME).exists()
    second = api.list_runs(store=store)  # served from it
    assert first == second and {r.run_id for r in first} == set(ids)
    assert [r.outcome for r in second].count("inconclusive") == 3
    (store.root / INDEX_NAME).unlink()
    assert api.list_runs(store=store) == first


def test_a_changed_deleted_or_added_run_is_seen_at_once(store):
    a, b = finished_run(store, seed=1), finished_run(store, seed=2)
    api.list_runs(store=store)
    store.set_status(a, "failed", "changed after it was indexed")  # a rewritten status.json
    shutil.rmtree(store.dir(b))  # a folder removed by hand
    c = finished_run(store, seed=3)
    rows = by_id(api.list_runs(store=store))
    assert set(rows) == {a, c}
    assert rows[a].status == "failed" and rows[a].reason == "changed after it was indexed"
    assert api.list_runs(status="succeeded", store=store) == [rows[c]]


def test_an_edit_in_place_is_seen_too(store):
    """status.json rewritten without a rename (an editor, `echo >`): size or mtime changes."""
    a = finished_run(store)
    api.list_runs(store=store)
    path = store.dir(a) / "status.json"
    st = json.loads(path.read_text())
    path.write_text(json.dumps({**st, "status": "cancelled", "reason": "edited by hand"}))
    assert api.list_runs(store=store)[0].reason == "edited by hand"


def test_active_runs_are_always_read_from_their_folder(store):
    run_id = store.create({"job": "sparse_parity", "preset": "smoke", "params": {}, "seed": 0, "backend": "local", "key": "k"})
    store.set_status(run_id, "running", "", pid=None)
    assert api.list_runs(store=store)[0].status == "running"
    store.write(run_id, "progress.json", {"done": 5, "total": 10, "note": ""})
    assert api.list_runs(store=store)[0].progress == api.Progress(done=5, total=10)


def test_a_corrupt_index_is_rebuilt_and_never_trusted(store):
    ids = {finished_run(store, seed=s) for s in range(3)}
    api.list_runs(store=store)
    (store.root / INDEX_NAME).write_bytes(b"this is not a database" * 100)
    assert {r.run_id for r in api.list_runs(store=store)} == ids
    assert {r.run_id for r in api.list_runs(store=store)} == ids  # and rebuilt


def test_a_corrupt_run_record_is_left_out_with_its_reason(store):
    good = finished_run(store, seed=1)
    bad = finished_run(store, seed=2)
    (store.dir(bad) / "request.json").write_text('{"job": "sparse_par')  # half-written
    wrong = finished_run(store, seed=3)
    atomic_write_json(store.dir(wrong) / "request.json", ["not", "a", "request"])
    problems: list[str] = []
    rows = api.list_runs(store=store, problems=problems)
    assert [r.run_id for r in rows] == [good]
    assert len(problems) == 2
    assert any(bad in p and "request.json does not parse" in p for p in problems), problems
    assert any(wrong in p and "not a readable run record" in p for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_an_index_of_another_format_is_replaced(store):
    import sqlite3

    ids = {finished_run(store, seed=s) for s in range(2)}
    db = sqlite3.connect(store.root / INDEX_NAME)
    db.execute("CREATE TABLE meta (format INTEGER)")
    db.execute("INSERT INTO meta VALUES (0)")
    db.execute("CREATE TABLE runs (run_id TEXT, something TEXT, else_ TEXT, more TEXT, row TEXT, extra TEXT)")
    db.commit()
    db.close()
    assert {r.run_id for r in api.list_runs(store=store)} == ids
    db = sqlite3.connect(store.root / INDEX_NAME)
    assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 2  # rebuilt in the new shape
    db.close()


def test_one_jobs_look_ups_read_only_that_jobs_folders(store, caplog):
    """Run ids start with their job's name, so finding a job's runs (dedup, latest verdict,
    verdict of record) never opens another job's files; folders named otherwise are still read."""
    mine = finished_run(store, job="superposition")
    other = finished_run(store, job="grokking")
    (store.root / other / "request.json").write_text("{ not json")  # would warn if it were read
    copied = store.root / "copied-by-hand"
    shutil.copytree(store.root / mine, copied)
    assert store.run_ids("superposition") == sorted([mine, "copied-by-hand"], reverse=True)
    assert other in store.run_ids()
    assert store.run_ids("grok") == ["copied-by-hand"]  # a job whose name is a prefix of another's
    key = store.request(mine)["key"]
    caplog.set_level("WARNING")
    assert store.find(key, ("succeeded",), "superposition") in (mine, "copied-by-hand")
    assert api.latest_verdict("superposition", store=store) is None  # params {} are not the preset's
    assert other not in caplog.text
    store.find(key, ("succeeded",))  # without a job every folder is read: the corrupt one is named
    assert other in caplog.text
