"""Putting text into whatever application has keyboard focus.

Each way of doing it is a small backend with ``is_available()``, ``can_type(char)`` and
``send(text)``:

- ``XTestTyper`` (xtest_typer.py): X11 synthetic key presses for any Unicode character on
  any layout; characters the layout lacks are typed through spare keycodes bound for them.
- ``ClipboardPaster``: put the text on the clipboard, press the paste shortcut (Shift+Insert
  in terminals, Ctrl+V elsewhere), then give the user's clipboard back with every format it had.
- ``WtypeTyper`` / ``YdotoolTyper``: Wayland, where the programs are installed.
- ``PortalTyper`` (portal_remote_desktop.py): Wayland desktops without the virtual-keyboard
  protocol (GNOME, KDE), through the XDG desktop portal's RemoteDesktop keyboard.

``TextSender`` uses a chosen typer and falls back to pasting for any piece of text the
typer cannot type. All of this blocks (it waits for the target to take the keys) and runs on
a worker thread, never the GUI thread.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Protocol

from voxpad.errors import VoxpadError

log = logging.getLogger(__name__)

_PASTE_WAIT_SECONDS = 2.0
# WM_CLASS names of terminals, where Ctrl+V is a control character rather than paste.
_TERMINALS = {"xterm", "uxterm", "urxvt", "rxvt", "gnome-terminal", "gnome-terminal-server", "konsole",
              "xfce4-terminal", "kitty", "alacritty", "terminator", "tilix", "st", "st-256color",
              "lxterminal", "mate-terminal", "qterminal", "wezterm", "foot", "sakura", "terminology"}


class TypingError(VoxpadError):
    """Text could not be put into the focused application."""


class Typer(Protocol):
    name: str

    def is_available(self) -> bool: ...

    def can_type(self, char: str) -> bool: ...

    def send(self, text: str) -> None: ...


def _run(args: list[str], what: str, timeout: float = 30, stdin: str | None = None) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=stdin,
                                encoding="utf-8" if stdin is not None else None)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TypingError(f"{what} failed ({exc}).") from exc
    if result.returncode != 0:
        raise TypingError(f"{what} failed: {result.stderr.strip() or 'exit code ' + str(result.returncode)}.")


def on_x11() -> bool:
    return bool(os.environ.get("DISPLAY"))


def on_wayland() -> bool:
    return bool(os.environ.get("WAYLAND_DISPLAY")) or os.environ.get("XDG_SESSION_TYPE") == "wayland"


# wtype makes a new virtual keyboard with its own keymap for every run. On a seat with no
# other keyboard (a headless or kiosk compositor), that keyboard's arrival makes every app
# ask for a new wl_keyboard, and the compositor drops keys sent before the app has one:
# measured on Sway 1.7 with foot (whose protocol log never saw the lost presses), the first
# letters of runs were lost in every batch of 40 under load. A pause after the keymap and
# before exiting narrows that window but cannot close it under a saturated CPU. Where the
# seat already has a keyboard, as on any desktop with a real one, the app keeps its
# wl_keyboard, the new keymap arrives on it ahead of the keys, and 280 of 280 runs without
# pauses lost nothing under the same load (tests/wayland_keyboard.py). The pause stays for
# keyboard-less seats; it costs 0.2 s an utterance.
_WTYPE_SETTLE_MS = 100


class WtypeTyper:
    """Wayland virtual-keyboard typing (wlroots compositors: Sway, Hyprland, river, ...).

    Any Unicode character works: wtype puts the characters of each run in its own keymap.
    GNOME and KDE do not offer the virtual-keyboard protocol; ``is_available`` asks the
    compositor (a run of wtype that types nothing) so "auto" moves on there.
    """

    name = "wtype"

    def __init__(self) -> None:
        self._checked: dict[str, bool] = {}  # WAYLAND_DISPLAY -> does the compositor take wtype

    def is_available(self) -> bool:
        if not on_wayland() or shutil.which("wtype") is None:
            return False
        display = os.environ.get("WAYLAND_DISPLAY", "")
        if display not in self._checked:
            try:
                probe = subprocess.run(["wtype", "-s", "1"], capture_output=True, text=True, timeout=10)
                self._checked[display] = probe.returncode == 0
                if probe.returncode != 0:
                    log.info("wtype cannot type on this desktop: %s", probe.stderr.strip())
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.info("wtype cannot type on this desktop: %s", exc)
                return False
        return self._checked[display]

    def can_type(self, char: str) -> bool:
        return char in "\n\t" or char.isprintable()

    def send(self, text: str) -> None:
        pause = str(_WTYPE_SETTLE_MS)
        # The text on stdin ("-"): no length limit, and text starting with "-" is not an option.
        _run(["wtype", "-s", pause, "-", "-s", pause], "Typing with wtype", stdin=text)


# ydotoold's socket: ydotool 1.x reads $YDOTOOL_SOCKET, both 0.1.x and 1.x default to this path.
_YDOTOOL_SOCKET = "/tmp/.ydotool_socket"


class YdotoolTyper:
    """uinput typing (through ydotoold, or /dev/uinput directly for ydotool 0.1): any desktop,
    but only what a US keyboard has; the rest is pasted where pasting works."""

    name = "ydotool"

    def is_available(self) -> bool:
        if shutil.which("ydotool") is None or not (on_wayland() or not on_x11()):
            return False
        socket_path = os.environ.get("YDOTOOL_SOCKET", _YDOTOOL_SOCKET)
        return os.path.exists(socket_path) or os.access("/dev/uinput", os.W_OK)

    def can_type(self, char: str) -> bool:
        return char in "\n\t" or (char.isascii() and char.isprintable())

    def send(self, text: str) -> None:
        _run(["ydotool", "type", "--", text], "Typing with ydotool")


def focused_window_class() -> str:
    """WM_CLASS of the window with keyboard focus (or its nearest ancestor that has one)."""
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    try:
        window = d.get_input_focus().focus
        root = d.screen().root
        while window and not isinstance(window, int) and window != root:
            wm_class = window.get_wm_class()
            if wm_class:
                return wm_class[1]
            window = window.query_tree().parent
        return ""
    except Exception as exc:
        log.debug("Could not read the focused window's class: %s", exc)
        return ""
    finally:
        d.close()


class ClipboardPaster:
    """Paste through the clipboard, then put the user's clipboard back as it was.

    Terminals paste the PRIMARY selection with Shift+Insert and other apps the CLIPBOARD
    with Ctrl+V, so both are set for the paste and both are restored with every format.
    """

    name = "clipboard"
    SELECTIONS = ("CLIPBOARD", "PRIMARY")

    def __init__(self) -> None:
        # Owners that serve the user's restored contents; kept alive until someone copies.
        self._restorers: list = []

    def is_available(self) -> bool:
        from voxpad.desktop.xtest_typer import XTestTyper

        return on_x11() and XTestTyper().is_available()

    def can_type(self, char: str) -> bool:
        return True

    def paste_key(self) -> str:
        return "shift+Insert" if focused_window_class().lower() in _TERMINALS else "ctrl+v"

    def send(self, text: str) -> None:
        from voxpad.desktop.x_selection import SelectionOwner, read_selection, text_contents

        saved = {name: read_selection(name) for name in self.SELECTIONS}
        owner = SelectionOwner(text_contents(text), self.SELECTIONS)
        try:
            from voxpad.desktop.xtest_typer import press_keys

            press_keys(self.paste_key())
            # Wait for the application to fetch the text; restoring earlier would paste the old clipboard.
            if not owner.served.wait(_PASTE_WAIT_SECONDS):
                log.warning("The focused application did not take the pasted text within %s s.",
                            _PASTE_WAIT_SECONDS)
        finally:
            self._restore(saved, owner)

    def _restore(self, saved: dict, owner) -> None:
        from voxpad.desktop.x_selection import SelectionOwner

        self._restorers = [r for r in self._restorers if r.owns()]
        with_data = tuple(name for name in self.SELECTIONS if saved.get(name))
        for name in with_data:
            self._restorers.append(SelectionOwner(saved[name], (name,)))
        if len(with_data) < len(self.SELECTIONS):
            owner.release()  # selections that were empty become empty again


def typers() -> list[Typer]:
    """Every backend, in the order the automatic choice prefers them.

    On a Wayland session the Wayland typers come first even when XWayland answers on
    $DISPLAY: XTest keys reach only X11 windows there, not the native Wayland apps.
    """
    from voxpad.desktop.portal_remote_desktop import PortalTyper
    from voxpad.desktop.xtest_typer import XTestTyper

    # wtype first: any Unicode character and no dialog, where the compositor takes it
    # (wlroots). Then the desktop portal, which GNOME and KDE offer without installing
    # anything (the desktop may ask once). ydotool last: it needs a root-run daemon set up.
    wayland = [_shared(WtypeTyper), _shared(PortalTyper), _shared(YdotoolTyper)]
    x11 = [_shared(XTestTyper), _shared(ClipboardPaster)]
    return wayland + x11 if on_wayland() else x11[:1] + wayland + x11[1:]


_SHARED: dict[type, object] = {}


def _shared(kind):
    """One instance per process of the typers that keep state (bound keycodes, restored clipboards)."""
    if kind not in _SHARED:
        _SHARED[kind] = kind()
    return _SHARED[kind]


def close_typers() -> None:
    """At shutdown: give back spare keycodes bound for typing."""
    for typer in _SHARED.values():
        close = getattr(typer, "close", None)
        if close is not None:
            close()


def choose_typer(method: str = "auto") -> Typer:
    """The backend for ``method`` ("auto" picks the first available); raises TypingError if none."""
    candidates = typers()
    if method != "auto":
        chosen = [t for t in candidates if t.name == method]
        if not chosen:
            raise TypingError(f"“{method}” is not a way Voxpad knows to insert text.")
        if not chosen[0].is_available():
            raise TypingError(_missing_message(method))
        return chosen[0]
    for typer in candidates:
        if typer.is_available():
            return typer
    raise TypingError(_missing_message("auto"))


WAYLAND_TYPING_MESSAGE = (
    "Voxpad cannot type into other apps on this Wayland desktop. On Sway, Hyprland and other wlroots "
    "desktops install wtype (sudo apt install wtype). On GNOME and KDE, Voxpad types through the desktop "
    "portal's remote control, which needs xdg-desktop-portal with the desktop's own backend "
    "(xdg-desktop-portal-gnome or xdg-desktop-portal-kde). Elsewhere install ydotool "
    "(sudo apt install ydotool) and run ydotoold with write access to /dev/uinput. "
    "Until then, dictated text stays in Voxpad's window.")


def _missing_message(method: str) -> str:
    if on_wayland() and (not on_x11() or method in ("auto", "wtype", "portal", "ydotool")):
        return WAYLAND_TYPING_MESSAGE
    if method == "auto":
        return "Voxpad cannot type into other apps: the X server does not offer the XTEST extension."
    return f"Text cannot be inserted with {method} here: it is not installed or does not work on this desktop."


def pieces(text: str, typer: Typer) -> Iterator[tuple[bool, str]]:
    """Split text into runs: (True, run) the typer can type, (False, run) that must be pasted."""
    run, typeable = "", True
    for char in text:
        ok = typer.can_type(char)
        if run and ok != typeable:
            yield typeable, run
            run = ""
        run += char
        typeable = ok
    if run:
        yield typeable, run


class TextSender:
    """Sends text with a typer; whatever it cannot type goes through the clipboard instead."""

    def __init__(self, typer: Typer, paster: ClipboardPaster | None = None) -> None:
        self.typer = typer
        self.paster = paster if paster is not None else (typer if isinstance(typer, ClipboardPaster)
                                                         else _shared(ClipboardPaster))

    def send(self, text: str) -> None:
        for typeable, run in pieces(text, self.typer):
            if typeable:
                self.typer.send(run)
            elif self.paster.is_available():
                self.paster.send(run)
            else:
                raise TypingError(f"“{run}” cannot be typed with {self.typer.name}, and pasting is not available.")
