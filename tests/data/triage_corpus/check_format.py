"""Check that corpus files follow the format of SPEC.md (format only, not the judgement).

python tests/data/triage_corpus/check_format.py FILE.jsonl [FILE.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SIGNALS = {
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
}
TRIGGERS = {
    "explicit_request",
    "negative_sentiment",
    "repeated_failure",
    "sensitive_topic",
    "high_value",
    "multi_issue",
}
CATEGORIES = {
    "orders",
    "billing",
    "billing_dispute",
    "technical",
    "account",
    "cancellation",
    "legal",
    "safety",
    "privacy",
    "compliance",
    "general",
}
TIERS = {"vip", "premium", "standard", "free"}
CHANNELS = {"web_chat", "app", "whatsapp", "email", "messenger"}
RESULTS = {"succeeded", "failed", "unknown"}


def problems(case: object) -> list[str]:
    out: list[str] = []
    if not isinstance(case, dict):
        return ["not a JSON object"]
    for key in ("id", "description", "language", "channel", "customer", "messages", "expect"):
        if key not in case:
            out.append(f"missing {key!r}")
    if out:
        return out
    if case["channel"] not in CHANNELS:
        out.append(f"channel {case['channel']!r}")
    customer = case["customer"]
    if not isinstance(customer, dict) or not isinstance(customer.get("name"), str):
        out.append("customer needs a name")
    elif customer.get("tier") not in TIERS:
        out.append(f"tier {customer.get('tier')!r}")
    elif "lifetime_value" in customer and not isinstance(customer["lifetime_value"], int | float):
        out.append("lifetime_value must be a number")
    messages = case["messages"]
    if not isinstance(messages, list) or not 2 <= len(messages) <= 12:
        out.append("2 to 12 messages")
        return out
    here = 0
    for index, msg in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(msg, dict) or msg.get("role") not in ("customer", "bot"):
            out.append(f"{where}: role must be customer or bot")
            continue
        if not isinstance(msg.get("text"), str) or not msg["text"].strip():
            out.append(f"{where}: text")
        if msg["role"] == "customer":
            signals = msg.get("signals")
            if not isinstance(signals, list) or not set(signals) <= SIGNALS:
                out.append(f"{where}: signals {signals!r}")
            if "attempt" in msg:
                out.append(f"{where}: attempts belong on bot messages")
        else:
            if "signals" in msg:
                out.append(f"{where}: signals belong on customer messages")
            attempt = msg.get("attempt")
            if attempt is not None and (
                not isinstance(attempt, dict)
                or not isinstance(attempt.get("step"), str)
                or attempt.get("result") not in RESULTS
            ):
                out.append(f"{where}: attempt {attempt!r}")
        if msg.get("escalate_here"):
            here += 1
    expect = case["expect"]
    if not isinstance(expect, dict):
        return [*out, "expect must be an object"]
    escalate = expect.get("escalate")
    if not isinstance(escalate, bool):
        out.append("expect.escalate must be true or false")
    triggers = expect.get("triggers")
    if not isinstance(triggers, list) or not set(triggers) <= TRIGGERS:
        out.append(f"expect.triggers {triggers!r}")
    if expect.get("category") not in CATEGORIES:
        out.append(f"expect.category {expect.get('category')!r}")
    if escalate:
        if here != 1:
            out.append(f"escalate_here on {here} messages (exactly one needed)")
        if expect.get("priority") not in (1, 2, 3, 4):
            out.append("expect.priority must be 1-4")
        if not triggers:
            out.append("an escalation needs its triggers")
    if "hard_negative" in expect and (escalate or not isinstance(expect["hard_negative"], bool)):
        out.append("expect.hard_negative is true or false, and only on a conversation that does not escalate")
    elif escalate is False:
        if here:
            out.append("escalate_here on a conversation that does not escalate")
        if expect.get("priority") is not None:
            out.append("expect.priority must be null when it does not escalate")
        if triggers:
            out.append("no triggers when it does not escalate")
    return out


def main(paths: list[str]) -> int:
    bad = 0
    seen: set[str] = set()
    for path in paths:
        for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except ValueError as error:
                print(f"{path}:{number}: not JSON: {error}")
                bad += 1
                continue
            found = problems(case)
            if isinstance(case, dict) and case.get("id") in seen:
                found.append(f"duplicate id {case.get('id')!r}")
            if isinstance(case, dict):
                seen.add(case.get("id"))
            for problem in found:
                print(f"{path}:{number}: {problem}")
            bad += bool(found)
    print(f"{len(seen)} conversations, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
