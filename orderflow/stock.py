"""Setting stock levels: StockSet events on the stock topic, so stock is replayable too."""

from orders.contracts.topics import Topics
from orders.domain.events import StockSet
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
