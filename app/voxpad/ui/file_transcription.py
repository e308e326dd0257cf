"""File > Transcribe audio file…: decode and transcribe in the background with progress.

The file streams (decoded in blocks, transcribed in chunks cut at pauses), so an hour of audio
costs no more memory than a minute. If it breaks off part-way, the text from before the break
is still delivered (``finished``) and then the reason (``failed``): nothing heard is dropped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from voxpad.engines import Engines
from voxpad.errors import Cancelled
from voxpad.stt.long_audio import transcribe_audio_file
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

        def work(task: BackgroundTask) -> tuple[str, str | None]:
            result = transcribe_audio_file(
                self._engines.recognizer,  # loaded only once the file proves to be audio
                path,
                beam_size=self.beam_size,
                language=self.language,
                progress=task.report_progress,
                cancelled=lambda: task.cancelled,
            )
            return result.transcript.text, result.damage

        self._task = run_in_background(
            work,
            on_done=lambda outcome: self._done(path, *outcome),
            on_error=self._error,
            on_progress=self.progress.emit,
        )

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _done(self, path: Path, text: str, damage: str | None) -> None:
        self._task = None
        # A file that broke off: insert what was heard before the break, then say why the rest is
        # missing. With nothing heard, only the sentence (not "no speech found" first).
        if text or not damage:
            self.finished.emit(path.name, text)
        if damage:
            self.failed.emit(damage)

    def _error(self, exc: Exception) -> None:
        self._task = None
        if isinstance(exc, Cancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(describe_error(exc))
