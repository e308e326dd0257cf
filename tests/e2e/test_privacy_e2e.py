"""The real app dictates and reads aloud with no IP connection, private files, and quiet logs."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from conftest_e2e import dictate_clip, wait_until
from privacy_helpers import HF_VARIABLES, attach, ip_connections
from voxpad.audio import journal

pytestmark = pytest.mark.e2e


def _modes(folder):
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            found[path] = stat.S_IMODE(os.lstat(path).st_mode)
    return found


def test_window_dictation_and_read_aloud_make_no_ip_connection(launch, desktop, tmp_path, jfk_wav, monkeypatch):
    for name in HF_VARIABLES:  # Voxpad must set them itself
        monkeypatch.delenv(name, raising=False)
    report = tmp_path / "guard-report"
    monkeypatch.setenv("VOXPAD_NETWORK_GUARD", "1")
    monkeypatch.setenv("VOXPAD_NETWORK_GUARD_REPORT", str(report))
    doc = tmp_path / "private.txt"
    doc.write_text("")
    app = launch("--open", str(doc))
    app.wait_for_window("private.txt")
    trace_log = tmp_path / "trace"
    tracer = attach(app.process.pid, trace_log)
    try:
        time.sleep(1)  # strace needs a moment to attach to every thread
        dictate_clip(app, jfk_wav, close_timeout=30)

        def dictated():
            app.key("ctrl+s")
            time.sleep(0.3)
            return "country" in doc.read_text().lower()

        wait_until(dictated, 60, "the dictation in the saved document", interval=1)
        # Files Voxpad wrote while running (settings, journal, autosave): user-only.
        data, config = tmp_path / "data", tmp_path / "config"
        assert any(path.name == journal.AUDIO_FILE for path in (data / "journal").rglob("*"))
        for path, mode in {**_modes(data), **_modes(config)}.items():
            expected = 0o700 if os.path.isdir(path) else 0o600
            assert mode == expected, f"{path} is {oct(mode)}"
        app.key("ctrl+Home")
        app.key("ctrl+r")
        time.sleep(3)  # reading aloud for a while: the voice loads and plays
        assert app.process.poll() is None
    finally:
        app.close()
        tracer.wait(15)
    assert ip_connections(trace_log) == []
    assert not report.exists(), report.read_text()
    # Without --debug, nothing the user said reaches the log.
    log_text = Path(app.log.name).read_text(errors="replace").lower()
    for word in ("americans", "country", "fellow"):
        assert word not in log_text, log_text
