"""Routing by offers (``hub serve --routing offer``) against a real hub on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from typing import Any

import pytest

from agent_desk.cli import main
from agent_desk.hub import db
from agent_desk.hub.models import SCHEMA_VERSION
from agent_desk.hub.store import Store
from agent_desk.protocol.server_frames import Handoff
from agent_desk.protocol.timefmt import utc_now
from tests.support.hubs import restart
from tests.support.peers import Peer, escalate_body

OFFER = {"routing": "offer"}
OUTCOME = {"resolution": "resolved", "csat": 5}


def add_agent(running: Any, name: str, capacity: int = 3, queues: tuple[str, ...] = ("billing",)) -> None:
    """Add an agent with a capacity, as ``hub user add --capacity`` does."""
    admin = Store(db.open_engine(running.data_dir))
    try:
        running.tokens[name] = admin.add_user(name, "agent", queues, (), capacity)
    finally:
        admin.close()


async def floor(hub_factory: Any, *agents: str, capacity: int = 3, **config: Any) -> Any:
    """An offer-routing hub with a lead, a source and the given billing agents."""
    running = await hub_factory(**{**OFFER, **config})
    running.add_user("lea", "lead")
    running.add_user("bot", "source")
    for name in agents:
        add_agent(running, name, capacity)
    return running


async def escalate(bot: Peer, **extra: Any) -> str:
    result = await bot.call("escalate", **escalate_body(**{"queue": "billing", "priority": 2, **extra}))
    assert result["ok"], result
    return str(result["data"]["handoff_id"])


async def offered(peer: Peer, handoff_id: str, to: str | None, timeout: float = 5.0) -> dict[str, Any]:
    """The next state of the handoff whose offer is to ``to`` (None: to nobody), as ``peer`` sees it."""
    while True:
        event = await peer.next_event(timeout=timeout)
        data = event["data"]
        if (
            event["kind"] in ("handoff.created", "handoff.updated")
            and data["id"] == handoff_id
            and (data["offer"] or {}).get("to") == to
            and data["status"] == "waiting"
        ):
            return data


async def test_an_offer_reaches_the_chosen_agent_and_a_claim_accepts_it(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben = [await hub.peer(n) for n in ("bot", "ana", "ben")]
    handoff_id = await escalate(bot)
    created = await ana.next_event("handoff.created")
    assert created["data"]["offer"] is None and created["data"]["version"] == 1
    shown = await offered(ana, handoff_id, "ana")  # both are idle: the first by id
    assert shown["version"] == 2 and shown["offer"]["round"] == 1
    assert shown["offer"]["expires_at"].endswith("Z")
    assert Handoff.model_validate(shown).offer is not None
    assert (await offered(ben, handoff_id, "ana"))["version"] == 2  # all who see it are told
    claim = await ana.call("claim", handoff_id=handoff_id)
    assert claim["ok"] and claim["data"]["handoff"]["offer"] is None
    assert claim["data"]["handoff"]["assignee"] == "ana"
    second = await escalate(bot)
    assert (await offered(ben, second, "ben"))["offer"]["round"] == 1  # ana now holds one


async def test_a_claim_by_someone_else_withdraws_the_offer_and_a_release_does_not_hand_it_back(hub_factory):
    hub = await floor(hub_factory, "ana", "ben", "cal")
    bot, ana, ben, cal = [await hub.peer(n) for n in ("bot", "ana", "ben", "cal")]
    handoff_id = await escalate(bot)
    await offered(ana, handoff_id, "ana")
    taken = await ben.call("claim", handoff_id=handoff_id)
    assert taken["ok"] and taken["data"]["handoff"]["offer"] is None
    gone = await ana.next_event("handoff.updated")
    assert gone["data"]["assignee"] == "ben" and gone["data"]["offer"] is None
    released = await ben.call("release", handoff_id=handoff_id)
    # Ana and Ben had it in this round: it goes on to Cal, and the release's result says so.
    assert released["data"]["handoff"]["offer"]["to"] == "cal"
    assert released["data"]["handoff"]["offer"]["round"] == 1
    assert (await offered(cal, handoff_id, "cal"))["version"] == released["data"]["handoff"]["version"]


async def test_a_decline_moves_the_offer_to_the_next_agent_within_a_second_then_to_nobody(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben = [await hub.peer(n) for n in ("bot", "ana", "ben")]
    handoff_id = await escalate(bot)
    first = await offered(ben, handoff_id, "ana")
    started = time.monotonic()
    declined = await ana.call("decline", handoff_id=handoff_id)
    moved = await offered(ben, handoff_id, "ben", timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert moved["version"] == first["version"] + 1 and moved["offer"]["round"] == 1  # one change
    assert declined["ok"] and declined["data"]["handoff"]["offer"]["to"] == "ben"
    await ben.call("decline", handoff_id=handoff_id)
    nobody = await offered(ana, handoff_id, None)
    assert nobody["version"] == moved["version"] + 1
    assert (await ana.call("claim", handoff_id=handoff_id))["ok"]  # it waits as under pull


async def test_decline_by_anyone_but_the_offered_agent_is_not_assignee(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben = [await hub.peer(n) for n in ("bot", "ana", "ben")]
    handoff_id = await escalate(bot)
    await offered(ben, handoff_id, "ana")
    refused = await ben.call("decline", handoff_id=handoff_id)
    assert refused["ok"] is False and refused["code"] == "not_assignee"
    assert refused["data"]["handoff"]["offer"]["to"] == "ana"
    assert (await ben.call("decline", handoff_id="h_nope"))["code"] == "not_found"
    await ana.call("claim", handoff_id=handoff_id)
    assert (await ana.call("decline", handoff_id=handoff_id))["code"] == "not_assignee"  # no offer now


async def test_a_repeated_decline_returns_its_stored_result_and_moves_nothing(hub_factory):
    hub = await floor(hub_factory, "ana", "ben", "cal")
    bot, ana, lea, _ben = [await hub.peer(n) for n in ("bot", "ana", "lea", "ben")]
    handoff_id = await escalate(bot)
    await offered(lea, handoff_id, "ana")
    one = await ana.call("decline", request_id="decline-1", handoff_id=handoff_id)
    two = await ana.call("decline", request_id="decline-1", handoff_id=handoff_id)
    assert one == two and one["data"]["handoff"]["offer"]["to"] == "ben"
    await lea.call("presence", status="busy")  # a marker: every event before it has arrived
    moves = [e for e in lea.events if e["kind"] == "handoff.updated" and e["data"]["id"] == handoff_id]
    assert [e["data"]["offer"]["to"] for e in moves] == ["ana", "ben"]
    other = await ana.call("claim", request_id="decline-1", handoff_id=handoff_id)
    assert other["code"] == "invalid"


async def test_an_expired_offer_moves_on(hub_factory):
    hub = await floor(hub_factory, "ana", "ben", offer_timeout_s=0.5)
    bot, ben = await hub.peer("bot"), await hub.peer("ben")
    await hub.peer("ana")
    handoff_id = await escalate(bot)
    first = await offered(ben, handoff_id, "ana")
    moved = await offered(ben, handoff_id, "ben", timeout=5.0)
    assert moved["version"] == first["version"] + 1 and moved["offer"]["expires_at"] > first["offer"]["expires_at"]
    assert (await offered(ben, handoff_id, None, timeout=5.0))["offer"] is None  # nobody is left


async def test_an_agent_set_away_gets_no_offers_and_its_pending_offers_move_on(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben = [await hub.peer(n) for n in ("bot", "ana", "ben")]
    handoff_id = await escalate(bot)
    await offered(ben, handoff_id, "ana")
    assert (await ana.call("presence", status="away"))["ok"]
    await offered(ben, handoff_id, "ben")
    later = await escalate(bot)
    assert (await offered(ben, later, "ben"))["offer"]["round"] == 1
    await ana.call("presence", status="available")  # back: the next one may be hers
    third = await escalate(bot)
    assert (await offered(ana, third, "ana"))["offer"]["round"] == 1


async def test_a_disconnect_moves_offers_on(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben = [await hub.peer(n) for n in ("bot", "ana", "ben")]
    handoff_id = await escalate(bot)
    await offered(ben, handoff_id, "ana")
    await ana.close()
    assert (await offered(ben, handoff_id, "ben"))["offer"]["round"] == 1


async def test_capacity_counts_claimed_handoffs_and_pending_offers(hub_factory):
    hub = await floor(hub_factory, "ana", capacity=2)
    bot, ana, lea = [await hub.peer(n) for n in ("bot", "ana", "lea")]
    ids = [await escalate(bot) for _ in range(3)]
    await offered(lea, ids[0], "ana")
    await offered(lea, ids[1], "ana")
    assert (await ana.call("claim", handoff_id=ids[0]))["ok"]
    await lea.call("presence", status="busy")  # a marker: every event before it has arrived
    third = [e for e in lea.events if e["kind"] == "handoff.updated" and e["data"]["id"] == ids[2]]
    assert third == []  # one claimed plus one offered: ana is full
    assert lea.hello["users"][[u["id"] for u in lea.hello["users"]].index("ana")]["capacity"] == 2
    assert (await ana.call("resolve", handoff_id=ids[0], outcome=OUTCOME))["ok"]
    assert (await offered(lea, ids[2], "ana"))["offer"]["round"] == 1


async def test_a_restart_keeps_a_pending_offer_with_its_agent_until_it_expires(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, lea = await hub.peer("bot"), await hub.peer("lea")
    await hub.peer("ana")
    handoff_id = await escalate(bot)
    before = await offered(lea, handoff_id, "ana")
    await restart(hub, **OFFER)
    ben = await hub.peer("ben")  # ana is not back, and her offer stands
    [shown] = [h for h in ben.sync["frames"][0]["handoffs"] if h["id"] == handoff_id]
    assert shown["offer"] == before["offer"] and shown["version"] == before["version"]
    bot = await hub.peer("bot")
    later = await escalate(bot)
    assert (await offered(ben, later, "ben"))["offer"]["round"] == 1
    declined = await ben.call("decline", handoff_id=handoff_id)
    assert declined["code"] == "not_assignee" and declined["data"]["handoff"]["offer"]["to"] == "ana"


async def test_an_offer_that_expired_while_the_hub_was_down_moves_on_at_start(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, lea = await hub.peer("bot"), await hub.peer("lea")
    await hub.peer("ana")
    handoff_id = await escalate(bot)
    before = await offered(lea, handoff_id, "ana")
    epoch, seq = lea.hello["epoch"], lea.events[-1]["seq"]
    await restart(hub, clock=lambda: utc_now() + timedelta(minutes=5), **OFFER)  # back after expiry
    lea = await hub.peer("lea", epoch=epoch, last_seq=seq)
    [moved] = [f["data"] for f in lea.sync["frames"] if f.get("data", {}).get("id") == handoff_id]
    assert moved["offer"] is None and moved["version"] == before["version"] + 1  # nobody was on
    ben = await hub.peer("ben")
    again = await offered(ben, handoff_id, "ben")
    assert again["offer"]["round"] == 2  # a new round for whoever comes


async def test_features_list_offers_only_under_offer_routing_and_pull_never_offers(hub_factory):
    pull = await hub_factory()
    pull.add_user("ana", "agent", ("billing",))
    pull.add_user("bot", "source")
    ana, bot = await pull.peer("ana"), await pull.peer("bot")
    assert "offers" not in ana.hello["features"] and "offers" not in bot.hello["features"]
    handoff_id = await escalate(bot)
    assert (await ana.next_event("handoff.created"))["data"]["offer"] is None
    assert (await ana.call("decline", handoff_id=handoff_id))["code"] == "unknown_type"
    assert (await ana.call("claim", handoff_id=handoff_id))["data"]["handoff"]["offer"] is None
    offering = await floor(hub_factory, "ben")
    ben, bot = await offering.peer("ben"), await offering.peer("bot")
    features = ["reply", "notes", "canned", "source_events", "offers", "series", "bot_csat", "targets"]
    assert ben.hello["features"] == features
    assert "offers" in bot.hello["features"]


async def test_metrics_count_offers_made_and_accepted_and_the_time_to_accept(hub_factory):
    hub = await floor(hub_factory, "ana", "ben")
    bot, ana, ben, lea = [await hub.peer(n) for n in ("bot", "ana", "ben", "lea")]
    handoff_id = await escalate(bot)
    await offered(ben, handoff_id, "ana")
    await ana.call("decline", handoff_id=handoff_id)
    await offered(ben, handoff_id, "ben")
    assert (await ben.call("claim", handoff_id=handoff_id))["ok"]
    figures = (await lea.call("metrics"))["data"]
    assert figures["offers"] == 2 and figures["offers_accepted"] == 1
    assert figures["offer_accept_s_avg"] is not None and 0 <= figures["offer_accept_s_avg"] < 10
    billing = figures["by_queue"]["billing"]
    assert (billing["offers"], billing["offers_accepted"]) == (2, 1)
    mine = (await ana.call("metrics"))["data"]
    assert (mine["offers"], mine["offers_accepted"], mine["offer_accept_s_avg"]) == (1, 0, None)
    pull = await hub_factory()
    pull.add_user("lea", "lead")
    plain = (await (await pull.peer("lea")).call("metrics"))["data"]
    assert (plain["offers"], plain["offers_accepted"], plain["offer_accept_s_avg"]) == (0, 0, None)


def test_user_add_stores_a_capacity(tmp_path, capsys):
    assert (
        main(
            [
                "hub",
                "user",
                "add",
                "ana",
                "--role",
                "agent",
                "--queues",
                "billing",
                "--capacity",
                "5",
                "--data",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert main(["hub", "user", "add", "ben", "--role", "agent", "--data", str(tmp_path)]) == 0
    store = Store(db.open_engine(tmp_path))
    store.open()
    try:
        assert {u.id: u.capacity for u in store.list_users()} == {"ana": 5, "ben": 3}
    finally:
        store.close()


async def test_a_store_of_the_previous_schema_is_upgraded_and_its_waiting_handoffs_are_offered(hub_factory):
    running = await hub_factory()
    running.add_user("ana", "agent", ("billing",))
    running.add_user("bot", "source")
    handoff_id = await escalate(await running.peer("bot"))
    await running.hub.stop()
    with sqlite3.connect(db.database_path(running.data_dir)) as raw:  # as the previous release left it
        raw.execute("DROP TABLE offers")
        raw.execute("DROP INDEX ix_handoffs_offer_expires_at")
        for column in ("priority", "tier", "offer_to", "offer_expires_at", "routing"):
            raw.execute(f"ALTER TABLE handoffs DROP COLUMN {column}")
        for column in ("capacity", "last_active_at"):
            raw.execute(f"ALTER TABLE users DROP COLUMN {column}")
        raw.execute("UPDATE handoffs SET data = json_remove(data, '$.offer')")
        raw.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    await restart(running, **OFFER)
    ana = await running.peer("ana")
    [shown] = ana.sync["frames"][0]["handoffs"]
    assert shown["id"] == handoff_id and "offer" in shown
    assert (await offered(ana, handoff_id, "ana"))["offer"]["round"] == 1  # she came on: offered
    with sqlite3.connect(db.database_path(running.data_dir)) as raw:
        version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        capacity = raw.execute("SELECT capacity FROM users WHERE id = 'ana'").fetchone()[0]
    assert version == str(SCHEMA_VERSION) and capacity == 3


@pytest.mark.parametrize("timeout", ["0", "-1"])
def test_serve_refuses_an_offer_timeout_that_is_not_positive(tmp_path, capsys, timeout):
    assert main(["hub", "serve", "--data", str(tmp_path), "--routing", "offer", "--offer-timeout", timeout]) == 2
    assert "--offer-timeout" in capsys.readouterr().err


async def test_offers_race_with_claims_and_every_agent_stays_within_capacity(hub_factory):
    hub = await floor(hub_factory, "ana", "ben", "cal", capacity=2)
    bot, lea = await hub.peer("bot"), await hub.peer("lea")
    agents = [await hub.peer(n) for n in ("ana", "ben", "cal")]
    ids = [await escalate(bot) for _ in range(8)]
    results = await asyncio.gather(*(a.call("claim", handoff_id=ids[i]) for i, a in enumerate(agents)))
    assert all(r["ok"] for r in results)
    await lea.call("presence", status="busy")  # a marker: every event before it has arrived
    state: dict[str, dict[str, Any]] = {}
    for event in lea.events:
        if event["kind"] in ("handoff.created", "handoff.updated"):
            state[event["data"]["id"]] = event["data"]
    load: dict[str, int] = {}
    for handoff in state.values():
        holder = handoff["assignee"] or (handoff["offer"] or {}).get("to")
        if holder:
            load[holder] = load.get(holder, 0) + 1
        assert not (handoff["assignee"] and handoff["offer"])  # a claimed handoff is offered to nobody
    assert all(count <= 2 for count in load.values()) and sum(load.values()) == 6
