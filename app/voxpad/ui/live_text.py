"""Live dictation text in the document: a grey partial at the landing spot, replaced by the final.

The partial is drawn as the text layout's *pre-edit area*, the mechanism input methods use
for text that is being composed: Qt lays it out inline (wrapping and pushing the following
text along) but it is not part of the document. So it never enters the undo history, the
saved file or ``toPlainText()``, the user's cursor does not move, and the document stays
editable meanwhile. When the final arrives the partial is cleared and the final text is
inserted at the same spot as one undoable edit block, so Undo removes exactly one utterance.

The landing spot (an anchor QTextCursor, which follows edits made elsewhere) is taken from
the user's cursor when an utterance begins and kept until its final, so text of one
utterance never jumps around if the user clicks elsewhere meanwhile.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextLayout
from PySide6.QtWidgets import QPlainTextEdit

from voxpad.text.spoken_commands import CommandResult, apply_spoken_commands, join_spoken

_CONTEXT_CHARS = 40


def spoken_final(text: str, spoken_commands: bool) -> CommandResult:
    """What a dictated utterance means, with spoken commands applied when they are switched on."""
    return apply_spoken_commands(text) if spoken_commands else CommandResult(text)


class LiveDictationText:
    """Shows partials and inserts finals in a QPlainTextEdit; remembers utterances for "scratch that"."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        self._editor = editor
        self._anchor: QTextCursor | None = None  # where the utterance in progress will land
        self._partial = ""
        self._shown_block = None  # the QTextBlock whose layout carries the pre-edit text
        self._inserted: list[QTextCursor] = []  # selections spanning each inserted utterance
        # The editor's placeholder while a partial hides it: Qt paints the placeholder whenever
        # the document is empty, and the pre-edit text is not document content, so the first
        # partial in an empty document was drawn over "Type here, or press Dictate…".
        self._hidden_placeholder: str | None = None
        self.partial_format = QTextCharFormat()
        self.partial_format.setForeground(QColor("#8a8a8a"))
        self.partial_format.setFontItalic(True)
        editor.document().contentsChanged.connect(self._reapply)

    # -- partials --------------------------------------------------------------------------
    @property
    def partial_text(self) -> str:
        """The partial currently shown ('' if none)."""
        return self._partial

    def show_partial(self, text: str) -> None:
        """Show ``text`` (the utterance so far) greyed at the landing spot, outside the document."""
        if self._anchor is None:
            self._anchor = self._landing_cursor()
        self._partial = text
        self._draw()

    def clear_partial(self) -> None:
        self._partial = ""
        self._erase()

    # -- finals ----------------------------------------------------------------------------
    def insert_final(self, text: str) -> str:
        """Replace the partial by ``text`` at the landing spot as one undo step; returns what was inserted."""
        anchor = self._anchor if self._anchor is not None else self._landing_cursor()
        self._anchor = None
        self._partial = ""
        self._erase()
        document = self._editor.document()
        whole = document.toPlainText()
        position = anchor.position()
        piece = join_spoken(whole[max(0, position - _CONTEXT_CHARS):position], text,
                               whole[position:position + _CONTEXT_CHARS])
        if whole[:position].endswith("\n") or not whole[:position]:
            piece = piece.lstrip(" ")
        if not piece:
            return ""
        user_cursor = self._editor.textCursor()
        user_at_anchor = user_cursor.position() == position and not user_cursor.hasSelection()
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.beginEditBlock()  # an explicit block: Qt never merges it with the next insertion
        cursor.insertText(piece)
        cursor.endEditBlock()
        span = QTextCursor(document)
        span.setPosition(position)
        span.setPosition(position + len(piece), QTextCursor.MoveMode.KeepAnchor)
        self._inserted.append(span)
        del self._inserted[:-50]
        if user_at_anchor:
            # The user was waiting at the landing spot: follow the text, as when typing.
            user_cursor.setPosition(position + len(piece))
            self._editor.setTextCursor(user_cursor)
            self._editor.ensureCursorVisible()
        return piece

    def scratch_last(self) -> bool:
        """Remove the last inserted utterance (one undoable edit); False if there is none left."""
        while self._inserted:
            span = self._inserted.pop()
            if span.hasSelection():
                span.beginEditBlock()
                span.removeSelectedText()
                span.endEditBlock()
                return True
        return False

    def end_session(self) -> None:
        """Dictation stopped: drop any partial left on screen."""
        self._anchor = None
        self.clear_partial()

    # -- drawing ---------------------------------------------------------------------------
    def _landing_cursor(self) -> QTextCursor:
        cursor = QTextCursor(self._editor.textCursor())
        cursor.clearSelection()
        return cursor

    def _draw(self) -> None:
        self._erase()
        if not self._partial or self._anchor is None:
            return
        document = self._editor.document()
        position = self._anchor.position()
        whole = document.toPlainText()
        piece = join_spoken(whole[max(0, position - _CONTEXT_CHARS):position], self._partial,
                               whole[position:position + _CONTEXT_CHARS])
        block = document.findBlock(position)
        layout: QTextLayout = block.layout()
        offset = position - block.position()
        layout.setPreeditArea(offset, piece)
        grey = QTextLayout.FormatRange()
        grey.start = offset
        grey.length = len(piece)
        grey.format = self.partial_format
        layout.setFormats([grey])
        self._shown_block = block
        if self._hidden_placeholder is None:
            self._hidden_placeholder = self._editor.placeholderText()
            self._editor.setPlaceholderText("")
        document.markContentsDirty(block.position(), block.length())
        self._editor.viewport().update()

    def _erase(self) -> None:
        if self._hidden_placeholder is not None:
            self._editor.setPlaceholderText(self._hidden_placeholder)
            self._hidden_placeholder = None
        block = self._shown_block
        self._shown_block = None
        if block is None or not block.isValid():
            return
        layout = block.layout()
        if layout is not None and layout.preeditAreaText():
            layout.setPreeditArea(-1, "")
            layout.clearFormats()
            self._editor.document().markContentsDirty(block.position(), block.length())
            self._editor.viewport().update()

    def _reapply(self) -> None:
        # The user edited the document: the pre-edit offset is block-relative, so redraw it.
        if self._partial and self._shown_block is not None:
            block = self._shown_block
            if not block.isValid() or block != self._editor.document().findBlock(self._anchor.position()) \
                    or block.layout().preeditAreaPosition() != self._anchor.position() - block.position():
                self._draw()
