"""The window's journal, autosave and crash recovery, on the real engines and sound server."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QTextCursor

from crash_helpers import crash_a_session
from voxpad import recovery
from voxpad.audio import journal


@pytest.fixture
def private_data(tmp_path, monkeypatch):
    """Journals of this test only (sessions are created lazily, so the window picks this up)."""
    monkeypatch.setenv("VOXPAD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_dictation_is_journaled_as_it_arrives_and_the_journal_goes_on_close(window, qtbot, desktop, jfk_wav,
                                                                             private_data):
    with qtbot.waitSignal(window.dictation.started, timeout=10_000):
        window.dictate_action.trigger()
    player = desktop.play(jfk_wav, wait=False)
    session = window.safety.session()
    # While the clip still plays, what was heard is already on disk.
    qtbot.waitUntil(lambda: journal.audio_samples_on_disk(session.folder) > 3 * 16000, timeout=20_000)
    assert player.poll() is None, "the clip ended before the journal had 3 s: too slow to say"
    qtbot.waitUntil(lambda: player.poll() is not None, timeout=30_000)
    with qtbot.waitSignal(window.dictation.stopped, timeout=30_000):
        window.dictate_action.trigger()
    events = journal.read_events(session.folder)
    finals = [e.text for e in events if e.kind == "final"]
    assert events[0].kind == "run" and events[-1].kind == "run_end"
    assert "country" in " ".join(finals).lower()
    assert journal.audio_samples_on_disk(session.folder) >= 10 * 16000  # the 11 s clip, all of it
    # The autosave catches up with every final (written off the GUI thread).
    qtbot.waitUntil(lambda: (recovery.read_autosave(session.folder) or recovery.AutosaveSnapshot("")).finals
                    == len(finals), timeout=10_000)
    saved = recovery.read_autosave(session.folder)
    assert saved.text == window.editor.toPlainText()
    window.close()
    assert not session.folder.exists()


def test_typing_is_autosaved_every_few_seconds(window, qtbot, private_data):
    qtbot.keyClicks(window.editor, "An idea I must not lose.")
    session = window.safety.session()
    qtbot.waitUntil(lambda: recovery.read_autosave(session.folder) is not None, timeout=10_000)
    assert recovery.read_autosave(session.folder).text == "An idea I must not lose."
    # Nothing to recover from a live window: its lock is held.
    assert recovery.find_recoverable() == []


def test_after_a_crash_the_window_offers_the_text_and_recovers_it(window, qtbot, jfk_wav, private_data):
    folder = crash_a_session(private_data, jfk_wav, document="Meeting notes:")
    with qtbot.waitSignal(window.safety.recovery_found, timeout=60_000) as found:
        window.safety.offer_recovery()
    [(session, text)] = found.args[0]
    assert text.startswith("Meeting notes: ") and "country" in text.lower()
    dialog = window.safety.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert "country" in dialog.preview.toPlainText().lower()
    dialog.recover_button.click()
    assert window.editor.toPlainText() == text
    assert window.editor.document().isModified()
    # The crashed journal goes only once the recovered text is safe in this window's autosave.
    qtbot.waitUntil(lambda: not folder.exists(), timeout=10_000)
    assert recovery.read_autosave(window.safety.session().folder).text == text


def test_decide_later_keeps_everything_and_discard_removes_it(window, qtbot, jfk_wav, private_data):
    folder = crash_a_session(private_data, jfk_wav, document="Keep me")
    with qtbot.waitSignal(window.safety.recovery_found, timeout=60_000):
        window.safety.offer_recovery()
    window.safety.dialog.later_button.click()
    assert folder.exists() and window.editor.toPlainText() == ""
    with qtbot.waitSignal(window.safety.recovery_found, timeout=60_000):
        window.safety.offer_recovery()
    window.safety.dialog.discard_button.click()
    qtbot.waitUntil(lambda: not folder.exists(), timeout=10_000)
    assert window.editor.toPlainText() == ""


def test_a_failing_autosave_says_so_once_and_keeps_the_text(window, qtbot, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # FakeUnwritableFolder: the autosave's folder sits under a regular file, so every write fails.
    window.safety.writer._folder_for = lambda: blocker / "journal"
    qtbot.keyClicks(window.editor, "precious words")
    window.safety.autosave_if_changed()
    qtbot.waitUntil(lambda: "recovery copy" in window.status_label.text(), timeout=10_000)
    assert window.editor.toPlainText() == "precious words"


def test_retention_keeps_a_finished_journal_but_never_offers_it(window, qtbot, private_data):
    window.settings.journal_retention_days = 7
    qtbot.keyClicks(window.editor, "kept for a week")
    session = window.safety.session()
    qtbot.waitUntil(lambda: recovery.read_autosave(session.folder) is not None, timeout=10_000)
    window.close()
    assert (session.folder / journal.FINISHED_FILE).exists()
    assert recovery.find_recoverable() == []
    assert recovery.prune_finished(7) == 0 and session.folder.exists()
    assert recovery.prune_finished(0) == 1 and not session.folder.exists()
