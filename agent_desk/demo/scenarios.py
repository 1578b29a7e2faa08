"""Realistic bot conversations for the demo: who writes what, and what the bot tries.

Each scenario is a script of customer and bot turns with placeholders filled per customer, so
the simulator produces varied conversations; the hub's triage decides which reach a person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (name, tier, language, lifetime value)
CUSTOMERS: tuple[tuple[str, str, str, float], ...] = (
    ("Dana Whitfield", "vip", "en", 18400.0),
    ("Omar Haddad", "standard", "en", 640.0),
    ("Lucía Fernández", "premium", "es", 3900.0),
    ("Tyler Brooks", "free", "en", 0.0),
    ("Mei Tanaka", "standard", "en", 1220.0),
    ("Jonas Becker", "standard", "de", 880.0),
    ("Camille Laurent", "premium", "fr", 5150.0),
    ("Priya Raman", "vip", "en", 26900.0),
    ("Sam O'Connor", "free", "en", 45.0),
    ("Greta Lindqvist", "standard", "en", 310.0),
    ("Mateo Rossi", "standard", "es", 770.0),
    ("Anneke de Vries", "premium", "en", 4300.0),
    ("Hannah Schulz", "premium", "de", 2600.0),
    ("Louis Moreau", "standard", "fr", 520.0),
    ("Aisha Bello", "standard", "en", 1490.0),
    ("Ravi Kapoor", "free", "en", 12.0),
)
CHANNELS = ("web_chat", "app", "whatsapp", "messenger")


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # customer | bot
    text: str
    step: str | None = None  # a bot troubleshooting step taken with this turn
    result: str | None = None  # succeeded | failed | unknown


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    languages: tuple[str, ...]
    turns: tuple[Turn, ...]
    #: Customer messages sent if the conversation was handed over (they keep writing).
    after_handoff: tuple[str, ...] = ()
    weight: float = 1.0
    resolved_by_bot: bool = True


def C(text: str) -> Turn:
    return Turn("customer", text)


def B(text: str, step: str | None = None, result: str | None = None) -> Turn:
    return Turn("bot", text, step, result)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("order_status", ("en",), (
        C("hi, where is my order {order}?"),
        B("Let me check that for you.", "lookup_order", "succeeded"),
        B("Order {order} left our warehouse yesterday and arrives on Thursday."),
        C("great, thanks!"),
        B("You're welcome! Anything else I can help with?"),
    ), weight=3),
    Scenario("password_reset", ("en",), (
        C("I can't log in, forgot my password"),
        B("I've sent a reset link to your email address.", "send_reset_link", "succeeded"),
        C("got it, worked. thank you"),
    ), weight=2),
    Scenario("faq_hours", ("en",), (
        C("what are your opening hours on saturday?"),
        B("Our support line is open 9:00-17:00 on Saturdays."),
        C("perfect"),
    ), weight=2),
    Scenario("mild_annoyance_solved", ("en",), (
        C("ugh, the app keeps logging me out"),
        B("Sorry about that! Updating to version 5.2 fixes it. Could you try?", "suggest_update", "unknown"),
        C("ok updated, seems fine now. thanks"),
    )),
    Scenario("billing_dispute", ("en",), (
        C("I was charged twice for order {order}, {amount} each time"),
        B("I can see two payments. Let me re-send your receipt.", "resend_receipt", "failed"),
        C("I don't need a receipt, I need my money back. If this isn't fixed I'll dispute it with my bank"),
        B("I understand. Refunds are processed within 5-7 days."),
    ), after_handoff=("hello? is anyone there?", "I've been waiting for a while now"), weight=2),
    Scenario("product_defect_safety", ("en",), (
        C("my charger started smoking last night and burned the carpet"),
        B("I'm sorry to hear that. Have you tried a different outlet?", "troubleshoot_outlet", "failed"),
        C("are you serious? it nearly caught fire, my kid was next to it"),
    ), after_handoff=("I still have the charger, should I send photos?",)),
    Scenario("cancellation", ("en",), (
        C("I want to cancel my subscription"),
        B("I'm sorry to see you go! Did you know you can pause it for 3 months instead?"),
        C("no, cancel it please, and I want a refund for this month"),
    ), after_handoff=("please confirm when it's done",)),
    Scenario("explicit_request", ("en",), (
        C("my router keeps dropping the connection"),
        B("Let's restart it. Unplug it for 30 seconds.", "restart_router", "failed"),
        C("did that already. can I talk to a real person please"),
    ), after_handoff=("thanks, I'll wait",), weight=2),
    Scenario("loop", ("en",), (
        C("the discount code SPRING20 doesn't work at checkout"),
        B("You can enter discount codes on the payment page.", "explain_codes", "failed"),
        C("I did enter it there, it says invalid"),
        B("You can enter discount codes on the payment page.", "explain_codes", "failed"),
        C("you just said that. it does not work"),
    )),
    Scenario("multi_issue", ("en",), (
        C("three things: my parcel {order} is late, I was billed for express shipping, and the app won't let me update my address"),
        B("Let me look at your parcel first.", "lookup_order", "succeeded"),
        C("and the other two?"),
    )),
    Scenario("privacy_request", ("en",), (
        C("I want you to delete all my personal data under GDPR"),
        B("You can download your data under Settings > Privacy."),
        C("I don't want to download it, I want it erased"),
    )),
    Scenario("vip_outage", ("en",), (
        C("our whole team can't access the dashboard since this morning"),
        B("Please try clearing your browser cache.", "clear_cache", "failed"),
        C("that didn't help, we're losing money every hour this is down"),
    ), after_handoff=("any update?",)),
    Scenario("angry_delivery", ("en",), (
        C("my order {order} was marked delivered but never arrived"),
        B("Sometimes parcels are left with a neighbour. Could you check?", "suggest_neighbour", "failed"),
        C("I checked. this is absolutely ridiculous, third time this happens. worst service ever"),
    )),
    Scenario("german_request", ("de",), (
        C("Meine Bestellung {order} ist beschädigt angekommen"),
        B("Das tut mir leid! Möchten Sie ein Rücksendeetikett?", "offer_return_label", "unknown"),
        C("Nein, ich möchte bitte mit einem Mitarbeiter sprechen"),
    ), after_handoff=("Danke.",)),
    Scenario("spanish_billing", ("es",), (
        C("Me cobraron dos veces el pedido {order}"),
        B("Veo dos cargos. Le reenvío el recibo.", "resend_receipt", "failed"),
        C("No quiero un recibo, quiero hablar con una persona ya"),
    )),
    Scenario("french_cancel", ("fr",), (
        C("Bonjour, je veux résilier mon abonnement"),
        B("Je peux vous proposer une pause de 3 mois."),
        C("Non merci, je veux parler à un conseiller"),
    )),
    Scenario("german_status", ("de",), (
        C("Wo ist mein Paket {order}?"),
        B("Ihr Paket wird morgen zugestellt.", "lookup_order", "succeeded"),
        C("Super, danke!"),
    )),
    Scenario("spanish_faq", ("es",), (
        C("¿Cuánto cuesta el envío a Canarias?"),
        B("El envío a Canarias cuesta 4,95 €."),
        C("Perfecto, gracias"),
    )),
)


@dataclass
class Conversation:
    """One concrete conversation: a scenario played by a customer."""

    id: str
    scenario: Scenario
    customer: dict[str, object]
    language: str
    channel: str
    turns: list[Turn] = field(default_factory=list)
    after_handoff: list[str] = field(default_factory=list)


def make_conversation(rng: random.Random, serial: int) -> Conversation:
    """Pick a scenario and a customer who speaks its language; fill the placeholders."""
    scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
    speakers = [c for c in CUSTOMERS if c[2] in scenario.languages] or list(CUSTOMERS)
    name, tier, language, value = rng.choice(speakers)
    order = f"#A-{rng.randint(10000, 99999)}"
    amount = f"${rng.randint(19, 480)}.{rng.randint(0, 99):02d}"
    fill = {"order": order, "amount": amount, "name": name.split()[0]}
    customer_id = "c-" + name.lower().replace(" ", "-").replace("'", "")
    return Conversation(
        id=f"sim-{serial:06d}-{rng.randrange(16**6):06x}",
        scenario=scenario,
        customer={
            "id": customer_id,
            "name": name,
            "tier": tier,
            "lifetime_value": value,
            "locale": language,
            "history": [f"{rng.randint(1, 9)} orders", f"customer since {rng.randint(2016, 2025)}"],
        },
        language=language,
        channel=rng.choice(CHANNELS),
        turns=[Turn(t.role, t.text.format(**fill), t.step, t.result) for t in scenario.turns],
        after_handoff=[text.format(**fill) for text in scenario.after_handoff],
    )
