"""Reading audio files into the samples the speech model wants (float32, mono, 16 kHz).

PyAV (bundled FFmpeg, installed with faster-whisper) decodes every common format (wav,
flac, mp3, ogg, opus, m4a, webm…) and resamples in the same pass, so there is one code
path whatever the file. Every way a file can be wrong becomes an AudioFileError with a
sentence a person understands; no decoder traceback reaches the user.
"""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.errors import AudioFileError


def _check_readable(path: Path) -> None:
    """Raise AudioFileError if ``path`` is not a non-empty file this process may read."""
    try:
        if not path.exists():
            raise AudioFileError(f"The file {path} does not exist.")
        if path.is_dir():
            raise AudioFileError(f"{path} is a folder, not an audio file.")
        # Opening, not os.access(): it is the real check, and it also holds for root.
        with open(path, "rb") as handle:
            first_byte = handle.read(1)
    except AudioFileError:
        raise
    except PermissionError as exc:
        raise AudioFileError(f"Voxpad is not allowed to read {path}; check the file's permissions.") from exc
    except OSError as exc:
        raise AudioFileError(f"The file {path} could not be read ({exc.strerror or exc}).") from exc
    if not first_byte:
        raise AudioFileError(f"The file {path} is empty.")


def _decoder_failure(path: Path, exc: BaseException) -> AudioFileError:
    """Turn whatever FFmpeg/PyAV raised into one sentence."""
    if isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EACCES:
        return AudioFileError(f"Voxpad is not allowed to read {path}; check the file's permissions.")
    if isinstance(exc, IndexError):
        # PyAV found a container (e.g. a subtitle or text format) with no audio stream in it.
        return AudioFileError(f"{path} has no sound in it; choose an audio or video file with sound.")
    return AudioFileError(f"{path} is not an audio file Voxpad can read.")


def load_audio_file(path: str | Path) -> np.ndarray:
    """Decode ``path`` to float32 mono samples at 16 kHz, or raise AudioFileError."""
    path = Path(path)
    _check_readable(path)
    from faster_whisper.audio import decode_audio  # imported here: pulls in PyAV

    try:
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except MemoryError:
        raise AudioFileError(f"{path} is too long to load into memory.") from None
    except Exception as exc:  # PyAV raises many unrelated types for a bad file
        raise _decoder_failure(path, exc) from exc
    if samples.size == 0:
        raise AudioFileError(f"{path} contains no sound (its length is zero).")
    return np.ascontiguousarray(samples, dtype=np.float32)


def audio_duration(path: str | Path) -> float:
    """Length of ``path`` in seconds, read from the container without decoding, or raise AudioFileError."""
    path = Path(path)
    _check_readable(path)
    import av

    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise IndexError("no audio stream")
            stream = container.streams.audio[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return container.duration / av.time_base
    except Exception as exc:
        raise _decoder_failure(path, exc) from exc
    # Some streams (raw ADTS, some ogg) carry no duration: decoding is the only way to know.
    return len(load_audio_file(path)) / SAMPLE_RATE
