"""Train the signal model from the labelled corpus: ``python -m agent_desk.triage.train``.

Needs the ``train`` extra (``pip install -e '.[train]'``: scikit-learn). Reads the train split of
``tests/data/triage_corpus/``, fits one logistic regression per signal over character n-grams,
prints how each signal does on the dev split, writes ``resources/triage_model.bin``, and with
``--tune`` chooses the rules' signal thresholds on whole dev conversations and writes them into
``resources/triage_rules.toml``. It never reads the test split.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent_desk.triage import signals as signals_module
from agent_desk.triage.classifier import MODEL_NAME, SignalModel
from agent_desk.triage.corpus import Case, corpus_files, derived, read_cases, split_of
from agent_desk.triage.engine import Triage
from agent_desk.triage.evaluate import TARGETS, evaluate
from agent_desk.triage.features import FeatureSpec, features, fold
from agent_desk.triage.lexicon import Lexicon
from agent_desk.triage.rules import SIGNALS, Rules, load_rules

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "triage_corpus"
#: Conversation categories the area heads learn (the topic categories come from signals).
AREA_HEADS = ("orders", "billing", "technical", "account", "general", "legal", "compliance")


def customer_messages(cases: Sequence[Case]) -> list[tuple[str, frozenset[str], str | None]]:
    """(text, signals, conversation category) of every customer message."""
    out = []
    for case in cases:
        for index, message in enumerate(case.messages):
            if message.role == "customer":
                out.append((message.text, derived(case, index), case.category))
    return out


def load_lexicon(path: Path) -> Lexicon:
    """The concept lexicon a model is trained with (and then carries in its file)."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Lexicon.build(raw["concepts"], fold)


def load_split(folder: Path, split: str) -> list[Case]:
    if split == "test":
        raise ValueError("training never reads the test split")
    seen: set[str] = set()
    out = []
    files = corpus_files(folder) + sorted((folder / "raw").glob("*.jsonl"))  # raw: batches being written
    for case in read_cases(files):
        if case.id not in seen and split_of(case.id) == split:
            seen.add(case.id)
            out.append(case)
    return out


def fit(
    train: Sequence[tuple[str, frozenset[str], str | None]],
    spec: FeatureSpec,
    c: float,
    min_df: int,
    info: dict[str, Any],
    lexicon: Lexicon | None = None,
) -> SignalModel:
    """Fit every head; returns the quantised model."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    found = [features(text, spec, lexicon) for text, _, _ in train]
    messages_with: dict[str, int] = {}
    for grams, _, marks in found:
        for gram in (*grams, *marks):
            messages_with[gram] = messages_with.get(gram, 0) + 1
    vocabulary = sorted(f for f, n in messages_with.items() if n >= min_df)
    column = {f: i for i, f in enumerate(vocabulary)}
    rows, cols, values = [], [], []
    for row, (grams, total, marks) in enumerate(found):
        norm = 1.0 / math.sqrt(total) if total else 0.0
        for gram, count in grams.items():
            index = column.get(gram)
            if index is not None:
                rows.append(row)
                cols.append(index)
                values.append(count * norm)
        for mark in marks:  # a mark weighs the same whatever the message's length
            index = column.get(mark)
            if index is not None:
                rows.append(row)
                cols.append(index)
                values.append(spec.mark_value)
    x = csr_matrix((values, (rows, cols)), shape=(len(found), len(vocabulary)), dtype=np.float64)

    labels: list[str] = []
    biases: list[float] = []
    weights: list[Any] = []
    for signal in SIGNALS:
        y = np.array([signal in signals for _, signals, _ in train])
        labels.append(signal)
        if y.sum() == 0:
            biases.append(-8.0)
            weights.append(np.zeros(len(vocabulary)))
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")
        model.fit(x, y)
        biases.append(float(model.intercept_[0]))
        weights.append(model.coef_[0])
    known = np.array([category in AREA_HEADS for _, _, category in train])
    for area in AREA_HEADS:
        y = np.array([category == area for _, _, category in train])[known]
        labels.append(f"area:{area}")
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, solver="liblinear")
        model.fit(x[known], y)
        biases.append(float(model.intercept_[0]))
        weights.append(model.coef_[0])
    matrix = np.vstack(weights).T  # one row per feature
    return SignalModel.from_weights(labels, spec, biases, vocabulary, matrix.tolist(), info, lexicon)


def report(model: SignalModel, dev: Sequence[tuple[str, frozenset[str], str | None]]) -> dict[str, float]:
    """Print per-signal precision and recall on dev at the threshold with the best F2; returns them."""
    scored = [(model.scores(text), signals) for text, signals, _ in dev]
    chosen: dict[str, float] = {}
    print(f"{'signal':16} {'dev +':>6} {'thresh':>6} {'prec':>6} {'recall':>6}   at 0.5: prec recall")
    for signal in SIGNALS:
        positives = sum(signal in s for _, s in scored)
        best = (0.0, 0.5, 0.0, 0.0)
        at_half = (0.0, 0.0)
        for step in range(5, 96, 5):
            threshold = step / 100
            tp = sum(1 for p, s in scored if p[signal] >= threshold and signal in s)
            fp = sum(1 for p, s in scored if p[signal] >= threshold and signal not in s)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / positives if positives else 0.0
            f2 = 5 * precision * recall / (4 * precision + recall) if precision + recall else 0.0
            if f2 > best[0]:
                best = (f2, threshold, precision, recall)
            if step == 50:
                at_half = (precision, recall)
        chosen[signal] = best[1]
        print(
            f"{signal:16} {positives:6d} {best[1]:6.2f} {best[2]:6.2f} {best[3]:6.2f}   "
            f"{at_half[0]:13.2f} {at_half[1]:6.2f}"
        )
    return chosen


class _Remembered(SignalModel):
    """The same model, scoring each distinct message once (tuning replays dev many times)."""

    def logits(self, text: str, normalised: str | None = None) -> list[float]:
        cache: dict[str, list[float]] = self.info["_cache"]
        found = cache.get(text)
        if found is None:
            found = cache[text] = SignalModel.logits(self, text, normalised)
        return list(found)

    def signal_logits(self, text: str, normalised: str | None = None) -> list[float]:
        found = self.logits(text, normalised)
        return [found[column] for _, column in self.signal_heads]

    def area_logits(self, text: str) -> list[float]:
        found = self.logits(text)
        return [found[column] for _, column in self.area_heads]


def objective(report: dict[str, Any]) -> tuple[float, float, float]:
    """How far the report falls short of the targets (recall, precision, in time, each
    trigger's recall, priority agreement, the share of priority 1), summed; then the worst
    margin; then recall plus precision. Higher is better: thresholds that clear every bar, by
    the most, win."""
    targets = TARGETS
    margins = [
        (report["recall"] or 0) - targets["recall"],
        (report["precision"] or 0) - targets["precision"],
        (report["in_time"] or 0) - targets["in_time"],
        (report["priority_agreement"] or 0) - targets["priority_agreement"],
        targets["p1_share_max"] - (report["p1_share"] or 0),
        *((t["recall"] or 0) - targets["trigger_recall"] for t in report["by_trigger"].values() if t["labelled"] >= 5),
        # Danger to a person and legal threats are the costliest to miss: they must be named.
        *(
            (report["by_topic"][topic]["recall"] or 0) - targets["trigger_recall"]
            for topic in ("safety", "legal")
            if report["by_topic"][topic]["labelled"] >= 5
        ),
    ]
    shortfall = sum(min(0.0, margin) for margin in margins)
    return shortfall, min(margins), (report["recall"] or 0) + (report["precision"] or 0)


def out_of_fold(
    cases: Sequence[Case],
    spec: FeatureSpec,
    c: float,
    min_df: int,
    folds: int,
    lexicon: Lexicon | None = None,
    say: Callable[[str], None] = print,
) -> dict[str, list[float]]:
    """Every customer message's scores from a model that did not see its conversation.

    The conversations are dealt into ``folds`` by their id; each fold is scored by a model
    fitted on the others. Thresholds chosen on these scores hold for a model fitted on all.
    """
    dealt: list[list[Case]] = [[] for _ in range(folds)]
    for case in cases:
        dealt[int(hashlib.sha256(case.id.encode()).hexdigest(), 16) % folds].append(case)
    scores: dict[str, list[float]] = {}
    for number, held in enumerate(dealt):
        rest = [case for other, part in enumerate(dealt) if other != number for case in part]
        model = fit(customer_messages(rest), spec, c, min_df, {}, lexicon)
        for text, _, _ in customer_messages(held):
            scores[text] = model.logits(text)
        say(f"fold {number + 1}/{folds}: {len(held)} conversations scored")
    return scores


def tune(
    rules: Rules,
    dev: Sequence[Case],
    rounds: int = 3,
    say: Callable[[str], None] = print,
    known: dict[str, list[float]] | None = None,
) -> dict[str, float]:
    """Signal thresholds chosen on whole conversations, one signal at a time.

    Args:
        known: scores to use instead of the model's for these messages (out of fold).
    """
    model = _Remembered(
        rules.model.labels,
        rules.model.spec,
        rules.model.bias,
        rules.model.scale,
        rules.model.packed,
        {"_cache": dict(known or {})},
        rules.model.lexicon,
    )
    vader = signals_module._analyzer()
    remembered: dict[str, dict[str, float]] = {}
    original = vader.polarity_scores

    def polarity_scores(text: str) -> dict[str, float]:
        found = remembered.get(text)
        if found is None:
            found = remembered[text] = original(text)
        return found

    vader.polarity_scores = polarity_scores
    try:
        thresholds = dict(rules.signals)
        grid = [step / 100 for step in range(10, 96, 5)]

        _TUNING.update(rules=dataclasses.replace(rules, model=model), dev=dev)
        best = _score(thresholds)  # also fills the caches the workers inherit
        context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
        pool = context.Pool(os.cpu_count() or 1) if context is not None else None
        try:
            for round_number in range(rounds):
                changed = False
                for signal in SIGNALS:
                    candidates = [{**thresholds, signal: value} for value in grid]
                    scores = pool.map(_score, candidates) if pool is not None else list(map(_score, candidates))
                    for candidate, found in zip(candidates, scores, strict=True):
                        if found > best:
                            best, thresholds, changed = found, candidate, True
                say(
                    f"round {round_number + 1}: shortfall {best[0]:+.3f}, worst margin {best[1]:+.3f}, "
                    f"recall + precision {best[2]:.3f}"
                )
                if not changed:
                    break
        finally:
            if pool is not None:
                pool.close()
        return thresholds
    finally:
        vader.polarity_scores = original
        _TUNING.clear()


#: What the tuning workers score against (set before they are forked, so they inherit it).
_TUNING: dict[str, Any] = {}


def _score(candidate: dict[str, float]) -> tuple[float, float, float]:
    trial = dataclasses.replace(_TUNING["rules"], signals=candidate)
    return objective(evaluate(Triage(trial), _TUNING["dev"]))


def write_thresholds(path: Path, thresholds: dict[str, float]) -> None:
    """Replace the values of the ``[signals]`` table of a rules file, keeping its comments."""
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("[signals]", 1)
    table, tail = rest.split("\n[", 1)
    for signal, value in thresholds.items():
        table = re.sub(rf"(?m)^{signal}( *)= [0-9.]+", rf"{signal}\g<1>= {value:.2f}", table)
    path.write_text(head + "[signals]" + table + "\n[" + tail, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agent_desk.triage.train", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / MODEL_NAME, help="model file to write")
    parser.add_argument("--c", type=float, default=16.0, help="inverse regularisation strength")
    parser.add_argument("--min-df", type=int, default=2, help="n-grams seen in fewer messages are dropped")
    parser.add_argument("--min-n", type=int, default=2)
    parser.add_argument("--max-n", type=int, default=5)
    parser.add_argument("--mark-value", type=float, default=0.2, help="value of a mark (tone, concept) in a vector")
    parser.add_argument("--dry-run", action="store_true", help="report on dev, write nothing")
    parser.add_argument(
        "--tune",
        action="store_true",
        help="choose the signal thresholds on dev conversations and write them into the rules",
    )
    parser.add_argument(
        "--rules",
        type=Path,
        default=ROOT / "resources" / "triage_rules.toml",
        help="rules file whose thresholds --tune rewrites",
    )
    parser.add_argument(
        "--lexicon",
        type=Path,
        default=ROOT / "resources" / "triage_lexicon.json",
        help="concept words in many languages, read as features (--lexicon none: without)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=5,
        help="with --tune: fit on train and dev together, choosing thresholds on out-of-fold "
        "scores over this many folds (0: fit on train, choose on dev)",
    )
    args = parser.parse_args(argv)
    try:
        import sklearn  # noqa: F401  (checked here for a clear message)
    except ImportError:
        print("training needs scikit-learn: pip install -e '.[train]'", file=sys.stderr)
        return 2
    train_cases = load_split(args.corpus, "train")
    dev_cases = load_split(args.corpus, "dev")
    spec = FeatureSpec(min_n=args.min_n, max_n=args.max_n, mark_value=args.mark_value)
    lexicon = None if str(args.lexicon) == "none" else load_lexicon(args.lexicon)
    pooled = args.tune and args.folds > 1
    fitted_on = [*train_cases, *dev_cases] if pooled else train_cases
    train = customer_messages(fitted_on)
    dev = customer_messages(dev_cases)
    info = {
        "trained": dt.date.today().isoformat(),
        "conversations": len(fitted_on),
        "messages": len(train),
        "splits": ["train", "dev"] if pooled else ["train"],
        "languages": sorted({c.language for c in fitted_on}),
        "c": args.c,
        "min_df": args.min_df,
    }
    if not pooled:  # a model that has not seen dev, to report on it
        model = fit(train, spec, args.c, args.min_df, info, lexicon)
        print(
            f"trained on {len(train)} customer messages in {len(fitted_on)} conversations; "
            f"{len(model.packed)} features; dev: {len(dev)} messages"
        )
        report(model, dev)
        if args.dry_run:
            return 0
    else:
        model = fit(train, spec, args.c, args.min_df, info, lexicon)
        print(
            f"trained on {len(train)} customer messages in {len(fitted_on)} conversations (train and dev); "
            f"{len(model.packed)} features"
        )
    data = model.to_bytes()
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KiB)")
    if args.tune:
        rules = dataclasses.replace(load_rules(args.rules), model=model)
        if pooled:
            known = out_of_fold(fitted_on, spec, args.c, args.min_df, args.folds, lexicon)
            thresholds = tune(rules, fitted_on, known=known)
        else:
            thresholds = tune(rules, dev_cases)
        write_thresholds(args.rules, thresholds)
        print("thresholds written to", args.rules, ":", ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
