"""Text helpers for triage: normalising, words, similarity, language guessing, amounts."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9']+")
_SPACES = re.compile(r"\s+")
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the and is it to my i you a of for this that was have not with what can me".split()),
    "de": frozenset("der die das und ist ich nicht mit ein eine mein meine sie zu auf fur bitte habe wo".split()),
    "es": frozenset("el la los las y es que de no mi por para con una un me lo esta pero quiero".split()),
    "fr": frozenset("le la les et est je ne pas mon ma mes vous pour avec une un que c'est veux bonjour".split()),
    "it": frozenset("il lo la gli e non di che per con una un mio mia sono ho questo ciao".split()),
    "pt": frozenset("o a os as e nao de que para com uma um meu minha esta voce eu obrigado".split()),
    "nl": frozenset("de het een en is niet ik mijn met voor van dat op te je wat".split()),
}
_AMOUNT = re.compile(
    r"(?:[$€£]\s?(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d{1,2})?)"
    r"|(?:(\d{1,3}(?:[.,\s]\d{3})+|\d+)(?:[.,]\d{1,2})?\s?(?:eur|euro|euros|usd|dollars?|gbp|pounds?|chf|€|\$|£))"
)
_ORDER = re.compile(r"#\s?[A-Za-z]{0,3}-?\d{3,}|\b[A-Z]{1,3}-\d{4,}\b|\b\d{6,}\b")


def normalise(text: str) -> str:
    """Lower-case, accents removed, typographic apostrophes unified, whitespace squeezed."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    if text.isascii():
        return _SPACES.sub(" ", text).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.replace("ß", "ss")).strip()


def words(normalised: str) -> list[str]:
    return _WORD.findall(normalised)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Word overlap of two messages (Jaccard)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


_STOP_INDEX: dict[str, tuple[str, ...]] = {}
for _language, _words in STOPWORDS.items():
    for _word in _words:
        _STOP_INDEX[_word] = (*_STOP_INDEX.get(_word, ()), _language)
_DIGIT = re.compile(r"\d")


def guess_language(word_list: list[str]) -> tuple[str | None, int]:
    """The language whose common words appear most, and how many appeared."""
    counts: dict[str, int] = {}
    index = _STOP_INDEX
    for word in word_list:
        for language in index.get(word, ()):
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None, 0
    best = max(STOPWORDS, key=lambda language: counts.get(language, 0))
    return best, counts[best]


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
