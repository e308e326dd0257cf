"""The dialog shown after a crash: what was recovered, and Recover / Discard / Decide later."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout


def _when(started: str) -> str:
    try:
        return datetime.fromisoformat(started).astimezone().strftime("%A %d %B at %H:%M")
    except ValueError:
        return started or "an earlier session"


class RecoveryDialog(QDialog):
    """Shows the recovered text read-only; nothing is removed unless Recover or Discard is chosen."""

    recover_chosen = Signal()
    discard_chosen = Signal()

    def __init__(self, found: list, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recover your text")
        sessions = [session for session, _text in found]
        seconds = sum(session.audio_seconds for session in sessions)
        when = _when(sessions[0].started) if sessions else ""
        kept = "Your text" + (f" and {seconds:.0f} seconds of dictation were" if seconds >= 1 else " was")
        summary = QLabel(f"Voxpad did not close normally ({when}). {kept} kept and are shown below. "
                         "Put them back into the document?" if seconds >= 1 else
                         f"Voxpad did not close normally ({when}). {kept} kept and is shown below. "
                         "Put it back into the document?", self)
        summary.setWordWrap(True)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Recovered text")
        self.preview.setPlainText("\n\n".join(text for _session, text in found))
        buttons = QDialogButtonBox(self)
        self.recover_button = buttons.addButton("&Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton("&Discard", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.later_button = buttons.addButton("Decide &Later", QDialogButtonBox.ButtonRole.RejectRole)
        self.recover_button.setDefault(True)
        self.recover_button.clicked.connect(self._recover)
        self.discard_button.clicked.connect(self._discard)
        self.later_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)
        self.resize(560, 360)

    def _recover(self) -> None:
        self.recover_chosen.emit()
        self.accept()

    def _discard(self) -> None:
        self.discard_chosen.emit()
        self.accept()
