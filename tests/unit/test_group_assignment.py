"""A consumer group's members and partitions, decoded from a DescribeGroups answer."""

import json
import zlib

from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from orders.contracts.group import decode_assignment, group_view


def faust_assignment(topics: dict[str, list[int]]) -> bytes:
    """What Faust's assignor sends a member: the standard part, its own view in user data."""
    user_data = zlib.compress(json.dumps({"assignment": {"actives": topics}}).encode())
    assignment = [ConsumerProtocolMemberAssignment.Assignment(t, ps) for t, ps in topics.items()]
    return ConsumerProtocolMemberAssignment(0, assignment, user_data).encode()


def test_decodes_the_standard_part_of_a_faust_assignment() -> None:
    raw = faust_assignment({"p.order-events": [4, 0, 2], "p.stock": [1]})

    assert decode_assignment(raw) == (
        ("p.order-events", 0),
        ("p.order-events", 2),
        ("p.order-events", 4),
        ("p.stock", 1),
    )


def test_no_partitions_while_rebalancing_or_for_other_protocols() -> None:
    assert decode_assignment(b"") == ()
    assert decode_assignment(None) == ()
    assert decode_assignment(b"\x00\x00\xff") == ()  # not the consumer protocol's layout


def test_group_view_from_a_described_group() -> None:
    described = {
        "error_code": 0,
        "group": "g",
        "state": "Stable",
        "protocol_type": "consumer",
        "protocol": "faust",
        "members": [
            {"member_id": "b", "client_id": "orderflow-worker-2", "client_host": "/127.0.0.1",
             "member_metadata": b"", "member_assignment": faust_assignment({"t": [1]})},
            {"member_id": "a", "client_id": "orderflow-worker-1", "client_host": "/127.0.0.1",
             "member_metadata": b"", "member_assignment": faust_assignment({"t": [0]})},
        ],
    }  # fmt: skip

    view = group_view(described)

    assert view.state == "Stable"
    assert [(m.client_id, m.host, m.partitions) for m in view.members] == [
        ("orderflow-worker-1", "127.0.0.1", (("t", 0),)),
        ("orderflow-worker-2", "127.0.0.1", (("t", 1),)),
    ]
