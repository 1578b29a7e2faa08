"""The escalation policy: what each reason means for priority, category, mood and brief.

These tests fix the model's say with the operator overrides of a rules file and a model that
never fires by itself, so they pin the policy, not the model (the model is judged on the corpus,
in test_triage_eval.py): see tests/support/triage_rules.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent_desk.triage import Attempt, Customer, Message, Triage, load_rules, pair_attempts
from agent_desk.triage._paths import default_rules_path
from agent_desk.triage.brief import CATEGORY_PHRASES
from tests.support.triage_rules import marked_rules

AT = "2026-11-20T10:00:00Z"


@pytest.fixture(scope="module")
def triage(tmp_path_factory: pytest.TempPathFactory) -> Triage:
    return Triage(load_rules(marked_rules(tmp_path_factory.mktemp("rules"))))


def run(triage, turns, tier="standard", name="Alex Morgan", ltv=None):
    """Feed (role, text[, step result[, step]]) turns; returns (decision, index it escalated at)."""
    session = triage.conversation(Customer("c-1", name, tier, ltv), "en")
    for role, text, *step in turns:
        attempt = Attempt(step[1] if len(step) > 1 else "troubleshoot", step[0], AT) if step else None
        session.add_message(Message(role, text, AT), attempt)
    return session.decision, session.escalated_at_message


def triggers(decision):
    return {r.trigger for r in decision.reasons}


def test_a_conversation_with_nothing_wrong_stays_with_the_bot(triage):
    decision, at = run(
        triage,
        [
            ("customer", "where is my order?"),
            ("bot", "It arrives Thursday.", "succeeded"),
            ("customer", "SOLVED thanks"),
        ],
    )
    assert at is None and not decision.reasons and decision.mood == "calm"
    assert decision.brief.endswith("customer is calm.")


@pytest.mark.parametrize(
    ("text", "trigger", "category", "queue", "priority"),
    [
        ("the heater HURT my son", "sensitive_topic", "safety", "compliance", 1),
        ("my LAWYER will write to you", "sensitive_topic", "legal", "compliance", 1),
        ("tell me what MYDATA you hold", "sensitive_topic", "privacy", "compliance", 2),
        ("I DISPUTE this charge", "sensitive_topic", "billing_dispute", "billing", 2),
        ("I am LEAVING you at the end of the month", "sensitive_topic", "cancellation", "retention", 3),
        ("GRIEVING, my mother died", "negative_sentiment", "general", "general", 2),
        ("so ANNOYED with this", "negative_sentiment", "general", "general", 3),
        ("SEVERAL things are wrong", "multi_issue", "general", "general", 3),
    ],
)
def test_each_reason_has_its_priority_category_and_queue(triage, text, trigger, category, queue, priority):
    decision, at = run(triage, [("customer", text)])
    assert at == 0 and trigger in triggers(decision)
    assert (decision.category, decision.queue, decision.priority) == (category, queue, priority)


def test_asking_for_a_person_is_ordinary_with_a_problem_and_calm_without(triage):
    with_problem, _ = run(
        triage, [("customer", "my parcel is DENTED"), ("bot", "Sorry to hear that."), ("customer", "a PERSON please")]
    )
    calm, _ = run(
        triage,
        [
            ("customer", "we'd like a quote for 200 mugs"),
            ("bot", "Sales prepares quotes."),
            ("customer", "could a PERSON from sales call me next week"),
        ],
    )
    assert with_problem.priority == 3 and calm.priority == 4
    assert "customer is calm and wants a person" in calm.brief


def test_the_customers_tier_ranks_but_does_not_make_a_case_urgent(triage):
    turns = [("customer", "my parcel is DENTED and late"), ("bot", "Sorry!"), ("customer", "a PERSON please")]
    standard, _ = run(triage, turns, tier="standard")
    vip, _ = run(triage, turns, tier="vip", name="Dana Whitfield")
    assert standard.priority == vip.priority == 3
    assert vip.queue == "vip" and standard.queue != "vip"
    assert "high_value" in triggers(vip) and "high_value" not in triggers(standard)


def test_a_high_value_customer_leaving_is_priority_one_an_ordinary_one_is_not(triage):
    leaving = [("customer", "we are LEAVING at renewal unless someone senior calls us")]
    assert run(triage, leaving, tier="vip")[0].priority == 1
    assert run(triage, leaving, tier="standard", ltv=2500.0)[0].priority == 1
    assert run(triage, leaving, tier="standard", ltv=200.0)[0].priority == 3


def test_a_high_value_customer_needs_a_problem_not_just_a_question(triage):
    _question, at = run(
        triage,
        [("customer", "what are your opening hours?"), ("bot", "9 to 5."), ("customer", "thank you")],
        tier="vip",
    )
    assert at is None
    problem, at = run(
        triage, [("customer", "the 12 bottles (1,400 EUR) for our gala tonight arrived DENTED")], tier="vip"
    )
    assert at == 0 and triggers(problem) == {"high_value"} and problem.priority == 3
    # A milder problem gets the bot's one try first: settled, it stays; not settled, it goes.
    _settled, at = run(
        triage,
        [
            ("customer", "my parcel is DENTED at the corner"),
            ("bot", "A new one ships today."),
            ("customer", "SOLVED, thank you"),
        ],
        tier="vip",
    )
    assert at is None
    unsettled, at = run(
        triage,
        [
            ("customer", "my parcel is DENTED at the corner"),
            ("bot", "A new one ships today."),
            ("customer", "I need it for tomorrow morning"),
        ],
        tier="vip",
    )
    assert at == 2 and triggers(unsettled) == {"high_value"}
    amount, at = run(triage, [("customer", "my laptop (2,399 EUR) arrived DENTED")])
    assert at == 0 and "high_value" in triggers(amount)
    assert "2,399" in next(r.detail for r in amount.reasons if r.trigger == "high_value")


def test_two_failed_bot_turns_escalate_and_name_the_steps(triage):
    decision, at = run(
        triage,
        [
            ("customer", "my smart plug won't pair"),
            ("bot", "Hold the button for 5 seconds.", "failed", "reset_button"),
            ("customer", "ok"),
            ("bot", "Please move it closer to the router.", "failed", "move_closer"),
        ],
    )
    assert at == 3 and triggers(decision) == {"repeated_failure"}
    assert "reset button" in decision.reasons[0].detail and "move closer" in decision.reasons[0].detail
    assert "bot tried reset button and move closer without success" in decision.brief
    assert decision.mood == "frustrated"


def test_a_failed_step_the_customer_also_reports_counts_once(triage):
    decision, at = run(
        triage,
        [
            ("customer", "the app crashes"),
            ("bot", "Please reinstall it.", "failed", "reinstall"),
            ("customer", "NOTWORKING, still crashes"),
        ],
    )
    assert at is None, decision.reasons
    # The same failure sent as a step with the customer's message (as `observe` may send it).
    session = triage.conversation(Customer("c-1", "Alex Morgan"), "en")
    session.add_message(Message("customer", "the app crashes", AT))
    session.add_message(Message("bot", "Please reinstall it.", AT))
    session.add_message(Message("customer", "NOTWORKING, still crashes", AT), Attempt("reinstall", "failed", AT))
    assert session.escalated_at_message is None
    # A second failure does escalate.
    decision, at = run(
        triage,
        [
            ("customer", "the app crashes"),
            ("bot", "Please reinstall it.", "failed", "reinstall"),
            ("customer", "NOTWORKING, still crashes"),
            ("bot", "Please restart your phone."),
            ("customer", "NOTWORKING either"),
        ],
    )
    assert at == 4 and "repeated_failure" in triggers(decision)


def test_a_bot_that_repeats_itself_is_a_failed_turn(triage):
    decision, at = run(
        triage,
        [
            ("customer", "the discount code SPRING20 is rejected"),
            ("bot", "You can enter discount codes on the payment page."),
            ("customer", "I did, it says invalid"),
            ("bot", "You can enter discount codes on the payment page."),
        ],
    )
    assert at == 3 and "repeated_failure" in triggers(decision)
    assert decision.reasons[0].message_index == 3


def test_a_customer_who_has_to_say_it_again_is_a_failed_turn(triage):
    decision, at = run(
        triage,
        [
            ("customer", "I need the invoice for March sent to accounting"),
            ("bot", "Here is our FAQ about invoices."),
            ("customer", "I need the invoice for March sent to accounting please"),
            ("bot", "Invoices can be found in your account."),
            ("customer", "NOTWORKING, the March one is not there"),
        ],
    )
    assert at == 4 and "repeated_failure" in triggers(decision)


def test_steps_sent_apart_are_paired_with_their_messages_once_each():
    messages = [
        Message("customer", "a", "2026-11-20T10:00:00Z"),
        Message("bot", "b", "2026-11-20T10:00:10Z"),
        Message("customer", "c", "2026-11-20T10:00:20Z"),
        Message("bot", "d", "2026-11-20T10:00:30Z"),
    ]
    first = Attempt("one", "failed", "2026-11-20T10:00:11Z")
    second = Attempt("two", "failed", "2026-11-20T10:00:31Z")
    untimed = Attempt("three", "failed", "")
    paired = pair_attempts(messages, [second, untimed, first])
    assert [a.step if a else None for _, a in paired] == ["three", "one", None, "two"] or [
        a.step if a else None for _, a in paired
    ] == [None, "three", "one", "two"]
    assert sorted(a.step for _, a in paired if a) == ["one", "three", "two"]


def test_mood_brief_and_reasons_never_disagree(triage):
    cases = [
        [("customer", "so ANNOYED, this is the third time")],
        [("customer", "GRIEVING, my father died and the bills keep coming")],
        [("customer", "I want to cancel this order"), ("bot", "Done."), ("customer", "SOLVED thanks")],
        [("customer", "my LAWYER friend recommended you"), ("bot", "Nice!"), ("customer", "a PERSON please")],
    ]
    for turns in cases:
        decision, _ = run(triage, turns)
        topics = {r.topic for r in decision.reasons if r.topic}
        negative = "negative_sentiment" in triggers(decision)
        assert (decision.mood in ("angry", "frustrated", "distressed")) == (
            negative or "repeated_failure" in triggers(decision)
        )
        assert f"customer is {decision.mood}" in decision.brief
        for category in ("cancellation", "legal", "safety", "privacy", "billing_dispute"):
            if CATEGORY_PHRASES[category] in decision.brief:
                assert category in topics, decision.brief
        for reason in decision.reasons:
            if reason.trigger == "negative_sentiment":
                assert reason.score is not None and reason.score <= -0.3


def test_every_reason_carries_its_message_score_and_quote(triage):
    decision, _ = run(triage, [("customer", "hello"), ("bot", "Hi!"), ("customer", "I DISPUTE this, a PERSON now")])
    assert {r.trigger for r in decision.reasons} == {"sensitive_topic", "explicit_request"}
    for reason in decision.reasons:
        wire = reason.to_dict()
        assert wire["message_index"] == 2 and wire["quote"] == "I DISPUTE this, a PERSON now"
        assert "score" in wire


def test_brief_is_one_short_sentence_never_cut_mid_word(triage):
    long_name = "Maximiliane Alexandra von Hohenzollern-Sigmaringen-Wittelsbach"
    decision, _ = run(
        triage,
        [
            ("customer", "x " * 400 + "PERSON"),
            ("bot", "Could you try again?", "failed", "reset_account_preferences_and_cache"),
            ("bot", "Once more?", "failed", "apologise_and_offer_a_voucher_for_next_time"),
        ],
        tier="premium",
        name=long_name,
    )
    brief = decision.brief
    assert len(brief) <= 160 and brief.endswith(".") and brief[0].isupper() and "  " not in brief
    words = set(re.findall(r"[\w'-]+", brief))
    source = " ".join(
        [
            long_name,
            "x premium bot bot's tried and without success fixes failed could not help customer is",
            "frustrated wants a person writes reset account preferences cache apologise offer voucher for",
            "next time",
            *CATEGORY_PHRASES.values(),
        ]
    )
    assert words <= set(re.findall(r"[\w'-]+", source.replace("_", " ")))


def test_the_shipped_rules_file_reads_and_routes_to_the_documented_queues():
    triage = Triage()
    assert {"billing", "technical", "orders", "retention", "compliance", "general", "vip"} <= set(triage.queues)
    assert Path(triage.rules.source) == default_rules_path()
