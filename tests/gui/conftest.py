"""Fixtures for widget tests: one set of loaded models for the session, a fresh window each test."""

from __future__ import annotations

import pytest

from voxpad.config import Settings
from voxpad.engines import Engines


@pytest.fixture(scope="session")
def engines() -> Engines:
    shared = Engines()
    shared.recognizer()
    shared.voice()
    return shared


@pytest.fixture
def window(qtbot, engines):
    from voxpad.ui.main_window import MainWindow, SaveChoice

    win = MainWindow(Settings(), engines)
    qtbot.addWidget(win)
    win.ask_save_changes = lambda: SaveChoice.DISCARD  # no modal dialogs in tests unless a test says so
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.dictation.stop()
    win.dictation.wait(30)
    win.reader.shutdown()
