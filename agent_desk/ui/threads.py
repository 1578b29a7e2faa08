"""A guard for code that must run on the GUI thread (models, widgets, bridge slots)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QThread


class WrongThread(RuntimeError):
    """GUI-only code ran on another thread: a programming error."""


def ensure_gui_thread(where: str) -> None:
    """Raise :class:`WrongThread` unless called on the thread that owns the QApplication.

    Args:
        where: what was about to run, for the error message.
    """
    app = QCoreApplication.instance()
    # Shiboken returns the same wrapper for the same QThread, so identity is exact here;
    # compare the C++ objects too in case a new wrapper was made.
    current = QThread.currentThread()
    if app is not None and current is not app.thread() and current != app.thread():
        raise WrongThread(f"{where} ran off the GUI thread")
