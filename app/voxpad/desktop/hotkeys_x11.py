"""Global hotkeys on X11: XGrabKey on the root window, events read on a listener thread.

A passive grab on the root window makes the X server send us the key whichever window has
focus, and the focused application never sees it. The grab is made for every combination
of NumLock and CapsLock too, because the server matches modifier state exactly: without
those variants the hotkey silently stops working when NumLock is on.

Plain Python (python-xlib), no Qt: callbacks run on the listener thread, and the UI layer
turns them into Qt signals.
"""

from __future__ import annotations

import logging
import os
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass

from voxpad.errors import VoxpadError

log = logging.getLogger(__name__)

# How long a release waits for the press that would make it an auto-repeat: repeats come
# 25-40 ms apart, and the pair is sent together, so this only has to cover delivery.
_AUTOREPEAT_WINDOW = 0.06


class HotkeyError(VoxpadError):
    """A hotkey could not be set up (no X server, unknown key, or taken by another program)."""


class HotkeyTakenError(HotkeyError):
    """Another program already grabbed the key combination."""


_MODIFIER_NAMES = {
    "ctrl": "ControlMask", "control": "ControlMask",
    "alt": "Mod1Mask", "mod1": "Mod1Mask",
    "shift": "ShiftMask",
    "super": "Mod4Mask", "meta": "Mod4Mask", "win": "Mod4Mask", "mod4": "Mod4Mask",
}
# Keys whose names people write differently from X keysym names.
_KEY_ALIASES = {
    "esc": "Escape", "enter": "Return", "return": "Return", "del": "Delete", "ins": "Insert",
    "pgup": "Prior", "pgdown": "Next", "pageup": "Prior", "pagedown": "Next", "space": "space",
    "backspace": "BackSpace", "tab": "Tab", "pause": "Pause", "print": "Print",
}


@dataclass(frozen=True)
class Hotkey:
    """A key combination such as ``ctrl+alt+space``: modifier names and one key name."""

    modifiers: frozenset[str]
    key: str

    @classmethod
    def parse(cls, text: str) -> Hotkey:
        parts = [p.strip() for p in text.replace(" ", "").split("+")]
        if not text.strip() or any(not p for p in parts):
            raise HotkeyError(f"“{text}” is not a key combination; write it like Ctrl+Alt+Space.")
        *mods, key = parts
        modifiers = set()
        for mod in mods:
            if mod.lower() not in _MODIFIER_NAMES:
                raise HotkeyError(f"“{mod}” in “{text}” is not a modifier key (use Ctrl, Alt, Shift or Super).")
            modifiers.add(_MODIFIER_NAMES[mod.lower()])
        return cls(frozenset(modifiers), _KEY_ALIASES.get(key.lower(), key))

    def __str__(self) -> str:
        """As people write it: Ctrl+Alt+Space."""
        names = {"ControlMask": "Ctrl", "Mod1Mask": "Alt", "ShiftMask": "Shift", "Mod4Mask": "Super"}
        mods = [names[m] for m in names if m in self.modifiers]
        return "+".join(mods + [self.key.upper() if len(self.key) == 1 else self.key[0].upper() + self.key[1:]])


@dataclass(frozen=True)
class HotkeyEvent:
    """``name`` is the binding's name (e.g. "toggle"); ``pressed`` False means released."""

    name: str
    pressed: bool


def x_display_available() -> bool:
    """True if an X server answers on $DISPLAY (XWayland counts)."""
    if not os.environ.get("DISPLAY"):
        return False
    try:
        from Xlib import display as xdisplay

        d = xdisplay.Display()
        d.close()
        return True
    except Exception as exc:
        log.info("No X server answers on %s: %r", os.environ.get("DISPLAY"), exc)
        return False


class X11Hotkeys:
    """Grabs named key combinations and reports presses and releases on a listener thread.

    ``bindings`` maps a name to a key combination; ``on_event`` receives HotkeyEvents (on
    the listener thread). ``start()`` grabs every key and raises HotkeyTakenError naming the
    ones another program holds, after grabbing the others, so the free ones still work.
    """

    def __init__(self, bindings: dict[str, str], on_event: Callable[[HotkeyEvent], None]) -> None:
        self._bindings = {name: Hotkey.parse(text) for name, text in bindings.items() if text.strip()}
        self._on_event = on_event
        self._display = None
        self._grabs: dict[tuple[int, int], str] = {}  # (keycode, modifier mask) -> name
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._running = False
        self.taken: list[str] = []  # names whose key another program holds
        self._held: dict[int, str] = {}  # keycode -> name of a grabbed key now held down

    @staticmethod
    def is_available() -> bool:
        return x_display_available()

    def start(self) -> None:
        from Xlib import X, XK, error
        from Xlib import display as xdisplay

        try:
            self._display = xdisplay.Display()
        except Exception as exc:
            raise HotkeyError(f"The X server could not be reached for global hotkeys ({exc}).") from exc
        d = self._display
        root = d.screen().root
        lock_variants = self._lock_variants(d)
        taken: list[str] = []
        for name, hotkey in self._bindings.items():
            keysym = XK.string_to_keysym(hotkey.key)
            if keysym == 0 and len(hotkey.key) == 1:
                keysym = ord(hotkey.key)
            keycode = d.keysym_to_keycode(keysym) if keysym else 0
            if not keycode:
                d.close()
                self._display = None
                raise HotkeyError(f"The key “{hotkey.key}” of the {name} hotkey is not on this keyboard.")
            mask = 0
            for mod in hotkey.modifiers:
                mask |= getattr(X, mod)
            catcher = error.CatchError(error.BadAccess)
            for extra in lock_variants:
                root.grab_key(keycode, mask | extra, True, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
            d.sync()  # errors arrive asynchronously; sync makes them arrive now
            if catcher.get_error():
                for extra in lock_variants:  # drop whatever variants did succeed
                    root.ungrab_key(keycode, mask | extra)
                taken.append(name)
                continue
            for extra in lock_variants:
                self._grabs[(keycode, mask | extra)] = name
        d.sync()
        root.change_attributes(event_mask=X.KeyPressMask | X.KeyReleaseMask)
        self._wake_r, self._wake_w = os.pipe()
        self._running = True
        self._thread = threading.Thread(target=self._listen, name="x11-hotkeys", daemon=True)
        self._thread.start()
        self.taken = taken
        if taken:
            keys = ", ".join(str(self._bindings[n]) for n in taken)
            raise HotkeyTakenError(
                f"The hotkey {keys} is already used by another program; choose another one in Settings "
                "(Voxpad keeps running).")

    @staticmethod
    def _lock_variants(d) -> list[int]:
        """0, CapsLock, NumLock and both: the server matches modifier state exactly."""
        from Xlib import X, XK

        numlock = 0
        numlock_code = d.keysym_to_keycode(XK.string_to_keysym("Num_Lock"))
        for index, codes in enumerate(d.get_modifier_mapping()):
            if numlock_code and numlock_code in codes:
                numlock = 1 << index
        variants = {0, X.LockMask}
        if numlock:
            variants |= {numlock, numlock | X.LockMask}
        return sorted(variants)

    def _listen(self) -> None:
        d = self._display
        fd = d.fileno()
        try:
            while self._running:
                if not d.pending_events():
                    readable, _, _ = select.select([fd, self._wake_r], [], [], 1.0)
                    if self._wake_r in readable or not self._running:
                        break
                    if fd not in readable:
                        continue
                while d.pending_events():
                    self._handle(d.next_event())
        except Exception:
            if self._running:
                log.exception("The global hotkey listener stopped")

    def _handle(self, event) -> None:
        from Xlib import X

        if event.type == X.KeyPress:
            name = self._grabs.get((event.detail, event.state & 0xFF))
            if name is None or self._held.get(event.detail) == name:
                return  # not ours, or a repeat of a key already held
            self._held[event.detail] = name
            self._on_event(HotkeyEvent(name, True))
        elif event.type == X.KeyRelease:
            # Matched by key alone: the modifiers may be let go before the key itself.
            name = self._held.get(event.detail)
            if name is None:
                return
            following = self._next_event_soon()
            if (following is not None and following.type == X.KeyPress
                    and following.detail == event.detail and following.time == event.time):
                return  # auto-repeat: a release and press with one timestamp; the key is still held
            del self._held[event.detail]
            self._on_event(HotkeyEvent(name, False))
            if following is not None:
                self._handle(following)

    def _next_event_soon(self):
        """The next event if it arrives within the autorepeat window, else None.

        A held key auto-repeats as a release and a press with one timestamp, and the press
        may still be on its way when the release is read, so wait briefly for it.
        """
        d = self._display
        if not d.pending_events():
            select.select([d.fileno()], [], [], _AUTOREPEAT_WINDOW)
            if not d.pending_events():
                return None
        return d.next_event()

    def stop(self) -> None:
        """Release every grab and end the listener thread."""
        if not self._running and self._display is None:
            return
        self._running = False
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(5)
        if self._display is not None:
            try:
                root = self._display.screen().root
                for keycode, mask in self._grabs:
                    root.ungrab_key(keycode, mask)
                self._display.sync()
                self._display.close()
            except Exception as exc:  # the server may already be gone at shutdown
                log.debug("Releasing hotkeys failed: %s", exc)
            self._display = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1
        self._grabs.clear()
