"""``agent-desk triage explain FILE``: show why a conversation would (not) reach a person."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent_desk.triage.engine import Triage
from agent_desk.triage.model import Attempt, Customer, Message
from agent_desk.triage.rules import RulesError, load_rules


def register(sub: Any) -> None:
    triage = sub.add_parser("triage", help="try the triage rules on saved conversations")
    triage_sub = triage.add_subparsers(dest="triage_command", metavar="ACTION", required=True)
    explain = triage_sub.add_parser("explain", help="print the decision and every reason for a conversation")
    explain.add_argument("file", type=Path, help="conversation as JSON: customer, language?, messages, attempts?")
    explain.add_argument("--rules", type=Path, help="rules file to use instead of the default")
    explain.set_defaults(handler=run_explain)


class ConversationFileError(ValueError):
    """A conversation file that cannot be read."""


def _attempt(raw: Any, where: str) -> Attempt:
    if not isinstance(raw, dict) or not isinstance(raw.get("step"), str):
        raise ConversationFileError(f"{where}: an attempt needs a 'step'")
    return Attempt(step=raw["step"], result=str(raw.get("result", "unknown")), at=str(raw.get("at", "")),
                   detail=raw.get("detail"))


def read_conversation(path: Path) -> tuple[Customer, str | None, list[tuple[Message, Attempt | None]], list[Attempt]]:
    """Parse a conversation file.

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
    conversation = data.get("conversation") if isinstance(data.get("conversation"), dict) else data
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
    messages = []
    for index, raw in enumerate(raw_messages):
        where = f"{path}: messages[{index}]"
        if not isinstance(raw, dict) or raw.get("role") not in ("customer", "bot", "agent", "system"):
            raise ConversationFileError(f"{where}: needs a 'role' of customer or bot")
        if not isinstance(raw.get("text"), str):
            raise ConversationFileError(f"{where}: needs a 'text'")
        attempt = _attempt(raw["attempt"], where) if raw.get("attempt") else None
        messages.append((Message(raw["role"], raw["text"], str(raw.get("at", ""))), attempt))
    attempts = [_attempt(a, f"{path}: attempts") for a in data.get("attempts") or []]
    language = conversation.get("language") or data.get("language")
    return customer, language, messages, attempts


def run_explain(args: argparse.Namespace) -> int:
    try:
        triage = Triage(load_rules(args.rules) if args.rules else None)
        customer, language, messages, attempts = read_conversation(args.file)
    except (RulesError, ConversationFileError) as error:
        print(f"agent-desk: {error}", file=sys.stderr)
        return 2
    session = triage.conversation(customer, language)
    for attempt in attempts:
        session.add_attempt(attempt)
    for message, attempt in messages:
        session.add_message(message, attempt)
    decision = session.decision
    report = {
        "escalate": decision.escalate,
        "escalated_at_message": session.escalated_at_message,
        **{k: v for k, v in decision.to_dict().items() if k != "escalate"},
        "rules": triage.rules.source,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0
