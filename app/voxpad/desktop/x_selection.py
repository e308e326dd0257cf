"""X11 selections (CLIPBOARD, PRIMARY): read every format another program offers, and serve ours.

Clipboard-paste insertion must leave the user's clipboard as it found it, and a clipboard
is not one string: a copied image, rich text or a file list is offered in several formats
(targets). ``read_selection`` copies every target; ``SelectionOwner`` serves a set of
targets from a thread until another program takes the selection, which is how the
original contents are put back. Formats too large for one X request travel by the INCR
protocol (chunk by chunk) both ways, so a copied multi-megabyte image survives a paste.

Plain Python (python-xlib), no Qt; every function here may block briefly and belongs on a
worker thread.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

# Targets that describe the selection rather than hold its data; never copied.
_META_TARGETS = {"TARGETS", "MULTIPLE", "TIMESTAMP", "SAVE_TARGETS", "DELETE", "INSERT_SELECTION",
                 "INSERT_PROPERTY"}
TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "text/plain", "STRING", "TEXT")


@dataclass(frozen=True)
class SelectionData:
    """One target's contents: its type atom name, element format (8/16/32) and raw bytes."""

    type_name: str
    format: int
    data: bytes


SelectionContents = dict[str, SelectionData]  # target name -> data


def text_contents(text: str) -> SelectionContents:
    """What a program copying plain text offers."""
    utf8 = text.encode("utf-8")
    contents = {name: SelectionData("UTF8_STRING" if name != "text/plain;charset=utf-8" else name, 8, utf8)
                for name in TEXT_TARGETS}
    contents["STRING"] = SelectionData("STRING", 8, text.encode("latin-1", errors="replace"))
    return contents


def _next_event(display, matches, timeout: float):
    """The next event ``matches`` accepts, or None after ``timeout`` seconds; others are dropped.

    Only for a connection of our own (a reader's), where no other event matters.
    """
    deadline = time.monotonic() + timeout
    while True:
        while display.pending_events():
            event = display.next_event()
            if matches(event):
                return event
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        select.select([display.fileno()], [], [], remaining)
        display.pending_events()  # reads what arrived


def _take_property(window, prop: int):
    """A whole property, deleted as it is read (replies, unlike requests, have no size limit).

    Deleting is what tells an INCR owner to send its next chunk.
    """
    from Xlib import X

    # long_length counts 32-bit units; the server sends what there is, up to that.
    return window.get_property(prop, X.AnyPropertyType, 0, 0x3FFFFFFF, delete=True)


def _as_bytes(value, fmt: int) -> bytes:
    if isinstance(value, str):
        return value.encode("latin-1")
    return bytes(value) if fmt == 8 else _pack(value, fmt)


def read_selection(selection: str = "CLIPBOARD", timeout: float = 1.0,
                   only: tuple[str, ...] | None = None) -> SelectionContents:
    """Every data target the selection's owner offers (or those of them in ``only``); empty if
    nobody owns it.

    Large targets may come by the INCR protocol (xclip uses it above 4 MB, Qt above 16 MB,
    GTK 3 above 256 kB); they are received chunk by chunk. ``timeout`` bounds each wait for
    the owner, so a slow but steady transfer of any size completes.
    """
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    try:
        sel = d.intern_atom(selection)
        if d.get_selection_owner(sel) == X.NONE:
            return {}
        # PropertyChangeMask from the start: INCR chunks are announced as property changes.
        window = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent,
                                               event_mask=X.PropertyChangeMask)
        prop = d.intern_atom("VOXPAD_SELECTION")
        incr = d.intern_atom("INCR")

        def receive_incr(target_name: str) -> SelectionData | None:
            # The INCR property is already deleted (_take_property): the owner now writes
            # chunks, each after we delete the previous one, and ends with an empty one.
            parts: list[bytes] = []
            type_atom, fmt = X.NONE, 8
            while True:
                notice = _next_event(d, lambda e: e.type == X.PropertyNotify and e.window.id == window.id
                                     and e.atom == prop and e.state == X.PropertyNewValue, timeout)
                if notice is None:
                    log.warning("The owner of %s stopped sending %s after %d bytes; that format is not kept.",
                                selection, target_name, sum(map(len, parts)))
                    return None
                chunk = _take_property(window, prop)
                if not chunk.property_type:
                    continue  # an old notice for a chunk already read
                data = _as_bytes(chunk.value, chunk.format)
                if type_atom == X.NONE:
                    type_atom, fmt = chunk.property_type, chunk.format
                if not data:
                    return SelectionData(d.get_atom_name(type_atom), fmt, b"".join(parts))
                parts.append(data)

        def convert(target_atom: int, target_name: str) -> SelectionData | None:
            window.convert_selection(sel, target_atom, prop, X.CurrentTime)
            d.flush()
            notify = _next_event(d, lambda e: e.type == X.SelectionNotify and e.requestor.id == window.id,
                                 timeout)
            if notify is None or notify.property == X.NONE:
                return None
            reply = _take_property(window, prop)
            if not reply.property_type:
                return None
            if reply.property_type == incr:
                return receive_incr(target_name)
            return SelectionData(d.get_atom_name(reply.property_type), reply.format,
                                 _as_bytes(reply.value, reply.format))

        targets = convert(d.intern_atom("TARGETS"), "TARGETS")
        if targets is None or targets.format != 32:
            return {}
        contents: SelectionContents = {}
        for atom in _unpack(targets.data, 32):
            if atom in (0, Xatom.ATOM):
                continue
            name = d.get_atom_name(atom)
            if name in _META_TARGETS or name in contents or (only is not None and name not in only):
                continue
            item = convert(atom, name)
            if item is not None:
                contents[name] = item
        window.destroy()
        return contents
    finally:
        d.close()


def _pack(values, fmt: int) -> bytes:
    import array

    return array.array({16: "H", 32: "I"}[fmt], values).tobytes()


def _unpack(data: bytes, fmt: int):
    import array

    values = array.array({16: "H", 32: "I"}[fmt])
    values.frombytes(data)
    return values


def _items(data: bytes, fmt: int):
    """Bytes as ChangeProperty wants them for a format: bytes for 8, numbers for 16 and 32."""
    return data if fmt == 8 else _unpack(data, fmt)


# How long an INCR transfer may wait for the requestor to take a chunk before we give up on it
# (its window may be gone, or it gave up itself).
_INCR_IDLE_SECONDS = 10.0


@dataclass
class _Outgoing:
    """An INCR transfer in progress: the rest of ``data`` goes to ``window``'s ``prop``."""

    window: object
    prop: int
    type_atom: int
    format: int
    data: bytes
    offset: int
    last_activity: float


class SelectionOwner:
    """Owns one or more selections and serves ``contents`` until another program takes them.

    ``served`` is set once a program has fetched one of the data targets (not merely asked
    which targets there are): after a paste key, that is when the paste has happened.

    A target larger than one X request (about 256 kB: python-xlib has no BIG-REQUESTS) is
    sent by the INCR protocol, in chunks. Transfers under way when the selection is taken
    are finished before the thread ends, as ICCCM asks.
    """

    def __init__(self, contents: SelectionContents, selections: tuple[str, ...] = ("CLIPBOARD",)) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.contents = contents
        self.served = threading.Event()
        self.lost = threading.Event()
        self._display = d = xdisplay.Display()
        # Errors about a requestor's window that vanished mid-transfer are expected; they must
        # not reach stderr (python-xlib's default) or stop the serving thread.
        d.set_error_handler(lambda error, request=None: log.debug("X error while serving a selection: %s", error))
        # ChangeProperty's own header is 24 bytes; chunks stay whole 32-bit items.
        self._chunk = (d.display.info.max_request_length * 4 - 64) // 4 * 4
        self._outgoing: dict[tuple[int, int], _Outgoing] = {}
        self._window = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        self._atoms = {name: d.intern_atom(name) for name in contents}
        self._type_atoms = {name: d.intern_atom(item.type_name) for name, item in contents.items()}
        self._targets_atom = d.intern_atom("TARGETS")
        self._timestamp_atom = d.intern_atom("TIMESTAMP")
        self._incr_atom = d.intern_atom("INCR")
        self._selections = {d.intern_atom(s): s for s in selections}
        self._owned = set(self._selections)
        for sel in self._selections:
            self._window.set_selection_owner(sel, X.CurrentTime)
        d.sync()
        self._thread = threading.Thread(target=self._serve, name="selection-owner", daemon=True)
        self._thread.start()

    def owns(self) -> bool:
        return not self.lost.is_set()

    def _serve(self) -> None:
        from Xlib import X

        d = self._display
        try:
            while self._owned or self._outgoing:
                select.select([d.fileno()], [], [], 0.5)
                while d.pending_events():
                    event = d.next_event()
                    if event.type == X.SelectionRequest:
                        self._answer(event)
                    elif event.type == X.PropertyNotify and event.state == X.PropertyDelete:
                        self._send_next_chunk(event)
                    elif event.type == X.SelectionClear:
                        self._owned.discard(event.atom)
                if not self._owned:
                    self.lost.set()
                self._drop_stalled_transfers()
        except Exception as exc:
            log.debug("Selection owner ended: %s", exc)
        finally:
            self.lost.set()
            try:
                d.close()
            except Exception:
                pass

    def _answer(self, request) -> None:
        from Xlib import X, Xatom
        from Xlib.protocol import event as xevent

        prop = request.property or request.target  # obsolete clients pass None
        target = request.target
        names = {atom: name for name, atom in self._atoms.items()}
        try:
            if not self._owned:
                prop = X.NONE  # a request sent before another program took the selection
            elif target == self._targets_atom:
                atoms = [self._targets_atom, self._timestamp_atom, *self._atoms.values()]
                request.requestor.change_property(prop, Xatom.ATOM, 32, atoms)
            elif target == self._timestamp_atom:
                request.requestor.change_property(prop, Xatom.INTEGER, 32, [0])
            elif target in names:
                name = names[target]
                item = self.contents[name]
                if len(item.data) > self._chunk:
                    self._start_incr(request.requestor, prop, item, self._type_atoms[name])
                else:
                    request.requestor.change_property(prop, self._type_atoms[name], item.format,
                                                      _items(item.data, item.format))
                self.served.set()
            else:
                prop = X.NONE
        except Exception as exc:
            log.debug("Answering a selection request failed: %s", exc)
            prop = X.NONE
        notify = xevent.SelectionNotify(time=request.time, requestor=request.requestor,
                                        selection=request.selection, target=target, property=prop)
        request.requestor.send_event(notify)
        self._display.flush()

    def _start_incr(self, window, prop: int, item: SelectionData, type_atom: int) -> None:
        from Xlib import X

        # Watch the requestor's properties before it can see INCR: its deleting that
        # property is the request for the first chunk.
        window.change_attributes(event_mask=X.PropertyChangeMask)
        window.change_property(prop, self._incr_atom, 32, [len(item.data)])
        self._outgoing[(window.id, prop)] = _Outgoing(window, prop, type_atom, item.format, item.data, 0,
                                                       time.monotonic())

    def _send_next_chunk(self, event) -> None:
        key = (event.window.id, event.atom)
        transfer = self._outgoing.get(key)
        if transfer is None:
            return
        piece = transfer.data[transfer.offset:transfer.offset + self._chunk]
        transfer.offset += len(piece)
        transfer.last_activity = time.monotonic()
        # The empty chunk after the last one tells the requestor the data is complete.
        transfer.window.change_property(transfer.prop, transfer.type_atom, transfer.format,
                                        _items(piece, transfer.format))
        if not piece:
            self._finish(key)
        self._display.flush()

    def _finish(self, key: tuple[int, int]) -> None:
        transfer = self._outgoing.pop(key)
        if not any(window_id == key[0] for window_id, _ in self._outgoing):
            transfer.window.change_attributes(event_mask=0)  # stop hearing about its properties

    def _drop_stalled_transfers(self) -> None:
        now = time.monotonic()
        for key, transfer in list(self._outgoing.items()):
            if now - transfer.last_activity > _INCR_IDLE_SECONDS:
                log.info("A program stopped taking a %d-byte clipboard format after %d bytes; sending ends.",
                         len(transfer.data), transfer.offset)
                self._finish(key)
                self._display.flush()

    def release(self) -> None:
        """Give up the selections, leaving them empty (as they were when nothing was copied)."""
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib.protocol import request

        if self.lost.is_set():
            return
        d = xdisplay.Display()
        try:
            for name in self._selections.values():
                atom = d.intern_atom(name)
                owner = d.get_selection_owner(atom)
                if getattr(owner, "id", owner) == self._window.id:  # still ours: nobody copied since
                    request.SetSelectionOwner(display=d.display, window=X.NONE, selection=atom,
                                              time=X.CurrentTime)
            d.sync()
        finally:
            d.close()
        self.lost.wait(2)
