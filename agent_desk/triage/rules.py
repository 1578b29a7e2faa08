"""Triage rules: thresholds, priorities, queues and operator overrides, read from a TOML file.

The learned model (:mod:`agent_desk.triage.classifier`) reads the customer's language; the rules
say at what probability each signal counts, what is countable (failed bot turns, repeats, value),
how urgent each reason is and which queue takes it. Every problem in a file is reported with its
line and key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent_desk._resources import resource
from agent_desk.triage._paths import default_rules_path
from agent_desk.triage.classifier import MODEL_NAME, ModelError, SignalModel, cached_model

#: What the model reads in a customer message, and the rules give a threshold for.
SIGNALS = (
    "wants_person",
    "frustration",
    "distress",
    "danger",
    "legal",
    "privacy",
    "billing_dispute",
    "cancel_intent",
    "multi_issue",
    "failure_report",
    "resolved",
    "problem",
    "furious",
    "needs_person",
)
#: Signals the corpus's authors do not label; training derives them from their labels.
#: ``furious``: a frustrated message in a conversation its author made priority 2 for the anger
#: alone (insults, a rant in capitals), as against ordinary frustration (priority 3).
#: ``needs_person``: the conversation needs a person by this message, whatever the reason; the
#: signals that raise reasons fire only with it (see ``GATED``).
DERIVED = ("furious", "needs_person")
#: Signals that raise a reason only when ``needs_person`` agrees (at its own threshold).
GATED = (
    "wants_person",
    "frustration",
    "distress",
    "danger",
    "legal",
    "privacy",
    "billing_dispute",
    "cancel_intent",
    "multi_issue",
)
#: Signal -> the category of the sensitive topic it raises.
TOPIC_SIGNALS = {
    "danger": "safety",
    "legal": "legal",
    "privacy": "privacy",
    "billing_dispute": "billing_dispute",
    "cancel_intent": "cancellation",
}
TIERS = ("vip", "premium", "standard", "free")
THRESHOLDS: dict[str, type] = {
    "negative_message": float,
    "problem_sentiment": float,
    "failed_attempts": int,
    "repeat_similarity": float,
    "repeat_min_words": int,
    "high_value_lifetime": float,
    "high_value_amount": float,
}
#: Priority of each kind of reason (see the default rules file for what each means).
PRIORITIES = (
    "danger",
    "legal",
    "leaving_high_value",
    "billing_dispute",
    "privacy",
    "distress",
    "furious",
    "explicit_request",
    "frustration",
    "repeated_failure",
    "multi_issue",
    "cancellation",
    "high_value",
    "calm_request",
)


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True, slots=True)
class Override:
    """Operator patterns for one signal: ``match`` makes it fire, ``not`` keeps it quiet."""

    match: re.Pattern[str] | None
    exclude: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything triage decides by. Build with :func:`load_rules` or :func:`default_rules`."""

    source: str
    model: SignalModel
    signals: Mapping[str, float]
    negative_message: float
    problem_sentiment: float
    failed_attempts: int
    repeat_similarity: float
    repeat_min_words: int
    high_value_lifetime: float
    high_value_amount: float
    high_value_tiers: frozenset[str]
    priorities: Mapping[str, int]
    overrides: Mapping[str, Override]
    queues: Mapping[str, str]
    vip_queue: str
    vip_tiers: frozenset[str]

    def queue_for(self, category: str, tier: str) -> str:
        queue = self.queues.get(category, self.queues.get("general", "general"))
        if tier in self.vip_tiers and queue != self.queues.get("compliance", "compliance"):
            return self.vip_queue
        return queue

    @property
    def all_queues(self) -> tuple[str, ...]:
        return tuple(sorted({*self.queues.values(), self.vip_queue}))


class _Reader:
    """Walks the parsed TOML and reports problems with their line numbers."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def line_of(self, section: str, key: str | None) -> int | None:
        header = re.compile(r"^\s*\[\s*" + re.escape(section) + r"\s*\]\s*(#.*)?$")
        start = 0
        if section:
            for number, line in enumerate(self.lines):
                if header.match(line):
                    start = number
                    break
            else:
                return None
        if key is None:
            return start + 1
        key_re = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
        for number in range(start, len(self.lines)):
            if number > start and self.lines[number].lstrip().startswith("[") and section:
                break
            if key_re.match(self.lines[number]):
                return number + 1
        return start + 1 if section else None

    def fail(self, section: str, key: str | None, problem: str) -> RulesError:
        line = self.line_of(section, key)
        name = f"{section}.{key}" if section and key else (key or section)
        where = f"{self.source}, line {line}" if line else self.source
        return RulesError(f"{where}: key '{name}': {problem}")

    def table(self, data: Mapping[str, Any], section: str, key: str, required: bool = True) -> Mapping[str, Any]:
        value = data.get(key, None if required else {})
        if not isinstance(value, dict):
            raise self.fail(section, key, "missing or not a table")
        return value

    def number(self, data: Mapping[str, Any], section: str, key: str, kind: type) -> Any:
        value = data.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (kind is int and not isinstance(value, int))
        ):
            raise self.fail(section, key, f"must be {'a whole number' if kind is int else 'a number'}")
        return kind(value)

    def known(self, data: Mapping[str, Any], section: str, allowed: tuple[str, ...] | dict[str, Any]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(section, key, f"unknown key (known: {', '.join(allowed)})")

    def patterns(self, data: Mapping[str, Any], section: str, key: str) -> re.Pattern[str] | None:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(section, key, "must be a list of regular expressions")
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise self.fail(section, key, f"bad regular expression {pattern!r}: {error}") from None
        return re.compile("|".join(f"(?:{p})" for p in value)) if value else None

    def tiers(self, data: Mapping[str, Any], section: str, key: str, default: list[str]) -> frozenset[str]:
        value = data.get(key, default)
        if not isinstance(value, list) or not all(v in TIERS for v in value):
            raise self.fail(section, key, f"must be a list of tiers ({', '.join(TIERS)})")
        return frozenset(value)


def _model(r: _Reader, data: Mapping[str, Any], base: Path | None) -> SignalModel:
    table = r.table(data, "", "model", required=False)
    r.known(table, "model", ("file",))
    name = table.get("file", MODEL_NAME)
    if not isinstance(name, str) or not name:
        raise r.fail("model", "file", "must be the path of a model file")
    path = Path(name)
    if not path.is_absolute():
        beside = base / path if base is not None else None
        path = beside if beside is not None and beside.is_file() else resource(name)
    try:
        model = cached_model(str(path))
    except ModelError as error:
        raise r.fail("model", "file", str(error)) from None
    missing = [s for s in SIGNALS if s not in model.labels]
    if missing:
        raise r.fail("model", "file", f"the model has no head for {', '.join(missing)}")
    return model


def parse_rules(text: str, source: str = "<rules>", base: Path | None = None) -> Rules:
    """Check and compile rules given as TOML text.

    Args:
        base: the folder a relative model path is looked up in first (the rules file's).

    Raises:
        RulesError: naming the line and key of the first problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: {error}") from None
    r = _Reader(text, source)
    r.known(data, "", ("model", "signals", "thresholds", "priority", "overrides", "queues"))

    signals_table = r.table(data, "", "signals")
    r.known(signals_table, "signals", SIGNALS)
    signals = {}
    for name in SIGNALS:
        value = r.number(signals_table, "signals", name, float)
        if not 0 < value <= 1:
            raise r.fail("signals", name, "a probability above 0 and at most 1")
        signals[name] = value

    thresholds = r.table(data, "", "thresholds")
    r.known(thresholds, "thresholds", (*THRESHOLDS, "high_value_tiers"))
    values = {key: r.number(thresholds, "thresholds", key, kind) for key, kind in THRESHOLDS.items()}
    for key in ("negative_message", "problem_sentiment"):
        if not -1 <= values[key] <= 0:
            raise r.fail("thresholds", key, "sentiment thresholds lie between -1 and 0")
    if values["failed_attempts"] < 1:
        raise r.fail("thresholds", "failed_attempts", "at least 1")
    if not 0 < values["repeat_similarity"] <= 1:
        raise r.fail("thresholds", "repeat_similarity", "an overlap above 0 and at most 1")
    high_value_tiers = r.tiers(thresholds, "thresholds", "high_value_tiers", ["vip", "premium"])

    priority_table = r.table(data, "", "priority")
    r.known(priority_table, "priority", PRIORITIES)
    priorities = {}
    for name in PRIORITIES:
        value = r.number(priority_table, "priority", name, int)
        if not 1 <= value <= 4:
            raise r.fail("priority", name, "must be 1 to 4")
        priorities[name] = value

    overrides_table = r.table(data, "", "overrides", required=False)
    r.known(overrides_table, "overrides", tuple(s for s in SIGNALS if s not in DERIVED))
    overrides = {}
    for name, body in overrides_table.items():
        section = f"overrides.{name}"
        if not isinstance(body, dict):
            raise r.fail(section, None, "must be a table with 'match' and/or 'not'")
        r.known(body, section, ("match", "not"))
        overrides[name] = Override(r.patterns(body, section, "match"), r.patterns(body, section, "not"))

    queues_table = dict(r.table(data, "", "queues"))
    vip_queue = queues_table.pop("vip_queue", "vip")
    if not isinstance(vip_queue, str) or not vip_queue:
        raise r.fail("queues", "vip_queue", "must be a queue name")
    vip_tiers = r.tiers(queues_table, "queues", "vip_tiers", ["vip"])
    queues_table.pop("vip_tiers", None)
    for key, value in queues_table.items():
        if not isinstance(value, str) or not value:
            raise r.fail("queues", key, "must be a queue name")
    for category in ("general", *TOPIC_SIGNALS.values(), "compliance"):
        if category not in queues_table:
            raise r.fail("queues", None, f"needs a queue for category {category!r}")

    return Rules(
        source=source,
        model=_model(r, data, base),
        signals=signals,
        high_value_tiers=high_value_tiers,
        priorities=priorities,
        overrides=overrides,
        queues=queues_table,
        vip_queue=vip_queue,
        vip_tiers=vip_tiers,
        **values,
    )


def load_rules(path: str | Path) -> Rules:
    """Read and check a rules file.

    Raises:
        RulesError: the file is missing, not TOML, or a key is wrong (named with its line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RulesError(f"{path}: cannot read: {error.strerror or error}") from None
    return parse_rules(text, str(path), path.resolve().parent)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules shipped with Agent Desk (resources/triage_rules.toml)."""
    return load_rules(default_rules_path())
