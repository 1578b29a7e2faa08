"""Triage on hand-written conversations: what escalates, how urgent, where to, and why."""

from __future__ import annotations

import re

import pytest

from agent_desk.triage import Attempt, Customer, Message, Triage, message_sentiment

AT = "2026-11-20T10:00:00Z"
triage = Triage()


def run(turns, tier="standard", name="Alex Morgan", ltv=None, language=None):
    """Feed (role, text[, attempt result]) turns; returns (decision, index it escalated at)."""
    session = triage.conversation(Customer("c-1", name, tier, ltv), language)
    first = None
    for index, turn in enumerate(turns):
        role, text = turn[0], turn[1]
        attempt = Attempt(turn[3] if len(turn) > 3 else "troubleshoot", turn[2], AT) if len(turn) > 2 else None
        decision = session.add_message(Message(role, text, AT), attempt)
        if decision.escalate and first is None:
            first = index
    return session.decision, first


def triggers(decision):
    return {r.trigger for r in decision.reasons}


@pytest.mark.parametrize(
    "text",
    [
        "can i talk to a real person please",
        "I want to speak with your manager",
        "AGENT",
        "humna please",
        "get me an operator",
        "put me through to someone who can actually help",
        "Ich möchte bitte mit einem Mitarbeiter sprechen",
        "Quiero hablar con una persona",
        "Je voudrais parler à un conseiller",
        "kann ich mit nem menschen reden",
    ],
)
def test_asking_for_a_person_escalates_at_once(text):
    decision, at = run([("customer", "My router drops the connection every hour"),
                        ("bot", "Let's restart it.", "unknown"), ("customer", text)])
    assert at == 2 and "explicit_request" in triggers(decision)
    reason = next(r for r in decision.reasons if r.trigger == "explicit_request")
    assert reason.message_index == 2 and text[:20] in reason.detail


@pytest.mark.parametrize(
    "text",
    [
        "I work in human resources and need a copy of last month's invoice",
        "are you a bot? just curious. anyway, where is my order?",
        "where do I enter my affiliate agent code?",
        "the person who delivered it was lovely, thanks",
    ],
)
def test_look_alikes_of_a_request_for_a_person_do_not_escalate(text):
    decision, at = run([("customer", text), ("bot", "Sure, here you go."), ("customer", "great, thanks!")])
    assert at is None, decision.reasons


def test_a_bot_doing_its_job_is_left_alone():
    for turns in (
        [("customer", "where is my order #A-10293?"), ("bot", "It arrives Thursday.", "succeeded", "lookup"),
         ("customer", "perfect, thank you")],
        [("customer", "forgot my password"), ("bot", "I sent a reset link.", "succeeded", "reset"),
         ("customer", "got it, works now")],
        [("customer", "ugh, the app keeps logging me out"), ("bot", "Update to 5.2 please."),
         ("customer", "ok that fixed it, thanks")],
        [("customer", "Wo ist mein Paket?"), ("bot", "Es kommt morgen."), ("customer", "Super, danke!")],
    ):
        decision, at = run(turns)
        assert at is None, decision.reasons


def test_anger_after_the_bot_answered_escalates_with_a_readable_reason():
    decision, at = run([
        ("customer", "my order never arrived"),
        ("bot", "Parcels are sometimes left with neighbours."),
        ("customer", "I checked. This is absolutely ridiculous, worst service ever!!"),
    ])
    assert at == 2 and "negative_sentiment" in triggers(decision)
    assert decision.sentiment.compound < -0.6
    assert message_sentiment("Das ist eine Frechheit, ich bin wütend!") < -0.6
    assert message_sentiment("Bitte schicken Sie die Lieferung an die Packstation") > -0.3


def test_two_failed_bot_attempts_or_a_loop_escalate():
    decision, at = run([
        ("customer", "my smart plug won't pair"),
        ("bot", "Hold the button for 5 seconds.", "failed", "reset_button"),
        ("customer", "ok"),
        ("bot", "Please move it closer to the router.", "failed", "move_closer"),
    ])
    assert at == 3 and "repeated_failure" in triggers(decision)
    assert "reset button" in next(r for r in decision.reasons if r.trigger == "repeated_failure").detail
    looped, at = run([
        ("customer", "the discount code SPRING20 is rejected"),
        ("bot", "You can enter discount codes on the payment page."),
        ("customer", "I did, it says invalid"),
        ("bot", "You can enter discount codes on the payment page."),
    ])
    assert at == 3 and "repeated_failure" in triggers(looped)


@pytest.mark.parametrize(
    ("text", "category", "queue", "priority"),
    [
        ("my charger started smoking and burned the carpet", "safety", "compliance", 1),
        ("if this isn't fixed I will take you to small claims court", "legal", "compliance", 1),
        ("please delete all my personal data under GDPR", "privacy", "compliance", 2),
        ("you charged my card twice for the same order", "billing_dispute", "billing", 2),
        ("I want to cancel my subscription today", "cancellation", "retention", 3),
        ("Me cobraron dos veces el pedido", "billing_dispute", "billing", 2),
        ("Je veux résilier mon abonnement", "cancellation", "retention", 3),
        ("Der Wasserkocher hat gequalmt und der Stecker ist geschmolzen", "safety", "compliance", 1),
    ],
)
def test_sensitive_topics_route_by_category(text, category, queue, priority):
    decision, at = run([("customer", text)])
    assert at == 0 and "sensitive_topic" in triggers(decision)
    assert (decision.category, decision.queue, decision.priority) == (category, queue, priority)


def test_not_cancelling_and_cancelling_an_order_are_not_retention_cases():
    for text in ("I'm not going to cancel my subscription, just move the renewal date",
                 "can I cancel my order #A-1234 before it ships?"):
        decision, _ = run([("customer", text), ("bot", "Sure, done."), ("customer", "thanks")])
        assert "sensitive_topic" not in triggers(decision)


def test_vip_with_a_real_problem_goes_to_the_vip_queue_but_not_a_trivial_question():
    decision, at = run([("customer", "the 12 bottles for our gala haven't arrived, order #A-90001")], tier="vip",
                       name="Dana Whitfield")
    assert at == 0 and "high_value" in triggers(decision) and decision.queue == "vip"
    assert decision.priority <= 2
    quiet, at = run([("customer", "what are your opening hours on Saturday?"),
                     ("bot", "9:00 to 17:00."), ("customer", "thank you")], tier="vip")
    assert at is None
    legal, _ = run([("customer", "my lawyer will contact you about this contract")], tier="vip")
    assert legal.queue == "compliance"  # compliance matters stay with compliance


def test_a_large_amount_at_stake_is_high_value():
    decision, at = run([("customer", "My order #A-77310 (laptop, 2,399 EUR) shows delivered but I never got it")])
    assert at == 0 and "high_value" in triggers(decision)


def test_several_issues_at_once():
    decision, at = run([("customer", "two things: my parcel is late and I was billed for express shipping")])
    assert at == 0 and "multi_issue" in triggers(decision)


def test_priority_combines_triggers_and_tier():
    plain, _ = run([("customer", "my wifi keeps dropping"), ("bot", "Restart it."),
                    ("customer", "can I talk to a person")])
    vip, _ = run([("customer", "my wifi keeps dropping"), ("bot", "Restart it."),
                  ("customer", "can I talk to a person")], tier="vip")
    assert plain.priority == 3 and vip.priority == 2


def test_language_is_detected_for_routing():
    decision, _ = run([("customer", "Bonjour, je ne reçois pas mes factures, c'est pour mon entreprise")])
    assert decision.language == "fr"
    decision, _ = run([("customer", "ok")], language="pt-BR")
    assert decision.language == "pt-BR"


BRIEF_CASES = [
    ([("customer", "I was charged twice for order #A-1029"), ("bot", "I re-sent the receipt.", "failed", "resend_receipt"),
      ("customer", "I don't want a receipt, I want a human now!")], "vip", "Dana Whitfield"),
    ([("customer", "x " * 400)], "standard", "Maximiliane Alexandra von Hohenzollern-Sigmaringen-Wittelsbach"),
    ([("customer", "my lawyer will be in touch"), ("bot", "Sorry to hear.", "failed", "apologise_and_offer_voucher"),
      ("bot", "Could you try again?", "failed", "reset_account_preferences_and_clear_cached_credentials")],
     "premium", "Bartholomew Fitzgerald-Worthington"),
]


@pytest.mark.parametrize(("turns", "tier", "name"), BRIEF_CASES)
def test_brief_is_one_short_sentence_never_cut_mid_word(turns, tier, name):
    decision, _ = run(turns, tier=tier, name=name)
    brief = decision.brief
    assert len(brief) <= 160 and brief.endswith(".") and brief[0].isupper() and "  " not in brief
    # Every word is whole: it comes from the name, the steps, the customer's words or the templates.
    from agent_desk.triage import brief as brief_module

    source = " ".join([name, *(t[3] if len(t) > 3 else "troubleshoot" for t in turns if len(t) > 2),
                       *brief_module.CATEGORY_PHRASES.values(), *(p for _, p in brief_module.SITUATIONS),
                       "VIP premium bot tried and without success bot's fixes failed answers did not help",
                       "could customer is calm frustrated angry wants a person on order #A-1029 writes",
                       *(t[1] for t in turns if t[0] == "customer")])
    vocabulary = set(re.findall(r"[\w#'-]+", source.replace("_", " ")))
    assert set(re.findall(r"[\w#'-]+", brief)) <= vocabulary


def test_brief_says_who_what_what_the_bot_tried_and_the_mood():
    decision, _ = run(BRIEF_CASES[0][0], tier="vip", name="Dana Whitfield")
    assert decision.brief == (
        "Dana Whitfield (VIP) was charged twice on order #A-1029; bot tried resend receipt "
        "without success; customer is calm and wants a person."
    )


def test_brief_quotes_the_customer_when_nothing_more_specific_is_known():
    decision, _ = run([("customer", "hi"), ("customer", "the discount code SPRING20 doesn't work at checkout"),
                       ("bot", "Codes go on the payment page."), ("customer", "can I talk to a person")])
    assert decision.brief == (
        'Alex Morgan writes "the discount code SPRING20 doesn\'t work at checkout"; '
        "customer is calm and wants a person."
    )
