"""Judging triage on labelled conversations: ``agent-desk triage evaluate``.

Each conversation is played message by message through :class:`ConversationTriage`, exactly as
the hub's ``observe`` plays it, and compared with what its author labelled: whether it should
reach a person, by which message, for which triggers, at what priority.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agent_desk.protocol.codes import Trigger
from agent_desk.triage.corpus import Case, derived
from agent_desk.triage.engine import Triage
from agent_desk.triage.model import Decision
from agent_desk.triage.rules import SIGNALS, TOPIC_SIGNALS

#: The triggers triage raises itself (every one but the source's own decision).
TRIGGERS = tuple(t.value for t in Trigger if t is not Trigger.SOURCE_DECISION)
#: The bars a triage must clear on the corpus's test split (docs/triage.md).
TARGETS = {
    "recall": 0.95,
    "precision": 0.90,
    "in_time": 0.90,
    "trigger_recall": 0.85,
    "language_recall": 0.85,
    "priority_agreement": 0.90,
    "p1_share_max": 0.20,
}


@dataclass(frozen=True)
class Outcome:
    """How triage handled one labelled conversation."""

    case: Case
    escalated_at: int | None
    decision: Decision
    fired: tuple[frozenset[str], ...]  # per message, the signals that fired (customer messages)

    @property
    def triggers(self) -> set[str]:
        return {r.trigger for r in self.decision.reasons} if self.escalated_at is not None else set()


def play(triage: Triage, case: Case) -> Outcome:
    """Feed a labelled conversation through triage, message by message."""
    session = triage.conversation(case.customer, case.language, case.channel)
    escalated_at = None
    for index, (message, attempt) in enumerate(case.turns()):
        decision = session.add_message(message, attempt)
        if decision.escalate and escalated_at is None:
            escalated_at = index
    return Outcome(case, escalated_at, session.decision, tuple(r.fired for r in session.records))


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    must = [o for o in outcomes if o.case.escalate]
    escalated = [o for o in outcomes if o.escalated_at is not None]
    hits = [o for o in escalated if o.case.escalate]
    on_time = [o for o in hits if o.case.by_message is None or o.escalated_at <= o.case.by_message]  # type: ignore[operator]
    return {
        "conversations": len(outcomes),
        "must_escalate": len(must),
        "escalated": len(escalated),
        "recall": _ratio(len(hits), len(must)),
        "precision": _ratio(len(hits), len(escalated)),
        "in_time": _ratio(len(on_time), len(hits)),
    }


def evaluate(triage: Triage, cases: Iterable[Case]) -> dict[str, Any]:
    """Every figure of the evaluation, as plain data (the CLI prints it as tables)."""
    outcomes = [play(triage, case) for case in cases]
    report = _summary(outcomes)
    hits = [o for o in outcomes if o.escalated_at is not None and o.case.escalate]
    escalated = [o for o in outcomes if o.escalated_at is not None]
    report["missed"] = [o.case.id for o in outcomes if o.case.escalate and o.escalated_at is None]
    report["false_alarms"] = [o.case.id for o in escalated if not o.case.escalate]
    report["late"] = [
        o.case.id
        for o in hits
        if o.case.by_message is not None and o.escalated_at > o.case.by_message  # type: ignore[operator]
    ]

    labelled = [o for o in hits if o.case.priority is not None]
    agree = [o for o in labelled if o.decision.priority == o.case.priority]
    near = [o for o in labelled if abs(o.decision.priority - o.case.priority) <= 1]  # type: ignore[operator]
    report["priority_agreement"] = _ratio(len(agree), len(labelled))
    report["priority_within_one"] = _ratio(len(near), len(labelled))
    report["priority_mismatches"] = [
        f"{o.case.id}: {o.decision.priority} for {o.case.priority}" for o in labelled if o not in agree
    ]
    report["p1_share"] = _ratio(sum(o.decision.priority == 1 for o in escalated), len(escalated))

    by_trigger: dict[str, Any] = {}
    for trigger in TRIGGERS:
        with_label = [o for o in outcomes if trigger in o.case.triggers]
        caught = [o for o in with_label if o.escalated_at is not None]
        named = [o for o in with_label if trigger in o.triggers]
        claimed = [o for o in outcomes if trigger in o.triggers]
        right = [o for o in claimed if trigger in o.case.triggers]
        by_trigger[trigger] = {
            "labelled": len(with_label),
            "recall": _ratio(len(caught), len(with_label)),
            "named": _ratio(len(named), len(with_label)),
            "precision": _ratio(len(right), len(claimed)),
        }
    report["by_trigger"] = by_trigger

    by_topic: dict[str, Any] = {}
    for signal, topic in TOPIC_SIGNALS.items():
        with_label = [o for o in outcomes if o.case.escalate and any(signal in s for s in o.case.signals)]
        named = [o for o in with_label if any(r.topic == topic for r in o.decision.reasons)]
        by_topic[topic] = {"labelled": len(with_label), "recall": _ratio(len(named), len(with_label))}
    report["by_topic"] = by_topic

    groups: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome.case.language].append(outcome)
    report["by_language"] = {language: _summary(group) for language, group in sorted(groups.items())}

    by_signal: dict[str, Any] = {}
    for signal in SIGNALS:
        tp = fp = fn = 0
        for outcome in outcomes:
            for index, (fired, message) in enumerate(zip(outcome.fired, outcome.case.messages, strict=True)):
                if message.role != "customer":
                    continue
                labels = derived(outcome.case, index)
                tp += signal in labels and signal in fired
                fp += signal not in labels and signal in fired
                fn += signal in labels and signal not in fired
        by_signal[signal] = {"labelled": tp + fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn)}
    report["by_signal"] = by_signal
    report["checks"] = checks(report)
    return report


def checks(report: dict[str, Any]) -> dict[str, bool]:
    """Which of the bars in :data:`TARGETS` the report clears."""

    def at_least(value: float | None, bar: float) -> bool:
        return value is not None and value >= bar

    return {
        "recall": at_least(report["recall"], TARGETS["recall"]),
        "precision": at_least(report["precision"], TARGETS["precision"]),
        "in_time": at_least(report["in_time"], TARGETS["in_time"]),
        "trigger_recall": all(
            at_least(t["recall"], TARGETS["trigger_recall"]) for t in report["by_trigger"].values() if t["labelled"]
        ),
        "language_recall": all(
            at_least(g["recall"], TARGETS["language_recall"])
            for g in report["by_language"].values()
            if g["must_escalate"]
        ),
        "priority_agreement": at_least(report["priority_agreement"], TARGETS["priority_agreement"]),
        "p1_share": report["p1_share"] is not None and report["p1_share"] <= TARGETS["p1_share_max"],
    }


def _pct(value: float | None) -> str:
    return "   —" if value is None else f"{value:4.2f}"


def render(report: dict[str, Any]) -> str:
    """The report as the tables docs/triage.md shows."""
    lines = [
        f"conversations {report['conversations']}, of which {report['must_escalate']} must reach a person; "
        f"{report['escalated']} escalated",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| recall | {_pct(report['recall'])} | ≥ {TARGETS['recall']:.2f} |",
        f"| precision | {_pct(report['precision'])} | ≥ {TARGETS['precision']:.2f} |",
        f"| in time | {_pct(report['in_time'])} | ≥ {TARGETS['in_time']:.2f} |",
        f"| priority agreement | {_pct(report['priority_agreement'])} | ≥ {TARGETS['priority_agreement']:.2f} |",
        f"| priority within one | {_pct(report['priority_within_one'])} | |",
        f"| priority 1 share of handoffs | {_pct(report['p1_share'])} | ≤ {TARGETS['p1_share_max']:.2f} |",
        "",
        "| trigger | labelled | recall | named as reason | precision |",
        "|---|---|---|---|---|",
    ]
    for trigger, row in report["by_trigger"].items():
        lines.append(
            f"| {trigger} | {row['labelled']} | {_pct(row['recall'])} | {_pct(row['named'])} | {_pct(row['precision'])} |"
        )
    lines += ["", "| sensitive topic | labelled | named as reason |", "|---|---|---|"]
    for topic, row in report["by_topic"].items():
        lines.append(f"| {topic} | {row['labelled']} | {_pct(row['recall'])} |")
    lines += ["", "| language | conversations | must | recall | precision | in time |", "|---|---|---|---|---|---|"]
    for language, row in report["by_language"].items():
        lines.append(
            f"| {language} | {row['conversations']} | {row['must_escalate']} | {_pct(row['recall'])} | "
            f"{_pct(row['precision'])} | {_pct(row['in_time'])} |"
        )
    lines += ["", "| signal (per message) | labelled | precision | recall |", "|---|---|---|---|"]
    for signal, row in report["by_signal"].items():
        lines.append(f"| {signal} | {row['labelled']} | {_pct(row['precision'])} | {_pct(row['recall'])} |")
    failed = [name for name, ok in report["checks"].items() if not ok]
    lines += ["", "every target met" if not failed else "targets missed: " + ", ".join(failed)]
    return "\n".join(lines)
