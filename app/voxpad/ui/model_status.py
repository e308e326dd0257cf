"""Brings the engines' model events (unloaded when idle, loading again) to the status line."""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, Signal

from voxpad.engines import Engines, ModelEvent


class ModelStatus(QObject):
    """Emits ``message`` on the GUI thread for each ModelEvent, whichever thread it happened on."""

    message = Signal(str)

    def __init__(self, engines: Engines, parent: QObject | None = None) -> None:
        super().__init__(parent)
        me = weakref.ref(self)

        def relay(event: ModelEvent) -> None:
            # Engines outlive windows (tests share one): a listener of a closed window does nothing.
            target = me()
            if target is None:
                return
            try:
                target.message.emit(event.message)  # queued to the GUI thread: this object lives there
            except RuntimeError:  # the Qt side is already deleted
                pass

        engines.add_listener(relay)
