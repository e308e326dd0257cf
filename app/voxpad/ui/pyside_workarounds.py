"""Work-arounds for defects in the Qt binding that would otherwise crash Voxpad.

PySide6 6.12.0 with CPython < 3.12: ``SignalInstance.emit()`` returns ``True`` without taking
a reference to it, so every emit from Python lowers True's reference count by one. After a
few thousand emits (the microphone level alone is 20 a second) CPython frees True and aborts
with "Fatal Python error: bool_dealloc" -- minutes into a dictation. Found by the soak test
(benchmarks/soak.py); reproduced with a bare QObject in tests/gui/test_pyside_workarounds.py.

CPython 3.12 made True and False immortal for exactly this class of bug; here we do the same
by giving them a reference count no leak can exhaust. It is applied only when a probe shows
that emit() really steals a reference, so a fixed PySide6 is left alone.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_HUGE = 1 << 40  # at a million leaked references a second, 12 days of margin... times 1000
_applied = False


def emit_steals_a_bool_reference() -> bool:
    """True if emitting a signal from Python lowers True's reference count (the PySide6 defect)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(16):
        probe.ping.emit()
    return sys.getrefcount(True) <= before - 8


def make_bools_immortal() -> bool:
    """Protect True and False against the emit() reference leak; True if a fix was applied."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # 3.12+: True and False are immortal already
    if not emit_steals_a_bool_reference():
        return False
    for value in (True, False):
        # ob_refcnt is the first field of every CPython object.
        ctypes.c_ssize_t.from_address(id(value)).value += _HUGE
    _applied = True
    log.info("Applied the PySide6 emit() reference-count work-around")
    return True
