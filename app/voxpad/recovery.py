"""Crash recovery: document autosaves, and finding what a crashed session left behind.

The window autosaves its document into its journal session (see voxpad.audio.journal) with
:class:`AutosaveWriter`, a background thread that always writes the newest snapshot, so the
GUI thread only takes the snapshot. After a crash the next start (or ``voxpad recover``)
finds sessions whose lock is free and that were not finished, and rebuilds their text:

    the last autosaved document
    + finals written to the journal after that autosave
    + the transcription of journaled audio no final covers yet

Nothing here imports Qt.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from voxpad.audio import journal
from voxpad.audio.blocks import SAMPLE_RATE
from voxpad.errors import VoxpadError

log = logging.getLogger(__name__)

DOCUMENT_FILE = "document.json"
# Untranscribed audio shorter than this cannot hold a word worth offering.
_MIN_UNTRANSCRIBED_SAMPLES = int(0.3 * SAMPLE_RATE)


class RecoveryError(VoxpadError):
    """Recovered text could not be read or written."""


@dataclass(frozen=True)
class AutosaveSnapshot:
    """The document as the window had it: ``finals`` is how many dictated finals it held."""

    text: str
    path: str | None = None
    modified: bool = True
    finals: int = 0


def write_autosave(folder: Path, snapshot: AutosaveSnapshot) -> None:
    data = json.dumps({"text": snapshot.text, "path": snapshot.path, "modified": snapshot.modified,
                       "finals": snapshot.finals, "saved_at": time.time()}, ensure_ascii=False)
    journal.write_private_atomically(folder / DOCUMENT_FILE, data.encode("utf-8", errors="replace"))


def read_autosave(folder: Path) -> AutosaveSnapshot | None:
    try:
        raw = json.loads((folder / DOCUMENT_FILE).read_text(encoding="utf-8", errors="replace"))
        return AutosaveSnapshot(str(raw.get("text", "")), raw.get("path"), bool(raw.get("modified", True)),
                                int(raw.get("finals", 0)))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("Autosave in %s is damaged (%s); using the journal only.", folder, exc)
        return None


class AutosaveWriter:
    """Writes autosave snapshots on its own thread; a newer snapshot replaces one not yet written.

    ``submit()`` never blocks on the disk. ``on_written(snapshot)`` / ``on_error(exc)`` are
    called on the writer thread.
    """

    def __init__(self, folder_for: Callable[[], Path], on_error: Callable[[OSError], None] | None = None) -> None:
        self._folder_for = folder_for
        self._on_error = on_error
        self._pending: tuple[AutosaveSnapshot, Callable | None] | None = None
        self._condition = threading.Condition()
        self._busy = False
        self._closed = False
        self.writes = 0
        self._thread = threading.Thread(target=self._run, name="voxpad-autosave", daemon=True)
        self._thread.start()

    def submit(self, snapshot: AutosaveSnapshot, on_written: Callable[[AutosaveSnapshot], None] | None = None) -> None:
        with self._condition:
            if self._pending is not None and self._pending[1] is not None and on_written is None:
                on_written = self._pending[1]  # a replaced snapshot's callback still fires, for the newer one
            self._pending = (snapshot, on_written)
            self._condition.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted is written (shutdown and tests only)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._pending is not None or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self) -> None:
        self.flush()
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._closed:
                    self._condition.wait()
                if self._pending is None:
                    return
                (snapshot, on_written), self._pending = self._pending, None
                self._busy = True
            try:
                write_autosave(self._folder_for(), snapshot)
                self.writes += 1
                if on_written is not None:
                    on_written(snapshot)
            except OSError as exc:
                log.warning("Autosave failed: %s", exc.strerror or exc)
                if self._on_error is not None:
                    self._on_error(exc)
            except Exception:  # a bug must not kill the writer: later snapshots still matter
                log.exception("Autosave failed")
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()


# -- finding and rebuilding what a crash left ------------------------------------------------


@dataclass
class RecoverableSession:
    """A journal session whose process ended without closing it."""

    folder: Path
    started: str
    document: AutosaveSnapshot | None
    later_finals: list[str] = field(default_factory=list)
    untranscribed: list[tuple[int, int]] = field(default_factory=list)  # sample ranges
    audio_samples: int = 0

    @property
    def audio_path(self) -> Path:
        return self.folder / journal.AUDIO_FILE

    @property
    def audio_seconds(self) -> float:
        return self.audio_samples / SAMPLE_RATE

    @property
    def has_content(self) -> bool:
        document = self.document
        return bool((document is not None and document.modified and document.text.strip())
                    or any(text.strip() for text in self.later_finals) or self.untranscribed)

    def untranscribed_audio(self) -> np.ndarray:
        pieces = [journal.read_audio(self.folder, start, end) for start, end in self.untranscribed]
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def text(self, transcribe: Callable[[np.ndarray], str] | None) -> str:
        """The recovered document; ``transcribe`` turns untranscribed audio into text (None: skip it)."""
        from voxpad.text.joining import join_dictation

        document = self.document.text if self.document else ""
        words = [text.strip() for text in self.later_finals if text.strip()]
        if transcribe is not None and self.untranscribed:
            heard = transcribe(self.untranscribed_audio()).strip()
            if heard:
                words.append(heard)
        text = document
        for piece in words:
            text += join_dictation(text[-200:], piece)
        return text


def _untranscribed_ranges(events: list[journal.JournalEvent], total: int) -> list[tuple[int, int]]:
    """Audio of runs that never ended, after the last final of that run."""
    ranges = []
    runs = [index for index, event in enumerate(events) if event.kind == "run"]
    for number, index in enumerate(runs):
        stop_index = runs[number + 1] if number + 1 < len(runs) else len(events)
        run_events = events[index:stop_index]
        if any(event.kind == "run_end" for event in run_events):
            continue
        start = max([events[index].sample] + [event.sample for event in run_events if event.kind == "final"])
        end = events[stop_index].sample if stop_index < len(events) else total
        if end - start >= _MIN_UNTRANSCRIBED_SAMPLES:
            ranges.append((start, end))
    return ranges


def load_session(folder: Path) -> RecoverableSession:
    """What ``folder`` holds (whether or not its process is alive)."""
    try:
        info = json.loads((folder / journal.SESSION_FILE).read_text(encoding="utf-8"))
        started = str(info.get("started", ""))
    except (OSError, ValueError, AttributeError):
        started = datetime.fromtimestamp(folder.stat().st_mtime).astimezone().isoformat(timespec="seconds")
    document = read_autosave(folder)
    events = journal.read_events(folder)
    total = journal.audio_samples_on_disk(folder)
    seen = document.finals if document else 0
    later = [event.text for event in events if event.kind == "final" and event.seq > seen]
    return RecoverableSession(folder, started, document, later, _untranscribed_ranges(events, total), total)


def _is_abandoned(folder: Path) -> bool:
    """True if no live process holds the session's lock and it was not closed normally."""
    if (folder / journal.FINISHED_FILE).exists() or not (folder / journal.SESSION_FILE).exists():
        return False
    fd = journal.try_lock(folder / journal.LOCK_FILE)
    if fd is None:
        return False  # its window is still running
    os.close(fd)
    return True


def find_recoverable(root: Path | None = None, *, prune_empty: bool = True) -> list[RecoverableSession]:
    """Sessions left by a crash that hold something worth recovering, oldest first.

    Abandoned sessions with nothing in them (a crash before anything was typed or said) are
    deleted when ``prune_empty``.
    """
    root = root or journal.journal_root()
    found = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        if not _is_abandoned(folder):
            continue
        session = load_session(folder)
        if session.has_content:
            found.append(session)
        elif prune_empty:
            shutil.rmtree(folder, ignore_errors=True)
    return found


def prune_finished(retention_days: float, root: Path | None = None) -> int:
    """Delete sessions closed normally more than ``retention_days`` ago; returns how many."""
    root = root or journal.journal_root()
    cutoff = time.time() - retention_days * 86400
    removed = 0
    for marker in root.glob(f"*/{journal.FINISHED_FILE}"):
        try:
            if marker.stat().st_mtime <= cutoff:
                shutil.rmtree(marker.parent, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def discard(session: RecoverableSession) -> None:
    """The user decided: remove the session's journal."""
    shutil.rmtree(session.folder, ignore_errors=True)


def restore_path(session: RecoverableSession) -> Path:
    """Where ``voxpad recover --restore`` writes a session's document: beside its journal folder."""
    return session.folder.with_name(session.folder.name + ".recovered.txt")


def restore(session: RecoverableSession, text: str) -> Path:
    path = restore_path(session)
    try:
        journal.write_private_atomically(path, text.encode("utf-8", errors="replace"))
    except OSError as exc:
        raise RecoveryError(f"The recovered text could not be written to {path}: {exc.strerror or exc}.") from exc
    return path


def transcriber(recognizer_for: Callable[[], object]) -> Callable[[np.ndarray], str]:
    """A ``transcribe`` for :meth:`RecoverableSession.text`: VAD-filtered, so silence costs little."""

    def transcribe(audio: np.ndarray) -> str:
        if audio.size == 0:
            return ""
        return recognizer_for().transcribe(audio, vad_filter=True).text

    return transcribe
