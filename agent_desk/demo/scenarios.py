"""Realistic bot conversations for the demo: who writes what, and what the bot tries.

Each scenario is a script of customer and bot turns with placeholders filled per customer. The
bot really tries things (looks orders up, sends links, runs line tests) and sometimes fails or
goes round in circles; the hub's triage decides which conversations reach a person, how
urgently and why. The weights give a floor like a real one: most conversations stay with the
bot, most handoffs are ordinary (priority 3), a few are urgent, and danger to a person is rare.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field

from agent_desk.demo.customers import CUSTOMERS, Profile
from agent_desk.demo.followups import answers_for

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
    #: Who plays it: any customer of the language, or only these tiers.
    tiers: tuple[str, ...] = ()


def C(text: str) -> Turn:
    return Turn("customer", text)


def B(text: str, step: str | None = None, result: str | None = None) -> Turn:
    return Turn("bot", text, step, result)


SCENARIOS: tuple[Scenario, ...] = (
    # -- what a good bot settles on its own ---------------------------------------------------
    Scenario(
        "order_status",
        ("en",),
        (
            C("hi, where is my order {order}?"),
            B("Order {order} left our warehouse yesterday and arrives on Thursday.", "lookup_order", "succeeded"),
            C("great, thanks!"),
        ),
        weight=5,
    ),
    Scenario(
        "password_reset",
        ("en",),
        (
            C("I can't log in, forgot my password"),
            B("I've sent a reset link to the email address on your account.", "send_reset_link", "succeeded"),
            C("got it, worked. thank you"),
        ),
        weight=3,
    ),
    Scenario(
        "faq_hours",
        ("en",),
        (
            C("what are your opening hours on saturday?"),
            B("Our support line is open 9:00-17:00 on Saturdays."),
            C("perfect"),
        ),
        weight=2,
    ),
    Scenario(
        "mild_annoyance_solved",
        ("en",),
        (
            C("ugh, the app keeps logging me out"),
            B("Sorry about that! Version 5.2 fixes it. Could you update?", "suggest_update", "unknown"),
            C("ok updated, seems fine now. thanks"),
        ),
        weight=2,
    ),
    Scenario(
        "cancel_an_order",
        ("en",),
        (
            C("can I still cancel order {order}? ordered the wrong size"),
            B("Done: order {order} is cancelled and the refund is on its way.", "cancel_order", "succeeded"),
            C("brilliant, thanks"),
        ),
        weight=2,
    ),
    Scenario(
        "one_failed_step_then_fixed",
        ("en",),
        (
            C("the tracking link in your email doesn't open"),
            B("Let me resend it.", "resend_tracking_email", "failed"),
            B(
                "That didn't go through, so here it is directly: track.example.com/{order}",
                "show_tracking_link",
                "succeeded",
            ),
            C("that one works, thanks"),
        ),
        weight=2,
    ),
    Scenario(
        "german_status",
        ("de",),
        (
            C("Wo ist mein Paket {order}?"),
            B("Ihr Paket wird morgen zugestellt.", "lookup_order", "succeeded"),
            C("Super, danke!"),
        ),
        weight=2,
    ),
    Scenario(
        "spanish_faq",
        ("es",),
        (
            C("¿Cuánto cuesta el envío a Canarias?"),
            B("El envío a Canarias cuesta 4,95 €."),
            C("Perfecto, gracias"),
        ),
        weight=2,
    ),
    Scenario(
        "vip_routine",
        ("en",),
        (
            C("could you send me the invoice for {order}?"),
            B("Of course, I've emailed the invoice for {order} to you.", "resend_invoice", "succeeded"),
            C("received, thank you"),
        ),
        weight=1,
        tiers=("vip", "premium"),
    ),
    # -- ordinary handoffs (priority 3) --------------------------------------------------------
    Scenario(
        "explicit_request",
        ("en",),
        (
            C("my router keeps dropping the connection every evening"),
            B("Let's restart it: unplug it for 30 seconds, then plug it back in.", "restart_router", "failed"),
            C("did that already, twice. can I talk to a real person please"),
        ),
        after_handoff=("thanks, I'll wait",),
        weight=3,
    ),
    Scenario(
        "loop",
        ("en",),
        (
            C("the discount code SPRING20 doesn't work at checkout"),
            B(
                "You can enter discount codes on the payment page, under 'Add a code'.",
                "explain_discount_codes",
                "unknown",
            ),
            C("yes, that's where I typed it. it says the code is not valid"),
            B(
                "You can enter discount codes on the payment page, under 'Add a code'.",
                "explain_discount_codes",
                "unknown",
            ),
            C("you just said that. it still doesn't work"),
        ),
        after_handoff=("ok, waiting",),
        weight=2,
    ),
    Scenario(
        "two_failed_steps",
        ("en",),
        (
            C("my smart plug won't pair with the app"),
            B("Hold the button for 5 seconds until the light blinks.", "reset_pairing", "failed"),
            C("light blinks but the app still can't find it"),
            B("Please move the plug closer to your router and try again.", "move_closer", "failed"),
            C("right next to it now. nothing"),
        ),
        after_handoff=("it's the third one I bought from you",),
        weight=2,
    ),
    Scenario(
        "multi_issue",
        ("en",),
        (
            C(
                "three things: my parcel {order} is late, I was billed for express shipping, and the app won't let "
                "me change my address"
            ),
            B("Let me look at your parcel first.", "lookup_order", "succeeded"),
            C("and the other two? can someone sort out all three?"),
        ),
        weight=2,
    ),
    Scenario(
        "angry_delivery",
        ("en",),
        (
            C("my order {order} was marked delivered but never arrived"),
            B("Sometimes parcels are left with a neighbour. Could you check?", "suggest_neighbour", "failed"),
            C("I checked. this is absolutely ridiculous, third time this happens. worst service ever"),
        ),
        after_handoff=("still waiting...",),
        weight=2,
    ),
    Scenario(
        "cancellation",
        ("en",),
        (
            C("I want to cancel my subscription"),
            B("I'm sorry to see you go! You could pause it for 3 months instead.", "offer_pause", "failed"),
            C("no, please cancel it. I've made up my mind"),
        ),
        after_handoff=("please confirm when it's done",),
        weight=2,
    ),
    Scenario(
        "vip_outage",
        ("en",),
        (
            C("our whole team can't access the dashboard since this morning"),
            B("Please try clearing your browser cache.", "clear_cache", "failed"),
            C("still down after clearing the cache. we're losing money every hour this is down"),
        ),
        after_handoff=("any update?",),
        weight=1,
        tiers=("vip", "premium"),
    ),
    Scenario(
        "german_request",
        ("de",),
        (
            C("Meine Bestellung {order} ist beschädigt angekommen"),
            B("Das tut mir leid! Möchten Sie ein Rücksendeetikett?", "offer_return_label", "unknown"),
            C("Nein, ich möchte bitte mit einem Mitarbeiter sprechen"),
        ),
        after_handoff=("Danke.",),
        weight=2,
    ),
    Scenario(
        "french_cancel",
        ("fr",),
        (
            C("Bonjour, je veux résilier mon abonnement"),
            B("Je peux vous proposer une pause de 3 mois.", "offer_pause", "failed"),
            C("Non merci, je veux vraiment résilier et parler à un conseiller"),
        ),
        weight=1,
    ),
    Scenario(
        "italian_failed",
        ("it",),
        (
            C("la app non si apre più dopo l'aggiornamento"),
            B("Provi a disinstallarla e reinstallarla.", "reinstall_app", "failed"),
            C("fatto, niente. continua a chiudersi"),
            B("Provi a riavviare il telefono.", "restart_phone", "failed"),
            C("niente da fare, non funziona"),
        ),
        weight=1,
    ),
    Scenario(
        "dutch_person",
        ("nl",),
        (
            C("mijn pakket {order} is al een week onderweg"),
            B("Ik zie dat het pakket bij het sorteercentrum ligt.", "lookup_order", "succeeded"),
            C("kan ik iemand van jullie team spreken? dit duurt echt te lang"),
        ),
        weight=1,
    ),
    # -- urgent: money, data, distress (priority 2) --------------------------------------------
    Scenario(
        "billing_dispute",
        ("en",),
        (
            C("I was charged twice for order {order}, {amount} each time"),
            B("I can see two payments. Let me re-send your receipt.", "resend_receipt", "failed"),
            C("I don't need a receipt, I need my money back. If this isn't fixed I'll dispute it with my bank"),
        ),
        after_handoff=("hello? is anyone there?", "I've been waiting for a while now"),
        weight=2,
    ),
    Scenario(
        "spanish_billing",
        ("es",),
        (
            C("Me cobraron dos veces el pedido {order}"),
            B("Veo dos cargos. Le reenvío el recibo.", "resend_receipt", "failed"),
            C("No quiero un recibo, quiero que me devuelvan el dinero"),
        ),
        weight=1,
    ),
    Scenario(
        "privacy_request",
        ("en",),
        (
            C("I want you to delete all my personal data under GDPR"),
            B("You can download a copy of your data under Settings > Privacy.", "show_data_export", "failed"),
            C("I don't want to download it, I want it erased"),
        ),
        weight=1,
    ),
    Scenario(
        "bereaved",
        ("en",),
        (
            C("my husband passed away last month and I keep getting emails about his account. I don't know what to do"),
            B("I'm so sorry for your loss. Could you tell me the email address on his account?"),
            C("it's the same as mine. please, I just want this to stop"),
        ),
        weight=1,
    ),
    # -- urgent: danger, legal, a valuable customer leaving (priority 1) -----------------------
    Scenario(
        "product_defect_safety",
        ("en",),
        (
            C("my charger started smoking last night and burned the carpet"),
            B("I'm sorry to hear that. Have you tried a different outlet?", "troubleshoot_outlet", "failed"),
            C("are you serious? it nearly caught fire, my kid was next to it"),
        ),
        after_handoff=("I still have the charger, should I send photos?",),
        weight=0.6,
    ),
    Scenario(
        "legal_threat",
        ("en",),
        (
            C("where is my refund for {order}?"),
            B("Refunds take 5-7 business days to appear.", "check_refund_status", "unknown"),
            C("it's been six weeks. I'm taking this to small claims court and reporting you to the consumer ombudsman"),
        ),
        weight=0.4,
    ),
    Scenario(
        "vip_leaving",
        ("en",),
        (
            C(
                "we've had two outages this month. we're cancelling our contract and moving all 40 seats to "
                "another provider at renewal unless someone senior talks to us"
            ),
            B(
                "I'm sorry about the outages. Here is our status page: status.example.com",
                "show_status_page",
                "unknown",
            ),
            C("please put me in touch with our account manager"),
        ),
        weight=0.5,
        tiers=("vip",),
    ),
    # -- calm requests that still need a person (priority 4) -----------------------------------
    Scenario(
        "quote_request",
        ("en",),
        (
            C("hello, we'd like a quote for 200 branded mugs for our company event in March"),
            B(
                "For custom orders over 100 items our sales team prepares a quote.",
                "explain_custom_orders",
                "succeeded",
            ),
            C("great, could someone from sales give me a call next week?"),
        ),
        weight=1.5,
    ),
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
    #: The customer's answers to a person's messages, in order (see ``followups``).
    answers: list[str] = field(default_factory=list)
    #: The customer playing it.
    profile: Profile | None = None


def make_conversation(rng: random.Random, serial: int, busy: Collection[str] = ()) -> Conversation:
    """Pick a scenario and a customer who speaks its language; fill the placeholders.

    Customers in ``busy`` (ids of those in a conversation now) are left out while others are
    free: one person does not open two chats about the same thing at once.
    """
    for _attempt in range(12):  # a scenario whose speakers are all busy gives way to another
        scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
        fitting = [c for c in CUSTOMERS if not scenario.tiers or c.tier in scenario.tiers]
        speakers = [c for c in fitting if c.language in scenario.languages] or fitting
        free = [c for c in speakers if c.id not in busy]
        if free:
            break
    profile = rng.choice(free or speakers)
    # The same customer keeps the same order numbers, so their conversations agree.
    seed = zlib.crc32(profile.name.encode())
    order = f"#A-{10000 + (seed + rng.randrange(3) * 7919) % 90000}"
    amount = f"${19 + seed % 400}.{seed % 100:02d}"
    fill = {"order": order, "amount": amount, "name": profile.name.split()[0]}
    return Conversation(
        id=f"sim-{serial:06d}-{rng.randrange(16**6):06x}",
        scenario=scenario,
        customer=profile.as_customer(),
        language=profile.language,
        channel=rng.choice(CHANNELS),
        turns=[Turn(t.role, t.text.format(**fill), t.step, t.result) for t in scenario.turns],
        after_handoff=[text.format(**fill) for text in scenario.after_handoff],
        answers=[text.format(**fill) for text in answers_for(scenario.name, profile.language)],
        profile=profile,
    )
