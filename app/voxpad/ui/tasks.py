"""Run a function off the GUI thread and get its result back on the GUI thread.

Every widget uses ``run_in_background`` instead of wiring threads by hand, so the GUI
thread never waits on a model load, a decode or a file.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from voxpad.errors import VoxpadError

log = logging.getLogger(__name__)


class _TaskSignals(QObject):
    # Created on the GUI thread, so slots connected to these run there (queued).
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(float)


class BackgroundTask(QRunnable):
    """One call of ``fn(task)`` on the shared thread pool.

    ``fn`` receives the task so it can report ``task.report_progress(0..1)`` and check
    ``task.cancelled``. Exceptions reach ``on_error`` as the exception object.
    """

    def __init__(self, fn: Callable[[BackgroundTask], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # lifetime is managed by _running, not by the pool
        self._fn = fn
        self._cancel = threading.Event()
        self.signals = _TaskSignals()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def report_progress(self, fraction: float) -> None:
        self._emit(self.signals.progress, float(fraction))

    def run(self) -> None:
        try:
            result = self._fn(self)
        except VoxpadError as exc:
            self._emit(self.signals.failed, exc)
        except Exception as exc:  # a bug: keep the app alive and say so
            log.exception("Background task failed")
            self._emit(self.signals.failed, exc)
        else:
            self._emit(self.signals.done, result)

    @staticmethod
    def _emit(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The app quit while this task ran (e.g. a model still loading at exit) and
            # Qt already deleted the signals object: nobody is left to tell.
            pass


_running: set[BackgroundTask] = set()


def run_in_background(
    fn: Callable[[BackgroundTask], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[Exception], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> BackgroundTask:
    task = BackgroundTask(fn)
    if on_done:
        task.signals.done.connect(on_done)
    if on_error:
        task.signals.failed.connect(on_error)
    if on_progress:
        task.signals.progress.connect(on_progress)
    # Keep the task (and its signals object) alive until its result has been delivered
    # on the GUI thread; dropping it from the worker thread could free it mid-delivery.
    task.signals.done.connect(lambda _result: _running.discard(task))
    task.signals.failed.connect(lambda _exc: _running.discard(task))
    _running.add(task)
    QThreadPool.globalInstance().start(task)
    return task


def describe_error(exc: Exception) -> str:
    """The sentence to show for ``exc``: ours as written, anything else as an internal error."""
    if isinstance(exc, VoxpadError):
        return str(exc)
    return f"Something went wrong inside Voxpad ({type(exc).__name__}: {exc}). Your document is untouched."
