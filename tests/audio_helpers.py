"""Shared helpers for tests that play through the test run's PulseAudio null sink."""

from __future__ import annotations

from pathlib import Path

import pytest

from polling import wait_until  # noqa: F401  (re-exported for the tests that import it from here)


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
