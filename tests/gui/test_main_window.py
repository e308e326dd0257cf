"""The window's document handling, states and settings, driven as a person would."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from voxpad.config import load_settings
from voxpad.ui.main_window import SaveChoice


def test_title_names_the_document_and_shows_unsaved_changes(window, qtbot):
    assert window.windowTitle() == "Untitled[*] — Voxpad"
    assert not window.isWindowModified()
    qtbot.keyClicks(window.editor, "hello")
    assert window.isWindowModified()


def test_controls_have_accessible_names_and_initial_states(window):
    for action in (window.dictate_action, window.read_action, window.stop_action):
        widget = window.toolbar.widgetForAction(action)
        assert widget.accessibleName() == action.text().replace("&", "")
    assert window.editor.accessibleName() == "Document"
    assert window.level_meter.accessibleName() == "Microphone level"
    assert not window.stop_action.isEnabled()
    assert window.dictate_action.isCheckable() and not window.dictate_action.isChecked()
    assert window.dictate_action.shortcut().toString() == "Ctrl+D"
    assert window.read_action.shortcut().toString() == "Ctrl+R"


def test_save_and_open_round_trip(window, qtbot, tmp_path):
    path = tmp_path / "letter.md"
    window.editor.setPlainText("Dear Sam,\n\nCafé at 5? “Yes.”\n")
    assert window.save_to(path)
    assert path.read_text(encoding="utf-8") == "Dear Sam,\n\nCafé at 5? “Yes.”\n"
    assert window.windowTitle().startswith("letter.md")
    assert not window.isWindowModified()
    window.new_document()
    assert window.editor.toPlainText() == ""
    assert window.open_document(path)
    assert window.editor.toPlainText() == "Dear Sam,\n\nCafé at 5? “Yes.”\n"
    assert load_settings().recent_files[0] == str(path)
    assert window.recent_menu.actions()[0].toolTip() == str(path)


def test_unsaved_prompt_cancel_keeps_the_text(window, qtbot):
    window.editor.insertPlainText("important words")
    asked = []
    window.ask_save_changes = lambda: asked.append(1) or SaveChoice.CANCEL
    window.new_document()
    assert asked and window.editor.toPlainText() == "important words"
    assert not window.close()
    assert window.isVisible()


def test_unsaved_prompt_save_writes_the_file(window, tmp_path):
    path = tmp_path / "notes.txt"
    window.save_to(path)
    window.editor.insertPlainText("more words")
    window.ask_save_changes = lambda: SaveChoice.SAVE
    window.new_document()
    assert path.read_text() == "more words"
    assert window.editor.toPlainText() == ""


def test_failed_save_says_why_and_keeps_the_document(window, tmp_path):
    window.editor.insertPlainText("do not lose me")
    assert not window.save_to(tmp_path / "missing-folder" / "x.txt")
    assert "does not exist" in window.status_label.text()
    assert window.editor.toPlainText() == "do not lose me"
    assert window.isWindowModified()


def test_opening_a_folder_shows_an_error(window, tmp_path):
    assert not window.open_document(tmp_path, ask=False)
    assert "folder" in window.status_label.text()


def test_read_selection_or_from_cursor(window):
    window.editor.setPlainText("One. Two. Three.")
    cursor = window.editor.textCursor()
    cursor.setPosition(5)
    cursor.setPosition(9, QTextCursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    assert window.editor.text_to_read() == ("Two.", 5)
    cursor.setPosition(10)
    window.editor.setTextCursor(cursor)
    assert window.editor.text_to_read() == ("Three.", 10)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    assert window.editor.text_to_read() == ("One. Two. Three.", 0)


def test_dictated_text_is_one_undo_step(window):
    window.editor.setPlainText("Hello.")
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    window.editor.insert_dictation(" how are you?")
    assert window.editor.toPlainText() == "Hello. How are you?"
    window.editor.undo()
    assert window.editor.toPlainText() == "Hello."


def test_find_bar_finds_and_wraps(window, qtbot):
    window.editor.setPlainText("alpha beta alpha")
    window.find_action.trigger()
    assert window.find_bar.isVisible()
    qtbot.keyClicks(window.find_bar.field, "alpha")
    assert window.editor.textCursor().selectionStart() == 0
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Return)
    assert window.editor.textCursor().selectionStart() == 11
    qtbot.keyClick(window.find_bar.field, Qt.Key.Key_Return)
    assert window.editor.textCursor().selectionStart() == 0
    qtbot.keyClicks(window.find_bar.field, "zzz")
    assert window.find_bar.result.text() == "Not found"


def test_font_size_and_word_wrap(window):
    size = window.editor.font_size()
    window.bigger_action.trigger()
    assert window.editor.font_size() == size + 1
    window.wrap_action.trigger()
    assert window.editor.lineWrapMode() == window.editor.LineWrapMode.NoWrap
    assert window.settings.word_wrap is False


def test_settings_dialog_values_are_saved_and_restored(window, qtbot, monkeypatch):
    from voxpad.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.settings, ["Mic A"], ["Speaker B"], window)
    dialog.microphone.setCurrentIndex(dialog.microphone.findData("Mic A"))
    dialog.speed.setValue(1.5)
    assert dialog.follow_language.isChecked()  # on by default
    dialog.follow_language.setChecked(False)
    chosen = dialog.result_settings()
    window.apply_settings(chosen)
    window.save_settings()
    restored = load_settings()
    assert restored.input_device == "Mic A"
    assert restored.voice_speed == 1.5
    assert window.reader.speed == 1.5
    assert restored.voice_follows_language is False and window.reader.follow_language is False
    reopened = SettingsDialog(restored, [], [], window)
    assert reopened.microphone.currentText() == "Mic A (not connected)"
