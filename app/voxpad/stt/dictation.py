"""Streaming dictation: samples in, "partial" and "final" text events out.

The same pipeline serves the window, the global hotkey and ``voxpad transcribe --live``:

    Microphone ─blocks─▶ StreamingDictation.feed() ─VAD─▶ utterance ended? ─▶ decode ─▶ final
                                                  └─ (partials) every ~1 s of speech ─▶ decode ─▶ partial

Silero VAD (shipped with faster-whisper) runs incrementally on 32 ms windows, so deciding
that an utterance has ended costs well under a millisecond per 50 ms block. Only audio the
VAD calls speech ever reaches Whisper, which is what keeps silence and noise from turning
into "Thank you." / "you"; the recognizer's no-speech guards catch the rest.

Decoding happens inside ``feed()`` on the caller's (worker) thread. While it runs, the
microphone keeps queueing blocks; the next ``feed()`` receives them all at once and catches
up, so nothing is lost and VAD never sees a gap.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.audio.microphone import Microphone
from voxpad.errors import VoxpadError
from voxpad.stt.recognizer import Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DictationEvent:
    """Text for one utterance.

    ``partial`` text is a preview of the utterance still being spoken and will be replaced;
    ``final`` text is settled. Every utterance that had partials ends with a final, whose
    text may be empty (the preview turned out to be nothing). ``audio_time`` is where the
    covered audio ends, in seconds since dictation began.
    """

    kind: Literal["partial", "final"]
    text: str
    audio_time: float


class Recognizer(Protocol):
    def transcribe(self, audio: np.ndarray, *, beam_size: int = ..., language: str | None = ...,
                   initial_prompt: str | None = ...) -> Transcript: ...


class VoiceActivity:
    """Silero VAD run incrementally: speech probability for each 512-sample (32 ms) window.

    faster-whisper's SileroVADModel only scores whole recordings; its ONNX graph, though,
    takes the LSTM state (h, c) and 64 samples of context explicitly, so carrying them across
    calls gives exactly the probabilities a whole-recording pass would.
    """

    WINDOW = 512
    _CONTEXT = 64

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model  # cached: one ONNX session per process

        self._session = get_vad_model().session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(self._CONTEXT, dtype=np.float32)

    def probabilities(self, windows: np.ndarray) -> np.ndarray:
        """Speech probability for each row of ``windows`` (shape (n, 512)), continuing the stream."""
        if len(windows) == 0:
            return np.zeros(0, dtype=np.float32)
        contexts = np.concatenate([self._context[None, :], windows[:-1, -self._CONTEXT:]], axis=0)
        batch = np.ascontiguousarray(np.concatenate([contexts, windows], axis=1), dtype=np.float32)
        probs, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = windows[-1, -self._CONTEXT:].copy()
        return np.asarray(probs, dtype=np.float32).reshape(-1)


class _SampleBuffer:
    """Samples addressed by absolute position since dictation began; old ones can be dropped."""

    def __init__(self) -> None:
        self._data = np.zeros(SAMPLE_RATE * 4, dtype=np.float32)
        self._length = 0  # valid samples in _data
        self.start = 0  # absolute position of _data[0]

    @property
    def end(self) -> int:
        return self.start + self._length

    def append(self, samples: np.ndarray) -> None:
        needed = self._length + len(samples)
        if needed > len(self._data):
            grown = np.zeros(max(needed, 2 * len(self._data)), dtype=np.float32)
            grown[: self._length] = self._data[: self._length]
            self._data = grown
        self._data[self._length : needed] = samples
        self._length = needed

    def get(self, start: int, end: int) -> np.ndarray:
        start = max(start, self.start)
        return self._data[start - self.start : end - self.start].copy()

    def drop_before(self, position: int) -> None:
        cut = min(max(0, position - self.start), self._length)
        if cut:
            self._data[: self._length - cut] = self._data[cut : self._length]
            self._length -= cut
            self.start += cut


def _samples(seconds: float) -> int:
    return int(round(seconds * SAMPLE_RATE))


class StreamingDictation:
    """Turns a stream of samples into DictationEvents; call feed() and finish() from one thread.

    An utterance starts when the VAD hears speech (with ``preroll`` seconds of audio before it
    so the first consonant is kept) and ends after ``silence_timeout`` seconds of silence; it
    is then decoded and emitted as a final. Utterances longer than ``max_utterance`` seconds are
    split at their quietest moment so each fits Whisper's 30 s window. With ``partials`` the
    utterance in progress is also decoded every ``partial_interval`` seconds (greedy, cheaper)
    and emitted as a partial.
    """

    def __init__(
        self,
        recognizer: Recognizer,
        on_event: Callable[[DictationEvent], None],
        *,
        silence_timeout: float = 0.7,
        preroll: float = 0.4,
        partials: bool = False,
        partial_interval: float = 1.0,
        max_utterance: float = 25.0,
        min_speech: float = 0.15,
        beam_size: int = 5,
        language: str | None = "en",
        threshold: float = 0.5,
    ) -> None:
        self._recognizer = recognizer
        self._on_event = on_event
        self._silence = _samples(silence_timeout)
        self._preroll = _samples(preroll)
        # Audio kept after the last voiced window: word endings (s, t, f) score low on the VAD.
        self._tail = _samples(min(0.4, silence_timeout))
        self.partials = partials
        self._partial_interval = _samples(partial_interval)
        self._max_utterance = _samples(max_utterance)
        self._min_speech = _samples(min_speech)
        self.beam_size = beam_size
        self.language = language
        self._threshold = threshold
        # Hysteresis as in Silero's own segmenter: once speaking, only clearly quiet windows count as silence.
        self._neg_threshold = max(threshold - 0.15, 0.01)
        self._vad = VoiceActivity()
        self._reset()

    # -- public ---------------------------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Add float32 mono 16 kHz samples (any length); may emit events before returning."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return
        self._buffer.append(samples)
        self._scan()
        if self.partials and self._in_speech:
            self._maybe_emit_partial()

    def finish(self) -> None:
        """Stop: decode whatever utterance is in progress, up to the very last sample, then reset."""
        self._scan()
        if self._in_speech:
            self._emit_final(self._utterance_start, self._buffer.end)
        self._reset()

    def reset(self) -> None:
        """Forget everything fed so far without decoding it."""
        self._reset()

    @property
    def audio_time(self) -> float:
        """Seconds of audio fed since dictation began."""
        return self._buffer.end / SAMPLE_RATE

    @property
    def in_utterance(self) -> bool:
        """True while the VAD hears an utterance that has not ended yet."""
        return self._in_speech

    # -- the utterance state machine --------------------------------------------------------

    def _reset(self) -> None:
        self._vad.reset()
        self._buffer = _SampleBuffer()
        self._scanned = 0  # absolute position of the first sample the VAD has not seen
        self._in_speech = False
        self._utterance_start = 0
        self._last_voice_end = 0
        # (window end, VAD probability) for the utterance in progress: where to split a long one.
        self._window_probabilities: list[tuple[int, float]] = []
        self._speech_samples = 0
        self._last_partial_at = 0
        self._partial_text: str | None = None
        self._previous_end = 0  # where the last emitted utterance ended

    def _scan(self) -> None:
        window = VoiceActivity.WINDOW
        count = (self._buffer.end - self._scanned) // window
        if count <= 0:
            return
        windows = self._buffer.get(self._scanned, self._scanned + count * window).reshape(count, window)
        probabilities = self._vad.probabilities(windows)
        for probability in probabilities:
            start = self._scanned
            self._scanned += window
            self._step(float(probability), start, self._scanned)

    def _step(self, probability: float, start: int, end: int) -> None:
        if not self._in_speech:
            if probability >= self._threshold:
                self._in_speech = True
                self._utterance_start = max(self._previous_end, start - self._preroll, self._buffer.start)
                self._last_voice_end = end
                self._window_probabilities = [(end, probability)]
                self._speech_samples = end - start
                self._last_partial_at = end
                self._partial_text = None
            else:
                # Idle: keep only what a future utterance's preroll could need.
                self._buffer.drop_before(end - self._preroll)
            return

        self._window_probabilities.append((end, probability))
        if probability >= self._threshold:
            self._speech_samples += end - start
            self._last_voice_end = end
        elif probability >= self._neg_threshold:
            self._last_voice_end = end

        if end - self._last_voice_end >= self._silence:
            self._end_utterance(min(end, self._last_voice_end + self._tail))
        elif end - self._utterance_start >= self._max_utterance:
            self._split_utterance(end)

    def _split_utterance(self, end: int) -> None:
        """Too long for one Whisper window: emit up to the quietest moment of its second half."""
        halfway = self._utterance_start + (end - self._utterance_start) // 2
        later = [(probability, position)
                 for position, probability in self._window_probabilities if position > halfway]
        cut = min(later)[1] if later else end
        self._emit_final(self._utterance_start, cut)
        self._utterance_start = cut
        self._window_probabilities = [(position, p) for position, p in self._window_probabilities if position > cut]
        self._speech_samples = end - cut
        self._last_partial_at = end

    def _end_utterance(self, cut: int) -> None:
        self._in_speech = False
        if self._speech_samples >= self._min_speech or self._partial_text is not None:
            self._emit_final(self._utterance_start, cut)
        self._previous_end = cut
        self._buffer.drop_before(cut)

    # -- decoding ----------------------------------------------------------------------------

    def _decode(self, start: int, end: int, beam_size: int) -> str:
        audio = self._buffer.get(start, end)
        if audio.size == 0:
            return ""
        transcript = self._recognizer.transcribe(audio, beam_size=beam_size, language=self.language)
        return transcript.text.strip()

    def _emit_final(self, start: int, end: int) -> None:
        text = self._decode(start, end, self.beam_size)
        had_partial = self._partial_text is not None
        self._partial_text = None
        self._previous_end = end
        if text or had_partial:
            self._on_event(DictationEvent("final", text, end / SAMPLE_RATE))

    def _maybe_emit_partial(self) -> None:
        end = self._buffer.end
        if end - self._last_partial_at < self._partial_interval or self._speech_samples < self._min_speech:
            return
        self._last_partial_at = end
        # Greedy: a preview that arrives sooner matters more than its last word being right.
        text = self._decode(self._utterance_start, end, beam_size=1)
        if text and text != self._partial_text:
            self._partial_text = text
            self._on_event(DictationEvent("partial", text, end / SAMPLE_RATE))


# -- running a microphone into a dictation -------------------------------------------------


def run_microphone_dictation(
    mic: Microphone,
    dictation: StreamingDictation,
    should_stop: Callable[[], bool],
    on_level: Callable[[float], None] | None = None,
) -> None:
    """Capture from ``mic`` into ``dictation`` until ``should_stop()`` is true; blocks the calling thread.

    Starts the microphone if needed (AudioDeviceError if it cannot). On stop, every block still
    queued is fed and ``finish()`` decodes the last utterance, so the last word is kept. If the
    device dies mid-capture, what was captured is finished the same way and then the
    microphone's AudioDeviceError is raised, so the caller can say why dictation stopped.
    """
    mic.start()
    failure = None
    try:
        while not should_stop():
            block = mic.read(timeout=0.05)
            if block is None:
                if mic.failure is not None:
                    failure = mic.failure
                    break
                continue
            chunks = [block.samples]
            # Blocks that queued up while the last decode ran: feed them as one, VAD catches up.
            while (more := mic.read(timeout=0)) is not None:
                chunks.append(more.samples)
            if on_level is not None:
                on_level(mic.level)
            dictation.feed(np.concatenate(chunks) if len(chunks) > 1 else chunks[0])
    finally:
        remaining = mic.stop()
    if remaining:
        dictation.feed(np.concatenate([block.samples for block in remaining]))
    dictation.finish()
    if on_level is not None:
        on_level(0.0)
    if failure is not None:
        raise failure


class DictationSession:
    """run_microphone_dictation on a background thread: start(), then stop() and wait().

    ``start()`` opens the microphone on the calling thread, so "no microphone" is raised
    at once; later errors (a device that vanished) are returned by ``wait()`` and passed to
    ``on_done``. Events arrive on the session's thread through the dictation's ``on_event``.
    """

    def __init__(
        self,
        mic: Microphone,
        dictation: StreamingDictation,
        *,
        on_level: Callable[[float], None] | None = None,
        on_done: Callable[[VoxpadError | None], None] | None = None,
    ) -> None:
        self.mic = mic
        self.dictation = dictation
        self._on_level = on_level
        self._on_done = on_done
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: VoxpadError | None = None

    def start(self) -> None:
        self.mic.start()
        self._stop.clear()
        self.error = None
        self._thread = threading.Thread(target=self._run, name="voxpad-dictation", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            run_microphone_dictation(self.mic, self.dictation, self._stop.is_set, self._on_level)
        except VoxpadError as exc:
            self.error = exc
        except Exception as exc:  # a bug: log it with its traceback, report a sentence
            log.exception("Dictation failed")
            self.error = VoxpadError(f"Dictation stopped because of an internal error ({exc}).")
        finally:
            if self._on_done is not None:
                self._on_done(self.error)

    def stop(self) -> None:
        """Ask the session to stop; the last words are still transcribed (see wait())."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> VoxpadError | None:
        """Wait for the session to end; its error, if any."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.error

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
