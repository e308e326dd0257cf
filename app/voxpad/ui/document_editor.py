"""The editable document: a plain-text editor that also takes dictation and shows reading.

Read-aloud highlighting uses extra selections, which are drawn over the text without
touching the document or its undo history.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from voxpad.text.joining import join_dictation

# How much text around the cursor join_dictation needs to decide spacing and capitals.
_CONTEXT_CHARS = 40


class DocumentEditor(QPlainTextEdit):
    """Plain-text document with dictation insertion and a read-aloud highlight."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Document")
        self.setPlaceholderText("Type here, or press Dictate (Ctrl+D) and speak.")
        self.setTabChangesFocus(False)
        font = QFont()
        font.setPointSize(13)
        self.document().setDefaultFont(font)
        self._reading_format = QTextCharFormat()
        self._reading_format.setBackground(QColor("#fff2a8"))
        self._reading_format.setForeground(QColor("#000000"))
        # Word-by-word reading: the sentence faintly, the word being spoken strongly.
        self._sentence_format = QTextCharFormat()
        self._sentence_format.setBackground(QColor("#fff7cc"))
        self._word_format = QTextCharFormat()
        self._word_format.setBackground(QColor("#ffd23f"))
        self._word_format.setForeground(QColor("#000000"))
        self._word_format.setFontUnderline(True)  # not colour alone, for colour-blind readers

    # -- dictation ---------------------------------------------------------------
    def insert_dictation(self, text: str) -> str:
        """Insert dictated ``text`` at the cursor, joined to its neighbours; return what was inserted."""
        cursor = self.textCursor()
        if cursor.hasSelection():
            cursor.removeSelectedText()
        position = cursor.position()
        whole = self.toPlainText()
        before = whole[max(0, position - _CONTEXT_CHARS):position]
        after = whole[position:position + _CONTEXT_CHARS]
        piece = join_dictation(before, text, after)
        if piece:
            cursor.insertText(piece)  # one edit block: undo removes the whole utterance
            self.setTextCursor(cursor)
            self.ensureCursorVisible()
        return piece

    # -- reading -----------------------------------------------------------------
    def text_to_read(self) -> tuple[str, int]:
        """The selection, or everything from the cursor on; with its offset in the document."""
        cursor = self.textCursor()
        whole = self.toPlainText()
        if cursor.hasSelection():
            start, end = cursor.selectionStart(), cursor.selectionEnd()
            return whole[start:end], start
        start = cursor.position()
        if not whole[start:].strip():
            start = 0  # cursor at the end: read the whole document, as people expect
        return whole[start:], start

    def highlight_reading(self, start: int, end: int) -> None:
        """Mark characters start..end as being read and scroll them into view."""
        cursor = QTextCursor(self.document())
        length = self.document().characterCount() - 1
        cursor.setPosition(min(start, length))
        cursor.setPosition(min(end, length), QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = self._reading_format
        self.setExtraSelections([selection])
        view = QTextCursor(cursor)
        view.setPosition(cursor.selectionEnd())
        self._scroll_to(view)

    def highlight_word(self, word_start: int, word_end: int, sentence_start: int, sentence_end: int) -> None:
        """Mark the sentence being read faintly and its word strongly; keep the word in view."""
        selections = []
        for start, end, text_format in ((sentence_start, sentence_end, self._sentence_format),
                                        (word_start, word_end, self._word_format)):
            selection = QTextEdit.ExtraSelection()
            selection.cursor = self._range_cursor(start, end)
            selection.format = text_format
            selections.append(selection)
        self.setExtraSelections(selections)
        view = QTextCursor(selections[1].cursor)
        view.setPosition(view.selectionEnd())
        self._scroll_to(view)

    def reading_word(self) -> tuple[int, int] | None:
        """The word highlighted as being spoken, or None."""
        selections = self.extraSelections()
        if len(selections) < 2:
            return None
        cursor = selections[1].cursor
        return cursor.selectionStart(), cursor.selectionEnd()

    def _range_cursor(self, start: int, end: int) -> QTextCursor:
        cursor = QTextCursor(self.document())
        length = self.document().characterCount() - 1
        cursor.setPosition(max(0, min(start, length)))
        cursor.setPosition(max(0, min(end, length)), QTextCursor.MoveMode.KeepAnchor)
        return cursor

    def clear_reading_highlight(self) -> None:
        self.setExtraSelections([])

    def reading_highlight(self) -> tuple[int, int] | None:
        selections = self.extraSelections()
        if not selections:
            return None
        cursor = selections[0].cursor
        return cursor.selectionStart(), cursor.selectionEnd()

    def _scroll_to(self, cursor: QTextCursor) -> None:
        # Scroll without moving the user's own cursor: QPlainTextEdit scrolls in lines.
        rect = self.cursorRect(cursor)
        viewport = self.viewport().rect()
        line = max(1, self.fontMetrics().lineSpacing())
        bar = self.verticalScrollBar()
        if rect.bottom() > viewport.bottom():
            bar.setValue(bar.value() + (rect.bottom() - viewport.bottom()) // line + 2)
        elif rect.top() < viewport.top():
            bar.setValue(bar.value() - (viewport.top() - rect.top()) // line - 2)

    # -- view --------------------------------------------------------------------
    def set_font_size(self, points: int) -> None:
        font = self.document().defaultFont()
        font.setPointSize(points)
        self.document().setDefaultFont(font)

    def font_size(self) -> int:
        return self.document().defaultFont().pointSize()

    def set_word_wrap(self, on: bool) -> None:
        self.setLineWrapMode(
            QPlainTextEdit.LineWrapMode.WidgetWidth if on else QPlainTextEdit.LineWrapMode.NoWrap
        )
