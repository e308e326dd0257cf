"""Fixtures for widget tests: one set of loaded models for the session, a fresh window each test."""

from __future__ import annotations

import pytest

from voxpad.config import Settings
from voxpad.engines import Engines
from window_helpers import open_window


@pytest.fixture(scope="session")
def engines() -> Engines:
    shared = Engines()
    shared.recognizer()
    shared.voice()
    return shared


@pytest.fixture
def window(qtbot, engines):
    with open_window(qtbot, Settings(), engines) as win:
        yield win
