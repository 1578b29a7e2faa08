"""JSON text of frames, both ways: the one place that knows how frames are written and read.

``decode`` runs the standard library's own scanner (``json.scanner.make_scanner``, the C one
that ``json.loads`` runs as well) directly. ``json.loads`` wraps it in a whitespace check and a
second call; for the bare JSON values that every frame is, skipping the wrappers takes about a
sixth less time a frame, which the desktop's receive path (tens of thousands of events after a
reconnect) feels. ``json.scanner`` is not documented, so it is used here only, and
``tests/unit/test_protocol.py`` pins the promise: ``decode`` accepts, returns and refuses
exactly what ``json.loads`` does. Should a Python release change the scanner, that test fails
and ``decode`` becomes ``json.loads``.
"""

from __future__ import annotations

import json
from json.scanner import make_scanner
from typing import Any


def encode(frame: Any) -> str:
    """Encode a frame (or any JSON value) as compact JSON text (non-ASCII kept as is)."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


#: The standard library decoder's scanner (its C one), which ``json.loads`` runs as well.
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed: any decoder works


def decode(text: str) -> Any:
    """``json.loads(text)``, without its wrappers when ``text`` is a bare JSON value (as every
    frame ``encode`` writes): the same scanner, about a sixth less time a frame.

    Raises:
        ValueError: ``text`` is not JSON (``json.JSONDecodeError``, as ``json.loads``).
    """
    try:
        value, end = _SCAN(text, 0)
    except StopIteration:  # no value at the start (whitespace, or nothing): json.loads says why
        return json.loads(text)
    if end != len(text):  # trailing whitespace is fine, anything else is refused by json.loads
        return json.loads(text)
    return value
