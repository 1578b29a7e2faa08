"""Protocol times: ISO 8601 UTC strings ending in ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def format_time(moment: datetime) -> str:
    """Format an aware or naive-UTC datetime as ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def parse_time(text: str) -> datetime:
    """Parse a protocol time into an aware UTC datetime.

    Raises:
        ValueError: the text is not an ISO 8601 time ending in ``Z``.
    """
    if not isinstance(text, str) or not text.endswith("Z"):
        raise ValueError("time must be an ISO 8601 UTC string ending in 'Z'")
    moment = datetime.fromisoformat(text[:-1] + "+00:00")
    return moment.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_str() -> str:
    return format_time(utc_now())
