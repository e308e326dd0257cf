"""Microphone capture through a real sound server, and device failures that cannot be staged for real.

The ``desktop`` fixture runs PulseAudio with a null sink whose monitor is the default source:
what ``desktop.play()`` plays is what a Microphone hears. Streams named Fake… stand in for
sound cards that vanish, stall or are missing, which a test machine cannot produce.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sounddevice
from speech_metrics import wer

from voxpad.audio import microphone as microphone_module
from voxpad.audio.blocks import AudioBlock
from voxpad.audio.decode import load_audio_file
from voxpad.audio.microphone import Microphone, default_input_name, list_input_devices
from voxpad.errors import AudioDeviceError
from voxpad.stt.dictation import DictationEvent, StreamingDictation, run_microphone_dictation
from voxpad.stt.recognizer import SpeechRecognizer

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "speech"
CLIP = SPEECH / "speechbrain_example1.wav"
# An idle PulseAudio null sink can take a few seconds to deliver a new stream's first block;
# read() returns as soon as one arrives, so a generous bound costs nothing when all is well.
FIRST_BLOCK_TIMEOUT = 15.0
CLIP_TEXT = "THE BIRCH CANOE SLID ON THE SMOOTH PLANKS"


@pytest.fixture(scope="module")
def recognizer() -> SpeechRecognizer:
    return SpeechRecognizer.load()


def assert_contiguous(blocks: list[AudioBlock]) -> None:
    position = 0.0
    for block in blocks:
        assert block.start == pytest.approx(position, abs=1e-9)
        position += block.duration


def samples_of(blocks: list[AudioBlock]) -> np.ndarray:
    return np.concatenate([block.samples for block in blocks]) if blocks else np.zeros(0, np.float32)


# -- a real sound server ---------------------------------------------------------------------


def wait_until_live(mic: Microphone) -> AudioBlock:
    """The first block. An idle null sink renders in 2 s chunks, so its monitor's first
    block can take that long; a real microphone delivers within one block."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        block = mic.read(timeout=0.1)
        if block is not None:
            return block
    raise AssertionError("no sound arrived from the sound server")


def test_device_names_are_listed(desktop) -> None:
    names = list_input_devices()
    assert names and all(isinstance(name, str) for name in names)
    assert default_input_name() in names


def test_capture_hears_what_is_played(desktop, recognizer) -> None:
    mic = Microphone()
    mic.start()
    blocks: list[AudioBlock] = []
    try:
        blocks.append(wait_until_live(mic))
        started = time.monotonic()
        player = desktop.play(CLIP, wait=False)
        while player.poll() is None:
            block = mic.read(timeout=0.2)
            if block is not None:
                blocks.append(block)
        assert player.returncode == 0
        time.sleep(0.3)  # the sink's own latency
        assert mic.level >= 0.0 and mic.failure is None
    finally:
        blocks += mic.stop()
    elapsed = time.monotonic() - started
    assert_contiguous(blocks)
    captured = samples_of(blocks)
    # Nothing lost: from the first block on, the stream delivered as much audio as time went by.
    assert abs(len(captured[800:]) / 16000 - elapsed) < 0.3
    assert max(block.level for block in blocks) > 0.1
    assert wer([CLIP_TEXT], [recognizer.transcribe(captured).text]) < 0.2


def test_dictation_from_the_real_microphone(desktop, recognizer) -> None:
    events: list[DictationEvent] = []
    live, stop = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def capture() -> None:  # what the window's DictationController runs on its worker thread
        try:
            run_microphone_dictation(Microphone(), StreamingDictation(recognizer, events.append), stop.is_set,
                                     on_level=lambda level: live.set())
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=capture)
    worker.start()
    try:
        assert live.wait(5), "no sound arrived from the sound server"
        desktop.play(CLIP)
    finally:
        stop.set()  # stop right after the last word: finish() must still transcribe it
        worker.join(30)
    assert not worker.is_alive() and errors == []
    assert wer([CLIP_TEXT], [" ".join(e.text for e in events if e.kind == "final")]) < 0.2, events


def test_vanished_device_name_falls_back_to_default(desktop) -> None:
    mic = Microphone(device="USB Headset That Was Unplugged")
    mic.start()
    try:
        assert mic.read(timeout=FIRST_BLOCK_TIMEOUT) is not None
    finally:
        mic.stop()
    assert mic.fell_back_to_default and mic.device_name is None


def test_device_chosen_by_name(desktop) -> None:
    with Microphone(device="pulse") as mic:
        assert mic.read(timeout=FIRST_BLOCK_TIMEOUT) is not None
        assert mic.device_name == "pulse" and not mic.fell_back_to_default


def test_sound_server_down_is_a_sentence(desktop, tmp_path: Path) -> None:
    # A fresh process whose sound server address leads nowhere: PortAudio finds no devices.
    script = (
        "from voxpad.audio.microphone import Microphone, list_input_devices\n"
        "from voxpad.errors import AudioDeviceError\n"
        "print(list_input_devices())\n"
        "try:\n"
        "    Microphone().start()\n"
        "except AudioDeviceError as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-server"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "[]"
    assert lines[1].startswith("No microphone was found") and lines[1].endswith(".")
    assert "Traceback" not in result.stderr


# -- devices that misbehave (stand-ins) ------------------------------------------------------


class FakeVanishingStream:
    """Delivers ``blocks`` of sound, then dies the way an unplugged USB microphone does."""

    def __init__(self, blocks: list[np.ndarray], **options) -> None:
        self.blocks = blocks
        self.callback = options["callback"]
        self.finished_callback = options["finished_callback"]
        self.active = False
        self.delivered = threading.Event()

    def start(self) -> None:
        self.active = True
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        for block in self.blocks:
            self.callback(block.reshape(-1, 1), len(block), None, None)
            time.sleep(0.002)
        self.active = False
        self.finished_callback()
        self.delivered.set()

    def stop(self) -> None:
        raise sounddevice.PortAudioError("Error stopping stream: Unanticipated host error [PaErrorCode -9999]")

    def close(self) -> None:
        raise sounddevice.PortAudioError("Error closing stream: Bad stream pointer")


def fake_vanishing(blocks: list[np.ndarray]):
    def factory(**options):
        factory.stream = FakeVanishingStream(blocks, **options)
        return factory.stream

    return factory


def test_fake_vanishing_device_reports_failure_and_keeps_every_block() -> None:
    rng = np.random.default_rng(2)
    sent = [rng.uniform(-0.5, 0.5, 800).astype(np.float32) for _ in range(40)]
    factory = fake_vanishing(sent)
    mic = Microphone(stream_factory=factory)
    mic.start()
    received: list[AudioBlock] = []
    deadline = time.monotonic() + 10
    while mic.failure is None and time.monotonic() < deadline:
        block = mic.read(timeout=0.05)
        if block is not None:
            received.append(block)
        if len(received) == 25:
            break  # the consumer is behind when the device vanishes
    assert factory.stream.delivered.wait(5)
    received += mic.stop()  # the stream refuses to stop: still no error, still every block
    assert_contiguous(received)
    np.testing.assert_array_equal(samples_of(received), np.concatenate(sent))

    # Read to the end, then the failure says what happened.
    mic2 = Microphone(stream_factory=fake_vanishing(sent))
    mic2.start()
    count = 0
    while mic2.failure is None:
        count += mic2.read(timeout=0.05) is not None
    assert count == len(sent) and mic2.stop() == []
    message = str(mic2.failure)
    assert isinstance(mic2.failure, AudioDeviceError) and "stopped working" in message and message.endswith(".")


def test_fake_vanishing_device_mid_dictation_still_transcribes(recognizer) -> None:
    audio = load_audio_file(CLIP)
    factory = fake_vanishing([audio[i : i + 800] for i in range(0, len(audio), 800)])
    events: list[DictationEvent] = []
    with pytest.raises(AudioDeviceError):
        run_microphone_dictation(Microphone(stream_factory=factory), StreamingDictation(recognizer, events.append),
                                 should_stop=lambda: False)
    assert wer([CLIP_TEXT], [" ".join(e.text for e in events if e.kind == "final")]) < 0.2


class FakeFrozenStream:
    """Opens fine, delivers ``blocks`` blocks, then never another frame (a frozen sound server)."""

    def __init__(self, blocks: int = 0, **options) -> None:
        self.blocks = blocks
        self.callback = options.get("callback")
        self.active = True

    def start(self) -> None:
        for _ in range(self.blocks):
            self.callback(np.zeros((800, 1), np.float32), 800, None, None)

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize("blocks", [0, 3])
def test_fake_frozen_stream_is_reported(monkeypatch, blocks: int) -> None:
    monkeypatch.setattr(microphone_module, "_FIRST_BLOCK_SECONDS", 0.3)
    monkeypatch.setattr(microphone_module, "_STALL_SECONDS", 0.2)
    mic = Microphone(stream_factory=lambda **options: FakeFrozenStream(blocks, **options))
    mic.start()
    received = 0
    deadline = time.monotonic() + 5
    while mic.failure is None and time.monotonic() < deadline:
        received += mic.read(timeout=0.05) is not None
    assert received == blocks
    assert "stopped sending sound" in str(mic.failure)
    assert mic.stop() == []


def fake_failing_open(error: Exception):
    def factory(**options):
        raise error

    return factory


def test_fake_no_device_at_all(monkeypatch) -> None:
    monkeypatch.setattr(sounddevice, "query_devices", lambda *args, **kwargs: sounddevice.DeviceList([]))
    mic = Microphone(stream_factory=fake_failing_open(sounddevice.PortAudioError("Error querying device -1")))
    with pytest.raises(AudioDeviceError) as caught:
        mic.start()
    assert str(caught.value).startswith("No microphone was found")
    assert list_input_devices() == [] and not mic.running


def test_fake_busy_device(desktop) -> None:
    busy = sounddevice.PortAudioError("Error opening InputStream: Device unavailable [PaErrorCode -9985]")
    with pytest.raises(AudioDeviceError) as caught:
        Microphone(device="pulse", stream_factory=fake_failing_open(busy)).start()
    assert "'pulse' is busy or unavailable" in str(caught.value)


def test_callback_copies_the_frames() -> None:
    mic = Microphone(stream_factory=FakeFrozenStream)
    buffer = np.ones((800, 1), dtype=np.float32)
    mic._callback(buffer, 800, None, None)
    buffer[:] = 0  # PortAudio reuses its buffer for the next period
    block = mic.read(timeout=0)
    assert block is not None and float(block.samples.min()) == 1.0 and block.level == 1.0


def test_only_16k_is_accepted() -> None:
    with pytest.raises(ValueError):
        Microphone(samplerate=44100)
