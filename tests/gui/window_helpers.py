"""Opening the main window in widget tests (the ``window`` fixture and tests needing other models)."""

from __future__ import annotations

from contextlib import contextmanager

from voxpad.config import Settings
from voxpad.engines import Engines


@contextmanager
def open_window(qtbot, settings: Settings, engines: Engines):
    """A shown MainWindow on ``engines``; on exit its dictation and reading are stopped."""
    from voxpad.ui.main_window import MainWindow, SaveChoice

    win = MainWindow(settings, engines)
    qtbot.addWidget(win)
    win.ask_save_changes = lambda: SaveChoice.DISCARD  # no modal dialogs in tests unless a test says so
    win.show()
    qtbot.waitExposed(win)
    try:
        yield win
    finally:
        win.dictation.stop()
        win.dictation.wait(30)
        win.reader.shutdown()
