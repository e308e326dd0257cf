"""Errors a person can meet, each carrying one sentence that says what went wrong.

Everything the UI or the CLI shows to a user comes from ``str(error)`` of one of these;
anything else escaping an engine is a bug and is reported as such.
"""


class VoxpadError(Exception):
    """Base class: ``str(self)`` is a complete sentence for the user."""


class AudioDeviceError(VoxpadError):
    """No microphone or speaker, the sound server is down, or a device failed."""


class AudioFileError(VoxpadError):
    """An audio file is missing, unreadable, or not audio."""


class ModelError(VoxpadError):
    """A speech model or voice is missing or broken."""


class DocumentError(VoxpadError):
    """A document could not be opened or saved."""


class Cancelled(VoxpadError):
    """The user cancelled a long operation."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)
