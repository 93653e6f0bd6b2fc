"""The shared helpers in kg.util: one home each, so every part gets the same behaviour."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg import util


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "sub" / "x.json"
    util.atomic_write_json(target, {"a": 1})
    util.atomic_write_json(target, {"a": 2})
    assert util.read_json(target) == {"a": 2}
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def test_a_failed_atomic_write_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path):
    target = tmp_path / "x.json"
    util.atomic_write_json(target, {"old": True})

    class Unserialisable:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        util.atomic_write_json(target, {"new": Unserialisable()})
    assert util.read_json(target) == {"old": True}
    assert sorted(os.listdir(tmp_path)) == ["x.json"]


def test_read_json_of_a_missing_or_half_written_file_is_the_default(tmp_path: Path):
    assert util.read_json(tmp_path / "none.json", {}) == {}
    (tmp_path / "half.json").write_text('{"a": ')
    assert util.read_json(tmp_path / "half.json") is None


def test_parse_overrides_reads_json_values_and_names_the_bad_item():
    assert util.parse_overrides(["a=1", "b = 0.5", "c=[20,50]", "d=true", "e=text", "", "# comment"]) == {
        "a": 1,
        "b": 0.5,
        "c": [20, 50],
        "d": True,
        "e": "text",
    }
    with pytest.raises(ValueError, match="'novalue'"):
        util.parse_overrides(["novalue"])


def test_timestamps_round_trip_in_both_spellings():
    stamp = util.now_iso()
    assert stamp.endswith("+00:00") and util.parse_time(stamp) is not None
    assert util.parse_time("2026-01-01T00:00:00Z") == util.parse_time("2026-01-01T00:00:00+00:00")
    assert util.parse_time("yesterday") is None and util.parse_time(None) is None


def test_pid_alive_knows_this_process_and_a_gone_one():
    assert util.pid_alive(os.getpid())
    assert not util.pid_alive(os.getpid(), marker=b"no-such-marker-in-my-cmdline")
    assert not util.pid_alive(None) and not util.pid_alive(2**22 + 12345)


@given(st.lists(st.integers(), max_size=50), st.integers(min_value=1, max_value=7))
def test_batched_keeps_order_and_bounds_every_batch(items, size):
    batches = list(util.batched(items, size))
    assert [x for b in batches for x in b] == items
    assert all(1 <= len(b) <= size for b in batches)


@given(st.text(), st.integers(min_value=5, max_value=120))
def test_shorten_fits_the_width_and_marks_a_cut(text, width):
    short = util.shorten(text, width)
    assert len(short) <= width
    assert short == " ".join(text.split()) or short.endswith("…")


# --- gc_paused ------------------------------------------------------------------------------


def test_gc_paused_turns_the_collector_off_and_back_on_even_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), util.gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_gc_paused_nests_and_leaves_a_disabled_collector_disabled():
    with util.gc_paused():
        with util.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause is still on
    assert gc.isenabled()
    gc.disable()
    try:
        with util.gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: a pause does not turn it on
    finally:
        gc.enable()


def test_gc_paused_overlapping_threads_restore_the_collector_when_the_last_ends():
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first():
        with util.gc_paused():
            first_in.set()
            second_done.wait(10)
            seen.append(gc.isenabled())  # the other thread's pause ended; this one holds

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(10)
    with util.gc_paused():
        pass
    second_done.set()
    t.join(10)
    assert seen == [False]
    assert gc.isenabled()
