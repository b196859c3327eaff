"""The commit rule that keeps a record unhandled by some stage from being committed past."""

from stream_processors.commits import committable_run


def test_a_run_from_the_committed_offset_is_committed() -> None:
    assert committable_run([10, 11, 12], committed=10) == [10, 11, 12]


def test_a_record_missing_at_the_head_holds_the_commit() -> None:
    # Faust committed 13 here, past the unhandled record 10 (faust-streaming #606).
    assert committable_run([11, 12], committed=10) == []


def test_the_run_stops_at_the_first_hole() -> None:
    assert committable_run([10, 11, 13, 14], committed=10) == [10, 11]


def test_the_run_stops_below_the_lowest_record_in_flight() -> None:
    assert committable_run([10, 11, 12, 13], committed=10, in_flight=12) == [10, 11]
    assert committable_run([10, 11], committed=10, in_flight=10) == []


def test_without_a_committed_offset_the_run_starts_at_the_lowest_acked() -> None:
    assert committable_run([3, 4, 6], committed=None) == [3, 4]
    assert committable_run([3, 4], committed=None, in_flight=2) == []


def test_nothing_acked_commits_nothing() -> None:
    assert committable_run([], committed=5) == []
