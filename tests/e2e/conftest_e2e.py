"""Run the real ``voxpad`` program on the test run's X server and sound server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audio_helpers import start_recording
from polling import wait_until  # noqa: F401  (re-exported for the tests that import it from here)


class RunningApp:
    """A ``voxpad`` process with its window found on the X server."""

    def __init__(self, desktop, tmp_path: Path, args: list[str]) -> None:
        self.desktop = desktop
        self.env = {
            **os.environ,
            **desktop.env,
            "QT_QPA_PLATFORM": "xcb",
            "VOXPAD_CONFIG_DIR": str(tmp_path / "config"),
            "VOXPAD_DATA_DIR": str(tmp_path / "data"),
        }
        self.log = open(tmp_path / "voxpad.log", "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voxpad", *args], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.window_id: str | None = None

    def xdotool(self, *args: str, timeout: float = 30) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"xdotool {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def wait_for_window(self, title_part: str, timeout: float = 30) -> float:
        """Wait until a window whose title contains ``title_part`` is mapped; return seconds since launch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "voxpad exited: " + self.read_log()
            found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title_part],
                                   env=self.env, capture_output=True, text=True)
            if found.returncode == 0 and found.stdout.strip():
                self.window_id = found.stdout.split()[0]
                return time.monotonic() - self.started
            time.sleep(0.05)
        raise AssertionError(f"no window titled {title_part!r} appeared: " + self.read_log())

    def focus(self) -> None:
        self.xdotool("windowfocus", "--sync", self.window_id)

    def key(self, *keys: str) -> None:
        self.focus()
        self.xdotool("key", "--clearmodifiers", *keys)

    def read_log(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-3000:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


@pytest.fixture
def launch(desktop, tmp_path):
    apps: list[RunningApp] = []

    def start(*args: str) -> RunningApp:
        app = RunningApp(desktop, tmp_path, list(args))
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.close()


def recording_streams(env) -> int:
    """How many capture streams the sound server has open (the app's microphone among them)."""
    out = subprocess.run(["pactl", "list", "short", "source-outputs"], env=env, capture_output=True, text=True)
    return len([line for line in out.stdout.splitlines() if line.strip()])


def captured_bytes(app: RunningApp) -> int:
    """Audio the app's dictation has received so far: the sizes of its journals' audio files."""
    root = Path(app.env["VOXPAD_DATA_DIR"]) / "journal"
    return sum(path.stat().st_size for path in root.glob("*/audio.s16le"))


def wait_for_the_microphone(app: RunningApp, streams_before: int, bytes_before: int) -> None:
    """Until the app's dictation receives sound, as a person waits for "Listening…" to speak.

    A capture stream counted by the sound server is not yet one that records: PortAudio opens
    a stream, and opens another to start, and under CI load the words played in between
    (1.4 s of jfk once) were never heard. The journal growing is the app's own proof.
    """
    wait_until(lambda: recording_streams(app.env) > streams_before, 15, "the microphone to open")
    wait_until(lambda: captured_bytes(app) > bytes_before, 15, "the microphone to deliver sound")


def dictate_clip(app: RunningApp, wav: Path, close_timeout: float) -> None:
    """Ctrl+D, play ``wav`` into the sink (what the microphone hears), Ctrl+D; returns once the
    app has closed its microphone again (its last words are then being decoded)."""
    before = recording_streams(app.env)
    captured = captured_bytes(app)
    app.key("ctrl+d")
    wait_for_the_microphone(app, before, captured)
    app.desktop.play(wav)
    app.key("ctrl+d")
    wait_until(lambda: recording_streams(app.env) == before, close_timeout, "the microphone to close")


def speech_then_silence(recording: Path, silence_s: float = 1.5) -> bool:
    """True once ``recording`` (a WAV still being written) holds speech followed by ``silence_s`` of quiet."""
    import soundfile

    try:
        audio, rate = soundfile.read(recording)
    except Exception:  # not written far enough to read yet
        return False
    speech = abs(audio) > 0.02
    if not speech.any():
        return False
    last_sound = len(audio) - speech[::-1].argmax()
    return (len(audio) - last_sound) / rate > silence_s


def transcribe_recording(recording: Path) -> str:
    """What the bundled model hears in ``recording`` (beam 5, English)."""
    from faster_whisper import WhisperModel

    from voxpad.models.defaults import bundled_whisper_model

    model = WhisperModel(str(bundled_whisper_model()), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(recording), beam_size=5, language="en")
    return " ".join(s.text for s in segments)


def hear_reading(desktop, app: RunningApp, recording: Path, start_reading) -> str:
    """Record the speaker while ``start_reading()`` makes ``app`` read aloud; what the model hears.

    Starts only once sound reaches the recording (so the first word is recorded), and waits
    for the speech followed by silence: the reading ended.
    """
    # Not until sound reaches the file: an idle null sink first feeds a new recorder up to
    # ~2 s after it attaches. Counting attached streams and sleeping 0.5 s let CI runs record
    # from the middle of the first word ("The" lost).
    recorder = start_recording(desktop, recording)
    try:
        start_reading()
        wait_until(lambda: speech_then_silence(recording), 60, "the text to be read aloud", interval=0.5)
    finally:
        recorder.terminate()
        recorder.wait(5)
    return transcribe_recording(recording)
