"""Typing through the XDG desktop portal's RemoteDesktop keyboard (GNOME, KDE on Wayland).

The portal is FakeRemoteDesktopPortal (tests/fake_remote_desktop_portal.py), a fake on a
private session bus: the real one needs GNOME's or KDE's compositor, which cannot run here.
Everything else is real: Voxpad's typing worker, the method choice, jeepney, dbus-daemon,
and wtype, which really fails on this "desktop" (no compositor answers), as it does on GNOME.
"""

from __future__ import annotations

import pytest

from fake_remote_desktop_portal import FakeRemoteDesktopPortal
from private_dbus import private_session_bus
from voxpad.desktop import typing as desktop_typing
from voxpad.desktop.portal_remote_desktop import TOKEN_FILE_NAME, PortalTyper
from voxpad.desktop.typing import TypingError, choose_typer


@pytest.fixture
def bus():
    with private_session_bus() as address:
        yield address


@pytest.fixture
def gnome_like(bus, monkeypatch, tmp_path):
    """A Wayland session whose compositor has no virtual-keyboard protocol, and its session bus."""
    monkeypatch.delenv("DISPLAY", raising=False)
    # A socket nobody serves: wtype fails exactly as on GNOME (no virtual keyboard), before any key.
    monkeypatch.setenv("WAYLAND_DISPLAY", str(tmp_path / "wayland-no-virtual-keyboard"))
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)
    monkeypatch.setattr(desktop_typing, "_SHARED", {})  # no typer state from other tests
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path / "data"))  # no kept permission from other tests
    yield bus
    desktop_typing.close_typers()  # ends the portal sessions while the bus is still there


@pytest.fixture
def portal(gnome_like):
    fakes: list[FakeRemoteDesktopPortal] = []

    def start(**kwargs) -> FakeRemoteDesktopPortal:
        fake = FakeRemoteDesktopPortal(gnome_like, **kwargs)
        fakes.append(fake)
        return fake

    yield start
    for fake in fakes:
        fake.close()


def type_utterances(qtbot, method: str, utterances: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Utterances through the dictate-anywhere worker; (typed, failed, undelivered)."""
    from voxpad.ui.focused_app_typing import FocusedAppTyping

    typing = FocusedAppTyping()
    typing.method = method
    typed, failed, undelivered = [], [], []
    typing.inserted.connect(typed.append)
    typing.failed.connect(failed.append)
    typing.undelivered.connect(undelivered.append)
    try:
        for utterance in utterances:
            typing.insert(utterance)
        qtbot.waitUntil(lambda: len(typed) + len(undelivered) == len(utterances), timeout=30000)
    finally:
        typing.shutdown()
    return typed, failed, undelivered


def test_auto_picks_the_portal_where_wtype_cannot_type(portal):
    portal()
    assert choose_typer("auto").name == "portal"


@pytest.mark.parametrize("method", ["auto", "portal"])
def test_dictated_text_reaches_the_portal_as_keysyms_in_order(portal, qtbot, method):
    fake = portal()
    typed, failed, _ = type_utterances(qtbot, method, ["Hello, world!", "Second line: 42 % done.", "(ok)"])
    assert not failed and not fake.errors, (failed, fake.errors)
    assert "".join(typed) == "Hello, world! Second line: 42 % done. (ok)"
    assert fake.typed() == "".join(typed)
    assert fake.keys[0] == (ord("H"), True) and fake.keys[1] == (ord("H"), False)
    # One session for the whole dictation: the desktop asks the user at most once.
    assert fake.calls.count("Start") == 1 and fake.calls.count("CreateSession") == 1


def test_utterances_held_back_during_push_to_talk_are_typed_in_order_on_release(portal, qtbot):
    from voxpad.ui.focused_app_typing import FocusedAppTyping

    fake = portal()
    typing = FocusedAppTyping()
    typing.method = "portal"
    typed: list[str] = []
    typing.inserted.connect(typed.append)
    try:
        typing.hold()  # the push-to-talk key went down
        typing.insert("First words.")
        typing.insert("Second words.")
        qtbot.wait(500)
        assert typed == [] and fake.keys == []  # nothing typed while the key is held
        typing.release()
        typing.insert("After the key.")  # the final decoded after release comes last
        qtbot.waitUntil(lambda: len(typed) == 3, timeout=10000)
    finally:
        typing.shutdown()
    assert fake.typed() == "First words. Second words. After the key."


def test_refusing_in_the_desktops_dialog_keeps_the_text_and_asks_only_once(portal, qtbot):
    fake = portal(start_response=1)
    typed, failed, undelivered = type_utterances(qtbot, "portal", ["First words.", "More words."])
    assert typed == [] and undelivered == ["First words.", " More words."]
    assert failed[0] == ("Typing into other apps was not allowed in the desktop's dialog "
                         "(restart Voxpad to be asked again).")
    assert fake.keys == [] and fake.calls.count("Start") == 1


@pytest.mark.parametrize("announced", [True, False])
def test_a_session_the_desktop_ended_is_started_again(portal, qtbot, announced):
    fake = portal()
    typer = PortalTyper()
    typer.send("a\tb\n")
    fake.end_sessions(announce=announced)  # the user stopped the remote control from the desktop
    if announced:
        qtbot.wait(200)  # the Closed signal travels through the bus (if it is late, the first key is refused)
    typer.send("c")
    assert fake.typed() == "a\tb\nc", "keys were lost or repeated across the new session"
    assert (0xFF0D, True) in fake.keys  # a new line is the Return key
    assert fake.calls.count("Start") == 2
    typer.close()


def test_the_users_allow_is_kept_so_the_next_run_does_not_ask_again(portal, tmp_path):
    fake = portal()
    first_run = PortalTyper()
    first_run.send("one ")
    first_run.close()
    token_file = tmp_path / "data" / TOKEN_FILE_NAME
    first_token = token_file.read_text()
    assert token_file.stat().st_mode & 0o777 == 0o600  # it grants control of the keyboard

    second_run = PortalTyper()  # as after a restart: a new connection and session
    second_run.send("two")
    second_run.close()
    assert fake.typed() == "one two"
    assert fake.calls.count("Start") == 2 and fake.dialogs == 1, "the user was asked again"
    assert token_file.read_text() not in ("", first_token)  # each token is good for one start


def test_a_kept_allow_the_desktop_no_longer_honours_asks_again(portal, tmp_path):
    fake = portal()
    token_file = tmp_path / "data" / TOKEN_FILE_NAME
    token_file.parent.mkdir(mode=0o700, parents=True)
    token_file.write_text("revoked-in-the-desktop-settings")
    typer = PortalTyper()
    typer.send("typed")
    typer.close()
    assert fake.typed() == "typed" and fake.dialogs == 1
    assert token_file.read_text() in fake.tokens  # the new allow is kept in its place


def test_a_refusal_is_not_kept_and_drops_the_old_allow(portal, tmp_path):
    fake = portal(start_response=1)
    token_file = tmp_path / "data" / TOKEN_FILE_NAME
    token_file.parent.mkdir(mode=0o700, parents=True)
    token_file.write_text("stale")
    with pytest.raises(TypingError, match="not allowed"):
        PortalTyper().send("x")
    assert not token_file.exists() and fake.keys == []


def test_without_a_portal_keyboard_the_method_is_not_offered(portal):
    portal(device_types=2)  # a pointer only
    assert not PortalTyper().is_available()
    with pytest.raises(TypingError, match="remote control"):
        choose_typer("portal")


def test_without_any_portal_the_message_says_what_to_install(gnome_like):
    with pytest.raises(TypingError) as error:
        choose_typer("auto")
    assert "xdg-desktop-portal-gnome" in str(error.value) and "install wtype" in str(error.value)
