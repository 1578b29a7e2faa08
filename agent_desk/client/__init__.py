"""The desktop's engine without Qt: connection, local cache, outbox sync and token storage.

The Qt layer uses :class:`Engine` and the types of :mod:`agent_desk.client.surface` only.
"""

from agent_desk.client.engine import Engine
from agent_desk.client.outbox import RequestRefused
from agent_desk.client.surface import (
    AttentionItem,
    ConnectionStatus,
    EngineListener,
    Handoff,
    HandoffDelta,
    Link,
    Session,
    StorageProblem,
    SyncState,
    TokenNotice,
    UserInfo,
    Why,
)
from agent_desk.client.tokens import TokenStore

__all__ = [
    "AttentionItem",
    "ConnectionStatus",
    "Engine",
    "EngineListener",
    "Handoff",
    "HandoffDelta",
    "Link",
    "RequestRefused",
    "Session",
    "StorageProblem",
    "SyncState",
    "TokenNotice",
    "TokenStore",
    "UserInfo",
    "Why",
]
