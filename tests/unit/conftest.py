"""Fixtures shared by the unit tests: the real bundled voice and speech model, loaded once per module."""

from __future__ import annotations

import pytest

from voxpad.models.defaults import bundled_whisper_model
from voxpad.tts.voice import Voice


@pytest.fixture(scope="module")
def voice() -> Voice:
    """The bundled piper voice."""
    return Voice.load()


@pytest.fixture(scope="module")
def whisper():
    """faster-whisper on the bundled tiny.en model, as the tests' independent listener."""
    from faster_whisper import WhisperModel

    return WhisperModel(str(bundled_whisper_model()), device="cpu", compute_type="int8")
