"""Regression: PySide6 6.12.0 aborts CPython 3.11 on many Signal.emit(True) / data() -> None.

The dependency pins exclude that release on Python < 3.12; this runs the pattern that
crashed, in a child process, so a bad binding fails here instead of on an agent's desk.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt, Signal

    class Emitter(QObject):
        changed = Signal(bool)

    class Model(QAbstractTableModel):
        def rowCount(self, parent=QModelIndex()):
            return 100
        def columnCount(self, parent=QModelIndex()):
            return 10
        def data(self, index, role=Qt.DisplayRole):
            return None

    app = QCoreApplication([])
    emitter = Emitter()
    seen = []
    emitter.changed.connect(seen.append)
    for _ in range(20000):
        emitter.changed.emit(True)
    model = Model()
    for row in range(100):
        for col in range(10):
            for role in (Qt.DisplayRole, Qt.ToolTipRole, Qt.DecorationRole):
                model.data(model.index(row, col), role)
    print(len(seen))
    """
)


def test_binding_survives_many_bool_signals_and_none_data():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "20000"
