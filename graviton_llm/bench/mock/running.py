"""Start and stop the mock: as the ``mock-server`` command, or in a thread for tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web

from .app import STATE, build_app
from .config import MockConfig
from .state import MockState, ServerTiming


async def start(config: MockConfig, host: str = "127.0.0.1", port: int = 0) -> web.AppRunner:
    """Start serving; returns the runner (``runner.addresses`` has the bound port)."""
    runner = web.AppRunner(build_app(config), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=4096)
    await site.start()
    return runner


async def serve_forever(config: MockConfig, host: str, port: int) -> None:
    runner = await start(config, host, port)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def _stop(runner: web.AppRunner) -> None:
    """Stop serving and cancel handlers still running (stalled streams), quietly."""
    await runner.cleanup()
    current = asyncio.current_task()
    leftovers = [task for task in asyncio.all_tasks() if task is not current]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


@dataclass
class RunningMock:
    """A mock server running on its own event loop in a background thread."""

    url: str
    loop: asyncio.AbstractEventLoop
    runner: web.AppRunner

    def state(self) -> MockState:
        return self.runner.app[STATE]

    def timings(self) -> list[ServerTiming]:
        return list(self.state().timings)

    def injected(self) -> dict[str, int]:
        return dict(self.state().injected)


@contextmanager
def mock_in_thread(config: MockConfig, host: str = "127.0.0.1") -> Iterator[RunningMock]:
    """Run the mock on an ephemeral port in a daemon thread; stopped on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="mock-server", daemon=True)
    thread.start()
    try:
        runner = asyncio.run_coroutine_threadsafe(start(config, host, 0), loop).result(10)
        port = runner.addresses[0][1]
        yield RunningMock(url=f"http://{host}:{port}", loop=loop, runner=runner)
        asyncio.run_coroutine_threadsafe(_stop(runner), loop).result(10)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
