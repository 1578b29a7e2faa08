"""The hub's triage over the wire: the same decisions as ``triage explain``, judged again after the
handoff, and a conversation that starts afresh after its handoff was resolved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_desk.triage import Triage
from agent_desk.triage.cli import explain
from agent_desk.triage.corpus import Case, read_cases, split_of
from tests.support.peers import Peer, message
from tests.support.triage_rules import marked_rules

CORPUS = Path(__file__).resolve().parents[1] / "data" / "triage_corpus"
OUTCOME = {"resolution": "resolved", "csat": 5, "escalation_feedback": "appropriate"}


def conversation(case: Case) -> dict:
    return {"id": case.id, "started_at": case.messages[0].at, "language": case.language, "channel": case.channel}


async def play(bot: Peer, case: Case) -> int | None:
    """Observe a labelled conversation message by message; the index it escalated at."""
    customer = {"id": case.customer.id, "name": case.customer.name, "tier": case.customer.tier}
    if case.customer.lifetime_value is not None:
        customer["lifetime_value"] = case.customer.lifetime_value
    escalated_at = None
    for index, (msg, attempt) in enumerate(case.turns()):
        fields = {
            "conversation": conversation(case),
            "customer": customer,
            "message": {"role": msg.role, "text": msg.text, "at": msg.at},
        }
        if attempt is not None:
            fields["attempt"] = {"step": attempt.step, "result": attempt.result, "at": attempt.at}
        result = await bot.call("observe", **fields)
        assert result["ok"], (case.id, result)
        if result["data"]["escalated"] and escalated_at is None:
            escalated_at = index
    return escalated_at


async def test_the_hub_decides_as_triage_explain_on_every_test_conversation(hub):
    cases = [c for c in read_cases(CORPUS) if split_of(c.id) == "test"]
    assert len(cases) >= 200
    bot = await hub.peer("bot")
    hub_at = {case.id: await play(bot, case) for case in cases}
    lea = await hub.peer("lea")  # its snapshot holds every handoff as the hub left it
    handoffs = {h["conversation_id"]: h for f in lea.sync["frames"] if f["type"] == "snapshot" for h in f["handoffs"]}
    triage = Triage()
    escalated = 0
    for case in cases:
        turns = list(case.turns())
        session, _ = explain(triage, case.customer, case.language, turns)
        decision = session.decision
        assert hub_at[case.id] == session.escalated_at_message, case.id
        if not decision.escalate:
            assert case.id not in handoffs, case.id
            continue
        escalated += 1
        handoff = handoffs[case.id]
        # Priority and reasons as they stand after every message; queue as when it escalated.
        assert handoff["priority"] == decision.priority, case.id
        assert {(r["trigger"], r.get("topic")) for r in handoff["reasons"]} == {
            (r.trigger, r.topic) for r in decision.reasons
        }, case.id
        at_handoff, _ = explain(triage, case.customer, case.language, turns[: session.escalated_at_message + 1])
        assert (handoff["queue"], handoff["category"]) == (at_handoff.decision.queue, at_handoff.decision.category), (
            case.id
        )
    assert escalated >= len(cases) // 3


@pytest.fixture
async def marked_hub(hub_factory, tmp_path):
    running = await hub_factory(triage_rules=marked_rules(tmp_path / "rules"))
    running.add_user("lea", "lead")
    running.add_user("ana", "agent", ("general", "orders", "billing"))
    running.add_user("bot", "source")
    return running


async def test_a_waiting_handoff_is_judged_again_and_its_priority_rises(marked_hub):
    bot = await marked_hub.peer("bot")
    lea = await marked_hub.peer("lea")
    conv = {"id": "quote-1", "started_at": "2026-11-20T10:00:00Z", "language": "en"}
    customer = {"id": "c-4", "name": "Greta Lindqvist", "tier": "standard"}
    await bot.call(
        "observe",
        conversation=conv,
        customer=customer,
        message=message("we would like a quote for 200 mugs", at="2026-11-20T10:00:01Z"),
    )
    await bot.call(
        "observe", conversation=conv, message=message("Our sales team prepares quotes.", "bot", "2026-11-20T10:00:03Z")
    )
    calm = await bot.call(
        "observe", conversation=conv, message=message("could a PERSON from sales call me?", at="2026-11-20T10:00:40Z")
    )
    assert calm["data"]["escalated"] is True
    created = (await lea.next_event("handoff.created"))["data"]
    assert created["priority"] == 4 and "customer is calm and wants a person" in created["brief"]

    angry = await bot.call(
        "observe",
        conversation=conv,
        message=message("NOBODY CALLED. I AM FURIOUS, GET ME A REAL PERSON NOW", at="2026-11-20T11:30:00Z"),
    )
    assert angry["ok"] and angry["data"]["escalated"] is True
    updated = (await lea.next_event("handoff.updated"))["data"]
    assert updated["id"] == created["id"] and updated["version"] == created["version"] + 1
    assert updated["priority"] == 2  # furious: anger beyond frustration
    assert {r["trigger"] for r in updated["reasons"]} == {"explicit_request", "negative_sentiment"}
    assert updated["sentiment"]["compound"] < 0 and "customer is angry and wants a person" in updated["brief"]
    assert updated["transcript"][-1]["text"].startswith("NOBODY CALLED")
    assert next(r for r in updated["reasons"] if r["trigger"] == "negative_sentiment")["message_index"] == 3

    # Calmer words later never lower the priority.
    await bot.call("observe", conversation=conv, message=message("ok, SOLVED, sorry", at="2026-11-20T11:31:00Z"))
    added = await lea.next_event()
    data = added["data"]
    handoff = data if added["kind"] == "handoff.updated" else None
    if handoff is not None:
        assert handoff["priority"] == 2
    else:
        assert added["kind"] == "message.added" and data["message"]["text"] == "ok, SOLVED, sorry"
    status = await bot.call("status", conversation_id="quote-1")
    assert status["data"]["escalated"] is True


async def test_a_resolved_conversation_does_not_escalate_again_on_thanks(marked_hub):
    bot = await marked_hub.peer("bot")
    ana = await marked_hub.peer("ana")
    conv = {"id": "plug-1", "started_at": "2026-11-20T10:00:00Z", "language": "en"}
    customer = {"id": "c-5", "name": "Omar Haddad", "tier": "standard"}
    steps = [
        ("my smart plug won't pair", None),
        ("Hold the button for 5 seconds.", "reset_button"),
        ("ok done", None),
        ("Move it closer to the router.", "move_closer"),
    ]
    results = []
    for number, (text, step) in enumerate(steps):
        at = f"2026-11-20T10:00:{number * 10:02d}Z"
        fields = {
            "conversation": conv,
            "customer": customer,
            "message": message(text, "bot" if step else "customer", at),
        }
        if step:
            fields["attempt"] = {"step": step, "result": "failed", "at": at}
        results.append(await bot.call("observe", **fields))
    assert [r["data"]["escalated"] for r in results] == [False, False, False, True]
    handoff_id = results[-1]["data"]["handoff_id"]
    assert (await ana.call("claim", handoff_id=handoff_id))["ok"]
    assert (await ana.call("resolve", handoff_id=handoff_id, outcome=OUTCOME))["ok"]

    thanks = await bot.call(
        "observe", conversation=conv, message=message("thanks, it works now!", at="2026-11-20T10:09:00Z")
    )
    assert thanks["ok"] and thanks["data"] == {"escalated": False}
    status = await bot.call("status", conversation_id="plug-1")
    assert status["data"] == {"escalated": False}
    # A new problem in the same conversation is a new watch: one failure is not two.
    again = await bot.call(
        "observe",
        conversation=conv,
        message=message("Try unplugging it.", "bot", "2026-11-20T10:10:00Z"),
        attempt={"step": "unplug", "result": "failed", "at": "2026-11-20T10:10:00Z"},
    )
    assert again["data"] == {"escalated": False}


async def test_a_failed_step_the_customer_also_reports_counts_once_in_the_hub(marked_hub):
    bot = await marked_hub.peer("bot")
    conv = {"id": "app-1", "started_at": "2026-11-20T10:00:00Z", "language": "en"}
    turns = [
        {"message": message("the app crashes on start", at="2026-11-20T10:00:01Z")},
        {
            "message": message("Please reinstall it.", "bot", "2026-11-20T10:00:05Z"),
            "attempt": {"step": "reinstall", "result": "failed", "at": "2026-11-20T10:00:05Z"},
        },
        {"message": message("NOTWORKING, it still crashes", at="2026-11-20T10:00:40Z")},
    ]
    for turn in turns:
        result = await bot.call("observe", conversation=conv, **turn)
        assert result["data"] == {"escalated": False}


async def test_escalate_pairs_steps_with_messages_and_keeps_them_for_later_messages(marked_hub):
    bot = await marked_hub.peer("bot")
    lea = await marked_hub.peer("lea")
    body = {
        "conversation": {
            "id": "esc-1",
            "started_at": "2026-11-20T10:00:00Z",
            "language": "en",
            "messages": [
                message("the router drops every hour", at="2026-11-20T10:00:01Z"),
                message("Restart it please.", "bot", "2026-11-20T10:00:10Z"),
                message("did that", at="2026-11-20T10:00:30Z"),
            ],
        },
        "customer": {"id": "c-6", "name": "Aisha Bello", "tier": "standard"},
        "attempts": [{"step": "restart_router", "result": "failed", "at": "2026-11-20T10:00:11Z"}],
    }
    result = await bot.call("escalate", **body)
    assert result["ok"] and result["data"]["reasons"] == [
        {"trigger": "source_decision", "detail": "The bot platform handed this conversation over."}
    ]
    created = (await lea.next_event("handoff.created"))["data"]
    assert created["attempts"][0]["step"] == "restart_router"
    # One more failed turn, said by the customer after the handoff: now two bot turns failed.
    await bot.call(
        "observe", conversation={"id": "esc-1"}, message=message("Check the cable.", "bot", "2026-11-20T10:01:00Z")
    )
    await bot.call(
        "observe", conversation={"id": "esc-1"}, message=message("NOTWORKING either", at="2026-11-20T10:01:30Z")
    )
    updated = None
    while updated is None:
        event = await lea.next_event()
        if event["kind"] == "handoff.updated":
            updated = event["data"]
    triggers = [r["trigger"] for r in updated["reasons"]]
    assert triggers == ["source_decision", "repeated_failure"]
    assert "restart router" in updated["reasons"][1]["detail"]


async def test_a_store_of_schema_one_is_upgraded_and_keeps_its_conversations(tmp_path):
    import sqlite3

    from agent_desk.hub import db
    from agent_desk.hub.models import SCHEMA_VERSION
    from agent_desk.hub.store import Store

    data = tmp_path / "hub"
    store = Store(db.open_engine(data))
    store.open()
    store.close()
    path = db.database_path(data)
    raw = sqlite3.connect(path)
    raw.execute("ALTER TABLE conversations DROP COLUMN overrides")
    raw.execute("ALTER TABLE conversations DROP COLUMN segments")
    raw.execute(
        "INSERT INTO conversations (source, id, started_at, customer, messages, attempts, watch_from) "
        "VALUES ('bot', 'old-1', '2026-11-01T10:00:00Z', '{}', ?, '[]', 0)",
        (json.dumps([message("hello")]),),
    )
    raw.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    raw.commit()
    raw.close()
    store = Store(db.open_engine(data))
    store.open()
    store.close()
    raw = sqlite3.connect(path)
    row = raw.execute("SELECT overrides, segments, messages FROM conversations WHERE id = 'old-1'").fetchone()
    version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    raw.close()
    assert row[0] == "[]" and row[1] == "[]" and json.loads(row[2])[0]["text"] == "hello"
    assert version == str(SCHEMA_VERSION)
