"""Streaming dictation: samples in, "partial" and "final" text events out.

The same pipeline serves the window, the global hotkey and ``voxpad transcribe --live``:

    Microphone ─blocks─▶ StreamingDictation.feed() ─VAD─▶ utterance in progress
        every ~0.3 s of new speech: greedy short-context decode ─▶ partial (LocalAgreement-2 commits)
        utterance ended (silence) or Stop: decode of the unsettled tail only ─▶ final

Why it is fast enough for a 2-core CPU with tiny.en:

* Decodes use ShortContextDecoder: the encoder sees the utterance plus ~1 s of silence instead
  of 30 s, so an encoder pass costs tens of milliseconds instead of ~470 ms.
* LocalAgreement-2: words on which two partial decodes at least ``agreement_gap`` of audio
  apart agree (all but the last word of the newest one) are *committed* inside the utterance and forced as the prefix of
  later previews and of the final (greedy after Stop, beam 5 at a pause), so settled grey text
  stops flickering and the final agrees with it. Committed words are still a preview (only
  finals reach the document as settled text): the final after Stop keeps a decode with nothing
  forced instead when the model is surer of it, so a word settled while it was the newest
  audio can still be corrected once the whole utterance is heard. Forcing a prefix turned out
  to cost as much as generating it, so what bounds every decode, and the wait after Stop, is the utterance
  length: past ~6 s a 0.25 s pause ends an utterance, and 15 s without one splits it.
* When the worker falls behind (the microphone hands over a backlog, or decodes take longer
  than the interval), partials are skipped or spaced out; finals are never skipped.

Language: a chosen one is used as is; an English-only model (tiny.en) decodes English; "auto"
(None) with a multilingual model detects it from the encoder output each decode computes
anyway, and the first decode of at least 2 s of audio that is sure of it settles it. Each
later utterance checks it again from 2 s of audio, and two sure detections in a row of
another language change it, so a speaker who changes language between sentences is followed
(see fast_decoder). Every event says which language its text is in.

Silero VAD runs incrementally on 32 ms windows; only audio the VAD calls speech reaches
Whisper, and the model's no-speech/log-prob guard drops the rest, so silence, breathing and
room noise give no text. Once an utterance is longer than ~6 s, a short pause (0.25 s) ends
it, and one that reaches ``max_utterance`` without any is split at its best pause: that bounds
the length of every decode, including the one the user waits for after Stop.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Callable, Literal, Union

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.audio.microphone import Microphone
from voxpad.stt.fast_decoder import ShortContextDecoder
from voxpad.stt.recognizer import SpeechRecognizer
from voxpad.stt.vad import VoiceActivity

__all__ = ["DictationEvent", "StreamingDictation", "VoiceActivity", "agreed_prefix",
           "run_microphone_dictation"]

log = logging.getLogger(__name__)

_WORDLESS = re.compile(r"^[\W_]*$")
# The previous-text prompt while a dictation has no text yet and fewer than _STYLE_BELOW_WORDS
# words are committed. With no prompt tiny.en writes like unpunctuated captions, and worse: the
# 7 clips, each as a new dictation, began "stuff it into you", "after early nightfall …
# brothels", "the birch canoe"; a first utterance decoded from a backlog (no previews, nothing
# committed: the model still loading under CPU load) gave "and sold my fellow america" or
# "Check it." (CI, twice); with only "And" committed, the beam final gave "so am i fell in
# americans", and that lower-case text, as the next prompt, gave "AS NOT!". With the prompt:
# on the 7 clips as new dictations, WER 4.63 % as before with 0.05 s blocks (6.48 % counting
# "1 and 3" for "one and three", its only change), 8.33 % against 10.19 % with 3 s blocks; the
# app's e2e dictation under two busy loops passed 8 of 8 runs (before: 10 of 12). "Okay." and
# "Hi, how are you? Fine." measured the same. On later decodes it hurts: prompted beam finals
# drifted ("flower fat and sauce") and WER rose to 8.33 %, so it stops at 3 committed words.
# A prompt also makes noise look like speech (no-speech probability 0.74 -> 0.43 on a noise
# burst, which then said "Hi."), so whether there is speech at all is still the plain
# decode's to say. English only: a prompt's language is the one Whisper writes in.
_STYLE_PROMPT = "Hello."
_STYLE_BELOW_WORDS = 3


@dataclass(frozen=True)
class DictationEvent:
    """Text for one utterance.

    ``partial`` text is a preview of the utterance still being spoken and will be replaced;
    ``final`` text is settled. Every utterance that had partials ends with a final, whose
    text may be empty (the preview turned out to be nothing). ``audio_time`` is where the
    covered audio ends, in seconds since dictation began. ``language`` is the language the
    text was decoded as ("en", "de"), detected when the dictation's language is "auto"; None
    when nothing was decoded.
    """

    kind: Literal["partial", "final"]
    text: str
    audio_time: float
    language: str | None = None


# A loaded recognizer, or something that loads one when called (so capture can start first).
RecognizerSource = Union[SpeechRecognizer, Callable[[], SpeechRecognizer]]


def agreed_prefix(previous: list[str], current: list[str]) -> int:
    """LocalAgreement-2: how many leading words ``current`` can commit, given ``previous``.

    The words both decodes agree on, but never the last word of ``current``: it may be a
    word still being spoken ("Stuff" before "Stuffed").
    """
    count = 0
    for before, now in zip(previous, current):
        if before != now:
            break
        count += 1
    return min(count, max(0, len(current) - 1))


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
    so the first consonant is kept) and ends after ``silence_timeout`` seconds of silence (only
    ``long_pause`` once it is longer than ``long_utterance`` seconds); its
    final is then decoded (beam ``beam_size``, committed words forced). With ``partials``
    the utterance in progress is re-decoded greedily after every ``partial_interval`` seconds
    of new audio and emitted as a partial; words on which it agrees with a decode of at least
    ``agreement_gap`` seconds less audio are committed (LocalAgreement-2). With
    ``revise_committed`` the greedy final after Stop may replace committed words (they were
    only ever shown as a preview) when a decode with nothing forced is more confident.
    ``language``: the spoken language for multilingual models, None to detect it (see
    :attr:`spoken_language`); English-only models ignore it.
    """

    def __init__(
        self,
        recognizer: RecognizerSource,
        on_event: Callable[[DictationEvent], None],
        *,
        silence_timeout: float = 0.7,
        preroll: float = 0.4,
        partials: bool = True,
        partial_interval: float = 0.3,
        agreement_gap: float = 0.3,
        max_utterance: float = 15.0,
        long_utterance: float = 6.0,
        long_pause: float = 0.25,
        min_speech: float = 0.15,
        beam_size: int = 5,
        revise_committed: bool = True,
        language: str | None = "en",
        threshold: float = 0.5,
    ) -> None:
        self._source = recognizer
        self._decoder: ShortContextDecoder | None = None
        self._decoder_owner: SpeechRecognizer | None = None
        self._on_event = on_event
        self._silence = _samples(silence_timeout)
        self._long = _samples(long_utterance)
        self._short_silence = _samples(min(silence_timeout, long_pause))
        self._preroll = _samples(preroll)
        # Audio kept after the last voiced window: word endings (s, t, f) score low on the VAD.
        self._tail = _samples(min(0.4, silence_timeout))
        self.partials = partials
        self._partial_interval = _samples(partial_interval)
        self._agreement_gap = _samples(agreement_gap)
        self._max_utterance = _samples(max_utterance)
        self._min_speech = _samples(min_speech)
        self.beam_size = beam_size
        # Finals may replace committed (preview) words when an unforced decode is surer.
        self.revise_committed = revise_committed
        self.language = language
        self._threshold = threshold
        # Hysteresis as in Silero's own segmenter: once speaking, only clearly quiet windows count as silence.
        self._neg_threshold = max(threshold - 0.15, 0.01)
        self._vad = VoiceActivity()
        self.decode_seconds = 0.0  # total time spent decoding (benchmarks)
        self.decodes = 0  # how many times Whisper ran (tests: silence must cost none)
        self.skipped_partials = 0  # partials dropped to keep up with real time
        self._decoded_language: str | None = None  # what the last decode was in
        self._reset()

    # -- public ---------------------------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Add float32 mono 16 kHz samples (any length); may emit events before returning."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        if samples.size == 0:
            return
        self._buffer.append(samples)
        self._scan()
        if self.partials and self._in_speech and not self._stopping:
            # A large block means the microphone queued audio while we decoded: we are behind.
            # Catch up first; a partial for audio the speaker said a while ago is worth little.
            if len(samples) > self._behind_limit:
                self.skipped_partials += 1
                self._last_partial_at = self._buffer.end
            else:
                self._maybe_emit_partial()

    def stopping(self) -> None:
        """Stop was pressed: what is still fed before finish() gets no partials, only the final."""
        self._stopping = True

    def finish(self) -> None:
        """Stop: decode whatever utterance is in progress, up to the very last sample, then reset."""
        self._scan()
        if self._in_speech:
            # Greedy after Stop: the user is waiting, and on the speech set greedy short-context
            # decoding matched beam 5 (benchmarks/bench_live.py).
            self._emit_final(self._utterance_start, self._buffer.end, beam_size=1)
        self._reset()

    def reset(self) -> None:
        """Forget everything fed so far without decoding it."""
        self._reset()

    @property
    def audio_time(self) -> float:
        """Seconds of audio fed since dictation began."""
        return self._buffer.end / SAMPLE_RATE

    @property
    def committed_text(self) -> str:
        """Words of the utterance in progress that LocalAgreement has settled (they will not change)."""
        return " ".join(self._committed)

    @property
    def spoken_language(self) -> str | None:
        """The language decodes use: the chosen one, "en" for an English-only model, or the
        detected one once settled; None while "auto" has not settled (or no model is loaded yet)."""
        if self._decoder is not None:
            return self._decoder.language
        return self.language

    @property
    def in_utterance(self) -> bool:
        """True while the VAD hears an utterance that has not ended yet."""
        return self._in_speech

    # -- the utterance state machine --------------------------------------------------------

    def _reset(self) -> None:
        self._vad.reset()
        self._buffer = _SampleBuffer()
        self._stopping = False
        self._scanned = 0  # absolute position of the first sample the VAD has not seen
        self._in_speech = False
        self._utterance_start = 0
        self._last_voice_end = 0
        # (window end, VAD probability) for the utterance in progress: where to split a long one.
        self._window_probabilities: list[tuple[int, float]] = []
        self._speech_samples = 0
        self._last_partial_at = 0
        self._previous_end = 0  # where the last emitted utterance ended
        self._previous_text = ""  # what it said: context for the next decode
        self._previous_language: str | None = None  # the language it was decoded in
        self._interval = self._partial_interval
        self._behind_limit = _samples(0.4)
        self._start_utterance_text()

    def _start_utterance_text(self) -> None:
        self._partial_text: str | None = None
        self._committed: list[str] = []  # words settled by LocalAgreement in this utterance
        self._committed_language: str | None = None  # the language they were decoded in
        # (audio end, words) of this utterance's recent partial decodes, oldest first.
        self._hypotheses: list[tuple[int, list[str]]] = []

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
                self._start_utterance_text()
                if self._decoder is not None:
                    self._decoder.recheck_language()
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

        # A long utterance ends at a shorter pause: a breath between sentences is enough, so no
        # decode (and no wait after Stop) ever covers much more than a sentence or two.
        silence = self._silence if end - self._utterance_start < self._long else self._short_silence
        if end - self._last_voice_end >= silence:
            self._end_utterance(min(end, self._last_voice_end + min(self._tail, silence)))
        elif end - self._utterance_start >= self._max_utterance:
            self._split_utterance(end)

    def _split_utterance(self, end: int) -> None:
        """Too long without a pause: emit up to its best pause (or quietest moment), then go on."""
        cut = self._best_cut(end)
        # Committed words may lie beyond the cut, so this part is decoded afresh.
        self._committed = []
        self._emit_final(self._utterance_start, cut)
        self._utterance_start = cut
        self._window_probabilities = [(position, p) for position, p in self._window_probabilities if position > cut]
        self._speech_samples = end - cut
        self._last_partial_at = end
        self._buffer.drop_before(cut)

    def _best_cut(self, end: int) -> int:
        """The middle of the longest run of unvoiced windows after the utterance's first 2 s."""
        earliest = self._utterance_start + _samples(2.0)
        windows = [(position, p) for position, p in self._window_probabilities if earliest < position < end]
        best, best_length, run_start, run_length = None, 0, 0, 0
        for position, probability in windows:
            if probability < self._threshold:
                if run_length == 0:
                    run_start = position
                run_length += 1
                if run_length >= best_length:  # ties: the later pause keeps more context together
                    best, best_length = (run_start + position) // 2, run_length
            else:
                run_length = 0
        if best is None and windows:
            best = min((p, position) for position, p in windows)[1]
        return best if best is not None else end

    def _end_utterance(self, cut: int) -> None:
        self._in_speech = False
        if self._speech_samples >= self._min_speech or self._partial_text is not None:
            self._emit_final(self._utterance_start, cut)
        self._previous_end = cut
        self._buffer.drop_before(cut)

    # -- decoding ----------------------------------------------------------------------------

    def _get_decoder(self) -> ShortContextDecoder:
        source = self._source
        # A loader is asked every time: it is cheap, keeps the model marked as in use (the idle
        # unloader), and hands over a new model if the user switched models meanwhile.
        recognizer = source if hasattr(source, "whisper_model") else source()
        if self._decoder is None or self._decoder_owner is not recognizer:
            self._decoder = ShortContextDecoder(recognizer, language=self.language)
            self._decoder_owner = recognizer
        return self._decoder

    def _decode(self, start: int, end: int, beam_size: int, prompt: bool = True,
                revisable: bool = False) -> list[str]:
        """Words of the utterance start..end: the committed ones, then what the model adds.

        ``prompt``: give the previous utterance's text as Whisper's previous-text prompt.
        ``revisable``: the committed words may be replaced if a decode with nothing forced
        is more confident (see ShortContextDecoder.decode).
        """
        audio = self._buffer.get(start, end)
        if audio.size == 0:
            return list(self._committed)
        began = time.perf_counter()
        self.decodes += 1
        committed = " ".join(self._committed)
        decoder = self._get_decoder()
        options = dict(beam_size=beam_size, committed=committed, revisable=revisable,
                       committed_language=self._committed_language)
        styled = not self._previous_text and len(self._committed) < _STYLE_BELOW_WORDS
        decoded = decoder.decode(audio, previous=_STYLE_PROMPT if styled else self._previous_text if prompt else "",
                                 previous_language="en" if styled else self._previous_language, **options)
        if styled and not committed and decoded.language == "en":
            # Whether this is speech at all is the plain decode's to say (see _STYLE_PROMPT).
            plain = decoder.decode(audio, **options)
            if plain.hallucination or _WORDLESS.match(plain.text):
                decoded = plain
        self.decode_seconds += time.perf_counter() - began
        self._decoded_language = decoded.language
        if self._committed and decoded.language != self._committed_language:
            # The speaker changed language: previews settled in the old one are not what was said.
            self._committed, self._hypotheses = [], []
        added = decoded.text
        if not self._committed and (decoded.hallucination or _WORDLESS.match(added)):
            log.debug("Dropped likely hallucination %r (no_speech %.2f, logprob %.2f)",
                      added, decoded.no_speech_prob, decoded.avg_logprob)
            return []
        if decoded.revised:
            log.debug("Final revised the committed preview %r to %r", committed, added)
            return added.split()
        return (committed + added).split()

    def _emit_final(self, start: int, end: int, beam_size: int | None = None) -> None:
        # The final continues the committed words. That saves no time (CTranslate2 steps through
        # a forced prefix token by token, measured) but keeps the final consistent with what the
        # user saw settle, and measured more accurate: 10.2 % vs 12.0 % WER on the benchmark,
        # where a fresh beam decode of a short utterance said "And so am I fellow Americans".
        #
        # The beam final is decoded without the previous-text prompt, as the offline baseline
        # decodes (condition_on_previous_text=False): with the prompt, beam search drifted on the
        # benchmark ("flower fat and sauce" for "flour fattened sauce") and streaming WER on the
        # 1 s pauses set was 10.2 % (3 of 3 runs) against 9.3 % offline; without it, together
        # with the decoder going on after a decode that stopped early, 8.3 % (median of 5 runs).
        # Greedy decodes (partials, the final after Stop) keep it: without it they lost the first
        # word's case and misheard utterance starts ("Like your country", "The birds canoe").
        #
        # Committed words are a preview, not final text: nothing of this utterance has reached the
        # document as final yet (finals are only emitted here, one per utterance). So the final
        # may still correct them, and does when a decode of the whole utterance with nothing
        # forced is more confident than the forced one: LocalAgreement can settle a word misheard
        # while it was the newest audio, with little context after it ("The bridge canoe slid"
        # for "The birch canoe slid", 0.25 s pauses set). Text already final is never touched.
        # Only greedy decodes (the final after Stop) are compared so: beam search returns no
        # per-step scores to weigh the forced words with, and the forced beam final at a pause
        # is what kept "And so my" where a free one said "And so am I".
        #
        # With nothing committed (a backlog skipped every partial: bench_live.py --block-seconds 1,
        # 3 or 11) both sets measured 10.2 % WER against 8.3 % with 0.1 s blocks, all of it that
        # "am I". No other final measured better on the cut utterances: greedy with or without
        # the prompt 10.2 %, beam with the prompt 12.0 %, 15 s context 10.2/12.0 %, 30 s context
        # 9.3/10.2 % at 7x the decode time. It is a coin flip for tiny.en, not a decoding choice:
        # prefixes of the phrase alternate ("am I" at 1.2-1.35 s, "my" at 1.4-1.55 s) and so does
        # the context length (beam with 6 or 10 s: "my", 8 s: "am I"); with spaced-out partials under load
        # even 0.1 s blocks gave "am I".
        beam = self.beam_size if beam_size is None else beam_size
        words = self._decode(start, end, beam, prompt=beam == 1, revisable=self.revise_committed)
        text = " ".join(words)
        had_partial = self._partial_text is not None
        self._start_utterance_text()
        self._previous_end = end
        if text:
            self._previous_text, self._previous_language = text, self._decoded_language
        if text or had_partial:
            self._on_event(DictationEvent("final", text, end / SAMPLE_RATE, self._decoded_language))

    def _maybe_emit_partial(self) -> None:
        end = self._buffer.end
        if end - self._last_partial_at < self._interval or self._speech_samples < self._min_speech:
            return
        self._last_partial_at = end
        began = time.perf_counter()
        # Greedy: a preview that arrives sooner matters more than its last word being right.
        words = self._decode(self._utterance_start, end, beam_size=1)
        took = _samples(time.perf_counter() - began)
        # Never spend more than about half of real time on previews: space them out instead.
        self._interval = max(self._partial_interval, 2 * took)
        # LocalAgreement against a decode of at least ``agreement_gap`` s less audio (the default,
        # 0.3 s, is the previous preview). A wider gap was meant to stop two near-identical
        # decodes agreeing on the word being spoken ("The birds can do slid" for "The birch canoe
        # slid", 0.25 s pauses set), but 0.6 s left the benchmark medians unchanged and made one
        # clip's beam final worse 3 runs in 4 ("thick, pepp-pepered flour-fat and sauce", in
        # tests/unit/test_dictation.py); the final after Stop now corrects such words instead.
        reference = None
        for index in range(len(self._hypotheses) - 1, -1, -1):
            if self._hypotheses[index][0] <= end - self._agreement_gap:
                reference = index
                break
        if reference is not None:
            settled = agreed_prefix(self._hypotheses[reference][1], words)
            if settled > len(self._committed):
                self._committed, self._committed_language = words[:settled], self._decoded_language
            del self._hypotheses[:reference]
        self._hypotheses.append((end, words))
        text = " ".join(words)
        if text and text != self._partial_text:
            self._partial_text = text
            self._on_event(DictationEvent("partial", text, end / SAMPLE_RATE, self._decoded_language))


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
    # Stop was pressed: no preview is worth delaying the final for.
    dictation.stopping()
    if remaining:
        dictation.feed(np.concatenate([block.samples for block in remaining]))
    dictation.finish()
    if on_level is not None:
        on_level(0.0)
    if failure is not None:
        raise failure

