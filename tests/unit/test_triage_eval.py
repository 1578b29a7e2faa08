"""Triage judged on labelled conversations it was not written from (tests/data/triage_eval.jsonl).

Targets: recall >= 0.95 on conversations that must escalate, precision >= 0.85, and at least
90% of the escalations in time (at or before the labelled message).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_desk.triage import Attempt, Customer, Message, Triage

DATA = Path(__file__).resolve().parents[1] / "data" / "triage_eval.jsonl"


@dataclass
class Outcome:
    case: dict
    escalated_at: int | None


def replay(triage: Triage, case: dict) -> Outcome:
    raw = case["customer"]
    customer = Customer(raw["id"], raw["name"], raw.get("tier", "standard"), raw.get("lifetime_value"))
    session = triage.conversation(customer, case.get("language"), case.get("channel"))
    for index, msg in enumerate(case["messages"]):
        attempt = msg.get("attempt")
        decision = session.add_message(
            Message(msg["role"], msg["text"], msg["at"]),
            Attempt(attempt["step"], attempt["result"], attempt["at"], attempt.get("detail")) if attempt else None,
        )
        if decision.escalate:
            return Outcome(case, index)
    return Outcome(case, None)


def evaluate() -> dict:
    triage = Triage()
    cases = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes = [replay(triage, case) for case in cases]
    must = [o for o in outcomes if o.case["expect"]["escalate"]]
    escalated = [o for o in outcomes if o.escalated_at is not None]
    true_pos = [o for o in escalated if o.case["expect"]["escalate"]]
    in_time = [o for o in true_pos if o.escalated_at <= o.case["expect"]["by_message"]]
    return {
        "cases": len(cases),
        "recall": len(true_pos) / len(must),
        "precision": len(true_pos) / len(escalated) if escalated else 0.0,
        "in_time": len(in_time) / len(true_pos) if true_pos else 0.0,
        "missed": [o.case["id"] for o in must if o.escalated_at is None],
        "false_alarms": [o.case["id"] for o in escalated if not o.case["expect"]["escalate"]],
        "late": [o.case["id"] for o in true_pos if o.escalated_at > o.case["expect"]["by_message"]],
    }


@pytest.fixture(scope="module")
def report() -> dict:
    return evaluate()


def test_the_labelled_set_is_large_and_varied():
    cases = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 80
    assert {c["language"] for c in cases} >= {"en", "de", "es", "fr"}
    assert sum(not c["expect"]["escalate"] for c in cases) >= 25


def test_recall_on_conversations_that_must_escalate(report):
    assert report["recall"] >= 0.95, report["missed"]


def test_precision_of_escalations(report):
    assert report["precision"] >= 0.85, report["false_alarms"]


def test_escalations_come_in_time(report):
    assert report["in_time"] >= 0.90, report["late"]


if __name__ == "__main__":  # a report for people tuning the rules
    print(json.dumps(evaluate(), indent=2))
