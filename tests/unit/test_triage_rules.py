"""The rules file operators replace: errors name the line and key; explain shows every reason."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from agent_desk.triage import RulesError, Triage, load_rules
from agent_desk.triage._paths import default_rules_path

DEFAULT = default_rules_path().read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path, text):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_rules_load_and_route_to_the_documented_queues():
    triage = Triage()
    assert {"billing", "technical", "orders", "retention", "compliance", "general", "vip"} <= set(triage.queues)


def test_a_syntax_error_names_its_line(tmp_path):
    broken = DEFAULT.replace("failed_attempts = 2", "failed_attempts = = 2")
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, broken))
    assert f"line {line_of(broken, 'failed_attempts = = 2')}" in str(error.value)


def test_a_wrong_value_names_its_line_and_key(tmp_path):
    broken = DEFAULT.replace("failed_attempts = 2", 'failed_attempts = "two"')
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, broken))
    message = str(error.value)
    assert "thresholds.failed_attempts" in message
    assert f"line {line_of(broken, 'failed_attempts = ')}" in message


def test_a_bad_pattern_and_an_unknown_key_are_named(tmp_path):
    broken = DEFAULT.replace('category = "legal"', 'category = "legal"\nsv = ["(unclosed"]', 1)
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, broken))
    assert "topics.legal.sv" in str(error.value) and "unclosed" in str(error.value)
    unknown = DEFAULT.replace("trend_window = 3", "trend_window = 3\nmood_swing = 4")
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, unknown))
    assert "thresholds.mood_swing" in str(error.value)
    assert f"line {line_of(unknown, 'mood_swing')}" in str(error.value)


def test_an_operator_can_change_a_threshold(tmp_path):
    strict = load_rules(write(tmp_path, DEFAULT.replace("failed_attempts = 2", "failed_attempts = 3")))
    assert strict.failed_attempts == 3 and load_rules(default_rules_path()).failed_attempts == 2


def explain(*args):
    return subprocess.run([sys.executable, "-m", "agent_desk", "triage", "explain", *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def test_explain_prints_decision_priority_queue_and_every_reason(tmp_path):
    conversation = {
        "customer": {"id": "c-1", "name": "Omar Haddad", "tier": "standard"},
        "messages": [
            {"role": "customer", "text": "my charger started smoking", "at": "2026-11-20T10:00:00Z"},
            {"role": "bot", "text": "Try another outlet.", "at": "2026-11-20T10:00:05Z",
             "attempt": {"step": "try_outlet", "result": "failed", "at": "2026-11-20T10:00:05Z"}},
            {"role": "customer", "text": "let me talk to a person", "at": "2026-11-20T10:00:30Z"},
        ],
    }
    path = tmp_path / "conversation.json"
    path.write_text(json.dumps(conversation), encoding="utf-8")
    done = explain(path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["escalate"] is True and report["escalated_at_message"] == 0
    assert report["priority"] == 1 and report["queue"] == "compliance" and report["category"] == "safety"
    assert {r["trigger"] for r in report["reasons"]} == {"sensitive_topic", "explicit_request"}
    assert all(r["detail"] for r in report["reasons"]) and report["brief"].endswith(".")


def test_explain_refuses_bad_files_clearly(tmp_path):
    missing = explain(tmp_path / "nope.json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [{"role": "alien", "text": "hi"}]}', encoding="utf-8")
    done = explain(bad)
    assert done.returncode == 2 and "messages[0]" in done.stderr and "Traceback" not in done.stderr
    rules = write(tmp_path, "[thresholds\n")
    good = tmp_path / "good.json"
    good.write_text('{"messages": [{"role": "customer", "text": "hi"}]}', encoding="utf-8")
    done = explain(good, "--rules", rules)
    assert done.returncode == 2 and "line 1" in done.stderr


def test_hub_serve_refuses_a_wrong_rules_file(tmp_path):
    rules = write(tmp_path, DEFAULT.replace("trend_window = 3", "trend_window = 1.5"))
    done = subprocess.run([sys.executable, "-m", "agent_desk", "hub", "serve", "--data", str(tmp_path / "d"),
                           "--port", "0", "--triage-rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "thresholds.trend_window" in done.stderr
