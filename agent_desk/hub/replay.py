"""``agent-desk triage replay --data DIR [--rules FILE]``: what other rules would have done.

Replays every conversation a hub has stored under the live rules and under a proposed rules
file (or model), and prints side by side, overall and per trigger, what was recorded and what
each would have given: the handoff rate, the time to escalation, and, where agents recorded
``escalation_feedback``, the share of premature and late handoffs. An operator sees the effect
of a threshold change before making it.

How feedback carries over to other rules (the agent judged the moment the hub handed over):

- ``appropriate``: the same message is still appropriate; an earlier one is premature, a later
  one late, none at all late (the customer was left with the bot).
- ``premature``: handing over at that message or earlier is still premature; later or not at
  all is not.
- ``late``: at that message or later (or not at all) is still late; earlier is not.

The hub's data is only read (SQLite opened read-only), so replay is safe while the hub runs.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_desk.hub import db
from agent_desk.protocol.timefmt import parse_time
from agent_desk.triage import Customer, Message, RulesError, Triage, default_rules, load_rules
from agent_desk.triage.engine import pair_attempts
from agent_desk.triage.evaluate import TRIGGERS
from agent_desk.triage.model import Attempt
from agent_desk.triage.rules import Rules


def register(triage_sub: Any) -> None:
    """Add ``replay`` under ``agent-desk triage``."""
    replay = triage_sub.add_parser("replay", help="replay a hub's stored conversations under other rules")
    replay.add_argument("--data", required=True, type=Path, help="the hub's data folder")
    replay.add_argument("--rules", type=Path, help="proposed rules file (default: only the live rules)")
    replay.add_argument(
        "--live-rules", type=Path, help="the rules the hub serves with, if not the default (hub serve --triage-rules)"
    )
    replay.add_argument("--json", action="store_true", help="print JSON instead of tables")
    replay.set_defaults(handler=run_replay)


@dataclass(frozen=True)
class Unit:
    """One stretch of a conversation that the hub watched, and what happened to it."""

    customer: Customer
    language: str | None
    turns: tuple[tuple[Message, Attempt | None], ...]
    escalated_at: int | None  # message index within the unit, as recorded (None: not escalated)
    reasons: tuple[str, ...]  # the recorded handoff's triggers
    feedback: str | None


@dataclass
class Column:
    """Figures for one way of deciding (recorded, live rules, proposed rules)."""

    units: int = 0
    handoffs: int = 0
    seconds: list[float] = field(default_factory=list)
    with_feedback: int = 0
    premature: int = 0
    late: int = 0
    by_trigger: dict[str, Column] = field(default_factory=dict)

    def add(self, escalated_at: int | None, triggers: Sequence[str], unit: Unit, verdict: str | None) -> None:
        for target in [self, *(self.by_trigger.setdefault(t, Column()) for t in triggers)]:
            target.units += target is self
            if escalated_at is not None:
                target.handoffs += 1
                elapsed = _elapsed(unit, escalated_at)
                if elapsed is not None:
                    target.seconds.append(elapsed)
            if verdict is not None:
                target.with_feedback += 1
                target.premature += verdict == "premature"
                target.late += verdict == "late"

    def figures(self, units: int) -> dict[str, Any]:
        return {
            "handoffs": self.handoffs,
            "handoff_rate": self.handoffs / units if units else None,
            "time_to_escalation_s": sum(self.seconds) / len(self.seconds) if self.seconds else None,
            "with_feedback": self.with_feedback,
            "premature_share": self.premature / self.with_feedback if self.with_feedback else None,
            "late_share": self.late / self.with_feedback if self.with_feedback else None,
        }


def _elapsed(unit: Unit, index: int) -> float | None:
    try:
        start = parse_time(unit.turns[0][0].at)
        end = parse_time(unit.turns[index][0].at)
    except (ValueError, TypeError, IndexError):
        return None
    return (end - start).total_seconds()


def carry_feedback(feedback: str | None, recorded: int | None, replayed: int | None) -> str | None:
    """What an agent's verdict on the recorded handoff says of a handoff at ``replayed``."""
    if feedback is None or recorded is None:
        return None
    if feedback == "appropriate":
        if replayed is None or replayed > recorded:
            return "late"
        return "premature" if replayed < recorded else "appropriate"
    if feedback == "premature":
        return "premature" if replayed is not None and replayed <= recorded else "appropriate"
    if feedback == "late":
        return "appropriate" if replayed is not None and replayed < recorded else "late"
    return None


def _attempt(raw: Any) -> Attempt | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("step"), str):
        return None
    return Attempt(raw["step"], str(raw.get("result", "unknown")), str(raw.get("at", "")), raw.get("detail"))


def read_units(data_dir: Path) -> list[Unit]:
    """Every watched stretch of every stored conversation, with its recorded outcome.

    Raises:
        FileNotFoundError: no hub store in ``data_dir``.
        sqlite3.DatabaseError: the file is not a readable hub store.
    """
    path = db.database_path(data_dir)
    if not path.is_file():
        raise FileNotFoundError(f"no hub store in {data_dir}")
    rows, handoff_data = db.read_conversations(path)
    outcomes: dict[str, tuple[list[str], str | None]] = {}
    for data in handoff_data:
        handoff = json.loads(data)
        outcome = handoff.get("outcome") or {}
        outcomes[handoff["id"]] = (
            [str(r.get("trigger")) for r in handoff.get("reasons") or []],
            outcome.get("escalation_feedback"),
        )
    units = []
    for raw_customer, language, raw_messages, raw_attempts, watch_from, handoff_id, raw_segments in rows:
        customer_data = json.loads(raw_customer or "{}")
        customer = Customer(
            id=str(customer_data.get("id", "customer")),
            name=str(customer_data.get("name", "Customer")),
            tier=str(customer_data.get("tier", "standard")),
            lifetime_value=customer_data.get("lifetime_value"),
            locale=customer_data.get("locale"),
        )
        messages = json.loads(raw_messages or "[]")
        attempts = json.loads(raw_attempts or "[]")
        segments = json.loads(raw_segments or "[]")
        starts = sorted({0, *(s["from"] for s in segments), watch_from})
        by_start = {s["from"]: s for s in segments}
        for number, start in enumerate(starts):
            end = starts[number + 1] if number + 1 < len(starts) else len(messages)
            part = messages[start:end]
            if not part:
                continue
            turns = [(Message(m["role"], m["text"], m["at"]), _attempt(m.get("attempt"))) for m in part]
            if attempts and not any(m.get("attempt") for m in messages):  # stores from before steps were kept
                first = part[0]["at"]
                loose = [a for a in (_attempt(x) for x in attempts if x.get("at", "") >= first) if a]
                turns = pair_attempts([t for t, _ in turns], loose)
            segment = by_start.get(start)
            if segment is None and start == watch_from and handoff_id and not segments:
                segment = {"at": len(part) - 1, "handoff_id": handoff_id}  # old store: moment unknown
            triggers, feedback = outcomes.get(segment["handoff_id"], ([], None)) if segment else ([], None)
            units.append(
                Unit(
                    customer=customer,
                    language=language,
                    turns=tuple(turns),
                    escalated_at=None if segment is None else segment["at"] - (start if "from" in segment else 0),
                    reasons=tuple(triggers),
                    feedback=feedback,
                )
            )
    return units


def replay(units: Sequence[Unit], rules: dict[str, Rules]) -> dict[str, dict[str, Any]]:
    """Figures per column: ``recorded`` and one per named rules set."""
    columns: dict[str, Column] = {"recorded": Column()}
    for unit in units:
        columns["recorded"].add(unit.escalated_at, unit.reasons, unit, unit.feedback)
    for name, ruleset in rules.items():
        column = columns.setdefault(name, Column())
        triage = Triage(ruleset)
        for unit in units:
            session = triage.conversation(unit.customer, unit.language)
            for message, attempt in unit.turns:
                session.add_message(message, attempt)
            at = session.escalated_at_message
            triggers = [r.trigger for r in session.decision.reasons] if at is not None else []
            column.add(at, list(dict.fromkeys(triggers)), unit, carry_feedback(unit.feedback, unit.escalated_at, at))
    out: dict[str, dict[str, Any]] = {}
    total = len(units)
    for name, column in columns.items():
        figures = column.figures(total)
        figures["by_trigger"] = {t: column.by_trigger[t].figures(total) for t in TRIGGERS if t in column.by_trigger}
        out[name] = figures
    return out


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value:.2f}"
    if kind == "seconds":
        return f"{value:.0f} s"
    return str(value)


def render(report: dict[str, dict[str, Any]], units: int) -> str:
    names = list(report)
    width = max(12, *(len(n) for n in names)) + 2
    head = f"{'':26}" + "".join(f"{n:>{width}}" for n in names)
    lines = [f"{units} conversations replayed", "", head]
    rows = [
        ("handoffs", "handoffs", "count"),
        ("handoff rate", "handoff_rate", "rate"),
        ("time to escalation", "time_to_escalation_s", "seconds"),
        ("with agents' feedback", "with_feedback", "count"),
        ("premature share", "premature_share", "rate"),
        ("late share", "late_share", "rate"),
    ]
    for label, key, kind in rows:
        lines.append(f"{label:26}" + "".join(f"{_cell(report[n][key], kind):>{width}}" for n in names))
    for trigger in TRIGGERS:
        if not any(trigger in report[n]["by_trigger"] for n in names):
            continue
        lines += ["", f"{trigger}:"]
        for label, key, kind in rows:
            cells = [_cell(report[n]["by_trigger"].get(trigger, {}).get(key), kind) for n in names]
            lines.append(f"  {label:24}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def run_replay(args: argparse.Namespace) -> int:
    try:
        live = load_rules(args.live_rules) if args.live_rules else default_rules()
        sets = {"live rules": live}
        if args.rules:
            sets["proposed rules"] = load_rules(args.rules)
        units = read_units(args.data)
    except (RulesError, FileNotFoundError) as error:
        print(f"agent-desk: {error}", file=sys.stderr)
        return 2
    except (sqlite3.DatabaseError, ValueError, KeyError) as error:
        print(f"agent-desk: {args.data}: not a readable hub store: {error}", file=sys.stderr)
        return 2
    report = replay(units, sets)
    print(json.dumps({"conversations": len(units), **report}, indent=2) if args.json else render(report, len(units)))
    return 0
