"""The window's safety net: its journal session, document autosave, and recovery at start.

``DocumentSafety`` is attached to the main window with one line. It

* gives the dictation controller a journal session (created lazily, on first need),
* snapshots the document on the GUI thread every few seconds when it changed and after every
  final utterance, and hands the snapshot to an AutosaveWriter thread (no disk I/O here),
* closes the session when the window closes (deleted, or kept for ``journal_retention_days``),
* after a crash, ``offer_recovery()`` finds what was left, transcribes journaled audio in the
  background and shows the RecoveryDialog.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from voxpad import recovery
from voxpad.audio.journal import JournalSession
from voxpad.ui.tasks import describe_error, run_in_background

log = logging.getLogger(__name__)

AUTOSAVE_INTERVAL_MS = 3000


class DocumentSafety(QObject):
    """Journal, autosave and crash recovery for one MainWindow."""

    autosave_failed = Signal(str)  # from the writer thread to the GUI thread
    recovery_found = Signal(list)  # [(RecoverableSession, text)], for tests and the dialog

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window
        self._session: JournalSession | None = None
        self._session_lock = threading.Lock()
        self._finals = 0
        self._saved_revision = -1
        self._saved_finals = 0
        self._closed = False
        self._failure_shown = False
        self.writer = recovery.AutosaveWriter(self.folder, on_error=self._writer_failed)
        self.autosave_failed.connect(self._show_failure)
        window.dictation.journal_session = self.session
        window.dictation.final.connect(self._final_inserted)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_INTERVAL_MS)
        self.timer.timeout.connect(self.autosave_if_changed)
        self.timer.start()

    # -- the journal session ------------------------------------------------------------

    def session(self) -> JournalSession | None:
        """This window's journal session, created on first use (any thread); None if the disk refuses."""
        with self._session_lock:
            if self._session is None and not self._closed:
                try:
                    self._session = JournalSession.create()
                except OSError as exc:
                    log.warning("No journal: %s", exc)
                    self.autosave_failed.emit(f"Voxpad cannot keep a recovery copy: {exc.strerror or exc}.")
            return self._session

    def folder(self) -> Path:
        session = self.session()
        if session is None:
            raise OSError("there is no journal folder")
        return session.folder

    # -- autosave -------------------------------------------------------------------

    def _final_inserted(self, _text: str) -> None:
        # Connected after the window's own slot, so the text is already in the editor.
        self._finals += 1
        self.autosave_if_changed()

    def snapshot(self) -> recovery.AutosaveSnapshot:
        window = self._window
        document = window.editor.document()
        return recovery.AutosaveSnapshot(
            window.editor.toPlainText(), str(window.document_path) if window.document_path else None,
            document.isModified(), self._finals)

    def autosave_if_changed(self) -> None:
        if self._closed:
            return
        revision = self._window.editor.document().revision()
        if revision == self._saved_revision and self._finals == self._saved_finals:
            return
        if self._saved_revision == -1 and not self._window.editor.document().isModified() and not self._finals:
            self._saved_revision = revision  # a fresh, untouched window: nothing worth a file
            return
        self._saved_revision, self._saved_finals = revision, self._finals
        self.writer.submit(self.snapshot())

    def save_now(self, on_written=None) -> None:
        """Autosave at once (after a recovery, say); ``on_written`` runs on the writer thread."""
        self._saved_revision = self._window.editor.document().revision()
        self._saved_finals = self._finals
        self.writer.submit(self.snapshot(), on_written)

    def _writer_failed(self, exc: OSError) -> None:
        self.autosave_failed.emit(
            f"The recovery copy could not be written ({exc.strerror or exc}); your text is still here, save it.")

    def _show_failure(self, message: str) -> None:
        if not self._failure_shown:  # once: the timer would otherwise repeat it every 3 s
            self._failure_shown = True
            self._window.show_error(message)

    # -- closing ----------------------------------------------------------------------

    def close(self) -> None:
        """The window closed normally: its journal is no longer needed (kept per retention)."""
        if self._closed:
            return
        self._closed = True
        self.timer.stop()
        self.writer.close()
        retention = float(getattr(self._window.settings, "journal_retention_days", 0) or 0)
        with self._session_lock:
            session, self._session = self._session, None
        if session is not None:
            session.close(keep=retention > 0)
        try:
            recovery.prune_finished(retention)
        except OSError as exc:
            log.warning("Old journals could not be pruned: %s", exc)

    # -- recovery at start --------------------------------------------------------------

    def offer_recovery(self) -> None:
        """Look for what a crash left (in the background) and offer it."""
        engines = self._window.engines

        def find(_task):
            sessions = recovery.find_recoverable()
            transcribe = recovery.transcriber(engines.recognizer)
            return [(session, session.text(transcribe)) for session in sessions]

        run_in_background(find, on_done=self._found,
                          on_error=lambda exc: self._window.show_error(describe_error(exc)))

    def _found(self, found: list) -> None:
        self.recovery_found.emit(found)
        if not found:
            return
        from voxpad.ui.recovery_dialog import RecoveryDialog

        dialog = RecoveryDialog(found, self._window)
        dialog.recover_chosen.connect(lambda: self.accept_recovery(found))
        dialog.discard_chosen.connect(lambda: self.discard_recovery(found))
        self.dialog = dialog
        dialog.open()

    def accept_recovery(self, found: list) -> None:
        """Put the recovered text in the document; the old journals go once it is autosaved here."""
        editor = self._window.editor
        text = "\n\n".join(text for _session, text in found if text.strip())
        if editor.document().isEmpty():
            editor.setPlainText(text)
        else:
            editor.moveCursor(editor.textCursor().MoveOperation.End)
            editor.insertPlainText("\n\n" + text)
        editor.document().setModified(True)
        self._window.set_status("Recovered the text from the last session. Save it to keep it.")
        sessions = [session for session, _text in found]
        self.save_now(on_written=lambda _snapshot: [recovery.discard(session) for session in sessions])

    def discard_recovery(self, found: list) -> None:
        sessions = [session for session, _text in found]
        run_in_background(lambda _task: [recovery.discard(session) for session in sessions])
        self._window.set_status("Discarded the text left by the last session.")
