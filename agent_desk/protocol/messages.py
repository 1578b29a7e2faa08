"""Typed models of every request, reply and data shape of the protocol.

Validation lives here so the hub and the desktop agree on what is well formed. Unknown fields
are ignored everywhere, as the protocol says, so both sides can grow.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from agent_desk.protocol.codes import (
    CSAT_MAX,
    CSAT_MIN,
    MAX_CANNED_TEXT_CHARS,
    MAX_CANNED_TITLE_CHARS,
    MAX_ID_CHARS,
    MAX_TEXT_CHARS,
    MAX_TRANSCRIPT_MESSAGES,
    PROTOCOL_VERSION,
    SERIES_BUCKETS_S,
)
from agent_desk.protocol.jsoncodec import decode, encode
from agent_desk.protocol.timefmt import parse_time


def _check_time(value: str) -> str:
    parse_time(value)
    return value


Time = Annotated[StrictStr, AfterValidator(_check_time)]
Text = Annotated[StrictStr, Field(max_length=MAX_TEXT_CHARS)]
#: What an agent writes into a conversation (a reply or a note): never empty.
Written = Annotated[StrictStr, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=200)]
RequestId = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_CHARS)]
TierName = Literal["vip", "premium", "standard", "free"]
Priority = Annotated[StrictInt, Field(ge=1, le=4)]
Trig = Literal[
    "explicit_request",
    "negative_sentiment",
    "repeated_failure",
    "sensitive_topic",
    "high_value",
    "multi_issue",
    "source_decision",
]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict, without fields that were left out."""
        return self.model_dump(mode="json", exclude_none=True)


# ---------------------------------------------------------------------------------------------
# Shapes inside requests and handoffs


class ChatMessage(Model):
    """A message a source sends: ``observe.message`` and ``escalate.conversation.messages``."""

    role: Literal["customer", "bot"]
    text: Text
    at: Time


class Attempt(Model):
    step: Name
    result: Literal["succeeded", "failed", "unknown"]
    detail: Text | None = None
    at: Time


class Customer(Model):
    id: Name
    name: Name
    tier: TierName = "standard"
    lifetime_value: float | None = Field(default=None, ge=0)
    email: Annotated[StrictStr, Field(max_length=320)] | None = None
    locale: Annotated[StrictStr, Field(max_length=35)] | None = None
    history: list[Any] | None = Field(default=None, max_length=100)


class Reason(Model):
    trigger: Trig
    detail: Text
    score: float | None = None
    message_index: Annotated[StrictInt, Field(ge=0)] | None = None


class Outcome(Model):
    resolution: Literal["resolved", "unresolved", "follow_up", "transferred"]
    csat: Annotated[StrictInt, Field(ge=1, le=5)] | None = None
    disposition: Annotated[StrictStr, Field(max_length=200)] | None = None
    notes: Text | None = None
    escalation_feedback: Literal["appropriate", "premature", "late"] | None = None
    #: When the person recorded it (their desk's clock); the hub keeps it within the claim.
    recorded_at: Time | None = None


class EscalateConversation(Model):
    id: Name
    started_at: Time
    language: Annotated[StrictStr, Field(min_length=1, max_length=35)] | None = None
    channel: Annotated[StrictStr, Field(max_length=64)] | None = None
    messages: list[ChatMessage] = Field(max_length=MAX_TRANSCRIPT_MESSAGES)


class ObserveConversation(Model):
    id: Name
    started_at: Time | None = None
    language: Annotated[StrictStr, Field(min_length=1, max_length=35)] | None = None
    channel: Annotated[StrictStr, Field(max_length=64)] | None = None


# ---------------------------------------------------------------------------------------------
# Requests


class Request(Model):
    type: StrictStr
    id: RequestId


class Resume(Request):
    type: Literal["resume"] = "resume"
    protocol: StrictInt
    client_id: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    epoch: StrictStr | None = None
    last_seq: Annotated[StrictInt, Field(ge=0)] | None = None


class Claim(Request):
    type: Literal["claim"] = "claim"
    handoff_id: Name
    expected_version: StrictInt | None = None


class Release(Request):
    type: Literal["release"] = "release"
    handoff_id: Name


class Resolve(Request):
    type: Literal["resolve"] = "resolve"
    handoff_id: Name
    outcome: Outcome


class Reassign(Request):
    type: Literal["reassign"] = "reassign"
    handoff_id: Name
    to_user: Name | None = None
    to_queue: Name | None = None
    expected_version: StrictInt | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Reassign:
        if (self.to_user is None) == (self.to_queue is None):
            raise ValueError("give exactly one of to_user or to_queue")
        return self


class SetPresence(Request):
    type: Literal["presence"] = "presence"
    status: Literal["available", "busy", "away"]


def _check_bucket(value: int) -> int:
    if value not in SERIES_BUCKETS_S:
        raise ValueError(f"bucket_s must be one of {', '.join(map(str, SERIES_BUCKETS_S))}")
    return value


class Metrics(Request):
    type: Literal["metrics"] = "metrics"
    since: Time | None = None
    until: Time | None = None
    #: With it, ``data.series`` lists the figures per bucket of this many seconds (addition ``series``).
    bucket_s: Annotated[StrictInt, AfterValidator(_check_bucket)] | None = None


class Escalate(Request):
    type: Literal["escalate"] = "escalate"
    conversation: EscalateConversation
    customer: Customer
    attempts: list[Attempt] = Field(default_factory=list, max_length=MAX_TRANSCRIPT_MESSAGES)
    category: Annotated[StrictStr, Field(min_length=1, max_length=64)] | None = None
    priority: Priority | None = None
    queue: Name | None = None
    reasons: list[Reason] | None = Field(default=None, max_length=50)
    brief: Annotated[StrictStr, Field(min_length=1, max_length=500)] | None = None


class Observe(Request):
    type: Literal["observe"] = "observe"
    conversation: ObserveConversation
    customer: Customer | None = None
    message: ChatMessage
    attempt: Attempt | None = None


class End(Request):
    type: Literal["end"] = "end"
    conversation_id: Name
    resolved_by_bot: StrictBool
    #: The customer's rating of a conversation the bot resolved (addition ``bot_csat``).
    csat: Annotated[StrictInt, Field(ge=CSAT_MIN, le=CSAT_MAX)] | None = None

    @model_validator(mode="after")
    def _rated_only_when_the_bot_resolved(self) -> End:
        if self.csat is not None and not self.resolved_by_bot:
            raise ValueError("csat rates a conversation the bot resolved; resolved_by_bot is false")
        return self


class ConversationStatus(Request):
    type: Literal["status"] = "status"
    conversation_id: Name


# -- the agent talks to the customer (additions to version 1) ----------------------------------


class Reply(Request):
    """A message to the customer, relayed by the conversation's source (the assignee only)."""

    type: Literal["reply"] = "reply"
    handoff_id: Name
    text: Written


class Note(Request):
    """An internal note on a handoff: agents see it, the source never does."""

    type: Literal["note"] = "note"
    handoff_id: Name
    text: Written


class CannedResponse(Model):
    """A saved reply as ``canned_save`` sends it (no ``id``: a new one)."""

    id: Name | None = None
    title: Annotated[StrictStr, Field(min_length=1, max_length=MAX_CANNED_TITLE_CHARS)]
    text: Annotated[StrictStr, Field(min_length=1, max_length=MAX_CANNED_TEXT_CHARS)]
    #: The queues it is meant for; empty (or left out): every queue.
    queues: list[Name] | None = Field(default=None, max_length=100)


class CannedList(Request):
    type: Literal["canned_list"] = "canned_list"


class CannedSave(Request):
    type: Literal["canned_save"] = "canned_save"
    response: CannedResponse


class CannedDelete(Request):
    type: Literal["canned_delete"] = "canned_delete"
    response_id: Name


# -- the team's targets (Agent Desk's addition ``targets``) -------------------------------------

#: A target: a number above 0 (null, in ``targets_set``, clears it).
TargetValue = Annotated[StrictInt | StrictFloat, Field(gt=0, allow_inf_nan=False)]


class Targets(BaseModel):
    """The targets ``targets_set`` changes: those it names (null clears one); any other key is wrong."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_to_escalation_s: TargetValue | None = None
    wait_p90_s: TargetValue | None = None
    sla_breaches_per_hour: TargetValue | None = None
    handoff_rate_spike: TargetValue | None = None

    def changes(self) -> dict[str, float | None]:
        """The targets named, each with its new value (None: clear it)."""
        return {key: (None if (value := getattr(self, key)) is None else float(value)) for key in self.model_fields_set}


class TargetsSet(Request):
    """A lead sets (or clears) some of the team's targets."""

    type: Literal["targets_set"] = "targets_set"
    targets: Targets


class Subscribe(Request):
    """A source asks to hear about its conversations (``epoch``/``last_seq`` as for ``resume``)."""

    type: Literal["subscribe"] = "subscribe"
    epoch: StrictStr | None = None
    last_seq: Annotated[StrictInt, Field(ge=0)] | None = None


class Delivered(Request):
    """A source confirms that an agent's message reached the customer."""

    type: Literal["delivered"] = "delivered"
    handoff_id: Name
    index: Annotated[StrictInt, Field(ge=0)]


class Decline(Request):
    """The agent a handoff is offered to refuses the offer (routing by offers)."""

    type: Literal["decline"] = "decline"
    handoff_id: Name


REQUEST_MODELS: dict[str, type[Request]] = {
    "resume": Resume,
    "claim": Claim,
    "release": Release,
    "resolve": Resolve,
    "reassign": Reassign,
    "presence": SetPresence,
    "metrics": Metrics,
    "escalate": Escalate,
    "observe": Observe,
    "end": End,
    "status": ConversationStatus,
    "reply": Reply,
    "note": Note,
    "canned_list": CannedList,
    "canned_save": CannedSave,
    "canned_delete": CannedDelete,
    "subscribe": Subscribe,
    "delivered": Delivered,
    "decline": Decline,
    "targets_set": TargetsSet,
}


# ---------------------------------------------------------------------------------------------
# Server frames (built by the hub, read by clients)


def result_ok(request_id: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "result", "id": request_id, "ok": True, "data": data or {}}


def result_error(
    request_id: str,
    code: str,
    message: str,
    data: dict[str, Any] | None = None,
    retry_after_ms: int | None = None,
) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "result",
        "id": request_id,
        "ok": False,
        "code": str(code),
        "message": message,
    }
    if data is not None:
        frame["data"] = data
    if retry_after_ms is not None:
        frame["retry_after_ms"] = int(retry_after_ms)
    return frame


def error_frame(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": str(code), "message": message}


def handoff_size(handoff: dict[str, Any]) -> int:
    """Bytes of the handoff's UTF-8 JSON encoding, as checked against MAX_HANDOFF_BYTES."""
    return len(encode(handoff).encode("utf-8"))


__all__ = [
    "PROTOCOL_VERSION",
    "REQUEST_MODELS",
    "Attempt",
    "CannedDelete",
    "CannedList",
    "CannedResponse",
    "CannedSave",
    "ChatMessage",
    "Claim",
    "ConversationStatus",
    "Customer",
    "Decline",
    "Delivered",
    "End",
    "Escalate",
    "Metrics",
    "Note",
    "Observe",
    "Outcome",
    "Reason",
    "Reassign",
    "Release",
    "Reply",
    "Request",
    "Resolve",
    "Resume",
    "SetPresence",
    "Subscribe",
    "Targets",
    "TargetsSet",
    "decode",
    "encode",
    "error_frame",
    "handoff_size",
    "result_error",
    "result_ok",
]
