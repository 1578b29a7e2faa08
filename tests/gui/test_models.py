"""Every other item model passes Qt's model tester, filled and while it changes."""

from __future__ import annotations

from typing import Any

from agent_desk.client.surface import AttentionItem, UserInfo
from agent_desk.ui.handoff.transcript import TranscriptModel
from agent_desk.ui.metrics.panel import BreakdownModel
from agent_desk.ui.shell.sidebar import NavItem, NavModel
from agent_desk.ui.sync.attention import AttentionModel
from agent_desk.ui.team.agents import AgentsModel
from tests.gui.factories import view
from tests.support.handoffs import handoff

FIGURES = {
    "handoffs": 12,
    "handoff_rate": 0.31,
    "resolution_rate": 0.8,
    "csat_avg": 4.2,
    "csat_count": 5,
    "wait_avg_s": 41.0,
    "wait_p90_s": 120.0,
    "sla_breaches": 2,
    "feedback": {"appropriate": 3, "premature": 1, "late": 0},
}


def test_transcript_model(qapp: Any, qtmodeltester: Any) -> None:
    model = TranscriptModel()
    qtmodeltester.check(model)
    h = handoff()
    model.show(h["id"], view(h).transcript)
    qtmodeltester.check(model)
    added = {"index": 2, "role": "agent", "text": "Hi, I am Ana", "at": "2026-11-20T10:01:00Z"}
    model.show(h["id"], view({**h, "transcript": [*h["transcript"], added]}).transcript)
    assert model.rowCount() == 3
    model.show(h["id"], view(h).transcript[:1])
    assert model.rowCount() == 1
    qtmodeltester.check(model)


def test_nav_model(qapp: Any, qtmodeltester: Any) -> None:
    model = NavModel()
    model.set_items([NavItem("a", "A", "queue", 1), NavItem("b", "B", "queue", None)])
    qtmodeltester.check(model)
    model.set_count("a", 5)
    model.set_items([NavItem("c", "C", "queue", 0)])
    qtmodeltester.check(model)


def test_agents_model(qapp: Any, qtmodeltester: Any) -> None:
    model = AgentsModel()
    model.set_users(
        [UserInfo("ana", "Ana", "agent", ("billing",), presence="busy", active=2), UserInfo("bot", "Bot", "source")]
    )
    assert model.rowCount() == 1  # sources are not people
    qtmodeltester.check(model)
    model.update_user(UserInfo("ana", "Ana", "agent", presence="available", active=3))
    model.update_user(UserInfo("ben", "Ben", "agent", presence="away"))
    assert model.rowCount() == 2
    qtmodeltester.check(model)


def test_breakdown_models(qapp: Any, qtmodeltester: Any) -> None:
    for by_trigger in (False, True):
        model = BreakdownModel(by_trigger)
        qtmodeltester.check(model)
        model.set_figures({"billing": FIGURES, "explicit_request": FIGURES})
        qtmodeltester.check(model)
    assert model.text(0, 2) == "31%"


def test_attention_model(qapp: Any, qtmodeltester: Any) -> None:
    model = AttentionModel()
    model.set_items(
        [
            AttentionItem(
                "r1",
                "resolve",
                "h1",
                "not_assignee",
                "Reassigned meanwhile",
                {"outcome": {"resolution": "resolved", "csat": 4}},
                "2026-11-20T10:00:00Z",
            ),
            AttentionItem("r2", "claim", "h2", "conflict", "Already claimed", {}, "2026-11-20T10:01:00Z"),
        ]
    )
    qtmodeltester.check(model)
    assert "Kept:" in model.data(model.index(1, 0))
