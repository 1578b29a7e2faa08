"""The base of the desktop's item models: a flat list of rows, each enabled and selectable."""

from __future__ import annotations

from typing import Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

AnyIndex = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

#: Built once: flag arithmetic on Python enums is slow, and views ask for flags very often.
ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
NO_FLAGS = Qt.ItemFlag.NoItemFlags


class RowModel(QAbstractTableModel, Generic[T]):
    """Rows of ``T`` in ``_rows``, no children; a list model is the one-column case.

    Subclasses keep their rows in ``_rows`` (announcing changes with the usual begin/end calls)
    and answer ``data`` and, for tables, ``headerData``.

    Args:
        columns: how many columns each row has.
    """

    def __init__(self, parent: QObject | None = None, columns: int = 1) -> None:
        super().__init__(parent)
        self._rows: list[T] = []
        self._column_count = columns

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else self._column_count

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        return ROW_FLAGS if index.isValid() else NO_FLAGS

    def row_at(self, index: AnyIndex) -> T | None:
        """The row an index points at, or None for an invalid or stale index."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]
