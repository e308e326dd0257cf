"""Global shortcuts through the XDG desktop portal, against a fake portal on a private bus.

FakeGlobalShortcutsPortal is a FAKE: no desktop that implements
org.freedesktop.portal.GlobalShortcuts (KDE Plasma, GNOME 48+, Hyprland) can run on the
test machines, so a minimal service on a private dbus-daemon takes the portal's bus name and
speaks its GlobalShortcuts interface as documented (CreateSession, BindShortcuts, the
Request Response signal, Activated/Deactivated, Session.Close). It checks the signatures of
what Voxpad sends; the dbus-daemon in between checks that every message is well formed.
"""

from __future__ import annotations

import queue
import threading
import time

import pytest
from jeepney import (DBusAddress, DBusNameFlags, HeaderFields, MatchRule, Message, MessageFlag, message_bus,
                     new_error, new_method_return, new_signal)
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

from private_dbus import private_session_bus
from voxpad.desktop.hotkeys_x11 import HotkeyEvent
from voxpad.desktop.portal_shortcuts import PORTAL, PORTAL_PATH, PortalShortcuts, PortalUnavailable, portal_trigger

SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"


@pytest.fixture
def bus():
    """A private session bus (dbus-daemon); its address."""
    with private_session_bus() as address:
        yield address


class FakeGlobalShortcutsPortal:
    """A stand-in for xdg-desktop-portal's GlobalShortcuts (see the module docstring for why)."""

    def __init__(self, address: str, bind_response: int = 0, bind_only: set[str] | None = None) -> None:
        self.bind_response = bind_response  # 0 bound, 1 the user cancelled, 2 failed
        self.bind_only = bind_only  # the desktop binds only these ids (None: all)
        self.bound: list[tuple[str, dict]] = []  # variants unwrapped: {"description": "...", ...}
        self.sessions: dict[str, str] = {}  # session handle -> owner
        self.closed: list[str] = []
        self.errors: list[str] = []
        self.bind_signature = ""
        self.conn = open_dbus_connection(address)
        self.router = DBusRouter(self.conn)
        reply = Proxy(message_bus, self.router, timeout=10).RequestName(PORTAL, DBusNameFlags.do_not_queue)
        assert reply == (1,), f"the portal's bus name is taken ({reply})"
        self._calls: queue.Queue = queue.Queue()  # method calls to the portal; None: stop serving
        self._filter = self.router.filter(MatchRule(type="method_call"), queue=self._calls)
        self._thread = threading.Thread(target=self._serve, name="fake-portal", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (msg := self._calls.get()) is not None:
            try:
                self._handle(msg)
            except Exception as exc:  # shown by the test, not lost on the serving thread
                self.errors.append(f"{msg.header.fields.get(HeaderFields.member)}: {exc!r}")
                self.router.send(new_error(msg, "org.freedesktop.DBus.Error.Failed", "s", (str(exc),)))

    def _handle(self, msg: Message) -> None:
        fields = msg.header.fields
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        signature = fields.get(HeaderFields.signature, "")
        owner = fields[HeaderFields.sender]
        sender = owner.lstrip(":").replace(".", "_")
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            assert msg.body == (SHORTCUTS, "version"), msg.body
            self.reply(msg, "v", ("u", 1))
        elif interface == SHORTCUTS and member == "CreateSession":
            assert signature == "a{sv}", signature
            (options,) = msg.body
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions[session] = owner
            self.reply(msg, "o", request)
            self.signal(request, "org.freedesktop.portal.Request", "Response", "ua{sv}",
                        0, {"session_handle": ("s", session)}, destination=owner)
        elif interface == SHORTCUTS and member == "BindShortcuts":
            self.bind_signature = signature
            assert signature == "oa(sa{sv})sa{sv}", signature
            session, shortcuts, _parent, options = msg.body
            assert session in self.sessions, session
            request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
            self.reply(msg, "o", request)
            chosen = [(sid, {key: value for key, (_sig, value) in info.items()}) for sid, info in shortcuts
                      if self.bind_only is None or sid in self.bind_only]
            self.bound = chosen
            results = {"shortcuts": ("a(sa{sv})", [
                (sid, {"description": ("s", info["description"]),
                       "trigger_description": ("s", info.get("preferred_trigger", "unset"))})
                for sid, info in chosen])} if self.bind_response == 0 else {}
            self.signal(request, "org.freedesktop.portal.Request", "Response", "ua{sv}",
                        self.bind_response, results, destination=owner)
        elif interface == "org.freedesktop.portal.Session" and member == "Close":
            self.closed.append(fields[HeaderFields.path])
            if not msg.header.flags & MessageFlag.no_reply_expected:
                self.reply(msg)
        else:
            self.router.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                       (f"{interface}.{member}",)))

    def reply(self, call: Message, signature: str | None = None, *body) -> None:
        self.router.send(new_method_return(call, signature, body))

    def signal(self, path: str, interface: str, member: str, signature: str, *body, destination: str) -> None:
        msg = new_signal(DBusAddress(path, interface=interface), member, signature, body)
        msg.header.fields[HeaderFields.destination] = destination
        self.router.send(msg)

    def press(self, shortcut_id: str, release: bool = True) -> None:
        """What the desktop does when the user presses (and releases) a bound shortcut."""
        for session, owner in self.sessions.items():
            self.signal(PORTAL_PATH, SHORTCUTS, "Activated", "osta{sv}", session, shortcut_id,
                        int(time.time() * 1000), {}, destination=owner)
            if release:
                self.signal(PORTAL_PATH, SHORTCUTS, "Deactivated", "osta{sv}", session, shortcut_id,
                            int(time.time() * 1000), {}, destination=owner)

    def close(self) -> None:
        self._calls.put(None)
        self._thread.join(10)
        self._filter.close()
        self.router.close()
        self.conn.close()


@pytest.fixture
def portal(bus):
    portals: list[FakeGlobalShortcutsPortal] = []

    def start(**kwargs) -> FakeGlobalShortcutsPortal:
        fake = FakeGlobalShortcutsPortal(bus, **kwargs)
        portals.append(fake)
        return fake

    yield start
    for fake in portals:
        fake.close()


class Outcome:
    def __init__(self) -> None:
        self.events: list[HotkeyEvent] = []
        self.status = None
        self.done = threading.Event()

    def on_status(self, problem, triggers) -> None:
        self.status = (problem, triggers)
        self.done.set()


def wait_for(check, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_triggers_are_written_as_the_shortcuts_spec_wants():
    assert portal_trigger("Ctrl+Alt+Space") == "CTRL+ALT+space"
    assert portal_trigger("ctrl+alt+r") == "CTRL+ALT+r"
    assert portal_trigger("Super+Shift+F9") == "SHIFT+LOGO+F9"


def test_shortcuts_are_bound_and_presses_arrive_as_hotkey_events(bus, portal):
    fake = portal()
    outcome = Outcome()
    shortcuts = PortalShortcuts({"toggle": "Ctrl+Alt+Space", "read-selection": "Ctrl+Alt+R"},
                                outcome.events.append, outcome.on_status, address=bus)
    shortcuts.start()
    try:
        assert outcome.done.wait(20)
        problem, triggers = outcome.status
        assert problem is None and not fake.errors, (problem, fake.errors)
        assert triggers == {"toggle": "CTRL+ALT+space", "read-selection": "CTRL+ALT+r"}
        assert [(sid, info["preferred_trigger"]) for sid, info in fake.bound] == [
            ("toggle", "CTRL+ALT+space"), ("read-selection", "CTRL+ALT+r")]
        assert fake.bound[0][1]["description"] == "Start or stop dictation"
        fake.press("toggle")
        fake.press("read-selection")
        fake.press("something-else")  # not Voxpad's: ignored
        wait_for(lambda: len(outcome.events) >= 4)
        time.sleep(0.2)
        assert outcome.events == [HotkeyEvent("toggle", True), HotkeyEvent("toggle", False),
                                  HotkeyEvent("read-selection", True), HotkeyEvent("read-selection", False)]
        session = shortcuts.session_handle
    finally:
        shortcuts.stop()
    wait_for(lambda: fake.closed == [session])


def test_without_a_portal_the_answer_is_portal_unavailable(bus):
    outcome = Outcome()
    shortcuts = PortalShortcuts({"toggle": "Ctrl+Alt+Space"}, outcome.events.append, outcome.on_status, address=bus)
    shortcuts.start()
    assert outcome.done.wait(20)
    assert isinstance(outcome.status[0], PortalUnavailable)
    shortcuts.stop()


# -- the window's GlobalHotkeys on a Wayland session -----------------------------------------------
@pytest.fixture
def wayland_session_bus(bus, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-voxpad-test")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)
    return bus


def test_on_wayland_the_portal_shortcuts_call_the_same_slots_as_x11_hotkeys(wayland_session_bus, portal, qtbot):
    from voxpad.ui.global_hotkeys import GlobalHotkeys

    fake = portal()
    hotkeys = GlobalHotkeys()
    problems: list[str] = []
    hotkeys.failed.connect(problems.append)
    try:
        with qtbot.waitSignal(hotkeys.portal_bound, timeout=20000) as bound:
            hotkeys.apply("Ctrl+Alt+Space", "Ctrl+Alt+P", "Ctrl+Alt+R")
        assert bound.args[0] == {"toggle": "CTRL+ALT+space", "push-to-talk": "CTRL+ALT+p",
                                 "read-selection": "CTRL+ALT+r"}
        assert hotkeys.backend == "portal"
        assert set(hotkeys.active_bindings) == {"toggle", "push-to-talk", "read-selection"}
        with qtbot.waitSignal(hotkeys.toggle_pressed, timeout=10000):
            fake.press("toggle")
        with qtbot.waitSignal(hotkeys.read_selection_pressed, timeout=10000):
            fake.press("read-selection")
        with qtbot.waitSignal(hotkeys.push_to_talk_pressed, timeout=10000):
            fake.press("push-to-talk", release=False)
        with qtbot.waitSignal(hotkeys.push_to_talk_released, timeout=10000):
            for session, owner in fake.sessions.items():
                fake.signal(PORTAL_PATH, SHORTCUTS, "Deactivated", "osta{sv}", session, "push-to-talk",
                            0, {}, destination=owner)
        assert problems == []
    finally:
        hotkeys.stop()
    wait_for(lambda: len(fake.closed) == 1)


def test_on_wayland_without_the_portal_the_user_is_told_which_command_to_bind(wayland_session_bus, qtbot):
    from voxpad.ui.global_hotkeys import GlobalHotkeys

    hotkeys = GlobalHotkeys()
    with qtbot.waitSignal(hotkeys.failed, timeout=20000) as reported:
        hotkeys.apply("Ctrl+Alt+Space", "", "Ctrl+Alt+R")
    assert "voxpad --toggle-dictation" in reported.args[0]
    assert hotkeys.active_bindings == {}
    hotkeys.stop()


def test_a_cancelled_binding_is_reported_with_what_to_do_instead(wayland_session_bus, portal, qtbot):
    from voxpad.ui.global_hotkeys import GlobalHotkeys

    portal(bind_response=1)
    hotkeys = GlobalHotkeys()
    with qtbot.waitSignal(hotkeys.failed, timeout=20000) as reported:
        hotkeys.apply("Ctrl+Alt+Space", "", "Ctrl+Alt+R")
    assert "cancelled" in reported.args[0] and "voxpad --toggle-dictation" in reported.args[0]
    assert hotkeys.active_bindings == {}
    hotkeys.stop()


def test_shortcuts_the_desktop_left_out_are_named(wayland_session_bus, portal, qtbot):
    from voxpad.ui.global_hotkeys import GlobalHotkeys

    portal(bind_only={"toggle"})
    hotkeys = GlobalHotkeys()
    with qtbot.waitSignal(hotkeys.failed, timeout=20000) as reported:
        hotkeys.apply("Ctrl+Alt+Space", "", "Ctrl+Alt+R")
    assert "Read the selected text aloud" in reported.args[0]
    assert "Start or stop dictation" not in reported.args[0]
    assert set(hotkeys.active_bindings) == {"toggle"}
    hotkeys.stop()
