"""What the bundle tests share: the built bundle's paths and an empty environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Bundle:
    """The built tarball, and the bundle unpacked from it into a folder of its own."""

    tarball: Path
    root: Path  # the unpacked voxpad/ folder
    build_seconds: float

    @property
    def program(self) -> Path:
        return self.root / "voxpad"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An empty environment, as a desktop launcher gives: no venv, no PYTHONPATH, no Qt settings."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **extra}
