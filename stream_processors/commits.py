"""Which offset a partition may commit: the pure rule behind RewindingConsumer._new_offset.

Faust (faust-streaming 0.15.3, `Consumer._new_offset`) commits the first run of consecutive
acked offsets, and only withholds the commit when the run starts *more than one* past the
committed offset. A committed offset is the next record to read, so a run starting exactly
one past it skips that record: when the record at the committed offset is still unacked
(in flight in a slower stage, or never delivered in this generation) while later ones are
acked, it was committed without being handled by every stage, and nothing delivers it again.
This is faust-streaming issue #606 (still open). Here a run must start at the committed
offset, and never reaches an offset still in flight.
"""

from collections.abc import Sequence


def committable_run(
    acked: Sequence[int], committed: int | None, in_flight: int | None = None
) -> list[int]:
    """The acked offsets (sorted, unique) a commit may cover now: consecutive from the start,
    starting at `committed` when it is known, and below `in_flight` (the lowest offset still
    being handled in this generation) when there is one. Empty: nothing may be committed."""
    if not acked or (committed is not None and acked[0] != committed):
        return []
    run: list[int] = []
    for offset in acked:
        if run and offset != run[-1] + 1:
            break
        if in_flight is not None and offset >= in_flight:
            break
        run.append(offset)
    return run
