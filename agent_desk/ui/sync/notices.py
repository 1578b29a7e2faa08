"""The engine's one-off reports in words: :class:`Notice` and :class:`TokenNotice`.

The engine reports state (a kind and its fields); this module is the one place that words it,
through Qt's translation, as :mod:`agent_desk.ui.sync.connection` words the connection's
``Why``. Nothing in the desktop reads the engine's English.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from agent_desk.client.surface import Notice, NoticeKind, TokenNotice
from agent_desk.ui.text import one_line


def _t(text: str) -> str:
    return QCoreApplication.translate("Notices", text)


#: What each kind says: %1 the action, %2 the detail, %3 the count, %4 the file.
_WORDS: dict[NoticeKind, object] = {  # QT_TRANSLATE_NOOP marks each for lupdate; its stub returns object
    NoticeKind.CLAIM_NEEDS_HUB: QT_TRANSLATE_NOOP(
        "Notices", "You are offline: a new claim needs the hub. Try again once Agent Desk is connected."
    ),
    NoticeKind.NOT_RECORDED: QT_TRANSLATE_NOOP("Notices", "Could not record this %1: %2."),
    NoticeKind.NOT_HELD: QT_TRANSLATE_NOOP(
        "Notices", "Could not record this %1: the handoff is no longer on this desk."
    ),
    NoticeKind.NOT_RECORDED_AGAIN: QT_TRANSLATE_NOOP("Notices", "Could not record this %1 again: %2."),
    NoticeKind.NOT_SAVED: QT_TRANSLATE_NOOP(
        "Notices",
        "Your %1 could not be saved to disk (%2). It is kept in memory, will still be sent to the hub, and will "
        "be saved when the disk allows. Do not quit Agent Desk until this is resolved.",
    ),
    NoticeKind.SAVED_LATER: QT_TRANSLATE_NOOP(
        "Notices", "%3 recorded action(s) that were kept in memory are now saved to disk."
    ),
    NoticeKind.NOT_DISMISSED: QT_TRANSLATE_NOOP("Notices", "Could not dismiss the item: %2."),
    NoticeKind.CACHE_DAMAGED: QT_TRANSLATE_NOOP(
        "Notices",
        "The local cache was damaged (%2). It was moved to %4 and is being rebuilt from the hub; %3 unsent "
        "action(s) were kept.",
    ),
    NoticeKind.CACHE_NEWER: QT_TRANSLATE_NOOP(
        "Notices",
        "The local cache was written by a newer Agent Desk (schema %2). It was moved to %4 and is being rebuilt "
        "from the hub; %3 unsent action(s) were kept.",
    ),
    NoticeKind.CACHE_IN_MEMORY: QT_TRANSLATE_NOOP(
        "Notices",
        "The local cache %4 cannot be used (%2). Agent Desk works from memory for this session: actions "
        "recorded while offline are lost if it closes.",
    ),
    NoticeKind.SAVED_REPLY_NOT_CHANGED: QT_TRANSLATE_NOOP("Notices", "Could not %1 the saved reply: %2."),
    NoticeKind.OFFER_NOT_DECLINED: QT_TRANSLATE_NOOP("Notices", "Could not decline the offer: %2."),
}

#: The requests a notice may name, as the sentences above use them.
_ACTIONS: dict[str, object] = {
    "claim": QT_TRANSLATE_NOOP("Notices", "claim"),
    "release": QT_TRANSLATE_NOOP("Notices", "release"),
    "resolve": QT_TRANSLATE_NOOP("Notices", "resolution"),
    "reassign": QT_TRANSLATE_NOOP("Notices", "reassignment"),
    "presence": QT_TRANSLATE_NOOP("Notices", "presence change"),
    "set_presence": QT_TRANSLATE_NOOP("Notices", "presence change"),
    "reply": QT_TRANSLATE_NOOP("Notices", "reply"),
    "note": QT_TRANSLATE_NOOP("Notices", "note"),
    "save": QT_TRANSLATE_NOOP("Notices", "save"),
    "delete": QT_TRANSLATE_NOOP("Notices", "delete"),
}

#: Kinds that only hold while the desk is offline: they go once it is online again.
OFFLINE_ONLY = frozenset({NoticeKind.CLAIM_NEEDS_HUB})


def action_words(action: str | None) -> str:
    """A request as a notice names it ("resolution"), "request" for one it does not know."""
    found = _ACTIONS.get(action or "")
    return _t(str(found)) if found is not None else _t("request")


def notice_words(notice: Notice) -> str:
    """What to tell the person, in their language."""
    words = _t(str(_WORDS[notice.kind]))
    return (
        words.replace("%1", action_words(notice.action))
        .replace("%2", one_line(notice.detail, 200) if notice.detail else _t("no reason given"))
        .replace("%3", str(notice.count))
        .replace("%4", one_line(notice.path, 200) if notice.path else "")
    )


def token_words(notice: TokenNotice) -> str:
    """Where the token is kept, in words."""
    if notice.persisted:
        return _t("Your token is kept in this computer's keyring.")
    return _t(
        "No system keyring is available, so your sign-in is kept only until Agent Desk closes; "
        "you will have to sign in again next time."
    )
