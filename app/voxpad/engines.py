"""The one loaded speech recognizer and the one loaded voice, shared by everything.

Loading is lazy and thread-safe: the first caller on any worker thread loads, later
callers get the same object. Never call these getters on the GUI thread before
``*_loaded`` is true: they block while a model loads.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxpad.models.fallback import load_with_fallback
from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.tts.voice import Voice

log = logging.getLogger(__name__)


# A loaded model unused this long is dropped to free memory (settings: idle_unload_minutes).
DEFAULT_IDLE_UNLOAD_SECONDS = 600.0


@dataclass(frozen=True)
class ModelEvent:
    """Told to load listeners: a model was unloaded for being idle, or is loading again."""

    kind: str  # "stt" or "tts"
    action: str  # "unloaded", "reloading", "reloaded", or "fallback" (a chosen model was broken)
    message: str  # a sentence for the status line


class Engines:
    """Owns the loaded models; swapping a model path drops the old one.

    A model left unused for ``idle_unload_seconds`` (0: never) is unloaded by a background
    timer and loads again on next use; listeners added with :meth:`add_listener` hear both.
    """

    def __init__(self, speech_model: str | None = None, voice_model: str | None = None, *,
                 idle_unload_seconds: float = DEFAULT_IDLE_UNLOAD_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock_stt = threading.Lock()
        self._lock_tts = threading.Lock()
        self._speech_model = speech_model
        self._voice_model = voice_model
        self._recognizer: SpeechRecognizer | None = None
        self._voice: Voice | None = None
        # An installed voice of another language, loaded to read a document in it.
        self._language_voice: Voice | None = None
        self._idle = _IdleUnloader(self, idle_unload_seconds, clock)

    @property
    def recognizer_loaded(self) -> bool:
        return self._recognizer is not None

    @property
    def voice_loaded(self) -> bool:
        return self._voice is not None

    def recognizer(self) -> SpeechRecognizer:
        with self._lock_stt:
            self._idle.touch("stt")
            if self._recognizer is None:
                self._recognizer = self._load_chosen("stt", SpeechRecognizer.load, self._speech_model)
                self._idle.loaded("stt")
            return self._recognizer

    def loaded_voice(self) -> Voice | None:
        """The voice if it is loaded (marking it used), else None; never loads or waits on a
        load, so the GUI thread may call it."""
        if not self._lock_tts.acquire(blocking=False):
            return None  # loading (or being unloaded) right now
        try:
            if self._voice is not None:
                self._idle.touch("tts")
            return self._voice
        finally:
            self._lock_tts.release()

    def voice(self) -> Voice:
        with self._lock_tts:
            self._idle.touch("tts")
            if self._voice is None:
                self._voice = _warmed(self._load_chosen("tts", Voice.load, self._voice_model))
                self._idle.loaded("tts")
            return self._voice

    def _load_chosen(self, kind: str, load: Callable, chosen: str | None):
        """Load the chosen model (None: the bundled one); a broken chosen one falls back to the
        bundled one, and the listeners are told why."""
        model, notice = load_with_fallback(load, Path(chosen) if chosen else None, _KIND_WORDS[kind])
        if notice:
            self._idle.tell(ModelEvent(kind, "fallback", notice))
        return model

    def voice_for_language(self, language: str | None) -> Voice:
        """The voice to read text in ``language`` ("de", "pt_BR"; None: unknown) with.

        The chosen voice when it speaks that language or no installed voice does; else the
        installed voice of that language (see :func:`voxpad.models.store.voice_for_language`),
        loaded on first use and kept while it is the one asked for. Loads, so not on the GUI thread.
        """
        from voxpad.models import store
        from voxpad.tts.language import same_language

        chosen = self.voice()
        if not language or same_language(chosen.language, language):
            return chosen
        try:
            match = store.voice_for_language(language)
        except Exception:  # a damaged voices folder must not stop reading with the chosen voice
            log.warning("Listing the installed voices failed", exc_info=True)
            return chosen
        if match is None or _same_file(match.path, chosen.model_path):
            return chosen
        with self._lock_tts:
            current = self._language_voice
            if current is not None and _same_file(current.model_path, match.path):
                return current
            try:
                voice = Voice.load(match.path)
            except Exception as exc:  # a broken voice: read with the chosen one, and say why in the log
                log.warning("The %s voice %s could not be loaded: %s", language, match.name, exc)
                return chosen
            self._language_voice = _warmed(voice)
            return voice

    def _model(self, kind: str) -> SpeechRecognizer | Voice | None:
        """The loaded model of ``kind`` ("stt" or "tts"), if any; call with its lock held."""
        return self._recognizer if kind == "stt" else self._voice

    def _forget(self, kind: str) -> None:
        """Drop the loaded model(s) of ``kind``; call with its lock held."""
        if kind == "stt":
            self._recognizer = None
        else:
            self._voice = self._language_voice = None

    # -- idle unloading ----------------------------------------------------------------
    def add_listener(self, listener: Callable[[ModelEvent], None]) -> None:
        """Call ``listener`` (on whichever thread it happens) when a model is unloaded or reloads."""
        self._idle.listeners.append(listener)

    def set_idle_unload(self, seconds: float) -> None:
        """Unload models unused for ``seconds`` (0: keep them loaded)."""
        self._idle.set_timeout(seconds)

    def unload_idle(self) -> list[str]:
        """Unload every model idle for longer than the timeout now; returns the kinds unloaded."""
        return self._idle.unload_idle()

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
            self._language_voice = None  # the voices folder may have changed too


_KIND_WORDS = {"stt": "speech model", "tts": "voice"}


def _warmed(voice: Voice) -> Voice:
    """``voice`` after one throw-away synthesis: the first inference is slow, so pay it on the
    loading thread rather than in the user's first sentence."""
    try:
        voice.warm_up()
    except Exception:  # a slower first sentence, not a reason to refuse the voice
        log.warning("Warming up the voice failed", exc_info=True)
    return voice


def _same_file(a: Path, b: Path) -> bool:
    # Paths, not what links point to: an installed voice may link to another's model file
    # and still be another voice (its own .onnx.json beside it).
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


class _IdleUnloader:
    """Remembers when each model was last asked for and drops the idle ones.

    A daemon thread wakes a few times per timeout; a model that is decoding right now (its
    lock is held) is never dropped.
    """

    def __init__(self, engines: Engines, timeout: float, clock: Callable[[], float]) -> None:
        # Weak, so an Engines nobody uses any more is freed and its timer thread ends.
        self._engines_ref = weakref.ref(engines)
        self._timeout = max(0.0, float(timeout))
        self._clock = clock
        self._last_used: dict[str, float] = {}
        self._unloaded: set[str] = set()  # kinds whose next load is a reload after idling
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self.listeners: list[Callable[[ModelEvent], None]] = []

    def touch(self, kind: str) -> None:
        """Called with the kind's load lock held, just before returning (or loading) the model."""
        self._last_used[kind] = self._clock()
        engines = self._engines_ref()
        if kind in self._unloaded and engines is not None:
            if engines._model(kind) is None:
                self.tell(ModelEvent(kind, "reloading", f"Loading the {_KIND_WORDS[kind]} again…"))
        self._ensure_thread()

    def loaded(self, kind: str) -> None:
        """Called once a model has loaded; says so if it was a reload after idling."""
        self._last_used[kind] = self._clock()
        if kind in self._unloaded:
            self._unloaded.discard(kind)
            self.tell(ModelEvent(kind, "reloaded", f"The {_KIND_WORDS[kind]} is loaded again."))

    def set_timeout(self, seconds: float) -> None:
        with self._wake:
            self._timeout = max(0.0, float(seconds))
            self._wake.notify_all()
        self._ensure_thread()

    def unload_idle(self) -> list[str]:
        if self._timeout <= 0:
            return []
        engines = self._engines_ref()
        if engines is None:
            return []
        now = self._clock()
        dropped = []
        for kind, lock in (("stt", engines._lock_stt), ("tts", engines._lock_tts)):
            if not lock.acquire(blocking=False):
                continue  # loading right now: certainly not idle
            try:
                model = engines._model(kind)
                if model is None or now - self._last_used.get(kind, now) < self._timeout:
                    continue
                if kind == "stt" and model.lock.locked():
                    continue  # decoding at this moment
                engines._forget(kind)
                self._unloaded.add(kind)
                dropped.append(kind)
            finally:
                lock.release()
        minutes = self._timeout / 60
        for kind in dropped:
            self.tell(ModelEvent(kind, "unloaded", f"Unloaded the {_KIND_WORDS[kind]} after {minutes:g} "
                                                    f"minutes unused to free memory; it loads again when needed."))
        return dropped

    def tell(self, event: ModelEvent) -> None:
        """Pass ``event`` to every listener (the Engines report fallbacks through here too)."""
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break model loading
                log.exception("Model event listener failed")

    def _ensure_thread(self) -> None:
        if self._timeout <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._run, name="voxpad-idle-unload", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._engines_ref() is not None:
            with self._wake:
                if self._timeout <= 0:
                    return
                # Checking a few times per timeout keeps a model at most ~25% over its idle limit.
                self._wake.wait(min(60.0, max(0.05, self._timeout / 4)))
            self.unload_idle()


class LoadOnFirstUse:
    """Looks like a SpeechRecognizer to dictation; loads the real one when first asked to decode."""

    def __init__(self, engines: Engines) -> None:
        self._engines = engines

    def transcribe(self, *args, **kwargs):
        return self._engines.recognizer().transcribe(*args, **kwargs)
