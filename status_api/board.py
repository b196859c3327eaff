"""GET /board: the pickup screen (static HTML, CSS and JS in status_api/board/, no build step).

It shows each order by its short reference (orders/domain/ids.py short_ref: the id's last
five characters), "Preparing" until it completes, then "Ready"; failed orders are listed apart
with their reason. It reads GET /orders once and then follows GET /events.
"""

from pathlib import Path

from aiohttp import web

BOARD_DIR = Path(__file__).with_name("board")
# The files GET /board/static/{filename} serves. Not add_static: for a missing file it answers
# an empty application/octet-stream 404 (past the JSON error middleware); found by the fuzzer.
ASSETS = frozenset({"board.css", "board.js"})


async def board(request: web.Request) -> web.FileResponse:
    return web.FileResponse(BOARD_DIR / "index.html")


async def asset(request: web.Request) -> web.FileResponse:
    name = request.match_info["filename"]
    if name not in ASSETS:
        raise web.HTTPNotFound()  # a JSON error body, like every other error
    return web.FileResponse(BOARD_DIR / name)
