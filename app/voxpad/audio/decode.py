"""Reading audio files into the samples the speech model wants (float32, mono, 16 kHz).

PyAV (bundled FFmpeg, installed with faster-whisper) decodes every common format (wav,
flac, mp3, ogg, opus, m4a, webm…) and resamples in the same pass, so there is one code
path whatever the file. Every way a file can be wrong becomes an AudioFileError with a
sentence a person understands; no decoder traceback reaches the user.

Long files are read with AudioFileStream, block by block, so an hour of audio never sits in
memory at once; load_audio_file is the same decoder gathered into one array for short clips.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
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


def _clock(seconds: float) -> str:
    """``seconds`` as m:ss or h:mm:ss, the way a person reads a position in a recording."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class AudioFileDamaged(AudioFileError):
    """Decoding stopped part-way through a file: ``position`` seconds of it were read."""

    def __init__(self, message: str, position: float) -> None:
        super().__init__(message)
        self.position = position


# Containers whose header states the exact length, so a shorter decode means the file was cut off.
# (mp3/ogg/m4a durations are estimates from the bitrate and can be far off in a good file.)
_EXACT_LENGTH_CODECS = ("pcm_", "flac", "alac", "wavpack", "tta")
# How much shorter than its header a file may decode before we call it cut off.
_CUT_OFF_TOLERANCE_S = 1.0

# Samples per block yielded by AudioFileStream: big enough that per-block overhead is nothing,
# small enough that a block is a few hundred kB whatever the file's length.
DEFAULT_BLOCK_SECONDS = 5.0


class AudioFileStream:
    """An audio file decoded block by block to float32 mono 16 kHz, so memory does not grow with length.

    Iterate it (once) for numpy blocks of about ``block_seconds``. ``duration`` is the length the
    container declares (None if it does not say), ``samples_read`` how much has been decoded so
    far, ``fraction_read`` 0..1 for progress (by bytes when the length is unknown), and
    ``ended_early`` becomes true when a file whose header states its length stopped well short of
    it (a copy cut off part-way). Every decoder failure becomes an AudioFileError sentence; one
    after some sound was read is an AudioFileDamaged carrying the position.
    """

    def __init__(self, path: str | Path, block_seconds: float = DEFAULT_BLOCK_SECONDS) -> None:
        self.path = Path(path)
        _check_readable(self.path)
        self.block_samples = max(512, int(block_seconds * SAMPLE_RATE))
        self.duration: float | None = None
        self.samples_read = 0
        self.ended_early = False
        self.largest_block = 0  # samples; lets tests prove blocks stay bounded
        self._file_size = max(1, self.path.stat().st_size)
        self._bytes_seen = 0
        self._exact_length = False
        self._started = False
        self._finished = False

    @property
    def seconds_read(self) -> float:
        return self.samples_read / SAMPLE_RATE

    @property
    def fraction_read(self) -> float:
        if self._finished:
            return 1.0
        if self.duration:
            return min(1.0, self.seconds_read / self.duration)
        return min(1.0, self._bytes_seen / self._file_size)

    def ended_early_sentence(self) -> str:
        """The sentence to show when ``ended_early`` is set."""
        declared = _clock(self.duration or 0.0)
        return (f"{self.path} ends at {_clock(self.seconds_read)} although its header says {declared}; "
                f"the file looks cut off, so only the part before that was transcribed.")

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._started:
            raise RuntimeError("an AudioFileStream can be read only once")
        self._started = True
        import av  # imported here: PyAV pulls in FFmpeg

        try:
            container = av.open(str(self.path), mode="r", metadata_errors="ignore")
        except MemoryError:
            raise AudioFileError(f"{self.path} could not be opened: not enough memory.") from None
        except Exception as exc:  # PyAV raises many unrelated types for a bad file
            raise _decoder_failure(self.path, exc) from exc
        try:
            yield from self._blocks(av, container)
        finally:
            container.close()

    def _blocks(self, av, container) -> Iterator[np.ndarray]:
        try:
            stream = container.streams.audio[0]
        except IndexError as exc:
            raise _decoder_failure(self.path, exc) from exc
        if stream.duration is not None and stream.time_base is not None:
            self.duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            self.duration = container.duration / av.time_base
        codec = (stream.codec_context.name or "") if stream.codec_context else ""
        self._exact_length = codec.startswith(_EXACT_LENGTH_CODECS)
        # The same conversion faster-whisper's decode_audio uses (s16, mono downmix, 16 kHz),
        # so a streamed file gives the model exactly the samples a whole-file decode did.
        resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        pending: list[np.ndarray] = []
        pending_samples = 0
        for frame in self._frames(av, container, stream):
            for out in resampler.resample(frame):
                array = out.to_ndarray().reshape(-1)
                pending.append(array)
                pending_samples += len(array)
            if pending_samples >= self.block_samples:
                yield self._emit(pending)
                pending, pending_samples = [], 0
        try:
            for out in resampler.resample(None):  # flush what the resampler holds back
                pending.append(out.to_ndarray().reshape(-1))
        except Exception:  # a resampler that never saw a frame has nothing to flush
            pass
        if pending:
            block = self._emit(pending)
            if len(block):
                yield block
        if self.samples_read == 0:
            raise AudioFileError(f"{self.path} contains no sound (its length is zero).")
        if (self._exact_length and self.duration is not None
                and self.seconds_read < self.duration - _CUT_OFF_TOLERANCE_S):
            self.ended_early = True
        self._finished = True

    def _emit(self, pending: list[np.ndarray]) -> np.ndarray:
        joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
        block = joined.astype(np.float32) / np.float32(32768.0)
        self.samples_read += len(block)
        self.largest_block = max(self.largest_block, len(block))
        return block

    def _frames(self, av, container, stream):
        """Decoded frames; frames FFmpeg flags as invalid are skipped (as faster-whisper does)."""
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except av.error.InvalidDataError:
                return  # demuxing cannot go on past unreadable data: what was read is the file
            except MemoryError:
                raise self._damaged("not enough memory") from None
            except Exception as exc:
                raise self._failure_at_position(exc) from exc
            if packet.pos is not None and packet.pos >= 0:
                self._bytes_seen = packet.pos
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                continue
            except Exception as exc:
                raise self._failure_at_position(exc) from exc
            for frame in frames:
                frame.pts = None  # PyAV's resampler rejects timestamp jumps; order is what matters
                yield frame

    def _failure_at_position(self, exc: BaseException) -> AudioFileError:
        if self.samples_read == 0:
            return _decoder_failure(self.path, exc)
        return self._damaged("the rest could not be decoded")

    def _damaged(self, why: str) -> AudioFileDamaged:
        at = self.seconds_read
        return AudioFileDamaged(f"{self.path} is damaged after {_clock(at)}: {why}.", at)


def load_audio_file(path: str | Path) -> np.ndarray:
    """Decode ``path`` to float32 mono samples at 16 kHz, or raise AudioFileError.

    Holds the whole file in memory: for long files, iterate an AudioFileStream instead.
    """
    blocks = list(AudioFileStream(path, block_seconds=60.0))
    try:
        samples = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
    except MemoryError:
        raise AudioFileError(f"{path} is too long to load into memory.") from None
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
    # Some streams (raw ADTS, some ogg) carry no duration: decoding is the only way to know,
    # block by block so a long one costs no memory.
    stream = AudioFileStream(path)
    for _block in stream:
        pass
    return stream.seconds_read
