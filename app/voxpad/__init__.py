"""Voxpad: offline dictation and read-aloud for the desktop."""

# The one place the version lives: pyproject reads it, --version and About show it.
__version__ = "0.1.0"
APP_NAME = "Voxpad"
APP_ID = "io.github.voxpad.Voxpad"
