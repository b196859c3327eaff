"""GET /dashboard, its files and GET /dashboard.json on the status API over the in-memory
store (Kafka figures come from the app's history, filled here by hand)."""

import time
from datetime import UTC, datetime

from jsonschema import Draft202012Validator

from orders.contracts.group import GroupMember, GroupView
from orders.domain.status import OrderStatus
from orders.status_store import StatusChange
from status_api.dashboard import HISTORY
from status_api.openapi_dashboard import dashboard_schema
from status_api.pipeline_sampler import KafkaSample
from tests.unit.live_helpers import ORDER_ID, live_api

S = OrderStatus


async def test_page_and_its_files_need_nothing_from_elsewhere() -> None:
    async with live_api() as live:
        page = await live.client.get("/dashboard")
        script = await live.client.get("/dashboard/static/dashboard.js")
        style = await live.client.get("/dashboard/static/dashboard.css")

        assert (page.status, page.content_type) == (200, "text/html")
        html = await page.text()
        for needed in ('id="lag"', 'id="stages"', 'id="workers"', 'id="overdue"',
                       "/dashboard/static/dashboard.js"):  # fmt: skip
            assert needed in html
        assert script.status == 200
        assert "/dashboard.json" in await script.text()
        assert style.status == 200
        assert "http" not in html + await style.text()  # nothing from another site (no CDN)


async def test_files_that_do_not_exist_are_json_404s() -> None:
    async with live_api() as live:
        for path in ("/dashboard/static/x.js", "/dashboard/static/index.html"):
            response = await live.client.get(path)

            assert response.status == 404, path
            assert (await response.json())["error"]


async def test_figures_from_the_store_and_the_sampled_history() -> None:
    async with live_api(order_deadline_s=60, topic_prefix="p", worker_group="g") as live:
        now = datetime.now(UTC)
        long_ago = datetime.fromtimestamp(time.time() - 120, UTC)
        await live.store.apply(StatusChange(order_id=ORDER_ID, status=S.PENDING, version=1, at=now))
        await live.store.apply(
            StatusChange(order_id=ORDER_ID, status=S.VALIDATED, version=2, at=long_ago)
        )
        assert live.client.app is not None
        member = GroupMember("m", "orderflow-worker-1", "127.0.0.1", (("p.order-events", 0),))
        live.client.app[HISTORY].record(KafkaSample(
            at=time.time(), committed={("p.order-events", 0): 2}, ends={("p.order-events", 0): 5},
            dead_letters=1, group=GroupView("Stable", (member,)),
        ))  # fmt: skip

        body = await (await live.client.get("/dashboard.json")).json()

        Draft202012Validator(dashboard_schema()).validate(body)  # as the OpenAPI document says
        assert body["kafka"]["available"]
        assert body["kafka"]["lag"]["total"] == 3
        assert body["kafka"]["workers"][0]["client_id"] == "orderflow-worker-1"
        stages = {item["stage"]: item for item in body["stages"]["items"]}
        assert sum(stages["placed"]["series"]) == 1
        assert stages["reservation"]["waiting"] == 1
        assert body["overdue"]["count"] == 1
        assert body["overdue"]["oldest"][0]["order_id"] == ORDER_ID


async def test_without_a_sample_kafka_is_shown_as_unknown() -> None:
    async with live_api() as live:
        body = await (await live.client.get("/dashboard.json")).json()

        Draft202012Validator(dashboard_schema()).validate(body)
        assert body["kafka"]["available"] is False
        assert body["kafka"]["error"] == "not sampled yet"
        assert body["store"]["available"] is True
