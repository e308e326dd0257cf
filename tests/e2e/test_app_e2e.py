"""The real app on a real X server and sound server, driven by real key presses."""

from __future__ import annotations

import time

import pytest

from conftest_e2e import dictate_clip, hear_reading, wait_until
from number_words import spoken_wer
from speech_metrics import wer

pytestmark = pytest.mark.e2e

JFK = ("and so my fellow americans ask not what your country can do for you "
       "ask what you can do for your country")


def test_dictate_with_keyboard_into_the_document(launch, desktop, tmp_path, jfk_wav):
    doc = tmp_path / "dictated.txt"
    doc.write_text("")
    app = launch("--open", str(doc))
    seconds_to_window = app.wait_for_window("dictated.txt")
    print(f"window on screen {seconds_to_window:.2f} s after launch")
    dictate_clip(app, jfk_wav, close_timeout=15)
    # The last words are decoded after Stop; then save with Ctrl+S and read the file.

    def saved_text():
        app.key("ctrl+s")
        time.sleep(0.3)
        text = doc.read_text()
        return text if len(text.split()) >= 15 else None

    text = wait_until(saved_text, 60, "the dictated words in the saved file", interval=1)
    assert wer([JFK], [text]) < 0.2, text
    assert app.process.poll() is None


def test_read_aloud_reaches_the_speaker(launch, desktop, tmp_path):
    text = "The weather is pleasant today. We will walk to the market and buy fresh bread."
    doc = tmp_path / "read.txt"
    doc.write_text(text)
    app = launch("--open", str(doc))
    app.wait_for_window("read.txt")
    def read_from_the_top() -> None:
        app.key("ctrl+Home")
        app.key("ctrl+r")

    heard = hear_reading(desktop, app, tmp_path / "heard.wav", read_from_the_top)
    assert spoken_wer([text], [heard]) < 0.15, heard
    assert app.process.poll() is None
