"""What the person does, on the engine thread: record, dismiss, retry, and save what waited.

A recorded request is stored with its optimistic change and shown at once; when the disk
refuses it, it is kept in memory, still sent, and saved by :meth:`Actions.save_loop` as soon
as the disk allows. "Needs attention" items are dismissed, or recorded again under a new id.
"""

from __future__ import annotations

import asyncio
import logging

from agent_desk.client.cache import Cache, CacheWriteError
from agent_desk.client.outbox import NotHeld, OutboxEntry, RequestRefused, build_entry
from agent_desk.client.presence import Presence
from agent_desk.client.reports import Reports
from agent_desk.client.sender import Sender
from agent_desk.client.surface import HandoffDelta, Link, Notice, NoticeKind, StorageProblem
from agent_desk.protocol.timefmt import now_str

log = logging.getLogger(__name__)

#: A new claim while not online: it needs the hub.
OFFLINE_CLAIM = Notice(NoticeKind.CLAIM_NEEDS_HUB)


class Actions:
    """The person's requests and "needs attention" items, handled on the engine thread."""

    def __init__(self, cache: Cache, reports: Reports, presence: Presence, sender: Sender) -> None:
        """Act on ``cache``, report through ``reports``, and wake ``sender`` after recording."""
        self._cache = cache
        self._reports = reports
        self._presence = presence
        self._sender = sender

    def record(self, entry: OutboxEntry) -> bool:
        """Store and show a request the person made; False when it was refused."""
        cache, reports = self._cache, self._reports
        try:
            shown, unsaved_reason = cache.record(entry)
        except NotHeld:
            reports.emit("on_notice", Notice(NoticeKind.NOT_HELD, action=entry.kind, handoff_id=entry.handoff_id))
            return False
        except RequestRefused as refused:
            kind = NoticeKind.NOT_RECORDED
            reports.emit("on_notice", Notice(kind, action=entry.kind, handoff_id=entry.handoff_id, detail=str(refused)))
            return False
        if shown is not None:
            reports.emit("on_handoffs", HandoffDelta(upserts=(shown,)))
        if entry.kind == "presence":
            self._presence.recorded(str(entry.fields["status"]))
        if unsaved_reason is not None:
            reports.storage_problem = StorageProblem(unsaved_reason, cache.unsaved)
            notice = Notice(NoticeKind.NOT_SAVED, action=entry.kind, handoff_id=entry.handoff_id, detail=unsaved_reason)
            reports.emit("on_notice", notice)
        reports.refresh()
        self._sender.wake()
        return True

    def dismiss(self, request_id: str) -> None:
        """Remove an item from "needs attention" and show its handoff as it now stands."""
        cache, reports = self._cache, self._reports
        try:
            row = cache.dismiss(request_id)
        except CacheWriteError as error:
            reports.emit("on_notice", Notice(NoticeKind.NOT_DISMISSED, detail=error.reason))
            return
        if row is None:
            return
        reports.emit("on_attention", cache.attention())
        handoff_id = row.get("handoff_id")
        if handoff_id is not None:
            shown = cache.get(handoff_id)
            if shown is not None:
                reports.emit("on_handoffs", HandoffDelta(upserts=(shown,)))

    def retry(self, request_id: str, new_id: str) -> None:
        """Record a "needs attention" item again as ``new_id``; the item goes once it is."""
        item = next((i for i in self._cache.attention() if i.request_id == request_id), None)
        if item is None:
            return
        if item.kind == "claim" and self._reports.link is not Link.ONLINE:
            self._reports.emit(
                "on_notice", Notice(NoticeKind.CLAIM_NEEDS_HUB, action="claim", handoff_id=item.handoff_id)
            )
            return
        fields = {k: v for k, v in item.payload.items() if k != "handoff"}
        try:
            entry = build_entry(item.kind, new_id, now_str(), **fields)
        except RequestRefused as refused:
            notice = Notice(
                NoticeKind.NOT_RECORDED_AGAIN, action=item.kind, handoff_id=item.handoff_id, detail=str(refused)
            )
            self._reports.emit("on_notice", notice)
            return
        if self.record(entry):
            self.dismiss(request_id)

    async def save_loop(self, retry_s: float) -> None:
        """Every ``retry_s``, save the recorded requests the disk refused, until it takes them."""
        cache, reports = self._cache, self._reports
        while True:
            await asyncio.sleep(retry_s)
            if not cache.unsaved:
                continue
            try:
                saved = cache.save_unsaved()
            except CacheWriteError as error:
                log.info("still cannot save %d recorded action(s): %s", cache.unsaved, error.reason)
                continue
            reports.storage_problem = None
            reports.emit("on_notice", Notice(NoticeKind.SAVED_LATER, count=saved))
            reports.refresh()
