"""Crash recovery without a window: sessions left by a killed process, their text, `voxpad recover`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from voxpad import recovery
from voxpad.audio import journal
from voxpad.audio.decode import load_audio_file
from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.engines import Engines
from crash_helpers import crash_a_session


@pytest.fixture(scope="module")
def engines():
    return Engines()


def _crash_a_session(data_dir, jfk_wav, **options):
    return str(crash_a_session(data_dir, jfk_wav, **options))


def test_a_killed_session_is_found_and_its_untranscribed_audio_transcribed(tmp_path, monkeypatch, jfk_wav, engines):
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path))
    folder = _crash_a_session(tmp_path, jfk_wav, document="Dear diary.")
    [session] = recovery.find_recoverable()
    assert str(session.folder) == folder
    assert session.audio_seconds == pytest.approx(len(load_audio_file(jfk_wav)) / SAMPLE_RATE, abs=0.01)
    text = session.text(recovery.transcriber(engines.recognizer))
    assert text.startswith("Dear diary. ")
    assert "ask not what your country can do for you" in text.lower().replace(",", "")
    # Finding it removes nothing: only the user's decision does.
    assert recovery.find_recoverable()[0].folder == session.folder
    recovery.discard(session)
    assert recovery.find_recoverable() == []


def test_audio_already_transcribed_is_not_transcribed_again(tmp_path, monkeypatch, jfk_wav):
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path))
    _crash_a_session(tmp_path, jfk_wav, finals=["And so my fellow Americans."], transcribed_seconds=11.0)
    [session] = recovery.find_recoverable()
    # Finals after the last autosave are recovered from the journal's own record.
    assert session.later_finals == ["And so my fellow Americans."]
    assert session.untranscribed == []  # jfk.wav is 11 s: all of it was covered
    assert session.text(lambda audio: pytest.fail("nothing should be transcribed")) == "And so my fellow Americans."


def test_a_live_session_and_a_finished_one_are_not_offered(tmp_path):
    root = tmp_path / "journal"
    root.mkdir()
    live = journal.JournalSession.create(root)
    recovery.write_autosave(live.folder, recovery.AutosaveSnapshot("typing…"))
    closed = journal.JournalSession.create(root)
    recovery.write_autosave(closed.folder, recovery.AutosaveSnapshot("done"))
    closed.close(keep=True)
    assert recovery.find_recoverable(root) == []
    assert recovery.prune_finished(0, root) == 1 and not closed.folder.exists()
    assert live.folder.exists()


def test_an_empty_abandoned_session_is_pruned(tmp_path):
    root = tmp_path / "journal"
    root.mkdir()
    session = journal.JournalSession.create(root)
    os.close(session._lock_fd)  # as if the process died before anything was typed
    session._lock_fd = None
    assert recovery.find_recoverable(root) == []
    assert not session.folder.exists()


def test_autosave_writer_keeps_only_the_newest_snapshot_and_reports_failures(tmp_path):
    errors = []
    writer = recovery.AutosaveWriter(lambda: tmp_path, on_error=errors.append)
    for number in range(50):
        writer.submit(recovery.AutosaveSnapshot(f"version {number}", finals=number))
    assert writer.flush()
    assert recovery.read_autosave(tmp_path).text == "version 49"
    assert 1 <= writer.writes <= 50
    assert stat.S_IMODE((tmp_path / recovery.DOCUMENT_FILE).stat().st_mode) == 0o600
    writer2 = recovery.AutosaveWriter(lambda: tmp_path / "missing" / "folder", on_error=errors.append)
    writer2.submit(recovery.AutosaveSnapshot("x"))
    assert writer2.flush()
    assert errors and isinstance(errors[0], OSError)
    writer.close()
    writer2.close()


def _voxpad(*args, data_dir):
    env = {**os.environ, "VOXPAD_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "voxpad", *args], env=env, capture_output=True, text=True,
                          timeout=180)


def test_recover_cli_json_and_restore(tmp_path, jfk_wav):
    folder = _crash_a_session(tmp_path, jfk_wav, document="Notes:")
    result = _voxpad("recover", "--json", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    [entry] = json.loads(result.stdout)["sessions"]
    assert entry["audio_path"] == os.path.join(folder, journal.AUDIO_FILE)
    assert entry["audio_seconds"] == pytest.approx(11.0, abs=0.1)
    assert entry["text"].startswith("Notes: ")
    assert "fellow americans" in entry["text"].lower()
    assert entry["started"][:4].isdigit() and "T" in entry["started"]

    restored = _voxpad("recover", "--restore", data_dir=tmp_path)
    assert restored.returncode == 0, restored.stderr
    path = restored.stdout.strip()
    assert os.path.dirname(path) == os.path.dirname(folder)
    with open(path, encoding="utf-8") as fh:
        assert fh.read() == entry["text"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # Restoring is not deciding: the journal stays until discarded.
    assert os.path.isdir(folder)
    assert _voxpad("recover", "--discard", data_dir=tmp_path).returncode == 0
    assert not os.path.isdir(folder)
    nothing = _voxpad("recover", "--json", data_dir=tmp_path)
    assert json.loads(nothing.stdout) == {"sessions": []}
