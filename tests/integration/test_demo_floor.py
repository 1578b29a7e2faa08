"""The demo's floor is alive: colleagues work it, customers talk back, the bot platform relays.

Each test runs a real hub on 127.0.0.1 with the demo's users and the demo's :class:`Floor` on
real websockets, at a high speed factor, and watches it the way the person at the desk does:
as the team lead, through the events the hub sends. The hub routes by ``pull`` unless a test
asks for routing by offers (``@pytest.mark.parametrize("demo_hub", [OFFERS], indirect=True)``).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from agent_desk.demo.agents import AgentSpec
from agent_desk.demo.floor import AGENTS, Floor
from agent_desk.demo.floor_view import FloorView
from agent_desk.demo.launcher import DEMO_LEAD, DEMO_USERS
from agent_desk.demo.offer_habits import Answer, answer_offer
from agent_desk.hub import db
from agent_desk.hub.store import Store
from tests.support.peers import Peer

RUN_TIMEOUT = 90.0
AGENT_IDS = {spec.id for spec in AGENTS}
#: A hub that routes by offers, with offers that lapse quickly at the tests' speed.
OFFERS = {"routing": "offer", "offer_timeout_s": 1.5}


class Watch:
    """The floor as the lead sees it, kept from the events the hub sends.

    Attributes:
        handoffs: every handoff by id, as it last stood.
        max_waiting: the most handoffs waiting at once.
        profiles: every customer profile seen, by customer id.
        presences: (user, presence) in the order the lead heard them.
        history: every state of each handoff the lead heard, in order.
    """

    def __init__(self, lead: Peer) -> None:
        self.lead = lead
        self.handoffs: dict[str, dict[str, Any]] = {}
        self.max_waiting = 0
        self.profiles: dict[str, set[tuple[Any, ...]]] = {}
        self.presences: list[tuple[str, str]] = []
        self.history: dict[str, list[dict[str, Any]]] = {}

    def waiting(self) -> int:
        return sum(1 for h in self.handoffs.values() if h["status"] == "waiting")

    def said_by_customer(self, handoff_id: str) -> list[str]:
        """What the customer wrote in the handoff's transcript (it grows by ``message.added``, or by
        ``handoff.updated`` when a message also moves the triage)."""
        return [m["text"] for m in self.handoffs[handoff_id]["transcript"] if m["role"] == "customer"]

    def resolved(self) -> list[dict[str, Any]]:
        return [h for h in self.handoffs.values() if h["status"] == "resolved"]

    def _apply(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "event":
            return
        kind, data = frame["kind"], frame["data"]
        if kind in ("handoff.created", "handoff.updated"):
            known = self.handoffs.get(data["id"])
            if known is None or known["version"] < data["version"]:
                self.handoffs[data["id"]] = data
                self.history.setdefault(data["id"], []).append(data)
            customer = data["customer"]
            profile = tuple(customer.get(k) for k in ("name", "tier", "lifetime_value", "email", "locale"))
            self.profiles.setdefault(customer["id"], set()).add(profile)
        elif kind == "message.added":
            known = self.handoffs.get(data["handoff_id"])
            if known is not None and known["version"] < data["version"]:
                transcript = [*known["transcript"], data["message"]]
                self.handoffs[data["handoff_id"]] = {**known, "version": data["version"], "transcript": transcript}
        elif kind == "presence.changed":
            self.presences.append((data["user"], data["presence"]))
        self.max_waiting = max(self.max_waiting, self.waiting())

    async def until(self, done: Callable[[Watch], bool], timeout: float = RUN_TIMEOUT) -> None:
        """Read the lead's frames until ``done`` holds (or fail after ``timeout`` seconds)."""

        async def read() -> None:
            while not done(self):
                self._apply(await self.lead.recv(timeout))

        await asyncio.wait_for(read(), timeout)


@pytest.fixture
async def demo_hub(request: pytest.FixtureRequest, hub_factory: Any) -> Any:
    """A hub with the demo's users (the lead, the simulated agents with their capacities, the bot
    platform); it routes by ``pull`` unless the test passes other settings (indirectly)."""
    running = await hub_factory(**getattr(request, "param", {"routing": "pull"}))
    admin = Store(db.open_engine(running.data_dir))  # as `hub user add --capacity` does
    try:
        for user in DEMO_USERS:
            running.tokens[user.id] = admin.add_user(user.id, user.role, user.queues, user.languages, user.capacity)
    finally:
        admin.close()
    return running


@pytest.fixture
async def watch(demo_hub: Any) -> AsyncIterator[Watch]:
    lead = await Peer.open(demo_hub.url, demo_hub.tokens[DEMO_LEAD])
    yield Watch(lead)
    await lead.close()


@pytest.fixture
async def open_floor(demo_hub: Any) -> AsyncIterator[Callable[..., Floor]]:
    """Starts the demo's floor on this test's loop; stops it (and checks it stops) at the end."""
    started: list[tuple[Floor, asyncio.Task[None]]] = []

    def start(*, warm_up: int = 12, count: int | None = None, **options: Any) -> Floor:
        options.setdefault("seed", 11)
        floor = Floor(demo_hub.url, demo_hub.tokens, **options)
        started.append((floor, asyncio.create_task(floor.run(warm_up=warm_up, count=count))))
        return floor

    yield start
    for floor, task in started:
        await asyncio.wait_for(floor.stop(), 5)
        assert task.done()


def features(watch: Watch) -> set[str]:
    return set(watch.lead.hello.get("features") or ())


def needs_relay(watch: Watch) -> None:
    if not {"reply", "source_events"} <= features(watch):
        pytest.skip("this hub does not relay replies to sources yet (no 'reply'/'source_events' feature)")


async def test_simulated_agents_work_the_floor_and_keep_the_queue_bounded(open_floor, watch):
    floor = open_floor(speed=40, rate=0.125)
    await watch.until(lambda w: len(w.resolved()) >= 30)
    resolved = watch.resolved()
    # Several colleagues closed cases, each with an outcome a lead can learn from.
    assert len({h["outcome"]["recorded_by"] for h in resolved}) >= 3
    assert {h["outcome"]["recorded_by"] for h in resolved} <= AGENT_IDS
    rated = [h["outcome"]["csat"] for h in resolved if h["outcome"]["csat"] is not None]
    assert len(rated) >= len(resolved) // 2 and all(1 <= c <= 5 for c in rated)
    assert {h["outcome"]["escalation_feedback"] for h in resolved} & {"appropriate", "premature", "late"}
    # The queue never ran away, and the floor is not emptied in an instant either.
    assert watch.max_waiting <= floor.view.high
    assert watch.max_waiting >= floor.view.low
    # Every colleague came online.
    assert {user for user, presence in watch.presences if presence == "available"} >= AGENT_IDS
    # The same customer is the same person in every handoff.
    assert [cid for cid, profiles in watch.profiles.items() if len(profiles) > 1] == []
    if {"reply", "source_events"} <= features(watch):
        # Agents talked to customers, and customers answered them.
        talked = [h for h in resolved if any(m["role"] == "agent" for m in h["transcript"])]
        assert len(talked) >= len(resolved) * 3 // 4
        answered = [
            h
            for h in talked
            if any(
                m["role"] == "customer"
                and m["index"] > min(a["index"] for a in h["transcript"] if a["role"] == "agent")
                for m in h["transcript"]
            )
        ]
        assert len(answered) >= len(talked) // 2
        assert floor.platform.stats.confirmed > 0


async def test_a_reply_from_the_desk_gets_the_customers_answer_and_a_delivery_receipt(open_floor, watch):
    needs_relay(watch)
    floor = open_floor(agents=(), speed=25, warm_up=8, count=8)
    await watch.until(lambda w: bool(w.handoffs))
    handoff = next(iter(watch.handoffs.values()))
    claimed = await watch.lead.call("claim", handoff_id=handoff["id"])
    assert claimed["ok"], claimed
    conversation = floor.simulator.handed_over[handoff["conversation_id"]]
    replied = await watch.lead.call("reply", handoff_id=handoff["id"], text="Hello, Anna here. I'm looking into it.")
    assert replied["ok"], replied
    index = replied["data"]["message"]["index"]

    def answered(w: Watch, answer: str = conversation.answers[0]) -> bool:
        return answer in w.said_by_customer(handoff["id"])

    def delivered(w: Watch) -> bool:
        return bool(w.handoffs[handoff["id"]]["transcript"][index].get("delivered_at"))

    await watch.until(lambda w: answered(w) and delivered(w), timeout=20)
    transcript = watch.handoffs[handoff["id"]]["transcript"]
    answer = next(m for m in transcript if m["text"] == conversation.answers[0])
    assert answer["role"] == "customer" and answer["index"] > index
    # A second reply gets the next answer: the customer follows the conversation.
    replied = await watch.lead.call("reply", handoff_id=handoff["id"], text="Could you tell me a bit more?")
    assert replied["ok"], replied
    await watch.until(lambda w: answered(w, conversation.answers[1]), timeout=20)


async def test_a_simulated_agent_passes_a_case_to_another_team(open_floor, watch):
    sofia = next(spec for spec in AGENTS if spec.id == "sofia")
    floor = open_floor(agents=(AgentSpec(sofia.id, sofia.name, sofia.queues, sofia.languages),), speed=50)
    floor.agents[0].transfer_chance = 1.0
    held_by_sofia: dict[str, str] = {}

    def passed_on(w: Watch) -> bool:
        for hid, h in w.handoffs.items():
            if h["status"] == "claimed" and h["assignee"] == "sofia":
                held_by_sofia[hid] = h["queue"]
            elif hid in held_by_sofia and h["status"] == "waiting" and h["queue"] != held_by_sofia[hid]:
                return True
        return False

    await watch.until(passed_on)
    moved = next(h for hid, h in watch.handoffs.items() if hid in held_by_sofia and h["queue"] != held_by_sofia[hid])
    assert moved["assignee"] is None
    if "reply" in features(watch):  # she greeted the customer, then told them she is passing it on
        assert len([m for m in moved["transcript"] if m["role"] == "agent" and m.get("author") == "sofia"]) == 2


async def test_a_case_the_lead_hands_to_a_colleague_is_worked_and_resolved(open_floor, watch):
    quiet = AgentSpec("dev", "Dev", ("vip", "retention", "compliance", "billing"), ("en",))
    open_floor(agents=(quiet,), speed=50, warm_up=6, count=6)
    await watch.until(lambda w: bool(w.handoffs))
    target = next(h for h in watch.handoffs.values() if h["status"] == "waiting")
    result = await watch.lead.call("reassign", handoff_id=target["id"], to_user="dev")
    assert result["ok"], result
    await watch.until(lambda w: w.handoffs[target["id"]]["status"] == "resolved")
    assert watch.handoffs[target["id"]]["outcome"]["recorded_by"] == "dev"


@pytest.mark.parametrize("demo_hub", [{"routing": "pull"}, OFFERS], ids=["pull", "offers"], indirect=True)
async def test_on_a_quiet_floor_agents_come_online_and_take_breaks(open_floor, watch):
    ben = next(spec for spec in AGENTS if spec.id == "ben")
    open_floor(agents=(ben,), speed=100, warm_up=0, count=0)
    await watch.until(lambda w: ("ben", "away") in w.presences)
    await watch.until(lambda w: w.presences[-1] == ("ben", "available"))
    bens = [presence for user, presence in watch.presences if user == "ben"]
    assert bens[0] == "available" and "away" in bens


def test_agents_hurry_as_the_queue_grows_and_hold_back_when_it_is_short():
    view = FloorView(low=5, high=40)
    tempos, capacities = [], []
    for waiting in (2, 12, 25, 35):
        view = FloorView(low=5, high=40)
        for n in range(waiting):
            view.see({"id": f"h{n}", "version": 1, "status": "waiting"})
        assert view.waiting == waiting
        tempos.append(view.tempo())
        capacities.append(view.capacity())
    assert tempos == sorted(tempos, reverse=True) and tempos[0] > 1 > tempos[-1]
    assert capacities == sorted(capacities) and capacities[0] < capacities[-1]
    # A claimed handoff leaves the count; an older version of it changes nothing.
    view.see({"id": "h0", "version": 2, "status": "claimed"})
    view.see({"id": "h0", "version": 1, "status": "waiting"})
    assert view.waiting == 34
    # On a short queue, a fresh ordinary case may wait a little; danger never does.
    quiet = FloorView(low=5, high=40)
    fresh = {"escalated_at": "2999-01-01T00:00:00.000Z"}
    assert quiet.quiet()
    assert not quiet.worth_claiming({**fresh, "priority": 3})
    assert quiet.worth_claiming({**fresh, "priority": 1})
    assert quiet.worth_claiming({"escalated_at": "2000-01-01T00:00:00.000Z", "priority": 4})


# -- routing by offers -------------------------------------------------------------------------


def offered_to(handoff: dict[str, Any]) -> str | None:
    return (handoff.get("offer") or {}).get("to")


def claims_after_offers(watch: Watch) -> tuple[int, int]:
    """(claims by colleagues, those made while the handoff was offered to the one who claimed it)."""
    claims = followed = 0
    for states in watch.history.values():
        for before, after in itertools.pairwise(states):
            if before["status"] == "waiting" and after["status"] == "claimed" and after["assignee"] in AGENT_IDS:
                claims += 1
                followed += offered_to(before) == after["assignee"]
    return claims, followed


def offers_moved_on(watch: Watch) -> list[tuple[str, str]]:
    """(from, to) for each offer that went from one colleague straight to another in its round."""
    moved = []
    for states in watch.history.values():
        for before, after in itertools.pairwise(states):
            old, new = offered_to(before), offered_to(after)
            if old and new and old != new and before["offer"]["round"] == after["offer"]["round"]:
                moved.append((old, new))
    return moved


@pytest.mark.parametrize("demo_hub", [OFFERS], ids=["offers"], indirect=True)
async def test_under_offers_colleagues_claim_what_they_are_offered_and_keep_the_queue_bounded(open_floor, watch):
    assert "offers" in features(watch)
    floor = open_floor(speed=40, rate=0.125)

    def declined() -> int:
        return sum(agent.stats.declined for agent in floor.agents)

    await watch.until(lambda w: len(w.resolved()) >= 30 and declined() >= 1 and bool(offers_moved_on(w)))
    # Colleagues take what the hub offers them: a claim follows an offer to the one who claims.
    claims, followed = claims_after_offers(watch)
    assert claims >= 30 and followed >= claims * 9 // 10
    # Some offers are declined, and the hub offers those to someone else.
    offers = sum(agent.stats.offers for agent in floor.agents)
    assert 1 <= declined() <= offers // 4
    assert all(old in AGENT_IDS and new in AGENT_IDS for old, new in offers_moved_on(watch))
    # The cases are worked to the end, by several colleagues, and the queue never ran away.
    assert len({h["outcome"]["recorded_by"] for h in watch.resolved()}) >= 3
    assert watch.max_waiting <= floor.view.high


def test_colleagues_mostly_take_an_offer_sometimes_decline_it_and_now_and_then_let_it_lapse():
    rng = random.Random(4)

    def shares(**situation: Any) -> dict[Answer, float]:
        answers = [answer_offer(rng, **situation) for _ in range(20_000)]
        return {answer: answers.count(answer) / len(answers) for answer in Answer}

    ordinary = shares(stretch=False, holding=0, capacity=3)
    stretch = shares(stretch=True, holding=0, capacity=3)
    busy = shares(stretch=True, holding=2, capacity=3)
    assert ordinary[Answer.ACCEPT] > 0.85 and 0.02 < ordinary[Answer.DECLINE] < 0.07
    assert ordinary[Answer.DECLINE] < stretch[Answer.DECLINE] < busy[Answer.DECLINE] < 0.2
    assert all(0.04 < s[Answer.LAPSE] < 0.06 for s in (ordinary, stretch, busy))
