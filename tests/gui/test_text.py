"""Text from the wire is made harmless before it is shown."""

from __future__ import annotations

from agent_desk.ui.text import format_duration, one_line, parse_ts, safe_text, tooltip_text

HOSTILE = "<script>alert(1)</script><b>bold</b><img src=x>\x1b[31mred\x1b[0m \u202eevil\u202c \x07bell\x00"


def test_escape_sequences_controls_and_bidi_overrides_are_removed() -> None:
    text = safe_text(HOSTILE)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text and "\x00" not in text
    assert "[31m" not in text
    assert "<script>alert(1)</script><b>bold</b><img src=x>" in text  # tags stay as characters
    assert "red" in text and "evil" in text


def test_line_breaks_survive_but_not_in_one_line() -> None:
    assert safe_text("a\r\nb\u2028c") == "a\nb\nc"
    assert one_line("a\n\n  b\tc") == "a b c"


def test_long_text_is_cut_with_an_ellipsis() -> None:
    assert safe_text("x" * 50, limit=10) == "x" * 9 + "…"


def test_tooltips_are_escaped_so_qt_cannot_render_markup() -> None:
    tip = tooltip_text("<img src=x> & <b>")
    assert tip == "<qt>&lt;img src=x&gt; &amp; &lt;b&gt;</qt>"


def test_durations_and_times() -> None:
    assert [format_duration(s) for s in (0, 48, 252, 3725, 90_000, -5)] == [
        "0:00",
        "0:48",
        "4:12",
        "1:02:05",
        "1 d 1 h",
        "0:00",
    ]
    assert parse_ts("2026-11-20T10:00:00.000Z") == parse_ts("2026-11-20T10:00:00Z")
    assert parse_ts("nonsense") is None and parse_ts(None) is None
