"""The one object between the engine (its own thread, asyncio) and the Qt widgets.

:class:`Bridge` implements :class:`agent_desk.client.surface.EngineListener`. The engine calls
it on the engine thread; the bridge only queues what it was given and wakes the GUI thread with
one queued signal, so no widget or model is ever touched from the engine thread. On the GUI
thread it re-emits each report as a Qt signal. Handoff deltas are coalesced: all deltas that
arrive within one frame (16 ms) become one :class:`HandoffDelta`, so the queue model is updated
at most once per frame however fast the hub sends; during a sustained burst the pace drops to
one update every 100 ms, which still reads as live.

The GUI thread calls the engine's commands through the bridge (``claim``, ``resolve``, ...);
they only schedule work on the engine loop and return at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from agent_desk.client.outbox import RequestRefused
from agent_desk.client.surface import (
    AttentionItem,
    CannedReply,
    ConnectionStatus,
    EngineListener,
    Handoff,
    HandoffDelta,
    Notice,
    NoticeKind,
    Session,
    TokenNotice,
    UserInfo,
)
from agent_desk.ui.threads import ensure_gui_thread

log = logging.getLogger(__name__)

#: One frame at 60 Hz: deltas arriving within it are applied together.
FRAME_MS = 16
#: During a sustained burst, the queue is updated at most this often (every update repaints
#: the visible rows; ten a second reads as live, and leaves the GUI thread time to breathe).
BURST_MS = 100
#: A flush less than this long ago means a burst is going on.
BURST_WINDOW_S = 0.25


class EngineCommands(Protocol):
    """What the GUI may ask of the engine (``agent_desk.client.engine.Engine``)."""

    def start(self, after: Any = None) -> None: ...
    def request_stop(self) -> None: ...
    def stop(self) -> None: ...
    def claim(self, handoff_id: str) -> Any: ...
    def release(self, handoff_id: str) -> Any: ...
    def resolve(self, handoff_id: str, outcome: dict[str, Any]) -> Any: ...
    def reassign(
        self,
        handoff_id: str,
        to_user: str | None = None,
        to_queue: str | None = None,
        expected_version: int | None = None,
    ) -> Any: ...
    def set_presence(self, status: str) -> Any: ...
    def request_metrics(
        self, since: str | None = None, until: str | None = None, bucket_s: int | None = None
    ) -> Any: ...
    def set_targets(self, targets: Mapping[str, float | None]) -> Any: ...
    def reply(self, handoff_id: str, text: str) -> Any: ...
    def note(self, handoff_id: str, text: str) -> Any: ...
    def save_draft(self, handoff_id: str, kind: str, text: str) -> Any: ...
    def save_canned(self, title: str, text: str, queues: tuple[str, ...] = (), reply_id: str | None = None) -> Any: ...
    def delete_canned(self, reply_id: str) -> Any: ...
    def decline(self, handoff_id: str) -> Any: ...
    def dismiss_attention(self, request_id: str) -> Any: ...
    def retry_attention(self, request_id: str) -> Any: ...
    def reconnect_now(self) -> Any: ...


def merge_deltas(deltas: Sequence[HandoffDelta]) -> HandoffDelta:
    """One delta with the effect of ``deltas`` applied in order.

    A reset in the sequence discards everything before it. Within one delta, upserts are
    applied before removals (an id that was updated and then left the user's sight is gone).
    """
    if len(deltas) == 1:
        return deltas[0]
    reset = False
    state: dict[str, Handoff | None] = {}
    for delta in deltas:
        if delta.reset:
            reset = True
            state = {}
        for handoff in delta.upserts:
            handoff_id = handoff.id
            state.pop(handoff_id, None)  # keep arrival order for the latest value
            state[handoff_id] = handoff
        for handoff_id in delta.removed:
            if reset and handoff_id not in state:
                continue
            state[handoff_id] = None
    upserts = tuple(h for h in state.values() if h is not None)
    if reset:
        return HandoffDelta(upserts=upserts, removed=(), reset=True)
    removed = tuple(i for i, h in state.items() if h is None)
    return HandoffDelta(upserts=upserts, removed=removed, reset=False)


class _Reports:
    """The :class:`EngineListener` methods, each handing its report to :meth:`_report`."""

    def _report(self, kind: str, value: Any) -> None:
        raise NotImplementedError

    def on_status(self, status: ConnectionStatus) -> None:
        self._report("status", status)

    def on_session(self, session: Session) -> None:
        self._report("session", session)

    def on_handoffs(self, delta: HandoffDelta) -> None:
        self._report("handoffs", delta)

    def on_presence(self, user: UserInfo) -> None:
        self._report("presence", user)

    def on_attention(self, items: tuple[AttentionItem, ...]) -> None:
        self._report("attention", tuple(items))

    def on_metrics(self, request_id: str, data: Mapping[str, Any] | None, error: str | None) -> None:
        self._report("metrics", (request_id, data, error))

    def on_notice(self, notice: Notice) -> None:
        self._report("notice", notice)

    def on_token(self, notice: TokenNotice) -> None:
        self._report("token", notice)

    def on_drafts(self, drafts: Mapping[str, tuple[str, str]]) -> None:
        self._report("drafts", drafts)

    def on_canned(self, replies: tuple[CannedReply, ...]) -> None:
        self._report("canned", tuple(replies))

    def on_targets(self, targets: Mapping[str, Any]) -> None:
        self._report("targets", targets)


class _Port(_Reports):
    """The listener of one engine (:meth:`Bridge.listener`): its reports count only while
    it is the bridge's current one."""

    def __init__(self, bridge: Bridge, generation: int) -> None:
        self._bridge = bridge
        self._generation = generation

    def _report(self, kind: str, value: Any) -> None:
        self._bridge._post(kind, value, self._generation)


class Bridge(QObject, _Reports):
    """The engine's listener and the GUI's way to the engine.

    Signals (all emitted on the GUI thread):
        statusChanged(ConnectionStatus): link state, retry countdown, outbox size.
        sessionStarted(Session): ``hello``: who is signed in, queues, wait targets, team.
        handoffsChanged(HandoffDelta): coalesced changes, at most one per frame.
        presenceChanged(UserInfo): a user's presence or active count (leads see the team).
        attentionChanged(tuple[AttentionItem, ...]): the full "needs attention" list.
        metricsReady(str, object, object): request id, figures (or None), error (or None).
        noticed(Notice): a one-off report for the person (a refused claim, ...), as state.
        tokenNoticed(TokenNotice): where the token is kept (no keyring: memory only).
        draftsLoaded(Mapping[str, tuple[str, str]]): the unsent drafts kept on this computer.
        cannedChanged(tuple[CannedReply, ...]): the team's saved replies.
        targetsChanged(Mapping[str, Any]): a lead changed the team's targets (``targets.changed``).

    Attributes:
        engine: the engine the commands go to, or None before sign-in.
        status: the last ConnectionStatus, session: the last Session.
        attention: the last "needs attention" list.
    """

    statusChanged = Signal(object)
    sessionStarted = Signal(object)
    handoffsChanged = Signal(object)
    presenceChanged = Signal(object)
    attentionChanged = Signal(object)
    metricsReady = Signal(str, object, object)
    noticed = Signal(object)
    tokenNoticed = Signal(object)
    draftsLoaded = Signal(object)
    cannedChanged = Signal(object)
    targetsChanged = Signal(object)
    #: Internal: wakes the GUI thread to drain the inbox (queued across threads).
    _wake = Signal()

    def __init__(self, parent: QObject | None = None, frame_ms: int = FRAME_MS) -> None:
        super().__init__(parent)
        self.engine: EngineCommands | None = None
        self.status: ConnectionStatus | None = None
        self.session: Session | None = None
        self.attention: tuple[AttentionItem, ...] = ()
        self.canned: tuple[CannedReply, ...] = ()
        self.drafts: Mapping[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._inbox: list[tuple[str, Any]] = []
        self._woken = False
        self._closed = False
        self._generation = 0  # of the current engine's listener (see listener())
        self._stopping: EngineCommands | None = None  # shut down, maybe still closing
        self._deltas: list[HandoffDelta] = []
        self._wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)
        self._frame = QTimer(self)
        self._frame.setSingleShot(True)
        self._frame.setInterval(frame_ms)
        self._frame.timeout.connect(self._flush_handoffs)
        self._frame_ms = frame_ms
        self._last_flush = 0.0

    # ---- engine side (any thread) -----------------------------------------------------------

    def listener(self) -> EngineListener:
        """A listener for the next engine. What it reports reaches this bridge until that
        engine is shut down: an engine still closing after a sign-out never speaks into the
        next session."""
        with self._lock:
            self._generation += 1
            return _Port(self, self._generation)

    def _report(self, kind: str, value: Any) -> None:
        self._post(kind, value)

    def _post(self, kind: str, value: Any, generation: int | None = None) -> None:
        with self._lock:
            if self._closed or (generation is not None and generation != self._generation):
                return
            self._inbox.append((kind, value))
            wake = not self._woken
            self._woken = True
        if wake:
            self._wake.emit()

    # ---- GUI side -------------------------------------------------------------------------

    @Slot()
    def _drain(self) -> None:
        ensure_gui_thread("Bridge._drain")
        with self._lock:
            items, self._inbox = self._inbox, []
            self._woken = False
        for kind, value in items:
            if kind == "handoffs":
                self._deltas.append(value)
                if not self._frame.isActive():
                    self._frame.start(self._next_delay_ms())
                continue
            if kind == "session":
                # Whatever arrived before the new session belongs to it: apply it first.
                self._flush_handoffs()
            self._emit(kind, value)

    def _next_delay_ms(self) -> int:
        """One frame after quiet; during a burst, BURST_MS after the last update."""
        since = time.monotonic() - self._last_flush
        if since > BURST_WINDOW_S:
            return self._frame_ms
        return max(self._frame_ms, int((BURST_MS / 1000 - since) * 1000))

    def _emit(self, kind: str, value: Any) -> None:
        if kind == "status":
            self.status = value
            self.statusChanged.emit(value)
        elif kind == "session":
            self.session = value
            self.sessionStarted.emit(value)
        elif kind == "presence":
            self.presenceChanged.emit(value)
        elif kind == "attention":
            self.attention = value
            self.attentionChanged.emit(value)
        elif kind == "metrics":
            request_id, data, error = value
            self.metricsReady.emit(request_id, data, error)
        elif kind == "notice":
            self.noticed.emit(value)
        elif kind == "token":
            self.tokenNoticed.emit(value)
        elif kind == "drafts":
            self.drafts = value
            self.draftsLoaded.emit(value)
        elif kind == "canned":
            self.canned = value
            self.cannedChanged.emit(value)
        elif kind == "targets":
            self.targetsChanged.emit(value)

    @Slot()
    def _flush_handoffs(self) -> None:
        ensure_gui_thread("Bridge._flush_handoffs")
        self._frame.stop()
        if not self._deltas:
            return
        deltas, self._deltas = self._deltas, []
        self._last_flush = time.monotonic()
        self.handoffsChanged.emit(merge_deltas(deltas))

    def flush(self) -> None:
        """Deliver everything queued now (tests, and before sign-out)."""
        self._drain()
        self._flush_handoffs()

    # ---- commands (GUI thread) --------------------------------------------------------------

    def attach(self, engine: EngineCommands | None) -> None:
        """Send commands to ``engine`` from now on (None: signed out)."""
        ensure_gui_thread("Bridge.attach")
        with self._lock:
            self._closed = False
        self.engine = engine

    def start(self) -> None:
        """Start the attached engine; after one that is still closing, if any (the new one
        opens its cache, maybe the same file, once the old one let go of it)."""
        if self.engine is not None:
            self.engine.start(after=self._stopping)
            self._stopping = None

    def shutdown(self, wait: bool = True) -> None:
        """Stop the engine and ignore whatever it still reports.

        Args:
            wait: wait for the engine thread to end (quitting). False (sign-out, signing in
                again) only asks it to stop: closing the connection may take a while when the
                hub does not answer, and the GUI must not wait for it.
        """
        ensure_gui_thread("Bridge.shutdown")
        engine, self.engine = self.engine, None
        if engine is not None:
            if wait:
                engine.stop()
            else:
                engine.request_stop()
                self._stopping = engine
        if wait and self._stopping is not None:
            self._stopping.stop()
            self._stopping = None
        with self._lock:
            self._closed = True
            self._inbox.clear()
            self._woken = False
        self._deltas.clear()
        self._frame.stop()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call an engine command; returns what it returns (a request id), None when signed out."""
        ensure_gui_thread(f"Bridge.{name}")
        if self.engine is None:
            log.info("Not signed in; %s ignored", name)
            return None
        try:
            return getattr(self.engine, name)(*args, **kwargs)
        except RequestRefused as refused:
            # The engine checks arguments before it records anything: say why (the check's words).
            on_handoff = name in ("claim", "release", "resolve", "reassign", "reply", "note")
            handoff_id = str(args[0]) if args and on_handoff else None
            self.noticed.emit(Notice(NoticeKind.NOT_RECORDED, action=name, handoff_id=handoff_id, detail=str(refused)))
            return None

    def claim(self, handoff_id: str) -> Any:
        return self._call("claim", handoff_id)

    def release(self, handoff_id: str) -> Any:
        return self._call("release", handoff_id)

    def resolve(self, handoff_id: str, outcome: dict[str, Any]) -> Any:
        return self._call("resolve", handoff_id, dict(outcome))

    def reassign(
        self,
        handoff_id: str,
        to_user: str | None = None,
        to_queue: str | None = None,
        expected_version: int | None = None,
    ) -> Any:
        """Move a handoff; with ``expected_version`` the hub refuses it if it changed meanwhile."""
        if expected_version is not None:
            return self._call(
                "reassign", handoff_id, to_user=to_user, to_queue=to_queue, expected_version=expected_version
            )
        return self._call("reassign", handoff_id, to_user=to_user, to_queue=to_queue)

    def set_presence(self, status: str) -> Any:
        return self._call("set_presence", status)

    def request_metrics(self, since: str | None = None, until: str | None = None, bucket_s: int | None = None) -> Any:
        return self._call("request_metrics", since=since, until=until, bucket_s=bucket_s)

    def set_targets(self, targets: Mapping[str, float | None]) -> Any:
        """Keep the team's targets on the hub; answered through ``metricsReady`` with the id."""
        return self._call("set_targets", dict(targets))

    def reply(self, handoff_id: str, text: str) -> Any:
        return self._call("reply", handoff_id, text)

    def note(self, handoff_id: str, text: str) -> Any:
        return self._call("note", handoff_id, text)

    def save_draft(self, handoff_id: str, kind: str, text: str) -> Any:
        return self._call("save_draft", handoff_id, kind, text)

    def save_canned(self, title: str, text: str, queues: tuple[str, ...] = (), reply_id: str | None = None) -> Any:
        return self._call("save_canned", title, text, queues, reply_id)

    def delete_canned(self, reply_id: str) -> Any:
        return self._call("delete_canned", reply_id)

    def decline(self, handoff_id: str) -> Any:
        """Refuse an offer; the hub offers the handoff to the next agent."""
        return self._call("decline", handoff_id)

    def dismiss_attention(self, request_id: str) -> Any:
        return self._call("dismiss_attention", request_id)

    def retry_attention(self, request_id: str) -> Any:
        """Record a refused action again (the engine dismisses the old item)."""
        return self._call("retry_attention", request_id)

    def reconnect_now(self) -> Any:
        """Skip the rest of the backoff wait."""
        return self._call("reconnect_now")
