"""Which offset a partition may commit in the direct runtime (direct/progress.py)."""

from stream_processors.direct.progress import PartitionProgress, Progress


def test_nothing_taken_commits_nothing() -> None:
    assert PartitionProgress().committable() is None


def test_the_commit_stops_at_the_lowest_record_in_flight() -> None:
    partition = PartitionProgress()
    for offset in (5, 6, 7):
        partition.take(offset)
    partition.done(6)
    partition.done(7)
    assert partition.committable() is None  # 5, where reading started, is not done
    partition.done(5)
    assert partition.committable() == 8  # all done: one past the last record taken


def test_the_commit_never_goes_back_or_repeats() -> None:
    partition = PartitionProgress()
    partition.take(3)
    partition.done(3)
    assert partition.committable() == 4
    partition.committed = 4
    assert partition.committable() is None
    partition.take(4)
    assert partition.committable() is None  # 4 in flight: nothing new to commit


def test_progress_commits_only_partitions_it_owns_and_that_moved() -> None:
    progress = Progress()
    progress.own({"a": 0, "b": 0})
    progress.partitions["a"].take(0)
    progress.partitions["a"].done(0)
    progress.partitions["b"].take(0)
    assert progress.committable() == {"a": 1}
    assert len(progress) == 1
    progress.committed({"a": 1})
    assert progress.committable() == {}
    progress.release({"a", "b"})
    assert not progress.owns("a")
    assert progress.committable() == {}
