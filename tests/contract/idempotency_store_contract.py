"""The IdempotencyStore contract: every adapter (in-memory fake, Redis) must pass these tests.

Subclass it and override `make_store` with a fixture returning a factory of fresh, empty
stores: `make(ttl_s=..., lease_s=...)`. The base class is not collected on its own.
"""

import asyncio
import time
from abc import ABC
from collections.abc import Awaitable, Callable
from typing import Protocol

import pytest

from producer.idempotency import Busy, Claim, Claimed, Done, IdempotencyStore, Mismatch
from producer.idempotency import StoredResponse as Response

KEY = "order-7f3a"
FINGERPRINT = "f" * 64
OTHER_FINGERPRINT = "e" * 64
EVENT = b'{"type": "OrderPlaced", "order_id": "A"}'
LATER_EVENT = b'{"type": "OrderPlaced", "order_id": "B"}'
RESPONSE = Response(202, {"order_id": "A", "status": "PENDING"}, {"Location": "http://s/A"})
LONG_S = 60.0  # a TTL or lease that never runs out during a test
SHORT_S = 0.2  # one that runs out quickly, for the tests that wait for it


class MakeStore(Protocol):
    def __call__(self, *, ttl_s: float = LONG_S, lease_s: float = LONG_S) -> IdempotencyStore: ...


async def eventually(
    call: Callable[[], Awaitable[Claim]], wanted: type, within: float = 10
) -> Claim:
    """Call until the answer is of the `wanted` kind; fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        answer = await call()
        if isinstance(answer, wanted) or time.monotonic() > deadline:
            assert isinstance(answer, wanted), answer
            return answer
        await asyncio.sleep(0.02)


class IdempotencyStoreContract(ABC):  # noqa: B024 - abstract by its fixture, not by a method
    @pytest.fixture
    def make_store(self) -> MakeStore:
        raise NotImplementedError("subclasses provide a `make_store` fixture")

    @pytest.fixture
    def store(self, make_store: MakeStore) -> IdempotencyStore:
        return make_store()

    async def test_a_new_key_is_claimed_with_the_given_event(self, store: IdempotencyStore) -> None:
        claim = await store.claim(KEY, FINGERPRINT, EVENT)

        assert isinstance(claim, Claimed)
        assert (claim.event, claim.retaken) == (EVENT, False)
        assert claim.lease

    async def test_a_held_lease_makes_the_same_request_wait(self, store: IdempotencyStore) -> None:
        await store.claim(KEY, FINGERPRINT, EVENT)

        claim = await store.claim(KEY, FINGERPRINT, LATER_EVENT)

        assert isinstance(claim, Busy)
        assert 0 < claim.retry_in_s <= LONG_S

    async def test_another_body_is_a_mismatch_pending_or_done(
        self, store: IdempotencyStore
    ) -> None:
        await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(await store.claim(KEY, OTHER_FINGERPRINT, EVENT), Mismatch)

        await store.complete(KEY, FINGERPRINT, RESPONSE)
        assert isinstance(await store.claim(KEY, OTHER_FINGERPRINT, EVENT), Mismatch)

    async def test_a_completed_key_replays_its_response(self, store: IdempotencyStore) -> None:
        await store.claim(KEY, FINGERPRINT, EVENT)
        await store.complete(KEY, FINGERPRINT, RESPONSE)

        for _ in range(2):
            assert await store.claim(KEY, FINGERPRINT, LATER_EVENT) == Done(RESPONSE)

    async def test_a_released_lease_is_taken_over_with_the_stored_event(
        self, store: IdempotencyStore
    ) -> None:
        first = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(first, Claimed)
        await store.release(KEY, first.lease)

        again = await store.claim(KEY, FINGERPRINT, LATER_EVENT)

        assert isinstance(again, Claimed)
        assert (again.event, again.retaken) == (EVENT, True)
        assert again.lease != first.lease
        assert isinstance(await store.claim(KEY, FINGERPRINT, LATER_EVENT), Busy)

    async def test_only_the_lease_holder_releases(self, store: IdempotencyStore) -> None:
        first = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(first, Claimed)
        await store.release(KEY, first.lease)
        second = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(second, Claimed)

        await store.release(KEY, first.lease)  # stale: the lease is second's now

        assert isinstance(await store.claim(KEY, FINGERPRINT, EVENT), Busy)

    async def test_a_run_out_lease_is_taken_over_with_the_stored_event(
        self, make_store: MakeStore
    ) -> None:
        store = make_store(lease_s=SHORT_S)
        await store.claim(KEY, FINGERPRINT, EVENT)

        claim = await eventually(lambda: store.claim(KEY, FINGERPRINT, LATER_EVENT), Claimed)

        assert isinstance(claim, Claimed)
        assert (claim.event, claim.retaken) == (EVENT, True)

    async def test_completing_needs_the_same_body(self, store: IdempotencyStore) -> None:
        first = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(first, Claimed)

        await store.complete(KEY, OTHER_FINGERPRINT, RESPONSE)

        assert isinstance(await store.claim(KEY, FINGERPRINT, EVENT), Busy)

    async def test_done_is_final(self, store: IdempotencyStore) -> None:
        first = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(first, Claimed)
        await store.complete(KEY, FINGERPRINT, RESPONSE)

        await store.release(KEY, first.lease)
        await store.complete(KEY, FINGERPRINT, Response(503, {"error": "late"}))

        assert await store.claim(KEY, FINGERPRINT, EVENT) == Done(RESPONSE)

    async def test_completing_an_unknown_key_creates_nothing(self, store: IdempotencyStore) -> None:
        await store.complete(KEY, FINGERPRINT, RESPONSE)
        await store.release(KEY, "no-such-lease")

        claim = await store.claim(KEY, FINGERPRINT, EVENT)
        assert isinstance(claim, Claimed)
        assert not claim.retaken

    async def test_keys_are_independent(self, store: IdempotencyStore) -> None:
        await store.claim(KEY, FINGERPRINT, EVENT)
        await store.complete(KEY, FINGERPRINT, RESPONSE)

        other = await store.claim(f"{KEY}-2", OTHER_FINGERPRINT, LATER_EVENT)

        assert isinstance(other, Claimed)
        assert other.event == LATER_EVENT

    async def test_a_key_is_forgotten_after_its_ttl(self, make_store: MakeStore) -> None:
        store = make_store(ttl_s=SHORT_S * 2, lease_s=SHORT_S)
        await store.claim(KEY, FINGERPRINT, EVENT)
        await store.complete(KEY, FINGERPRINT, RESPONSE)

        # A body that would be a mismatch is a new claim once the key has expired.
        claim = await eventually(lambda: store.claim(KEY, OTHER_FINGERPRINT, LATER_EVENT), Claimed)

        assert isinstance(claim, Claimed)
        assert (claim.event, claim.retaken) == (LATER_EVENT, False)

    async def test_concurrent_claims_have_one_winner(self, store: IdempotencyStore) -> None:
        claims = await asyncio.gather(*(store.claim(KEY, FINGERPRINT, EVENT) for _ in range(20)))

        assert sum(isinstance(c, Claimed) for c in claims) == 1
        assert sum(isinstance(c, Busy) for c in claims) == 19
