"""The Models and Voices window: list, import (valid and broken), use, remove, download with cancel.

Real store in a per-test data folder, real bundled model and voice, real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from model_copies import listed_names, model_home, voice_copy  # noqa: F401
from model_server import ModelFileServer, catalogue_file_entry, write_catalogue

from voxpad.config import Settings, load_settings
from voxpad.engines import Engines
from voxpad.models.defaults import bundled_voice
from voxpad.ui.models_page import ModelsDialog


def table_rows(dialog: ModelsDialog) -> list[list[str]]:
    table = dialog.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


@pytest.fixture
def dialog(qtbot, model_home):
    page = ModelsDialog(Settings())
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    yield page
    if page.busy:
        page.cancel()
        qtbot.waitUntil(lambda: not page.busy, timeout=60_000)


def wait_idle(qtbot, dialog: ModelsDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=120_000)


def test_lists_the_bundled_model_and_voice(dialog):
    rows = table_rows(dialog)
    assert rows == [
        ["tiny.en (bundled)", "Speech model", "en", "78 MB", "fastest, least accurate", "✓ in use"],
        ["en_US-joe-medium (bundled)", "Voice", "en_US", "63 MB", "medium quality", "✓ in use"],
    ]
    dialog.select("tiny.en")
    assert not dialog.remove_button.isEnabled() and not dialog.use_button.isEnabled()
    # tiny.en knows only English, so there is no language to choose.
    assert not dialog.language.isEnabled() and dialog.language.currentData() == "en"
    assert dialog.available.count() > 5 and not dialog.progress.isVisible()


def test_import_valid_voice_then_use_then_remove(qtbot, dialog, tmp_path):
    changes = []
    dialog.settings_changed.connect(changes.append)
    dialog.import_path(voice_copy(tmp_path / "src", "joe-copy"))
    assert dialog.busy and not dialog.import_voice_button.isEnabled()
    wait_idle(qtbot, dialog)
    assert dialog.message.text() == "Installed joe-copy. Select it and press Use to use it."
    assert ["joe-copy", "Voice", "en_US", "63 MB", "medium quality", ""] in table_rows(dialog)
    assert dialog.selected().name == "joe-copy"

    assert dialog.use_button.isEnabled()
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert dialog.settings.voice_model.endswith("voices/joe-copy.onnx") and changes == [dialog.settings]
    assert ["joe-copy", "Voice", "en_US", "63 MB", "medium quality", "✓ in use"] in table_rows(dialog)
    assert table_rows(dialog)[1][5] == ""  # the bundled voice is no longer the one in use

    dialog.select("joe-copy")
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Removed joe-copy; Voxpad uses the bundled one again."
    assert [row[0] for row in table_rows(dialog)] == ["tiny.en (bundled)", "en_US-joe-medium (bundled)"]
    assert dialog.settings.voice_model is None and len(changes) == 2
    assert listed_names("tts") == ["en_US-joe-medium"]


def test_broken_voice_is_refused_with_the_sentence_shown(qtbot, dialog, tmp_path):
    broken = voice_copy(tmp_path / "src", "broken")
    broken.with_name("broken.onnx.json").write_text("{ truncated", encoding="utf-8")
    dialog.import_path(broken)
    wait_idle(qtbot, dialog)
    assert dialog.message.text() == "The voice settings file broken.onnx.json is damaged (it is not valid JSON)."
    assert "b3261e" in dialog.message.styleSheet()
    assert len(table_rows(dialog)) == 2


def test_download_shows_progress_can_be_cancelled_and_then_completes(qtbot, dialog, model_home):
    voice = bundled_voice()
    server = ModelFileServer(files={"v/x.onnx": voice.model, "v/x.onnx.json": voice.config}).start()
    try:
        write_catalogue(model_home, [{"kind": "tts", "name": "en_US-local-medium", "languages": ["en_US"],
                                      "hint": "served from this machine",
                                      "files": [catalogue_file_entry("v/x.onnx.json", voice.config),
                                                catalogue_file_entry("v/x.onnx", voice.model)]}])
        dialog.mirror.setText(server.url)
        dialog.mirror.editingFinished.emit()
        assert dialog.settings.model_mirror_url == server.url
        dialog.refresh()
        index = dialog.available.findData("en_US-local-medium")
        assert index >= 0
        dialog.available.setCurrentIndex(index)

        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible() and dialog.cancel_button.isVisible()
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, dialog)
        assert dialog.message.text().startswith("The download of en_US-local-medium was cancelled.")
        assert "en_US-local-medium" not in listed_names("tts")

        seen = []
        dialog.progress.valueChanged.connect(seen.append)
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, dialog)
        assert dialog.message.text() == "Installed en_US-local-medium. Select it and press Use to use it."
        assert seen and seen[-1] == 1000
        assert "en_US-local-medium" in [row[0] for row in table_rows(dialog)]
        assert dialog.available.findData("en_US-local-medium") == -1  # installed: no longer offered
    finally:
        server.stop()


def test_menu_entry_opens_the_page_and_choices_reach_engines_and_settings_file(qtbot, window, model_home,
                                                                              tmp_path):
    assert window.models_action.text() == "&Models and Voices…"
    window.models_action.trigger()
    dialog = window.findChild(ModelsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.import_path(voice_copy(tmp_path / "src", "menu-voice"))
    wait_idle(qtbot, dialog)
    dialog.select("menu-voice")
    dialog.use_selected()
    assert load_settings().voice_model.endswith("voices/menu-voice.onnx")
    assert window.engines._voice_model == load_settings().voice_model
    dialog.idle_minutes.setValue(3)
    assert load_settings().idle_unload_minutes == 3
    dialog.select("en_US-joe-medium")
    dialog.use_selected()  # leave the shared engines as the other tests expect them
    dialog.idle_minutes.setValue(10)
    dialog.close()


def test_status_line_says_when_a_model_is_unloaded_and_reloaded(qtbot, model_home):
    from voxpad.ui.main_window import MainWindow

    engines = Engines()
    win = MainWindow(Settings(), engines)
    qtbot.addWidget(win)
    try:
        engines.set_idle_unload(0.3)
        engines.voice()
        qtbot.waitUntil(lambda: win.status_label.text().startswith("Unloaded the voice after"), timeout=30_000)
        engines.set_idle_unload(0)  # keep it loaded now, so the reload message is the last word
        engines.voice()
        qtbot.waitUntil(lambda: win.status_label.text() == "The voice is loaded again.", timeout=30_000)
    finally:
        win.dictation.stop()
        win.reader.shutdown()


def test_language_setting_reaches_dictation_and_file_transcription(window):
    window.apply_settings(Settings(language="de"))
    assert window.dictation.language == "de" and window.file_transcription.language == "de"
    window.apply_settings(Settings(language="auto"))
    assert window.dictation.language is None and window.file_transcription.language is None
    window.apply_settings(Settings())
    assert window.dictation.language == "en"


def test_language_choice_is_offered_for_a_multilingual_model(qtbot, model_home, tmp_path):
    from model_copies import whisper_copy

    from voxpad.models import store
    from voxpad.models.defaults import bundled_whisper_model

    # tiny.en with a multilingual-sized vocabulary counts as multilingual for the listing (not loaded here).
    folder = whisper_copy(model_home / "models" / "stt" / "multi", skip=("vocabulary.txt",))
    vocabulary = (bundled_whisper_model() / "vocabulary.txt").read_text(encoding="utf-8")
    (folder / "vocabulary.txt").write_text(vocabulary + "<|extra|>\n", encoding="utf-8")
    settings = Settings()
    store.use_model("multi", settings)
    page = ModelsDialog(settings)
    qtbot.addWidget(page)
    assert page.language.isEnabled() and page.language.itemData(0) == "auto"
    changes = []
    page.settings_changed.connect(changes.append)
    page.language.setCurrentIndex(page.language.findData("de"))
    page.language.activated.emit(page.language.currentIndex())
    assert settings.language == "de" and changes == [settings]
