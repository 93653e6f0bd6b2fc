"""Submission is atomic: identical requests submitted at once make one run (real local runner)."""

from __future__ import annotations

import threading

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
