"""Where Voxpad keeps settings and data, and where its own resources live.

Paths never depend on the working directory, so they hold inside a PyInstaller bundle.
VOXPAD_CONFIG_DIR / VOXPAD_DATA_DIR override the platformdirs locations (tests use them
so they never touch a user's real settings).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

_APP_DIR_NAME = "voxpad"


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    override = os.environ.get("VOXPAD_CONFIG_DIR")
    return _private_dir(Path(override) if override else Path(platformdirs.user_config_dir(_APP_DIR_NAME)))


def data_dir() -> Path:
    override = os.environ.get("VOXPAD_DATA_DIR")
    return _private_dir(Path(override) if override else Path(platformdirs.user_data_dir(_APP_DIR_NAME)))


def resources_dir() -> Path:
    """The folder of icons and other files the app loads at run time."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "voxpad_resources"
    import voxpad_resources  # installed from the repo's resources/ folder

    return Path(voxpad_resources.__file__).parent
