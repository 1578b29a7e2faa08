"""``agent-desk triage replay`` on a hub's real data folder, with agents' feedback: every figure
below is worked out by hand from the five conversations the test plays."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.peers import message
from tests.support.triage_rules import marked_rules

T0 = "2026-11-20T10:00:"


def at(seconds: int) -> str:
    return f"{T0}{seconds:02d}Z"


# (conversation id, [(role, text, seconds, failed step)], feedback of its handoff)
SCRIPT = [
    ("A", [("customer", "a PERSON please", 0, None)], "premature"),
    (
        "B",
        [
            ("customer", "my app broke", 0, None),
            ("bot", "Reinstall it.", 10, "reinstall"),
            ("customer", "ok", 20, None),
            ("bot", "Restart the phone.", 30, "restart"),
        ],
        "late",
    ),
    (
        "C",
        [("customer", "hello", 0, None), ("bot", "Hi!", 5, None), ("customer", "so ANNOYED", 50, None)],
        "appropriate",
    ),
    (
        "D",
        [
            ("customer", "where is my order", 0, None),
            ("bot", "It arrives tomorrow.", 5, None),
            ("customer", "SOLVED thanks", 20, None),
        ],
        None,
    ),
    ("E", [("customer", "I DISPUTE this charge", 0, None)], None),
]


async def test_replay_shows_the_effect_of_a_rules_change_against_what_was_recorded(hub_factory, tmp_path):
    live = marked_rules(tmp_path / "rules")
    proposed = marked_rules(
        tmp_path / "rules",
        silence=("wants_person",),
        name="proposed.toml",
        **{"failed_attempts = 2": "failed_attempts = 1"},
    )
    running = await hub_factory(triage_rules=live)
    running.add_user("ana", "agent", ("general", "billing", "orders", "technical"))
    running.add_user("bot", "source")
    bot = await running.peer("bot")
    ana = await running.peer("ana")
    for conversation_id, turns, feedback in SCRIPT:
        conv = {"id": conversation_id, "started_at": at(0), "language": "en"}
        handoff_id = None
        for role, text, seconds, step in turns:
            fields = {"conversation": conv, "message": message(text, role, at(seconds))}
            if step:
                fields["attempt"] = {"step": step, "result": "failed", "at": at(seconds)}
            result = await bot.call("observe", **fields)
            handoff_id = handoff_id or result["data"].get("handoff_id")
        if handoff_id is None:
            assert (await bot.call("end", conversation_id=conversation_id, resolved_by_bot=True))["ok"]
        elif feedback:
            assert (await ana.call("claim", handoff_id=handoff_id))["ok"]
            outcome = {"resolution": "resolved", "csat": 4, "escalation_feedback": feedback}
            assert (await ana.call("resolve", handoff_id=handoff_id, outcome=outcome))["ok"]

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_desk",
            "triage",
            "replay",
            "--data",
            str(running.data_dir),
            "--live-rules",
            str(live),
            "--rules",
            str(proposed),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["conversations"] == 5
    recorded, now, after = report["recorded"], report["live rules"], report["proposed rules"]
    # Recorded: A at 0 s, B at 30 s, C at 50 s and E at 0 s escalated; A premature, B late.
    for column in (recorded, now):  # the live rules replay what was recorded
        assert column["handoffs"] == 4 and column["handoff_rate"] == pytest.approx(0.8)
        assert column["time_to_escalation_s"] == pytest.approx((0 + 30 + 50 + 0) / 4)
        assert column["with_feedback"] == 3
        assert column["premature_share"] == pytest.approx(1 / 3) and column["late_share"] == pytest.approx(1 / 3)
    # Proposed: A no longer escalates (no longer premature), B escalates at its first failed
    # step, 10 s in (no longer late), C and E as before.
    assert after["handoffs"] == 3 and after["handoff_rate"] == pytest.approx(0.6)
    assert after["time_to_escalation_s"] == pytest.approx((10 + 50 + 0) / 3)
    assert after["with_feedback"] == 3 and after["premature_share"] == 0 and after["late_share"] == 0
    assert after["by_trigger"]["repeated_failure"]["handoffs"] == 1
    assert after["by_trigger"]["repeated_failure"]["time_to_escalation_s"] == pytest.approx(10)
    assert "explicit_request" not in after["by_trigger"]
    assert recorded["by_trigger"]["explicit_request"]["premature_share"] == 1.0
    assert recorded["by_trigger"]["repeated_failure"]["late_share"] == 1.0

    table = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent_desk",
            "triage",
            "replay",
            "--data",
            str(running.data_dir),
            "--live-rules",
            str(live),
            "--rules",
            str(proposed),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = table.stdout.splitlines()
    assert table.returncode == 0 and lines[0] == "5 conversations replayed"
    assert lines[2].split() == ["recorded", "live", "rules", "proposed", "rules"]
    assert next(line for line in lines if line.startswith("handoff rate")).split()[-3:] == ["0.80", "0.80", "0.60"]
    assert next(line for line in lines if line.startswith("premature share")).split()[-3:] == ["0.33", "0.33", "0.00"]


def test_replay_refuses_a_folder_without_a_hub_store(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "agent_desk", "triage", "replay", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no hub store" in done.stderr and "Traceback" not in done.stderr
