"""Give authored batches their times and ids, and record the split (run once per new batch).

    python tests/data/triage_corpus/freeze.py

For every ``batches/*.jsonl``: messages get increasing ``at`` times (a start fixed by the
conversation's id, then 15-90 s a turn), attempts the time of their message, customers an id.
Nothing an author wrote changes. Then ``MANIFEST.json`` records, per split, the conversation ids
and a digest of their content; ``tests/unit/test_triage_corpus.py`` fails if the test split
ever changes.
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from agent_desk.triage.corpus import SPLITS, split_of

BATCHES = HERE / "batches"
MANIFEST = HERE / "MANIFEST.json"


def timed(case: dict) -> dict:
    rng = random.Random(case["id"])
    start = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 60))
    at = start
    for message in case["messages"]:
        if "at" not in message:
            message["at"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        attempt = message.get("attempt")
        if isinstance(attempt, dict) and "at" not in attempt:
            attempt["at"] = message["at"]
        at += timedelta(seconds=rng.randint(15, 90))
    customer = case.setdefault("customer", {})
    customer.setdefault("id", "c-" + hashlib.sha256(case["id"].encode()).hexdigest()[:10])
    return case


def digest(cases: list[dict]) -> str:
    blob = "\n".join(json.dumps(c, sort_keys=True, ensure_ascii=False) for c in sorted(cases, key=lambda c: c["id"]))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def main() -> int:
    splits: dict[str, list[dict]] = {name: [] for name in SPLITS}
    for path in sorted(BATCHES.glob("*.jsonl")):
        cases = [timed(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        path.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases), encoding="utf-8")
        for case in cases:
            splits[split_of(case["id"])].append(case)
    manifest = {
        name: {
            "conversations": len(cases),
            "customer_messages": sum(m["role"] == "customer" for c in cases for m in c["messages"]),
            "digest": digest(cases),
            "ids": sorted(c["id"] for c in cases),
        }
        for name, cases in splits.items()
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, entry in manifest.items():
        print(f"{name:5} {entry['conversations']:5} conversations {entry['customer_messages']:6} customer messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
