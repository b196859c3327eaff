"""Stock levels: set them (StockSet events on the stock topic, so stock is replayable too) and
read them back from the workers' stock table (its changelog topic)."""

from orderflow.records import read_topic
from orders.contracts.topics import Topics
from orders.domain.events import StockSet
from orders.domain.stock import SkuStock
from orders.settings import Settings
from producer.kafka_publisher import KafkaPublisher

DEMO_CATALOG = {"BURGER": 50, "FRIES": 100, "COLA": 100, "SHAKE": 3, "SALAD": 20}


async def set_stock(settings: Settings, levels: dict[str, int]) -> None:
    topic = Topics.from_settings(settings).stock.name
    publisher = KafkaPublisher(settings)
    await publisher.start()
    try:
        for sku, quantity in levels.items():
            await publisher.publish(topic, sku, StockSet(sku=sku, quantity=quantity))
    finally:
        await publisher.close()


def stock_changelog_topic(settings: Settings) -> str:
    """Faust names a table's changelog `{app id}-{table}-changelog`; the app id is the worker
    group and the table is "stock" (stream_processors/inventory.py)."""
    return f"{settings.worker_group}-stock-changelog"


def read_stock(settings: Settings, timeout: float = 30.0) -> dict[str, SkuStock]:
    """Every SKU's latest stock as the workers last wrote it (blocking; a plain consumer that
    joins no group and commits nothing). Raises LookupError when no worker has written the
    table yet, TimeoutError when the changelog cannot be read to its end within `timeout`."""
    topic = stock_changelog_topic(settings)
    try:
        records = read_topic(settings, topic, timeout)
    except LookupError:
        raise LookupError(f"no stock changelog topic {topic!r} on the broker") from None
    latest: dict[bytes, bytes] = {}
    for record in records:  # in offset order per partition, and a SKU lives on one partition
        if record.key is None:
            raise ValueError(f"not a stock changelog record: {record}")
        if record.value is None:  # a tombstone: the key was deleted
            latest.pop(record.key, None)
        else:
            latest[record.key] = record.value
    return {sku.decode(): SkuStock.model_validate_json(value) for sku, value in latest.items()}
