"""The lead's metrics console against a real hub: the series and figures the hub computes, a
target set by one lead reaching another live, and the banner once past it."""

from __future__ import annotations

from typing import Any

from tests.gui.conftest import ThreadedHub
from tests.support.peers import Peer, message

WAIT_MS = 20_000


def test_series_figures_and_targets_travel_between_leads_and_raise_the_banner_once(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    live_hub.add_user("leo", "lead")
    lea = desk_for(live_hub, "lea")
    leo = desk_for(live_hub, "leo")
    for _ in range(2):  # conversations that started days ago: time to escalation is long
        live_hub.escalate(queue="billing")
    bot: Peer = live_hub.run(Peer.open(live_hub.url, live_hub.tokens["bot"], "/v1/source"))
    for number, rating in ((1, 4), (2, 2)):  # two the bot resolved alone, rated by the customer
        conversation = {"id": f"bot-alone-{number}", "started_at": "2026-11-20T09:58:00Z", "language": "en"}
        said = live_hub.run(bot.call("observe", conversation=conversation, message=message("what are your hours?")))
        assert said["ok"] and not said["data"]["escalated"], said
        ended = live_hub.run(bot.call("end", conversation_id=f"bot-alone-{number}", resolved_by_bot=True, csat=rating))
        assert ended["ok"], ended
    live_hub.run(bot.close())

    panel = lea.window.metrics_panel
    lea.window.show()
    lea.window.on_panel_chosen("metrics")
    qtbot.waitUntil(lambda: panel.cards["handoffs"].value.text() == "2", timeout=WAIT_MS)
    series = panel.data.get("series")
    assert isinstance(series, list) and series, "the hub answered with a series"
    assert sum(bucket["handoffs"] for bucket in series) == 2
    assert panel.charts is not None
    # worked out by hand: four conversations, two handed over, none of those resolved yet; the
    # two the bot resolved alone were rated 4 and 2
    assert panel.cards["handoff_rate"].value.text() == "50%"
    assert panel.cards["resolution_rate"].value.text() == "—"
    assert (panel.data["bot_resolved"], panel.data["bot_csat_avg"], panel.data["bot_csat_count"]) == (2, 3.0, 2)
    assert not panel.banner.isVisibleTo(lea.window)

    other = leo.window.metrics_panel
    leo.window.show()
    leo.window.on_panel_chosen("metrics")
    qtbot.waitUntil(lambda: other.cards["handoffs"].value.text() == "2", timeout=WAIT_MS)

    alerts: list[tuple[str, str]] = []
    lea.window.notifier.alerted.connect(lambda title, text: alerts.append((title, text)))
    editor = panel.targets_editor
    editor.fields["time_to_escalation_s"].setValue(5)  # minutes
    editor.save_button.click()
    # the other lead's panel takes the new target from targets.changed, not from a refresh
    qtbot.waitUntil(lambda: other.targets_editor.fields["time_to_escalation_s"].value() == 5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: panel.banner.isVisibleTo(lea.window), timeout=WAIT_MS)
    assert "Time to escalation" in panel.banner.text.text()
    qtbot.waitUntil(lambda: len(alerts) == 1, timeout=WAIT_MS)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Updated"), timeout=WAIT_MS)
    assert len(alerts) == 1  # once per breach, not once per refresh
