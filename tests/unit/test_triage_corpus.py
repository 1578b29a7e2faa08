"""The labelled corpus triage is trained and judged on: big enough, in enough languages, honest
about what must not escalate, and with a test split that never changes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from agent_desk.triage.corpus import SPLITS, read_cases, split_of

HERE = Path(__file__).resolve().parents[1] / "data" / "triage_corpus"
REQUIRED_LANGUAGES = {"en", "de", "fr", "es", "it", "pt", "nl", "pl"}


def load() -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((HERE / "batches").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_the_corpus_is_large_multilingual_and_labelled_per_message():
    cases = load()
    customer_messages = [m for c in cases for m in c["messages"] if m["role"] == "customer"]
    assert len(customer_messages) >= 3000
    assert all(isinstance(m.get("signals"), list) for m in customer_messages)
    languages = Counter(c["language"] for c in cases)
    assert set(languages) >= REQUIRED_LANGUAGES
    assert all(languages[lang] >= 100 for lang in REQUIRED_LANGUAGES), languages
    assert len({c["id"] for c in cases}) == len(cases)


def test_at_least_thirty_percent_are_hard_negatives():
    cases = load()
    hard = [c for c in cases if not c["expect"]["escalate"] and c["expect"].get("hard_negative")]
    assert len(hard) >= 0.30 * len(cases)


def test_every_file_follows_the_format_the_authors_wrote_to():
    done = subprocess.run(
        [sys.executable, str(HERE / "check_format.py"), *map(str, sorted((HERE / "batches").glob("*.jsonl")))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def test_the_test_split_is_frozen():
    manifest = json.loads((HERE / "MANIFEST.json").read_text(encoding="utf-8"))
    sys.path.insert(0, str(HERE))
    try:
        from freeze import digest  # the digest freeze.py recorded
    finally:
        sys.path.remove(str(HERE))
    test = [c for c in load() if split_of(c["id"]) == "test"]
    assert sorted(c["id"] for c in test) == manifest["test"]["ids"]
    assert digest(test) == manifest["test"]["digest"]


def test_splits_are_by_conversation_and_disjoint():
    cases = read_cases(HERE)
    by_split = {name: {c.id for c in cases if split_of(c.id) == name} for name in SPLITS}
    assert not (by_split["train"] & by_split["test"]) and not (by_split["dev"] & by_split["test"])
    total = sum(len(ids) for ids in by_split.values())
    assert 0.20 <= len(by_split["test"]) / total <= 0.30 and len(by_split["dev"]) / total >= 0.10
