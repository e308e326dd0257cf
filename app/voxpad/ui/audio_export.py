"""File > Export Audio…: the selection, or the whole document, spoken into a sound file.

Synthesis runs in the background with a progress bar in the status bar; the document
stays editable meanwhile (the text is taken when the export starts).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QProgressBar

from voxpad.tts.speech_file import FILE_FILTER, export_speech
from voxpad.ui.tasks import BackgroundTask, describe_error, run_in_background


class AudioExport(QObject):
    """The Export Audio action of one main window, and the export it runs."""

    finished = Signal(str)  # the path written
    failed = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._task: BackgroundTask | None = None
        self.action = QAction("Export &Audio…", window)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.action.setStatusTip("Save the selection, or the whole document, as spoken audio")
        self.action.triggered.connect(self.export_dialog)
        window.addAction(self.action)
        for menu_action in window.menuBar().actions():
            menu = menu_action.menu()
            if menu is not None and window.transcribe_file_action in menu.actions():
                menu.insertAction(_action_after(menu, window.transcribe_file_action), self.action)
        self.progress = QProgressBar(window)
        self.progress.setAccessibleName("Audio export progress")
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(160)
        self.progress.setFormat("Export %p%")
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.progress)

    @property
    def active(self) -> bool:
        return self._task is not None

    def export_dialog(self) -> None:
        start = str(self._window.document_path.with_suffix(".wav")) if self._window.document_path else \
            str(Path.home() / "speech.wav")
        name, chosen_filter = QFileDialog.getSaveFileName(self._window, "Export Audio", start, FILE_FILTER)
        if name:
            path = Path(name)
            if not path.suffix:  # the dialog's filter says which format was meant
                path = path.with_suffix("." + chosen_filter.split("*.")[-1].rstrip(")"))
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        """Export the selection (or the document) to ``path`` in the background."""
        editor = self._window.editor
        cursor = editor.textCursor()
        text = cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else editor.toPlainText()
        if not text.strip():
            self._window.set_status("There is nothing to export. Type or dictate some text first.")
            return
        if self._task is not None:
            self._task.cancel()
        engines = self._window.engines
        speed = self._window.settings.voice_speed

        def work(task: BackgroundTask) -> str:
            export_speech(engines.voice(), text, path, speed=speed,
                          on_progress=lambda done, total: task.report_progress(done / total),
                          cancelled=lambda: task.cancelled)
            return str(path)

        self.progress.setValue(0)
        self.progress.show()
        self._window.set_status(f"Exporting audio to {path.name}…")
        holder: dict[str, BackgroundTask] = {}
        holder["task"] = self._task = run_in_background(
            work,
            on_done=lambda written: self._done(holder["task"], written),
            on_error=lambda exc: self._failed(holder["task"], exc),
            on_progress=lambda fraction: self.progress.setValue(int(fraction * 1000)),
        )

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _done(self, task: BackgroundTask, written: str) -> None:
        if task is not self._task:
            return
        self._task = None
        self.progress.hide()
        if task.cancelled:
            self._window.set_status("Audio export cancelled.")
            return
        self._window.set_status(f"Saved the audio as {written}.")
        self.finished.emit(written)

    def _failed(self, task: BackgroundTask, exc: Exception) -> None:
        if task is not self._task:
            return
        self._task = None
        self.progress.hide()
        self._window.show_error(describe_error(exc))
        self.failed.emit(describe_error(exc))


def _action_after(menu, action: QAction) -> QAction | None:
    actions = menu.actions()
    index = actions.index(action)
    return actions[index + 1] if index + 1 < len(actions) else None
