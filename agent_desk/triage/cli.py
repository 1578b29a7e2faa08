"""``agent-desk triage explain|evaluate``: why a conversation would (not) reach a person, and how
triage does on labelled conversations.

(``agent-desk triage replay`` lives with the hub, whose data it reads: :mod:`agent_desk.hub.replay`.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent_desk.triage.corpus import CorpusError, corpus_files, read_cases, split_of
from agent_desk.triage.engine import ConversationTriage, Triage, pair_attempts
from agent_desk.triage.evaluate import evaluate, render
from agent_desk.triage.model import Attempt, Customer, Message
from agent_desk.triage.rules import RulesError, load_rules
from agent_desk.triage.signals import quote

#: Signal scores below this are left out of the explain table (they are in --json).
SHOWN_SCORE = 0.2


def register(sub: Any) -> Any:
    """Add the ``triage`` command; returns its sub-parsers, for commands other parts add."""
    triage = sub.add_parser("triage", help="try the triage rules on conversations")
    triage_sub = triage.add_subparsers(dest="triage_command", metavar="ACTION", required=True)
    explain = triage_sub.add_parser("explain", help="show, message by message, what triage read and decided")
    explain.add_argument("file", type=Path, help="conversation as JSON: customer, language?, messages, attempts?")
    explain.add_argument("--rules", type=Path, help="rules file to use instead of the default")
    explain.add_argument("--json", action="store_true", help="print JSON instead of a table")
    explain.set_defaults(handler=run_explain)
    judge = triage_sub.add_parser("evaluate", help="judge triage on labelled conversations (JSON lines)")
    judge.add_argument("files", type=Path, nargs="+", help="labelled conversations, or a corpus folder")
    judge.add_argument("--split", choices=("train", "dev", "test"), help="only the conversations of this split")
    judge.add_argument("--rules", type=Path, help="rules file to use instead of the default")
    judge.add_argument("--json", action="store_true", help="print JSON instead of tables")
    judge.set_defaults(handler=run_evaluate)
    return triage_sub


class ConversationFileError(ValueError):
    """A conversation file that cannot be read."""


def _attempt(raw: Any, where: str) -> Attempt:
    if not isinstance(raw, dict) or not isinstance(raw.get("step"), str):
        raise ConversationFileError(f"{where}: an attempt needs a 'step'")
    return Attempt(
        step=raw["step"], result=str(raw.get("result", "unknown")), at=str(raw.get("at", "")), detail=raw.get("detail")
    )


def read_conversation(path: Path) -> tuple[Customer, str | None, list[tuple[Message, Attempt | None]]]:
    """Parse a conversation file into the customer, language and messages with their steps.

    Steps listed apart from the messages (``attempts``, as ``escalate`` sends them) are paired
    with messages as the hub pairs them.

    Raises:
        ConversationFileError: with a message naming what is wrong.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConversationFileError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise ConversationFileError(f"{path}: not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise ConversationFileError(f"{path}: expected a JSON object")
    inner = data.get("conversation")
    conversation: dict[str, Any] = inner if isinstance(inner, dict) else data
    raw_customer = data.get("customer") or {}
    if not isinstance(raw_customer, dict):
        raise ConversationFileError(f"{path}: 'customer' must be an object")
    customer = Customer(
        id=str(raw_customer.get("id", "customer")),
        name=str(raw_customer.get("name", "The customer")),
        tier=str(raw_customer.get("tier", "standard")),
        lifetime_value=raw_customer.get("lifetime_value"),
        locale=raw_customer.get("locale"),
    )
    raw_messages = conversation.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise ConversationFileError(f"{path}: 'messages' must be a non-empty list")
    turns: list[tuple[Message, Attempt | None]] = []
    for index, raw in enumerate(raw_messages):
        where = f"{path}: messages[{index}]"
        if not isinstance(raw, dict) or raw.get("role") not in ("customer", "bot", "agent", "system"):
            raise ConversationFileError(f"{where}: needs a 'role' of customer or bot")
        if not isinstance(raw.get("text"), str):
            raise ConversationFileError(f"{where}: needs a 'text'")
        attempt = _attempt(raw["attempt"], where) if raw.get("attempt") else None
        turns.append((Message(raw["role"], raw["text"], str(raw.get("at", ""))), attempt))
    loose = [_attempt(a, f"{path}: attempts") for a in data.get("attempts") or []]
    if loose:
        paired = pair_attempts([m for m, _ in turns], loose)
        turns = [(m, own or extra) for (m, own), (_, extra) in zip(turns, paired, strict=True)]
    language = conversation.get("language") or data.get("language")
    return customer, language, turns


def explain(
    triage: Triage, customer: Customer, language: str | None, turns: list[tuple[Message, Attempt | None]]
) -> tuple[ConversationTriage, list[dict[str, Any]]]:
    """Play a conversation and note, per message, what it showed and which reasons it raised."""
    session = triage.conversation(customer, language)
    rows = []
    seen: set[tuple[str, str | None]] = set()
    for message, attempt in turns:
        decision = session.add_message(message, attempt)
        record = session.records[-1]
        raised = [r for r in decision.reasons if (r.trigger, r.topic) not in seen]
        seen.update((r.trigger, r.topic) for r in raised)
        rows.append(
            {
                "index": record.index,
                "role": record.role,
                "text": message.text,
                "scores": {k: round(v, 3) for k, v in record.scores.items()},
                "fired": sorted(record.fired),
                "held": sorted(record.held),
                "sentiment": None if record.sentiment is None else round(record.sentiment, 3),
                "repeats": record.repeats,
                "attempt": None if attempt is None else {"step": attempt.step, "result": attempt.result},
                "raised": [r.trigger + (f" ({r.topic})" if r.topic else "") for r in raised],
                "escalates_here": session.escalated_at_message == record.index,
            }
        )
    return session, rows


def _table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'#':>3}  {'role':8}  {'message':44}  {'signals (score)':38}  what it raised"]
    for row in rows:
        notes = []
        if row["scores"]:
            shown = sorted(((v, k) for k, v in row["scores"].items() if v >= SHOWN_SCORE), reverse=True)
            notes = [
                f"{k}{'*' if k in row['fired'] else '~' if k in row['held'] else ''} {v:.2f}" for v, k in shown[:3]
            ]
            if row["sentiment"] is not None:
                notes.append(f"sentiment {row['sentiment']:+.2f}")
        if row["attempt"]:
            notes.append(f"step {row['attempt']['step']}: {row['attempt']['result']}")
        if row["repeats"] is not None:
            notes.append(f"repeats #{row['repeats']}")
        raised = ", ".join(row["raised"]) + ("  <- escalates here" if row["escalates_here"] else "")
        signal_text = ", ".join(notes) or "-"
        lines.append(f"{row['index']:>3}  {row['role']:8}  {quote(row['text'], 44):44}  {signal_text:38}  {raised}")
    return lines


def run_explain(args: argparse.Namespace) -> int:
    try:
        triage = Triage(load_rules(args.rules) if args.rules else None)
        customer, language, turns = read_conversation(args.file)
    except (RulesError, ConversationFileError) as error:
        print(f"agent-desk: {error}", file=sys.stderr)
        return 2
    session, rows = explain(triage, customer, language, turns)
    decision = session.decision
    if args.json:
        report = {
            "escalate": decision.escalate,
            "escalated_at_message": session.escalated_at_message,
            **{k: v for k, v in decision.to_dict().items() if k != "escalate"},
            "priority_kinds": list(decision.kinds),
            "messages": rows,
            "rules": triage.rules.source,
        }
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    out = _table(rows)
    out.append("")
    if decision.escalate:
        out.append(
            f"Escalates at message {session.escalated_at_message}: priority {decision.priority} "
            f"({', '.join(dict.fromkeys(decision.kinds))}), queue {decision.queue}, category {decision.category}"
        )
    else:
        out.append(f"Stays with the bot (category {decision.category}, queue {decision.queue} if it escalated)")
    for reason in decision.reasons:
        score = "" if reason.score is None else f", score {reason.score:+.2f}"
        out.append(f"  - {reason.trigger}: {reason.detail} (message {reason.message_index}{score})")
    out.append(f"Brief: {decision.brief}")
    out.append(
        f"Sentiment: {decision.sentiment.compound:+.2f} (trend {decision.sentiment.trend:+.2f}); "
        f"mood: {decision.mood}; language: {decision.language}"
    )
    out.append(f"Rules: {triage.rules.source}")
    out.append(
        "(* a signal that fired; ~ one over its threshold that waited until the conversation needed a "
        "person; scores under 0.20 are not shown; --json shows all)"
    )
    print("\n".join(out))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        triage = Triage(load_rules(args.rules) if args.rules else None)
        paths: list[Path] = []
        for path in args.files:
            paths.extend(corpus_files(path) if path.is_dir() else [path])
        cases = read_cases(paths)
    except (RulesError, CorpusError) as error:
        print(f"agent-desk: {error}", file=sys.stderr)
        return 2
    if args.split:
        cases = [c for c in cases if split_of(c.id) == args.split]
    if not cases:
        print("agent-desk: no labelled conversations to evaluate", file=sys.stderr)
        return 2
    report = evaluate(triage, cases)
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else render(report))
    return 0
