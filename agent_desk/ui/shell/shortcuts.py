"""The desk's keys (docs/desktop.md, "Keyboard") as requests the window acts on.

F1 and Quit are menu actions (:mod:`agent_desk.ui.shell.menu`); the map shown by F1 is
:mod:`agent_desk.ui.shell.keymap`.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from agent_desk.ui.queue.filter import View

#: Keys that work anywhere in the window, by what they ask for.
WINDOW_KEYS = {
    "next": "J",
    "previous": "K",
    "claim": "C",
    "resolve": "R",
    "search": "/",
    "escape": "Esc",
    "waiting": "Ctrl+1",
    "mine": "Ctrl+2",
    "resolved": "Ctrl+3",
    "all": "Ctrl+4",
    "available": "Ctrl+Shift+A",
    "busy": "Ctrl+Shift+B",
    "away": "Ctrl+Shift+W",
}
VIEW_KEYS = {"waiting": View.WAITING, "mine": View.MINE, "resolved": View.RESOLVED, "all": View.ALL}
PRESENCE_KEYS = ("available", "busy", "away")


class DeskKeys(QObject):
    """The window's shortcuts; each key becomes one request.

    Signals:
        nextRequested(), previousRequested(): move through the queue (J, K).
        claimRequested(), resolveRequested(): act on the handoff in focus (C, R).
        searchRequested(): go to the search field (/).
        escapeRequested(): back to the queue, clearing the search (Esc).
        openRequested(): open the current handoff (Enter or Return in the queue).
        viewRequested(str): show a view (Ctrl+1 to Ctrl+4).
        presenceRequested(str): available, busy or away (Ctrl+Shift+A, B, W).

    Attributes:
        shortcuts: the window-wide shortcuts, by the names in :data:`WINDOW_KEYS`.
    """

    nextRequested = Signal()
    previousRequested = Signal()
    claimRequested = Signal()
    resolveRequested = Signal()
    searchRequested = Signal()
    escapeRequested = Signal()
    openRequested = Signal()
    viewRequested = Signal(str)
    presenceRequested = Signal(str)

    def __init__(self, window: QWidget, queue: QWidget) -> None:
        super().__init__(window)
        self.shortcuts: dict[str, QShortcut] = {}
        for name, keys in WINDOW_KEYS.items():
            shortcut = QShortcut(QKeySequence(keys), window)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            self.shortcuts[name] = shortcut
        self._open_keys: list[QShortcut] = []
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), queue)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            self._open_keys.append(shortcut)
        self._connect_signals()

    def _connect_signals(self) -> None:
        keys = self.shortcuts
        keys["next"].activated.connect(self.nextRequested.emit)
        keys["previous"].activated.connect(self.previousRequested.emit)
        keys["claim"].activated.connect(self.claimRequested.emit)
        keys["resolve"].activated.connect(self.resolveRequested.emit)
        keys["search"].activated.connect(self.searchRequested.emit)
        keys["escape"].activated.connect(self.escapeRequested.emit)
        for name, view in VIEW_KEYS.items():
            keys[name].activated.connect(partial(self.viewRequested.emit, view))
        for presence in PRESENCE_KEYS:
            keys[presence].activated.connect(partial(self.presenceRequested.emit, presence))
        for shortcut in self._open_keys:
            shortcut.activated.connect(self.openRequested.emit)
