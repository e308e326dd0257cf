"""Shared helpers for tests that play through the test run's PulseAudio null sink."""

from __future__ import annotations

import time
from pathlib import Path

import pytest


def wait_until(check, timeout: float, what: str) -> None:
    """Poll ``check`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def start_recording(desktop, path: Path):
    """Record the sink into ``path``; returns once audio is flowing (an idle sink wakes slowly)."""
    process = desktop.record(path)
    wait_until(lambda: path.exists() and path.stat().st_size > 44, 10, "the recording to start")
    return process


@pytest.fixture(scope="module")
def awake_sink(desktop, tmp_path_factory):
    """Keep the null sink running: when idle it first pulls from a new client after ~2 s.

    Import it into a test module (``from audio_helpers import awake_sink``) to use it there.
    """
    path = tmp_path_factory.mktemp("sink") / "keeper.wav"
    keeper = desktop.record(path)
    wait_until(lambda: path.exists() and path.stat().st_size > 44, 10, "the sink to wake")
    yield desktop
    keeper.terminate()
    keeper.wait(5)
