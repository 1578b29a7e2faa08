"""The lead's metrics console: charts, period picker, tables, targets and the breach banner,
auto-refresh and CSV export, against the desk with a fake engine feeding ``on_metrics``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from agent_desk.protocol.timefmt import format_time
from agent_desk.ui.metrics.export import metrics_csv
from agent_desk.ui.metrics.period import DAY_S, HOUR_S, period_for
from tests.gui.desk_helpers import WAIT_MS, Desk, make_desk
from tests.gui.factories import session
from tests.support.handoffs import handoff

SINCE = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)


def scripted(**overrides: Any) -> dict[str, Any]:
    """A ``metrics`` answer: three hourly buckets, one empty, and the breakdowns."""
    data: dict[str, Any] = {
        "since": format_time(SINCE),
        "until": format_time(SINCE.replace(hour=3)),
        "conversations": 40,
        "handoffs": 10,
        "handoff_rate": 0.25,
        "resolution_rate": 0.8,
        "resolved": 5,
        "csat_avg": 4.2,
        "csat_count": 5,
        "bot_resolved": 30,
        "bot_csat_avg": 3.9,
        "bot_csat_count": 12,
        "time_to_escalation_s": 240.0,
        "wait_avg_s": 60.0,
        "wait_p90_s": 300.0,
        "sla_breaches": 6,
        "by_queue": {
            "billing": {"handoffs": 7, "wait_p90_s": 420.0, "sla_breaches": 5, "time_to_escalation_s": 200.0},
            "technical": {"handoffs": 3, "wait_p90_s": 90.0, "sla_breaches": 1, "time_to_escalation_s": 300.0},
        },
        "by_trigger": {
            "negative_sentiment": {
                "handoffs": 6,
                "handoff_rate": 0.15,
                "feedback": {"appropriate": 3, "premature": 1, "late": 0},
            },
            "explicit_request": {"handoffs": 4, "feedback": {}},
        },
        "series": [
            {
                "start": format_time(SINCE),
                "conversations": 20,
                "handoffs": 6,
                "handoff_rate": 0.3,
                "resolution_rate": 0.75,
                "csat_avg": 4.5,
                "time_to_escalation_s": 180.0,
                "wait_avg_s": 30.0,
                "sla_breaches": 2,
            },
            {
                "start": format_time(SINCE.replace(hour=1)),
                "conversations": 0,
                "handoffs": 0,
                "handoff_rate": None,
                "resolution_rate": None,
                "csat_avg": None,
                "time_to_escalation_s": None,
                "wait_avg_s": None,
                "sla_breaches": 0,
            },
            {
                "start": format_time(SINCE.replace(hour=2)),
                "conversations": 20,
                "handoffs": 4,
                "handoff_rate": 0.2,
                "resolution_rate": 1.0,
                "csat_avg": 3.0,
                "time_to_escalation_s": 300.0,
                "wait_avg_s": 120.0,
                "sla_breaches": 4,
            },
        ],
        "targets": {
            "time_to_escalation_s": None,
            "wait_p90_s": None,
            "sla_breaches_per_hour": None,
            "handoff_rate_spike": None,
        },
    }
    data.update(overrides)
    return data


def lead_desk(qtbot: Any, settings: Any) -> Desk:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "lea", "token")
    desk.online()
    desk.session(session("lea", "lead", ("billing", "technical")))
    desk.handoffs(handoff(id="h1", queue="billing"), handoff(id="h2", queue="technical"), reset=True)
    return desk


def last_metrics_call(desk: Desk) -> tuple[str, dict[str, Any]]:
    """The last ``request_metrics`` the panel made: its request id and arguments."""
    for number in range(len(desk.engine.calls), 0, -1):
        name, _args, kwargs = desk.engine.calls[number - 1]
        if name == "request_metrics":
            return f"r{number}", kwargs
    raise AssertionError("no request_metrics")


def answer(desk: Desk, data: dict[str, Any] | None, request_id: str | None = None, error: str | None = None) -> None:
    request_id = request_id or last_metrics_call(desk)[0]
    with desk.qtbot.waitSignal(desk.app.bridge.metricsReady, timeout=WAIT_MS):
        desk.engine.report("on_metrics", request_id, data, error)


def open_metrics(desk: Desk) -> Any:
    desk.window.show()
    desk.window.on_panel_chosen("metrics")
    return desk.window.metrics_panel


def test_series_and_figures_are_shown_as_scripted(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    answer(desk, scripted())
    assert panel.cards["handoff_rate"].value.text() == "25%"
    assert panel.cards["csat"].value.text() == "4.2"
    assert panel.cards["sla"].value.text() == "6"
    assert panel.charts is not None and panel.charts.isVisibleTo(panel)
    charts = panel.charts.charts
    rate = charts["handoff_rate"].values
    assert rate[0] == pytest.approx(30.0) and rate[2] == pytest.approx(20.0) and rate[1] != rate[1]  # NaN: a gap
    assert charts["sla_breaches"].values == [2.0, 0.0, 4.0]
    assert charts["wait_avg_s"].values[2] == pytest.approx(2.0)  # minutes
    # No per-bucket bot CSAT: the period's bot CSAT is the reference line.
    assert charts["csat_avg"].bot_reference == pytest.approx(3.9)
    assert charts["csat_avg"].reference.isVisible() or not panel.isVisible()


def test_bot_csat_per_bucket_replaces_the_reference_line(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    data = scripted()
    for bucket, value in zip(data["series"], (4.0, None, 3.5), strict=True):
        bucket["bot_csat_avg"] = value
    answer(desk, data)
    chart = panel.charts.charts["csat_avg"]
    assert chart.bot_reference is None
    assert chart.bot_values[0] == 4.0 and chart.bot_values[2] == 3.5


def test_feedback_is_labelled_and_tables_never_scroll_sideways(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    desk.window.resize(1366, 768)
    panel = open_metrics(desk)
    answer(desk, scripted())
    texts = {panel.by_trigger.text(row, 0): panel.by_trigger.text(row, 8) for row in range(2)}
    assert texts == {"negative sentiment": "appropriate 3 · premature 1 · late 0", "asked for a person": "—"}
    for table in panel._tables:
        assert table.horizontalHeader().length() <= table.viewport().width()
        assert table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff


@pytest.mark.parametrize(
    ("choice", "bucket"),
    [("today", HOUR_S), ("7d", DAY_S), ("30d", DAY_S)],
)
def test_window_picker_sends_since_until_and_bucket(qtbot: Any, settings: Any, choice: str, bucket: int) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    panel.period.select("custom")
    panel.period.select(choice)
    _request, kwargs = last_metrics_call(desk)
    assert kwargs["bucket_s"] == bucket
    assert kwargs["since"] < kwargs["until"]
    expected = period_for(choice, datetime.fromisoformat(kwargs["until"].replace("Z", "+00:00")))
    if choice != "today":
        assert kwargs["since"] == expected.since


def test_custom_range_is_hourly_up_to_two_days_then_daily() -> None:
    now = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)
    short = period_for("custom", now, date(2025, 3, 10), date(2025, 3, 11))
    long = period_for("custom", now, date(2025, 3, 1), date(2025, 3, 11))
    assert short.bucket_s == HOUR_S and long.bucket_s == DAY_S
    assert short.since < short.until and long.since < short.since


def test_custom_dates_reach_the_engine(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    panel.period.select("custom")
    assert panel.period.first.isVisibleTo(panel)
    panel.period.first.setDate(panel.period.last.date().addDays(-10))
    _request, kwargs = last_metrics_call(desk)
    assert kwargs["bucket_s"] == DAY_S


def test_breach_banner_names_the_worst_queue_and_notifies_once(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    alerts: list[tuple[str, str]] = []
    desk.window.notifier.alerted.connect(lambda title, text: alerts.append((title, text)))
    targets = {"time_to_escalation_s": None, "wait_p90_s": 240.0, "sla_breaches_per_hour": None}
    answer(desk, scripted(targets=targets))
    assert panel.banner.isVisible()
    assert "Wait p90" in panel.banner.text.text() and "worst queue: billing" in panel.banner.text.text()
    assert len(alerts) == 1 and "billing" in alerts[0][1]
    panel.refresh()  # the 30 s refresh: the same breach, no second notification
    answer(desk, scripted(targets=targets))
    assert len(alerts) == 1 and panel.banner.isVisible()
    panel.banner.on_link("queue")
    assert desk.window.center.currentWidget() is desk.window.queue_pane
    assert desk.window.queue_filter.queue == "billing"


def test_handoff_rate_spike_and_breaches_per_hour(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    targets = {"sla_breaches_per_hour": 1.5, "handoff_rate_spike": 1.5}
    answer(desk, scripted(targets=targets, handoff_rate_hour=0.4, handoff_rate_hour_weekly_avg=0.2))
    keys = [b.key for b in panel.breaches]
    assert keys == ["sla_breaches_per_hour", "handoff_rate_spike"]  # 6 in 3 h = 2/h; 0.4 / 0.2 = 2x
    assert panel.breaches[1].where == "trigger" and panel.breaches[1].name == "negative_sentiment"


def test_lead_saves_targets_through_the_engine(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    answer(desk, scripted())
    panel.targets_editor.fields["wait_p90_s"].setValue(4)  # minutes
    panel.targets_editor.save_button.click()
    name, args, _kwargs = desk.engine.calls[-1]
    assert name == "set_targets"
    assert args[0] == {
        "time_to_escalation_s": None,
        "wait_p90_s": 240.0,
        "sla_breaches_per_hour": None,
        "handoff_rate_spike": None,
    }
    answer(desk, {"targets": args[0]}, request_id=f"r{len(desk.engine.calls)}")
    assert panel.targets["wait_p90_s"] == 240.0
    assert panel.banner.isVisible()  # 300 s p90 over a 240 s target


def test_updated_ago_ticks_and_refresh_runs_every_30_s(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    answer(desk, scripted())
    assert panel._timer.interval() == 30_000 and panel._timer.isActive()
    assert panel.status.text().startswith("Updated ") and panel.status.text().endswith(" s ago")
    panel.updated_at = panel.updated_at.replace(microsecond=0) if panel.updated_at else None
    calls = len(desk.engine.calls)
    panel._timer.timeout.emit()
    assert desk.engine.calls[calls][0] == "request_metrics"
    desk.window.on_panel_chosen("queue")
    assert not panel._timer.isActive() and not panel._tick.isActive()


def test_csv_holds_figures_tables_and_series(qtbot: Any, settings: Any, tmp_path: Path) -> None:
    desk = lead_desk(qtbot, settings)
    panel = open_metrics(desk)
    answer(desk, scripted())
    path = tmp_path / "metrics.csv"
    with qtbot.waitSignal(desk.window.metrics_feed.exported, timeout=WAIT_MS):
        desk.window.metrics_feed.export_to(str(path))
    text = path.read_text(encoding="utf-8")
    assert text == metrics_csv(panel.data)
    rows = list(csv.reader(io.StringIO(text)))
    figures = dict(row for row in rows if len(row) == 2)
    assert figures["handoff_rate"] == "0.25" and figures["bot_csat_avg"] == "3.9"
    assert ["billing", "7", "", "", "", "", "420.0", "5"] in rows
    assert ["negative_sentiment", "6", "0.15", "", "", "", "", "", "3", "1", "0"] in rows
    series = rows[rows.index([*rows[-4]]) :]
    assert series[0][0] == "start" and len(series) == 4
    assert series[2][1:] == ["0", "0", "", "", "", "", "", "", "0"]


def test_an_agent_never_sees_lead_controls(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "token")
    desk.online()
    desk.session(session("ana", "agent"))
    desk.window.show()
    assert not desk.window.sidebar.team.isVisibleTo(desk.window)
    assert not desk.window.metrics_panel.isVisible()
    assert not desk.window.metrics_panel.targets_editor.isVisible()
    assert not any(call[0] in ("request_metrics", "set_targets") for call in desk.engine.calls)


def test_the_refresh_icon_is_drawn_again_in_the_new_themes_colours(qtbot: Any, settings: Any) -> None:
    desk = lead_desk(qtbot, settings)
    button = desk.window.metrics_panel.refresh_button
    before = button.icon().cacheKey()
    desk.app.themes.set_mode("dark")
    assert button.icon().cacheKey() != before
