"""Microphone capture: a sounddevice input stream whose callback only queues copies of frames.

The stream is opened at 16 kHz mono, Whisper's format, so nothing is resampled here: the
sound server (PulseAudio/PipeWire through ALSA's pulse plugin) converts. Everything that
can go wrong with a device becomes an AudioDeviceError with one sentence; if the device
dies mid-capture, what was captured is still handed out and ``failure`` says why it stopped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Callable

import numpy as np

from voxpad.audio.blocks import SAMPLE_RATE, AudioBlock
from voxpad.errors import AudioDeviceError

log = logging.getLogger(__name__)

# A live stream delivers a block every block_seconds; this long without one means it stalled
# (a sound server that froze). The first block gets longer: an idle PulseAudio null sink or a
# Bluetooth headset switching profile can take 2 s to start delivering.
_STALL_SECONDS = 3.0
_FIRST_BLOCK_SECONDS = 6.0

StreamFactory = Callable[..., Any]


def _sounddevice():
    """The sounddevice module, or AudioDeviceError if PortAudio itself is missing."""
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio cannot be loaded
        raise AudioDeviceError(
            "Sound input is unavailable because the PortAudio library is not installed."
        ) from exc
    return sounddevice


def _input_devices() -> list[dict]:
    try:
        return [dict(d) for d in _sounddevice().query_devices() if d["max_input_channels"] > 0]
    except Exception:  # no library, no server, or a driver that fails to enumerate
        return []


def list_input_devices() -> list[str]:
    """Names of the devices that can record, as the sound system lists them; empty if there are none."""
    return [device["name"] for device in _input_devices()]


def default_input_name() -> str | None:
    """Name of the system's default recording device, or None if there is none."""
    try:
        sd = _sounddevice()
        return str(sd.query_devices(kind="input")["name"])
    except Exception:
        return None


def resolve_input_device(name: str | int | None) -> tuple[str | int | None, bool]:
    """Map a stored device name to what sounddevice accepts, and whether we fell back to the default.

    Settings store names, because indices change when devices come and go. A name that is no
    longer present falls back to the default device rather than failing: dictation should work
    with whatever microphone is there.
    """
    if name is None or isinstance(name, int):
        return name, False
    names = list_input_devices()
    if name in names:
        return name, False
    partial = [candidate for candidate in names if name.lower() in candidate.lower()]
    if len(partial) == 1:
        return partial[0], False
    log.warning("Input device %r not found; using the default device", name)
    return None, True


def _open_failure(device: str | int | None, exc: BaseException) -> AudioDeviceError:
    """One sentence for why a stream could not be opened."""
    message = str(exc)
    label = f"The microphone {device!r}" if device is not None else "The microphone"
    if not _input_devices():
        return AudioDeviceError(
            "No microphone was found; connect one, or check that the sound server (PulseAudio or PipeWire) is running."
        )
    if "-9985" in message or "unavailable" in message.lower() or "busy" in message.lower():
        return AudioDeviceError(f"{label} is busy or unavailable; close other programs using it and try again.")
    if "-9997" in message or "sample rate" in message.lower():
        return AudioDeviceError(
            f"{label} cannot record at 16 kHz; choose the 'default' or 'pulse' device in Settings."
        )
    return AudioDeviceError(f"{label} could not be opened ({message}).")


class Microphone:
    """One recording stream at 16 kHz mono, handed out as AudioBlocks.

    ``start()`` opens the device; ``read()`` hands out blocks in order; ``stop()`` closes the
    device and returns every block not yet read, so nothing captured is lost. Start and stop
    may be called from any thread; read() and stop() belong to one consumer thread.
    ``stream_factory`` is ``sounddevice.InputStream`` unless a test passes a stand-in.
    """

    def __init__(
        self,
        device: str | int | None = None,
        samplerate: int = SAMPLE_RATE,
        block_seconds: float = 0.05,
        stream_factory: StreamFactory | None = None,
    ) -> None:
        if samplerate != SAMPLE_RATE:
            # AudioBlock times and the speech model both assume SAMPLE_RATE.
            raise ValueError(f"Microphone records at {SAMPLE_RATE} Hz only")
        self.requested_device = device
        self.samplerate = samplerate
        self.block_seconds = block_seconds
        self._stream_factory = stream_factory
        self._queue: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._stream: Any = None
        self._lock = threading.Lock()
        self._samples_read = 0
        self._level = 0.0
        self._failure: AudioDeviceError | None = None
        self._stream_finished = threading.Event()
        self._stopping = False
        self._last_block_at = 0.0
        self.device_name: str | int | None = None
        self.fell_back_to_default = False

    # -- the real-time side -------------------------------------------------------------

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # Runs on PortAudio's thread: copy and queue, nothing else (no logging, no locks).
        self._queue.put(indata.copy())

    def _finished(self) -> None:
        # PortAudio calls this when the stream ends for any reason, including a vanished device.
        self._stream_finished.set()

    # -- the consumer side ----------------------------------------------------------------

    @property
    def level(self) -> float:
        """Loudness of the last block read, 0..1, for a level meter."""
        return self._level

    @property
    def failure(self) -> AudioDeviceError | None:
        """Why capture stopped on its own (device unplugged, stream stalled), else None."""
        return self._failure

    @property
    def running(self) -> bool:
        return self._stream is not None

    def start(self) -> None:
        """Open and start the device, or raise AudioDeviceError with a sentence."""
        with self._lock:
            if self._stream is not None:
                return
            factory = self._stream_factory
            if factory is None:
                factory = _sounddevice().InputStream
            device, fell_back = resolve_input_device(self.requested_device)
            self.device_name, self.fell_back_to_default = device, fell_back
            self._failure = None
            self._stopping = False
            self._stream_finished.clear()
            self._samples_read = 0
            self._level = 0.0
            self._queue = queue.SimpleQueue()
            try:
                stream = factory(
                    device=device,
                    samplerate=self.samplerate,
                    channels=1,
                    dtype="float32",
                    blocksize=max(1, int(round(self.block_seconds * self.samplerate))),
                    callback=self._callback,
                    finished_callback=self._finished,
                )
                stream.start()
            except AudioDeviceError:
                raise
            except Exception as exc:  # PortAudioError, ValueError("No input device matching"), OSError
                raise _open_failure(device, exc) from exc
            self._stream = stream
            self._last_block_at = time.monotonic()

    def _to_block(self, frames: np.ndarray) -> AudioBlock:
        samples = np.ascontiguousarray(frames.reshape(-1) if frames.ndim == 1 else frames[:, 0], dtype=np.float32)
        block = AudioBlock(samples, self._samples_read / self.samplerate)
        self._samples_read += len(samples)
        self._level = block.level
        return block

    def read(self, timeout: float = 0.1) -> AudioBlock | None:
        """The next block, waiting up to ``timeout`` seconds (0: don't wait); None if none came.

        Call read() and stop() from one consumer thread: blocks are numbered as they are read.
        After None, check ``failure``: capture may have ended on its own.
        """
        try:
            frames = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            self._check_health()
            return None
        self._last_block_at = time.monotonic()
        return self._to_block(frames)

    def _check_health(self) -> None:
        """Notice a stream that ended or stalled while we were not stopping it."""
        if self._stream is None or self._stopping or self._failure is not None:
            return
        try:
            ended = self._stream_finished.is_set() or not self._stream.active
        except Exception:  # asking a broken stream whether it is active can itself fail
            ended = True
        if ended:
            self._failure = AudioDeviceError(
                "The microphone stopped working (was it unplugged?); what was recorded so far is kept."
            )
        elif time.monotonic() - self._last_block_at > self._allowed_gap():
            self._failure = AudioDeviceError(
                "The microphone stopped sending sound; what was recorded so far is kept."
            )

    def _allowed_gap(self) -> float:
        return _STALL_SECONDS if self._samples_read else _FIRST_BLOCK_SECONDS

    def stop(self) -> list[AudioBlock]:
        """Close the device and return every block not yet read (in order)."""
        with self._lock:
            stream, self._stream = self._stream, None
            self._stopping = True
            if stream is not None:
                # stop() waits for the last callback, so every frame recorded is in the queue after it.
                # A device that already vanished may refuse to stop or close: the frames are what matter.
                for action in (stream.stop, stream.close):
                    try:
                        action()
                    except Exception as exc:
                        log.debug("Ignoring error while closing the input stream: %s", exc)
            blocks = []
            while True:
                try:
                    blocks.append(self._to_block(self._queue.get_nowait()))
                except queue.Empty:
                    return blocks

    def __enter__(self) -> "Microphone":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ReplayInputStream:
    """A stand-in for ``sounddevice.InputStream`` that plays prepared audio as if it were heard.

    Used as a Microphone's ``stream_factory`` by ``voxpad transcribe --live`` (and tests) so a
    file goes through exactly the path live speech takes. ``source`` is either one samples array
    or an iterable of float32 mono blocks of any size (e.g. an AudioFileStream), pulled only as
    fast as it is played, so an hour-long file never sits in memory. Blocks are delivered from a
    thread at real-time pace times ``pace``; ``exhausted`` is set once the last block was
    delivered, and ``started_at`` (time.monotonic()) is when delivery began: the feeder's clock.
    If the source raises part-way (a file that breaks off), what came before is delivered,
    ``error`` holds the exception and ``exhausted`` is set all the same: that is where the sound
    ends. Like a file, not a device, it never ends by itself: it waits to be stopped.
    """

    def __init__(self, source: np.ndarray | Iterable[np.ndarray], *, pace: float = 1.0,
                 **stream_options: Any) -> None:
        if pace <= 0:
            raise ValueError("pace must be positive")
        self._source = source
        self._pace = pace
        self._callback = stream_options["callback"]
        self._blocksize = int(stream_options.get("blocksize") or 800)
        self._samplerate = int(stream_options.get("samplerate") or SAMPLE_RATE)
        self._stopped = threading.Event()
        self.exhausted = threading.Event()
        self.started_at: float | None = None
        self.error: Exception | None = None
        self._thread: threading.Thread | None = None
        self.active = False

    @classmethod
    def factory(cls, source: np.ndarray | Iterable[np.ndarray], *,
                pace: float = 1.0) -> Callable[..., "ReplayInputStream"]:
        """A stream_factory for Microphone; the stream it made is then in ``factory.stream``.

        An iterable source is played once (the stream closes it when done, releasing e.g. a
        decoder's open file), so the factory makes one useful stream from it.
        """

        def make(**stream_options: Any) -> ReplayInputStream:
            make.stream = cls(source, pace=pace, **stream_options)  # type: ignore[attr-defined]
            return make.stream  # type: ignore[attr-defined]

        make.stream = None  # type: ignore[attr-defined]
        return make

    def start(self) -> None:
        self.active = True
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._deliver, name="voxpad-replay", daemon=True)
        self._thread.start()

    def _frames(self) -> Iterator[np.ndarray]:
        """The source in ``blocksize`` frames (the last may be shorter), whatever its blocks' sizes."""
        blocks = [self._source] if isinstance(self._source, np.ndarray) else self._source
        leftover = np.zeros(0, dtype=np.float32)
        try:
            for block in blocks:
                block = np.asarray(block, dtype=np.float32).reshape(-1)
                if len(leftover):
                    block = np.concatenate([leftover, block])
                whole = len(block) - len(block) % self._blocksize
                for offset in range(0, whole, self._blocksize):
                    yield block[offset : offset + self._blocksize]
                leftover = block[whole:]
        except Exception:
            if len(leftover):
                yield leftover  # the source broke off: still play up to its last sample
            raise
        if len(leftover):
            yield leftover

    def _deliver(self) -> None:
        assert self.started_at is not None
        block_seconds = self._blocksize / self._samplerate / self._pace
        frames = self._frames()
        try:
            for index, frame in enumerate(frames):
                # Sleep to a schedule, not a fixed interval, so delivery never drifts behind the clock.
                delay = self.started_at + (index + 1) * block_seconds - time.monotonic()
                if delay > 0 and self._stopped.wait(delay):
                    return
                if self._stopped.is_set():
                    return
                self._callback(frame.reshape(-1, 1), len(frame), None, None)
        except Exception as exc:  # the source broke off: the sound ends here, the reader asks why
            self.error = exc
        finally:
            frames.close()
            close = getattr(self._source, "close", None)  # a generator's decoder and its open file
            if close is not None:
                close()
        self.exhausted.set()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
        self.active = False

    def close(self) -> None:
        self.stop()
