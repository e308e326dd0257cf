"""Voxpad: offline dictation and read-aloud for the desktop."""

# The one place the version lives: pyproject reads it, --version and About show it.
__version__ = "0.1.0"
APP_NAME = "Voxpad"
APP_ID = "io.github.voxpad.Voxpad"

# Before any engine or Qt thread exists (see native_memory: per-thread arenas grew RSS in the soak).
from voxpad.native_memory import limit_malloc_arenas as _limit_malloc_arenas  # noqa: E402

_limit_malloc_arenas()
