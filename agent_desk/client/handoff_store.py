"""The held handoffs in the cache file, and the indexes that keep a burst free of reads.

A handoff is one row of ``handoffs`` (the handoff as the person sees it, and ``base``, the
hub's own state while requests are pending on it) plus, since schema 2, rows of ``messages``:
chat messages added since the row was last written whole (its "tail"). Reading a handoff
appends its tail to its transcript; writing it whole deletes the tail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, select

from agent_desk.client import cache_db
from agent_desk.client.batch import Batch
from agent_desk.client.cache_models import HANDOFFS, MESSAGES
from agent_desk.protocol.codes import TIER_RANK
from agent_desk.protocol.messages import encode

#: Hub states of held handoffs kept decoded in memory at most (beyond it they are re-read).
MAX_REMEMBERED = 50_000
#: ``protocol.messages.encode`` with its encoder made once (a burst encodes every message).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_MESSAGE_KEYS = ("handoff_id", "version", "message")


def handoff_row(
    shown: Mapping[str, Any], hub: Mapping[str, Any], base: str | None, data_text: str | None = None
) -> tuple[Any, ...]:
    """A handoffs row, a tuple in ``HANDOFF_COLUMNS`` order (what ``upsert_handoffs`` takes).

    Args:
        shown: the handoff as the person sees it (stored as ``data``).
        hub: the hub's state (its ``version`` is the row's).
        base: the hub's state as JSON while requests are pending on it, else None.
        data_text: ``shown`` as JSON when known (else it is encoded).
    """
    if data_text is None:
        data_text = encode(shown if isinstance(shown, dict) else dict(shown))
    get = shown.get
    return (
        shown["id"],
        str(get("status", "")),
        str(get("queue", "")),
        get("assignee"),
        int(get("priority", 4)),
        TIER_RANK.get(str(get("tier", "standard")), 2),
        str(get("escalated_at", "")),
        get("resolved_at"),
        int(hub.get("version", 0)),
        data_text,
        base,
    )


def message_text(data: Mapping[str, Any], data_text: str | None) -> str:
    """The JSON text of a ``message.added`` event's message, cut out of ``data``'s text or encoded.

    It is cut out when ``data`` has the hub's layout (exactly ``handoff_id``, ``version``,
    ``message``, in this order: then the first ``"message":`` is that key, as what precedes
    it is a string, where a quote is always escaped, and a number).
    """
    if data_text is not None and tuple(data) == _MESSAGE_KEYS and data_text.endswith("}}"):
        start = data_text.find('"message":{')
        if start > 0:
            return data_text[start + 10 : -1]
    return _ENCODER.encode(data["message"])


def with_tail(state: dict[str, Any], tail: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """A handoff's stored state with its added messages (``messages`` rows) appended."""
    state["transcript"] = [*state.get("transcript", []), *(json.loads(m) for _, m in tail)]
    state["version"] = tail[-1][0]
    return state


def version_of(handoff: Mapping[str, Any] | None) -> int:
    """A handoff's ``version`` (-1 for no handoff, 0 when it has none)."""
    if handoff is None:
        return -1
    value = handoff.get("version", 0)
    return int(value) if isinstance(value, int) else 0


class HandoffStore:
    """The rows of the held handoffs, and three indexes over them.

    Attributes:
        versions: handoff id -> the hub version held; its keys are the held set.
        states: handoff id -> the hub's state, decoded (filled as handoffs are read or
            written): the same objects the deltas share with the UI, never changed in place.
        tails: held handoffs with rows in ``messages``.
    """

    def __init__(self) -> None:
        """Empty indexes; :meth:`load` fills them from the file."""
        self.versions: dict[str, int] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.tails: set[str] = set()

    def load(self, conn: Connection) -> None:
        """Rebuild the indexes from the file (the decoded states are read again on demand)."""
        self.versions = {r.id: int(r.version) for r in conn.execute(select(HANDOFFS.c.id, HANDOFFS.c.version))}
        tails = conn.execute(
            select(MESSAGES.c.handoff_id, func.max(MESSAGES.c.version)).group_by(MESSAGES.c.handoff_id)
        ).all()
        self.tails = set()
        for handoff_id, version in tails:
            if handoff_id in self.versions:
                self.tails.add(handoff_id)
                self.versions[handoff_id] = max(self.versions[handoff_id], int(version))
        self.states = {}

    # -- reads ---------------------------------------------------------------------------

    def read_all(self, conn: Connection) -> list[dict[str, Any]]:
        """Every held handoff as the person sees it (without its sync state), unordered."""
        found = [json.loads(r.data) for r in conn.execute(select(HANDOFFS.c.data))]
        tails = self._read_tails(conn, None) if self.tails else {}
        if tails:
            found = [with_tail(h, tails[h["id"]]) if h["id"] in tails else h for h in found]
        return found

    def read(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        """One held handoff as the person sees it (without its sync state), or None."""
        data = conn.execute(select(HANDOFFS.c.data).where(HANDOFFS.c.id == handoff_id)).scalar()
        tail = self._read_tails(conn, handoff_id).get(handoff_id)
        if data is None:
            return None
        found: dict[str, Any] = json.loads(data)
        return with_tail(found, tail) if tail else found

    def hub_state(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        """The hub's state of a handoff in the file (remembered once read), or None."""
        known = self.states.get(handoff_id)
        if known is not None:
            return known
        row = conn.execute(select(HANDOFFS.c.data, HANDOFFS.c.base).where(HANDOFFS.c.id == handoff_id)).first()
        if row is None:
            return None
        state: dict[str, Any] = json.loads(row.base if row.base is not None else row.data)
        tail = self._read_tails(conn, handoff_id).get(handoff_id)
        if tail:
            state = with_tail(state, tail)
        self.remember(handoff_id, state)
        return state

    def held_state(self, conn: Connection, handoff_id: str) -> dict[str, Any] | None:
        """:meth:`hub_state` of a handoff that is held, else None."""
        if handoff_id not in self.versions:
            return None
        return self.hub_state(conn, handoff_id)

    def remember(self, handoff_id: str, state: dict[str, Any]) -> None:
        """Keep the hub's decoded state of a handoff (not changed in place afterwards)."""
        if len(self.states) >= MAX_REMEMBERED and handoff_id not in self.states:
            self.states.clear()  # rare: more held than remembered; re-read on demand
        self.states[handoff_id] = state

    def _read_tails(self, conn: Connection, handoff_id: str | None) -> dict[str, list[tuple[int, str]]]:
        """The rows of ``messages`` (of one handoff, or all), by handoff, in order."""
        if handoff_id is not None and handoff_id not in self.tails:
            return {}
        query = select(MESSAGES.c.handoff_id, MESSAGES.c.version, MESSAGES.c.message)
        if handoff_id is not None:
            query = query.where(MESSAGES.c.handoff_id == handoff_id)
        tails: dict[str, list[tuple[int, str]]] = {}
        for row in conn.execute(query.order_by(MESSAGES.c.seq)):
            tails.setdefault(row.handoff_id, []).append((row.version, row.message))
        return tails

    # -- writes --------------------------------------------------------------------------

    def write_whole(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Write handoff rows whole: their added messages are in them now."""
        self._drop_tails(conn, [r[0] for r in rows])
        cache_db.upsert_handoffs(conn, rows)

    def _drop_tails(self, conn: Connection, handoff_ids: Iterable[str]) -> None:
        """Delete the ``messages`` rows of handoffs that are written whole or dropped."""
        tails = self.tails
        if tails:
            dropped = [h for h in handoff_ids if h in tails]
            if dropped:
                cache_db.delete_messages(conn, dropped)
                tails.difference_update(dropped)

    def flush(self, conn: Connection, batch: Batch) -> None:
        """Make the writes a batch gathered: deletes, whole rows, then added messages."""
        if batch.deletes:
            self._drop_tails(conn, batch.deletes)
            cache_db.delete_handoffs(conn, list(batch.deletes))
            batch.deletes.clear()
        if batch.upserts:
            rows = [handoff_row(h, h, None, t) for h, t in batch.upserts.values()]
            self.write_whole(conn, rows)
            # a row rewrites its own page(s) of the file: what the WAL grows by
            page = cache_db.PAGE_BYTES
            batch.written += sum((len(r[9]) // page + 1) * page for r in rows)
            batch.upserts.clear()
        if batch.appends:
            added = [(hid, version, text) for hid, messages in batch.appends.items() for text, version in messages]
            cache_db.insert_messages(conn, added)
            self.tails.update(batch.appends)
            batch.written += sum(len(r[2]) + 64 for r in added)
            batch.appends.clear()

    def keep_only(self, conn: Connection, keep: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Drop every held handoff but ``keep`` (a snapshot replaces the rest).

        Returns the hub's state of each one kept, with its added messages: the caller writes
        them whole again (their ``messages`` rows are deleted here).
        """
        conn.execute(delete(HANDOFFS).where(HANDOFFS.c.id.not_in(keep)))
        kept = {hid: self.hub_state(conn, hid) for hid in keep}
        conn.execute(delete(MESSAGES))
        self.tails.clear()
        self.versions = {hid: self.versions[hid] for hid in keep}
        self.states = {hid: state for hid, state in kept.items() if state is not None}
        return kept
