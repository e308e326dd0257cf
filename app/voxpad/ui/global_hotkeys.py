"""Global hotkeys for the window: the X11 grabber's thread callbacks become Qt signals.

On Wayland without X, no program may grab keys for itself; the XDG GlobalShortcuts portal
is not used yet, so the user is told to bind ``voxpad --toggle-dictation`` in the desktop's
own keyboard settings (the single-instance socket makes that command work).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from voxpad.desktop.hotkeys_x11 import HotkeyError, HotkeyEvent, X11Hotkeys
from voxpad.desktop.typing import on_wayland

log = logging.getLogger(__name__)

TOGGLE = "toggle"
PUSH_TO_TALK = "push-to-talk"
READ_SELECTION = "read-selection"

WAYLAND_MESSAGE = (
    "Global hotkeys are not available on this Wayland desktop: in your desktop's keyboard settings, "
    "bind a shortcut to the command “voxpad --toggle-dictation” (and “voxpad --read-selection”).")


class GlobalHotkeys(QObject):
    """Owns the grabbed keys; ``apply()`` (re)binds them and reports problems through ``failed``."""

    toggle_pressed = Signal()
    push_to_talk_pressed = Signal()
    push_to_talk_released = Signal()
    read_selection_pressed = Signal()
    failed = Signal(str)
    # Emitted on the listener thread; queued to the GUI thread by Qt.
    _event = Signal(str, bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grabber: X11Hotkeys | None = None
        self._event.connect(self._dispatch)
        self.active_bindings: dict[str, str] = {}
        self.problem: str | None = None

    def apply(self, toggle: str, push_to_talk: str, read_selection: str) -> str | None:
        """Grab the keys (empty = unused); returns, and emits, a sentence if something failed."""
        self.stop()
        bindings = {TOGGLE: toggle, PUSH_TO_TALK: push_to_talk, READ_SELECTION: read_selection}
        bindings = {name: keys for name, keys in bindings.items() if keys and keys.strip()}
        self.problem = None
        if not X11Hotkeys.is_available():
            self.problem = WAYLAND_MESSAGE if on_wayland() else (
                "Global hotkeys are not available: no X server answers on this display.")
        else:
            try:
                self._grabber = X11Hotkeys(bindings, self._from_listener)
                self._grabber.start()
            except HotkeyError as exc:
                self.problem = str(exc)
                if self._grabber is not None and not self._grabber.taken:
                    self._grabber = None  # nothing was grabbed at all
        taken = set(self._grabber.taken) if self._grabber else set(bindings)
        self.active_bindings = {name: keys for name, keys in bindings.items() if name not in taken}
        if self.problem:
            log.warning("%s", self.problem)
            # After the caller's own status line (e.g. "Settings saved."), so it stays on screen.
            QTimer.singleShot(0, lambda problem=self.problem: self.failed.emit(problem))
        return self.problem

    def stop(self) -> None:
        if self._grabber is not None:
            self._grabber.stop()
            self._grabber = None
        self.active_bindings = {}

    def _from_listener(self, event: HotkeyEvent) -> None:
        self._event.emit(event.name, event.pressed)

    def _dispatch(self, name: str, pressed: bool) -> None:
        if name == TOGGLE and pressed:
            self.toggle_pressed.emit()
        elif name == READ_SELECTION and pressed:
            self.read_selection_pressed.emit()
        elif name == PUSH_TO_TALK:
            (self.push_to_talk_pressed if pressed else self.push_to_talk_released).emit()
