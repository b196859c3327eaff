"""Which asyncio event loop the services run on: uvloop (libuv) by default, the standard one
on request (`ORDERFLOW_EVENT_LOOP=asyncio`). uvloop does the same work with less Python per
socket read and write, which is most of what these services do."""

import asyncio
from typing import Literal

EventLoopName = Literal["uvloop", "asyncio"]


def use_event_loop(name: EventLoopName) -> None:
    """Make new event loops of this process `name` loops. Call before any loop is made."""
    if name == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    else:
        asyncio.set_event_loop_policy(None)
