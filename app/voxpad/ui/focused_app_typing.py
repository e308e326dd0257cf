"""Types dictated text into the application that has focus, one utterance at a time, in order.

Typing blocks until the target has taken the keys, so it runs on one worker thread fed by
a queue: the GUI stays live and utterances arrive in the order they were said. If typing
fails, the text is handed back (``undelivered``) so the window can keep it: nothing said
is lost.

While a push-to-talk key is held, utterances are kept back (``hold``/``release``): X gives
the whole keyboard, typed keys included, to the program whose grabbed key is down, so text
typed then would reach Voxpad's own grab instead of the focused app.
"""

from __future__ import annotations

import logging
import queue
import threading

from PySide6.QtCore import QObject, Signal

from voxpad.desktop.typing import TextSender, TypingError, choose_typer
from voxpad.text.joining import join_dictation

log = logging.getLogger(__name__)


class FocusedAppTyping(QObject):
    """``insert(text)`` queues an utterance; spacing between utterances follows voxpad.text.joining."""

    inserted = Signal(str)  # the exact string typed
    failed = Signal(str)
    undelivered = Signal(str)  # text that could not be typed, to keep elsewhere

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.method = "auto"
        self._queue: queue.Queue[str | None] = queue.Queue()  # None ends the worker
        self._before = ""  # what this dictation already typed (its tail), for spacing
        self._held: list[str] | None = None  # utterances kept back while push-to-talk is held
        self._thread = threading.Thread(target=self._work, name="focused-app-typing", daemon=True)
        self._thread.start()

    def new_dictation(self) -> None:
        """A new dictation starts a new sentence in whatever app has focus."""
        self._before = ""

    def hold(self) -> None:
        """Keep utterances back until ``release()`` (a push-to-talk key is down)."""
        if self._held is None:
            self._held = []

    def release(self) -> None:
        """Type the utterances kept back, in order, and type new ones as they come again."""
        held, self._held = self._held or [], None
        for text in held:
            self._queue.put(text)

    def shutdown(self) -> None:
        self.release()
        self._queue.put(None)

    def insert(self, text: str) -> None:
        joined = join_dictation(self._before, text)
        if not joined:
            return
        self._before = (self._before + joined)[-40:]
        if self._held is not None:
            self._held.append(joined)
        else:
            self._queue.put(joined)

    def _work(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            try:
                TextSender(choose_typer(self.method)).send(text)
                self.inserted.emit(text)
            except TypingError as exc:
                self.failed.emit(str(exc))
                self.undelivered.emit(text)
            except Exception as exc:  # a bug must not lose what was said
                log.exception("Typing into the focused application failed")
                self.failed.emit(f"Typing into the focused application failed ({type(exc).__name__}: {exc}).")
                self.undelivered.emit(text)
