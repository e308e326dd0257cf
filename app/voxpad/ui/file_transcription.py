"""File > Transcribe audio file…: decode and transcribe in the background with progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from voxpad.audio.decode import load_audio_file
from voxpad.engines import Engines
from voxpad.errors import Cancelled
from voxpad.ui.tasks import BackgroundTask, describe_error, run_in_background

AUDIO_FILE_FILTER = "Audio files (*.wav *.flac *.mp3 *.ogg *.oga *.opus *.m4a *.aac *.webm *.mp4);;All files (*)"


class FileTranscription(QObject):
    """One transcription at a time; progress 0..1, then the text or a sentence saying why not."""

    progress = Signal(float)
    finished = Signal(str, str)  # file name, text
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engines = engines
        self._task: BackgroundTask | None = None
        self.beam_size = 5
        self.language: str | None = "en"  # None: detect (multilingual models only)

    @property
    def active(self) -> bool:
        return self._task is not None

    def start(self, path: Path) -> None:
        if self._task is not None:
            return

        def work(task: BackgroundTask) -> str:
            audio = load_audio_file(path)
            task.report_progress(0.02)
            recognizer = self._engines.recognizer()
            transcript = recognizer.transcribe(
                audio,
                beam_size=self.beam_size,
                language=self.language,
                progress=lambda fraction: task.report_progress(0.02 + 0.98 * fraction),
                cancelled=lambda: task.cancelled,
            )
            return transcript.text

        self._task = run_in_background(
            work,
            on_done=lambda text: self._done(path, text),
            on_error=self._error,
            on_progress=self.progress.emit,
        )

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _done(self, path: Path, text: str) -> None:
        self._task = None
        self.finished.emit(path.name, text)

    def _error(self, exc: Exception) -> None:
        self._task = None
        if isinstance(exc, Cancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(describe_error(exc))
