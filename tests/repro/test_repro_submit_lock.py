"""Submission is atomic: identical requests submitted at once make one run (real local runner)."""

from __future__ import annotations

import threading

import pytest

from repro import api


def test_four_identical_concurrent_submissions_make_one_run(store, tiny):
    barrier = threading.Barrier(4)
    ids: list[str] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            ids.append(api.submit("sparse_parity", params=tiny["sparse_parity"], seed=7, store=store))
        except BaseException as exc:  # noqa: BLE001 - reported below, a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(ids) == 4 and len(set(ids)) == 1, ids
    assert store.run_ids() == [ids[0]]
    assert api.cancel(ids[0], store=store).status == "cancelled"  # the run itself is not the point


def test_a_users_queue_limit_holds_for_submissions_at_once(store, long_params):
    """Four different runs by one user at once, two allowed: two are created, two refused. The
    count happens under the submission lock; checked outside it, all four saw none active."""
    barrier = threading.Barrier(4)
    ids: list[str] = []
    refused: list[str] = []

    def submit(seed: int) -> None:
        barrier.wait()
        try:
            ids.append(api.submit_seeds("sparse_parity", params=long_params, seeds=[seed], store=store, started_by="ada@lab.example", max_active=2)[0])
        except api.QueueFull as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=submit, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(ids) == 2 and len(refused) == 2, (ids, refused)
        assert "ada@lab.example has 2 run(s) queued or running and asks for 1 more; this server allows 2 at once" in refused[0]
        # another user is not counted against ada
        other = api.submit_seeds("sparse_parity", params=long_params, seeds=[9], store=store, started_by="bob@lab.example", max_active=2)
        ids += other
        # three seeds at once count as three
        with pytest.raises(api.QueueFull, match="asks for 3 more"):
            api.submit_seeds("sparse_parity", params=long_params, seeds=[10, 11, 12], store=store, started_by="bob@lab.example", max_active=2)
    finally:
        for run_id in ids:
            api.cancel(run_id, store=store)
