"""A hostile transcript shows as text: no markup, no escapes, no bidi tricks, no harm."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from agent_desk.ui.handoff.transcript import MESSAGE_ROLE
from tests.gui.desk_helpers import make_desk
from tests.support.handoffs import handoff

HOSTILE = "<script>alert('x')</script> <b>bold</b> <img src=x onerror=alert(1)> \x1b[31mred\x1b[0m \u202eevil\u202c <a href='http://e.vil'>link</a>"


def hostile_handoff() -> dict[str, Any]:
    return handoff(
        id="evil",
        name="<b>Mallory</b>\u202e",
        brief="<img src=x> wants <i>everything</i>\x1b[2J",
        transcript=[
            {"index": 0, "role": "customer", "text": HOSTILE, "at": "2026-11-20T10:00:00Z", "sentiment": -0.9},
            {"index": 1, "role": "bot", "text": "<h1>Big</h1>\u2066hidden\u2069", "at": "2026-11-20T10:00:05Z"},
        ],
        reasons=[{"trigger": "explicit_request", "detail": "<b>quoted</b> evidence", "message_index": 0}],
        attempts=[{"step": "<marquee>reset</marquee>", "result": "failed", "at": "2026-11-20T10:00:01Z"}],
    )


def test_hostile_transcript_is_shown_as_plain_text(qtbot: Any, settings: Any) -> None:
    desk = make_desk(qtbot, settings)
    desk.app.start_direct("ws://127.0.0.1:1", "ana", "t")
    desk.online()
    desk.session()
    desk.handoffs(hostile_handoff(), reset=True)
    window = desk.window
    window.open_handoff("evil")
    detail = window.detail
    for label in detail.findChildren(QLabel):
        if label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()
            assert "\u202e" not in label.text() and "\x1b" not in label.text()
    assert detail.brief.text() == "<img src=x> wants <i>everything</i>"
    assert detail.customer_name.text() == "<b>Mallory</b>"
    assert "<marquee>reset</marquee>" in detail.attempts.text()
    model = detail.transcript_model
    first = model.index(0, 0).data(MESSAGE_ROLE)
    assert (
        first.text
        == "<script>alert('x')</script> <b>bold</b> <img src=x onerror=alert(1)> red evil <a href='http://e.vil'>link</a>"
    )
    assert model.index(1, 0).data(MESSAGE_ROLE).text == "<h1>Big</h1>hidden"
    # Tooltips quoting the evidence are escaped, so Qt cannot take them for markup.
    chips = [w for w in detail.findChildren(QLabel) if w.objectName() == "Chip"]
    assert chips and all(
        "<b>" not in c.toolTip() and "&lt;b&gt;" in c.toolTip() for c in chips if "quoted" in c.toolTip()
    )
    # Painting it all (table rows, bubbles) works and raises no Qt warning.
    assert not window.grab().isNull()
    assert not detail.transcript.viewport().grab().isNull()
