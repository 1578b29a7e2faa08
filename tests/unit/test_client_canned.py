"""Saved replies: placeholders filled as the protocol names them, and the opening line."""

from __future__ import annotations

from typing import Any

import pytest

from agent_desk.client.canned import fill_placeholders, first_order_number, opening_line, replies_from_wire
from agent_desk.client.surface import CannedReply


def _handoff(**changes: Any) -> dict[str, Any]:
    handoff: dict[str, Any] = {
        "id": "h1",
        "queue": "orders",
        "category": "orders",
        "customer": {"id": "c1", "name": "Dana Whitfield", "tier": "vip"},
        "attempts": [{"step": "track_parcel", "result": "failed", "at": "2026-12-05T10:00:00Z"}],
        "transcript": [
            {"index": 0, "role": "customer", "text": "Where is my parcel?", "at": "2026-12-05T10:00:00Z"},
            {"index": 1, "role": "bot", "text": "Which order is it?", "at": "2026-12-05T10:00:05Z"},
            {"index": 2, "role": "customer", "text": "Order #4521, and #9999 too", "at": "2026-12-05T10:00:09Z"},
        ],
    }
    handoff.update(changes)
    return handoff


def test_every_named_placeholder_is_filled() -> None:
    text = "Hi {customer_first_name} ({customer_name}), {agent_name} here about order {order}."
    assert fill_placeholders(text, _handoff(), "anna") == "Hi Dana (Dana Whitfield), Anna here about order 4521."
    assert fill_placeholders("{agent_name}", _handoff(), "Anna-Lena McKay") == "Anna-Lena McKay"


def test_an_unknown_or_unfillable_placeholder_stays_as_written() -> None:
    handoff = _handoff(transcript=[{"index": 0, "role": "customer", "text": "hello", "at": "2026-12-05T10:00:00Z"}])
    assert fill_placeholders("Order {order} for {nickname}", handoff, "Anna") == "Order {order} for {nickname}"


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("my order B-1001 never came", "B-1001"),
        ("it's #A1234567", "A1234567"),
        ("order number 88812 please", "88812"),
        ("I paid 20 euros", None),
    ],
)
def test_the_first_order_number_is_found_as_customers_write_it(text: str, order: str | None) -> None:
    assert first_order_number([{"role": "customer", "text": text}]) == order


def test_a_note_is_not_read_for_the_order_number() -> None:
    transcript = [{"role": "note", "text": "see #7777"}, {"role": "customer", "text": "order 1234"}]
    assert first_order_number(transcript) == "1234"


def test_the_opening_line_names_the_customer_agent_topic_and_order() -> None:
    assert opening_line(_handoff(), "anna") == (
        "Hi Dana, I'm Anna. I see you've been troubleshooting a problem with your order (#4521) with our "
        "assistant. Let me take it from here."
    )


def test_the_opening_line_meets_a_distressed_customer_with_an_apology_not_a_summary() -> None:
    upset = _handoff(reasons=[{"trigger": "negative_sentiment", "detail": "sad", "score": -0.7}])
    assert opening_line(upset, "Anna") == (
        "Hi Dana, I'm Anna. I've read everything you told our assistant, and I'm sorry you've had to deal "
        "with this. I'll take it from here."
    )
    assert "sorry" in opening_line(_handoff(sentiment={"compound": -0.8, "trend": 0.0}), "Anna")


def test_the_opening_line_does_without_what_it_does_not_know() -> None:
    line = opening_line({"id": "h", "queue": "misc", "transcript": []}, "")
    assert (
        line
        == "Hi, I've read your conversation so far, so there's no need to repeat anything. Let me take it from here."
    )


def test_a_list_from_the_hub_keeps_only_well_formed_replies_sorted_by_title() -> None:
    replies = replies_from_wire(
        [
            {"id": "2", "title": "refund", "text": "Refund is on its way", "queues": ["billing"]},
            {"id": "1", "title": "Apology", "text": "Sorry, {customer_first_name}", "queues": []},
            {"id": 3, "title": "broken"},
            "nonsense",
        ]
    )
    assert replies == (
        CannedReply("1", "Apology", "Sorry, {customer_first_name}"),
        CannedReply("2", "refund", "Refund is on its way", ("billing",)),
    )
    assert replies[1].fits("billing") and not replies[1].fits("orders") and replies[0].fits("orders")


def test_the_opening_line_speaks_the_customers_language() -> None:
    french = _handoff(language="fr", customer={"id": "c2", "name": "Camille Laurent", "tier": "premium"})
    assert opening_line(french, "anna") == (
        "Bonjour Camille, je m'appelle Anna. J'ai lu toute votre conversation avec notre assistant, inutile de "
        "répéter quoi que ce soit. Je prends le relais."
    )
    upset = _handoff(language="de-AT", sentiment={"compound": -0.9, "trend": 0.0})
    assert opening_line(upset, "") == (
        "Hallo Dana. Ich habe Ihr ganzes Gespräch mit unserem Assistenten gelesen, Sie müssen nichts "
        "wiederholen. Es tut mir leid, dass Sie das durchmachen müssen. Ich übernehme ab hier."
    )
    assert opening_line(_handoff(language="ja"), "Anna").startswith("Hi Dana, I'm Anna.")  # English otherwise


def test_a_complaint_or_a_safety_issue_is_named_as_raised_not_as_troubleshot() -> None:
    complaint = opening_line(_handoff(category="compliance"), "Anna")
    assert complaint == (
        "Hi Dana, I'm Anna. I see you've raised a formal complaint, and I'm taking it seriously. "
        "Let me take it from here."
    )
    assert "troubleshooting" not in opening_line(_handoff(category="safety"), "Anna")
