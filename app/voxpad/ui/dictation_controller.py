"""Bridges microphone dictation to the window: a worker thread in, Qt signals out.

The worker captures from the moment Dictate is pressed, even while the speech model is
still loading: blocks wait in the microphone's queue and are transcribed once it is ready,
so the first words are never lost.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from voxpad.audio.device_refresh import refresh_if_no_devices
from voxpad.audio.journal import JournalingDictation
from voxpad.audio.microphone import Microphone
from voxpad.engines import Engines
from voxpad.errors import VoxpadError
from voxpad.stt.dictation import DictationEvent, StreamingDictation, run_microphone_dictation

log = logging.getLogger(__name__)


class DictationController(QObject):
    """Start/stop microphone dictation; emits text and state on the GUI thread."""

    started = Signal()
    level = Signal(float)
    partial = Signal(str)
    final = Signal(str)
    transcribing = Signal()  # Stop pressed, the last words are being decoded
    stopped = Signal()
    failed = Signal(str)
    # The language being dictated ("en", "de"), once known: the chosen one, "en" for an
    # English-only model, or what "auto" detected (from the first ~2 s of speech). Emitted
    # once per dictation, and again if it changes (the user switched models meanwhile).
    language_detected = Signal(str)

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engines = engines
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._finished = True
        self.input_device: str | None = None
        self.silence_timeout = 0.7
        self.language: str | None = "en"  # spoken language for multilingual models (settings)
        # Returns the window's JournalSession (called on the worker thread), or None: no journal.
        self.journal_session = None
        self._dictation = None  # the worker's dictation, asked which language it settled on
        self._reported_language: str | None = None

    @property
    def active(self) -> bool:
        # A flag set before ``stopped`` is emitted, so a slot on that signal already sees False.
        return self._thread is not None and not self._finished

    def start(self) -> None:
        if self.active:
            return
        self._stop.clear()
        self._finished = False
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
        language = self._dictation.spoken_language if self._dictation is not None else None
        if language and language != self._reported_language:
            self._reported_language = language
            self.language_detected.emit(language)
        (self.final if event.kind == "final" else self.partial).emit(event.text)

    def _should_stop(self) -> bool:
        if self._stop.is_set():
            self.transcribing.emit()
            return True
        return False

    def _run(self) -> None:
        microphone = Microphone(device=self.input_device)
        failure: str | None = None
        self._dictation = None
        self._reported_language = None
        try:
            refresh_if_no_devices()  # the sound server may have come back since the last try
            microphone.start()
            self.started.emit()
            # The recognizer loads on first decode, so capture starts even while the model
            # is still loading; blocks wait in the microphone's queue meanwhile.
            def build(on_event):
                return StreamingDictation(
                    # Passed uncalled: the model loads on the first decode, on this thread.
                    self._engines.recognizer, on_event=on_event,
                    silence_timeout=self.silence_timeout, language=self.language)

            journal = self.journal_session() if self.journal_session is not None else None
            # With a journal, every sample is on disk before it is decoded (crash recovery).
            dictation = (JournalingDictation.make(journal, build, self._emit_event) if journal is not None
                         else build(self._emit_event))
            self._dictation = dictation  # events only come from feed(), after this
            run_microphone_dictation(microphone, dictation, self._should_stop, on_level=self.level.emit)
        except VoxpadError as exc:
            failure = str(exc)
        except Exception as exc:  # a bug must not end dictation silently
            log.exception("Dictation failed")
            failure = f"Dictation stopped because of an internal error ({type(exc).__name__}: {exc})."
        finally:
            microphone.stop()
            self._finished = True
            if failure:
                self.failed.emit(failure)
            self.stopped.emit()
