"""Writing synthesised speech to a file: WAV always, OGG (Opus) and MP3 through PyAV.

PyAV is already installed with faster-whisper, so compressed formats cost no new
dependency. The format follows the file's extension.
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from voxpad.errors import AudioFileError
from voxpad.tts.reader import quick_start_spans
from voxpad.tts.reading_text import prepare_for_reading
from voxpad.tts.sentences import split_sentences

# Extension -> (container, codec, rate the codec accepts or None for any, bit rate).
_COMPRESSED = {
    ".ogg": ("ogg", "libopus", 24000, 48_000),
    ".opus": ("ogg", "libopus", 24000, 48_000),
    ".mp3": ("mp3", "libmp3lame", None, 64_000),
}
SUPPORTED_SUFFIXES = (".wav", *_COMPRESSED)
FILE_FILTER = "WAV audio (*.wav);;Ogg Opus audio (*.ogg);;MP3 audio (*.mp3)"


class SpeechFile:
    """An open audio file receiving float32 mono samples; use as a context manager."""

    def __init__(self, path: Path, sample_rate: int) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise AudioFileError(
                f"Voxpad can save speech as .wav, .ogg or .mp3, not as \"{self.path.suffix or self.path.name}\".")
        self._rate = sample_rate
        self._wav = None
        self._container = None
        try:
            # Probe with a plain open: a failing wave.open leaves a half-built writer, and
            # PyAV opens the file only when the first packet is written.
            open(self.path, "wb").close()
            if suffix == ".wav":
                self._wav = wave.open(str(self.path), "wb")
                self._wav.setnchannels(1)
                self._wav.setsampwidth(2)
                self._wav.setframerate(sample_rate)
            else:
                self._open_compressed(*_COMPRESSED[suffix])
        except OSError as exc:
            raise AudioFileError(f"Cannot write the audio file {self.path}: {_reason(exc)}.") from exc

    def _open_compressed(self, container_format: str, codec: str, rate: int | None, bit_rate: int) -> None:
        import av

        self._container = av.open(str(self.path), "w", format=container_format)
        self._stream = self._container.add_stream(codec, rate=rate or self._rate, layout="mono")
        self._stream.bit_rate = bit_rate
        self._resampler = av.AudioResampler(format=self._stream.format.name, layout="mono",
                                            rate=rate or self._rate)

    def write(self, samples: np.ndarray) -> None:
        try:
            if self._wav is not None:
                pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
                self._wav.writeframes(pcm.tobytes())
            elif len(samples):
                self._encode(np.ascontiguousarray(samples, dtype=np.float32))
        except OSError as exc:  # the disk filled up or went away while writing
            raise AudioFileError(f"Cannot write the audio file {self.path}: {_reason(exc)}.") from exc

    def _encode(self, samples: np.ndarray | None) -> None:
        import av

        frames = [None]
        if samples is not None:
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = self._rate
            frames = self._resampler.resample(frame)
        else:
            frames = self._resampler.resample(None) + [None]
        for frame in frames:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None
        if self._container is not None:
            try:
                self._encode(None)
            finally:
                self._container.close()
                self._container = None

    def __enter__(self) -> SpeechFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def export_speech(voice, text: str, path: Path, *, speed: float = 1.0,
                  on_progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> float:
    """Speak ``text`` (read as meant) into ``path``; returns the audio's length in seconds.

    Synthesises sentence by sentence so memory stays flat; ``on_progress(done, total)``
    after each; ``cancelled()`` returning True stops early and removes the file.
    """
    spans = quick_start_spans(split_sentences(prepare_for_reading(text).spoken), 0)
    if not spans:
        raise AudioFileError("There is no text to save as audio.")
    frames = 0
    with SpeechFile(path, voice.sample_rate) as out:
        for index, span in enumerate(spans, start=1):
            if cancelled is not None and cancelled():
                break
            samples = voice.synthesize(span.text, speed=speed)
            out.write(samples)
            frames += len(samples)
            if on_progress is not None:
                on_progress(index, len(spans))
    if cancelled is not None and cancelled():
        Path(path).unlink(missing_ok=True)
    return frames / voice.sample_rate


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc).strip().rstrip(".")[:160] or type(exc).__name__
