"""Triage cost per observed message, against bare VADER on the same messages in the same run.

The messages are the labelled corpus's (every split: this measures speed, not judgment), fed
through the same path as the hub's ``observe``: the model, VADER for English, the countable
rules, the decision. Target: triage <= 3x VADER's time per message, and well under 1 ms.

    python benchmarks/bench_triage.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from agent_desk.triage import Triage
from agent_desk.triage.corpus import Case, read_cases

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage_corpus"


def load() -> list[Case]:
    return read_cases(DATA)


def run_vader(cases: list[Case]) -> tuple[float, int]:
    analyzer = SentimentIntensityAnalyzer()
    count = 0
    start = time.perf_counter()
    for case in cases:
        for message in case.messages:
            analyzer.polarity_scores(message.text)
            count += 1
    return time.perf_counter() - start, count


def run_triage(triage: Triage, cases: list[Case]) -> tuple[float, int]:
    count = 0
    start = time.perf_counter()
    for case in cases:
        session = triage.conversation(case.customer, case.language, case.channel)
        for message, attempt in case.turns():
            session.add_message(message, attempt)
            count += 1
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    cases = load()
    triage = Triage()
    run_triage(triage, cases)  # warm up: lexicons, compiled patterns
    run_vader(cases)
    vader, triaged = [], []
    for _ in range(args.rounds):
        seconds, count = run_vader(cases)
        vader.append(seconds / count)
        seconds, count = run_triage(triage, cases)
        triaged.append(seconds / count)
    v, t = statistics.median(vader), statistics.median(triaged)
    print(f"messages per round      {count}")
    print(f"bare VADER per message  {v * 1e6:8.1f} us")
    print(f"triage per message      {t * 1e6:8.1f} us  (decision, reasons, brief, sentiment)")
    print(f"ratio triage / VADER    {t / v:8.2f}x   target <= 3.00x  {'met' if t / v <= 3 else 'MISSED'}")
    print(f"under 1 ms a message    {'yes' if t < 1e-3 else 'NO'}")


if __name__ == "__main__":
    main()
