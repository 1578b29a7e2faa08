"""What customers write once a person has taken over, and what the bot says while they wait.

``ANSWERS`` holds, per scenario, the customer's answers to the agent's first messages, in the
scenario's language (placeholders as in the scenarios: ``{order}``, ``{amount}``, ``{name}``).
They read as answers to whatever a person writes first (a greeting, a question, a first step),
so they fit the simulated agents' replies and those of the person at the desktop alike. After
them the customer thanks the agent, then only acknowledges.
"""

from __future__ import annotations

ANSWERS: dict[str, tuple[str, ...]] = {
    "explicit_request": (
        "thanks. it drops around 8pm every evening, the light on the router goes orange",
        "the router is about two years old, if that matters",
    ),
    "loop": (
        "yes, it's SPRING20, all capitals. it says the code is not valid",
        "I was trying it on a jacket that's already 30% off, if that matters",
    ),
    "two_failed_steps": (
        "it's the 2-pack, model SP-200. the app version is the latest one",
        "my wifi is a mesh system, if that matters",
        "ok, I'll try whatever you suggest",
    ),
    "multi_issue": (
        "the parcel is {order}. I paid {amount} and chose standard shipping, not express",
        "and the address should be 14 Mill Lane, not 41. the app says 'cannot save'",
    ),
    "angry_delivery": (
        "yes I checked with both neighbours. nobody has it. order {order}",
        "a replacement would be fine, but I need it by Friday",
    ),
    "cancellation": (
        "I just don't use it enough anymore, that's all",
        "no, no discount needed. please just cancel it",
    ),
    "vip_outage": (
        "about 35 people, all of them get an error 503 since 8:40 this morning",
        "ok. can you let me know as soon as it's back? I need to tell my manager",
    ),
    "german_request": (
        "Die Verpackung war eingedrückt und das Glas ist gesprungen. Bestellung {order}",
        "Ein Ersatz wäre mir am liebsten, danke",
    ),
    "french_cancel": (
        "Je déménage à l'étranger, je n'en aurai plus besoin",
        "D'accord, merci de confirmer par e-mail",
    ),
    "italian_failed": (
        "ho un Pixel 7, la app si chiude appena la apro",
        "ok, provo quello che mi dice, grazie",
    ),
    "dutch_person": (
        "het is pakket {order}, ik had het voor het weekend nodig",
        "oké, dank je. krijg ik een bericht als het weer onderweg is?",
    ),
    "billing_dispute": (
        "both charges are on my card statement, {amount} twice on the same day",
        "ok. how long until I see the refund on my account?",
    ),
    "spanish_billing": (
        "Sí, los dos cargos aparecen en mi tarjeta, el mismo día",
        "Vale, ¿cuántos días tarda la devolución?",
    ),
    "privacy_request": (
        "yes, the account with this email address. everything, including my order history",
        "ok. will I get a confirmation once it's done?",
    ),
    "bereaved": (
        "thank you. his name was Robert, we shared this email address",
        "please close it, I don't need anything else from it",
    ),
    "product_defect_safety": (
        "it's the 65W USB-C charger, bought in March. I have photos of the burn mark",
        "ok, I'll stop using it. should I send it back to you?",
    ),
    "legal_threat": (
        "I returned it six weeks ago, I have the tracking receipt",
        "I want this sorted this week, and confirmed in writing",
    ),
    "vip_leaving": (
        "the outages were on the 3rd and the 17th, both during business hours",
        "a call this Thursday would work. please have someone senior on it",
    ),
    "quote_request": (
        "about 200 mugs, our logo in two colours, delivered by the 10th of March",
        "tuesday or wednesday afternoon would be best for a call",
    ),
}

#: Per language: what a customer writes after their scripted answers, then what they repeat.
THANKS: dict[str, str] = {
    "en": "great, thank you for your help!",
    "de": "Super, vielen Dank für Ihre Hilfe!",
    "es": "¡Genial, muchas gracias por su ayuda!",
    "fr": "Parfait, merci beaucoup pour votre aide !",
    "nl": "Top, heel erg bedankt voor de hulp!",
    "it": "Perfetto, grazie mille per l'aiuto!",
    "pt": "Ótimo, muito obrigado pela ajuda!",
}
ACKNOWLEDGEMENTS: dict[str, tuple[str, ...]] = {
    "en": ("ok", "alright, thanks", "sure", "ok, got it"),
    "de": ("ok", "Alles klar, danke", "In Ordnung"),
    "es": ("vale", "De acuerdo, gracias", "Entendido"),
    "fr": ("d'accord", "Très bien, merci", "Compris"),
    "nl": ("oké", "Prima, bedankt", "Duidelijk"),
    "it": ("ok", "Va bene, grazie", "Capito"),
    "pt": ("ok", "Certo, obrigado", "Entendi"),
}
#: Per language: what the bot says while the conversation waits for a person.
HOLD: dict[str, str] = {
    "en": "Thanks for your patience. A colleague will be with you shortly.",
    "de": "Danke für Ihre Geduld. Eine Kollegin oder ein Kollege ist gleich für Sie da.",
    "es": "Gracias por su paciencia. Un compañero le atenderá en breve.",
    "fr": "Merci de votre patience. Un conseiller va vous répondre très bientôt.",
    "nl": "Bedankt voor je geduld. Een collega helpt je zo.",
    "it": "Grazie per la pazienza. Un collega sarà da lei a breve.",
    "pt": "Obrigado pela paciência. Um colega vai atendê-lo em breve.",
}
#: Answers of a conversation whose scenario has none of its own.
FALLBACK: dict[str, tuple[str, ...]] = {
    "en": ("ok, thanks for looking into it", "yes, that's right"),
    "de": ("Ok, danke, dass Sie sich darum kümmern", "Ja, genau"),
    "es": ("Vale, gracias por revisarlo", "Sí, exacto"),
    "fr": ("D'accord, merci de regarder", "Oui, c'est bien ça"),
    "nl": ("Oké, bedankt dat je ernaar kijkt", "Ja, klopt"),
    "it": ("Ok, grazie per averci guardato", "Sì, esatto"),
    "pt": ("Ok, obrigado por verificar", "Sim, isso mesmo"),
}


def answers_for(scenario: str, language: str) -> tuple[str, ...]:
    """The customer's answers to a person's messages, in order, thanks included."""
    own = ANSWERS.get(scenario) or FALLBACK.get(language, FALLBACK["en"])
    return (*own, THANKS.get(language, THANKS["en"]))


def acknowledgement(language: str, count: int) -> str:
    """What the customer writes to a person's message once their answers are used up."""
    lines = ACKNOWLEDGEMENTS.get(language, ACKNOWLEDGEMENTS["en"])
    return lines[count % len(lines)]


def hold_line(language: str) -> str:
    return HOLD.get(language, HOLD["en"])
