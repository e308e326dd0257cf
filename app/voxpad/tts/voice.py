"""A loaded piper voice: text in, float32 samples out."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import unicodedata
import wave
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voxpad.errors import AudioFileError, ModelError
from voxpad.models.defaults import resolve_voice
from voxpad.native_memory import ArenaShrinkingSession
from voxpad.tts.sentences import split_sentences
from voxpad.tts.word_timing import TimedWord, time_words

_LOG = logging.getLogger(__name__)

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

    def __init__(self, piper_voice, model_path: Path, language: str | None = None) -> None:
        """Wrap an already loaded ``piper.PiperVoice``; use :meth:`load` instead."""
        self._piper = piper_voice
        self.model_path = model_path
        # The language the voice speaks, as its config names it ("en_US"), if it does.
        self.language = language or getattr(piper_voice.config, "espeak_voice", None)

    @classmethod
    def load(cls, model: Path | None = None) -> Voice:
        """Load the voice at ``model`` (an .onnx with its .onnx.json beside it), or the bundled one."""
        paths = resolve_voice(model)
        try:
            piper_voice, language = _load_piper(paths.model, paths.config)
        except Exception as exc:  # onnxruntime, json and piper raise many unrelated types
            raise ModelError(
                f"The voice {paths.model.name} could not be loaded; the file or its "
                f"{paths.config.name} is damaged or not a piper voice ({_reason(exc)})."
            ) from exc
        return cls(piper_voice, paths.model, language)

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


def _load_piper(model: Path, config: Path):
    """A ``piper.PiperVoice`` whose model also reports phoneme timings where it can, and the
    language code its config gives."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    with open(config, encoding="utf-8") as file:
        config_dict = json.load(file)
    session = onnxruntime.InferenceSession(
        _aligned_model(model), sess_options=_session_options(), providers=["CPUExecutionProvider"])
    # Without this the arena keeps the longest sentence's tensors for good (+150 MB after one
    # long sentence, the 30-minute soak's +35 MB steps): see voxpad.native_memory.
    session = ArenaShrinkingSession(session)
    language = (config_dict.get("language") or {}).get("code")
    return PiperVoice(config=PiperConfig.from_dict(config_dict), session=session), language


def _session_options():
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # onnxruntime's worker threads spin between operators by default, keeping cores busy
    # for the whole synthesis: on two cores that starves the GUI thread and the sound
    # server. Measured on two loaded cores, 12 sentences: spinning 4.2 s of CPU, not
    # spinning 2.9 s, one thread 2.4 s, with the first short span no slower (~120 ms).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if (os.cpu_count() or 1) <= 2:
        options.intra_op_num_threads = 1  # leave the other core to the window and the audio
    return options


def aligned_model_cache() -> Path:
    """Where voices patched to report phoneme timings are kept (they are rebuilt if deleted)."""
    override = os.environ.get("VOXPAD_CACHE_DIR")
    if override:
        base = Path(override)
    elif os.environ.get("VOXPAD_DATA_DIR"):  # tests and portable setups: keep it beside the data
        base = Path(os.environ["VOXPAD_DATA_DIR"]) / "cache"
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("voxpad"))
    return base / "aligned-voices"


def _aligned_model(model: Path) -> str | bytes:
    """The voice model with piper's alignment output added: a cached file, else bytes.

    Patching takes ~0.3 s of protobuf work that holds the GIL (the window froze meanwhile),
    so it is done once per model file, kept in the cache keyed by the file's SHA-256, and
    later loads open the patched file directly. Without the onnx package, or for a model
    that cannot be patched (or already is), the model is used as it is.
    """
    if not _can_align():
        return str(model)
    with open(model, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()[:32]  # releases the GIL
    cached = aligned_model_cache() / f"{model.name.removesuffix('.onnx')}-{digest}.onnx"
    if cached.is_file():
        return str(cached)
    import onnx
    from piper.patch_voice_with_alignment import add_alignment_output

    patched = onnx.load(str(model))
    try:
        add_alignment_output(patched)
    except ValueError as exc:  # no such tensor, or already patched: use the file as it is
        _LOG.debug("Not patching %s for alignments: %s", model.name, exc)
        return str(model)
    data = patched.SerializeToString()
    partial: Path | None = None
    try:
        _private_folder(cached.parent)
        with tempfile.NamedTemporaryFile(dir=cached.parent, prefix=".partial-", delete=False) as tmp:
            partial = Path(tmp.name)
            tmp.write(data)
        os.replace(partial, cached)  # atomic: a reader never sees half a model
    except OSError as exc:
        if partial is not None:
            partial.unlink(missing_ok=True)
        _LOG.warning("Could not cache the patched voice %s: %s", model.name, exc)
        return data
    return str(cached)


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parent) readable by the user only, like the data folder."""
    folder.parent.parent.mkdir(parents=True, exist_ok=True)
    for level in (folder.parent, folder):
        level.mkdir(mode=0o700, exist_ok=True)


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
