"""Keep glibc's malloc from growing the process through per-thread arenas (issue 7's soak).

Dictation (CTranslate2, Silero VAD) and read-aloud (piper/onnxruntime) each run on threads
that come and go: a dictation thread per session, a reader thread per reading, pool and
PortAudio threads. glibc hands each new thread an arena (up to 8 per core) and reuses the
arenas of finished threads, so the two engines' large, short-lived buffers end up scattered
over many arenas whose freed pages are kept. Measured with benchmarks/soak.py (dictate 30 s,
read, repeat): RSS grew ~16 MB per cycle with no growth in Python objects (tracemalloc flat)
and none with MALLOC_ARENA_MAX=2. Capping the arenas here keeps that memory reusable.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameter number for the arena cap (glibc malloc.h: M_ARENA_MAX -8).
_M_ARENA_MAX = -8
# Two arenas: enough to keep the audio callback, GUI and one engine thread from contending
# on a single lock, few enough that fragmentation cannot multiply.
ARENA_MAX = 2


def limit_malloc_arenas(arenas: int = ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas (a no-op elsewhere, or if MALLOC_ARENA_MAX is set); True if applied.

    Call before threads start: glibc latches its arena limit once several arenas exist.
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return False
    try:
        # By soname, not ctypes.util.find_library: that runs ldconfig/gcc on every start.
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc: no arenas to cap
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))
