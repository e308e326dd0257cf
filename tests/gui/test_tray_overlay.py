"""Dictate-anywhere pieces inside the window: overlay, routing of utterances, tray, settings."""

from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from voxpad.config import Settings
from voxpad.ui.anywhere_settings import AnywhereSettings
from voxpad.ui.dictation_overlay import DictationOverlay
from voxpad.ui.focused_app_typing import FocusedAppTyping
from xterm_target import wait_until, xterm  # noqa: F401  (fixture)


def test_overlay_is_a_window_that_never_takes_focus(qtbot):
    overlay = DictationOverlay()
    qtbot.addWidget(overlay)
    flags = overlay.windowFlags()
    for flag in (Qt.WindowType.WindowDoesNotAcceptFocus, Qt.WindowType.Tool,
                 Qt.WindowType.FramelessWindowHint, Qt.WindowType.WindowStaysOnTopHint):
        assert flags & flag, flag
    assert overlay.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    overlay.show_listening()
    assert overlay.isVisible()
    assert QApplication.focusWidget() is None or QApplication.focusWidget().window() is not overlay


def test_overlay_follows_dictation_and_hides_when_it_stops(window, qtbot):
    anywhere = window.anywhere
    window.dictation.started.emit()  # as the controller does when the microphone is open
    assert anywhere.overlay.isVisible() or window.isActiveWindow()
    anywhere.overlay.show_listening()
    window.dictation.partial.emit("ask not what")
    assert "ask not what" in anywhere.overlay.live_text
    window.dictation.final.emit("Ask not what your country can do.")
    assert "your country can do" in anywhere.overlay.live_text
    window.dictation.stopped.emit()
    assert not anywhere.overlay.isVisible()


def test_utterances_stay_in_the_document_until_desktop_integration_starts(window):
    window.dictation.final.emit("Hello there.")
    assert "Hello there." in window.editor.toPlainText()
    assert not window.anywhere.take_final("Not typed anywhere.")


def test_without_a_tray_closing_the_window_quits_as_before(window, qtbot):
    window.anywhere.start()
    try:
        assert window.anywhere.tray is None  # the offscreen platform has no system tray
        assert not window.anywhere.close_to_tray()
        assert window.close()
    finally:
        window.anywhere.shutdown()


def test_hotkey_fields_capture_keys_and_save_them(qtbot):
    settings = Settings()
    rows = AnywhereSettings(settings)
    qtbot.addWidget(rows)
    assert rows.toggle_key.keySequence() == QKeySequence("Ctrl+Alt+Space")
    rows.push_to_talk_key.setFocus()
    qtbot.keyClick(rows.push_to_talk_key, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier
                   | Qt.KeyboardModifier.AltModifier)
    rows.method.setCurrentIndex(rows.method.findData("clipboard"))
    rows.cues.setChecked(False)
    rows.apply_to(settings)
    assert settings.push_to_talk_hotkey == "Ctrl+Alt+P"
    assert settings.toggle_hotkey == "Ctrl+Alt+Space"
    assert settings.insertion_method == "clipboard"
    assert settings.cue_sounds is False


def test_consecutive_utterances_are_typed_with_sensible_spacing(desktop, xterm, qtbot):
    term = xterm("spacing-target")
    term.focus()
    typing = FocusedAppTyping()
    typed: list[str] = []
    typing.inserted.connect(typed.append)
    typing.new_dictation()
    for utterance in ("hello world.", " This is Voxpad", "speaking."):
        typing.insert(utterance)
    qtbot.waitUntil(lambda: len(typed) == 3, timeout=10000)
    subprocess.run(["xdotool", "key", "Return"], check=True)
    line = wait_until(lambda: term.out.exists() and term.out.read_text(encoding="utf-8").endswith("\n")
                      and term.out.read_text(encoding="utf-8"), 10, "the typed line")
    assert line == "Hello world. This is Voxpad speaking.\n"


def test_on_wayland_without_x_the_user_is_told_which_command_to_bind(qtbot, monkeypatch):
    # A Wayland session cannot exist on this machine: an environment without DISPLAY and
    # with WAYLAND_DISPLAY is what the code sees there.
    from voxpad.ui.global_hotkeys import GlobalHotkeys

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    hotkeys = GlobalHotkeys()
    with qtbot.waitSignal(hotkeys.failed) as reported:
        hotkeys.apply("Ctrl+Alt+Space", "", "Ctrl+Alt+R")
    assert "voxpad --toggle-dictation" in reported.args[0]
    assert hotkeys.active_bindings == {}


def test_a_taken_hotkey_is_shown_in_the_status_bar_and_the_window_keeps_working(window, qtbot, desktop):
    from Xlib import X, XK, display

    other = display.Display()  # another program holding Ctrl+Alt+Space
    code = other.keysym_to_keycode(XK.string_to_keysym("space"))
    other.screen().root.grab_key(code, X.ControlMask | X.Mod1Mask, True, X.GrabModeAsync, X.GrabModeAsync)
    other.sync()
    try:
        window.anywhere.start()
        qtbot.waitUntil(lambda: "Ctrl+Alt+Space is already used by another program" in window.status_label.text())
        assert set(window.anywhere.hotkeys.active_bindings) == {"read-selection"}
        window.editor.insertPlainText("still editable")
        assert "still editable" in window.editor.toPlainText()
    finally:
        window.anywhere.shutdown()
        other.close()
