"""Text helpers for triage: normalising, words, similarity, language guessing, amounts."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SPACES = re.compile(r"\s+")


def _strip_table() -> dict[int, str]:
    """Latin, Greek and Cyrillic letters mapped to themselves without accents ("é" -> "e")."""
    table: dict[int, str] = {0x2019: "'", 0x2018: "'", 0xDF: "ss", 0x142: "l", 0xF8: "o", 0xE6: "ae", 0x153: "oe"}
    for code in range(0xC0, 0x530):
        char = chr(code)
        if code in table or not char.islower():
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base and base != char:
            table[code] = base
    return table


#: Applied with ``str.translate``, which runs at C speed: accents go in one pass.
STRIP_ACCENTS = _strip_table()
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and is it to my i you a of for this that was have not with what can me".split()),
    "de": frozenset("der die das und ist ich nicht mit ein eine mein meine sie zu auf fur bitte habe wo".split()),
    "es": frozenset("el la los las y es que de no mi por para con una un me lo esta pero quiero".split()),
    "fr": frozenset("le la les et est je ne pas mon ma mes vous pour avec une un que c'est veux bonjour".split()),
    "it": frozenset("il lo la gli e non di che per con una un mio mia sono ho questo ciao".split()),
    "pt": frozenset("o a os as e nao de que para com uma um meu minha esta voce eu obrigado".split()),
    "nl": frozenset("de het een en is niet ik mijn met voor van dat op te je wat".split()),
    "pl": frozenset("i w nie na z to sie jest ze do mnie mam jak co juz czy moje prosze".split()),
    "sv": frozenset("och att det som en jag inte har med min mitt pa ar for vad".split()),
    "da": frozenset("og at det som en jeg ikke har med min mit pa er for hvad".split()),
    "nb": frozenset("og at det som en jeg ikke har med min mitt pa er for hva".split()),
    "fi": frozenset("ja on ei se etta mina minun olen kun mutta tai ole oli kiitos".split()),
    "cs": frozenset("a je to se na v ze mi jsem mam jak co ale uz prosim".split()),
    "ro": frozenset("si este nu la cu de pe ca am sa mea meu care dar va".split()),
    "tr": frozenset("ve bir bu da de ne icin ben benim ama cok var yok mi".split()),
}
_AMOUNT = re.compile(
    r"(?:[$€£]\s?(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d{1,2})?)"
    r"|(?:(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d{1,2})?\s?(?:eur|euro|euros|usd|dollars?|gbp|pounds?|chf|€|\$|£))"
)
_ORDER = re.compile(r"#\s?[A-Za-z]{0,3}-?\d{3,}|\b[A-Z]{1,3}-\d{4,}\b|\b\d{6,}\b")


def normalise(text: str) -> str:
    """Lower-case, accents removed, typographic apostrophes unified, whitespace squeezed."""
    text = text.lower()
    if not text.isascii():  # composed first, so "e" + combining accent becomes "é", then "e"
        text = unicodedata.normalize("NFC", text).translate(STRIP_ACCENTS)
    return _SPACES.sub(" ", text).strip()


def words(normalised: str) -> list[str]:
    return _WORD.findall(normalised)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Word overlap of two messages (Jaccard)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_DIGIT = re.compile(r"\d")


def guess_language(found: frozenset[str] | set[str]) -> tuple[str | None, int]:
    """The language whose common words a message's words hold most of, and how many."""
    best, hits = None, 0
    for language, common in STOPWORDS.items():
        count = len(common.intersection(found))
        if count > hits:
            best, hits = language, count
    return best, hits


def amounts(text: str) -> list[float]:
    """Money amounts mentioned in a message (thousand separators understood)."""
    if not _DIGIT.search(text):
        return []
    found = []
    for match in _AMOUNT.finditer(text.lower()):
        digits = match.group(1) or match.group(2) or ""
        digits = re.sub(r"[.,\s]", "", digits)
        if digits.isdigit():
            found.append(float(digits))
    return found


def order_number(text: str) -> str | None:
    match = _ORDER.search(text)
    return match.group(0).replace(" ", "") if match else None
