"""Lanes whose work releases the lane before it ends (stream_processors/lanes.py)."""

import asyncio

from stream_processors.lanes import Lanes, Release
from tests.unit.stage_helpers import eventually


async def test_the_next_piece_of_a_key_starts_once_the_previous_released_the_lane() -> None:
    lanes, log, acked = Lanes(), [], asyncio.Event()

    async def first(release: Release) -> None:
        log.append("first worked")
        release()
        await acked.wait()  # e.g. for the broker's acknowledgement
        log.append("first ended")

    async def second(release: Release) -> None:
        log.append("second worked")

    lanes.submit_releasing("k", first)
    done = lanes.submit_releasing("k", second)
    await asyncio.wait_for(done, 1)
    assert log == ["first worked", "second worked"]
    assert len(lanes) == 1  # the first is still running
    acked.set()
    await eventually(lambda: len(lanes) == 0)
    assert log[-1] == "first ended"


async def test_without_release_the_next_piece_waits_for_the_end() -> None:
    lanes, log, gate = Lanes(), [], asyncio.Event()

    async def first(release: Release) -> None:
        await gate.wait()
        log.append("first")

    async def second(release: Release) -> None:
        log.append("second")

    lanes.submit_releasing("k", first)
    done = lanes.submit_releasing("k", second)
    other = lanes.submit_releasing("other", second)
    await asyncio.wait_for(other, 1)  # another key passes
    assert log == ["second"]
    gate.set()
    await asyncio.wait_for(done, 1)
    assert log == ["second", "first", "second"]


async def test_a_piece_cancelled_before_it_released_still_frees_its_lane() -> None:
    lanes, gate, log = Lanes(), asyncio.Event(), []

    async def stuck(release: Release) -> None:
        await gate.wait()

    async def after(release: Release) -> None:
        log.append("after")

    first = lanes.submit_releasing("k", stuck)
    done = lanes.submit_releasing("k", after)
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.wait_for(done, 1)
    assert log == ["after"]
    await lanes.cancel_all()
    assert len(lanes) == 0
