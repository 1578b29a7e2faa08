"""The demo team's saved replies, as a lead would have set them up before the shift.

They are saved through the protocol (``canned_save``, as the demo's lead) when the demo starts
on a hub that holds none, so ``/`` in the composer has something to offer from the first claim.
"""

from __future__ import annotations

from websockets.asyncio.client import ClientConnection

from agent_desk.demo.link import AgentClient, HubRefused
from agent_desk.protocol.codes import PROTOCOL_VERSION

#: (title, text, queues): empty queues fit every queue.
SAVED_REPLIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Sorry for the wait",
        "Sorry for the wait, {customer_first_name}, and thank you for your patience. I'm {agent_name}, "
        "and I have your whole conversation here, so there is no need to repeat anything.",
        (),
    ),
    (
        "Duplicate charge reversed",
        "I can see the duplicate charge on order {order}. I've reversed it; the money is back on your card "
        "within 3 to 5 business days.",
        ("billing", "vip"),
    ),
    (
        "Refund started",
        "I've started a full refund for order {order}. You'll get an email confirmation within the hour.",
        ("billing", "orders", "vip"),
    ),
    (
        "Parcel traced with the carrier",
        "I've traced order {order} with the carrier. If it hasn't arrived by tomorrow evening, I'll send a "
        "replacement at no cost.",
        ("orders", "vip"),
    ),
    (
        "Before you cancel",
        "Before you go, {customer_first_name}: I can pause your plan for up to three months at no charge, or "
        "move you to the lighter plan. Would either help?",
        ("retention",),
    ),
    (
        "Safety: stop using the device",
        "Please stop using the device and unplug it now. Your safety comes first; I'm arranging a free "
        "collection and a replacement.",
        ("technical", "compliance"),
    ),
    (
        "Anything else?",
        "Is there anything else I can help you with today, {customer_first_name}?",
        (),
    ),
)


async def seed_saved_replies(hub_url: str, lead_token: str) -> int:
    """Save :data:`SAVED_REPLIES` as the lead when the hub holds none; returns how many were saved."""

    async def resume(ws: ClientConnection) -> None:
        result = await client.exchange(
            ws, "resume", protocol=PROTOCOL_VERSION, client_id="demo-setup", epoch=None, last_seq=None
        )
        if not result.get("ok"):
            raise HubRefused(result)

    client = AgentClient(hub_url, lead_token, on_connect=resume)
    try:
        if (await client.call("canned_list")).get("responses"):
            return 0  # a kept data folder keeps the team's own
        for title, text, queues in SAVED_REPLIES:
            await client.call("canned_save", response={"title": title, "text": text, "queues": list(queues)})
        return len(SAVED_REPLIES)
    finally:
        await client.close()
