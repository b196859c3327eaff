"""Who is in a consumer group and which partitions each member holds, asked of the broker.

aiokafka's admin client (pure Python, asyncio): a broker that goes away fails a request, never
the process (unlike confluent's AdminClient, librdkafka #4605). DescribeGroups answers each
member's assignment as the bytes the group's leader sent: for the "consumer" protocol they
start with the standard ConsumerProtocolMemberAssignment (version, [(topic, [partition])],
user data). Faust's own assignor fills that standard part with the member's active partitions
plus its standby replicas of table changelogs, and puts its own view (actives and standbys,
zlib-compressed JSON) in the user data, which is not read here.
"""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.errors import KafkaError

from orders.contracts.offsets import Partition
from orders.errors import KafkaUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupMember:
    member_id: str
    client_id: str
    host: str
    partitions: tuple[Partition, ...]  # sorted


@dataclass(frozen=True)
class GroupView:
    state: str  # Stable, PreparingRebalance, CompletingRebalance, Empty, Dead
    members: tuple[GroupMember, ...]  # sorted by client id, then member id


def decode_assignment(raw: bytes | None) -> tuple[Partition, ...]:
    """The partitions in a member's assignment bytes; none while the group rebalances (empty
    bytes) or when the bytes are not the standard consumer protocol's."""
    if not raw:
        return ()
    try:
        assignment = ConsumerProtocolMemberAssignment.decode(raw)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        log.warning("a group member's assignment is not the consumer protocol's: %r", e)
        return ()
    return tuple(sorted((tp.topic, tp.partition) for tp in assignment.partitions()))


def group_view(described: Mapping[str, Any]) -> GroupView:
    """A GroupView from one group of a DescribeGroups answer (the response's to_object())."""
    members = [
        GroupMember(
            member_id=member["member_id"],
            client_id=member["client_id"],
            host=member["client_host"].lstrip("/"),
            partitions=decode_assignment(member["member_assignment"]),
        )
        for member in described["members"]
    ]
    members.sort(key=lambda m: (m.client_id, m.member_id))
    return GroupView(state=described["state"], members=tuple(members))


def _the_group(answers: Sequence[Any], group: str) -> Mapping[str, Any]:
    for answer in answers:
        for described in answer.to_object()["groups"]:
            if described["group"] == group:
                if described["error_code"]:
                    raise KafkaUnavailable(f"describing {group}: error {described['error_code']}")
                return dict(described)
    raise KafkaUnavailable(f"the broker did not describe {group}")


class GroupDescriber:
    """Describes one consumer group; the admin client is made on first use and made again
    after a failure (a broker that went away)."""

    def __init__(self, bootstrap_servers: str, group: str, *, timeout_s: float = 5.0) -> None:
        self._bootstrap = bootstrap_servers
        self._group = group
        self._timeout_s = timeout_s
        self._admin: AIOKafkaAdminClient | None = None

    async def describe(self) -> GroupView:
        """Raises KafkaUnavailable when the broker does not answer within the timeout."""
        try:
            async with asyncio.timeout(self._timeout_s):
                admin = await self._started()
                answers = await admin.describe_consumer_groups([self._group])
        except (KafkaError, OSError, TimeoutError) as e:
            await self.close()
            raise KafkaUnavailable(f"Kafka did not describe the group: {e!r}") from e
        return group_view(_the_group(answers, self._group))

    async def _started(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap,
                client_id="orderflow-dashboard",
                request_timeout_ms=int(self._timeout_s * 1000),
            )
            self._admin = admin  # closed by close() even if start() fails
            await admin.start()
        return self._admin

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        if admin is not None:
            await admin.close()
