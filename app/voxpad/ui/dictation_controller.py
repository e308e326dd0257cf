"""Bridges microphone dictation to the window: a worker thread in, Qt signals out.

The worker captures from the moment Dictate is pressed, even while the speech model is
still loading: blocks wait in memory and are transcribed once it is ready, so the first
words are never lost.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from voxpad.audio.microphone import Microphone
from voxpad.engines import Engines
from voxpad.errors import VoxpadError
from voxpad.stt.dictation import DictationEvent, StreamingDictation

log = logging.getLogger(__name__)

_READ_TIMEOUT = 0.1


class DictationController(QObject):
    """Start/stop microphone dictation; emits text and state on the GUI thread."""

    started = Signal()
    level = Signal(float)
    partial = Signal(str)
    final = Signal(str)
    transcribing = Signal()  # Stop pressed, the last words are being decoded
    stopped = Signal()
    failed = Signal(str)

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engines = engines
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.input_device: str | None = None
        self.silence_timeout = 0.7

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.active:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="dictation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the worker to finish: everything captured so far is still transcribed."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """For shutdown and tests only; never call on the GUI thread while it must stay live."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _emit_event(self, event: DictationEvent) -> None:
        (self.final if event.kind == "final" else self.partial).emit(event.text)

    def _run(self) -> None:
        microphone = Microphone(device=self.input_device)
        try:
            microphone.start()
        except VoxpadError as exc:
            self.failed.emit(str(exc))
            self.stopped.emit()
            return
        self.started.emit()
        pending = []  # blocks captured before the model is ready
        dictation: StreamingDictation | None = None
        failure: str | None = None
        try:
            while not self._stop.is_set():
                block = microphone.read(_READ_TIMEOUT)
                if block is not None:
                    self.level.emit(block.level)
                    pending.append(block.samples)
                if microphone.failure is not None:
                    failure = str(microphone.failure)
                    break
                if dictation is None and pending and self._engines.recognizer_loaded:
                    dictation = self._new_dictation()
                if dictation is not None:
                    for samples in pending:
                        dictation.feed(samples)
                    pending.clear()
            pending.extend(block.samples for block in microphone.stop())
            self.level.emit(0.0)
            self.transcribing.emit()
            if dictation is None and pending:
                dictation = self._new_dictation()  # loads the model here if needed
            if dictation is not None:
                for samples in pending:
                    dictation.feed(samples)
                dictation.finish()
        except VoxpadError as exc:
            failure = str(exc)
        except Exception as exc:  # a bug must not kill dictation silently
            log.exception("Dictation failed")
            failure = f"Dictation stopped because of an internal error ({type(exc).__name__}: {exc})."
        finally:
            microphone.stop()
            if failure:
                self.failed.emit(failure)
            self.stopped.emit()

    def _new_dictation(self) -> StreamingDictation:
        return StreamingDictation(
            self._engines.recognizer(), on_event=self._emit_event, silence_timeout=self.silence_timeout
        )
