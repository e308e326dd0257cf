"""Read a document aloud sentence by sentence, reporting which sentence is being heard.

Synthesis runs on a worker thread a few seconds ahead of playback: the first sentence is
synthesised at once (~160 ms) so sound starts immediately whatever the document's length,
and the rest are queued into the Speaker while earlier ones play.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from voxpad.audio.speaker import Speaker
from voxpad.errors import AudioDeviceError
from voxpad.tts.reading_text import ReadingText, prepare_for_reading
from voxpad.tts.sentences import SentenceSpan, split_sentences
from voxpad.tts.voice import Voice, clamp_speed

_LOG = logging.getLogger(__name__)

# Audio synthesised ahead of what is playing: enough to ride out a slow sentence, small
# enough that stop() wastes little work and a long document costs little memory.
LOOKAHEAD_SECONDS = 8.0
# The first span is cut shorter than the rest, at a clause break where there is one:
# synthesis time grows with length. Measured on two loaded cores: 11 characters 140 ms,
# 20 characters 190 ms, 40 characters 455 ms; the rest is synthesised while it plays.
FIRST_SPAN_CHARS = 28
SECOND_SPAN_CHARS = 90
# How often a waiting worker re-checks for stop() when nothing else wakes it.
_POLL_SECONDS = 0.2


@dataclass
class _Reading:
    """One read() call: its text and the flags its worker thread watches."""

    text: str
    base_offset: int
    speed: float
    # Filled in by the worker: every sentence to be read, in document offsets.
    sentences: list[tuple[int, int]] = field(default_factory=list)
    stopped: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


@dataclass(frozen=True)
class WordEvent:
    """A word started sounding: its range and its sentence's, in document offsets."""

    word_start: int
    word_end: int
    sentence_start: int
    sentence_end: int


@dataclass(frozen=True)
class _SentenceMarker:
    """Queued with each piece of a sentence's audio so the Speaker can say when it sounds.

    A sentence's audio is queued word by word, each piece with its own marker, so the
    Speaker reports each word when it reaches the device (pauses included) with no clock
    of our own to drift.
    """

    reading: _Reading
    span: SentenceSpan  # the sentence in document offsets
    word: tuple[int, int] | None  # None for the leading silence before the first word
    first: bool  # the sentence's first piece


class SentenceReader:
    """Reads text aloud through a Voice and a Speaker, one sentence at a time.

    Callbacks run on worker threads (the UI layer marshals them to its own thread) and
    must not block. ``on_sentence`` receives each span, offsets shifted by ``base_offset``,
    when it starts sounding, and ``on_word`` each word as it starts; ``on_finished`` fires when everything has been heard (not
    after stop()); ``on_error`` receives what went wrong, after which reading has ended.
    """

    def __init__(
        self,
        voice: Voice,
        speaker: Speaker,
        *,
        on_sentence: Callable[[SentenceSpan], None] | None = None,
        on_word: Callable[[WordEvent], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._voice = voice
        self._speaker = speaker
        self._on_sentence = on_sentence
        self._on_word = on_word
        self._on_finished = on_finished
        self._on_error = on_error
        self._reading: _Reading | None = None
        # Held while calling back and by stop(): once stop() returns, no callback of the
        # stopped reading is running or will start.
        self._callback_lock = threading.RLock()
        self._listening = False

    @property
    def is_reading(self) -> bool:
        """True from read() until the text has been heard, stop() or an error."""
        return self._reading is not None

    @property
    def is_paused(self) -> bool:
        return self.is_reading and self._speaker.paused

    @property
    def sentences(self) -> list[tuple[int, int]]:
        """The sentences of the current reading in document offsets (empty until split)."""
        reading = self._reading
        return list(reading.sentences) if reading is not None else []

    def set_speed(self, speed: float) -> None:
        """Speed for the sentences synthesised from now on."""
        reading = self._reading
        if reading is not None:
            reading.speed = clamp_speed(speed)

    def read(self, text: str, base_offset: int = 0, speed: float = 1.0) -> None:
        """Start reading ``text`` (stopping any reading in progress); returns at once.

        The text is read as a person means it (see :mod:`voxpad.tts.reading_text`), while
        offsets reported to callbacks stay those of ``text`` plus ``base_offset``.
        """
        self.stop()
        self._speaker.stop()  # also clears a device failure left by an earlier reading
        reading = _Reading(text, base_offset, clamp_speed(speed))
        reading.thread = threading.Thread(target=self._run, args=(reading,), name="voxpad-reader", daemon=True)
        with self._callback_lock:
            self._reading = reading
        self._listen(True)
        reading.thread.start()

    def stop(self) -> None:
        """Stop synthesis and playback at once."""
        with self._callback_lock:
            reading, self._reading = self._reading, None
        if reading is not None:
            reading.stopped.set()
            reading.wake.set()
            self._speaker.stop()
            self._listen(False)

    def pause(self) -> None:
        """Hold playback where it is; synthesis goes on up to its look-ahead."""
        if self.is_reading:
            self._speaker.pause()

    def resume(self) -> None:
        self._speaker.resume()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current reading to end; False if it is still going after ``timeout``."""
        reading = self._reading
        if reading is None or reading.thread is None:
            return True
        reading.thread.join(timeout)
        return not reading.thread.is_alive()

    def _listen(self, on: bool) -> None:
        """Hear the Speaker's events only while reading, so idle readers hold no hooks on it."""
        with self._callback_lock:
            if on == self._listening:
                return
            self._listening = on
            if on:
                self._speaker.add_marker_listener(self._marker_started)
                self._speaker.add_failure_listener(self._device_failed)
            else:
                self._speaker.remove_marker_listener(self._marker_started)
                self._speaker.remove_failure_listener(self._device_failed)

    # -- worker thread ----------------------------------------------------------------------

    def _run(self, reading: _Reading) -> None:
        try:
            # Prepare and split here, not in read(): a long document takes a while and read()
            # runs on the UI thread.
            prepared = prepare_for_reading(reading.text)
            sentences = split_sentences(prepared.spoken)
            # Navigation and the faint highlight use whole sentences, even where the first
            # is synthesised in shorter pieces for a quick start.
            reading.sentences = [_document_range(prepared, span, reading.base_offset) for span in sentences]
            queued_any = False
            for index, span in _pieces_with_sentence(sentences):
                if not self._wait_for_room(reading):
                    return
                spoken = self._voice.synthesize_words(span.text, speed=reading.speed)
                if reading.stopped.is_set():
                    return
                start, end = reading.sentences[index]
                sentence = SentenceSpan(reading.text[start - reading.base_offset:end - reading.base_offset],
                                        start, end)
                first_piece = span.start == sentences[index].start
                # The voice opens every piece with ~40 ms of near-silence; only the very first
                # one delays sound after Read, so that one's lead-in is cut.
                skip = lead_in(spoken.samples, self._voice.sample_rate) if not queued_any else 0
                queued_any = True
                self._queue_words(reading, prepared, span, sentence, spoken, first_piece, skip)
            while not reading.stopped.is_set():
                if self._speaker.drain(timeout=_POLL_SECONDS):
                    break
        except Exception as exc:  # reported to the UI; a non-Voxpad error is a bug shown as such
            if not isinstance(exc, AudioDeviceError):
                _LOG.exception("Reading aloud failed")
            self._end(reading, lambda: self._on_error and self._on_error(exc))
            return
        self._end(reading, lambda: self._on_finished and self._on_finished())

    def _queue_words(self, reading: _Reading, prepared: ReadingText, span: SentenceSpan,
                     sentence: SentenceSpan, spoken, first_piece: bool = True, skip: int = 0) -> None:
        """Queue a sentence's audio cut at word starts, each piece marked with its word.

        The first ``skip`` samples (silence before the first word) are left out.
        """
        samples = spoken.samples
        if not len(samples):
            return
        if spoken.words:
            skip = min(skip, spoken.words[0].sample)  # never cut into the first word
        cuts = [skip] + [w.sample for w in spoken.words if skip < w.sample < len(samples)] + [len(samples)]
        words: list[tuple[int, int] | None] = (
            [None] if not spoken.words or spoken.words[0].sample > skip else [])
        for word in spoken.words:
            start, end = prepared.source_range(span.start + word.start, span.start + word.end)
            words.append((start + reading.base_offset, end + reading.base_offset))
        pieces = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
        for index, (a, b) in enumerate(pieces):
            word = words[index] if index < len(words) else None
            marker = _SentenceMarker(reading, sentence, word, first_piece and index == 0)
            self._speaker.play(samples[a:b], self._voice.sample_rate, marker)

    def _wait_for_room(self, reading: _Reading) -> bool:
        """Block while enough audio is queued ahead; False once the reading is stopped."""
        while self._speaker.queued_seconds > LOOKAHEAD_SECONDS:
            if self._speaker.failure is not None:
                raise self._speaker.failure
            reading.wake.wait(_POLL_SECONDS)
            reading.wake.clear()
            if reading.stopped.is_set():
                return False
        return not reading.stopped.is_set()

    def _end(self, reading: _Reading, callback: Callable[[], object]) -> None:
        with self._callback_lock:
            if self._reading is not reading or reading.stopped.is_set():
                return
            self._reading = None
            self._listen(False)
            try:
                callback()
            except Exception:
                _LOG.exception("A reader callback failed")

    # -- called from the Speaker's notifier thread ------------------------------------------

    def _marker_started(self, marker: object) -> None:
        if not isinstance(marker, _SentenceMarker):
            return
        marker.reading.wake.set()  # a sentence began: room to synthesise another
        with self._callback_lock:
            if self._reading is not marker.reading:
                return
            try:
                if marker.first and self._on_sentence is not None:
                    self._on_sentence(marker.span)
                if marker.word is not None and self._on_word is not None:
                    self._on_word(WordEvent(marker.word[0], marker.word[1], marker.span.start, marker.span.end))
            except Exception:
                _LOG.exception("A reader callback failed")

    def _device_failed(self, error: AudioDeviceError) -> None:
        reading = self._reading
        if reading is not None:
            reading.wake.set()


def lead_in(samples, sample_rate: int, threshold: float = 0.005, keep_seconds: float = 0.005) -> int:
    """How many leading samples are near-silence, less ``keep_seconds`` so the onset stays whole."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples) > threshold)
    if not len(loud):
        return 0
    return max(0, int(loud[0]) - int(keep_seconds * sample_rate))


def _document_range(prepared: ReadingText, span: SentenceSpan, base_offset: int) -> tuple[int, int]:
    start, end = prepared.source_range(span.start, span.end)
    return start + base_offset, end + base_offset


def _pieces_with_sentence(sentences: list[SentenceSpan]) -> list[tuple[int, SentenceSpan]]:
    """The pieces to synthesise in order, each with the index of the sentence it belongs to."""
    if not sentences:
        return []
    pieces = [(0, piece) for piece in quick_start_spans(sentences[:1], 0)]
    if len(sentences) > 1:
        # A short first sentence plays for about a second: a long second one must come in
        # pieces too, or its synthesis outlasts that second and leaves a gap.
        second = sentences[1]
        pieces += [(1, piece.shifted(second.start))
                   for piece in split_sentences(second.text, SECOND_SPAN_CHARS)]
    return pieces + [(i, span) for i, span in enumerate(sentences) if i > 1]


def quick_start_spans(spans: list[SentenceSpan], base_offset: int) -> list[SentenceSpan]:
    """Spans shifted into document offsets, the first cut short so sound starts at once."""
    if spans and len(spans[0].text) > FIRST_SPAN_CHARS:
        head = spans[0]
        spans = [piece.shifted(head.start) for piece in split_sentences(head.text, FIRST_SPAN_CHARS)] + spans[1:]
    return [span.shifted(base_offset) for span in spans]
