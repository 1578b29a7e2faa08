"""The filter proxy: views, the person's filters and search, over rows kept in rank order."""

from __future__ import annotations

from typing import Any

import pytest

from agent_desk.ui.queue.filter import QueueFilter, View
from agent_desk.ui.queue.model import QueueModel
from tests.gui.factories import delta
from tests.support.handoffs import BASE, handoff


@pytest.fixture
def proxy(qapp: Any) -> QueueFilter:
    model = QueueModel(clock=lambda: BASE.timestamp() + 120, tick_ms=0)
    model.set_user("ana")
    model.apply(
        delta(
            upserts=(
                handoff(id="w-billing-vip", queue="billing", tier="vip", priority=2, name="Dana Whitfield"),
                handoff(
                    id="w-tech",
                    queue="technical",
                    priority=1,
                    language="de-AT",
                    name="Jonas Berg",
                    brief="Router keeps rebooting",
                ),
                handoff(id="w-orders", queue="orders", priority=3, name="Mei Chen", language="en"),
                handoff(id="mine", status="claimed", assignee="ana", queue="billing"),
                handoff(id="theirs", status="claimed", assignee="ben", queue="billing"),
                handoff(id="done-today", status="resolved", assignee="ana", resolved=100),
                handoff(id="done-before", status="resolved", assignee="ana", resolved=-86_400 * 2),
            )
        )
    )
    made = QueueFilter()
    made.setSourceModel(model)
    made.model_ref = model  # keep the source alive for the test
    return made


def shown(proxy: QueueFilter) -> list[str]:
    source = proxy.sourceModel()
    return [source.row_record(proxy.source_row(r)).id for r in range(proxy.rowCount())]


def test_waiting_view_shows_waiting_in_rank_order(proxy: QueueFilter, qtmodeltester: Any) -> None:
    assert shown(proxy) == ["w-tech", "w-billing-vip", "w-orders"]
    qtmodeltester.check(proxy)


def test_mine_and_resolved_today(proxy: QueueFilter) -> None:
    proxy.set_view(View.MINE)
    assert shown(proxy) == ["mine"]
    proxy.set_view(View.RESOLVED)
    assert shown(proxy) == ["done-today"]


def test_all_view_with_status_filter(proxy: QueueFilter) -> None:
    proxy.set_view(View.ALL)
    assert len(shown(proxy)) == 7
    proxy.set_status("claimed")
    assert sorted(shown(proxy)) == ["mine", "theirs"]


def test_tier_language_queue_and_scope(proxy: QueueFilter) -> None:
    proxy.set_tier("vip")
    assert shown(proxy) == ["w-billing-vip"]
    proxy.set_tier(None)
    proxy.set_language("de")
    assert shown(proxy) == ["w-tech"]
    proxy.set_language(None)
    proxy.set_queue("orders")
    assert shown(proxy) == ["w-orders"]
    proxy.set_queue(None)
    proxy.set_my_queues_only(True, ("billing", "vip"))
    assert shown(proxy) == ["w-billing-vip"]


def test_search_matches_every_word_in_customer_brief_queue(proxy: QueueFilter, qtmodeltester: Any) -> None:
    proxy.set_search("router")
    assert shown(proxy) == ["w-tech"]
    proxy.set_search("dana billing")
    assert shown(proxy) == ["w-billing-vip"]
    proxy.set_search("DANA   technical")
    assert shown(proxy) == []
    proxy.set_search("")
    assert len(shown(proxy)) == 3
    qtmodeltester.check(proxy)


def test_rows_changing_status_leave_and_join_views_live(proxy: QueueFilter) -> None:
    model = proxy.sourceModel()
    model.apply(delta(upserts=({**model.handoff("w-orders"), "status": "claimed", "assignee": "ana", "version": 2},)))
    assert shown(proxy) == ["w-tech", "w-billing-vip"]
    proxy.set_view(View.MINE)
    assert sorted(shown(proxy)) == ["mine", "w-orders"]


def test_search_finds_handoffs_by_the_trigger_that_raised_them(proxy: QueueFilter) -> None:
    model = proxy.sourceModel()
    failed = [{"trigger": "repeated_failure", "detail": "Three failed steps"}]
    model.apply(delta(upserts=({**model.handoff("w-orders"), "reasons": failed, "version": 2},)))
    proxy.set_search("repeated_failure")  # as a metrics banner's link searches it
    assert shown(proxy) == ["w-orders"]
    proxy.set_search("negative sentiment")  # as a person reads it
    assert sorted(shown(proxy)) == ["w-billing-vip", "w-tech"]
