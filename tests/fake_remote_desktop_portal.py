"""FakeRemoteDesktopPortal: a FAKE org.freedesktop.portal.RemoteDesktop on a private bus.

Why a fake: the real portal needs GNOME's or KDE's backend, which needs their compositor and
a logged-in session; none of that runs headless here. This stand-in takes the portal's bus
name and speaks the documented interface (CreateSession, SelectDevices, Start with the
Request Response signal, NotifyKeyboardKeysym, Session.Close and Session.Closed, version 2's
persist_mode and restore_token). Like the real backends it refuses keys for a session that has
not been started, takes each restore token once, and checks the signature of every call; the
dbus-daemon in between checks that every message is well formed. It records the keysyms it
receives, in order, as (keysym, pressed), and how often the user would have seen its dialog.
"""

from __future__ import annotations

import queue
import secrets
import threading

from jeepney import (DBusAddress, DBusNameFlags, HeaderFields, MatchRule, Message, MessageFlag, message_bus,
                     new_error, new_method_return, new_signal)
from jeepney.io.threading import DBusRouter, Proxy, open_dbus_connection

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
REMOTE_DESKTOP = "org.freedesktop.portal.RemoteDesktop"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"


class FakeRemoteDesktopPortal:
    """A stand-in for xdg-desktop-portal's RemoteDesktop (see the module docstring for why)."""

    def __init__(self, address: str, start_response: int = 0, device_types: int = 7) -> None:
        self.start_response = start_response  # 0 allowed, 1 the user pressed Deny, 2 failed
        self.device_types = device_types  # AvailableDeviceTypes: 1 keyboard, 2 pointer, 4 touch
        self.keys: list[tuple[int, bool]] = []  # (keysym, pressed) in the order received
        self.calls: list[str] = []  # member names of the portal calls, in order
        self.sessions: dict[str, dict] = {}  # handle -> {"owner", "devices", "started"}
        self.closed: list[str] = []
        self.dialogs = 0  # Starts that would have asked the user (no valid restore token)
        self.tokens: set[str] = set()  # restore tokens handed out and not yet used
        self.errors: list[str] = []
        self.conn = open_dbus_connection(address)
        self.router = DBusRouter(self.conn)
        reply = Proxy(message_bus, self.router, timeout=10).RequestName(PORTAL, DBusNameFlags.do_not_queue)
        assert reply == (1,), f"the portal's bus name is taken ({reply})"
        self._calls: queue.Queue = queue.Queue()  # method calls to the portal; None: stop serving
        self._filter = self.router.filter(MatchRule(type="method_call"), queue=self._calls)
        self._thread = threading.Thread(target=self._serve, name="fake-remote-desktop", daemon=True)
        self._thread.start()

    def typed(self) -> str:
        """The text the recorded presses make (Return as a newline), checking each press is released."""
        text, held = "", []
        for keysym, pressed in self.keys:
            if pressed:
                held.append(keysym)
                text += {0xFF0D: "\n", 0xFF09: "\t"}.get(keysym) or chr(keysym & 0xFFFFFF)
            else:
                assert held and held[-1] == keysym, f"keysym {keysym:#x} released without being pressed"
                held.pop()
        assert not held, f"keys left pressed: {held}"
        return text

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
        self.calls.append(member)
        if interface == "org.freedesktop.DBus.Properties" and member == "Get":
            assert msg.body[0] == REMOTE_DESKTOP, msg.body
            values = {"AvailableDeviceTypes": self.device_types, "version": 2}
            if msg.body[1] not in values:
                raise ValueError(f"no property {msg.body[1]}")
            self.reply(msg, "v", ("u", values[msg.body[1]]))
        elif interface == REMOTE_DESKTOP and member == "CreateSession":
            assert signature == "a{sv}", signature
            (options,) = msg.body
            session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions[session] = {"owner": owner, "devices": 0, "started": False}
            self.respond(msg, sender, options, 0, {"session_handle": ("s", session)})
        elif interface == REMOTE_DESKTOP and member == "SelectDevices":
            assert signature == "oa{sv}", signature
            session, options = msg.body
            state = self._session(session, owner)
            state["devices"] = options.get("types", ("u", self.device_types))[1]
            state["persist_mode"] = options.get("persist_mode", ("u", 0))[1]
            state["restore_token"] = options.get("restore_token", ("s", ""))[1]
            self.respond(msg, sender, options, 0, {})
        elif interface == REMOTE_DESKTOP and member == "Start":
            assert signature == "osa{sv}", signature
            session, _parent, options = msg.body
            state = self._session(session, owner)
            restored = state["restore_token"] in self.tokens
            self.tokens.discard(state["restore_token"])  # a token is good for one Start
            response = 0 if restored else self.start_response
            self.dialogs += not restored
            state["started"] = response == 0
            results = {}
            if response == 0:
                results["devices"] = ("u", state["devices"] & self.device_types)
                if state["persist_mode"]:
                    token = secrets.token_hex(8)
                    self.tokens.add(token)
                    results |= {"persist_mode": ("u", state["persist_mode"]), "restore_token": ("s", token)}
            self.respond(msg, sender, options, response, results)
        elif interface == REMOTE_DESKTOP and member == "NotifyKeyboardKeysym":
            assert signature == "oa{sv}iu", signature
            session, _options, keysym, state = msg.body
            if not self._session(session, owner)["started"]:
                raise PermissionError("the session has not been started")
            self.keys.append((keysym, state == 1))
            self.reply(msg)
        elif interface == SESSION and member == "Close":
            self.closed.append(fields[HeaderFields.path])
            self.sessions.pop(fields[HeaderFields.path], None)
            if not msg.header.flags & MessageFlag.no_reply_expected:
                self.reply(msg)
        else:
            self.router.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                       (f"{interface}.{member}",)))

    def _session(self, handle: str, owner: str) -> dict:
        state = self.sessions.get(handle)
        if state is None or state["owner"] != owner:
            raise LookupError(f"no session {handle} of {owner}")
        return state

    def respond(self, call: Message, sender: str, options: dict, response: int, results: dict) -> None:
        """A request's reply (its handle), then its Response signal, as the portal sends them."""
        request = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
        self.reply(call, "o", request)
        self.signal(request, REQUEST, "Response", "ua{sv}", response, results,
                    destination=call.header.fields[HeaderFields.sender])

    def reply(self, call: Message, signature: str | None = None, *body) -> None:
        self.router.send(new_method_return(call, signature, body))

    def signal(self, path: str, interface: str, member: str, signature: str, *body, destination: str) -> None:
        msg = new_signal(DBusAddress(path, interface=interface), member, signature, body)
        msg.header.fields[HeaderFields.destination] = destination
        self.router.send(msg)

    def end_sessions(self, announce: bool = True) -> None:
        """What the desktop does when the user stops the remote control (e.g. from its indicator).

        ``announce=False``: the Closed signal has not reached Voxpad yet when it types next.
        """
        for handle, state in list(self.sessions.items()):
            self.sessions.pop(handle)
            if announce:
                self.signal(handle, SESSION, "Closed", "a{sv}", {}, destination=state["owner"])

    def close(self) -> None:
        self._calls.put(None)
        self._thread.join(10)
        self._filter.close()
        self.router.close()
        self.conn.close()
