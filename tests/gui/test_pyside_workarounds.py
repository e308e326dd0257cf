"""The PySide6 emit() reference leak: without the work-around, emitting signals kills the process."""

from __future__ import annotations

import subprocess
import sys

EMIT_MANY = """
import sys, threading
{setup}
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Meter(QObject):
    level = Signal(float)
meter = Meter()
def emit():
    for _ in range(100_000):
        meter.level.emit(0.5)  # what the microphone level does 20 times a second
worker = threading.Thread(target=emit)
worker.start(); worker.join()
emit()
print("alive")
"""


def _run(setup: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", EMIT_MANY.format(setup=setup)], capture_output=True, text=True,
                          timeout=120, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})


def test_the_app_survives_hundreds_of_thousands_of_signal_emits():
    result = _run("import voxpad.ui")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "alive"


def test_the_work_around_is_needed_exactly_when_the_binding_leaks():
    from voxpad.ui.pyside_workarounds import emit_steals_a_bool_reference

    bare = _run("")
    if sys.version_info < (3, 12) and emit_steals_a_bool_reference():
        # The defect is present: without the work-around CPython aborts (bool_dealloc).
        assert bare.returncode != 0 and "bool_dealloc" in bare.stderr
    else:
        assert bare.returncode == 0
