"""GET /board: the pickup screen (static HTML, CSS and JS in status_api/board/, no build step).

It shows each order by its short reference (orders/domain/ids.py short_ref: the id's last
five characters), "Preparing" until it completes, then "Ready"; failed orders are listed apart
with their reason. It reads GET /orders once and then follows GET /events.
"""

from pathlib import Path

from aiohttp import web

BOARD_DIR = Path(__file__).with_name("board")


async def board(request: web.Request) -> web.FileResponse:
    return web.FileResponse(BOARD_DIR / "index.html")
