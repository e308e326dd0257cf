"""The recording journal: audio and finals on disk as they happen, private, lock-protected."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from voxpad.audio import journal
from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.stt.dictation import DictationEvent


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "journal"
    folder.mkdir(mode=0o700)
    return folder


def test_audio_is_on_disk_after_each_append_and_files_are_private(root):
    session = journal.JournalSession.create(root)
    session.begin_run()
    tone = (0.5 * np.sin(np.arange(SAMPLE_RATE) / 10)).astype(np.float32)
    session.append_audio(tone[:800])
    # No close, no flush call: a killed process leaves exactly this on disk.
    assert journal.audio_samples_on_disk(session.folder) == 800
    session.append_audio(tone[800:])
    back = journal.read_audio(session.folder)
    assert len(back) == SAMPLE_RATE
    assert np.max(np.abs(back - tone)) < 1e-3
    assert stat.S_IMODE(session.folder.stat().st_mode) == 0o700
    for path in session.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_half_written_sample_and_a_cut_event_line_are_ignored(root):
    session = journal.JournalSession.create(root)
    session.begin_run()
    session.append_audio(np.zeros(100, dtype=np.float32))
    session.record_final("hello", 100)
    with open(session.folder / journal.AUDIO_FILE, "ab") as fh:
        fh.write(b"\x01")  # the crash came mid-sample
    with open(session.folder / journal.EVENTS_FILE, "a") as fh:
        fh.write('{"kind": "final", "sam')  # ... or mid-line
    assert journal.audio_samples_on_disk(session.folder) == 100
    events = journal.read_events(session.folder)
    assert [(e.kind, e.sample, e.text) for e in events] == [("run", 0, ""), ("final", 100, "hello")]


def test_the_lock_is_held_while_the_session_lives_and_released_by_close(root):
    session = journal.JournalSession.create(root)
    assert journal.try_lock(session.folder / journal.LOCK_FILE) is None
    session.close(keep=True)
    fd = journal.try_lock(session.folder / journal.LOCK_FILE)
    assert fd is not None
    os.close(fd)
    assert (session.folder / journal.FINISHED_FILE).exists()


def test_close_without_retention_deletes_the_folder(root):
    session = journal.JournalSession.create(root)
    session.begin_run()
    session.append_audio(np.zeros(10, dtype=np.float32))
    session.close(keep=False)
    assert not session.folder.exists()


class _RecordingDictation:
    """Stands in for StreamingDictation's interface: remembers what it was fed."""

    def __init__(self, on_event):
        self.on_event = on_event
        self.fed = []

    def feed(self, samples):
        self.fed.append(len(samples))
        if sum(self.fed) >= 1600:
            self.on_event(DictationEvent("final", "one two", sum(self.fed) / SAMPLE_RATE))

    def finish(self):
        pass


def test_journaling_dictation_writes_audio_before_decoding_and_finals_before_the_window(root):
    session = journal.JournalSession.create(root)
    seen = []

    def on_event(event):
        # By the time the window hears of a final, it is in the journal.
        seen.append([e.text for e in journal.read_events(session.folder) if e.kind == "final"])

    wrapped = journal.JournalingDictation.make(session, _RecordingDictation, on_event)
    wrapped.feed(np.zeros(800, dtype=np.float32))
    assert journal.audio_samples_on_disk(session.folder) == 800
    wrapped.feed(np.zeros(800, dtype=np.float32))
    wrapped.finish()
    assert seen == [["one two"]]
    kinds = [e.kind for e in journal.read_events(session.folder)]
    assert kinds == ["run", "final", "run_end"]
    assert session.finals_written == 1
