"""The metrics view as CSV: the figures, by queue, by trigger and the series, one section each.

Pure: the text is made from what the panel shows; the metrics feed writes the file on a thread
of its own, so a slow or full disk never holds the window.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

#: The period's figures, in the order they are written.
FIGURES = (
    "since",
    "until",
    "conversations",
    "handoffs",
    "handoff_rate",
    "resolution_rate",
    "resolved",
    "csat_avg",
    "csat_count",
    "bot_resolved",
    "bot_csat_avg",
    "bot_csat_count",
    "time_to_escalation_s",
    "wait_avg_s",
    "wait_p90_s",
    "sla_breaches",
)
BREAKDOWN = (
    "handoffs",
    "handoff_rate",
    "resolution_rate",
    "csat_avg",
    "wait_avg_s",
    "wait_p90_s",
    "sla_breaches",
)
SERIES = (
    "start",
    "conversations",
    "handoffs",
    "handoff_rate",
    "resolution_rate",
    "csat_avg",
    "bot_csat_avg",
    "time_to_escalation_s",
    "wait_avg_s",
    "sla_breaches",
)


def _cell(value: Any) -> str:
    return "" if value is None or isinstance(value, Mapping | list) else str(value)


def metrics_csv(data: Mapping[str, Any]) -> str:
    """The CSV text of one ``metrics`` answer (blank cells where the hub knows nothing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "value"])
    for key in FIGURES:
        writer.writerow([key, _cell(data.get(key))])
    for section, key in (("queue", "by_queue"), ("trigger", "by_trigger")):
        entries = data.get(key)
        writer.writerow([])
        extra = ["appropriate", "premature", "late"] if section == "trigger" else []
        writer.writerow([section, *BREAKDOWN, *extra])
        for name, figures in (entries if isinstance(entries, Mapping) else {}).items():
            if not isinstance(figures, Mapping):
                continue
            given = figures.get("feedback")
            feedback: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            row = [name, *(_cell(figures.get(k)) for k in BREAKDOWN)]
            if section == "trigger":
                row += [_cell(feedback.get(k)) for k in extra]
            writer.writerow(row)
    series = data.get("series")
    writer.writerow([])
    writer.writerow(list(SERIES))
    for bucket in series if isinstance(series, list) else []:
        if isinstance(bucket, Mapping):
            writer.writerow([_cell(bucket.get(k)) for k in SERIES])
    return out.getvalue()
