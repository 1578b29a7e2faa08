"""Doing things to a running in-process hub that a test needs: restarting it on its data."""

from __future__ import annotations

from typing import Any

from agent_desk.hub.server import Hub, HubConfig


async def restart(running: Any, **overrides: Any) -> None:
    """Stop the hub of ``running`` (the ``hub`` fixture's) and start a new one on its data folder.

    ``running.hub`` becomes the new hub, so the fixture stops it at the end; it listens on a
    new port (``running.url`` follows).
    """
    await running.hub.stop()
    fresh = Hub(HubConfig(data_dir=running.data_dir, port=0, **overrides))
    await fresh.start()
    running.hub = fresh
