"""Global hotkeys on the test run's real X server, pressed with xdotool (XTest)."""

from __future__ import annotations

import queue
import subprocess
import sys

import pytest

from voxpad.desktop.hotkeys_x11 import Hotkey, HotkeyError, HotkeyEvent, HotkeyTakenError, X11Hotkeys


def test_parse_accepts_qt_and_lowercase_spellings():
    assert Hotkey.parse("Ctrl+Alt+Space") == Hotkey.parse("ctrl+alt+space")
    assert Hotkey.parse("Meta+m") == Hotkey(frozenset({"Mod4Mask"}), "m")
    assert str(Hotkey.parse("ctrl+alt+space")) == "Ctrl+Alt+Space"
    assert str(Hotkey.parse("Ctrl+Alt+R")) == "Ctrl+Alt+R"


@pytest.mark.parametrize("text", ["", "ctrl+", "hyper+x", "+space"])
def test_parse_rejects_what_is_not_a_combination(text):
    with pytest.raises(HotkeyError):
        Hotkey.parse(text)


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=10)


@pytest.fixture
def grabbed(desktop):
    events: queue.Queue[HotkeyEvent] = queue.Queue()
    started: list[X11Hotkeys] = []

    def grab(bindings: dict[str, str]) -> X11Hotkeys:
        hotkeys = X11Hotkeys(bindings, events.put)
        started.append(hotkeys)
        hotkeys.start()
        return hotkeys

    yield grab, events
    for hotkeys in started:
        hotkeys.stop()


def test_a_press_and_release_are_reported_by_name(grabbed):
    grab, events = grabbed
    grab({"toggle": "ctrl+alt+k", "other": "ctrl+alt+j"})
    xdotool("key", "ctrl+alt+k")
    assert events.get(timeout=5) == HotkeyEvent("toggle", True)
    assert events.get(timeout=5) == HotkeyEvent("toggle", False)
    xdotool("key", "ctrl+alt+j")
    assert events.get(timeout=5) == HotkeyEvent("other", True)


def test_hotkey_works_with_numlock_and_capslock_on(grabbed):
    grab, events = grabbed
    grab({"toggle": "ctrl+alt+k"})
    xdotool("key", "Num_Lock", "Caps_Lock")
    try:
        xdotool("key", "ctrl+alt+k")
        assert events.get(timeout=5) == HotkeyEvent("toggle", True)
    finally:
        xdotool("key", "Num_Lock", "Caps_Lock")


def test_held_key_is_one_press_until_released_even_with_autorepeat(grabbed):
    grab, events = grabbed
    grab({"talk": "ctrl+alt+k"})
    xdotool("keydown", "ctrl+alt+k")
    assert events.get(timeout=5) == HotkeyEvent("talk", True)
    # Xvfb auto-repeats a held key after 660 ms as release+press pairs: none may get through.
    with pytest.raises(queue.Empty):
        events.get(timeout=1.5)
    # Modifiers let go first: the release still counts, matched by key alone.
    xdotool("keyup", "ctrl", "alt", "k")
    assert events.get(timeout=5) == HotkeyEvent("talk", False)


GRABBER = """
import sys
from Xlib import X, XK, display
d = display.Display()
code = d.keysym_to_keycode(XK.string_to_keysym("h"))
d.screen().root.grab_key(code, X.ControlMask | X.Mod1Mask, True, X.GrabModeAsync, X.GrabModeAsync)
d.sync()
print("grabbed", flush=True)
sys.stdin.read()
"""


def test_key_taken_by_another_client_is_reported_and_the_free_ones_still_work(grabbed):
    grab, events = grabbed
    other = subprocess.Popen([sys.executable, "-c", GRABBER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "grabbed"
        with pytest.raises(HotkeyTakenError, match=r"Ctrl\+Alt\+H is already used by another program"):
            grab({"toggle": "ctrl+alt+h", "read": "ctrl+alt+j"})
        xdotool("key", "ctrl+alt+j")
        assert events.get(timeout=5) == HotkeyEvent("read", True)
    finally:
        other.stdin.close()
        other.wait(10)


def test_stop_releases_the_keys_for_others(grabbed):
    grab, events = grabbed
    first = grab({"toggle": "ctrl+alt+m"})
    first.stop()
    grab({"toggle": "ctrl+alt+m"})  # would raise HotkeyTakenError if the grab had stayed


def test_unknown_key_is_a_clear_error(desktop):
    with pytest.raises(HotkeyError, match="not on this keyboard"):
        X11Hotkeys({"toggle": "ctrl+NoSuchKey"}, lambda e: None).start()
