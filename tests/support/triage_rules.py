"""Rules files for tests that pin the triage policy rather than the model.

The model in them never fires by itself; a marker word in a message makes a signal fire through
the operator overrides (e.g. "PERSON" -> ``wants_person``), so a test decides exactly what triage
reads and checks what the policy, the hub or a tool does with it.
"""

from __future__ import annotations

from pathlib import Path

from agent_desk.triage import SignalModel
from agent_desk.triage._paths import default_rules_path
from agent_desk.triage.features import FeatureSpec
from agent_desk.triage.rules import SIGNALS
from agent_desk.triage.train import AREA_HEADS

#: Word in a message -> the signal it makes fire.
MARKS = {
    "PERSON": "wants_person",
    "ANNOYED": "frustration",
    "FURIOUS": "frustration",
    "GRIEVING": "distress",
    "HURT": "danger",
    "LAWYER": "legal",
    "MYDATA": "privacy",
    "DISPUTE": "billing_dispute",
    "LEAVING": "cancel_intent",
    "SEVERAL": "multi_issue",
    "NOTWORKING": "failure_report",
    "SOLVED": "resolved",
    "DENTED": "problem",
}


def marked_rules(folder: Path, silence: tuple[str, ...] = (), name: str = "rules.toml", **replace: str) -> Path:
    """Write the shipped rules with a silent model and the marker overrides; returns the path.

    Args:
        silence: signals whose markers do nothing in this file.
        replace: text of the shipped file -> its replacement (e.g. a threshold).
    """
    folder.mkdir(parents=True, exist_ok=True)
    labels = [*SIGNALS, *(f"area:{a}" for a in AREA_HEADS)]
    quiet = SignalModel.from_weights(labels, FeatureSpec(), [-12.0] * len(labels), [], [])
    (folder / "quiet.bin").write_bytes(quiet.to_bytes())
    text = default_rules_path().read_text(encoding="utf-8")
    text = text.replace('file = "triage_model.bin"', 'file = "quiet.bin"')
    text = text.replace("negative_message = -0.75", "negative_message = -1.0")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    marks: dict[str, list[str]] = {}
    for word, signal in MARKS.items():
        if signal not in silence:
            marks.setdefault(signal, []).append(f"\\\\b{word.lower()}\\\\b")
    overrides = "".join(
        f"\n[overrides.{signal}]\nmatch = [{', '.join(chr(34) + p + chr(34) for p in patterns)}]\n"
        for signal, patterns in marks.items()
    )
    text = text.replace("\n[queues]", overrides + "\n[queues]")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
