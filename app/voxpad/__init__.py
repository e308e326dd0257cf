"""Voxpad: offline dictation and read-aloud for the desktop."""

# The one place the version lives: pyproject reads it, --version and About show it.
__version__ = "0.1.0"
APP_NAME = "Voxpad"
APP_ID = "io.github.voxpad.Voxpad"

# Before any engine or Qt thread exists (see native_memory: the soak's and long files' RSS growth).
from voxpad.native_memory import tune_malloc as _tune_malloc  # noqa: E402

_tune_malloc()
