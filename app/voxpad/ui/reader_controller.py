"""Bridges read-aloud to the window: the sentence reader's callbacks become Qt signals."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

from voxpad.audio.speaker import Speaker
from voxpad.engines import Engines
from voxpad.errors import VoxpadError
from voxpad.tts.language import detect_language, same_language
from voxpad.tts.reader import SentenceReader, WordEvent
from voxpad.tts.sentences import SentenceSpan
from voxpad.ui.tasks import describe_error, run_in_background

log = logging.getLogger(__name__)


class ReaderController(QObject):
    """Reads text aloud; tells the window which span is sounding, and when it is done."""

    loading = Signal()
    sentence_started = Signal(int, int)  # start, end offsets in the document
    word_started = Signal(int, int, int, int)  # word start, end; its sentence's start, end
    paused_changed = Signal(bool)
    finished = Signal()  # the text was read to its end
    stopped = Signal()  # reading was cut short by stop()
    failed = Signal(str)

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engines = engines
        self._reader: SentenceReader | None = None
        self._speaker: Speaker | None = None
        self._starting = None
        self._warming = None  # the background task opening the output ahead of a Read
        self._speaker_lock = threading.Lock()  # _prepare and warm_up both run on pool threads
        self._shut_down = False
        self.output_device: str | None = None
        self.follow_language = True  # read in an installed voice of the text's language
        self.language: str | None = None  # what the last read() detected
        self.voice_name: str | None = None  # the voice the last reading used
        self.speed = 1.0
        self._volume = 1.0
        self.paused = False
        # The word and sentence last heard (document offsets), for skipping and re-reading.
        self.current_word: tuple[int, int] | None = None
        self.current_sentence: tuple[int, int] | None = None
        self.text_range: tuple[int, int] = (0, 0)
        self._read_text: tuple[int, str] = (0, "")  # the last read()'s offset and text

    @property
    def volume(self) -> float:
        return self._volume

    def set_volume(self, volume: float) -> None:
        """Loudness 0..1; heard from the next audio block on."""
        self._volume = min(1.0, max(0.0, volume))
        if self._speaker is not None:
            self._speaker.volume = self._volume

    def set_speed(self, speed: float) -> None:
        """Speed for sentences synthesised from now on (the window re-reads from the current word)."""
        self.speed = speed
        if self._reader is not None:
            self._reader.set_speed(speed)

    def sentences(self) -> list[tuple[int, int]]:
        """Every sentence of the current reading, in document offsets (empty while starting)."""
        return self._reader.sentences if self._reader is not None and self._reader.is_reading else []

    def pause(self) -> None:
        if self._reader is not None and self._reader.is_reading and not self.paused:
            self._reader.pause()
            self.paused = True
            self.paused_changed.emit(True)

    def resume(self) -> None:
        if self.paused:
            if self._reader is not None:
                self._reader.resume()
            self.paused = False
            self.paused_changed.emit(False)

    def toggle_pause(self) -> None:
        self.resume() if self.paused else self.pause()

    @property
    def active(self) -> bool:
        return self._starting is not None or (self._reader is not None and self._reader.is_reading)

    def read(self, text: str, base_offset: int = 0) -> None:
        self.stop()
        self._shut_down = False
        self.current_word = self.current_sentence = None
        previous = self._read_text
        self.text_range = (base_offset, base_offset + len(text))  # what this reading covers
        self._read_text = (base_offset, text)
        # The voice follows the document's language where a voice for it is installed. A
        # skip or re-read inside the last reading may be too short to tell: keep its language.
        language = detect_language(text) if self.follow_language else None
        if language is None and self.follow_language and _continues(previous, base_offset, text):
            language = self.language
        self.language = language
        voice = self._engines.loaded_voice()
        if voice is not None and self.output_ready and (language is None or same_language(voice.language, language)):
            # Voice loaded and stream open (warm_up): start at once, without a round trip
            # through the thread pool and the event loop (~10-80 ms on two busy cores).
            self.voice_name = voice.name
            self._reader = self._make_reader(voice)
            self._reader.read(text, base_offset=base_offset, speed=self.speed)
            return
        if not self._engines.voice_loaded:
            self.loading.emit()
        # Voice load and device open happen off the GUI thread.
        holder: dict[str, object] = {}
        self._starting = holder["task"] = run_in_background(
            lambda task: self._prepare(language),
            on_done=lambda reader: self._begin(holder["task"], reader, text, base_offset),
            on_error=lambda exc: self._on_start_error(holder["task"], exc),
        )

    def warm_up(self) -> None:
        """Open the output stream ahead of a Read, off the GUI thread, so sound starts at once.

        A sound server may take up to seconds to start pulling from a new stream (PulseAudio's
        null sink: up to 2 s), which a stream opened at Read time adds to the first sound.
        The Speaker closes the stream again after a while without reading. Failures are
        quiet here: Read reports them when the user asks for sound.
        """
        if self.output_ready or self._warming is not None or self._starting is not None:
            return

        def finished(_result=None) -> None:
            self._warming = None

        def failed(exc: Exception) -> None:
            self._warming = None
            log.debug("Opening the sound output ahead of reading failed: %s", exc)

        def open_output(task) -> None:
            voice = self._engines.voice()  # loads it if it is not yet
            if not task.cancelled:
                self._open_output(voice, warming=True)

        self._warming = run_in_background(open_output, on_done=finished, on_error=failed)

    @property
    def output_ready(self) -> bool:
        """True when a Read can start right away: voice loaded, stream open and healthy."""
        speaker = self._speaker
        return (self._engines.voice_loaded and speaker is not None and speaker.samplerate is not None
                and speaker.failure is None and speaker.device == self.output_device)

    def _open_output(self, voice, warming: bool = False) -> Speaker | None:
        with self._speaker_lock:
            if warming and self._shut_down:
                return None  # the window closed while the voice loaded: open nothing
            speaker = self._speaker
            # A speaker whose device failed (sound server gone, device unplugged) is replaced, so
            # reading works again once a device is back, without restarting the app.
            if speaker is None or speaker.device != self.output_device or speaker.failure is not None:
                if speaker is not None:
                    speaker.close()
                speaker = self._speaker = Speaker(device=self.output_device)
            speaker.volume = self._volume
            # Opened here, off the GUI thread, not on the first play(); open() on an open
            # stream only marks it as in use, so it is not closed for idling.
            speaker.open(voice.sample_rate)
            return speaker

    def _prepare(self, language: str | None = None) -> SentenceReader:
        chosen = self._engines.voice()
        self._open_output(chosen)  # at the chosen voice's rate: a voice of another rate is resampled
        voice = self._engines.voice_for_language(language) if language else chosen
        self.voice_name = voice.name
        return self._make_reader(voice)

    def _make_reader(self, voice) -> SentenceReader:
        return SentenceReader(
            voice,
            self._speaker,
            on_sentence=self._on_sentence,
            on_word=self._on_word,
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

    def _on_word(self, event: WordEvent) -> None:
        # Called on the Speaker's thread: the signal is queued to the GUI thread, and the
        # plain tuples written here are only ever replaced whole.
        self.current_word = (event.word_start, event.word_end)
        self.current_sentence = (event.sentence_start, event.sentence_end)
        self.word_started.emit(event.word_start, event.word_end, event.sentence_start, event.sentence_end)

    def stop(self) -> None:
        was_active = self.active
        if self.paused:
            self.paused = False
            self.paused_changed.emit(False)
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        if self._reader is not None:
            try:
                self._reader.stop()
            except VoxpadError as exc:
                log.warning("Stopping the reader failed: %s", exc)
            self._reader = None
        if was_active:
            self.stopped.emit()

    def shutdown(self) -> None:
        self.stop()
        if self._warming is not None:
            self._warming.cancel()
            self._warming = None
        with self._speaker_lock:
            self._shut_down = True
            if self._speaker is not None:
                self._speaker.close()
                self._speaker = None


def _continues(previous: tuple[int, str], base_offset: int, text: str) -> bool:
    """True when ``text`` at ``base_offset`` is part of the previous reading's text (a skip)."""
    start, old = previous
    index = base_offset - start
    return 0 <= index < len(old) and old[index:index + len(text)] == text[:len(old) - index]
