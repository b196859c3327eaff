"""Spike: the CPU a bare consume -> produce-next-hop loop spends per record, with aiokafka and
with confluent-kafka (librdkafka), no Faust. It answers one question for #10: how much of a
worker's cost per record is the Kafka client, and how much is Faust's per-event path.

K orders are in flight, each makes H hops on one topic (keyed by its id); a finished order
starts a new one, like the bench's customers. Each client runs in its own process, twice,
interleaved, against one local Kafka broker; the figure is process CPU per hop (all threads).

    uv run python scripts/spike_hops.py [SECONDS]
"""

import subprocess
import sys
import time
import uuid
from typing import Any

K, H, VALUE = 32, 8, b"x" * 300
FETCH = {"min_bytes": 4096, "max_wait_ms": 5}  # what the workers ask for while busy


def _next(value: bytes, key: bytes) -> tuple[bytes, bytes]:
    hop = int(value[:1]) + 1
    return (key if hop < H else uuid.uuid4().bytes), str(hop % H).encode() + VALUE


def run_confluent(bootstrap: str, seconds: float) -> tuple[int, float]:
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"spike-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 6, 1)])[topic].result()
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 2, "enable.idempotence": True}
    )
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": topic,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.min.bytes": FETCH["min_bytes"],
            "fetch.wait.max.ms": FETCH["max_wait_ms"],
        }
    )
    consumer.subscribe([topic])
    for _ in range(K):
        producer.produce(topic, key=uuid.uuid4().bytes, value=b"0" + VALUE)
    producer.flush()
    hops, start, cpu0, committed = 0, 0.0, 0.0, time.monotonic()
    while not start or time.monotonic() - start < seconds:
        # consume() waits for the whole batch or the timeout: keep the timeout short
        for message in consumer.consume(num_messages=500, timeout=0.003):
            if not start:
                start, cpu0 = time.monotonic(), time.process_time()
            if message.error() is None:
                key, value = _next(message.value(), message.key())
                producer.produce(topic, key=key, value=value)
                hops += 1
        producer.poll(0)
        if time.monotonic() - committed > 1:  # at least once: flush, then commit
            producer.flush()
            consumer.commit(asynchronous=True)
            committed = time.monotonic()
    cpu = time.process_time() - cpu0
    consumer.close()
    return hops, cpu


async def run_aiokafka(bootstrap: str, seconds: float) -> tuple[int, float]:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"spike-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, 6, 1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=2, enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_min_bytes=FETCH["min_bytes"],
        fetch_max_wait_ms=FETCH["max_wait_ms"],
    )
    await producer.start()
    await consumer.start()
    for _ in range(K):
        await producer.send(topic, key=uuid.uuid4().bytes, value=b"0" + VALUE)
    hops, start, cpu0, committed = 0, 0.0, 0.0, time.monotonic()
    while not start or time.monotonic() - start < seconds:
        batches: dict[Any, list[Any]] = await consumer.getmany(timeout_ms=100, max_records=500)
        for records in batches.values():
            if not start:
                start, cpu0 = time.monotonic(), time.process_time()
            for message in records:
                key, value = _next(message.value, message.key)
                await producer.send(topic, key=key, value=value)  # queued, not awaited
                hops += 1
        if time.monotonic() - committed > 1:
            await producer.flush()
            await consumer.commit()
            committed = time.monotonic()
    cpu = time.process_time() - cpu0
    await consumer.stop()
    await producer.stop()
    return hops, cpu


def one(bootstrap: str, client: str, seconds: float) -> None:
    if client == "confluent":
        hops, cpu = run_confluent(bootstrap, seconds)
    else:
        import uvloop

        hops, cpu = uvloop.run(run_aiokafka(bootstrap, seconds))
    print(
        f"{client:9} {hops / seconds:6.0f} hops/s  {1e6 * cpu / hops:4.0f} us CPU per hop  "
        f"(13 records, as one order makes today: {13e3 * cpu / hops:.2f} ms)",
        flush=True,
    )


def main() -> None:
    if len(sys.argv) == 4:  # a child: BOOTSTRAP CLIENT SECONDS
        one(sys.argv[1], sys.argv[2], float(sys.argv[3]))
        return
    from orderflow.infra.kafka import LocalKafka, ensure_kafka_libs
    from orderflow.stack import REPO_ROOT

    seconds = sys.argv[1] if len(sys.argv) > 1 else "20"
    with LocalKafka(ensure_kafka_libs(REPO_ROOT)) as kafka:
        for client in ("aiokafka", "confluent", "aiokafka", "confluent"):
            argv = [sys.executable, __file__, kafka.bootstrap_servers, client, seconds]
            subprocess.run(argv, check=True, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
