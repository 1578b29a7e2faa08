"""The rules file operators replace, and the model file it names: errors name the line and key;
``triage explain`` shows, message by message, what triage read and why it decided."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from agent_desk.triage import (
    Customer,
    Message,
    ModelError,
    RulesError,
    SignalModel,
    Triage,
    load_rules,
)
from agent_desk.triage._paths import default_rules_path
from agent_desk.triage.classifier import load_model
from agent_desk.triage.features import FeatureSpec, features
from tests.support.triage_rules import marked_rules

DEFAULT = default_rules_path().read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def write(tmp_path, text, name="rules.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


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
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, DEFAULT.replace("\nwants_person = ", "\nwants_person = 1.5 # ", 1)))
    assert "signals.wants_person" in str(error.value) and "probability" in str(error.value)


def test_a_bad_pattern_and_an_unknown_key_are_named(tmp_path):
    broken = DEFAULT.replace("\n[queues]", '\n[overrides.legal]\nmatch = ["(unclosed"]\n\n[queues]')
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, broken))
    assert "overrides.legal.match" in str(error.value) and "unclosed" in str(error.value)
    unknown = DEFAULT.replace("failed_attempts = 2", "failed_attempts = 2\nmood_swing = 4")
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, unknown))
    assert "thresholds.mood_swing" in str(error.value)
    assert f"line {line_of(unknown, 'mood_swing')}" in str(error.value)
    signal = DEFAULT.replace("\n[queues]", '\n[overrides.sarcasm]\nmatch = ["oh great"]\n\n[queues]')
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, signal))
    assert "overrides.sarcasm" in str(error.value) and "wants_person" in str(error.value)


def test_an_operator_can_change_a_threshold_and_add_an_override(tmp_path):
    text = DEFAULT.replace("failed_attempts = 2", "failed_attempts = 3").replace(
        "\n[queues]", '\n[overrides.wants_person]\nmatch = ["\\\\bsupervisor\\\\b"]\n\n[queues]'
    )
    rules = load_rules(write(tmp_path, text))
    assert rules.failed_attempts == 3 and load_rules(default_rules_path()).failed_attempts == 2
    session = Triage(rules).conversation(Customer("c", "Ann"))
    decision = session.add_message(Message("customer", "put me through to your Supervisor", "2026-11-20T10:00:00Z"))
    assert decision.escalate and decision.reasons[0].trigger == "explicit_request"


def test_a_model_file_that_is_missing_or_damaged_is_refused_with_its_key(tmp_path):
    missing = DEFAULT.replace('file = "triage_model.bin"', 'file = "nowhere.bin"')
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, missing))
    assert "model.file" in str(error.value) and "cannot read" in str(error.value)
    good = load_model(default_rules_path().parent / "triage_model.bin")
    (tmp_path / "cut.bin").write_bytes(good.to_bytes()[:-10])
    with pytest.raises(RulesError) as error:
        load_rules(write(tmp_path, DEFAULT.replace('file = "triage_model.bin"', 'file = "cut.bin"')))
    assert "cut short" in str(error.value)
    (tmp_path / "text.bin").write_text("hello", encoding="utf-8")
    with pytest.raises(ModelError):
        load_model(tmp_path / "text.bin")


def test_a_model_file_reads_back_as_it_was_written(tmp_path):
    model = SignalModel.from_weights(
        ["wants_person", "area:orders"],
        FeatureSpec(2, 3),
        [-1.0, 0.5],
        [" hu", "hum", "man", "pé"],
        [[2.0, 0.0], [1.5, -0.1], [0.0, 0.0], [-0.5, 0.25]],
        {"note": "test"},
    )
    again = SignalModel.from_bytes(model.to_bytes())
    assert again.labels == model.labels and again.spec == model.spec and again.info == {"note": "test"}
    assert again.row("man") is None and again.row("hum")[0] == 128 + 95  # 1.5 / (2.0 / 127)
    assert again.scores("a human please") == pytest.approx(model.scores("a human please"))
    # " hu" and "hum" weigh 2.0 and 1.5, over the message's n-grams; one byte a weight loses little.
    _, total, _ = features("HUMAN!", FeatureSpec(2, 3))  # " human! " has 7 + 6 n-grams of 2 and 3
    assert total == 13
    expected = -1.0 + (2.0 + 1.5) / math.sqrt(total)
    assert again.logits("HUMAN!")[0] == pytest.approx(expected, abs=0.02)
    assert again.scores("")["area:orders"] == pytest.approx(1 / (1 + math.exp(-0.5)))


def explain(*args):
    return subprocess.run(
        [sys.executable, "-m", "agent_desk", "triage", "explain", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


CONVERSATION = {
    "customer": {"id": "c-1", "name": "Omar Haddad", "tier": "standard"},
    "messages": [
        {"role": "customer", "text": "the heater HURT my son", "at": "2026-11-20T10:00:00Z"},
        {
            "role": "bot",
            "text": "Try another outlet.",
            "at": "2026-11-20T10:00:05Z",
            "attempt": {"step": "try_outlet", "result": "failed", "at": "2026-11-20T10:00:05Z"},
        },
        {"role": "customer", "text": "let me talk to a PERSON", "at": "2026-11-20T10:00:30Z"},
    ],
}


def test_explain_prints_a_table_of_every_message_and_the_decision(tmp_path):
    rules = marked_rules(tmp_path / "rules")
    path = write(tmp_path, json.dumps(CONVERSATION), "conversation.json")
    done = explain(path, "--rules", rules)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header, rows = lines[0], lines[1:4]
    assert header.split()[:4] == ["#", "role", "message", "signals"]
    assert rows[0].split()[:2] == ["0", "customer"] and "sensitive_topic (safety)" in rows[0]
    assert "<- escalates here" in rows[0]
    assert "step try_outlet: failed" in rows[1]
    assert "explicit_request" in rows[2]
    text = done.stdout
    assert "Escalates at message 0: priority 1 (danger, explicit_request), queue compliance, category safety" in text
    assert 'sensitive_topic: Safety: "the heater HURT my son" (message 0' in text
    assert "Brief: Omar Haddad reports an injury" in text


def test_explain_json_has_every_score_and_reason(tmp_path):
    rules = marked_rules(tmp_path / "rules")
    done = explain(write(tmp_path, json.dumps(CONVERSATION), "conversation.json"), "--rules", rules, "--json")
    report = json.loads(done.stdout)
    assert report["escalate"] is True and report["escalated_at_message"] == 0
    assert report["priority"] == 1 and report["queue"] == "compliance" and report["category"] == "safety"
    assert {r["trigger"] for r in report["reasons"]} == {"sensitive_topic", "explicit_request"}
    assert [m["index"] for m in report["messages"]] == [0, 1, 2]
    assert set(report["messages"][0]["scores"]) >= {"wants_person", "danger", "frustration"}
    assert report["messages"][0]["fired"] == ["danger"]
    for reason in report["reasons"]:
        assert reason["quote"] == CONVERSATION["messages"][reason["message_index"]]["text"]


def test_explain_refuses_bad_files_clearly(tmp_path):
    missing = explain(tmp_path / "nope.json")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    bad = write(tmp_path, '{"messages": [{"role": "alien", "text": "hi"}]}', "bad.json")
    done = explain(bad)
    assert done.returncode == 2 and "messages[0]" in done.stderr and "Traceback" not in done.stderr
    rules = write(tmp_path, "[thresholds\n")
    good = write(tmp_path, '{"messages": [{"role": "customer", "text": "hi"}]}', "good.json")
    done = explain(good, "--rules", rules)
    assert done.returncode == 2 and "line 1" in done.stderr


def test_hub_serve_refuses_a_wrong_rules_file(tmp_path):
    rules = write(tmp_path, DEFAULT.replace("repeat_min_words = 4", "repeat_min_words = 1.5"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_desk",
            "hub",
            "serve",
            "--data",
            str(tmp_path / "d"),
            "--port",
            "0",
            "--triage-rules",
            str(rules),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "thresholds.repeat_min_words" in done.stderr
