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
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def clock(seconds: float) -> str:
    """``seconds`` as m:ss or h:mm:ss, the way a person reads a position in a recording."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class AudioFileDamaged(AudioFileError):
    """The file breaks off part-way (cut off, or undecodable from some point): ``position`` seconds were read.

    Raised by AudioFileStream after the last good block, so a reader has every sample that was
    there before it learns the rest is missing. ``headline`` is the sentence without its full
    stop, for callers that go on to say what they kept ("…; the text before that is kept.").
    """

    def __init__(self, headline: str, position: float) -> None:
        super().__init__(f"{headline}.")
        self.headline = headline
        self.position = position


# -- files cut off part-way ----------------------------------------------------------------------
# FFmpeg trusts whatever bytes are there: a WAV's length is worked out from the file's size and an
# Ogg's from its last page, so a copy cut off part-way decodes without complaint and looks whole.
# The checks below read a few kB with the stdlib and ask the container's own bookkeeping instead.

# Codecs whose container states the exact length (AIFF/CAF frame counts, FLAC STREAMINFO), and
# containers that do (mp4/mov sample tables, Matroska/WebM's Duration when a writer filled it
# in), so decoding well short of it means a cut-off file. (mp3 without a Xing/Info frame and raw
# AAC only have bitrate estimates, far off in good files.)
_EXACT_LENGTH_CODECS = ("pcm_", "flac", "alac", "wavpack", "tta")
_EXACT_LENGTH_CONTAINERS = ("mov", "mp4", "matroska", "webm")
# How much shorter than its stated length a file may decode before we call it cut off (mp3/aac
# encoder delay and padding are a few tens of ms; a real cut loses more).
_CUT_OFF_TOLERANCE_S = 1.0
# Data sizes WAV writers leave in the header when they do not know the length (writing to a pipe,
# a recorder that never finished, RF64's pointer to its ds64 chunk, sox's "unspecified"): not a
# claim about the length, so never taken as a sign of a cut.
_WAV_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
_WAV_PLACEHOLDER_FROM = 0x7FFFF000
# An Ogg page is at most 65,307 bytes, so the file's last page starts within this many of its end.
_OGG_TAIL_BYTES = 65_536


@dataclass(frozen=True)
class _Bookkeeping:
    """What a file's container says about its end, read before decoding."""

    declared: float | None = None  # seconds a WAV header announces, set only if the file holds less
    cut_off: bool = False  # the structure shows the end is missing, length unknown (Ogg without its last page)
    counted_mp3: bool = False  # an mp3 whose Xing/Info/VBRI frame counts its frames: FFmpeg's length is exact


def _read_bookkeeping(path: Path) -> _Bookkeeping:
    """The container's own idea of where the file ends; an unreadable header just means "no idea"."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            magic = handle.read(4)
            if magic == b"RIFF":
                return _Bookkeeping(declared=_wav_declared_if_short(handle, size))
            if magic == b"OggS":
                return _Bookkeeping(cut_off=_ogg_end_missing(handle, size))
            return _Bookkeeping(counted_mp3=_mp3_counts_its_frames(handle))
    except (OSError, struct.error):
        return _Bookkeeping()


def _wav_declared_if_short(handle: BinaryIO, size: int) -> float | None:
    """Seconds a RIFF/WAVE header announces if the file holds less audio than that, else None."""
    handle.seek(8)
    if handle.read(4) != b"WAVE":
        return None
    byte_rate = block_align = 0
    offset = 12
    for _ in range(64):  # a WAV has a handful of chunks before its data; a corrupt list ends here
        handle.seek(offset)
        header = handle.read(8)
        if len(header) < 8:
            return None
        name, length = header[:4], struct.unpack("<I", header[4:])[0]
        if name == b"fmt ":
            _, _, _, byte_rate, block_align = struct.unpack("<HHIIH", handle.read(14))
        elif name == b"data":
            if not byte_rate or length in _WAV_UNKNOWN_SIZES or length >= _WAV_PLACEHOLDER_FROM:
                return None
            missing = offset + 8 + length - size
            # Less than one sample frame missing is a sloppy writer, not lost audio.
            return length / byte_rate if missing >= max(1, block_align) else None
        offset += 8 + length + (length & 1)  # chunks are padded to an even size
    return None


def _ogg_end_missing(handle: BinaryIO, size: int) -> bool:
    """True if an Ogg file stops inside a page, or its last page is not an end-of-stream page.

    Every Ogg writer (libogg, FFmpeg, libsndfile) flags the last page of a stream as its end, so a
    file that stops without one was cut off (or is an unfinished recording: its end is missing too).
    """
    handle.seek(max(0, size - _OGG_TAIL_BYTES))
    tail = handle.read()
    at = tail.rfind(b"OggS")
    while at >= 0 and len(tail) - at >= 27 and tail[at + 4] != 0:
        at = tail.rfind(b"OggS", 0, at)  # "OggS" inside compressed data, not a page (version is 0)
    if at < 0:
        return False  # no page in sight: nothing to go by
    if len(tail) - at < 27:
        return True  # the file stops inside the last page's header
    segments = tail[at + 26]
    lacing = tail[at + 27: at + 27 + segments]
    if at + 27 + segments + sum(lacing) > len(tail) or len(lacing) < segments:
        return True  # the file stops inside the last page
    return not tail[at + 5] & 0x04  # header type flag 4: end of stream


def _mp3_counts_its_frames(handle: BinaryIO) -> bool:
    """True if the file starts (after any ID3v2 tag) with an mp3 frame carrying a Xing/Info/VBRI frame count."""
    handle.seek(0)
    head = handle.read(10)
    start = 0
    if len(head) == 10 and head[:3] == b"ID3":
        tag_size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]  # syncsafe integer
        start = 10 + tag_size + (10 if head[5] & 0x10 else 0)  # flag 0x10: a footer follows the tag
    handle.seek(start)
    frame = handle.read(256)
    if len(frame) < 4 or frame[0] != 0xFF or frame[1] & 0xE0 != 0xE0:
        return False
    # The Xing/Info tag sits after the side information (at most 36 bytes in), VBRI at 36.
    return any(tag in frame[:64] for tag in (b"Xing", b"Info", b"VBRI"))


def _mp4_without_index(path: Path) -> bool:
    """True for an mp4/m4a whose top-level boxes stop before any 'moov' (its index, written last)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            offset, seen = 0, []
            while offset + 8 <= size and len(seen) < 64:
                handle.seek(offset)
                length, name = struct.unpack(">I4s", handle.read(8))
                if length == 1:  # a 64-bit size follows
                    length = struct.unpack(">Q", handle.read(8))[0]
                seen.append(name)
                if name == b"moov":
                    return False
                if length < 8:
                    break  # 0 means "to the end of the file"; below 8 is damage
                offset += length
    except (OSError, struct.error):
        return False
    return bool(seen) and seen[0] == b"ftyp" and offset > size  # the last box runs past the end


# Samples per block yielded by AudioFileStream: big enough that per-block overhead is nothing,
# small enough that a block is a few hundred kB whatever the file's length.
DEFAULT_BLOCK_SECONDS = 5.0


class AudioFileStream:
    """An audio file decoded block by block to float32 mono 16 kHz, so memory does not grow with length.

    Iterate it (once) for numpy blocks of about ``block_seconds``. ``duration`` is the length the
    container declares (None if it does not say), ``samples_read`` how much has been decoded so
    far, and ``fraction_read`` 0..1 for progress (by bytes when the length is unknown). Every
    decoder failure becomes an AudioFileError sentence. A file that breaks off part-way (cut off
    before the end its container states, or undecodable from some point) yields every good block
    first and then raises AudioFileDamaged with the position: one signal for both, which a reader
    cannot overlook the way it could a flag.
    """

    def __init__(self, path: str | Path, block_seconds: float = DEFAULT_BLOCK_SECONDS) -> None:
        self.path = Path(path)
        _check_readable(self.path)
        self.block_samples = max(512, int(block_seconds * SAMPLE_RATE))
        self.duration: float | None = None
        self.samples_read = 0
        self.largest_block = 0  # samples; lets tests prove blocks stay bounded
        self._file_size = max(1, self.path.stat().st_size)
        self._bytes_seen = 0
        self._exact_length = False
        self._bookkeeping = _Bookkeeping()
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

    def __iter__(self) -> Iterator[np.ndarray]:
        if self._started:
            raise RuntimeError("an AudioFileStream can be read only once")
        self._started = True
        self._bookkeeping = _read_bookkeeping(self.path)
        import av  # imported here: PyAV pulls in FFmpeg

        try:
            container = av.open(str(self.path), mode="r", metadata_errors="ignore")
        except MemoryError:
            raise AudioFileError(f"{self.path} could not be opened: not enough memory.") from None
        except Exception as exc:  # PyAV raises many unrelated types for a bad file
            if _mp4_without_index(self.path):
                raise AudioFileError(f"The file {self.path} is cut off before its index (written last), "
                                     f"so none of it can be read.") from exc
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
        self._exact_length = self._states_exact_length(container, stream)
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
        self._finished = True
        if self.samples_read == 0:
            raise self._no_sound()
        cut = self._cut_off()
        if cut is not None:
            raise cut  # after the last good block: the reader already has everything that is there

    def _states_exact_length(self, container, stream) -> bool:
        codec = (stream.codec_context.name or "") if stream.codec_context else ""
        if codec.startswith(_EXACT_LENGTH_CODECS):
            return True
        if codec.startswith("mp3"):
            return self._bookkeeping.counted_mp3
        return any(name in (container.format.name or "").split(",") for name in _EXACT_LENGTH_CONTAINERS)

    def _no_sound(self) -> AudioFileError:
        if self._bookkeeping.declared:
            return AudioFileError(f"The file {self.path} is cut off before any of its "
                                  f"{clock(self._bookkeeping.declared)} of sound.")
        return AudioFileError(f"{self.path} contains no sound (its length is zero).")

    def _cut_off(self) -> AudioFileDamaged | None:
        """The error for a file that stops before the end its container states, or None if it is whole."""
        at = self.seconds_read
        declared = self._bookkeeping.declared
        if (declared is None and self._exact_length and self.duration is not None
                and at < self.duration - _CUT_OFF_TOLERANCE_S):
            declared = self.duration
        if declared is not None:
            return AudioFileDamaged(f"The file {self.path} is cut off at {clock(at)} of {clock(declared)}", at)
        if self._bookkeeping.cut_off:
            return AudioFileDamaged(f"The file {self.path} is cut off at {clock(at)}", at)
        return None

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
        return AudioFileDamaged(f"The file {self.path} is damaged after {clock(at)} ({why})", at)


def load_audio_file(path: str | Path) -> np.ndarray:
    """Decode ``path`` to float32 mono samples at 16 kHz, or raise AudioFileError.

    Holds the whole file in memory: for long files, iterate an AudioFileStream instead. A file
    that breaks off part-way raises AudioFileDamaged (its samples are not returned).
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
