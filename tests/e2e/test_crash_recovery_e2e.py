"""Kill -9 the real app mid-dictation; the next start offers everything back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest_e2e import captured_bytes, recording_streams, wait_for_the_microphone, wait_until
from speech_metrics import wer
from voxpad import recovery
from voxpad.audio import journal

pytestmark = pytest.mark.e2e

JFK = ("and so my fellow americans ask not what your country can do for you "
       "ask what you can do for your country")


def _sessions(data_dir):
    root = data_dir / "journal"
    return [path for path in root.iterdir() if path.is_dir()] if root.exists() else []


def test_kill_9_mid_dictation_then_recover_everything(launch, desktop, tmp_path, jfk_wav):
    data_dir = tmp_path / "data"
    doc = tmp_path / "notes.txt"
    doc.write_text("")
    app = launch("--open", str(doc))
    app.wait_for_window("notes.txt")
    app.focus()
    app.xdotool("type", "--delay", "20", "Dear diary.")
    before, captured = recording_streams(app.env), captured_bytes(app)
    app.key("ctrl+d")
    wait_for_the_microphone(app, before, captured)
    [folder] = wait_until(lambda: _sessions(data_dir), 10, "the journal folder")
    wait_until(lambda: (recovery.read_autosave(folder) or recovery.AutosaveSnapshot("")).text == "Dear diary.",
               10, "the typed text to be autosaved")
    desktop.play(jfk_wav)
    wait_until(lambda: journal.audio_samples_on_disk(folder) >= 10.5 * 16000, 20, "the clip to be journaled")
    os.kill(app.process.pid, signal.SIGKILL)
    app.process.wait(10)
    assert app.process.returncode == -signal.SIGKILL

    # Without a window: voxpad recover --json.
    env = {**app.env, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "voxpad", "recover", "--json"], env=env,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)["sessions"]
    assert entry["text"].startswith("Dear diary. ")
    assert wer([JFK], [entry["text"][len("Dear diary. "):]]) < 0.25, entry["text"]
    assert entry["audio_seconds"] >= 10.5
    assert folder.exists()

    # The next start offers it; Enter accepts (Recover is the default button).
    again = launch("--open", str(doc))
    again.wait_for_window("notes.txt")
    dialog = wait_until(lambda: subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", "Recover your text"], env=again.env,
        capture_output=True, text=True).stdout.split(), 90, "the recovery dialog")
    again.xdotool("windowfocus", "--sync", dialog[0])
    again.xdotool("key", "--clearmodifiers", "Return")
    wait_until(lambda: not folder.exists(), 15, "the crashed journal to be removed after Recover")

    def saved_text():
        again.key("ctrl+s")
        time.sleep(0.3)
        return doc.read_text() or None

    text = wait_until(saved_text, 30, "the recovered text to be saved", interval=1)
    assert text == entry["text"]
    assert again.process.poll() is None
