"""The one loaded speech recognizer and the one loaded voice, shared by everything.

Loading is lazy and thread-safe: the first caller on any worker thread loads, later
callers get the same object. Never call these getters on the GUI thread before
``*_loaded`` is true: they block while a model loads.
"""

from __future__ import annotations

import threading
from pathlib import Path

from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.tts.voice import Voice


class Engines:
    """Owns the loaded models; swapping a model path drops the old one."""

    def __init__(self, speech_model: str | None = None, voice_model: str | None = None) -> None:
        self._lock_stt = threading.Lock()
        self._lock_tts = threading.Lock()
        self._speech_model = speech_model
        self._voice_model = voice_model
        self._recognizer: SpeechRecognizer | None = None
        self._voice: Voice | None = None

    @property
    def recognizer_loaded(self) -> bool:
        return self._recognizer is not None

    @property
    def voice_loaded(self) -> bool:
        return self._voice is not None

    def recognizer(self) -> SpeechRecognizer:
        with self._lock_stt:
            if self._recognizer is None:
                path = Path(self._speech_model) if self._speech_model else None
                self._recognizer = SpeechRecognizer.load(path)
            return self._recognizer

    def voice(self) -> Voice:
        with self._lock_tts:
            if self._voice is None:
                path = Path(self._voice_model) if self._voice_model else None
                self._voice = Voice.load(path)
            return self._voice

    def lazy_recognizer(self) -> LoadOnFirstUse:
        """A stand-in that loads the recognizer on its first decode (on the caller's thread)."""
        return LoadOnFirstUse(self)

    def use_models(self, speech_model: str | None, voice_model: str | None) -> None:
        """Point at other models; they load on next use."""
        with self._lock_stt:
            if speech_model != self._speech_model:
                self._speech_model, self._recognizer = speech_model, None
        with self._lock_tts:
            if voice_model != self._voice_model:
                self._voice_model, self._voice = voice_model, None


class LoadOnFirstUse:
    """Looks like a SpeechRecognizer to dictation; loads the real one when first asked to decode."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    def transcribe(self, *args, **kwargs):
        return self._engines.recognizer().transcribe(*args, **kwargs)
