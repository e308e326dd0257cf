"""Transcribing audio of any length in bounded memory: cut at pauses, transcribe chunk by chunk.

faster-whisper given a whole file builds features for all of it at once (an hour: ~1 GB). Here
the decoded blocks go through ``PauseCutter``, which holds about a minute, finds speech with
the same Silero VAD and settings faster-whisper's ``vad_filter`` uses, and cuts only inside a
pause the VAD found (never inside a word). Each chunk's speech is transcribed as faster-whisper's
own VAD path would (speech stretches joined, times mapped back), then shifted by the chunk's
place in the file, so segment times are absolute and increase through the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.audio.decode import AudioFileDamaged
from voxpad.errors import AudioFileError, Cancelled

if TYPE_CHECKING:
    from voxpad.stt.recognizer import Segment, SpeechRecognizer, Transcript

log = logging.getLogger(__name__)

# Buffer this much before looking for a pause to cut at. Long enough that a chunk holds a couple
# of 30 s Whisper windows (each chunk's last window is padded, so short chunks waste encoder
# passes), short enough that the feature extraction's transient (~0.8 MB per second of speech)
# stays small. Measured on 10 min of looped speech (beam 5): WER 0.088 / 0.093 / 0.129 with 30 /
# 60 / 120 s against 0.097 for the whole-file path, and about the same time for all.
CHUNK_SECONDS = 60.0
# When speech runs on with no pause the VAD calls one (2 s), cut at a shorter pause between words.
_SHORT_PAUSE_MS = 200


@dataclass(frozen=True)
class SpeechChunk:
    """A stretch of the file cut at pauses; ``speech`` holds (start, end) sample ranges inside ``samples``."""

    start: int  # first sample's index in the whole file
    samples: np.ndarray
    speech: list[tuple[int, int]] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.start + len(self.samples)

    def speech_audio(self) -> np.ndarray:
        """The speech stretches joined, as faster-whisper's ``vad_filter`` feeds the model."""
        if not self.speech:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate([self.samples[a:b] for a, b in self.speech])


def _vad_options(**changes):
    from faster_whisper.vad import VadOptions

    # Defaults as faster-whisper's WhisperModel.transcribe(vad_filter=True) uses them, so a file
    # gives the model the same speech stretches it did when decoded whole.
    return VadOptions(**changes)


def find_speech(samples: np.ndarray, **vad_changes) -> list[tuple[int, int]]:
    """Silero VAD speech ranges (start, end) in ``samples``, padded as faster-whisper pads them."""
    from faster_whisper.vad import get_speech_timestamps

    if len(samples) == 0:
        return []
    found = get_speech_timestamps(samples, _vad_options(**vad_changes), sampling_rate=SAMPLE_RATE)
    return [(int(s["start"]), int(s["end"])) for s in found]


class PauseCutter:
    """Gathers decoded blocks and yields SpeechChunks of at most about ``chunk_seconds``, cut in pauses.

    ``feed(block)`` returns the chunks that became complete; ``finish()`` the rest at end of file.
    """

    def __init__(self, chunk_seconds: float = CHUNK_SECONDS) -> None:
        self.chunk_samples = int(chunk_seconds * SAMPLE_RATE)
        self._blocks: list[np.ndarray] = []
        self._buffered = 0
        self._start = 0  # file index of the buffer's first sample
        self.largest_buffer = 0  # samples; lets tests prove the buffer stays bounded

    def feed(self, block: np.ndarray) -> list[SpeechChunk]:
        block = np.asarray(block, dtype=np.float32)
        if len(block) == 0:
            return []
        self._blocks.append(block)
        self._buffered += len(block)
        self.largest_buffer = max(self.largest_buffer, self._buffered)
        chunks = []
        while self._buffered >= self.chunk_samples:
            chunks.append(self._cut())
        return chunks

    def finish(self) -> list[SpeechChunk]:
        if self._buffered == 0:
            return []
        buffer = self._take_buffer()
        chunk = SpeechChunk(self._start, buffer, find_speech(buffer))
        self._start += len(buffer)
        self._blocks, self._buffered = [], 0
        return [chunk]

    def _take_buffer(self) -> np.ndarray:
        buffer = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
        self._blocks = [buffer]
        return buffer

    def _cut(self) -> SpeechChunk:
        buffer = self._take_buffer()
        speech = find_speech(buffer)
        cut = _cut_in_pause(buffer, speech)
        if cut is None:
            cut = _cut_between_words(buffer)
        # A cut between words (speech with no long pause) splits a VAD stretch: keep its first part here.
        kept = [(a, min(b, cut)) for a, b in speech if a < cut]
        chunk = SpeechChunk(self._start, buffer[:cut].copy(), kept)
        rest = buffer[cut:].copy()  # a copy, so the big buffer is freed rather than kept as a view's base
        self._blocks = [rest] if len(rest) else []
        self._buffered = len(rest)
        self._start += cut
        return chunk


def _cut_in_pause(buffer: np.ndarray, speech: list[tuple[int, int]]) -> int | None:
    """The latest sample inside a pause the VAD closed (≥ 2 s of silence), or None."""
    length = len(buffer)
    if not speech:
        # No speech at all: keep the last second, where a word may be starting.
        return max(1, length - SAMPLE_RATE)
    candidates = []
    if speech[0][0] > 0:
        candidates.append(speech[0][0])
    candidates += [(end + next_start) // 2 for (_, end), (next_start, _) in zip(speech, speech[1:])]
    last_end = speech[-1][1]
    # The last stretch is closed only if the VAD saw its whole closing silence (2 s, of which its
    # 0.4 s padding is part) before the buffer ended; otherwise the speaker may still be talking.
    if length - last_end >= int(1.6 * SAMPLE_RATE):
        candidates.append(last_end + (length - last_end) // 2)
    return max(candidates) if candidates else None


def _cut_between_words(buffer: np.ndarray) -> int:
    """For speech that runs on: the middle of the latest short pause, else the quietest 20 ms."""
    half = len(buffer) // 2
    speech = find_speech(buffer, min_silence_duration_ms=_SHORT_PAUSE_MS, speech_pad_ms=30)
    gaps = [(end + next_start) // 2 for (_, end), (next_start, _) in zip(speech, speech[1:])]
    gaps = [gap for gap in gaps if gap >= half]
    if gaps:
        return max(gaps)
    frame = SAMPLE_RATE // 50
    tail = buffer[half: half + (len(buffer) - half) // frame * frame]
    if len(tail) < frame:
        return len(buffer)
    energy = np.square(tail.reshape(-1, frame), dtype=np.float64).mean(axis=1)
    return half + int(np.argmin(energy)) * frame + frame // 2


@dataclass(frozen=True)
class FileTranscript:
    """What was said, plus ``damage``: one sentence if the audio broke off part-way, else None.

    A file that breaks off (cut off, or undecodable from some point) is one result, not an
    exception: what was heard before the break is a real result the caller must deliver, and an
    exception carrying a result made every caller rebuild the success path inside its error
    handler. Errors that leave nothing to deliver (not audio, no sound, no model) still raise.
    """

    transcript: "Transcript"
    damage: str | None = None


def damage_sentence(error: AudioFileError, heard_something: bool = True) -> str:
    """The one sentence for audio that broke off after some of it was transcribed."""
    headline = error.headline if isinstance(error, AudioFileDamaged) else str(error).rstrip(".")
    if not heard_something:
        return f"{headline}; there was no speech before that."
    return f"{headline}; the text before that is kept."


def transcribe_chunk(
    recognizer: "SpeechRecognizer",
    chunk: SpeechChunk,
    *,
    progress: Callable[[float], None] | None = None,
    **options,
) -> tuple[list["Segment"], str | None]:
    """Transcribe one chunk's speech; segments with times in seconds from the start of the file."""
    from faster_whisper.vad import SpeechTimestampsMap

    from voxpad.stt.recognizer import Segment

    audio = chunk.speech_audio()
    if len(audio) == 0:
        if progress is not None:
            progress(1.0)
        return [], None
    result = recognizer.transcribe(audio, progress=progress, vad_filter=False, **options)
    times = SpeechTimestampsMap([{"start": a, "end": b} for a, b in chunk.speech], SAMPLE_RATE, time_precision=3)
    offset = chunk.start / SAMPLE_RATE
    low, high = offset, chunk.end / SAMPLE_RATE
    segments = []
    for segment in result.segments:
        start = min(max(offset + times.get_original_time(segment.start), low), high)
        end = min(max(offset + times.get_original_time(segment.end, is_end=True), start), high)
        segments.append(Segment(round(start, 3), round(end, 3), segment.text))
    return segments, result.language


def transcribe_blocks(
    recognizer: "SpeechRecognizer | Callable[[], SpeechRecognizer]",
    blocks: Iterable[np.ndarray],
    *,
    beam_size: int = 5,
    language: str | None = "en",
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    total_seconds: float | None = None,
    read_fraction: Callable[[], float] | None = None,
    on_segment: Callable[["Segment"], None] | None = None,
    cutter: PauseCutter | None = None,
) -> FileTranscript:
    """Transcribe a stream of float32 mono 16 kHz blocks chunk by chunk, in bounded memory.

    ``progress`` gets 0..1 through the audio: by ``total_seconds`` if known, else by
    ``read_fraction()`` (e.g. bytes read). ``cancelled`` is polled between blocks and segments.
    ``on_segment`` receives each segment as soon as it is final. ``recognizer`` may be a function
    returning one, called only when there is speech to recognise (so a bad file costs no model
    load). If ``blocks`` raises an AudioFileError after some audio (AudioFileStream's signal that
    the file breaks off), what was read is still transcribed and the result's ``damage`` says so;
    one before any audio is raised as it is.
    """
    from voxpad.stt.recognizer import Transcript

    cutter = cutter or PauseCutter()
    model_for = recognizer if callable(recognizer) else (lambda: recognizer)
    segments: list[Segment] = []
    detected: list[str] = []
    samples = 0
    done = 0.0

    def is_cancelled() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled("Transcription cancelled.")

    def report(seconds: float) -> None:
        nonlocal done
        if progress is None:
            return
        if total_seconds:
            fraction = seconds / total_seconds
        elif read_fraction is not None:
            fraction = read_fraction()
        else:
            return
        fraction = min(0.999, max(done, fraction))
        if fraction > done:
            done = fraction
            progress(done)

    def run(chunks: list[SpeechChunk]) -> None:
        nonlocal language
        for chunk in chunks:
            is_cancelled()
            span = len(chunk.samples) / SAMPLE_RATE
            start = chunk.start / SAMPLE_RATE
            if not chunk.speech:
                report(chunk.end / SAMPLE_RATE)
                continue
            found, spoken = transcribe_chunk(
                model_for(), chunk, beam_size=beam_size, language=language, cancelled=cancelled,
                progress=lambda f, start=start, span=span: report(start + f * span))
            if spoken and not detected:
                detected.append(spoken)
                language = language or spoken  # detect once, then keep it: chunks must agree
            for segment in found:
                segments.append(segment)
                if on_segment is not None:
                    on_segment(segment)
            report(chunk.end / SAMPLE_RATE)

    is_cancelled()
    damage: AudioFileError | None = None
    iterator = iter(blocks)
    try:
        while True:
            try:
                block = next(iterator)
            except StopIteration:
                break
            except AudioFileError as exc:
                if samples == 0:
                    raise
                damage = exc
                break
            samples += len(block)
            is_cancelled()
            run(cutter.feed(block))
        run(cutter.finish())
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()  # release the decoder (and its file) if we stop early
    if progress is not None:
        progress(1.0)
    transcript = Transcript(segments, detected[0] if detected else (language or "en"), samples / SAMPLE_RATE)
    if damage is None:
        return FileTranscript(transcript)
    return FileTranscript(transcript, damage_sentence(damage, heard_something=bool(transcript.text)))


def transcribe_audio_file(
    recognizer: "SpeechRecognizer | Callable[[], SpeechRecognizer]", path: str | Path, **options
) -> FileTranscript:
    """Decode ``path`` block by block and transcribe it chunk by chunk (any length, bounded memory).

    Options as for :func:`transcribe_blocks`. Bad files raise AudioFileError; one that breaks off
    part-way (cut off, or damaged) gives the text from before the break and a ``damage`` sentence.
    """
    from voxpad.audio.decode import AudioFileStream

    stream = AudioFileStream(path)
    blocks = iter(stream)
    # Open the file (and read its header) before any model work, so a bad file fails fast.
    try:
        first = next(blocks)
    except StopIteration:  # pragma: no cover - AudioFileStream raises "no sound" instead
        raise AudioFileError(f"{path} contains no sound (its length is zero).") from None

    def all_blocks() -> Iterator[np.ndarray]:
        try:
            yield first
            yield from blocks
        finally:
            blocks.close()

    return transcribe_blocks(
        recognizer, all_blocks(), total_seconds=stream.duration,
        read_fraction=lambda: stream.fraction_read, **options)
