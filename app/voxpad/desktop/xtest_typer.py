"""Synthetic typing through the XTest extension, for any Unicode text on any keyboard layout.

Characters on the user's layout are typed with the keys that produce them (with Shift when
needed). A character the layout lacks is bound to a spare keycode first. ``xdotool type``
does that too, but it binds and unbinds around every single key, and an application
that reads the mapping a moment late gets nothing or the wrong character (measured here:
1 in 10 lines of "ßΩ“—é" came out damaged, even with 50 ms between keys). So here all the
spare keycodes an utterance needs are bound once, before its first key, and stay bound
until they are needed for other characters or Voxpad quits: every application has long
since read the mapping by the time it changes again.

Plain Python (python-xlib); ``send`` blocks until the server has the keys, so it runs on a
worker thread.
"""

from __future__ import annotations

import logging
import threading
import time

from voxpad.desktop.hotkeys_x11 import x_display_available

log = logging.getLogger(__name__)

_KEY_PAUSE = 0.002  # seconds between keys: lets slow clients (Electron, remote desktops) keep up
_REBIND_PAUSE = 0.3  # before reusing spare keycodes for other characters within one utterance
_SPECIAL_KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09}  # Return, Tab


def keysym_for(char: str) -> int | None:
    """The X keysym that types ``char``: Latin-1 keysyms are the code points, others 0x1000000 + it."""
    if char in _SPECIAL_KEYSYMS:
        return _SPECIAL_KEYSYMS[char]
    if not char.isprintable() or len(char) != 1:
        return None
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    if code > 0xFFFF:
        # Keysyms exist for these (emoji), but xterm and other clients silently drop them;
        # the sender pastes such characters instead.
        return None
    return 0x1000000 | code


def keysyms_for(text: str) -> list[int]:
    """The keysyms that type ``text``, or TypingError naming the first character that has none."""
    from voxpad.desktop.typing import TypingError

    keysyms = []
    for char in text:
        keysym = keysym_for(char)
        if keysym is None:
            raise TypingError(f"“{char}” has no key to type it with.")
        keysyms.append(keysym)
    return keysyms


class XTestTyper:
    """Types text into the focused window with XTest key events."""

    name = "xtest"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bound: dict[int, int] = {}  # spare keycode -> keysym we bound to it

    def is_available(self) -> bool:
        if not x_display_available():
            return False
        from Xlib import display as xdisplay

        d = xdisplay.Display()
        try:
            return d.query_extension("XTEST") is not None
        finally:
            d.close()

    def can_type(self, char: str) -> bool:
        return keysym_for(char) is not None

    def send(self, text: str) -> None:
        from Xlib import display as xdisplay

        from voxpad.desktop.typing import TypingError

        keysyms = keysyms_for(text)
        with self._lock:
            try:
                d = xdisplay.Display()
            except Exception as exc:
                raise TypingError(f"The X server could not be reached to type ({exc}).") from exc
            try:
                self._type(d, keysyms)
            finally:
                d.close()

    # -- internals -------------------------------------------------------------------------
    def _type(self, d, keysyms: list[int]) -> None:
        from Xlib import X, XK
        from Xlib.ext import xtest

        shift = d.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
        # A still-held Ctrl or Alt (the hotkey's, say) would turn letters into shortcuts, so it
        # is let go. It is not pressed again afterwards, as xdotool's --clearmodifiers does: a
        # key the user released meanwhile would then stay down for every app (a stuck Ctrl).
        # A key the user still holds just counts as up until they press it again.
        for keycode in self._held_modifiers(d):
            xtest.fake_input(d, X.KeyRelease, keycode)
        start = 0
        while start < len(keysyms):
            end = self._bind_missing(d, keysyms, start)
            for keysym in keysyms[start:end]:
                keycode, needs_shift = self._key_for(d, keysym)
                if needs_shift:
                    xtest.fake_input(d, X.KeyPress, shift)
                xtest.fake_input(d, X.KeyPress, keycode)
                xtest.fake_input(d, X.KeyRelease, keycode)
                if needs_shift:
                    xtest.fake_input(d, X.KeyRelease, shift)
                d.sync()
                time.sleep(_KEY_PAUSE)
            start = end
            if start < len(keysyms):
                time.sleep(_REBIND_PAUSE)

    def _key_for(self, d, keysym: int) -> tuple[int, bool]:
        """A keycode producing ``keysym`` at level 1 (plain) or 2 (Shift) of the first group."""
        for keycode, index in d.keysym_to_keycodes(keysym):
            if index in (0, 1):
                return keycode, index == 1
        raise AssertionError(f"keysym {keysym:#x} was not bound")  # _bind_missing bound it

    def _on_layout(self, d, keysym: int) -> bool:
        return any(index in (0, 1) for _keycode, index in d.keysym_to_keycodes(keysym))

    def _spare_keycodes(self, d) -> list[int]:
        """Keycodes with no symbols at all on the user's layout (and those we bound ourselves)."""
        first = d.display.info.min_keycode
        count = d.display.info.max_keycode - first + 1
        mapping = d.get_keyboard_mapping(first, count)
        spare = [first + i for i, syms in enumerate(mapping)
                 if not any(syms) or (first + i in self._bound and syms[0] == self._bound[first + i])]
        # Forget bindings the user's layout has since replaced (setxkbmap resets the mapping).
        self._bound = {k: v for k, v in self._bound.items() if k in spare}
        # Highest first: low unused codes (8) are sometimes special to toolkits.
        return spare[::-1]

    def _bind_missing(self, d, keysyms: list[int], start: int) -> int:
        """Bind the keysyms from ``start`` that the layout lacks; return where binding ran out."""
        spare = self._spare_keycodes(d)
        wanted: list[int] = []
        end = start
        for keysym in keysyms[start:]:
            if keysym not in wanted and not self._on_layout(d, keysym):
                if len(wanted) == len(spare):
                    break
                wanted.append(keysym)
            end += 1
        if not wanted:
            return end
        if not spare:
            from voxpad.desktop.typing import TypingError

            raise TypingError("The keyboard layout has no free key to type these characters with.")
        # Keep bindings that are still useful; reuse the others' keycodes.
        free = [k for k in spare if self._bound.get(k) not in wanted]
        changes = 0
        for keysym in wanted:
            if keysym in self._bound.values():
                continue
            keycode = free.pop(0)
            per_keycode = len(d.get_keyboard_mapping(keycode, 1)[0])
            d.change_keyboard_mapping(keycode, [(keysym,) * max(2, per_keycode)])
            self._bound[keycode] = keysym
            changes += 1
        if changes:
            d.sync()
            self._refresh_cache(d)
        return end

    @staticmethod
    def _refresh_cache(d) -> None:
        """python-xlib caches the mapping; read our own change back before looking keys up."""
        first = d.display.info.min_keycode
        count = d.display.info.max_keycode - first + 1
        # What refresh_keyboard_mapping() does for a real MappingNotify, which only other
        # clients receive promptly; python-xlib has no public call for it.
        d._update_keymap(first, count)

    @staticmethod
    def _held_modifiers(d) -> list[int]:
        """Keycodes of modifier keys (Shift, Ctrl, Alt, Super...) the user is holding down."""
        keys = d.query_keymap()  # 32 bytes, one bit per keycode
        down = {byte * 8 + bit for byte, bits in enumerate(keys) for bit in range(8) if bits & (1 << bit)}
        modifiers = {code for codes in d.get_modifier_mapping() for code in codes if code}
        return sorted(down & modifiers)

    def close(self) -> None:
        """Give the spare keycodes back their empty mapping."""
        if not self._bound:
            return
        from Xlib import display as xdisplay

        with self._lock:
            try:
                d = xdisplay.Display()
                for keycode in self._bound:
                    per_keycode = len(d.get_keyboard_mapping(keycode, 1)[0])
                    d.change_keyboard_mapping(keycode, [(0,) * max(2, per_keycode)])
                d.sync()
                d.close()
            except Exception as exc:
                log.debug("Unbinding spare keycodes failed: %s", exc)
            self._bound.clear()


def press_keys(combination: str) -> None:
    """Press and release a combination such as ``ctrl+v`` or ``shift+Insert`` with XTest."""
    from Xlib import X, XK
    from Xlib import display as xdisplay
    from Xlib.ext import xtest

    from voxpad.desktop.typing import TypingError

    names = {"ctrl": "Control_L", "alt": "Alt_L", "shift": "Shift_L", "super": "Super_L"}
    d = xdisplay.Display()
    try:
        codes = []
        for part in combination.split("+"):
            keysym = XK.string_to_keysym(names.get(part.lower(), part))
            code = d.keysym_to_keycode(keysym)
            if not code:
                raise TypingError(f"The key {part} is not on this keyboard.")
            codes.append(code)
        held = XTestTyper._held_modifiers(d)
        for code in held:
            xtest.fake_input(d, X.KeyRelease, code)
        for code in codes:
            xtest.fake_input(d, X.KeyPress, code)
        for code in reversed(codes):
            xtest.fake_input(d, X.KeyRelease, code)
        for code in held:
            xtest.fake_input(d, X.KeyPress, code)
        d.sync()
    finally:
        d.close()
