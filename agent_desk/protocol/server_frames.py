"""What the hub sends, typed: the handoff and every server frame, as immutable models.

Requests (what clients send) are in :mod:`agent_desk.protocol.messages`; this module is the
other direction. A client reads a frame once, with :func:`parse_server_frame`, and works with
typed data from there on: a :class:`Handoff` rather than a dict to re-check at every use.
Fields the protocol may grow are kept (``extra="allow"``): unknown fields are ignored by
meaning, not dropped, so a newer hub's handoff passes through an older client intact.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter

from agent_desk.protocol.messages import TierName, Time, Trig


class Wire(BaseModel):
    """A shape the hub sends: immutable, and keeping fields this version does not know."""

    model_config = ConfigDict(extra="allow", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict, as it came (unknown fields included)."""
        return self.model_dump(mode="json")


# -- the handoff -----------------------------------------------------------------------------


class HandoffReason(Wire):
    trigger: Trig | StrictStr
    detail: StrictStr
    score: float | None = None
    message_index: StrictInt | None = None


class HandoffCustomer(Wire):
    id: StrictStr
    name: StrictStr
    tier: TierName | StrictStr = "standard"
    lifetime_value: float | None = None
    email: StrictStr | None = None
    locale: StrictStr | None = None
    history: list[Any] | None = None


class HandoffAttempt(Wire):
    step: StrictStr
    result: StrictStr
    at: Time
    detail: StrictStr | None = None


class TranscriptMessage(Wire):
    """One message of a transcript.

    ``role`` ``agent`` is a reply a person sent (relayed to the customer by the source; its
    ``delivered_at`` stays null until the source confirms it), ``note`` an internal note that
    never leaves the hub towards a source. Replies and notes name their ``author``.
    """

    index: Annotated[StrictInt, Field(ge=0)]
    role: Literal["customer", "bot", "agent", "system", "note"]
    text: StrictStr
    at: Time
    sentiment: float | None = None
    author: StrictStr | None = None
    author_name: StrictStr | None = None
    delivered_at: Time | None = None


class RecordedOutcome(Wire):
    resolution: StrictStr
    csat: StrictInt | None = None
    disposition: StrictStr | None = None
    notes: StrictStr | None = None
    escalation_feedback: StrictStr | None = None
    recorded_by: StrictStr
    recorded_at: Time


class Sentiment(Wire):
    compound: float
    trend: float


class HandoffOffer(Wire):
    """A waiting handoff offered to one agent (routing by offers), until ``expires_at``."""

    to: StrictStr
    expires_at: Time
    round: Annotated[StrictInt, Field(ge=1)]


class Handoff(Wire):
    """A handoff as the hub sends it (PROTOCOL.md, "The handoff")."""

    id: StrictStr
    conversation_id: StrictStr
    source: StrictStr
    version: Annotated[StrictInt, Field(ge=1)]
    status: Literal["waiting", "claimed", "resolved"]
    queue: StrictStr
    priority: Annotated[StrictInt, Field(ge=1, le=4)]
    tier: TierName | StrictStr
    language: StrictStr | None = None
    channel: StrictStr | None = None
    conversation_started_at: Time
    escalated_at: Time
    claimed_at: Time | None = None
    resolved_at: Time | None = None
    assignee: StrictStr | None = None
    category: StrictStr | None = None
    brief: StrictStr
    sentiment: Sentiment | None = None
    reasons: tuple[HandoffReason, ...] = ()
    customer: HandoffCustomer
    attempts: tuple[HandoffAttempt, ...] = ()
    transcript: tuple[TranscriptMessage, ...] = ()
    outcome: RecordedOutcome | None = None
    #: The agent it is offered to now (routing by offers); null under pull routing.
    offer: HandoffOffer | None = None


# -- frames ----------------------------------------------------------------------------------


class HelloUser(Wire):
    id: StrictStr
    name: StrictStr
    role: Literal["agent", "lead", "source"]
    queues: tuple[StrictStr, ...] = ()
    languages: tuple[StrictStr, ...] = ()
    presence: StrictStr | None = None


class FloorUser(Wire):
    """A user as a lead's ``hello`` lists it."""

    id: StrictStr
    name: StrictStr
    role: StrictStr
    queues: tuple[StrictStr, ...] = ()
    presence: StrictStr
    active: Annotated[StrictInt, Field(ge=0)]
    capacity: StrictInt | None = None


class Hello(Wire):
    type: Literal["hello"]
    protocol: StrictInt
    epoch: StrictStr
    server_time: Time
    user: HelloUser
    queues: tuple[StrictStr, ...] = ()
    sla_targets_s: dict[str, StrictInt] = Field(default_factory=dict)
    users: tuple[FloorUser, ...] | None = None
    #: The additions to version 1 the hub speaks (``reply``, ``notes``, ...); none from an older hub.
    features: tuple[StrictStr, ...] = ()


class ResultOk(Wire):
    type: Literal["result"]
    id: StrictStr
    ok: Literal[True]
    data: dict[str, Any] = Field(default_factory=dict)


class ResultError(Wire):
    type: Literal["result"]
    id: StrictStr
    ok: Literal[False]
    code: StrictStr
    message: StrictStr
    data: dict[str, Any] | None = None
    retry_after_ms: StrictInt | None = None


class ErrorFrame(Wire):
    type: Literal["error"]
    code: StrictStr
    message: StrictStr


class Snapshot(Wire):
    type: Literal["snapshot"]
    seq: Annotated[StrictInt, Field(ge=0)]
    handoffs: tuple[Handoff, ...]
    final: StrictBool


class SourceConversation(Wire):
    """An unresolved handoff as a source's snapshot lists it."""

    conversation_id: StrictStr
    handoff_id: StrictStr
    status: Literal["waiting", "claimed", "resolved"]
    assignee_name: StrictStr | None = None
    #: Agent messages the source has not yet confirmed as ``delivered``.
    undelivered: tuple[TranscriptMessage, ...] = ()


class SourceSnapshot(Wire):
    """A part of the state a ``subscribe`` on /v1/source brings, when the hub cannot replay."""

    type: Literal["snapshot"]
    seq: Annotated[StrictInt, Field(ge=0)]
    conversations: tuple[SourceConversation, ...]
    final: StrictBool


class Synced(Wire):
    type: Literal["synced"]
    seq: Annotated[StrictInt, Field(ge=0)]


class MessageAdded(Wire):
    handoff_id: StrictStr
    version: StrictInt
    message: TranscriptMessage


class PresenceChanged(Wire):
    user: StrictStr
    presence: StrictStr
    active: StrictInt


class CannedReply(Wire):
    """A saved reply of the team (``canned_list``, ``canned_save``); empty ``queues``: every queue."""

    id: StrictStr
    title: StrictStr
    text: StrictStr
    queues: tuple[StrictStr, ...] = ()


class HandoffClaimed(Wire):
    """To a source: a person has taken over one of its conversations."""

    conversation_id: StrictStr
    handoff_id: StrictStr
    assignee_name: StrictStr


class HandoffRequeued(Wire):
    """To a source: released or moved to a queue; nobody holds it."""

    conversation_id: StrictStr
    handoff_id: StrictStr


class AgentMessage(Wire):
    """To a source: relay ``message.text`` to the customer, then confirm it with ``delivered``."""

    conversation_id: StrictStr
    handoff_id: StrictStr
    message: TranscriptMessage


class HandoffResolved(Wire):
    """To a source: the handoff is resolved (its resolution only)."""

    conversation_id: StrictStr
    handoff_id: StrictStr
    resolution: StrictStr


class Targets(Wire):
    """The team's targets (Agent Desk's addition ``targets``); null: not set."""

    time_to_escalation_s: StrictFloat | StrictInt | None = None
    wait_p90_s: StrictFloat | StrictInt | None = None
    sla_breaches_per_hour: StrictFloat | StrictInt | None = None
    handoff_rate_spike: StrictFloat | StrictInt | None = None


class TargetsChanged(Wire):
    """To every desktop: a lead changed the team's targets (all of them, as they now stand)."""

    targets: Targets


class Event(Wire):
    """An event; ``data`` is read by its kind with :func:`event_data`."""

    type: Literal["event"]
    seq: Annotated[StrictInt, Field(ge=1)]
    kind: StrictStr
    at: Time
    data: dict[str, Any]


ServerFrame = Hello | ResultOk | ResultError | ErrorFrame | Snapshot | SourceSnapshot | Synced | Event

_FRAME: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)
_DATA: dict[str, type[Wire]] = {
    "handoff.created": Handoff,
    "handoff.updated": Handoff,
    "message.added": MessageAdded,
    "presence.changed": PresenceChanged,
    "handoff.claimed": HandoffClaimed,
    "handoff.requeued": HandoffRequeued,
    "agent.message": AgentMessage,
    "handoff.resolved": HandoffResolved,
    "targets.changed": TargetsChanged,
}


def parse_server_frame(frame: Any) -> ServerFrame:
    """The typed frame.

    Raises:
        pydantic.ValidationError: the frame is not one the protocol describes.
    """
    return _FRAME.validate_python(frame)


def event_data(event: Event) -> Wire | dict[str, Any]:
    """An event's ``data``, typed by its kind (a kind this version does not know: the dict)."""
    model = _DATA.get(event.kind)
    return model.model_validate(event.data) if model is not None else event.data
