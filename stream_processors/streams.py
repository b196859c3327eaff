"""Decoding a Faust stream of raw bytes into events, with the log offset of each."""

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from orders.errors import DecodeError

log = logging.getLogger(__name__)
T = TypeVar("T")


async def decoded(
    stream: Any, decode: Callable[[bytes | None], T], stage: str
) -> AsyncIterator[tuple[T, int]]:
    """Yield (event, offset). An undecodable message is logged and skipped so the partition
    keeps flowing (the dead-letter topic is where it will go; see README, Guarantees)."""
    async for record in stream.events():
        message = record.message
        try:
            event = decode(record.value)
        except DecodeError as e:
            log.error(
                "%s: skipping undecodable message at %s[%s]@%s: %s",
                stage, message.topic, message.partition, message.offset, e,
            )  # fmt: skip
            continue
        yield event, message.offset


# Bytes in, bytes out: the codec, not Faust, turns them into events. Faust picks a table's
# changelog serializers from key_type/value_type given directly (a Schema's are ignored).
RAW_TABLE: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
