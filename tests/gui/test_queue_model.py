"""The queue model keeps rank order itself, updates row by row, and ticks waits on a clock."""

from __future__ import annotations

import random
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from agent_desk.protocol.visibility import rank_key
from agent_desk.ui.queue.model import QueueModel
from agent_desk.ui.queue.rows import WAIT_ROLE, Column, Sla
from tests.gui.factories import delta
from tests.support.handoffs import BASE, handoff


class Clock:
    """A clock tests move by hand (seconds since the epoch)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Counts the structural signals a model emits."""

    def __init__(self, model: QueueModel) -> None:
        self.events: list[tuple[str, Any]] = []
        model.rowsInserted.connect(lambda _p, first, last: self.events.append(("insert", (first, last))))
        model.rowsRemoved.connect(lambda _p, first, last: self.events.append(("remove", (first, last))))
        model.rowsMoved.connect(lambda *_a: self.events.append(("move", None)))
        model.modelReset.connect(lambda: self.events.append(("reset", None)))
        model.layoutChanged.connect(lambda *_a: self.events.append(("layout", None)))
        model.dataChanged.connect(
            lambda tl, br, roles=(): self.events.append(("data", (tl.row(), br.row(), tl.column(), br.column())))
        )

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


@pytest.fixture
def clock() -> Clock:
    return Clock(BASE.timestamp() + 100)


@pytest.fixture
def model(qapp: Any, clock: Clock) -> QueueModel:
    made = QueueModel(clock=clock, tick_ms=0)
    made.set_user("ana")
    return made


def order(model: QueueModel) -> list[str]:
    return model.ids()


def test_rows_follow_the_protocol_ranking_whatever_the_arrival_order(model: QueueModel, qtmodeltester: Any) -> None:
    rng = random.Random(7)
    items = [
        handoff(
            priority=rng.randint(1, 4),
            tier=rng.choice(["vip", "premium", "standard", "free"]),
            escalated=rng.uniform(0, 90),
        )
        for _ in range(300)
    ]
    for start in range(0, 300, 37):  # many deltas, each a mix
        model.apply(delta(upserts=tuple(items[start : start + 37])))
    assert order(model) == [h["id"] for h in sorted(items, key=rank_key)]
    qtmodeltester.check(model)


def test_priority_then_tier_then_oldest(model: QueueModel) -> None:
    old_standard = handoff(id="a", priority=2, tier="standard", escalated=0)
    new_vip = handoff(id="b", priority=2, tier="vip", escalated=50)
    p1_free = handoff(id="c", priority=1, tier="free", escalated=80)
    older_vip = handoff(id="d", priority=2, tier="vip", escalated=10)
    model.apply(delta(upserts=(old_standard, new_vip, p1_free, older_vip)))
    assert order(model) == ["c", "d", "b", "a"]


def test_new_handoffs_are_inserted_never_reset(model: QueueModel) -> None:
    model.apply(delta(upserts=tuple(handoff(priority=3, escalated=i) for i in range(10))))
    recorder = Recorder(model)
    model.apply(delta(upserts=(handoff(id="urgent", priority=1, escalated=99),)))
    assert recorder.kinds() == ["insert"]
    assert recorder.events[0][1] == (0, 0)
    assert order(model)[0] == "urgent"


def test_a_burst_landing_together_is_one_insert_block(model: QueueModel) -> None:
    model.apply(delta(upserts=(handoff(priority=1, escalated=0), handoff(priority=4, escalated=0))))
    recorder = Recorder(model)
    model.apply(delta(upserts=tuple(handoff(priority=2, escalated=i) for i in range(50))))
    assert recorder.kinds() == ["insert"]
    assert recorder.events[0][1] == (1, 50)


def test_an_update_in_place_is_data_changed_for_that_row(model: QueueModel, qtmodeltester: Any) -> None:
    items = [handoff(id=f"h{i}", priority=3, escalated=i) for i in range(5)]
    model.apply(delta(upserts=tuple(items)))
    recorder = Recorder(model)
    claimed = {**items[2], "status": "claimed", "assignee": "ana", "version": 2}
    model.apply(delta(upserts=(claimed,)))
    assert recorder.kinds() == ["data"]
    assert recorder.events[0][1][:2] == (2, 2)
    assert model.handoff("h2")["status"] == "claimed"
    qtmodeltester.check(model)


def test_a_reprioritised_handoff_moves(model: QueueModel, qtmodeltester: Any) -> None:
    items = [handoff(id=f"h{i}", priority=3, escalated=i) for i in range(5)]
    model.apply(delta(upserts=tuple(items)))
    recorder = Recorder(model)
    model.apply(delta(upserts=({**items[3], "priority": 1, "version": 2},)))
    assert "move" in recorder.kinds() and "reset" not in recorder.kinds()
    assert order(model) == ["h3", "h0", "h1", "h2", "h4"]
    model.apply(delta(upserts=({**items[0], "priority": 4, "version": 2},)))
    assert order(model) == ["h3", "h1", "h2", "h4", "h0"]
    qtmodeltester.check(model)


def test_removed_handoffs_leave_as_row_removals(model: QueueModel) -> None:
    items = [handoff(id=f"h{i}", priority=3, escalated=i) for i in range(6)]
    model.apply(delta(upserts=tuple(items)))
    recorder = Recorder(model)
    model.apply(delta(removed=("h1", "h2", "h4", "unknown")))
    assert recorder.kinds() == ["remove", "remove"]
    assert order(model) == ["h0", "h3", "h5"]


def test_only_a_snapshot_resets(model: QueueModel) -> None:
    model.apply(delta(upserts=(handoff(id="old"),)))
    recorder = Recorder(model)
    model.apply(delta(upserts=(handoff(id="new1"), handoff(id="new2")), reset=True))
    assert recorder.kinds() == ["reset"]
    assert sorted(order(model)) == ["new1", "new2"]


def test_counts_follow_changes(model: QueueModel) -> None:
    model.apply(
        delta(
            upserts=(
                handoff(id="w1", queue="billing"),
                handoff(id="w2", queue="vip"),
                handoff(id="m1", status="claimed", assignee="ana"),
                handoff(id="o1", status="claimed", assignee="ben"),
            )
        )
    )
    counts = model.counts()
    assert (counts.waiting, counts.mine) == (2, 1)
    assert counts.waiting_by_queue == {"billing": 1, "vip": 1}
    model.apply(delta(upserts=({**model.handoff("w1"), "status": "claimed", "assignee": "ana"},), removed=("o1",)))
    counts = model.counts()
    assert (counts.waiting, counts.mine, counts.total) == (1, 2, 3)
    assert counts.waiting_by_queue == {"vip": 1}


def test_wait_ticks_with_the_clock_and_changes_state_at_75_and_100_percent(model: QueueModel, clock: Clock) -> None:
    model.set_sla_targets({1: 60})
    model.apply(delta(upserts=(handoff(id="p1", priority=1, escalated=0),)))
    clock.now = BASE.timestamp() + 30
    row = model.row_of("p1")
    assert row is not None
    index = model.index(row, Column.WAIT)
    assert index.data() == "0:30"
    assert model.sla_of(model.row_record(row)) == Sla.OK
    clock.now = BASE.timestamp() + 46
    model.tick()
    assert index.data() == "0:46"
    assert model.row_record(row).sla == Sla.NEAR
    clock.now = BASE.timestamp() + 61
    model.tick()
    assert model.row_record(row).sla == Sla.BREACHED
    assert "passed by 0:01" in model.index(row, Column.WAIT).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(row, Column.WAIT).data(WAIT_ROLE) == pytest.approx(61)


def test_a_tick_announces_the_wait_column_only_and_never_reorders(model: QueueModel, clock: Clock) -> None:
    model.apply(delta(upserts=tuple(handoff(priority=3, escalated=i) for i in range(20))))
    before = order(model)
    recorder = Recorder(model)
    clock.now += 1
    model.tick()
    assert recorder.kinds() == ["data"]
    first, last, left, right = recorder.events[0][1]
    assert (first, last, left, right) == (0, 19, Column.WAIT, Column.WAIT)
    assert order(model) == before


def test_claimed_waits_are_history_and_do_not_tick(model: QueueModel, clock: Clock) -> None:
    model.apply(delta(upserts=(handoff(id="c", status="claimed", assignee="ana", escalated=0),)))
    row = model.row_of("c")
    text = model.index(row, Column.WAIT).data()
    clock.now += 500
    model.tick()
    assert model.index(row, Column.WAIT).data() == text == "0:30"
    assert model.sla_of(model.row_record(row)) == Sla.NONE


def test_the_model_reports_what_changed(model: QueueModel, qtbot: Any) -> None:
    with qtbot.waitSignal(model.handoffsUpdated) as blocker:
        model.apply(delta(upserts=(handoff(id="x"),)))
    assert blocker.args == [frozenset({"x"})]
    with qtbot.waitSignal(model.handoffsUpdated) as blocker:
        model.apply(delta(upserts=(handoff(id="y"),), reset=True))
    assert blocker.args == [None]


def test_invalid_index_and_parent_are_answered_safely(model: QueueModel) -> None:
    model.apply(delta(upserts=(handoff(id="x"),)))
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.headerData(Column.WAIT, Qt.Orientation.Horizontal) == "Wait"


def test_with_a_visible_rows_provider_the_tick_announces_only_those_rows(model: QueueModel, clock: Clock) -> None:
    model.apply(delta(upserts=tuple(handoff(priority=3, escalated=i) for i in range(50))))
    model.set_visible_rows(lambda: [(10, 19), (30, 30)])
    recorder = Recorder(model)
    clock.now += 1
    model.tick()
    assert [e[1] for e in recorder.events] == [(10, 19, Column.WAIT, Column.WAIT), (30, 30, Column.WAIT, Column.WAIT)]


@pytest.mark.parametrize(
    ("brief", "shown"),
    [
        ("Dana Whitfield (VIP) was charged twice; customer is angry.", "Was charged twice; customer is angry."),
        ("Dana (premium) wants money back.", "Wants money back."),
        ("Dana Whitfield: card charged twice", "Card charged twice"),
        ("Danae wrote in twice", "Danae wrote in twice"),  # another name
        ("Charged twice for order A-1029", "Charged twice for order A-1029"),
        ("Dana Whitfield (VIP)", "Dana Whitfield (VIP)"),  # nothing left: the brief as it is
    ],
)
def test_the_brief_column_leaves_out_the_customer_the_row_already_names(
    model: QueueModel, brief: str, shown: str
) -> None:
    model.apply(delta(upserts=(handoff(id="h", name="Dana Whitfield", tier="vip", brief=brief),)))
    index = model.index(0, Column.BRIEF)
    assert model.data(index) == shown
    assert model.data(index, Qt.ItemDataRole.ToolTipRole) == shown
