"""Triage rules: read from a TOML file, checked, with every pattern compiled once."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from agent_desk.triage._paths import default_rules_path
from agent_desk.triage.prefilter import IndexedPatterns

TOPIC_ORDER = ("safety", "legal", "privacy", "compliance", "billing_dispute", "cancellation")
TIERS = ("vip", "premium", "standard", "free")
THRESHOLDS: dict[str, type] = {
    "negative_message": float,
    "negative_opening": float,
    "negative_mean": float,
    "trend_window": int,
    "failed_attempts": int,
    "repeat_similarity": float,
    "repeat_min_words": int,
    "high_value_amount": float,
    "multi_issue_areas": int,
}
PRIORITIES = (
    "explicit_request",
    "negative_sentiment",
    "strongly_negative",
    "repeated_failure",
    "high_value",
    "multi_issue",
    "many_triggers",
)
AREAS = ("billing", "orders", "technical", "account", "problem", "multi")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, line and key."""


@dataclass(frozen=True, slots=True)
class PatternSet:
    """Patterns of every language behind a word index, plus exclusions."""

    match: IndexedPatterns
    exclude: re.Pattern[str] | None

    def search(self, text: str, words: set[str]) -> re.Match[str] | None:
        """First match in normalised ``text`` (``words`` from :func:`index_words`), unless excluded."""
        found = self.match.search(text, words)
        if found is None or (self.exclude is not None and self.exclude.search(text)):
            return None
        return found


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    category: str
    priority: int
    patterns: PatternSet


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything triage decides by. Build with :func:`load_rules` or :func:`default_rules`."""

    source: str
    negative_message: float
    negative_opening: float
    negative_mean: float
    trend_window: int
    failed_attempts: int
    repeat_similarity: float
    repeat_min_words: int
    high_value_amount: float
    multi_issue_areas: int
    lexicon: Mapping[str, float]  # single words
    lexicon_phrases: tuple[tuple[str, float], ...]  # several words ("fed up", "n'importe quoi")
    explicit: PatternSet
    failure_report: PatternSet
    topics: tuple[Topic, ...]
    areas: Mapping[str, IndexedPatterns]
    priorities: Mapping[str, int]
    tier_steps: Mapping[str, int]
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

    def table(self, data: Mapping[str, Any], section: str, key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(section, key, "missing or not a table")
        return value

    def number(self, data: Mapping[str, Any], section: str, key: str, kind: type) -> Any:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and not isinstance(value, int)):
            raise self.fail(section, key, f"must be {'a whole number' if kind is int else 'a number'}")
        return kind(value)

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

    def pattern_set(self, data: Mapping[str, Any], section: str, skip: tuple[str, ...] = ()) -> PatternSet:
        sources = []
        for language in [k for k in data if k not in ("not", *skip)]:
            if self.patterns(data, section, language) is not None:  # checks every pattern
                value = data[language]
                sources.extend([value] if isinstance(value, str) else value)
        return PatternSet(IndexedPatterns.build(sources), self.patterns(data, section, "not"))


def parse_rules(text: str, source: str = "<rules>") -> Rules:
    """Check and compile rules given as TOML text.

    Raises:
        RulesError: naming the line and key of the first problem.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source}: {error}") from None
    r = _Reader(text, source)
    known = {"thresholds", "sentiment", "explicit_request", "failure_report", "topics", "areas", "priority", "queues"}
    for key in data:
        if key not in known:
            raise r.fail(key, None, f"unknown section (known: {', '.join(sorted(known))})")
    thresholds = r.table(data, "", "thresholds")
    for key in thresholds:
        if key not in THRESHOLDS:
            raise r.fail("thresholds", key, "unknown threshold")
    values = {key: r.number(thresholds, "thresholds", key, kind) for key, kind in THRESHOLDS.items()}
    for key in ("negative_message", "negative_opening", "negative_mean"):
        if not -1 <= values[key] <= 0:
            raise r.fail("thresholds", key, "sentiment thresholds lie between -1 and 0")
    if values["failed_attempts"] < 1 or values["trend_window"] < 2:
        raise r.fail("thresholds", "failed_attempts", "failed_attempts >= 1 and trend_window >= 2")

    lexicon_table = r.table(data, "", "sentiment").get("lexicon", {})
    if not isinstance(lexicon_table, dict):
        raise r.fail("sentiment", "lexicon", "must be a table of word = score")
    lexicon = []
    for word, score in lexicon_table.items():
        if isinstance(score, bool) or not isinstance(score, int | float) or not -1 <= score <= 1:
            raise r.fail("sentiment", "lexicon", f"score of {word!r} must be a number from -1 to 1")
        lexicon.append((word, float(score)))

    topics_table = r.table(data, "", "topics")
    topics = []
    for name, body in topics_table.items():
        section = f"topics.{name}"
        if not isinstance(body, dict):
            raise r.fail(section, None, "must be a table")
        category = body.get("category")
        if not isinstance(category, str) or not category:
            raise r.fail(section, "category", "must be a category name")
        priority = r.number(body, section, "priority", int)
        if not 1 <= priority <= 4:
            raise r.fail(section, "priority", "must be 1 to 4")
        topics.append(Topic(name, category, priority, r.pattern_set(body, section, ("category", "priority"))))
    order = {name: i for i, name in enumerate(TOPIC_ORDER)}
    topics.sort(key=lambda t: order.get(t.name, len(order)))

    areas_table = r.table(data, "", "areas")
    areas = {}
    for name in AREAS:
        if r.patterns(areas_table, "areas", name) is None:
            raise r.fail("areas", name, "needs at least one pattern")
        value = areas_table[name]
        areas[name] = IndexedPatterns.build([value] if isinstance(value, str) else value)

    priority_table = r.table(data, "", "priority")
    priorities = {}
    for name in PRIORITIES:
        value = r.number(priority_table, "priority", name, int)
        if not 1 <= value <= 4:
            raise r.fail("priority", name, "must be 1 to 4")
        priorities[name] = value
    tier_table = priority_table.get("tier", {})
    if not isinstance(tier_table, dict):
        raise r.fail("priority", "tier", "must be a table of tier = steps")
    tier_steps = {}
    for tier in tier_table:
        if tier not in TIERS:
            raise r.fail("priority.tier", tier, f"unknown tier (known: {', '.join(TIERS)})")
        tier_steps[tier] = r.number(tier_table, "priority.tier", tier, int)

    queues_table = dict(r.table(data, "", "queues"))
    vip_queue = queues_table.pop("vip_queue", "vip")
    vip_tiers = queues_table.pop("vip_tiers", ["vip"])
    if not isinstance(vip_queue, str) or not isinstance(vip_tiers, list):
        raise r.fail("queues", "vip_queue", "vip_queue is a queue name and vip_tiers a list of tiers")
    for key, value in queues_table.items():
        if not isinstance(value, str) or not value:
            raise r.fail("queues", key, "must be a queue name")
    if "general" not in queues_table:
        raise r.fail("queues", None, "needs a 'general' queue for conversations of no known category")
    for topic in topics:
        if topic.category not in queues_table:
            raise r.fail(f"topics.{topic.name}", "category", f"no queue for category {topic.category!r} in [queues]")

    return Rules(
        source=source,
        lexicon={w: v for w, v in lexicon if re.fullmatch(r"[a-z0-9]+", w)},
        lexicon_phrases=tuple((w, v) for w, v in lexicon if not re.fullmatch(r"[a-z0-9]+", w)),
        explicit=r.pattern_set(r.table(data, "", "explicit_request"), "explicit_request"),
        failure_report=r.pattern_set(r.table(data, "", "failure_report"), "failure_report"),
        topics=tuple(topics),
        areas=areas,
        priorities=priorities,
        tier_steps=tier_steps,
        queues=queues_table,
        vip_queue=vip_queue,
        vip_tiers=frozenset(vip_tiers),
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
    return parse_rules(text, str(path))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules shipped with Agent Desk (resources/triage_rules.toml)."""
    return load_rules(default_rules_path())
