"""Triage judged on the frozen test split of the labelled corpus (tests/data/triage_corpus).

The corpus was written from SPEC.md by authors who never saw the rules or the model; the model
and the thresholds were fitted on the train and dev splits only. docs/triage.md shows the full
report, reproduced with ``agent-desk triage evaluate tests/data/triage_corpus --split test``,
beside the product's targets (``evaluate.TARGETS``). Not every target is met yet (the docs say
which and why); these floors are what the shipped model reaches, so that no change makes
triage worse without a test saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_desk.triage import Triage
from agent_desk.triage.corpus import read_cases, split_of
from agent_desk.triage.evaluate import TARGETS, evaluate

CORPUS = Path(__file__).resolve().parents[1] / "data" / "triage_corpus"
#: The languages every batch of the corpus has (240 conversations each; the other 19 have 30).
MAIN_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "pl")
FLOORS = {
    "recall": 0.90,
    "precision": 0.83,
    "in_time": 0.90,
    "priority_agreement": 0.82,
    "trigger_recall": 0.86,
    "language_recall": 0.88,  # each of the main languages
    "p1_share_max": 0.22,
}


@pytest.fixture(scope="module")
def report() -> dict:
    cases = [case for case in read_cases(CORPUS) if split_of(case.id) == "test"]
    return evaluate(Triage(), cases)


def test_recall_on_conversations_that_must_reach_a_person(report):
    assert report["recall"] >= FLOORS["recall"], report["missed"]


def test_precision_of_handoffs(report):
    assert report["precision"] >= FLOORS["precision"], report["false_alarms"]


def test_handoffs_come_in_time(report):
    assert report["in_time"] >= max(FLOORS["in_time"], TARGETS["in_time"]), report["late"]


def test_every_trigger_is_caught(report):
    low = {
        t: row["recall"]
        for t, row in report["by_trigger"].items()
        if row["labelled"] and row["recall"] < FLOORS["trigger_recall"]
    }
    assert low == {}


def test_every_main_language_is_caught(report):
    low = {
        language: report["by_language"][language]["recall"]
        for language in MAIN_LANGUAGES
        if report["by_language"][language]["recall"] < FLOORS["language_recall"]
    }
    assert low == {}


def test_priorities_agree_with_the_labels_and_few_are_urgent(report):
    assert report["priority_agreement"] >= FLOORS["priority_agreement"], report["priority_mismatches"]
    assert report["p1_share"] <= FLOORS["p1_share_max"], report["p1_share"]
