"""The lead's metrics console against a real hub: the series and figures the hub computes, a
target set by one lead reaching another live, and the banner once past it."""

from __future__ import annotations

from typing import Any

from tests.gui.conftest import ThreadedHub

WAIT_MS = 20_000


def test_series_figures_and_targets_travel_between_leads_and_raise_the_banner_once(
    live_hub: ThreadedHub, desk_for: Any, qtbot: Any
) -> None:
    live_hub.add_user("leo", "lead")
    lea = desk_for(live_hub, "lea")
    leo = desk_for(live_hub, "leo")
    for _ in range(2):  # conversations that started days ago: time to escalation is long
        live_hub.escalate(queue="billing")

    panel = lea.window.metrics_panel
    lea.window.show()
    lea.window.on_panel_chosen("metrics")
    qtbot.waitUntil(lambda: panel.cards["handoffs"].value.text() == "2", timeout=WAIT_MS)
    series = panel.data.get("series")
    assert isinstance(series, list) and series, "the hub answered with a series"
    assert sum(bucket["handoffs"] for bucket in series) == 2
    assert panel.charts is not None
    # worked out by hand: two conversations, both handed over, none resolved yet
    assert panel.cards["handoff_rate"].value.text() == "100%"
    assert panel.cards["resolution_rate"].value.text() == "—"
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
