"""A minimal system tray host (XEmbed / freedesktop System Tray protocol) for the bare test X server.

Xvfb has no desktop, so nothing offers a tray; this is the real protocol a panel speaks,
reduced to what Qt's tray icon needs: own ``_NET_SYSTEM_TRAY_S0``, announce it with a
MANAGER message, and take the icon windows that ask to dock. Run as a script; it prints
"ready", then one "docked" line per icon.
"""

from __future__ import annotations

import sys

from Xlib import X, Xatom, display
from Xlib.protocol import event

SYSTEM_TRAY_REQUEST_DOCK = 0


def main() -> None:
    d = display.Display()
    screen = d.screen()
    root = screen.root
    tray = root.create_window(0, 0, 200, 32, 0, screen.root_depth, event_mask=X.SubstructureNotifyMask)
    selection = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
    opcode = d.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
    tray.change_property(d.intern_atom("_NET_SYSTEM_TRAY_ORIENTATION"), Xatom.CARDINAL, 32, [0])
    tray.change_property(d.intern_atom("_NET_SYSTEM_TRAY_VISUAL"), Xatom.VISUALID, 32, [screen.root_visual])
    tray.set_selection_owner(selection, X.CurrentTime)
    tray.map()
    manager = event.ClientMessage(window=root, client_type=d.intern_atom("MANAGER"),
                                  data=(32, [X.CurrentTime, selection, tray.id, 0, 0]))
    root.send_event(manager, event_mask=X.StructureNotifyMask)
    d.sync()
    print("ready", flush=True)
    while True:
        e = d.next_event()
        if e.type == X.ClientMessage and e.client_type == opcode:
            _time, message, icon_id, *_ = e.data[1]
            if message == SYSTEM_TRAY_REQUEST_DOCK:
                icon = d.create_resource_object("window", icon_id)
                icon.reparent(tray, 0, 0)
                icon.configure(width=24, height=24)
                icon.map()
                d.sync()
                print("docked", flush=True)


if __name__ == "__main__":
    sys.exit(main())
