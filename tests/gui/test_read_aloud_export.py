"""File > Export Audio… and the voice choice in Settings."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor

from voxpad.audio.decode import audio_duration
from voxpad.config import Settings


def test_export_audio_of_the_selection_with_progress(window, qtbot, tmp_path):
    window.editor.setPlainText("Only this sentence. Not this one at all, which is much longer than the first.")
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(len("Only this sentence."), QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    progress = []
    window.audio_export.progress.valueChanged.connect(progress.append)
    path = tmp_path / "selection.mp3"
    with qtbot.waitSignal(window.audio_export.finished, timeout=60_000) as done:
        window.audio_export.export_to(path)
        assert window.audio_export.progress.isVisible()
    assert done.args == [str(path)]
    assert progress and progress[-1] == 1000
    assert 0.8 < audio_duration(path) < 3.0  # the selection only
    assert "Saved the audio" in window.status_label.text()
    assert not window.audio_export.progress.isVisible()
    assert "Export &Audio…" in [a.text() for a in window.menuBar().actions()[0].menu().actions()]


def test_export_to_an_unwritable_place_shows_a_sentence_and_keeps_the_text(window, qtbot, tmp_path):
    window.editor.setPlainText("Keep me.")
    with qtbot.waitSignal(window.audio_export.failed, timeout=60_000):
        window.audio_export.export_to(tmp_path / "missing" / "out.wav")
    assert "Cannot write" in window.status_label.text()
    assert window.editor.toPlainText() == "Keep me."


def test_settings_offer_the_installed_voices_with_the_bundled_one_chosen(qtbot, tmp_path, monkeypatch):
    import shutil

    from voxpad.models.defaults import bundled_voice
    from voxpad.ui.settings_dialog import SettingsDialog

    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path))
    voices = tmp_path / "voices"
    voices.mkdir(exist_ok=True)
    bundled = bundled_voice()
    shutil.copy(bundled.model, voices / "en_US-copy-medium.onnx")
    shutil.copy(bundled.config, voices / "en_US-copy-medium.onnx.json")
    dialog = SettingsDialog(Settings(), [], [])
    qtbot.addWidget(dialog)
    names = [dialog.voice.itemText(i) for i in range(dialog.voice.count())]
    assert names[0].endswith("(bundled)") and "en_US-copy-medium" in names
    assert dialog.voice.currentIndex() == 0 and dialog.result_settings().voice_model is None
    dialog.voice.setCurrentIndex(names.index("en_US-copy-medium"))
    assert dialog.result_settings().voice_model == str(voices / "en_US-copy-medium.onnx")
