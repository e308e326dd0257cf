"""The find bar under the document (Ctrl+F): type to search, Enter for next, Shift+Enter back."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QToolButton, QWidget


class FindBar(QWidget):
    """Searches a QPlainTextEdit, wrapping around at the ends."""

    closed = Signal()

    def __init__(self, editor: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editor = editor
        self.field = QLineEdit(self)
        self.field.setPlaceholderText("Find in document")
        self.field.setAccessibleName("Find text")
        self.field.setClearButtonEnabled(True)
        self.result = QLabel(self)
        previous = QToolButton(self, text="↑", toolTip="Previous match (Shift+Enter)")
        previous.setAccessibleName("Previous match")
        following = QToolButton(self, text="↓", toolTip="Next match (Enter)")
        following.setAccessibleName("Next match")
        close = QToolButton(self, text="✕", toolTip="Close (Escape)")
        close.setAccessibleName("Close find bar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(QLabel("Find:", self))
        layout.addWidget(self.field, 1)
        layout.addWidget(previous)
        layout.addWidget(following)
        layout.addWidget(self.result)
        layout.addWidget(close)
        self.field.returnPressed.connect(self.find_next)
        self.field.textChanged.connect(lambda _text: self._find(from_start_of_selection=True))
        previous.clicked.connect(self.find_previous)
        following.clicked.connect(self.find_next)
        close.clicked.connect(self.hide_bar)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.hide_bar)
        QShortcut(QKeySequence("Shift+Return"), self.field, self.find_previous)

    def show_bar(self) -> None:
        selected = self._editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.field.setText(selected)
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def hide_bar(self) -> None:
        self.hide()
        self._editor.setFocus()
        self.closed.emit()

    def find_next(self) -> bool:
        return self._find()

    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _find(self, backward: bool = False, from_start_of_selection: bool = False) -> bool:
        needle = self.field.text()
        if not needle:
            self.result.clear()
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        cursor = self._editor.textCursor()
        if from_start_of_selection:
            cursor.setPosition(cursor.selectionStart())
        document = self._editor.document()
        found = document.find(needle, cursor, flags)
        if found.isNull():  # wrap around
            start = self._editor.textCursor()
            start.movePosition(start.MoveOperation.End if backward else start.MoveOperation.Start)
            found = document.find(needle, start, flags)
        if found.isNull():
            self.result.setText("Not found")
            return False
        self.result.clear()
        self._editor.setTextCursor(found)
        return True
