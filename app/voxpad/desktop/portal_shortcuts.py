"""Global shortcuts on Wayland through the XDG desktop portal (org.freedesktop.portal.GlobalShortcuts).

On Wayland no program may grab keys for itself; the desktop binds them for it. The portal
flow: CreateSession, BindShortcuts (the desktop may show a dialog where the user confirms or
changes the keys), then Activated/Deactivated signals whenever a bound shortcut is pressed
or released. Every portal request answers later through an org.freedesktop.portal.Request
``Response`` signal on a path the caller can predict, so the match for it is added first.

``PortalShortcuts`` has the shape of ``X11Hotkeys``: bindings by name, a callback with
``HotkeyEvent``s on a background thread, ``start()``/``stop()``. Because binding can wait on
the user, ``start()`` returns at once and the outcome arrives through ``on_status``.

D-Bus is spoken through jeepney (pure Python): QtDBus in PySide6 cannot marshal the
``a(sa{sv})`` that BindShortcuts takes. jeepney's router runs one receiver thread per
connection; its replies wake the waiting call and signals land in queues (filters), which
this module's own thread reads, so the callback never runs on jeepney's thread. Variants
are ``(signature, value)`` tuples both ways.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable

from jeepney import (DBusAddress, DBusErrorResponse, HeaderFields, MatchRule, Message, MessageFlag,
                     MessageGenerator, Properties, message_bus, new_method_call)
from jeepney.io.common import RouterClosed
from jeepney.io.threading import DBusRouter, Proxy, ReceiveStopped, open_dbus_connection

from voxpad.desktop.hotkeys_x11 import Hotkey, HotkeyError, HotkeyEvent

log = logging.getLogger(__name__)

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
REQUEST = "org.freedesktop.portal.Request"
SESSION = "org.freedesktop.portal.Session"

DESCRIPTIONS = {
    "toggle": "Start or stop dictation",
    "push-to-talk": "Dictate while held (push to talk)",
    "read-selection": "Read the selected text aloud",
}
_CALL_TIMEOUT = 25.0  # seconds for a portal method (D-Bus activation of the portal included)
_SESSION_TIMEOUT = 30.0
_BIND_TIMEOUT = 600.0  # BindShortcuts may wait for the user in a dialog
_AUTH_TIMEOUT = 5.0

# What a call on a live connection can raise: an error reply, a timeout (an OSError), a
# connection that broke or was closed by stop().
_BUS_ERRORS = (DBusErrorResponse, RouterClosed, ReceiveStopped, OSError)
# And while connecting (which says Hello): jeepney's AuthenticationError is a ValueError, an
# unsupported transport in the address a RuntimeError.
_CONNECT_ERRORS = (*_BUS_ERRORS, ValueError, RuntimeError)


def portal_request(router: DBusRouter, method: Callable, *args, timeout: float,
                   waiting: list | None = None, stopped: Callable[[], bool] = lambda: False):
    """Call a portal method that answers through a Request's Response signal.

    ``args`` end with the method's options dictionary (a handle token is added). Returns
    (response code, results), or None if no answer came within ``timeout`` seconds. The
    answer queue is put in ``waiting`` meanwhile, so whoever stops the connection can wake
    it with a None, which (like ``stopped()`` before the call) raises RouterClosed.
    """
    token = "voxpad_" + secrets.token_hex(6)
    path = f"{PORTAL_PATH}/request/{sender_part(router.unique_name)}/{token}"
    Proxy(message_bus, router, timeout=_CALL_TIMEOUT).AddMatch(
        MatchRule(type="signal", sender=PORTAL, interface=REQUEST, member="Response", path=path))
    *leading, options = args
    options = {**options, "handle_token": ("s", token)}
    # Every Response on this connection, caught before the call so none is missed; the one
    # for this request is picked by its path (very old portals chose the path themselves).
    with router.filter(MatchRule(type="signal", interface=REQUEST, member="Response"),
                       queue=queue.Queue()) as answers:
        if waiting is not None:
            waiting.append(answers)
        try:
            if stopped():
                raise RouterClosed("stopped")
            (handle,) = method(*leading, options)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    msg = answers.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    return None
                if msg is None:
                    raise RouterClosed("stopped")
                if msg.header.fields.get(HeaderFields.path) in (path, handle) and len(msg.body) == 2:
                    response, results = msg.body
                    return response, results
        finally:
            if waiting is not None:
                waiting.remove(answers)


class PortalUnavailable(HotkeyError):
    """No desktop portal with GlobalShortcuts answers on the session bus."""


class GlobalShortcutsPortal(MessageGenerator):
    """The portal's GlobalShortcuts methods, with the signatures of the XDG spec."""

    interface = SHORTCUTS

    def __init__(self, object_path: str = PORTAL_PATH, bus_name: str = PORTAL) -> None:
        super().__init__(object_path=object_path, bus_name=bus_name)

    def CreateSession(self, options: dict) -> Message:  # noqa: N802 (the D-Bus method's name)
        return new_method_call(self, "CreateSession", "a{sv}", (options,))

    def BindShortcuts(self, session_handle: str, shortcuts: list, parent_window: str,  # noqa: N802
                      options: dict) -> Message:
        return new_method_call(self, "BindShortcuts", "oa(sa{sv})sa{sv}",
                               (session_handle, shortcuts, parent_window, options))


def portal_trigger(keys: str) -> str:
    """Voxpad's "Ctrl+Alt+Space" as the XDG shortcuts spec writes it: "CTRL+ALT+space"."""
    hotkey = Hotkey.parse(keys)
    names = {"ControlMask": "CTRL", "Mod1Mask": "ALT", "ShiftMask": "SHIFT", "Mod4Mask": "LOGO"}
    mods = [names[m] for m in names if m in hotkey.modifiers]
    key = hotkey.key.lower() if len(hotkey.key) == 1 else hotkey.key
    return "+".join(mods + [key])


def sender_part(unique_name: str) -> str:
    """A bus name as the portal writes it in Request object paths (":1.42" -> "1_42")."""
    return unique_name.lstrip(":").replace(".", "_")


def session_bus_address() -> str:
    """The user's session bus: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not address and runtime and os.path.exists(os.path.join(runtime, "bus")):
        address = f"unix:path={runtime}/bus"
    if not address:
        raise PortalUnavailable("There is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set).")
    return address


def _describe(exc: BaseException) -> str:
    if isinstance(exc, DBusErrorResponse):
        detail = exc.data[0] if exc.data and isinstance(exc.data[0], str) else ""
        return f"{exc.name}: {detail}".rstrip(": ")
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"no answer within {_CALL_TIMEOUT:g} s"
    return str(exc) or type(exc).__name__


def _triggers(shortcuts: list) -> dict[str, str]:
    """{id: trigger description} from an ``a(sa{sv})`` of bound shortcuts."""
    return {sid: str(info.get("trigger_description", ("s", ""))[1]) for sid, info in shortcuts}


class PortalShortcuts:
    """Binds ``{name: keys}`` through the portal; ``callback(HotkeyEvent)`` on activation.

    ``on_status(problem, triggers)`` is called once binding has finished: ``problem`` is None
    and ``triggers`` maps each bound name to the desktop's description of its keys, or
    ``problem`` says what went wrong (a ``PortalUnavailable`` problem means: use something else).
    """

    def __init__(self, bindings: dict[str, str], callback: Callable[[HotkeyEvent], None],
                 on_status: Callable[[HotkeyError | None, dict[str, str]], None],
                 address: str | None = None) -> None:
        self.bindings = dict(bindings)
        self.callback = callback
        self.on_status = on_status
        self.address = address
        self.session_handle: str | None = None
        self.triggers: dict[str, str] = {}
        self._router: DBusRouter | None = None
        self._lock = threading.Lock()
        self._signals: queue.Queue = queue.Queue()  # GlobalShortcuts signals; None: stop listening
        self._waiting: list[queue.Queue] = []  # Response queues of requests in flight
        self._stopped = threading.Event()
        self._finished = threading.Event()  # binding has finished (on_status was called or stopped)
        self._thread: threading.Thread | None = None

    # -- checks ---------------------------------------------------------------------------
    @staticmethod
    def portal_version(router: DBusRouter) -> int:
        """The portal's GlobalShortcuts version; raises PortalUnavailable if there is none."""
        properties = Proxy(Properties(GlobalShortcutsPortal()), router, timeout=_CALL_TIMEOUT)
        try:
            ((_signature, version),) = properties.get("version")
        except _BUS_ERRORS as exc:
            raise PortalUnavailable(f"The desktop portal offers no global shortcuts ({_describe(exc)}).") from exc
        return int(version)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="portal-shortcuts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopped.set()
            router, self._router = self._router, None
        self._signals.put(None)
        for answers in list(self._waiting):
            answers.put(None)  # a binding still waiting on the desktop gives up now
        if router is None:
            return
        if self.session_handle:
            close = new_method_call(DBusAddress(self.session_handle, bus_name=PORTAL, interface=SESSION), "Close")
            close.header.flags |= MessageFlag.no_reply_expected
            try:  # ends the session: the desktop forgets these bindings until the next start
                router.send(close)
            except _BUS_ERRORS:
                pass
        router.close()  # stops jeepney's receiver thread
        router.conn.close()

    def wait(self, timeout: float | None = None) -> None:
        """Wait until binding has finished (the thread then goes on delivering shortcut presses)."""
        self._finished.wait(timeout)

    # -- the portal conversation, then the presses (worker thread) ------------------------------
    def _run(self) -> None:
        try:
            conn = open_dbus_connection(self.address or session_bus_address(), auth_timeout=_AUTH_TIMEOUT)
        except PortalUnavailable as exc:
            self._report(exc)
            return
        except _CONNECT_ERRORS as exc:
            self._report(PortalUnavailable(f"The D-Bus session bus could not be reached ({_describe(exc)})."))
            return
        router = DBusRouter(conn)
        with self._lock:
            if self._stopped.is_set():  # stop() came while connecting
                router.close()
                conn.close()
                self._finished.set()
                return
            self._router = router
        # Filters match on this side, where a signal's sender is the portal's unique name: so
        # no sender here (the bus's match rules, which resolve the well-known name, have it).
        with router.filter(MatchRule(type="signal", interface=SHORTCUTS), queue=self._signals):
            if self._bind(router):
                self._listen()

    def _bind(self, router: DBusRouter) -> bool:
        try:
            self.portal_version(router)
            Proxy(message_bus, router, timeout=_CALL_TIMEOUT).AddMatch(
                MatchRule(type="signal", sender=PORTAL, interface=SHORTCUTS))
            portal = Proxy(GlobalShortcutsPortal(), router, timeout=_CALL_TIMEOUT)
            try:
                results = self._request(router, portal.CreateSession,
                                        {"session_handle_token": ("s", "voxpad_" + secrets.token_hex(6))},
                                        timeout=_SESSION_TIMEOUT)
            except HotkeyError as exc:
                # xdg-desktop-portal answers this way when no backend for this desktop implements
                # GlobalShortcuts (e.g. the GTK or wlr backends): as good as no portal.
                raise PortalUnavailable(f"The desktop portal has no global shortcuts here ({exc})") from exc
            self.session_handle = str(results["session_handle"][1])
            shortcuts = []
            for name, keys in self.bindings.items():
                options = {"description": ("s", DESCRIPTIONS.get(name, name))}
                try:
                    options["preferred_trigger"] = ("s", portal_trigger(keys))
                except HotkeyError:
                    pass  # the desktop lets the user choose
                shortcuts.append((name, options))
            results = self._request(router, portal.BindShortcuts, self.session_handle, shortcuts, "", {},
                                    timeout=_BIND_TIMEOUT)
            bound = results.get("shortcuts")
            if bound is None:  # an older backend that does not say: assume what was asked
                self.triggers = {name: "" for name in self.bindings}
            else:
                self.triggers = _triggers(bound[1])
            self._report(None)
            return True
        except HotkeyError as exc:
            self._report(exc)
        except _BUS_ERRORS as exc:
            self._report(HotkeyError(f"The desktop's global shortcuts could not be set up ({_describe(exc)})."))
        except Exception as exc:  # a bug here must still end in a message, not silence
            log.exception("Binding global shortcuts through the portal failed")
            self._report(HotkeyError(f"The desktop's global shortcuts could not be set up "
                                     f"({type(exc).__name__}: {exc})."))
        return False

    def _request(self, router: DBusRouter, method: Callable, *args, timeout: float) -> dict:
        """Call a portal method that answers through a Request's Response signal; its results."""
        answer = portal_request(router, method, *args, timeout=timeout, waiting=self._waiting,
                                stopped=self._stopped.is_set)
        if answer is None:
            raise HotkeyError(f"The desktop did not answer the shortcut request "
                              f"({method.__name__}) within {timeout:g} s.")
        response, results = answer
        if response == 1:
            raise HotkeyError("Binding Voxpad's global shortcuts was cancelled in the desktop's dialog.")
        if response != 0:
            raise HotkeyError(f"The desktop refused Voxpad's global shortcuts ({method.__name__} failed).")
        return results

    def _listen(self) -> None:
        while True:
            msg = self._signals.get()
            if msg is None or self._stopped.is_set():
                return
            try:
                self._on_signal(msg)
            except Exception:  # one odd signal must not end the shortcuts
                log.exception("A global shortcuts signal from the portal could not be handled")

    def _on_signal(self, msg: Message) -> None:
        member = msg.header.fields.get(HeaderFields.member)
        if member in ("Activated", "Deactivated"):
            session, shortcut_id = msg.body[0], msg.body[1]
            if session == self.session_handle and shortcut_id in self.bindings and not self._stopped.is_set():
                self.callback(HotkeyEvent(shortcut_id, member == "Activated"))
        elif member == "ShortcutsChanged":
            if msg.body and msg.body[0] == self.session_handle:
                self.triggers = _triggers(msg.body[1])

    def _report(self, problem: HotkeyError | None) -> None:
        try:
            if self._stopped.is_set():
                return
            if problem is not None:
                log.info("Portal global shortcuts: %s", problem)
            self.on_status(problem, dict(self.triggers))
        finally:
            self._finished.set()
