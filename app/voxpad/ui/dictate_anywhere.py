"""Dictate anywhere: global hotkeys, typing into the focused app, overlay, cues, tray, commands.

The window owns one ``DictateAnywhere``. It reuses the window's DictationController and
ReaderController (one microphone, one speaker, one model), and decides where each settled
utterance goes: into Voxpad's document while the window has focus, otherwise typed into
whatever application has focus when the utterance arrives.

Nothing here touches the desktop (grabs keys, opens a socket, shows a tray icon) until
``start()`` is called, which the application does; widget tests that build a window leave
the desktop alone.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from voxpad.config import Settings
from voxpad.desktop.typing import on_x11
from voxpad.ui import single_instance
from voxpad.ui.cue_sounds import CueSounds
from voxpad.ui.dictation_overlay import DictationOverlay
from voxpad.ui.focused_app_typing import FocusedAppTyping
from voxpad.ui.global_hotkeys import GlobalHotkeys
from voxpad.ui.tasks import describe_error, run_in_background
from voxpad.ui.tray_icon import TrayIcon

log = logging.getLogger(__name__)


class DictateAnywhere(QObject):
    """The window's bridge to the rest of the desktop."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.started = False
        self.quitting = False
        self.reading_selection = False  # the reader is reading text from another app
        self.hotkeys = GlobalHotkeys(self)
        self.typing = FocusedAppTyping(self)
        self.overlay = DictationOverlay()
        self.cues = CueSounds()
        self.tray: TrayIcon | None = None
        self.server: single_instance.SingleInstanceServer | None = None
        self._show_overlay = True
        self._told_about_tray = False

        d = window.dictation
        d.started.connect(self._dictation_started)
        d.level.connect(self.overlay.level_meter.set_level)
        d.partial.connect(self.overlay.set_partial)
        d.final.connect(self.overlay.add_final)
        d.transcribing.connect(self.overlay.show_transcribing)
        d.stopped.connect(self._dictation_stopped)
        self.hotkeys.toggle_pressed.connect(self.toggle_dictation)
        self.hotkeys.push_to_talk_pressed.connect(self._push_to_talk_down)
        self.hotkeys.push_to_talk_released.connect(self._push_to_talk_up)
        self.hotkeys.read_selection_pressed.connect(self.read_selection)
        self.hotkeys.failed.connect(window.show_error)
        self.hotkeys.portal_bound.connect(self._shortcuts_bound)
        self.typing.failed.connect(window.show_error)
        # Text that could not be typed elsewhere is kept in the document rather than lost.
        self.typing.undelivered.connect(window.editor.insert_dictation)
        window.reader.finished.connect(self._reading_done)
        window.read_action.triggered.connect(self._reading_done)

    # -- set-up ------------------------------------------------------------------------
    def apply_settings(self, settings: Settings) -> None:
        self.typing.method = settings.insertion_method
        self.cues.enabled = settings.cue_sounds
        self.cues.output_device = settings.output_device
        self._show_overlay = settings.show_overlay
        if self.started:
            self.hotkeys.apply(settings.toggle_hotkey, settings.push_to_talk_hotkey,
                               settings.read_selection_hotkey)

    def start(self, server: single_instance.SingleInstanceServer | None = None) -> None:
        """Grab the hotkeys, show the tray icon, take commands from later launches."""
        self.started = True
        s = self.window.settings
        self.hotkeys.apply(s.toggle_hotkey, s.push_to_talk_hotkey, s.read_selection_hotkey)
        if server is not None:
            self.server = server
            server.command_received.connect(self.run_command)
        self.tray = TrayIcon.create(QApplication.windowIcon(), self.window)
        if self.tray is not None:
            self.tray.dictate_action.triggered.connect(self.toggle_dictation)
            self.tray.read_selection_action.triggered.connect(self.read_selection)
            self.tray.show_action.triggered.connect(self.show_window)
            self.tray.settings_action.triggered.connect(self._show_settings)
            self.tray.quit_action.triggered.connect(self.quit)
            self.tray.activated.connect(self._tray_activated)
            self.tray.show()
            # The window may hide to the tray; the app lives on until Quit.
            QApplication.instance().setQuitOnLastWindowClosed(False)
        self.window.quit_action.triggered.disconnect()
        self.window.quit_action.triggered.connect(self.quit)

    def shutdown(self) -> None:
        from voxpad.desktop.typing import close_typers

        self.hotkeys.stop()
        close_typers()  # spare keycodes bound for typing go back to empty
        self.cues.close()
        self.overlay.hide()
        if self.server is not None:
            self.server.close()
        if self.tray is not None:
            self.tray.hide()

    def _shortcuts_bound(self, triggers: dict) -> None:
        """On Wayland the desktop chose the keys (the user may have changed them): say which."""
        from voxpad.desktop.portal_shortcuts import DESCRIPTIONS

        shown = [f"{DESCRIPTIONS.get(name, name)}: {keys}" for name, keys in triggers.items()]
        if shown:
            self.window.set_status("Global shortcuts set by the desktop. " + "; ".join(shown) + ".")

    # -- commands from other launches ------------------------------------------------------
    def run_command(self, command: str) -> None:
        if command == single_instance.TOGGLE_DICTATION:
            self.toggle_dictation()
        elif command == single_instance.READ_SELECTION:
            self.read_selection()
        elif command.startswith("open:"):
            self.show_window()
            from pathlib import Path

            self.window.open_document(Path(command[5:]))
        else:
            self.show_window()

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # -- dictation -------------------------------------------------------------------------
    def toggle_dictation(self) -> None:
        self.window.toggle_dictation()

    def _push_to_talk_down(self) -> None:
        # Until the key is up, keys typed would go to our own grab (FocusedAppTyping).
        self.typing.hold()
        if not self.window.dictation.active:
            self.window.toggle_dictation()

    def _push_to_talk_up(self) -> None:
        self.typing.release()
        if self.window.dictation.active:
            self.window.dictation.stop()

    def voxpad_has_focus(self) -> bool:
        return QApplication.activeWindow() is not None

    def take_final(self, text: str) -> bool:
        """Type the utterance into the focused app, unless Voxpad has focus (then the window inserts it)."""
        if not self.started or self.voxpad_has_focus():
            return False
        log.debug("Typing an utterance of %d characters into the focused application", len(text))
        self.typing.insert(text)
        return True

    def _dictation_started(self) -> None:
        self.typing.new_dictation()
        if self.started:  # the running app, not a window built by a widget test
            self.cues.play("start")
        if self._show_overlay and (not self.window.isVisible() or not self.voxpad_has_focus()):
            self.overlay.show_listening()
        if self.tray is not None:
            self.tray.set_state("listening", listening=True)

    def _dictation_stopped(self) -> None:
        self.overlay.hide()
        if self.started:
            self.cues.play("stop")
        if self.tray is not None:
            self.tray.set_state("ready", listening=False)

    # -- read selection aloud -----------------------------------------------------------
    def read_selection(self) -> None:
        """Read the text selected in any application (PRIMARY, else the clipboard)."""
        if not on_x11():  # Wayland: only the clipboard Qt can see
            from PySide6.QtGui import QClipboard

            clipboard = QApplication.clipboard()
            self._read_text(clipboard.text(QClipboard.Mode.Selection) or clipboard.text())
            return

        def fetch(_task) -> str:
            return selected_text()

        run_in_background(fetch, on_done=self._read_text,
                          on_error=lambda exc: self.window.show_error(describe_error(exc)))

    def _read_text(self, text: str) -> None:
        if not text.strip():
            self.window.set_status("There is no selected text to read. Select some text in any app first.")
            return
        if self.window.dictation.active:
            self.window.dictation.stop()
        self.reading_selection = True
        self.window.stop_action.setEnabled(True)
        self.window.set_status("Reading the selection aloud…")
        self.window.reader.read(text, 0)

    def _reading_done(self, *_args) -> None:
        self.reading_selection = False

    # -- tray and closing ---------------------------------------------------------------
    def _tray_activated(self, reason) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            if self.window.isVisible():
                self.window.hide()
            else:
                self.show_window()

    def _show_settings(self) -> None:
        self.show_window()
        QTimer.singleShot(0, self.window.show_settings)

    def close_to_tray(self) -> bool:
        """On closing the window: hide to the tray if there is one (hotkeys keep working)."""
        if self.quitting or self.tray is None or not self.tray.isVisible():
            return False
        self.window.hide()
        if not self._told_about_tray:
            self._told_about_tray = True
            self.tray.showMessage("Voxpad", "Voxpad keeps running here; the dictation hotkey still works.")
        return True

    def quit(self) -> None:
        self.quitting = True
        if self.window.close():
            self.shutdown()
            QApplication.instance().quit()
        else:
            self.quitting = False


def selected_text() -> str:
    """The X11 PRIMARY selection (what is highlighted), else the clipboard; blocking."""
    from voxpad.desktop.x_selection import TEXT_TARGETS, read_selection

    for selection in ("PRIMARY", "CLIPBOARD"):
        contents = read_selection(selection)
        for target in TEXT_TARGETS:
            if target in contents:
                data = contents[target].data
                text = data.decode("utf-8" if target != "STRING" else "latin-1", errors="replace")
                if text.strip():
                    return text
    return ""
