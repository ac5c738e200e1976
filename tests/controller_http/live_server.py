"""Serve an aiohttp app from its own thread and event loop, for callers that block (the CLI uses urllib)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType

from aiohttp import web
from sealer_controller import http_api


class LiveServer:
    """``with LiveServer(make_app) as server: server.url`` - the app is built inside the server's loop."""

    def __init__(self, make_app: Callable[[], web.Application]) -> None:
        self._make_app = make_app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-http", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _start(self) -> web.AppRunner:
        return await http_api.start_http_server(self._make_app(), "127.0.0.1:0")

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self._runner = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        self.url = http_api.bound_url(self._runner)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
