"""Human, translatable names for the protocol's values (tiers, triggers, presence, ...)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Labels", text)


def tier_label(tier: str) -> str:
    return {
        "vip": _t("VIP"),
        "premium": _t("PREMIUM"),
        "standard": _t("Standard"),
        "free": _t("Free"),
    }.get(tier, tier)


def tier_name(tier: str) -> str:
    return {
        "vip": _t("VIP customer"),
        "premium": _t("Premium customer"),
        "standard": _t("Standard customer"),
        "free": _t("Free plan customer"),
    }.get(tier, tier)


def priority_name(priority: int) -> str:
    return {
        1: _t("Priority 1, most urgent"),
        2: _t("Priority 2, urgent"),
        3: _t("Priority 3, normal"),
        4: _t("Priority 4, low"),
    }.get(priority, _t("Priority %1").replace("%1", str(priority)))


def trigger_label(trigger: str) -> str:
    return {
        "explicit_request": _t("asked for a person"),
        "negative_sentiment": _t("negative sentiment"),
        "repeated_failure": _t("bot failed repeatedly"),
        "sensitive_topic": _t("sensitive topic"),
        "high_value": _t("high-value customer"),
        "multi_issue": _t("several issues"),
        "source_decision": _t("handed over by the bot"),
    }.get(trigger, trigger.replace("_", " "))


def presence_label(presence: str) -> str:
    return {
        "available": _t("Available"),
        "busy": _t("Busy"),
        "away": _t("Away"),
        "offline": _t("Offline"),
    }.get(presence, presence)


def status_label(status: str) -> str:
    return {
        "waiting": _t("Waiting"),
        "claimed": _t("Claimed"),
        "resolved": _t("Resolved"),
    }.get(status, status)


def sync_label(sync: str) -> str:
    return {
        "synced": _t("Synced"),
        "pending": _t("Pending sync"),
        "needs_attention": _t("Needs attention"),
    }.get(sync, sync)


def role_label(role: str) -> str:
    return {
        "customer": _t("Customer"),
        "bot": _t("Bot"),
        "agent": _t("Agent"),
        "system": _t("System"),
        "lead": _t("Lead"),
    }.get(role, role)


def sentiment_label(word: str) -> str:
    return {
        "negative": _t("negative"),
        "neutral": _t("neutral"),
        "positive": _t("positive"),
        "unknown": _t("unknown"),
    }.get(word, word)


def resolution_label(resolution: str) -> str:
    return {
        "resolved": _t("Resolved"),
        "unresolved": _t("Not resolved"),
        "follow_up": _t("Needs follow-up"),
        "transferred": _t("Transferred"),
    }.get(resolution, resolution)


def feedback_label(feedback: str) -> str:
    return {
        "appropriate": _t("Appropriate"),
        "premature": _t("Too early"),
        "late": _t("Too late"),
    }.get(feedback, feedback)


def attempt_result_label(result: str) -> str:
    return {
        "succeeded": _t("worked"),
        "failed": _t("failed"),
        "unknown": _t("unclear"),
    }.get(result, result)


def action_label(kind: str) -> str:
    return {
        "claim": _t("Claim"),
        "release": _t("Release"),
        "resolve": _t("Resolve"),
        "reassign": _t("Reassign"),
        "presence": _t("Presence"),
    }.get(kind, kind)
