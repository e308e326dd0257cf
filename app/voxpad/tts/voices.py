"""The piper voices a user can choose: the bundled one first, then those in the voices folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VoiceChoice:
    """A voice as settings offer it: a name to show and the path settings store (None = bundled)."""

    name: str
    path: Path | None


def installed_voices() -> list[VoiceChoice]:
    """Every usable voice, bundled first; the model store decides what counts as installed."""
    from voxpad.models import store

    return [VoiceChoice(f"{model.name} (bundled)" if model.bundled else model.name,
                        None if model.bundled else model.path)
            for model in store.list_installed(store.TTS)]
