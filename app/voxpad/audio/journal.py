"""The recording journal: what was heard and what was written, kept on disk as it happens.

Each running window owns one *journal session*, a private folder under
``paths.data_dir()/journal/<id>/``:

    session.json   when it started and which process owns it
    lock           held (flock) for as long as that process lives; a crash releases it
    audio.s16le    every sample dictation received, 16 kHz mono 16-bit, appended as it arrives
    events.jsonl   one line per dictation start/stop and per final utterance (its text and
                   how far into audio.s16le it reaches)
    document.json  the latest autosave of the document (written by voxpad.recovery)

Appends are small ``os.write`` calls (they survive a killed process at once) and the file is
fsynced at least every second (so little is lost on power loss). Writing happens on the
dictation worker thread, never in the audio callback. Files are 0600, folders 0700.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from voxpad import paths
from voxpad.audio.blocks import SAMPLE_RATE

log = logging.getLogger(__name__)

AUDIO_FILE = "audio.s16le"
EVENTS_FILE = "events.jsonl"
SESSION_FILE = "session.json"
LOCK_FILE = "lock"
FINISHED_FILE = "finished"
BYTES_PER_SAMPLE = 2
SYNC_INTERVAL = 1.0  # seconds between fsyncs of the audio while dictating


def journal_root() -> Path:
    """The folder holding every journal session (created 0700)."""
    root = paths.data_dir() / "journal"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def open_private(path: Path, flags: int) -> int:
    """``os.open`` creating the file readable by the user only."""
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    return fd


def write_private_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file, fsync, rename; 0600."""
    tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``path``, or None if another process (or fd) holds it."""
    fd = open_private(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


@dataclass
class JournalEvent:
    """One line of events.jsonl."""

    kind: str  # "run" (dictation started), "final" (an utterance was written), "run_end"
    sample: int  # position in audio.s16le: where the run starts / the utterance ends / the run ends
    text: str = ""
    seq: int = 0  # finals are numbered from 1 across the whole session


def read_events(folder: Path) -> list[JournalEvent]:
    """The events of a session; a line cut short by a crash is skipped."""
    events = []
    try:
        lines = (folder / EVENTS_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    for line in lines:
        try:
            raw = json.loads(line)
            events.append(JournalEvent(str(raw["kind"]), int(raw["sample"]), str(raw.get("text", "")),
                                       int(raw.get("seq", 0))))
        except (ValueError, KeyError, TypeError):
            continue
    return events


def audio_samples_on_disk(folder: Path) -> int:
    try:
        return (folder / AUDIO_FILE).stat().st_size // BYTES_PER_SAMPLE
    except FileNotFoundError:
        return 0


def read_audio(folder: Path, start: int = 0, end: int | None = None) -> np.ndarray:
    """Journaled samples ``start``..``end`` as float32 (a half-written last sample is ignored)."""
    path = folder / AUDIO_FILE
    total = audio_samples_on_disk(folder)
    end = total if end is None else min(end, total)
    if end <= start:
        return np.zeros(0, dtype=np.float32)
    with open(path, "rb") as fh:
        fh.seek(start * BYTES_PER_SAMPLE)
        raw = fh.read((end - start) * BYTES_PER_SAMPLE)
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


class JournalSession:
    """The journal folder of one running window; see the module docstring for its layout."""

    def __init__(self, folder: Path, lock_fd: int) -> None:
        self.folder = folder
        self._lock_fd: int | None = lock_fd
        self._write_lock = threading.Lock()
        self._audio_fd: int | None = None
        self._events_fd: int | None = None
        self._samples = 0
        self._finals = 0
        self._last_sync = time.monotonic()
        self._run_open = False
        self._closed = False

    @classmethod
    def create(cls, root: Path | None = None) -> "JournalSession":
        """A new session folder, locked by this process."""
        root = root or journal_root()
        started = datetime.now(timezone.utc)
        folder = root / f"{started.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        folder.mkdir(mode=0o700)
        lock_fd = try_lock(folder / LOCK_FILE)
        if lock_fd is None:  # pragma: no cover - a fresh uuid folder cannot be locked already
            raise OSError(f"journal folder {folder} is locked")
        info = {"started": started.isoformat(timespec="seconds"), "pid": os.getpid()}
        write_private_atomically(folder / SESSION_FILE, json.dumps(info).encode())
        return cls(folder, lock_fd)

    @property
    def finals_written(self) -> int:
        return self._finals

    @property
    def audio_seconds(self) -> float:
        return self._samples / SAMPLE_RATE

    # -- dictation runs (worker thread) ------------------------------------------------

    def _open_files(self) -> None:
        if self._closed:
            raise OSError(f"the journal {self.folder} is closed")
        if self._audio_fd is None:
            self._audio_fd = open_private(self.folder / AUDIO_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            self._samples = os.fstat(self._audio_fd).st_size // BYTES_PER_SAMPLE
        if self._events_fd is None:
            self._events_fd = open_private(self.folder / EVENTS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND)

    def _event(self, event: JournalEvent) -> None:
        line = json.dumps({"kind": event.kind, "sample": event.sample, "text": event.text, "seq": event.seq},
                          ensure_ascii=False) + "\n"
        os.write(self._events_fd, line.encode("utf-8"))

    def begin_run(self) -> int:
        """Mark the start of a dictation; returns its first sample's position in the audio file."""
        with self._write_lock:
            self._open_files()
            self._run_open = True
            self._event(JournalEvent("run", self._samples))
            return self._samples

    def append_audio(self, samples: np.ndarray) -> None:
        """Append float32 samples; fsync when the last one is a second old."""
        data = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with self._write_lock:
            self._open_files()
            view = memoryview(data)
            while view:
                view = view[os.write(self._audio_fd, view):]
            self._samples += len(samples)
            now = time.monotonic()
            if now - self._last_sync >= SYNC_INTERVAL:
                os.fsync(self._audio_fd)
                os.fsync(self._events_fd)
                self._last_sync = now

    def record_final(self, text: str, end_sample: int) -> int:
        """Note that audio up to ``end_sample`` became ``text``; returns the final's number."""
        with self._write_lock:
            self._open_files()
            self._finals += 1
            self._event(JournalEvent("final", end_sample, text, self._finals))
            return self._finals

    def end_run(self) -> None:
        """Every sample of the run has been transcribed: nothing left to recover from it."""
        with self._write_lock:
            if not self._run_open or self._closed:
                return
            self._run_open = False
            self._event(JournalEvent("run_end", self._samples))
            os.fsync(self._audio_fd)
            os.fsync(self._events_fd)

    # -- the end of the session ----------------------------------------------------------

    def close(self, keep: bool) -> None:
        """The window closed normally: delete the folder, or keep it marked finished (retention)."""
        with self._write_lock:
            for fd in (self._audio_fd, self._events_fd):
                if fd is not None:
                    os.close(fd)
            self._audio_fd = self._events_fd = None
            self._closed = True
            if keep:
                write_private_atomically(self.folder / FINISHED_FILE, b"")
            else:
                shutil.rmtree(self.folder, ignore_errors=True)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


class JournalingDictation:
    """Wraps a StreamingDictation so every sample fed is journaled first, and every final recorded.

    ``run_microphone_dictation`` only calls ``feed()`` and ``finish()``, so this stands in for
    the dictation there. ``on_event`` of the inner dictation must be :meth:`record_event`'s
    caller (see ``make``), so finals are on disk before anyone sees them.
    """

    def __init__(self, journal: JournalSession) -> None:
        self.journal = journal
        self.inner = None
        self._run_start = journal.begin_run()

    @classmethod
    def make(cls, journal: JournalSession, build: Callable[[Callable], object],
             on_event: Callable) -> "JournalingDictation":
        """``build(on_event)`` creates the inner dictation; its events are journaled, then passed on.

        If the journal cannot be written (disk full), dictation goes on unjournaled.
        """
        try:
            wrapper = cls(journal)
        except OSError as exc:
            log.warning("Dictating without a journal: %s", exc)
            return build(on_event)

        def journaled(event) -> None:
            if event.kind == "final":
                try:
                    wrapper.journal.record_final(
                        event.text, wrapper._run_start + int(round(event.audio_time * SAMPLE_RATE)))
                except OSError as exc:  # the text still reaches the window, which autosaves it
                    log.warning("Could not journal a final utterance: %s", exc)
            on_event(event)

        wrapper.inner = build(journaled)
        return wrapper

    def feed(self, samples: np.ndarray) -> None:
        try:
            self.journal.append_audio(np.asarray(samples, dtype=np.float32).reshape(-1))
        except OSError as exc:  # a full disk must not stop dictation: the text still reaches the window
            log.warning("Could not journal audio: %s", exc)
        self.inner.feed(samples)

    def finish(self) -> None:
        self.inner.finish()
        try:
            self.journal.end_run()
        except OSError as exc:
            log.warning("Could not close the journal run: %s", exc)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)
