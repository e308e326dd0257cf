"""Bridges read-aloud to the window: the sentence reader's callbacks become Qt signals."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal

from voxpad.audio.speaker import Speaker
from voxpad.engines import Engines
from voxpad.errors import VoxpadError
from voxpad.tts.reader import SentenceReader
from voxpad.tts.sentences import SentenceSpan
from voxpad.ui.tasks import describe_error, run_in_background

log = logging.getLogger(__name__)


class ReaderController(QObject):
    """Reads text aloud; tells the window which span is sounding, and when it is done."""

    loading = Signal()
    sentence_started = Signal(int, int)  # start, end offsets in the document
    finished = Signal()
    failed = Signal(str)

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engines = engines
        self._reader: SentenceReader | None = None
        self._speaker: Speaker | None = None
        self._starting = None
        self.output_device: str | None = None
        self.speed = 1.0

    @property
    def active(self) -> bool:
        return self._starting is not None or (self._reader is not None and self._reader.is_reading)

    def read(self, text: str, base_offset: int = 0) -> None:
        self.stop()
        if not self._engines.voice_loaded:
            self.loading.emit()
        # Voice load and device open happen off the GUI thread.
        holder: dict[str, object] = {}
        self._starting = holder["task"] = run_in_background(
            lambda task: self._prepare(),
            on_done=lambda reader: self._begin(holder["task"], reader, text, base_offset),
            on_error=lambda exc: self._on_start_error(holder["task"], exc),
        )

    def _prepare(self) -> SentenceReader:
        voice = self._engines.voice()
        if self._speaker is None or self._speaker.device != self.output_device:
            if self._speaker is not None:
                self._speaker.close()
            self._speaker = Speaker(device=self.output_device)
        return SentenceReader(
            voice,
            self._speaker,
            on_sentence=self._on_sentence,
            on_finished=self.finished.emit,
            on_error=lambda exc: self.failed.emit(describe_error(exc)),
        )

    def _begin(self, task, reader: SentenceReader, text: str, base_offset: int) -> None:
        if task is not self._starting:  # stopped, or another read began, while loading
            return
        self._starting = None
        self._reader = reader
        reader.read(text, base_offset=base_offset, speed=self.speed)

    def _on_start_error(self, task, exc: Exception) -> None:
        if task is not self._starting:
            return
        self._starting = None
        self.failed.emit(describe_error(exc))
        self.finished.emit()

    def _on_sentence(self, span: SentenceSpan) -> None:
        self.sentence_started.emit(span.start, span.end)

    def stop(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        if self._reader is not None:
            try:
                self._reader.stop()
            except VoxpadError as exc:
                log.warning("Stopping the reader failed: %s", exc)
            self._reader = None

    def shutdown(self) -> None:
        self.stop()
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
