"""Global hotkeys for the window: the grabbers' thread callbacks become Qt signals.

On X11, Voxpad grabs the keys itself (hotkeys_x11). On a Wayland session no program may
grab keys, so the desktop is asked to bind them through the XDG desktop portal's
GlobalShortcuts (portal_shortcuts); its Activated/Deactivated signals call the same slots.
Where no portal offers GlobalShortcuts, X grabs are used if XWayland answers (they work
while an X window has focus), and the user is told to bind ``voxpad --toggle-dictation``
in the desktop's own keyboard settings (the single-instance socket makes that command work).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

from voxpad.desktop.hotkeys_x11 import HotkeyError, HotkeyEvent, X11Hotkeys
from voxpad.desktop.portal_shortcuts import DESCRIPTIONS, PortalShortcuts, PortalUnavailable
from voxpad.desktop.typing import on_wayland

log = logging.getLogger(__name__)

TOGGLE = "toggle"
PUSH_TO_TALK = "push-to-talk"
READ_SELECTION = "read-selection"

BIND_ADVICE = ("In your desktop's keyboard settings, bind a shortcut to the command "
               "“voxpad --toggle-dictation” (and “voxpad --read-selection”).")
WAYLAND_MESSAGE = ("Global hotkeys are not available on this Wayland desktop (it offers no global "
                   "shortcuts portal). " + BIND_ADVICE)


class GlobalHotkeys(QObject):
    """Owns the grabbed keys; ``apply()`` (re)binds them and reports problems through ``failed``."""

    toggle_pressed = Signal()
    push_to_talk_pressed = Signal()
    push_to_talk_released = Signal()
    read_selection_pressed = Signal()
    failed = Signal(str)
    # The desktop portal bound the shortcuts: {name: the desktop's description of the keys}.
    portal_bound = Signal(dict)
    # Emitted on the listener thread; queued to the GUI thread by Qt.
    _event = Signal(str, bool)
    _portal_status = Signal(object, object, dict)  # (PortalShortcuts, problem or None, triggers)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grabber: X11Hotkeys | None = None
        self._portal: PortalShortcuts | None = None
        self._event.connect(self._dispatch)
        self._portal_status.connect(self._portal_done)
        self.active_bindings: dict[str, str] = {}
        self.problem: str | None = None
        self.backend = ""  # "x11", "portal" or "" (none)
        self._pending: dict[str, str] = {}  # what was asked of the portal

    def apply(self, toggle: str, push_to_talk: str, read_selection: str) -> str | None:
        """Grab the keys (empty = unused); returns, and emits, a sentence if something failed.

        On Wayland the portal answers later: problems then come only through ``failed``.
        """
        self.stop()
        bindings = {TOGGLE: toggle, PUSH_TO_TALK: push_to_talk, READ_SELECTION: read_selection}
        bindings = {name: keys for name, keys in bindings.items() if keys and keys.strip()}
        self.problem = None
        if on_wayland() and bindings:
            self.backend = "portal"
            self._pending = bindings
            portal = PortalShortcuts(bindings, self._from_listener,
                                     lambda problem, triggers: self._portal_status.emit(portal, problem, triggers))
            self._portal = portal
            portal.start()
            return None
        return self._apply_x11(bindings)

    def _portal_done(self, portal: PortalShortcuts, problem: HotkeyError | None, triggers: dict) -> None:
        if portal is not self._portal:
            return  # an earlier apply() that was replaced
        if problem is None:
            self.active_bindings = {name: keys for name, keys in self._pending.items() if name in triggers}
            shown = {name: triggers[name] or self._pending[name] for name in self.active_bindings}
            log.info("Global shortcuts bound by the desktop portal: %s", shown)
            self.portal_bound.emit(shown)
            missing = set(self._pending) - set(triggers)
            if missing:
                # KDE Plasma 5.27, for one, binds nothing itself: it opens System Settings instead.
                self._report("The desktop did not bind these Voxpad shortcuts: "
                             + ", ".join(DESCRIPTIONS.get(name, name) for name in sorted(missing))
                             + ". Set their keys in the desktop's keyboard settings (Voxpad is listed there), or: "
                             + BIND_ADVICE)
            return
        self._portal.stop()
        self._portal = None
        if isinstance(problem, PortalUnavailable):
            log.info("%s", problem)
            # XWayland grabs if there is an X server (they see keys only while an X window has
            # focus), else WAYLAND_MESSAGE; either way the user should bind the command.
            if self._apply_x11(self._pending) is None:
                self._report("This Wayland desktop offers no global shortcuts portal, so Voxpad's hotkeys work "
                             "only while an X11 (XWayland) window has focus. " + BIND_ADVICE)
        else:
            self.backend = ""
            self._report(f"{problem} {BIND_ADVICE}")

    def _report(self, problem: str) -> None:
        self.problem = problem
        log.warning("%s", problem)
        # After the caller's own status line (e.g. "Settings saved."), so it stays on screen.
        QTimer.singleShot(0, lambda: self.failed.emit(problem))

    def _apply_x11(self, bindings: dict[str, str]) -> str | None:
        self.backend = "x11"
        if not X11Hotkeys.is_available():
            self.backend = ""
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
        if self._portal is not None:
            self._portal.stop()
            self._portal = None
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
