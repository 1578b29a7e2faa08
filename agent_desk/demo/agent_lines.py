"""What the simulated agents write to customers, in the customer's language.

Placeholders: ``{first}`` (the customer's first name), ``{agent}`` (the agent's name) and, in a
transfer, ``{team}``. The middle of a conversation depends on its category in English; other
languages have one line for every category.
"""

from __future__ import annotations

GREETING: dict[str, tuple[str, ...]] = {
    "en": (
        "Hi {first}, I'm {agent} and I'm taking over from our assistant. I've read what you wrote; let me look into it.",
        "Hello {first}, {agent} here. Thanks for waiting, I'm on it now.",
        "Hi {first}, this is {agent}. Sorry you had to wait; I've got your conversation in front of me.",
    ),
    "de": ("Hallo {first}, hier ist {agent}. Ich übernehme jetzt und sehe mir das gleich an.",),
    "es": ("Hola {first}, soy {agent} y me encargo a partir de ahora. Lo reviso enseguida.",),
    "fr": ("Bonjour {first}, ici {agent}. Je prends le relais et je regarde cela tout de suite.",),
    "nl": ("Hoi {first}, je spreekt met {agent}. Ik neem het over en kijk er meteen naar.",),
    "it": ("Ciao {first}, sono {agent} e da qui la seguo io. Controllo subito.",),
    "pt": ("Olá {first}, fala {agent}. Vou assumir a partir daqui e verificar já.",),
}

WORKING: dict[str, tuple[str, ...]] = {
    "billing_dispute": (
        "I can see both payments. I've refunded the duplicate; it takes 3-5 business days to show on your card.",
    ),
    "billing": ("I've checked your invoices and corrected the charge; you'll get an updated invoice by email.",),
    "orders": (
        "I've checked with the warehouse and sent a replacement by express shipping, at no cost to you.",
        "The carrier has confirmed the parcel is delayed; I've upgraded it to express delivery.",
    ),
    "technical": (
        "Thanks. I've reset the device's registration on our side. Could you restart it once more?",
        "I've escalated this to our engineers with your details, and applied a workaround on your account.",
    ),
    "account": ("I've updated your account details; you should see the change the next time you sign in.",),
    "cancellation": ("I've cancelled it effective today; you won't be charged again. You'll get a confirmation.",),
    "privacy": ("I've opened an erasure request for your account; it's completed within 30 days and confirmed.",),
    "compliance": ("I've recorded your request and passed it to our compliance team, who will confirm in writing.",),
    "legal": ("I've checked your case: the refund was approved today, and I've put the confirmation in writing.",),
    "safety": ("Please stop using it and keep it unplugged. I've arranged a free return and a full refund.",),
    "bereavement": (
        "I'm very sorry. I've closed the account and stopped all emails; you won't hear from us about it again.",
    ),
    "general": (
        "I've looked into it and sorted it out on our side. You'll get an email confirming it shortly.",
        "Thanks for the details. That's fixed now; I've added a note to your account in case it comes back.",
    ),
}
WORKING_OTHER: dict[str, str] = {
    "de": "Danke. Ich habe das auf unserer Seite erledigt; Sie erhalten gleich eine Bestätigung per E-Mail.",
    "es": "Gracias. Ya lo he resuelto por nuestra parte; recibirá una confirmación por correo.",
    "fr": "Merci. C'est réglé de notre côté ; vous recevrez une confirmation par e-mail.",
    "nl": "Bedankt. Ik heb het aan onze kant opgelost; je krijgt zo een bevestiging per e-mail.",
    "it": "Grazie. Ho risolto dal nostro lato; riceverà una conferma via e-mail.",
    "pt": "Obrigado. Já resolvi do nosso lado; vai receber uma confirmação por e-mail.",
}

CLOSING: dict[str, str] = {
    "en": "Is there anything else I can help you with today, {first}?",
    "de": "Kann ich sonst noch etwas für Sie tun, {first}?",
    "es": "¿Puedo ayudarle con algo más, {first}?",
    "fr": "Puis-je vous aider pour autre chose, {first} ?",
    "nl": "Kan ik je nog ergens anders mee helpen, {first}?",
    "it": "Posso aiutarla in qualcos'altro, {first}?",
    "pt": "Posso ajudar com mais alguma coisa, {first}?",
}

TRANSFER: dict[str, str] = {
    "en": "This is one for our {team} team, {first}. I'm passing you to them now with everything you told me.",
    "de": "Das übernimmt unser Team {team}, {first}. Ich gebe Sie mit allen Details weiter.",
    "es": "De esto se encarga nuestro equipo de {team}, {first}. Le paso con todos los detalles.",
    "fr": "C'est notre équipe {team} qui s'en occupe, {first}. Je vous transfère avec tous les détails.",
    "nl": "Dit is iets voor ons team {team}, {first}. Ik geef je door met alle details.",
    "it": "Se ne occupa il nostro team {team}, {first}. La passo a loro con tutti i dettagli.",
    "pt": "Isso é com a nossa equipa de {team}, {first}. Vou passá-lo com todos os detalhes.",
}


def _fill(text: str, first: str, agent: str, team: str = "") -> str:
    return text.format(first=first, agent=agent, team=team)


def greeting(language: str, first: str, agent: str, pick: int) -> str:
    lines = GREETING.get(language, GREETING["en"])
    return _fill(lines[pick % len(lines)], first, agent)


def working(language: str, category: str | None, first: str, agent: str, pick: int) -> str:
    if language in WORKING_OTHER:
        return _fill(WORKING_OTHER[language], first, agent)
    lines = WORKING.get(category or "general", WORKING["general"])
    return _fill(lines[pick % len(lines)], first, agent)


def closing(language: str, first: str, agent: str) -> str:
    return _fill(CLOSING.get(language, CLOSING["en"]), first, agent)


def transfer(language: str, first: str, agent: str, team: str) -> str:
    return _fill(TRANSFER.get(language, TRANSFER["en"]), first, agent, team)
