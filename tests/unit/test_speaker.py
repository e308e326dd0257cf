"""Playback through the real sound server (a PulseAudio null sink, recorded from its monitor).

Only a failing or hanging sound card cannot exist here; those tests hand the Speaker a
fake stream and say so in their names.
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from audio_helpers import awake_sink, start_recording  # noqa: F401  (awake_sink is a fixture)

from voxpad.audio import speaker as speaker_module
from voxpad.audio.speaker import Speaker, list_output_devices
from voxpad.errors import AudioDeviceError

RATE = 22050


class Recording:
    """What the sink plays from now until stop(), as 16 kHz float32."""

    def __init__(self, desktop, path: Path) -> None:
        self.path = path
        self.process = start_recording(desktop, path)

    def stop(self) -> np.ndarray:
        self.process.terminate()
        self.process.wait(5)
        with wave.open(str(self.path)) as wav:
            return np.frombuffer(wav.readframes(wav.getnframes()), np.int16).astype(np.float32) / 32768


def tone(hz: float, seconds: float, rate: int = RATE) -> np.ndarray:
    return (0.4 * np.sin(2 * np.pi * hz * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def loud_span(audio: np.ndarray, rate: int = 16_000) -> tuple[float, float]:
    """Seconds from the recording's start to the first and last loud sample."""
    loud = np.nonzero(np.abs(audio) > 0.05)[0]
    assert len(loud), "nothing was heard"
    return loud[0] / rate, loud[-1] / rate


def dominant_hz(audio: np.ndarray, rate: int = 16_000) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1 / rate)[np.argmax(spectrum)])


def test_lists_output_devices_by_name(desktop):
    names = list_output_devices()
    assert names and all(isinstance(name, str) for name in names)
    assert "default" in names or "pulse" in names


def test_queued_pieces_play_in_order_and_report_when_they_start(awake_sink, tmp_path):
    started: list[tuple[str, float]] = []
    recording = Recording(awake_sink, tmp_path / "heard.wav")
    with Speaker(on_marker=lambda marker: started.append((marker, time.monotonic()))) as speaker:
        queued_at = time.monotonic()
        for marker, hz in [("low", 440), ("mid", 660), ("high", 880)]:
            speaker.play(tone(hz, 0.5), RATE, marker)
        speaker.play(tone(440, 0.2), RATE)  # no marker: nothing reported
        assert speaker.drain(timeout=10)
        assert not speaker.is_playing
    audio = recording.stop()
    assert [marker for marker, _ in started] == ["low", "mid", "high"]
    # Reported as each starts sounding, not all at once when queued.
    assert started[1][1] - queued_at > 0.4 and started[2][1] - started[1][1] > 0.4
    first, last = loud_span(audio)
    assert last - first == pytest.approx(1.7, abs=0.15)
    thirds = [audio[int((first + 0.5 * i + 0.1) * 16_000):int((first + 0.5 * i + 0.4) * 16_000)] for i in range(3)]
    assert [round(dominant_hz(part) / 10) * 10 for part in thirds] == [440, 660, 880]


def test_audio_at_another_rate_is_resampled_to_the_stream(awake_sink, tmp_path):
    recording = Recording(awake_sink, tmp_path / "heard.wav")
    with Speaker(samplerate=RATE) as speaker:
        speaker.play(tone(500, 1.0, rate=16_000), 16_000)
        assert speaker.samplerate == RATE
        assert speaker.drain(timeout=10)
    audio = recording.stop()
    first, last = loud_span(audio)
    assert last - first == pytest.approx(1.0, abs=0.1)
    assert dominant_hz(audio[int(first * 16_000):int(last * 16_000)]) == pytest.approx(500, abs=10)


def test_stop_silences_at_once_and_drops_pending_markers(awake_sink, tmp_path):
    started = []
    first_started = threading.Event()
    recording = Recording(awake_sink, tmp_path / "heard.wav")
    with Speaker(on_marker=lambda marker: (started.append(marker), first_started.set())) as speaker:
        speaker.play(tone(440, 3.0), RATE, "long")
        speaker.play(tone(660, 3.0), RATE, "never")
        assert first_started.wait(5)
        time.sleep(0.5)
        speaker.stop()
        assert speaker.queued_seconds < 0.1 or speaker.drain(timeout=0.5)
        time.sleep(0.5)
        # The stream stays usable after a stop.
        speaker.play(tone(880, 0.3), RATE, "after")
        assert speaker.drain(timeout=5)
    audio = recording.stop()
    assert started == ["long", "after"]
    first, _ = loud_span(audio)
    heard_first_tone = np.nonzero(np.abs(audio[int(first * 16_000):]) < 0.01)[0][0] / 16_000
    assert heard_first_tone < 0.5 + 0.25  # the stop came 0.5 s in; one block and the device's buffer later it is quiet


def test_pause_holds_the_queue_and_resume_plays_it(awake_sink):
    started = threading.Event()
    with Speaker(on_marker=lambda marker: started.set()) as speaker:
        speaker.play(tone(440, 1.0), RATE, "tone")
        assert started.wait(5)
        speaker.pause()
        time.sleep(0.1)  # a block already in flight may still be consumed
        held = speaker.queued_seconds
        time.sleep(0.3)
        assert speaker.paused and speaker.queued_seconds == held > 0.5
        speaker.resume()
        assert speaker.drain(timeout=5)


def test_a_named_device_plays(awake_sink):
    name = "pulse" if "pulse" in list_output_devices() else list_output_devices()[0]
    started = []
    with Speaker(device=name, on_marker=started.append) as speaker:
        speaker.play(tone(440, 0.2), RATE, "x")
        assert speaker.drain(timeout=5)
    assert started == ["x"]


def test_an_unknown_device_name_falls_back_to_the_default(awake_sink):
    started = []
    with Speaker(device="Headset that was unplugged", on_marker=started.append) as speaker:
        speaker.play(tone(440, 0.2), RATE, "x")
        assert speaker.drain(timeout=5)
    assert started == ["x"]


def test_drain_times_out_while_audio_is_left(awake_sink):
    with Speaker() as speaker:
        speaker.play(tone(440, 2.0), RATE)
        assert speaker.drain(timeout=0.2) is False
        speaker.stop()


# -- hardware that cannot exist here: fakes ---------------------------------------------------


class FakeStream:
    """Stands in for sounddevice.OutputStream, calling back in real time from a thread.

    ``fail_after`` blocks it ends as a dying device does (PortAudio calls the finished
    callback); ``hang_after`` blocks it simply stops calling back.
    """

    def __init__(self, *, samplerate, blocksize, callback, finished_callback,
                 fail_after=None, hang_after=None, **_):
        self.samplerate = samplerate
        self.blocksize = blocksize or 256
        self.callback = callback
        self.finished_callback = finished_callback
        self.fail_after = fail_after
        self.hang_after = hang_after
        self.played: list[np.ndarray] = []
        self.starts = 0
        self._blocks = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def time(self) -> float:
        return time.monotonic()

    def start(self):
        # Like PortAudio: a stopped stream can be started again.
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._stop,), daemon=True)
        self.starts += 1
        self._thread.start()

    def _run(self, stop):
        while not stop.is_set():
            blocks = self._blocks
            if self.fail_after is not None and blocks >= self.fail_after:
                self.finished_callback()
                return
            if self.hang_after is not None and blocks >= self.hang_after:
                stop.wait()
                return
            out = np.full((self.blocksize, 1), np.nan, dtype=np.float32)
            self.callback(out, self.blocksize, SimpleNamespace(outputBufferDacTime=self.time), 0)
            self.played.append(out[:, 0].copy())
            self._blocks += 1
            stop.wait(self.blocksize / self.samplerate)
        self.finished_callback()  # PortAudio calls it whenever a stream stops

    def abort(self):
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and thread is not threading.current_thread():
            thread.join(2)

    stop = abort

    @property
    def active(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self):
        self.abort()


class FakeStreams:
    """A stream factory that hands out the given fakes' settings one open at a time."""

    def __init__(self, *settings: dict) -> None:
        self.settings = list(settings)
        self.opened: list[FakeStream] = []

    def __call__(self, **kwargs):
        options = self.settings.pop(0) if self.settings else {}
        if options.get("refuse"):
            import sounddevice

            raise sounddevice.PortAudioError("Device unavailable [PaErrorCode -9985]")
        stream = FakeStream(**kwargs, **options)
        self.opened.append(stream)
        return stream


def test_callback_outputs_exact_samples_then_silence_with_a_fake_stream():
    streams = FakeStreams({})
    with Speaker(stream_factory=streams) as speaker:
        samples = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
        speaker.play(samples, RATE)
        assert speaker.drain(timeout=5)
        time.sleep(0.05)
    played = np.concatenate(streams.opened[0].played)
    assert not np.isnan(played).any()  # every frame written, silence included
    start = np.nonzero(played)[0][0]
    assert np.array_equal(played[start:start + 1000], samples)
    assert not played[start + 1000:].any()


def test_a_device_that_cannot_open_is_an_audio_device_error_with_a_sentence():
    with Speaker(stream_factory=FakeStreams({"refuse": True}, {"refuse": True})) as speaker:
        with pytest.raises(AudioDeviceError, match=r"^The default sound output could not be opened: .*\.$"):
            speaker.play(tone(440, 0.1), RATE)


def test_a_fake_sound_card_failing_mid_play_is_reported_not_raised():
    failures = []
    reported = threading.Event()
    streams = FakeStreams({"fail_after": 5}, {})
    speaker = Speaker(stream_factory=streams, on_failure=lambda error: (failures.append(error), reported.set()))
    try:
        speaker.play(tone(440, 2.0), RATE, "lost")
        assert reported.wait(5)
        assert isinstance(speaker.failure, AudioDeviceError)
        assert str(speaker.failure) == "The default sound output stopped unexpectedly."
        assert failures == [speaker.failure]
        with pytest.raises(AudioDeviceError):
            speaker.drain(timeout=1)
        with pytest.raises(AudioDeviceError):
            speaker.play(tone(440, 0.1), RATE)
        # stop() clears the failure; the next play opens a fresh stream.
        speaker.stop()
        assert speaker.failure is None
        speaker.play(tone(440, 0.1), RATE)
        assert speaker.drain(timeout=5)
        assert len(streams.opened) == 2
    finally:
        speaker.close()


def test_a_fake_sound_card_that_hangs_is_reported(monkeypatch):
    monkeypatch.setattr(speaker_module, "_STALL_SECONDS", 0.4)
    reported = threading.Event()
    with Speaker(stream_factory=FakeStreams({"hang_after": 3}), on_failure=lambda error: reported.set()) as speaker:
        speaker.play(tone(440, 2.0), RATE)
        assert reported.wait(5)
        assert "stopped responding" in str(speaker.failure)


def test_play_after_close_is_an_audio_device_error():
    speaker = Speaker(stream_factory=FakeStreams({}))
    speaker.close()
    with pytest.raises(AudioDeviceError):
        speaker.play(tone(440, 0.1), RATE)


def test_stop_aborts_the_stream_and_the_next_play_opens_a_fresh_one_with_its_audio_first():
    # A running stream buffers 100 ms ahead: aborting drops what it holds, and a fresh stream
    # started with the audio queued plays that audio in its very first block.
    streams = FakeStreams({}, {})
    started = threading.Event()
    failures = []
    with Speaker(stream_factory=streams, on_marker=lambda marker: started.set(),
                 on_failure=failures.append) as speaker:
        speaker.open(RATE)
        assert streams.opened[0].starts == 1  # open() starts it: its callbacks show the device is alive
        speaker.play(tone(440, 2.0), RATE, "long")  # nothing played since open(): a fresh stream too
        assert started.wait(5)
        first = streams.opened[-1]
        speaker.stop()
        assert not first.active and speaker.queued_seconds == 0 and speaker.failure is None
        samples = np.linspace(0.1, 0.5, 600, dtype=np.float32)
        speaker.play(samples, RATE, "next")
        assert speaker.drain(timeout=5)
        second = streams.opened[-1]
        assert second is not first
        assert np.array_equal(np.concatenate(second.played)[:600], samples)  # no silence before it
    assert failures == []


def test_a_sound_server_gone_while_stopped_fails_at_the_next_play_not_hangs():
    # Starting a stopped stream blocks for ever once its server has died; opening fails at once.
    streams = FakeStreams({}, {"refuse": True}, {"refuse": True})
    with Speaker(stream_factory=streams) as speaker:
        speaker.open(RATE)
        speaker.stop()
        with pytest.raises(AudioDeviceError, match="could not be opened"):
            speaker.play(tone(440, 0.1), RATE)


def test_play_after_a_silence_opens_a_fresh_stream_instead_of_queueing_behind_silence(monkeypatch):
    monkeypatch.setattr(speaker_module, "_FRESH_AFTER_IDLE_SECONDS", 0.05)
    streams = FakeStreams({}, {})
    with Speaker(stream_factory=streams) as speaker:
        speaker.play(tone(440, 0.05), RATE)
        assert speaker.drain(timeout=5)
        time.sleep(0.2)
        samples = np.linspace(0.1, 0.5, 600, dtype=np.float32)
        speaker.play(samples, RATE)
        assert speaker.drain(timeout=5)
        assert len(streams.opened) == 2 and not streams.opened[0].active
        assert np.array_equal(np.concatenate(streams.opened[1].played)[:600], samples)
