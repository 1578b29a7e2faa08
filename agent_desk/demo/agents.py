"""Simulated agents: colleagues of the person at the demo's desktop, working the same floor.

Each is a real ``/v1/agent`` connection with a user of its own. It comes online, resumes, sets
its presence, and then works like a person: it picks the most urgent waiting handoff it can see
(racing the others for it), greets the customer, waits for their answer, sometimes passes the
case to another team's queue, fixes it, asks whether there is anything else, and resolves it
with an outcome (CSAT and escalation feedback included). How fast it works and how many cases
it holds at once follow the floor (:class:`FloorView`); when the queue is short it takes a
break (``away``) or focuses on what it holds (``busy``). A lead handing it a case by
``reassign`` gets it worked like its own.

On a hub that routes by offers (``offers`` in its ``features``) it does not pick from the
queue: it waits for the hub to offer it a case, and mostly claims it after a moment, sometimes
declines it or lets it lapse (:mod:`~agent_desk.demo.offer_habits`). The hub holds it to its
``capacity``; its breaks (``away``, ``busy``) send its offers on to colleagues.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from agent_desk.demo import agent_lines, outcomes
from agent_desk.demo.floor_view import FloorView
from agent_desk.demo.link import AgentClient, Frame, HubRefused, LinkClosed
from agent_desk.demo.offer_habits import Answer, answer_offer, is_stretch
from agent_desk.demo.pacing import Pace
from agent_desk.protocol.codes import DEFAULT_CAPACITY, PROTOCOL_VERSION, Code, Feature
from agent_desk.protocol.visibility import Viewer, can_see, rank_key

log = logging.getLogger(__name__)

#: Seconds an agent takes at an ordinary tempo (before the speed factor).
NOTICE_S = 4.0  # to notice a new handoff and open it
READ_S = 6.0  # to read the transcript before writing
WORK_S = 10.0  # to fix the problem
WRAP_S = 3.0  # to write the closing line, or fill in the outcome
HEAR_S = 30.0  # the longest it waits for a customer's answer
THINK_S = 3.0  # how often it looks at the floor when nothing happens
BREAK_EVERY_S = 20.0  # how often a quiet floor tempts it to take a break
TRANSFER_CHANCE = 0.07
#: Where a case goes when an agent finds it belongs to another team.
TRANSFERS: dict[str, str] = {
    "general": "billing",
    "orders": "billing",
    "billing": "orders",
    "technical": "general",
    "retention": "billing",
    "vip": "retention",
}
TEAM_NAMES: dict[str, str] = {"billing": "billing", "orders": "orders", "general": "customer care"}


class _Gone(Exception):
    """The handoff is no longer this agent's (resolved, reassigned or released by someone else)."""


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """Who a simulated agent is: user id, the name it signs with, its queues and languages."""

    id: str
    name: str
    queues: tuple[str, ...]
    languages: tuple[str, ...] = ()
    #: Seconds after the demo starts that it comes online (before the speed factor).
    arrives_after_s: float = 0.0
    #: The handoffs the hub lets it hold at once, claimed plus offered (routing by offers).
    capacity: int = DEFAULT_CAPACITY


@dataclass
class AgentStats:
    claimed: int = 0
    replied: int = 0
    transferred: int = 0
    resolved: int = 0
    breaks: int = 0
    lost_races: int = 0
    offers: int = 0  # offers it answered or let lapse (routing by offers)
    declined: int = 0
    lapsed: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)


class SimulatedAgent:
    """One simulated agent on its own connection.

    Args:
        spec: who it is.
        hub_url: the hub's base address.
        token: its user's token.
        floor: what all simulated agents know of the floor.
        speed: the demo's speed factor.
        seed: makes its choices repeatable.

    Attributes:
        handoffs: the open handoffs it sees, by id, as last received.
        presence: what it last set (``offline`` before it comes online).
    """

    def __init__(
        self, spec: AgentSpec, hub_url: str, token: str, floor: FloorView, speed: float = 1.0, seed: int | None = None
    ) -> None:
        self.spec = spec
        self.floor = floor
        self.rng = random.Random(seed)
        self.pace = Pace(speed, self.rng)
        self.client = AgentClient(hub_url, token, on_frame=self._on_frame, on_connect=self._resume)
        self.viewer = Viewer.of(spec.id, "agent", spec.queues, spec.languages)
        self.handoffs: dict[str, dict[str, Any]] = {}
        self.presence = "offline"
        self.stats = AgentStats()
        self._handling: dict[str, asyncio.Task[None]] = {}
        #: Per handoff it wrote to: set once the customer writes after the given index.
        self._heard: dict[str, tuple[asyncio.Event, int]] = {}
        self._passed: set[str] = set()  # handoffs it transferred: not to be claimed back
        self._wake = asyncio.Event()
        self._can_reply: bool | None = None  # None: the hub did not say; try and learn
        self._offers = False  # the hub routes by offers: wait for them instead of picking
        self._answered: dict[str, int] = {}  # handoff -> the round of the last offer it dealt with
        self._break_until = 0.0
        self._next_break_check = 0.0
        self._picks = 0
        #: How often it finds, after greeting the customer, that a case belongs to another team.
        self.transfer_chance = TRANSFER_CHANCE

    # -- the connection --------------------------------------------------------------------

    async def _resume(self, ws: ClientConnection) -> None:
        self.handoffs.clear()  # the snapshot that follows is the whole truth
        features = self.client.features
        if features is not None:
            self._can_reply = Feature.REPLY in features
        self._offers = features is not None and Feature.OFFERS in features
        targets = self.client.hello.get("sla_targets_s")
        if isinstance(targets, dict):
            self.floor.sla_targets_s = {int(k): int(v) for k, v in targets.items()}
        result = await self.client.exchange(
            ws, "resume", protocol=PROTOCOL_VERSION, client_id=f"demo-{self.spec.id}", epoch=None, last_seq=None
        )
        if not result.get("ok"):
            raise HubRefused(result)

    def _on_frame(self, frame: Frame) -> None:
        kind = frame.get("type")
        if kind == "snapshot":
            for handoff in frame.get("handoffs") or ():
                self._see(handoff)
        elif kind == "event":
            data = frame.get("data") or {}
            if frame.get("kind") in ("handoff.created", "handoff.updated"):
                self._see(data)
            elif frame.get("kind") == "message.added":
                self._message(data)
        self._wake.set()

    def _see(self, handoff: dict[str, Any]) -> None:
        self.floor.see(handoff)
        hid = str(handoff.get("id"))
        known = self.handoffs.get(hid)
        if known is not None and int(known.get("version", 0)) >= int(handoff.get("version", 0)):
            return
        if handoff.get("status") != "resolved" and can_see(self.viewer, handoff):
            self.handoffs[hid] = handoff
            self._customer_wrote(hid, handoff.get("transcript") or ())
        else:
            self.handoffs.pop(hid, None)
            self._answered.pop(hid, None)

    def _message(self, data: dict[str, Any]) -> None:
        hid = str(data.get("handoff_id"))
        known = self.handoffs.get(hid)
        message = data.get("message") or {}
        if known is not None and int(data.get("version", 0)) > int(known.get("version", 0)):
            transcript = [*known.get("transcript", ()), message]
            self.handoffs[hid] = {**known, "version": data.get("version"), "transcript": transcript}
        self._customer_wrote(hid, (message,))

    def _customer_wrote(self, hid: str, messages: Iterable[dict[str, Any]]) -> None:
        """Wake the wait for the customer's answer (a customer message may come as
        ``message.added``, or within ``handoff.updated`` when it also moved the triage)."""
        waiting = self._heard.get(hid)
        if waiting is not None and any(
            m.get("role") == "customer" and int(m.get("index", -1)) > waiting[1] for m in messages
        ):
            waiting[0].set()

    # -- the floor -------------------------------------------------------------------------

    async def run(self) -> None:
        """Come online and work until cancelled."""
        await self.pace.pause(self.spec.arrives_after_s, spread=0.3)
        await self._set_presence("available")
        log.info("%s is on the floor", self.spec.id)
        while True:
            if not self.client.alive:  # the connection dropped: back, with the same presence
                await self._set_presence(self.presence)
            self._wake.clear()  # what happens while it looks brings it back at once
            await self._look()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.pace.real(THINK_S))

    async def _set_presence(self, status: str) -> None:
        await self.client.call("presence", status=status)
        self.presence = status

    async def _look(self) -> None:
        """One look at the floor: breaks, cases handed to it, and perhaps one claim."""
        for hid, handoff in list(self.handoffs.items()):
            if handoff.get("status") == "claimed" and handoff.get("assignee") == self.spec.id:
                self._start(hid)  # claimed before a reconnect, or handed over by a lead
        if not await self._on_duty():
            return
        if self._offers:
            await self._answer_offers()
            return
        if len(self._handling) >= self.floor.capacity():
            return
        candidates = [
            h
            for h in self.handoffs.values()
            if h.get("status") == "waiting" and h.get("id") not in self._passed and self.floor.worth_claiming(h)
        ]
        if candidates:
            await self._claim(str(min(candidates, key=rank_key)["id"]))

    async def _on_duty(self) -> bool:
        """Whether it takes new cases now; starts and ends its breaks."""
        now = asyncio.get_running_loop().time()
        if self.presence != "available":
            if now >= self._break_until or self.floor.rush():
                await self._set_presence("available")
                return True
            return False
        if now < self._next_break_check:
            return True
        self._next_break_check = now + self.pace.seconds(BREAK_EVERY_S)
        if not self.floor.quiet() or self.rng.random() >= 0.3:
            return True
        self.stats.breaks += 1
        if self._handling:  # focus on what it holds
            self._break_until = now + self.pace.seconds(30)
            await self._set_presence("busy")
        else:  # a coffee
            self._break_until = now + self.pace.seconds(60)
            await self._set_presence("away")
        return False

    async def _claim(self, hid: str) -> None:
        await self.pace.pause(NOTICE_S, tempo=self.floor.tempo())
        handoff = self.handoffs.get(hid)
        if handoff is None or handoff.get("status") != "waiting":
            return  # someone was quicker
        await self._take(hid)

    async def _take(self, hid: str) -> None:
        result = await self.client.request("claim", handoff_id=hid)
        now = (result.get("data") or {}).get("handoff")
        if isinstance(now, dict):
            self._see(now)
        if result.get("ok"):
            self.stats.claimed += 1
            self._start(hid)
        elif result.get("code") == Code.CONFLICT:
            self.stats.lost_races += 1
        else:
            log.warning("%s could not claim %s: %s", self.spec.id, hid, result.get("message"))

    # -- routing by offers ------------------------------------------------------------------

    def _offered(self) -> list[dict[str, Any]]:
        """The waiting handoffs the hub offers it now, most urgent first."""
        return sorted(
            (
                h
                for h in self.handoffs.values()
                if h.get("status") == "waiting" and (h.get("offer") or {}).get("to") == self.spec.id
            ),
            key=rank_key,
        )

    async def _answer_offers(self) -> None:
        """Answer the offers it has not dealt with yet, one after the other, the most urgent first."""
        for handoff in self._offered():
            hid, round_ = str(handoff["id"]), int(handoff["offer"].get("round", 0))
            if self._answered.get(hid) == round_:
                continue  # answered (or left to lapse) already: one offer a round
            self._answered[hid] = round_
            self.stats.offers += 1
            stretch = is_stretch(self.spec.queues, self.spec.languages, handoff)
            answer = answer_offer(self.rng, stretch=stretch, holding=len(self._handling), capacity=self.spec.capacity)
            if answer is Answer.LAPSE:
                self.stats.lapsed += 1
                continue
            await self.pace.pause(NOTICE_S, tempo=self.floor.tempo())
            now = self.handoffs.get(hid)
            if now is None or now.get("status") != "waiting" or (now.get("offer") or {}).get("to") != self.spec.id:
                continue  # the offer moved on meanwhile (it expired, or someone else claimed it)
            if answer is Answer.ACCEPT:
                await self._take(hid)
            else:
                await self._decline(hid)

    async def _decline(self, hid: str) -> None:
        result = await self.client.request("decline", handoff_id=hid)
        now = (result.get("data") or {}).get("handoff")
        if isinstance(now, dict):
            self._see(now)
        if result.get("ok"):
            self.stats.declined += 1
        elif result.get("code") != Code.NOT_ASSIGNEE:  # not_assignee: the offer lapsed first
            log.warning("%s could not decline %s: %s", self.spec.id, hid, result.get("message"))

    def _start(self, hid: str) -> None:
        if hid in self._handling:
            return
        task = asyncio.create_task(self._handle(hid))
        self._handling[hid] = task

    # -- one case --------------------------------------------------------------------------

    async def _handle(self, hid: str) -> None:
        try:
            await self._work(hid)
        except _Gone:
            pass
        except HubRefused as refused:
            log.warning("%s: the hub refused work on %s: %s", self.spec.id, hid, refused)
        except LinkClosed:
            pass
        finally:
            self._handling.pop(hid, None)
            self._heard.pop(hid, None)
            self._wake.set()

    def _mine(self, hid: str) -> dict[str, Any]:
        handoff = self.handoffs.get(hid)
        if handoff is None or handoff.get("status") != "claimed" or handoff.get("assignee") != self.spec.id:
            raise _Gone(hid)
        return handoff

    async def _work(self, hid: str) -> None:
        handoff = self._mine(hid)
        language = str(handoff.get("language") or "en").split("-")[0]
        first = str((handoff.get("customer") or {}).get("name") or "there").split()[0]
        me, pick = self.spec.name, self._picks
        self._picks += 1
        await self.pace.pause(READ_S, tempo=self.floor.tempo())
        await self._reply(hid, agent_lines.greeting(language, first, me, pick))
        target = TRANSFERS.get(str(handoff.get("queue")))
        if target is not None and hid not in self.floor.transferred and self.rng.random() < self.transfer_chance:
            team = TEAM_NAMES.get(target, target)
            await self._reply(hid, agent_lines.transfer(language, first, me, team))
            await self.pace.pause(WRAP_S, tempo=self.floor.tempo())
            await self._transfer(hid, target)
            return
        await self.pace.pause(WORK_S, tempo=self.floor.tempo())
        await self._reply(hid, agent_lines.working(language, handoff.get("category"), first, me, pick))
        await self.pace.pause(WRAP_S, tempo=self.floor.tempo())
        await self._reply(hid, agent_lines.closing(language, first, me))
        await self.pace.pause(WRAP_S, tempo=self.floor.tempo())
        await self._resolve(hid)

    async def _reply(self, hid: str, text: str) -> None:
        """Write to the customer and give them time to answer (when the hub relays replies)."""
        handoff = self._mine(hid)
        if self._can_reply is False:
            return
        heard = asyncio.Event()
        self._heard[hid] = (heard, len(handoff.get("transcript") or ()) - 1)
        result = await self.client.request("reply", handoff_id=hid, text=text)
        if not result.get("ok"):
            code = result.get("code")
            if code == Code.UNKNOWN_TYPE:
                self._can_reply = False
                return
            if code in (Code.NOT_ASSIGNEE, Code.CONFLICT, Code.NOT_FOUND):
                raise _Gone(hid)
            raise HubRefused(result)
        self._can_reply = True
        self.stats.replied += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(heard.wait(), self.pace.real(HEAR_S))

    async def _transfer(self, hid: str, queue: str) -> None:
        self._mine(hid)
        self.floor.transferred.add(hid)
        self._passed.add(hid)
        result = await self.client.request("reassign", handoff_id=hid, to_queue=queue)
        self._settled(hid, result)
        self.stats.transferred += 1

    async def _resolve(self, hid: str) -> None:
        outcome = outcomes.outcome_for(self.rng, self._mine(hid))
        result = await self.client.request("resolve", handoff_id=hid, outcome=outcome)
        self._settled(hid, result)
        self.stats.resolved += 1
        self.stats.outcomes.append(outcome)

    def _settled(self, hid: str, result: Frame) -> None:
        now = (result.get("data") or {}).get("handoff")
        if isinstance(now, dict):
            self._see(now)
        if result.get("ok"):
            return
        if result.get("code") in (Code.NOT_ASSIGNEE, Code.CONFLICT, Code.NOT_FOUND):
            raise _Gone(hid)
        raise HubRefused(result)

    async def stop(self) -> None:
        """Stop working and close the connection."""
        for task in list(self._handling.values()):
            task.cancel()
        await asyncio.gather(*self._handling.values(), return_exceptions=True)
        await self.client.close()
