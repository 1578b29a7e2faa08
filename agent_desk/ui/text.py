"""Making text from the wire safe to show, and small formatters for times and figures.

Everything a customer, a bot or a source writes reaches the screen through :func:`safe_text`
(or :func:`one_line`). Widgets then show it as plain text only (``Qt.PlainText`` labels,
``drawText``), so HTML never renders; these helpers also strip what plain text can still abuse:
terminal escape sequences, control characters and bidirectional overrides that reorder what
the agent reads.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

#: ANSI/VT escape sequences (CSI, OSC, two-character escapes).
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
#: Bidirectional embeddings, overrides, isolates and marks, plus invisible format characters
#: that can hide or reorder text (zero-width space, word joiner, BOM, Arabic letter mark).
_BIDI_AND_INVISIBLE = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u2060\ufeff"
#: C0 controls except tab and newline, DEL, and C1 controls.
_CONTROLS = "".join(chr(c) for c in [*range(9), 11, 12, *range(14, 32), 127, *range(128, 160)])
_DROP = str.maketrans({ch: None for ch in _BIDI_AND_INVISIBLE + _CONTROLS} | {"\r": None})
_LINE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n", "\t": "    "})
_SPACES = re.compile(r"\s+")

#: Longest text shown for one message; the protocol caps it at 10,000 characters anyway.
MAX_SHOWN_CHARS = 12_000


def safe_text(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """Text fit to show as plain text: no escapes, no controls, no bidi overrides.

    Args:
        value: anything from the wire; ``None`` becomes the empty string, other values ``str()``.
        limit: longest result, in characters (an ellipsis marks a cut).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").translate(_LINE_BREAKS).translate(_DROP)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def one_line(value: Any, limit: int = 500) -> str:
    """:func:`safe_text` on one line: runs of white space become one space."""
    return _SPACES.sub(" ", safe_text(value, limit)).strip()


def tooltip_text(value: Any, limit: int = 1_000) -> str:
    """A tooltip that Qt cannot take for rich text: the safe text, HTML-escaped, in ``<qt>``.

    Qt guesses whether a tooltip is rich text; wrapping escaped text makes the guess harmless.
    """
    escaped = html.escape(safe_text(value, limit), quote=False).replace("\n", "<br>")
    return f"<qt>{escaped}</qt>"


def parse_ts(value: Any) -> float | None:
    """Seconds since the epoch of a protocol time (``...Z``), or None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def format_duration(seconds: float) -> str:
    """``0:48``, ``4:12``, ``1:02:05``, then ``3 d 4 h`` past a day; negative counts as zero."""
    total = max(0, int(seconds))
    if total >= 86_400:
        return f"{total // 86_400} d {total % 86_400 // 3_600} h"
    hours, rest = divmod(total, 3_600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_clock(timestamp: float | None) -> str:
    """Local ``HH:MM`` of a timestamp, or the empty string."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp).strftime("%H:%M")


def format_money(value: Any) -> str:
    """A lifetime value with thousands separators (the protocol names no currency)."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return ""
    return f"{value:,.0f}"


def format_rate(value: Any) -> str:
    """A fraction as a percentage, or an em dash when nothing is known."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return f"{value * 100:.0f}%"


def format_seconds(value: Any) -> str:
    """A figure in seconds as a duration, or an em dash when nothing is known."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—"
    return format_duration(value)


def mapping_of(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping (a figure's feedback), else an empty one.

    Handoffs need none of this: they reach the desktop typed (``client.handoff_view``).
    """
    return value if isinstance(value, Mapping) else {}


def sentiment_word(value: float | None) -> str:
    """negative / neutral / positive for a compound score (VADER's usual cut-offs)."""
    if value is None:
        return "unknown"
    if value <= -0.05:
        return "negative"
    if value >= 0.05:
        return "positive"
    return "neutral"
