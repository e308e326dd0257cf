"""The speech recognizer: a loaded faster-whisper model that turns samples into a Transcript.

One SpeechRecognizer is loaded once and shared (window, global hotkey, CLI): a lock
serialises decoding, because a CTranslate2 model on 2 cores gains nothing from two
decodes at once and faster-whisper's feature extractor keeps per-call state.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.errors import Cancelled, ModelError
from voxpad.models.defaults import bundled_whisper_model
from voxpad.models.validate import check_whisper_files

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

# Hallucination guards. On silence, noise or hum tiny.en says "you" / "." with no_speech_prob
# above 0.85 and avg_logprob around -1.0, just above faster-whisper's own -1.0 cut; real short
# words ("Yes.", "Stop.") measured no_speech_prob <= 0.4. So a segment is dropped when the model
# itself thinks there is no speech and is not confident about the words.
_NO_SPEECH_PROB = 0.6
_CONFIDENT_LOGPROB = -0.5
_WORDLESS = re.compile(r"^[\W_]*$")


@dataclass(frozen=True)
class Segment:
    """A stretch of recognised speech; times in seconds from the start of the audio."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    """What was said in a piece of audio."""

    segments: list[Segment] = field(default_factory=list)
    language: str = "en"
    duration: float = 0.0

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments if segment.text)


def _is_hallucination(text: str, no_speech_prob: float, avg_logprob: float) -> bool:
    if _WORDLESS.match(text):
        return True
    return no_speech_prob > _NO_SPEECH_PROB and avg_logprob < _CONFIDENT_LOGPROB


def _load_failure(path: Path, exc: BaseException) -> ModelError:
    reason = str(exc).strip().split("\n")[0].split(". ")[0].rstrip(".")
    if len(reason) > 140:
        reason = reason[:140] + "…"
    return ModelError(
        f"The speech model in {path} could not be loaded; it may be damaged or not a Whisper model ({reason})."
    )


class SpeechRecognizer:
    """A loaded Whisper model. Use ``SpeechRecognizer.load()``; share one instance."""

    def __init__(self, model: "WhisperModel", path: Path) -> None:
        self._model = model
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, path: Path | None = None, *, compute_type: str = "int8", cpu_threads: int = 0
    ) -> "SpeechRecognizer":
        """Load the model folder ``path`` (None: the bundled tiny.en), or raise ModelError."""
        path = bundled_whisper_model() if path is None else Path(path)
        # Includes tokenizer.json: without it faster-whisper would fetch one from the internet.
        check_whisper_files(path)
        try:
            from faster_whisper import WhisperModel

            started = time.perf_counter()
            model = WhisperModel(
                str(path),  # faster-whisper treats anything but a str as a model name
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except ModelError:
            raise
        except Exception as exc:  # CTranslate2 reports every kind of broken file as RuntimeError
            raise _load_failure(path, exc) from exc
        log.info("Loaded speech model %s in %.2f s", path, time.perf_counter() - started)
        return cls(model, path)

    @property
    def whisper_model(self) -> "WhisperModel":
        """The faster-whisper model, for decoders that drive its CTranslate2 model directly."""
        return self._model

    @property
    def lock(self) -> threading.Lock:
        """Held while the model decodes: anything using ``whisper_model`` must hold it too."""
        return self._lock

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        beam_size: int = 5,
        language: str | None = "en",
        initial_prompt: str | None = None,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
        vad_filter: bool = False,
    ) -> Transcript:
        """Recognise float32 mono 16 kHz ``audio``.

        ``language`` None detects it (multilingual models only). ``progress`` receives 0..1 as
        segments complete; ``cancelled`` is polled between segments and raises Cancelled.
        ``vad_filter`` skips non-speech with Silero VAD first (long files with pauses).
        """
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim != 1:
            raise ValueError("transcribe() wants mono samples (a 1-D array)")
        duration = len(audio) / SAMPLE_RATE
        if not self.multilingual:
            language = "en"
        if cancelled is not None and cancelled():
            raise Cancelled("Transcription cancelled.")
        if len(audio) == 0:
            return Transcript([], language or "en", 0.0)

        segments: list[Segment] = []
        done = 0.0
        with self._lock:
            raw_segments, info = self._model.transcribe(
                audio,
                beam_size=beam_size,
                language=language,
                initial_prompt=initial_prompt,
                vad_filter=vad_filter,
                # Conditioning on earlier text is what lets one hallucination repeat for minutes.
                condition_on_previous_text=False,
                no_speech_threshold=_NO_SPEECH_PROB,
                log_prob_threshold=-1.0,
                compression_ratio_threshold=2.4,
            )
            try:
                for raw in raw_segments:
                    text = raw.text.strip()
                    if _is_hallucination(text, raw.no_speech_prob, raw.avg_logprob):
                        log.debug("Dropped likely hallucination %r (no_speech %.2f, logprob %.2f)",
                                  text, raw.no_speech_prob, raw.avg_logprob)
                    else:
                        segments.append(Segment(float(raw.start), float(raw.end), text))
                    if progress is not None and duration > 0:
                        done = max(done, min(1.0, float(raw.end) / duration))
                        progress(done)
                    if cancelled is not None and cancelled():
                        raise Cancelled("Transcription cancelled.")
            finally:
                raw_segments.close()  # stop the lazy decoder if we left early
        if progress is not None:
            progress(1.0)
        return Transcript(segments, info.language, duration)

    def transcribe_file(self, path: str | Path, **options) -> Transcript:
        """Decode ``path`` (any common audio format) and recognise it; bad files raise AudioFileError.

        Files get the VAD filter by default: recordings have pauses where Whisper invents words.
        """
        from voxpad.audio.decode import load_audio_file

        options.setdefault("vad_filter", True)
        return self.transcribe(load_audio_file(path), **options)
