"""The status API: aiohttp app serving orders from the status table (see status_api.app)."""
