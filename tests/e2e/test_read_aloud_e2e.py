"""Read-aloud of a Markdown document in the real app: what reaches the sound server is
what a person means (no symbols spelled out), and the keyboard pauses and resumes it."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile

from audio_helpers import start_recording
from conftest_e2e import wait_until  # noqa: F401  (see conftest)
from number_words import spoken_wer

pytestmark = pytest.mark.e2e

DOCUMENT = ("# Shopping list\n\n- **Fresh** bread from the bakery.\n- Visit https://www.example.com/offers "
            "for the deals.\n\nWe meet again on 2024-03-05 at the market.")
MEANT = ("Shopping list. Fresh bread from the bakery. Visit link to example.com for the deals. "
         "We meet again on March fifth, twenty twenty-four at the market.")


def _audio(path):
    try:
        audio, rate = soundfile.read(path)
    except Exception:
        return np.zeros(0), 16000
    return audio, rate


def _silent_tail(path) -> float:
    """Seconds of silence after the last sound in the recording so far (0 before any sound)."""
    audio, rate = _audio(path)
    speech = np.abs(audio) > 0.02
    if not speech.any():
        return 0.0
    return speech[::-1].argmax() / rate


def test_markdown_is_read_as_meant_and_pause_resume_work_from_the_keyboard(launch, desktop, tmp_path):
    from faster_whisper import WhisperModel

    from voxpad.models.defaults import bundled_whisper_model

    doc = tmp_path / "list.md"
    doc.write_text(DOCUMENT)
    app = launch("--open", str(doc))
    app.wait_for_window("list.md")
    recording = tmp_path / "heard.wav"
    recorder = start_recording(desktop, recording)
    try:
        app.key("ctrl+Home")
        app.key("ctrl+r")
        wait_until(lambda: _silent_tail(recording) == 0.0 and len(_audio(recording)[0]) > 0
                   and (np.abs(_audio(recording)[0]) > 0.02).any(), 30, "speech to start")
        time.sleep(1.0)  # into the document a little
        app.key("ctrl+p")
        wait_until(lambda: _silent_tail(recording) > 1.5, 10, "pause to silence the reading")
        app.key("ctrl+p")
        wait_until(lambda: _silent_tail(recording) < 0.3, 10, "resume to bring the voice back")
        wait_until(lambda: _silent_tail(recording) > 2.0, 90, "the document to be read to the end")
    finally:
        recorder.terminate()
        recorder.wait(5)
    model = WhisperModel(str(bundled_whisper_model()), device="cpu", compute_type="int8")
    segments, _ = model.transcribe(str(recording), beam_size=5, language="en")
    heard = " ".join(s.text for s in segments).lower()
    assert "asterisk" not in heard and "https" not in heard and "slash" not in heard, heard
    assert spoken_wer([MEANT], [heard]) < 0.3, heard  # "2024" and "twenty twenty-four" alike
    assert app.process.poll() is None
    assert doc.read_text() == DOCUMENT
