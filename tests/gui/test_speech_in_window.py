"""Dictation, read-aloud and file transcription in the window, on the real engines.

Dictation and reading go through the test run's private PulseAudio server: what is
played into its null sink is what the microphone hears.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor

from speech_metrics import wer


def test_transcribe_file_shows_progress_and_inserts_at_cursor(window, qtbot, jfk_wav):
    window.editor.setPlainText("Quote: ")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    fractions = []
    window.file_transcription.progress.connect(fractions.append)
    with qtbot.waitSignal(window.file_transcription.finished, timeout=60_000):
        window.transcribe_file(jfk_wav)
        assert window.progress.isVisible() and window.cancel_button.isVisible()
    assert not window.progress.isVisible()
    assert fractions and fractions == sorted(fractions) and fractions[-1] > 0.9
    text = window.editor.toPlainText()
    assert text.startswith("Quote: and so")
    assert wer(["and so my fellow americans ask not what your country can do for you "
                "ask what you can do for your country"], [text[len("Quote: "):]]) < 0.15
    assert "Transcribed jfk.wav" in window.status_label.text()


def test_transcribe_unreadable_file_shows_a_sentence(window, qtbot, tmp_path):
    bogus = tmp_path / "notes.mp3"
    bogus.write_bytes(b"this is not audio at all" * 100)
    window.editor.setPlainText("keep me")
    with qtbot.waitSignal(window.file_transcription.failed, timeout=30_000):
        window.transcribe_file(bogus)
    assert window.editor.toPlainText() == "keep me"
    assert "notes.mp3" in window.status_label.text()
    assert window.transcribe_file_action.isEnabled()


def test_cancel_file_transcription(window, qtbot, speech_clips):
    with qtbot.waitSignal(window.file_transcription.cancelled, timeout=60_000):
        window.transcribe_file(speech_clips[1][0])
        window.cancel_button.click()
    assert window.editor.toPlainText() == ""
    assert "cancelled" in window.status_label.text()


def test_dictation_from_the_real_microphone(window, qtbot, desktop, jfk_wav):
    with qtbot.waitSignal(window.dictation.started, timeout=10_000):
        window.dictate_action.trigger()
    assert window.dictate_action.isChecked() and window.stop_action.isEnabled()
    levels = []
    window.dictation.level.connect(levels.append)
    player = desktop.play(jfk_wav, wait=False)
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)
    with qtbot.waitSignal(window.dictation.stopped, timeout=30_000):
        window.dictate_action.trigger()
    assert not window.dictate_action.isChecked() and not window.stop_action.isEnabled()
    assert max(levels) > 0.1
    text = window.editor.toPlainText()
    assert wer(["and so my fellow americans ask not what your country can do for you "
                "ask what you can do for your country"], [text]) < 0.2
    assert text[0].isupper()


def test_read_aloud_highlights_sentences_in_order_and_ends_cleanly(window, qtbot, desktop):
    text = "First sentence here. Second sentence follows. Third one ends it."
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    spans = []
    window.reader.sentence_started.connect(lambda s, e: spans.append(text[s:e]))
    with qtbot.waitSignal(window.reader.finished, timeout=60_000):
        window.read_action.trigger()
        assert window.stop_action.isEnabled()
    assert [s.strip() for s in spans] == ["First sentence here.", "Second sentence follows.", "Third one ends it."]
    assert window.editor.reading_highlight() is None
    assert window.editor.toPlainText() == text
    assert not window.editor.document().isModified()
    assert not window.stop_action.isEnabled()


def test_stop_interrupts_reading(window, qtbot, desktop):
    window.editor.setPlainText(" ".join(f"This is sentence number {n}." for n in range(30)))
    window.editor.moveCursor(QTextCursor.MoveOperation.Start)
    with qtbot.waitSignal(window.reader.sentence_started, timeout=30_000):
        window.read_action.trigger()
    assert window.reading_controls.pause_action.isEnabled()
    window.stop_action.trigger()
    assert not window.reader.active
    assert window.editor.reading_highlight() is None
    assert "Stopped" in window.status_label.text()
    # Nothing is being read, so the reading controls are off again.
    assert not window.reading_controls.pause_action.isEnabled()
    assert not window.reading_controls.next_action.isEnabled()


def test_read_aloud_with_empty_document_explains(window):
    window.read_action.trigger()
    assert "nothing to read" in window.status_label.text()
