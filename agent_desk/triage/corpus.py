"""Labelled conversations: reading them, and the fixed split into train, dev and test.

The corpus (``tests/data/triage_corpus/``) holds whole conversations in JSON lines, written from
``SPEC.md`` by authors who never saw the rules or the model. Each conversation lands in one
split by a hash of its id, so the split never depends on what else is in the corpus, and a
conversation never moves: the test split is only ever reported on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_desk.triage.model import Attempt, Customer, Message

SPLITS = ("train", "dev", "test")
#: Percent of conversations in each split: test 25, dev 15, train the rest.
TEST_PERCENT = 25
DEV_PERCENT = 15


def split_of(conversation_id: str) -> str:
    """The split a conversation belongs to, fixed by its id alone."""
    bucket = int.from_bytes(hashlib.sha256(conversation_id.encode("utf-8")).digest()[:4], "big") % 100
    if bucket < TEST_PERCENT:
        return "test"
    if bucket < TEST_PERCENT + DEV_PERCENT:
        return "dev"
    return "train"


#: Signals that make a conversation priority 2 or more urgent without any anger.
URGENT_WITHOUT_ANGER = frozenset({"danger", "legal", "billing_dispute", "privacy", "distress"})


def derived(case: Case, index: int) -> frozenset[str]:
    """Message ``index``'s signals plus those training derives from the labels (rules.DERIVED).

    ``furious``: the message shows frustration, and its author made the conversation priority 2
    though nothing else in it is that urgent: the anger alone made it so.
    ``needs_person``: the conversation needs a person by this message (at or after the moment
    its author marked).
    """
    signals = case.signals[index]
    extra = set()
    if "frustration" in signals and case.priority == 2:
        everything = frozenset().union(*case.signals)
        high_value = case.customer.tier in ("vip", "premium") or (case.customer.lifetime_value or 0) >= 1000
        leaving = "cancel_intent" in everything and high_value
        if not everything & URGENT_WITHOUT_ANGER and not leaving:
            extra.add("furious")
    if case.escalate and case.by_message is not None and index >= case.by_message:
        extra.add("needs_person")
    return signals | extra


class CorpusError(ValueError):
    """A corpus file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Case:
    """One labelled conversation.

    Attributes:
        by_message: index of the message at which a careful supervisor hands over, or None.
        signals: per message, the signals its author labelled (empty for bot messages).
    """

    id: str
    language: str
    channel: str | None
    customer: Customer
    messages: tuple[Message, ...]
    attempts: tuple[Attempt | None, ...]
    signals: tuple[frozenset[str], ...]
    escalate: bool
    by_message: int | None
    triggers: frozenset[str]
    category: str | None
    priority: int | None
    raw: dict[str, Any]

    def turns(self) -> Iterator[tuple[Message, Attempt | None]]:
        return zip(self.messages, self.attempts, strict=True)


def _attempt(raw: Any, at: str) -> Attempt | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("step"), str):
        return None
    return Attempt(raw["step"], str(raw.get("result", "unknown")), str(raw.get("at") or at), raw.get("detail"))


def case_from_dict(data: dict[str, Any]) -> Case:
    """A case from one parsed line (the shape of ``tests/data/triage_eval.jsonl``)."""
    raw_customer = data.get("customer") or {}
    customer = Customer(
        id=str(raw_customer.get("id") or f"c-{data['id']}"),
        name=str(raw_customer.get("name") or "Customer"),
        tier=str(raw_customer.get("tier") or "standard"),
        lifetime_value=raw_customer.get("lifetime_value"),
        locale=raw_customer.get("locale"),
    )
    messages: list[Message] = []
    attempts: list[Attempt | None] = []
    signals: list[frozenset[str]] = []
    here = None
    for index, raw in enumerate(data["messages"]):
        at = str(raw.get("at") or f"2026-11-01T10:{index // 60:02d}:{index % 60:02d}Z")
        messages.append(Message(str(raw["role"]), str(raw["text"]), at))
        attempts.append(_attempt(raw.get("attempt"), at))
        signals.append(frozenset(raw.get("signals") or ()))
        if raw.get("escalate_here") and here is None:
            here = index
    expect = data.get("expect") or {}
    by_message = expect.get("by_message", here)
    return Case(
        id=str(data["id"]),
        language=str(data.get("language") or "en"),
        channel=data.get("channel"),
        customer=customer,
        messages=tuple(messages),
        attempts=tuple(attempts),
        signals=tuple(signals),
        escalate=bool(expect.get("escalate")),
        by_message=by_message if by_message is not None else here,
        triggers=frozenset(expect.get("triggers") or ()),
        category=expect.get("category"),
        priority=expect.get("priority"),
        raw=data,
    )


def corpus_files(folder: Path) -> list[Path]:
    """The JSON-lines files of a corpus folder: its ``batches/``, or the folder's own files."""
    batches = folder / "batches"
    return sorted((batches if batches.is_dir() else folder).glob("*.jsonl"))


def read_cases(paths: Sequence[Path] | Path) -> list[Case]:
    """Every case in the given JSON-lines files (or in a corpus folder, see :func:`corpus_files`).

    Raises:
        CorpusError: a line that is not a labelled conversation, named by file and line.
    """
    if isinstance(paths, Path):
        paths = corpus_files(paths) if paths.is_dir() else [paths]
    cases = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise CorpusError(f"{path}: cannot read: {error.strerror or error}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                cases.append(case_from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                raise CorpusError(f"{path}, line {number}: not a labelled conversation: {error}") from None
    return cases
