"""Keep bearer tokens out of logs, whatever library writes the log line."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"(?i)(authorization:\s*bearer\s+|bearer\s+)\S+|adk_[A-Za-z0-9_\-]{8,}")


def redact(text: str) -> str:
    """Replace bearer tokens in ``text`` with ``[redacted]``."""
    return _SECRET.sub(lambda m: (m.group(1) or "") + "[redacted]", text)


class RedactTokens(logging.Filter):
    """A logging filter that rewrites records carrying a token (e.g. websockets' header dumps)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redacted_logger(name: str) -> logging.Logger:
    """A logger whose records never carry a token; hand it to websockets as ``logger=``."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
    return logger
