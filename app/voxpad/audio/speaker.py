"""Playback through one output stream that stays open while there is something to say.

Opening a stream per sentence adds a stream start before every sentence (design.md
measured ~150 ms) and gaps between them, so the Speaker keeps one stream open and feeds
it from a queue. A running idle stream keeps its whole device buffer (100 ms) full of
silence, which new audio then waits behind, while a stream started with the audio already
queued sounds within a few ms (measured at a PulseAudio sink: idle running 117 ms, fresh
stream 10 ms). So stop() (which every new reading begins with) aborts the stream, and a
play() after stop() or after a silence opens a fresh one, queues, then starts it. Fresh, not restarted: starting a
stopped stream blocks for ever if the sound server died meanwhile, while opening one
fails at once. The audio callback only copies
prepared float32 samples (silence when the queue runs dry); everything slow, including
telling listeners which queued piece has started sounding, runs on a notifier thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voxpad.audio.resample import resample
from voxpad.errors import AudioDeviceError

_LOG = logging.getLogger(__name__)

# Measured through ALSA's pulse plugin on two cores while synthesising: 512-frame blocks
# (23 ms at 22050 Hz); PortAudio's own block size (~190 frames) underran by the hundreds.
# A fixed block also bounds how long stop() takes to silence the output. PortAudio's
# "high" latency (46 ms of buffer) still underran on loaded cores (load average 5: 3-5
# underruns in 8 s), and every underrun makes the pulse plugin restart the stream, which
# the sound server then pulls again only after up to 2 s: an 8 s clip took 15 s. A
# 100 ms buffer played the same clip with none, for ~70 ms more before first sound.
_LATENCY = 0.1
_BLOCKSIZE = 512
# The notifier's heartbeat: how often it checks for a stalled device or an idle stream.
_TICK_SECONDS = 0.25
# No callback for this long while the stream is open means the device has hung. PulseAudio's
# null sink, when idle, first pulls from a new stream after up to 2 s, so stay above that.
_STALL_SECONDS = 5.0
# An idle open stream holds a connection to the sound server, so it closes after a while;
# reopening costs one stream start, paid only after a long pause.
_IDLE_CLOSE_SECONDS = 30.0
# A running stream silent for this long is replaced by a fresh one at the next play(): less
# than a sentence's natural pause, so a reading's own pauses never reopen the stream.
_FRESH_AFTER_IDLE_SECONDS = 0.3
# Markers are reported when their first sample reaches the device, but never wait longer.
_MAX_MARKER_DELAY = 1.0

MarkerListener = Callable[[object], None]
FailureListener = Callable[[AudioDeviceError], None]


def list_output_devices() -> list[str]:
    """Names of the output devices, as settings store them: PortAudio's order, each once."""
    sounddevice = _sounddevice()
    try:
        devices = sounddevice.query_devices()
    except Exception as exc:
        raise AudioDeviceError(f"The sound system could not list output devices: {exc}.") from exc
    names: list[str] = []
    for device in devices:
        if device["max_output_channels"] > 0 and device["name"] not in names:
            names.append(device["name"])
    return names


@dataclass
class _Piece:
    """Samples at the stream's rate; ``position`` is advanced only by the audio callback."""

    samples: np.ndarray
    marker: object | None
    generation: int
    position: int = 0


@dataclass(frozen=True)
class _Started:
    """A marked piece began playing: its first sample reaches the device at ``dac_time``."""

    marker: object
    generation: int
    dac_time: float


@dataclass
class _StreamState:
    """One open stream and the counters its callback keeps (each written by one thread)."""

    stream: Any
    samplerate: int
    queued_frames: int = 0  # written by play() under the Speaker's lock
    consumed_frames: int = 0  # written by the callback: played or dropped by stop()
    last_sound_end: float = 0.0  # stream time at which the last written sample sounds
    last_callback: float = field(default_factory=time.monotonic)
    last_play: float = field(default_factory=time.monotonic)  # when play() last queued audio
    underflows: int = 0  # callbacks that reported a glitch (diagnostics for benchmarks)
    closing: bool = False
    running: bool = False  # started and not aborted: the callback is being called


class Speaker:
    """Plays queued float32 mono audio through one output device.

    ``device`` is an output device name (as :func:`list_output_devices` gives it), an
    index, or None for the default; an unknown name falls back to the default device.
    ``stream_factory`` defaults to ``sounddevice.OutputStream``; tests hand in a fake one
    for hardware that cannot exist here. Listeners are called from the notifier thread.
    """

    def __init__(
        self,
        device: str | int | None = None,
        stream_factory: Callable[..., Any] | None = None,
        *,
        samplerate: int | None = None,
        on_marker: MarkerListener | None = None,
        on_failure: FailureListener | None = None,
    ) -> None:
        self.device = device  # as requested; what opens may be the default if it is missing
        self._stream_factory = stream_factory
        self._fixed_samplerate = samplerate
        self._marker_listeners: list[MarkerListener] = [on_marker] if on_marker else []
        self._failure_listeners: list[FailureListener] = [on_failure] if on_failure else []
        self._lock = threading.RLock()
        self._state: _StreamState | None = None
        self._current: _Piece | None = None
        self._pending: deque[_Piece] = deque()
        self._started: deque[_Started] = deque()
        self._generation = 0
        self._paused = False
        self._volume = 1.0
        self._failure: AudioDeviceError | None = None
        self._failure_reported = False
        self._closed = False
        self._wakeup = threading.Event()
        self._interrupt = threading.Event()  # stop()/close(): abandon waiting on a marker
        self._progress = threading.Condition()
        self._notifier: threading.Thread | None = None
        self.device_name: str | None = None

    # -- listeners ------------------------------------------------------------------

    def add_marker_listener(self, listener: MarkerListener) -> None:
        """Call ``listener(marker)`` when a piece queued with that marker starts sounding."""
        self._marker_listeners.append(listener)

    def remove_marker_listener(self, listener: MarkerListener) -> None:
        if listener in self._marker_listeners:
            self._marker_listeners.remove(listener)

    def add_failure_listener(self, listener: FailureListener) -> None:
        """Call ``listener(error)`` once if the device fails while open."""
        self._failure_listeners.append(listener)

    def remove_failure_listener(self, listener: FailureListener) -> None:
        if listener in self._failure_listeners:
            self._failure_listeners.remove(listener)

    # -- state --------------------------------------------------------------------------

    @property
    def failure(self) -> AudioDeviceError | None:
        """Why the device stopped mid-play, until :meth:`stop` clears it; else None."""
        return self._failure

    @property
    def samplerate(self) -> int | None:
        """The open stream's rate, or None while no stream is open."""
        state = self._state
        return state.samplerate if state else None

    @property
    def queued_seconds(self) -> float:
        """Audio queued but not yet handed to the device."""
        state = self._state
        if state is None:
            return 0.0
        return max(0, state.queued_frames - state.consumed_frames) / state.samplerate

    @property
    def underflows(self) -> int:
        """Glitches (buffer under- or overflows) the open stream has reported."""
        state = self._state
        return state.underflows if state else 0

    @property
    def is_playing(self) -> bool:
        return self.queued_seconds > 0

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def volume(self) -> float:
        """Gain applied to everything played, 0.0 (silent) to 1.0 (as synthesised)."""
        return self._volume

    @volume.setter
    def volume(self, value: float) -> None:
        # Applied in the callback to the very next block: a multiply, no allocation.
        self._volume = min(1.0, max(0.0, float(value)))

    # -- playback -----------------------------------------------------------------------

    def open(self, samplerate: int) -> None:
        """Open (and start) the output stream now, to save the start-up later.

        A running stream also tells, by its callbacks stopping, when the device has gone.
        """
        with self._lock:
            self._raise_if_unusable()
            if self._state is None:
                self._state = self._open_stream(self._fixed_samplerate or samplerate)
                self._start(self._state)
                self._ensure_notifier()
            else:
                self._state.last_play = time.monotonic()  # in use again: not idle

    def play(self, samples: np.ndarray, samplerate: int, marker: object | None = None) -> None:
        """Queue mono ``samples`` at ``samplerate``; ``marker`` is reported when they start sounding."""
        audio = np.asarray(samples, dtype=np.float32)
        if audio.ndim == 2:
            audio = audio.mean(axis=1)  # a stereo clip: Voxpad plays mono
        audio = audio.reshape(-1)
        with self._lock:
            self._raise_if_unusable()
            state = self._state
            if state is not None and (not state.running or self._idle(state)):
                # Aborted by stop(), or running on silence: a fresh stream, see the module's docstring.
                self._close_stream()
                state = None
            fresh = state is None
            if fresh:
                state = self._state = self._open_stream(self._fixed_samplerate or samplerate)
                self._ensure_notifier()
            if samplerate != state.samplerate:
                audio = resample(audio, samplerate, state.samplerate)
            state.queued_frames += len(audio)
            state.last_play = time.monotonic()
            self._pending.append(_Piece(np.ascontiguousarray(audio), marker, self._generation))
            if fresh:
                self._start(state)  # with the audio queued: its first block is this audio

    def _idle(self, state: _StreamState) -> bool:
        """True when a running stream has played everything and has been silent a while
        (or has played nothing yet since open(): `voxpad speak -` opens, says ready, and the
        first line follows within moments)."""
        if (self._paused or self._pending or self._current is not None
                or state.consumed_frames < state.queued_frames):
            return False
        if state.queued_frames and time.monotonic() - state.last_play < _FRESH_AFTER_IDLE_SECONDS:
            return False
        now = _stream_time(state.stream)
        return now is None or now >= state.last_sound_end

    def pause(self) -> None:
        """Hold playback (the device plays silence) without losing the queue."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def stop(self) -> None:
        """Drop everything queued and silence the device at once. Also clears a failure."""
        with self._lock:
            self._generation += 1  # the callback drops pieces of older generations
            self._paused = False
            self._started.clear()
            state = self._state
            if state is not None and state.running:
                # Abort, not just drop the queue: what the device buffer holds (up to 100 ms)
                # is discarded too, and the next play() starts a fresh stream within a few ms
                # instead of queueing behind buffered audio or silence.
                state.running = False
                try:
                    state.stream.abort()
                except Exception:
                    _LOG.debug("Aborting the output stream failed", exc_info=True)
            if state is not None and not state.running:  # no callback to drop them: drop them here
                self._current = None
                self._pending.clear()
                state.consumed_frames = state.queued_frames
            if self._failure is not None:
                self._failure = None
                self._failure_reported = False
                self._close_stream()
        self._interrupt.set()
        self._wakeup.set()

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything queued has sounded; False on timeout.

        Raises the device's AudioDeviceError if it failed meanwhile.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._progress:
            while True:
                if self._failure is not None:
                    raise self._failure
                state = self._state
                if state is None or state.consumed_frames >= state.queued_frames:
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._progress.wait(_TICK_SECONDS if remaining is None else min(remaining, _TICK_SECONDS))
        # The last block is in the device's buffer: wait until it has sounded.
        now = _stream_time(state.stream) if state is not None else None
        if state is not None and now is not None:
            delay = state.last_sound_end - now
            if deadline is not None:
                delay = min(delay, deadline - time.monotonic())
            if delay > 0:
                time.sleep(min(delay, _MAX_MARKER_DELAY))
        return True

    def close(self) -> None:
        """Stop playback and release the device; the Speaker cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._generation += 1
            self._close_stream()
        self._interrupt.set()
        self._wakeup.set()
        notifier = self._notifier
        if notifier is not None and notifier is not threading.current_thread():
            notifier.join(timeout=2)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the audio callback: copies only ---------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        state = self._state
        out = outdata[:, 0]
        filled = 0
        wake = False
        try:
            if state is None:
                out.fill(0)
                return
            state.last_callback = time.monotonic()
            if status:
                state.underflows += 1
            if self._paused:
                out.fill(0)
                return
            generation = self._generation
            dac_time = time_info.outputBufferDacTime
            rate = state.samplerate
            while filled < frames:
                piece = self._current
                if piece is None:
                    if not self._pending:
                        break
                    piece = self._pending.popleft()
                    self._current = piece
                if piece.generation != generation:  # stopped: drop it unplayed
                    state.consumed_frames += len(piece.samples) - piece.position
                    self._current = None
                    wake = True
                    continue
                if piece.position == 0 and piece.marker is not None:
                    self._started.append(_Started(piece.marker, generation, dac_time + filled / rate))
                    wake = True
                count = min(frames - filled, len(piece.samples) - piece.position)
                np.multiply(piece.samples[piece.position:piece.position + count], self._volume,
                            out=out[filled:filled + count])
                piece.position += count
                filled += count
                state.consumed_frames += count
                if piece.position >= len(piece.samples):
                    self._current = None
                    state.last_sound_end = dac_time + filled / rate
                    wake = True
            out[filled:] = 0
        except Exception as exc:  # never let an exception kill the stream silently
            out.fill(0)
            self._failure = AudioDeviceError(f"Playback failed: {exc}.")
            wake = True
        finally:
            if wake:
                self._wakeup.set()

    # -- the notifier thread ----------------------------------------------------------------

    def _ensure_notifier(self) -> None:
        if self._notifier is None or not self._notifier.is_alive():
            self._notifier = threading.Thread(target=self._notify_loop, name="voxpad-speaker", daemon=True)
            self._notifier.start()

    def _notify_loop(self) -> None:
        while not self._closed:
            self._wakeup.wait(_TICK_SECONDS)
            self._wakeup.clear()
            self._report_started()
            self._check_device()
            with self._progress:
                self._progress.notify_all()

    def _report_started(self) -> None:
        while self._started and not self._closed:
            started = self._started.popleft()
            state = self._state
            now = _stream_time(state.stream) if state is not None else None
            if now is not None and started.generation == self._generation:
                # The callback runs a buffer ahead of the device; report when it is heard.
                delay = min(started.dac_time - now, _MAX_MARKER_DELAY)
                if delay > 0:
                    self._interrupt.clear()
                    if started.generation == self._generation:  # stop() may have come between
                        self._interrupt.wait(delay)
            if started.generation != self._generation:
                continue
            for listener in list(self._marker_listeners):
                try:
                    listener(started.marker)
                except Exception:
                    _LOG.exception("A playback marker listener failed")

    def _check_device(self) -> None:
        with self._lock:
            state = self._state
            if state is None or self._failure_reported:
                return
            if self._failure is None and not state.closing:
                silent_for = time.monotonic() - state.last_callback
                if state.running and silent_for > _STALL_SECONDS:
                    self._failure = AudioDeviceError(f"The {self._device_label()} stopped responding.")
                elif (state.consumed_frames >= state.queued_frames
                      and time.monotonic() - state.last_play > _IDLE_CLOSE_SECONDS):
                    self._close_stream()
                    return
            failure = self._failure
            if failure is None:
                return
            self._failure_reported = True
            self._generation += 1
        _LOG.warning("%s", failure)
        for listener in list(self._failure_listeners):
            try:
                listener(failure)
            except Exception:
                _LOG.exception("A playback failure listener failed")

    # -- opening and closing ----------------------------------------------------------------

    def _raise_if_unusable(self) -> None:
        if self._closed:
            raise AudioDeviceError("The sound output has been closed.")
        if self._failure is not None:
            raise self._failure

    def _open_stream(self, samplerate: int) -> _StreamState:
        factory = self._stream_factory or _sounddevice().OutputStream
        device = self._resolve_device()
        holder: dict[str, _StreamState] = {}

        def finished() -> None:
            state = holder.get("state")
            if state is not None and state.running and not state.closing and self._failure is None:
                self._failure = AudioDeviceError(f"The {self._device_label()} stopped unexpectedly.")
                self._wakeup.set()

        def create(rate: int) -> Any:
            return factory(samplerate=rate, device=device, channels=1, dtype="float32",
                           latency=_LATENCY, blocksize=_BLOCKSIZE, callback=self._callback,
                           finished_callback=finished)

        try:
            try:
                stream = create(samplerate)
            except Exception:
                # Some devices refuse the voice's rate: open at theirs and resample.
                fallback = self._device_default_rate(device)
                if not fallback or fallback == samplerate:
                    raise
                stream = create(fallback)
                samplerate = fallback
            state = _StreamState(stream, int(samplerate))
            holder["state"] = state
            self._current = None
            self._pending.clear()
            self._started.clear()
            self._state = state
        except Exception as exc:
            self._state = None
            raise AudioDeviceError(
                f"The {self._device_label()} could not be opened: {_reason(exc)}.") from exc
        return state

    def _start(self, state: _StreamState) -> None:
        """Start a freshly opened stream (called with the lock held)."""
        if state.running:
            return
        state.last_callback = time.monotonic()
        state.running = True
        try:
            state.stream.start()
        except Exception as exc:
            state.running = False
            self._close_stream()
            raise AudioDeviceError(f"The {self._device_label()} could not be started: {_reason(exc)}.") from exc

    def _close_stream(self) -> None:
        state = self._state
        if state is None:
            return
        state.closing = True
        self._state = None
        self._current = None
        self._pending.clear()
        try:
            state.stream.abort()
            state.stream.close()
        except Exception:
            _LOG.debug("Closing the output stream failed", exc_info=True)

    def _resolve_device(self) -> str | int | None:
        """The device to open: the requested one if it exists, else the default."""
        requested = self.device
        self.device_name = requested if isinstance(requested, str) else None
        if not isinstance(requested, str) or self._stream_factory is not None:
            return requested
        # By index: sounddevice matches a string as a substring and refuses ambiguous ones.
        try:
            devices = _sounddevice().query_devices()
        except Exception:
            devices = []
        for index, info in enumerate(devices):
            if info["name"] == requested and info["max_output_channels"] > 0:
                return index
        _LOG.warning("Output device %r not found; using the default device", requested)
        self.device_name = None
        return None

    def _device_default_rate(self, device: str | int | None) -> int | None:
        try:
            info = _sounddevice().query_devices(device, "output")
            return int(info["default_samplerate"])
        except Exception:
            return None

    def _device_label(self) -> str:
        return f'sound output "{self.device_name}"' if self.device_name else "default sound output"


def _stream_time(stream: Any) -> float | None:
    """The stream's clock (the one callback times use), or None where the host has none."""
    try:
        return float(stream.time)
    except Exception:
        return None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().rstrip(".")
    return text[:160] if text else type(exc).__name__


def _sounddevice() -> Any:
    # Imported late: importing sounddevice fails without PortAudio, and the CLI's other
    # commands must keep working on such a machine.
    try:
        import sounddevice
    except OSError as exc:
        raise AudioDeviceError(f"The sound system is not available: {exc}.") from exc
    return sounddevice
