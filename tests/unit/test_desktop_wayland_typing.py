"""Typing into a native Wayland app: headless Sway, foot running ``cat > OUT``, and wtype.

The text goes through FocusedAppTyping, the worker the dictate-anywhere controller feeds
with each utterance, with the insertion method "auto" and "wtype", in an environment like a
Wayland session's: WAYLAND_DISPLAY set, no DISPLAY.

ydotool is not tested: it needs /dev/uinput (a kernel device a container does not get) and
only types what a US keyboard has.
"""

from __future__ import annotations

import subprocess

import pytest

from voxpad.desktop import typing as desktop_typing
from voxpad.desktop.typing import TypingError, WtypeTyper, choose_typer
from wayland_keyboard import SeatKeyboard
from wayland_session import FootTarget, SwaySession, require_tools


@pytest.fixture(scope="module")
def sway():
    require_tools()
    session = SwaySession()
    # A keyboard in the seat for the whole session, as a real desktop has: without it every
    # wtype run plugs a keyboard in and out, and Sway drops the keys sent before foot has
    # asked for the new one (see wayland_keyboard.py).
    keyboard = SeatKeyboard(session.env)
    yield session
    keyboard.close()
    session.stop()


@pytest.fixture
def wayland_env(sway, monkeypatch):
    """This process sees a Wayland session and no X server, as the app would on Sway."""
    for key, value in sway.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DISPLAY", raising=False)
    # No session bus: a developer's real desktop portal must not answer for the typing methods.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr(desktop_typing, "_SHARED", {})  # no cached answers from the X11 tests
    return sway


@pytest.fixture
def foot(wayland_env, tmp_path):
    targets: list[FootTarget] = []

    def start(title: str = "voxpad-wl-target") -> FootTarget:
        target = FootTarget(wayland_env, tmp_path, title)
        targets.append(target)
        return target

    yield start
    for target in targets:
        target.close()


def test_auto_picks_wtype_on_a_wlroots_wayland_session(wayland_env):
    assert choose_typer("auto").name == "wtype"


def test_auto_prefers_wtype_even_when_xwayland_answers(wayland_env, desktop, monkeypatch):
    # On Sway with XWayland, $DISPLAY works too, but XTest keys would reach only X windows.
    monkeypatch.setenv("DISPLAY", desktop.display)
    assert choose_typer("auto").name == "wtype"


@pytest.mark.parametrize("method", ["auto", "wtype"])
def test_dictated_text_is_typed_into_a_native_wayland_app(foot, qtbot, method):
    from voxpad.ui.focused_app_typing import FocusedAppTyping

    term = foot(f"wl-{method}")
    typing = FocusedAppTyping()
    typing.method = method
    typed, failed = [], []
    typing.inserted.connect(typed.append)
    typing.failed.connect(failed.append)
    utterances = ["Café ß “quotes” — naïve Ωmega.", "Straße 😀 déjà vu.", "Ünïcödé ✓ ok."] * 2
    try:
        for utterance in utterances:
            typing.insert(utterance)
        qtbot.waitUntil(lambda: len(typed) + len(failed) == len(utterances), timeout=30000)
    finally:
        typing.shutdown()
    assert not failed, failed
    subprocess.run(["wtype", "-s", "100", "-k", "Return", "-s", "100"], env=term.session.env, check=True, timeout=10)
    # Every key arrived, the first letter of each wtype run too.
    assert term.lines(1) == [" ".join(utterances)]
    assert "".join(typed) == " ".join(utterances)
    assert term.has_focus()


def test_without_a_wayland_typer_the_message_says_what_to_install(wayland_env, monkeypatch):
    real_which = desktop_typing.shutil.which
    monkeypatch.setattr(desktop_typing.shutil, "which",
                        lambda name: None if name in ("wtype", "ydotool") else real_which(name))
    with pytest.raises(TypingError) as error:
        choose_typer("auto")
    message = str(error.value)
    assert "install wtype" in message and "ydotool" in message and "ydotoold" in message
    with pytest.raises(TypingError, match="install wtype"):
        choose_typer("wtype")


def test_wtype_is_not_offered_when_the_compositor_lacks_the_virtual_keyboard(wayland_env, monkeypatch, tmp_path):
    # GNOME and KDE have no virtual-keyboard protocol: wtype exits with an error there. A
    # WAYLAND_DISPLAY nobody serves fails the same way, before any key is sent.
    monkeypatch.setenv("WAYLAND_DISPLAY", str(tmp_path / "no-compositor"))
    assert not WtypeTyper().is_available()
