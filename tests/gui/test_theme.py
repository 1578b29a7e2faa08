"""Both themes load, fill the style sheet completely and meet WCAG AA contrast."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from agent_desk.ui.resources import resource
from agent_desk.ui.theme import load_theme, render_stylesheet

#: (text, background) pairs that carry words; AA for normal text is 4.5:1.
TEXT_PAIRS = [
    ("text", "surface"),
    ("text", "window"),
    ("muted", "surface"),
    ("muted", "window"),
    ("muted", "alternate"),
    ("text", "alternate"),
    ("sidebar_text", "sidebar"),
    ("muted", "sidebar"),
    ("selection_text", "selection"),
    ("accent_text", "accent"),
    ("badge_text", "p1"),
    ("badge_text", "p2"),
    ("badge_text", "p3"),
    ("badge_text", "p4"),
    ("vip_text", "vip"),
    ("premium_text", "premium"),
    ("wait_near", "surface"),
    ("wait_breached", "surface"),
    ("wait_near", "alternate"),
    ("wait_breached", "alternate"),
    ("chip_text", "chip"),
    ("bubble_customer_text", "bubble_customer"),
    ("bubble_bot_text", "bubble_bot"),
    ("bubble_agent_text", "bubble_agent"),
    ("bubble_note_text", "bubble_note"),
    ("muted", "bubble_note"),
    ("bubble_system_text", "surface"),
    ("button_text", "button"),
    ("danger", "surface"),
    ("warning", "surface"),
    ("ok", "surface"),
    ("text", "warning_soft"),
    ("text", "danger_soft"),
    ("disabled_text", "surface"),
    ("text", "input"),
    ("text", "hover"),
    ("muted", "hover"),
]
#: Marks that are not words (icons, sentiment shapes, presence dots): AA for UI parts is 3:1.
MARK_PAIRS = [
    ("sentiment_negative", "surface"),
    ("sentiment_positive", "surface"),
    ("sentiment_neutral", "surface"),
    ("breach_bar", "surface"),
    ("available", "surface"),
    ("busy", "surface"),
    ("away", "surface"),
    ("focus", "surface"),
    ("p1", "surface"),
    ("p4", "surface"),
    ("sentiment_negative", "selection"),
]


def luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_text_pairs_meet_aa(name: str) -> None:
    theme = load_theme(name)
    failures = [
        (f, b, round(contrast(theme.hex(f), theme.hex(b)), 2))
        for f, b in TEXT_PAIRS
        if contrast(theme.hex(f), theme.hex(b)) < 4.5
    ]
    assert failures == []


@pytest.mark.parametrize("name", ["light", "dark"])
def test_marks_meet_aa_for_graphics(name: str) -> None:
    theme = load_theme(name)
    failures = [
        (f, b, round(contrast(theme.hex(f), theme.hex(b)), 2))
        for f, b in MARK_PAIRS
        if contrast(theme.hex(f), theme.hex(b)) < 3.0
    ]
    assert failures == []


@pytest.mark.parametrize("name", ["light", "dark"])
def test_style_sheet_uses_only_known_tokens(name: str, qapp: Any) -> None:
    theme = load_theme(name)
    sheet = render_stylesheet(theme)
    assert sheet and "${" not in sheet
    assert re.search(r"#[0-9A-Fa-f]{6}", sheet)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_style_sheet_images_exist(name: str) -> None:
    sheet = render_stylesheet(load_theme(name))
    urls = re.findall(r'url\("([^"]+)"\)', sheet)
    assert urls and all(Path(u).is_file() for u in urls)


def test_both_themes_define_the_same_tokens() -> None:
    assert set(load_theme("light").tokens) == set(load_theme("dark").tokens)


def test_every_icon_the_code_names_exists() -> None:
    import pathlib

    source = "\n".join(p.read_text() for p in pathlib.Path(resource("..", "agent_desk", "ui")).glob("*.py"))
    names = set(re.findall(r'(?:icon|pixmap)\(\s*"([a-z_\-]+)"', source))
    names |= {
        f"trigger-{t}"
        for t in (
            "explicit_request",
            "negative_sentiment",
            "repeated_failure",
            "sensitive_topic",
            "high_value",
            "multi_issue",
            "source_decision",
        )
    }
    names |= {"sync-pending", "attention", "online", "offline", "reconnecting", "agent-desk"}
    missing = sorted(n for n in names if not resource("icons", f"{n}.svg").is_file())
    assert missing == []
