"""The engine's notices are state; the desktop words each kind, and shows it above the queue."""

from __future__ import annotations

import re
from typing import Any

import pytest

from agent_desk.client.surface import Notice, NoticeKind, TokenNotice
from agent_desk.ui.sync.notices import notice_words, token_words
from tests.gui.desk_helpers import WAIT_MS, make_desk


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_of_notice_reads_as_a_whole_sentence(kind: NoticeKind) -> None:
    notice = Notice(kind, action="resolve", handoff_id="h1", detail="the disk is full", count=2, path="cache.db")
    words = notice_words(notice)
    assert (words[0].isupper() or words[0].isdigit()) and words.endswith(".")
    assert not re.search(r"%\d", words) and "NoticeKind" not in words and kind.value not in words


def test_notices_are_worded_from_their_fields() -> None:
    assert notice_words(Notice(NoticeKind.NOT_HELD, action="resolve", handoff_id="h1")) == (
        "Could not record this resolution: the handoff is no longer on this desk."
    )
    damaged = Notice(NoticeKind.CACHE_DAMAGED, detail="database disk image is malformed", count=1, path="c.corrupt-1")
    assert notice_words(damaged) == (
        "The local cache was damaged (database disk image is malformed). It was moved to c.corrupt-1 and is "
        "being rebuilt from the hub; 1 unsent action(s) were kept."
    )
    assert "until Agent Desk closes" in token_words(TokenNotice(False))


def test_an_engine_notice_shows_above_the_queue(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    qtbot.waitExposed(desk.window)
    with qtbot.waitSignal(desk.app.bridge.noticed, timeout=WAIT_MS):
        desk.engine.report("on_notice", Notice(NoticeKind.SAVED_LATER, count=3))
    notice = desk.window.queue_pane.notice
    assert notice.isVisible()
    assert notice.text() == "3 recorded action(s) that were kept in memory are now saved to disk."
