"""Typing on Wayland desktops without the virtual-keyboard protocol (GNOME, KDE) through the
XDG desktop portal's RemoteDesktop interface (org.freedesktop.portal.RemoteDesktop).

The portal flow: CreateSession, SelectDevices (keyboard), Start (the desktop may ask the user
whether Voxpad may control the keyboard), then NotifyKeyboardKeysym for every key press and
release. The session belongs to this D-Bus connection, so the connection stays open and the
session is reused for every utterance. A refusal is remembered for the run, so one "Deny"
does not bring a dialog per utterance.

Where the portal has version 2 of the interface, Voxpad asks for a permission that persists
until the user revokes it, and keeps the restore token the desktop returns (a private file in
the data folder), so the user is asked once, not at every start of Voxpad. A token is good for
one Start only; each Start returns the next one.

The desktop turns each keysym into a key of the user's current layout; a keysym the layout
lacks is dropped without an error (mutter logs "No keycode found"). So only ASCII is typed
here, which every Latin layout has; other characters are pasted where pasting works.

D-Bus through jeepney, as portal_shortcuts.py does; every call blocks and belongs on the
typing worker thread.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from pathlib import Path

from jeepney import (DBusAddress, DBusErrorResponse, HeaderFields, MatchRule, Message, MessageFlag,
                     MessageGenerator, Properties, message_bus, new_method_call)
from jeepney.io.common import RouterClosed
from jeepney.io.threading import DBusRouter, Proxy, ReceiveStopped, open_dbus_connection

from voxpad.desktop.portal_shortcuts import (PORTAL, PORTAL_PATH, SESSION, PortalUnavailable, portal_request,
                                             session_bus_address)
from voxpad.desktop.typing import TypingError, on_wayland
from voxpad.desktop.xtest_typer import keysyms_for

log = logging.getLogger(__name__)

REMOTE_DESKTOP = "org.freedesktop.portal.RemoteDesktop"
KEYBOARD = 1  # device type bit in AvailableDeviceTypes, SelectDevices and Start's "devices"
PERSIST_UNTIL_REVOKED = 2  # SelectDevices' persist_mode (RemoteDesktop version 2 and later)
TOKEN_FILE_NAME = "portal-keyboard-token"
_PRESSED, _RELEASED = 1, 0
_CALL_TIMEOUT = 10.0  # seconds for a plain portal method
_START_TIMEOUT = 120.0  # Start can wait for the user to answer the desktop's dialog
_AUTH_TIMEOUT = 5.0
_BUS_ERRORS = (DBusErrorResponse, RouterClosed, ReceiveStopped, OSError, ValueError, RuntimeError)


class _EndedBeforeTyping(Exception):
    """The portal refused an utterance's first key: its session is gone and nothing was typed."""


class RemoteDesktopPortal(MessageGenerator):
    """The portal's RemoteDesktop methods that typing needs, with the signatures of the XDG spec."""

    interface = REMOTE_DESKTOP

    def __init__(self, object_path: str = PORTAL_PATH, bus_name: str = PORTAL) -> None:
        super().__init__(object_path=object_path, bus_name=bus_name)

    def CreateSession(self, options: dict) -> Message:  # noqa: N802 (the D-Bus method's name)
        return new_method_call(self, "CreateSession", "a{sv}", (options,))

    def SelectDevices(self, session_handle: str, options: dict) -> Message:  # noqa: N802
        return new_method_call(self, "SelectDevices", "oa{sv}", (session_handle, options))

    def Start(self, session_handle: str, parent_window: str, options: dict) -> Message:  # noqa: N802
        return new_method_call(self, "Start", "osa{sv}", (session_handle, parent_window, options))

    def NotifyKeyboardKeysym(self, session_handle: str, options: dict, keysym: int,  # noqa: N802
                             state: int) -> Message:
        return new_method_call(self, "NotifyKeyboardKeysym", "oa{sv}iu", (session_handle, options, keysym, state))


def _portal_property(router: DBusRouter, name: str) -> int:
    """An unsigned-integer property of the RemoteDesktop portal ("version", "AvailableDeviceTypes")."""
    ((_signature, value),) = Proxy(Properties(RemoteDesktopPortal()), router, timeout=_CALL_TIMEOUT).get(name)
    return int(value)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, DBusErrorResponse):
        detail = exc.data[0] if exc.data and isinstance(exc.data[0], str) else ""
        return f"{exc.name}: {detail}".rstrip(": ")
    return str(exc) or type(exc).__name__


class PortalTyper:
    """Types through the desktop portal's RemoteDesktop keyboard; the ``Typer`` shape of typing.py."""

    name = "portal"

    def __init__(self, address: str | None = None, token_file: Path | None = None) -> None:
        self.address = address  # None: the session bus of the environment, looked up when needed
        self.token_file = token_file  # None: TOKEN_FILE_NAME in the data folder
        self._lock = threading.Lock()
        self._available: dict[str, bool] = {}  # bus address -> does its portal offer a keyboard
        self._router: DBusRouter | None = None
        self._session: str | None = None
        self._closed_signals: queue.Queue = queue.Queue()  # Session.Closed from the desktop
        self._refused: str | None = None  # the user's or desktop's refusal, kept for this run

    def _address(self) -> str:
        return self.address or session_bus_address()

    # -- Typer ----------------------------------------------------------------------------------
    def is_available(self) -> bool:
        """Whether the portal offers a remote keyboard; asks nothing of the user."""
        if not on_wayland():
            return False
        try:
            address = self._address()
        except PortalUnavailable:
            return False
        if address not in self._available:
            self._available[address] = self._offers_keyboard(address)
        return self._available[address]

    def can_type(self, char: str) -> bool:
        return char in "\n\t" or (char.isascii() and char.isprintable())

    def send(self, text: str) -> None:
        keysyms = keysyms_for(text)
        with self._lock:
            try:
                try:
                    self._type(keysyms)
                except _EndedBeforeTyping as exc:
                    # The user stopped the remote control and its Closed signal is still on the
                    # way: nothing of this utterance was typed, so a new session types it all.
                    log.info("The remote keyboard session had ended (%s); starting a new one.", exc)
                    self._drop_connection()
                    self._type(keysyms)
            except (_EndedBeforeTyping, *_BUS_ERRORS) as exc:
                self._drop_connection()  # the next utterance starts a new session
                raise TypingError(f"The desktop stopped taking Voxpad's keys ({_describe(exc)}).") from exc

    def _type(self, keysyms: list[int]) -> None:
        router, session = self._ensure_session()
        portal = Proxy(RemoteDesktopPortal(), router, timeout=_CALL_TIMEOUT)
        for index, keysym in enumerate(keysyms):
            try:
                # Each call waits for its reply: the desktop has the key before the next one.
                portal.NotifyKeyboardKeysym(session, {}, keysym, _PRESSED)
            except DBusErrorResponse as exc:
                if index == 0:
                    raise _EndedBeforeTyping(_describe(exc)) from exc
                raise
            portal.NotifyKeyboardKeysym(session, {}, keysym, _RELEASED)

    def close(self) -> None:
        """End the session (the desktop stops showing that Voxpad controls the keyboard).

        At shutdown the typing worker may be waiting on the desktop's dialog for minutes; the
        connection is closed without waiting for it (its call then fails, harmlessly).
        """
        locked = self._lock.acquire(timeout=1)
        try:
            self._drop_connection()
        finally:
            if locked:
                self._lock.release()

    # -- the portal conversation ------------------------------------------------------------------
    def _offers_keyboard(self, address: str) -> bool:
        try:
            conn = open_dbus_connection(address, auth_timeout=_AUTH_TIMEOUT)
        except _BUS_ERRORS as exc:
            log.info("The D-Bus session bus could not be reached: %s", _describe(exc))
            return False
        try:
            with DBusRouter(conn) as router:
                return bool(_portal_property(router, "AvailableDeviceTypes") & KEYBOARD)
        except _BUS_ERRORS as exc:
            log.info("The desktop portal offers no remote keyboard: %s", _describe(exc))
            return False
        finally:
            conn.close()

    def _ensure_session(self) -> tuple[DBusRouter, str]:
        if self._refused:
            raise TypingError(self._refused)
        while True:  # forget a session the desktop has closed since the last utterance
            try:
                closed = self._closed_signals.get_nowait()
            except queue.Empty:
                break
            if closed.header.fields.get(HeaderFields.path) == self._session:
                log.info("The desktop ended Voxpad's remote keyboard session; starting a new one.")
                self._drop_connection()
        if self._router is not None and self._session is not None:
            return self._router, self._session
        try:
            conn = open_dbus_connection(self._address(), auth_timeout=_AUTH_TIMEOUT)
        except PortalUnavailable as exc:
            raise TypingError(str(exc)) from exc
        except _BUS_ERRORS as exc:
            raise TypingError(f"The D-Bus session bus could not be reached ({_describe(exc)}).") from exc
        router = DBusRouter(conn)
        try:
            session = self._start_session(router)
        except BaseException:
            router.close()
            conn.close()
            raise
        self._router, self._session = router, session
        return router, session

    def _start_session(self, router: DBusRouter) -> str:
        portal = Proxy(RemoteDesktopPortal(), router, timeout=_CALL_TIMEOUT)
        try:
            # Closed comes as a signal on the session's path; the bus sends it only if asked.
            Proxy(message_bus, router, timeout=_CALL_TIMEOUT).AddMatch(
                MatchRule(type="signal", sender=PORTAL, interface=SESSION, member="Closed"))
            router.filter(MatchRule(type="signal", interface=SESSION, member="Closed"), queue=self._closed_signals)
            results = self._request(router, portal.CreateSession,
                                    {"session_handle_token": ("s", "voxpad_" + secrets.token_hex(6))},
                                    timeout=_CALL_TIMEOUT, what="CreateSession")
            session = str(results["session_handle"][1])
            persists = self._portal_version(router) >= 2
            selection = {"types": ("u", KEYBOARD)}
            if persists:
                selection["persist_mode"] = ("u", PERSIST_UNTIL_REVOKED)
                if token := self._saved_token():
                    selection["restore_token"] = ("s", token)
            self._request(router, portal.SelectDevices, session, selection, timeout=_CALL_TIMEOUT,
                          what="SelectDevices")
            results = {}
            try:
                results = self._request(router, portal.Start, session, "", {}, timeout=_START_TIMEOUT, what="Start")
            finally:
                if persists:
                    # A presented token is used up, whatever the answer; an allowing answer
                    # carries the next one. A refusal leaves none: the next start asks again.
                    self._save_token(str(results["restore_token"][1]) if "restore_token" in results else None)
        except _BUS_ERRORS as exc:
            raise TypingError(f"The desktop portal could not start a remote keyboard ({_describe(exc)}).") from exc
        devices = int(results.get("devices", ("u", 0))[1])
        if not devices & KEYBOARD:
            self._refused = "The desktop did not give Voxpad a keyboard to type with (restart Voxpad to ask again)."
            raise TypingError(self._refused)
        return session

    def _portal_version(self, router: DBusRouter) -> int:
        try:
            return _portal_property(router, "version")
        except _BUS_ERRORS as exc:
            log.info("The RemoteDesktop portal did not say its version (%s); taking version 1.", _describe(exc))
            return 1

    # -- the restore token: the user's "allow" kept across runs ---------------------------------------
    def _token_path(self) -> Path:
        if self.token_file is not None:
            return self.token_file
        from voxpad.paths import data_dir

        return data_dir() / TOKEN_FILE_NAME

    def _saved_token(self) -> str | None:
        try:
            return self._token_path().read_text(encoding="utf-8").strip() or None
        except (OSError, UnicodeDecodeError):
            return None  # none yet, or unreadable: the desktop asks the user again

    def _save_token(self, token: str | None) -> None:
        from voxpad.audio.journal import write_private_atomically

        path = self._token_path()
        try:
            if token:
                write_private_atomically(path, token.encode("utf-8"))
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:  # typing goes on; the desktop will ask again at the next start
            log.warning("The desktop's permission to type could not be kept for next time (%s).", exc)

    def _request(self, router: DBusRouter, method, *args, timeout: float, what: str) -> dict:
        """Call a portal method that answers through a Request's Response signal; its results."""
        answer = portal_request(router, method, *args, timeout=timeout)
        if answer is None:
            raise TypingError(f"The desktop did not answer Voxpad's request to type ({what}) "
                              f"within {timeout:g} s.")
        response, results = answer
        if response == 1:
            self._refused = ("Typing into other apps was not allowed in the desktop's dialog "
                             "(restart Voxpad to be asked again).")
            raise TypingError(self._refused)
        if response != 0:
            raise TypingError(f"The desktop refused Voxpad's request to type ({what} failed).")
        return results

    def _drop_connection(self) -> None:
        router, session = self._router, self._session
        self._router = self._session = None
        if router is None:
            return
        if session:
            close = new_method_call(DBusAddress(session, bus_name=PORTAL, interface=SESSION), "Close")
            close.header.flags |= MessageFlag.no_reply_expected
            try:
                router.send(close)
            except _BUS_ERRORS:
                pass
        try:
            router.close()
            router.conn.close()
        except _BUS_ERRORS:
            pass

