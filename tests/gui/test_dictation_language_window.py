"""Dictating Spanish into the window with "Detect automatically" and a multilingual model (issue #8).

Real microphone path (the test run's PulseAudio), real multilingual Whisper (base); the Spanish
is espeak-ng's synthesis, the only non-English speech available here.
"""

from __future__ import annotations

import pytest

from speech_metrics import wer
from voxpad.config import Settings
from voxpad.engines import Engines
from window_helpers import open_window

SPANISH = "Buenos días, hoy quiero escribir una carta a mi hermana porque pronto es su cumpleaños."


@pytest.fixture
def spanish_window(qtbot, multilingual_model_dir):
    engines = Engines(str(multilingual_model_dir))
    engines.recognizer()  # loaded up front, as the window's own warm-up would
    with open_window(qtbot, Settings(language="auto", speech_model=str(multilingual_model_dir)), engines) as win:
        yield win


def test_auto_language_dictation_says_which_language_and_writes_it(spanish_window, qtbot, desktop, espeak_speech):
    window = spanish_window
    assert window.dictation.language is None  # "Detect automatically"
    detected = []
    window.dictation.language_detected.connect(detected.append)
    with qtbot.waitSignal(window.dictation.started, timeout=10_000):
        window.dictate_action.trigger()
    player = desktop.play(espeak_speech("es", SPANISH), wait=False)
    # Settled from the first ~2 s of speech, while the person is still talking.
    qtbot.waitUntil(lambda: "Spanish" in window.status_label.text(), timeout=30_000)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)
    with qtbot.waitSignal(window.dictation.stopped, timeout=30_000):
        window.dictate_action.trigger()
    assert detected == ["es"]
    text = window.editor.toPlainText()
    assert wer([SPANISH], [text]) <= 0.25, text
