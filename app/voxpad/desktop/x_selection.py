"""X11 selections (CLIPBOARD, PRIMARY): read every format another program offers, and serve ours.

Clipboard-paste insertion must leave the user's clipboard as it found it, and a clipboard
is not one string: a copied image, rich text or a file list is offered in several formats
(targets). ``read_selection`` copies every target; ``SelectionOwner`` serves a set of
targets from a thread until another program takes the selection, which is how the
original contents are put back.

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


def _wait_for_event(display, window_id: int, event_type: int, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        while display.pending_events():
            event = display.next_event()
            if event.type == event_type and getattr(event, "requestor", None) is not None \
                    and event.requestor.id == window_id:
                return event
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        select.select([display.fileno()], [], [], remaining)
        display.pending_events()  # reads what arrived


def read_selection(selection: str = "CLIPBOARD", timeout: float = 1.0) -> SelectionContents:
    """Every data target the selection's owner offers; empty if nobody owns it."""
    from Xlib import X, Xatom
    from Xlib import display as xdisplay

    d = xdisplay.Display()
    try:
        sel = d.intern_atom(selection)
        if d.get_selection_owner(sel) == X.NONE:
            return {}
        window = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        prop = d.intern_atom("VOXPAD_SELECTION")
        incr = d.intern_atom("INCR")

        def convert(target_atom: int):
            window.convert_selection(sel, target_atom, prop, X.CurrentTime)
            d.flush()
            notify = _wait_for_event(d, window.id, X.SelectionNotify, timeout)
            if notify is None or notify.property == X.NONE:
                return None
            reply = window.get_full_property(prop, X.AnyPropertyType, sizehint=1 << 20)
            window.delete_property(prop)
            if reply is None or reply.property_type == incr:
                return None  # INCR transfers (very large data) are not kept
            return reply

        targets = convert(d.intern_atom("TARGETS"))
        if targets is None:
            return {}
        contents: SelectionContents = {}
        for atom in targets.value:
            if atom in (0, Xatom.ATOM):
                continue
            name = d.get_atom_name(atom)
            if name in _META_TARGETS:
                continue
            reply = convert(atom)
            if reply is None:
                continue
            value = reply.value
            data = value.encode("latin-1") if isinstance(value, str) else bytes(
                value if reply.format == 8 else _pack(value, reply.format))
            contents[name] = SelectionData(d.get_atom_name(reply.property_type), reply.format, data)
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


class SelectionOwner:
    """Owns one or more selections and serves ``contents`` until another program takes them.

    ``served`` is set once a program has fetched one of the data targets (not merely asked
    which targets there are): after a paste key, that is when the paste has happened.
    """

    def __init__(self, contents: SelectionContents, selections: tuple[str, ...] = ("CLIPBOARD",)) -> None:
        from Xlib import X
        from Xlib import display as xdisplay

        self.contents = contents
        self.served = threading.Event()
        self.lost = threading.Event()
        self._display = d = xdisplay.Display()
        # Requests may legitimately exceed the maximum request size only with INCR, which we
        # do not speak; such a target is dropped rather than breaking the whole clipboard.
        limit = (d.display.info.max_request_length * 4) - 64
        for name, item in list(contents.items()):
            if len(item.data) > limit:
                log.warning("Clipboard format %s (%d bytes) is too large to restore and is dropped.",
                            name, len(item.data))
                del self.contents[name]
        self._window = d.screen().root.create_window(0, 0, 1, 1, 0, X.CopyFromParent)
        self._atoms = {name: d.intern_atom(name) for name in contents}
        self._targets_atom = d.intern_atom("TARGETS")
        self._timestamp_atom = d.intern_atom("TIMESTAMP")
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
            while self._owned:
                readable, _, _ = select.select([d.fileno()], [], [], 0.5)
                while d.pending_events():
                    event = d.next_event()
                    if event.type == X.SelectionRequest:
                        self._answer(event)
                    elif event.type == X.SelectionClear:
                        self._owned.discard(event.atom)
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
            if target == self._targets_atom:
                atoms = [self._targets_atom, self._timestamp_atom, *self._atoms.values()]
                request.requestor.change_property(prop, Xatom.ATOM, 32, atoms)
            elif target == self._timestamp_atom:
                request.requestor.change_property(prop, Xatom.INTEGER, 32, [0])
            elif target in names:
                item = self.contents[names[target]]
                data = item.data if item.format == 8 else _unpack(item.data, item.format)
                request.requestor.change_property(
                    prop, self._display.intern_atom(item.type_name), item.format, data)
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
