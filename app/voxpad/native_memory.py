"""Keep native allocators from growing the process: glibc's arenas and heap, onnxruntime's arena.

Dictation (CTranslate2, Silero VAD) and read-aloud (piper/onnxruntime) each run on threads
that come and go: a dictation thread per session, a reader thread per reading, pool and
PortAudio threads. glibc hands each new thread an arena (up to 8 per core) and reuses the
arenas of finished threads, so the two engines' large, short-lived buffers end up scattered
over many arenas whose freed pages are kept. Measured with benchmarks/soak.py (dictate 30 s,
read, repeat): RSS grew ~16 MB per cycle with no growth in Python objects (tracemalloc flat)
and none with MALLOC_ARENA_MAX=2. Capping the arenas here keeps that memory reusable.

glibc also serves allocations below its mmap threshold from the heap, and raises that
threshold (up to 32 MB) each time a big mmapped block is freed. The engines allocate and free
arrays of a few MB to tens of MB (features, VAD batches, decoder buffers) of varying sizes, so
once the threshold has risen they fragment the heap and RSS creeps up: a 1-hour file
(benchmarks/bench_long_file.py, beam 5) peaked at 514 MB and was still rising; with a fixed
1 MB threshold big arrays go back to the system when freed and it peaked at 355 MB, for about
10 % more time. The 30-minute soak's late steps of +6 and +33 MB had the same shape.

The soak's remaining one-off steps (+35 MB at cycle 7, +10 MB near the end of 30 minutes) were
onnxruntime's CPU memory arena in the piper session (read-aloud): the arena keeps every region
it ever allocated and grows whenever a run needs a block no free chunk fits, which depends on
the sentence's length and the voice's random durations. Measured with
benchmarks/bench_decode_memory.py: one read of a sentence longer than any before left +150 MB
held; 20 reads of the soak's text grew RSS by ~51 MB (medians of 3 runs, two sets). The MKL
switches inside CTranslate2 (MKL_DISABLE_FAST_MM, mkl_free_buffers, CT2_USE_MKL=0) changed
neither the step nor the peak: decoding only sets a high-water mark, reached once its longest
utterance has been decoded. :class:`ArenaShrinkingSession` releases the arena's free regions
after every run. Per sentence, 12 short and 12 long reads alternating (2 runs each, load ~1):
arena kept 89-94 ms per short sentence, 543-567 ms per long one, +442 MB held; shrinking
117-120 / 682-697 ms, +1.1 MB; arena off entirely 175-179 / 1191-1193 ms, +11-19 MB.
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
# mallopt parameter number for the mmap threshold (glibc malloc.h: M_MMAP_THRESHOLD -3).
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 1 << 20  # bytes; setting it also turns off glibc's dynamic raising of it


def _mallopt():
    """glibc's mallopt, or None (another platform or libc)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        # By soname, not ctypes.util.find_library: that runs ldconfig/gcc on every start.
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # musl or another libc
        return None
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt


def limit_malloc_arenas(arenas: int = ARENA_MAX) -> bool:
    """Cap glibc's malloc arenas (a no-op elsewhere, or if MALLOC_ARENA_MAX is set); True if applied.

    Call before threads start: glibc latches its arena limit once several arenas exist.
    """
    mallopt = _mallopt()
    if mallopt is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Serve allocations of ``threshold`` bytes or more by mmap, for good; True if applied.

    Left alone if the user set MALLOC_MMAP_THRESHOLD_ (glibc's own environment switch).
    """
    mallopt = _mallopt()
    if mallopt is None or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


class ArenaShrinkingSession:
    """An onnxruntime InferenceSession whose CPU arena gives back its free regions after each run.

    For sessions whose input sizes vary from run to run (piper: one run per sentence), whose
    arena would otherwise keep the largest sentence's tensors for good. Wraps the session
    rather than setting a session option because the shrinking is a *run* option and piper
    calls ``session.run()`` itself; everything else is passed through to the session.
    """

    def __init__(self, session) -> None:
        import onnxruntime

        self.session = session
        self._run_options = onnxruntime.RunOptions()
        # "cpu:0": the CPU arena of device 0, the only one a CPU-only session has.
        self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def run(self, output_names, input_feed, run_options=None):
        return self.session.run(output_names, input_feed, run_options or self._run_options)

    def __getattr__(self, name: str):
        return getattr(self.session, name)


def tune_malloc() -> None:
    """Both settings; call on import, before any engine or Qt thread exists."""
    limit_malloc_arenas()
    fix_mmap_threshold()
