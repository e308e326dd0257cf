"""A loaded piper voice: text in, float32 samples out."""

from __future__ import annotations

import re
import unicodedata
import wave
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voxpad.errors import AudioFileError, ModelError
from voxpad.models.defaults import resolve_voice
from voxpad.tts.sentences import split_sentences
from voxpad.tts.word_timing import TimedWord, time_words

MIN_SPEED = 0.5
MAX_SPEED = 2.0

# Characters that carry no sound and can upset espeak (a NUL byte raises inside piper).
# Controls (tabs, NUL, escapes) separate words, so they become spaces; format marks (soft
# hyphens, zero-width joiners, bidi marks), surrogates, private-use and unassigned code
# points sit inside words, so they vanish.
_SEPARATING_CATEGORIES = frozenset({"Cc"})
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cs", "Co", "Cn"})
# piper reads "[[ ... ]]" as raw phonemes; typed text must never be taken for that.
_PHONEME_BRACKETS = re.compile(r"\[\[|\]\]")


def clamp_speed(speed: float) -> float:
    """``speed`` limited to what still sounds like speech (0.5x to 2x)."""
    if not np.isfinite(speed):
        return 1.0
    return min(MAX_SPEED, max(MIN_SPEED, float(speed)))


def sanitise(text: str) -> str:
    """Text safe for the synthesiser: compatibility forms folded, invisible characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_visible(char) for char in text)
    text = _PHONEME_BRACKETS.sub(lambda match: " ".join(match.group()), text)
    return " ".join(text.split())


def _visible(char: str) -> str:
    category = unicodedata.category(char)
    if category in _SEPARATING_CATEGORIES:
        return " "
    return "" if category in _INVISIBLE_CATEGORIES else char


class Voice:
    """A piper voice ready to synthesise; safe to share between threads."""

    def __init__(self, piper_voice, model_path: Path) -> None:
        """Wrap an already loaded ``piper.PiperVoice``; use :meth:`load` instead."""
        self._piper = piper_voice
        self.model_path = model_path

    @classmethod
    def load(cls, model: Path | None = None) -> Voice:
        """Load the voice at ``model`` (an .onnx with its .onnx.json beside it), or the bundled one."""
        paths = resolve_voice(model)
        try:
            from piper import PiperVoice

            # Alignments (phoneme timings) drive word highlighting; piper patches the model
            # in memory, so the voice file is untouched. Without onnx it loads as before.
            piper_voice = PiperVoice.load(paths.model, config_path=paths.config,
                                          include_alignments=_can_align())
        except Exception as exc:  # onnxruntime, json and piper raise many unrelated types
            raise ModelError(
                f"The voice {paths.model.name} could not be loaded; the file or its "
                f"{paths.config.name} is damaged or not a piper voice ({_reason(exc)})."
            ) from exc
        return cls(piper_voice, paths.model)

    def warm_up(self) -> None:
        """One silent synthesis: onnxruntime's first run is several times slower than later ones,
        so doing it right after loading (off the GUI thread) keeps it out of the first Read."""
        self.synthesize_words("Ready.")

    @property
    def sample_rate(self) -> int:
        return int(self._piper.config.sample_rate)

    @property
    def name(self) -> str:
        """The voice's file name without extension, e.g. ``en_US-joe-medium``."""
        return self.model_path.name.removesuffix(".onnx")

    def synthesize(self, text: str, *, speed: float = 1.0) -> np.ndarray:
        """Speech for ``text`` (meant for one sentence) as float32 mono at :attr:`sample_rate`.

        Returns an empty array when the text has nothing to pronounce.
        """
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=self._piper.config.length_scale / clamp_speed(speed))
        clean = sanitise(text)
        pieces = []
        # Splitting again bounds each ONNX run even when a caller passes a long text.
        for span in split_sentences(clean):
            pieces.extend(chunk.audio_float_array for chunk in self._piper.synthesize(span.text, config))
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(pieces).astype(np.float32, copy=False)

    def synthesize_words(self, text: str, *, speed: float = 1.0) -> SpokenText:
        """Like :meth:`synthesize`, with the sample at which each word of ``text`` starts."""
        from piper import SynthesisConfig

        config = SynthesisConfig(length_scale=self._piper.config.length_scale / clamp_speed(speed))
        pieces: list[np.ndarray] = []
        alignments: list[tuple[str, int]] | None = []
        for span in split_sentences(sanitise(text)):
            for chunk in self._piper.synthesize(span.text, config, include_alignments=True):
                pieces.append(chunk.audio_float_array)
                if alignments is not None and chunk.phoneme_alignments:
                    alignments.extend((a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments)
                else:
                    alignments = None  # one chunk without timings: time the whole text by estimate
        samples = np.concatenate(pieces).astype(np.float32, copy=False) if pieces else np.zeros(0, np.float32)
        return SpokenText(samples, time_words(text, len(samples), alignments), alignments is not None)

    def synthesize_to_wav(
        self,
        text: str,
        path: Path,
        speed: float = 1.0,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> float:
        """Write ``text`` as a 16-bit mono WAV at the voice's rate; returns its duration in seconds.

        Synthesises sentence by sentence, so memory stays flat for long documents;
        ``on_progress(done, total)`` is called after each sentence.
        """
        spans = split_sentences(text)
        frames = 0
        try:
            with open_wav_for_writing(path, self.sample_rate) as wav:
                for index, span in enumerate(spans, start=1):
                    samples = self.synthesize(span.text, speed=speed)
                    wav.writeframes(to_int16(samples).tobytes())
                    frames += len(samples)
                    if on_progress is not None:
                        on_progress(index, len(spans))
        except OSError as exc:  # the disk filled up or went away while writing
            raise AudioFileError(f"Cannot write the audio file {path}: {_reason(exc)}.") from exc
        return frames / self.sample_rate


@dataclass(frozen=True)
class SpokenText:
    """Synthesised audio and when each of its words starts (offsets into the text given)."""

    samples: np.ndarray
    words: list[TimedWord]
    aligned: bool  # True when word times come from the voice's phoneme timings


def _can_align() -> bool:
    try:
        import onnx  # noqa: F401
    except ImportError:
        return False
    return True


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float samples in [-1, 1] as 16-bit PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def open_wav_for_writing(path: Path, sample_rate: int) -> wave.Wave_write:
    """An open 16-bit mono WAV writer, or AudioFileError with a sentence if ``path`` is unwritable."""
    try:
        # Probe with a plain open first: a failing wave.open leaves a half-built writer
        # whose destructor raises again.
        open(path, "wb").close()
        wav = wave.open(str(path), "wb")
    except OSError as exc:
        raise AudioFileError(f"Cannot write the audio file {path}: {_reason(exc)}.") from exc
    wav.setnchannels(1)
    wav.setsampwidth(2)
    wav.setframerate(sample_rate)
    return wav


def _reason(exc: BaseException) -> str:
    """A short cause for a user message: the OS reason or the first line of the error."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first_line[:160].rstrip(".")
