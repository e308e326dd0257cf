"""User settings: one dataclass, saved as JSON under the platformdirs config folder.

Each setting is declared once here with its type and default. Unknown keys in the file
are ignored and missing ones take the default, so old and new versions share a file.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from voxpad import paths

log = logging.getLogger(__name__)

# How dictated text reaches another application (voxpad.desktop.typing.choose_typer knows each).
# Defined here, not there, so settings load without importing the desktop code.
INSERTION_METHODS = ("auto", "xtest", "clipboard", "wtype", "portal", "ydotool")

SETTINGS_FILE = "settings.json"
MAX_RECENT_FILES = 8


@dataclass
class Settings:
    """Everything the user can choose; defaults are what a fresh install uses."""

    input_device: str | None = None  # device name; None = the system default
    output_device: str | None = None
    voice_speed: float = 1.0  # 0.5..2.0, 1.0 = the voice's natural pace
    speech_model: str | None = None  # CTranslate2 Whisper folder; None = bundled tiny.en
    voice_model: str | None = None  # piper .onnx; None = bundled en_US-joe-medium
    # Read a text in another language with an installed voice of that language, if there is one.
    voice_follows_language: bool = True
    # Spoken language for multilingual speech models: a Whisper code ("de") or "auto" to detect.
    language: str = "en"
    # Models & voices: where downloads come from ("" = Hugging Face; VOXPAD_MODEL_MIRROR wins),
    # and after how many idle minutes a loaded model is unloaded to free memory (0 = never).
    model_mirror_url: str = ""
    idle_unload_minutes: float = 10.0
    beam_size: int = 5
    silence_timeout: float = 0.7  # seconds of silence that end an utterance
    spoken_commands: bool = True  # "comma", "new line", "scratch that"… while dictating
    font_size: int = 13
    word_wrap: bool = True
    recent_files: list[str] = field(default_factory=list)
    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    # Dictate anywhere (global hotkeys; "" = unused). Key names as Qt's QKeySequence writes them.
    toggle_hotkey: str = "Ctrl+Alt+Space"
    push_to_talk_hotkey: str = ""
    read_selection_hotkey: str = "Ctrl+Alt+R"
    insertion_method: str = "auto"  # one of INSERTION_METHODS
    cue_sounds: bool = True  # short sounds when dictation starts and stops
    show_overlay: bool = True  # the small listening strip while dictating into other apps
    # Days to keep the recording journal of a session that closed normally (0: delete at once).
    journal_retention_days: float = 0.0

    def add_recent_file(self, path: str) -> None:
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT_FILES:]

    def clamp(self) -> Settings:
        """Bring hand-edited or old values back into range."""
        self.voice_speed = min(2.0, max(0.5, float(self.voice_speed)))
        self.beam_size = min(10, max(1, int(self.beam_size)))
        self.silence_timeout = min(5.0, max(0.2, float(self.silence_timeout)))
        self.font_size = min(72, max(6, int(self.font_size)))
        self.idle_unload_minutes = min(24 * 60.0, max(0.0, float(self.idle_unload_minutes)))
        self.language = (self.language or "en").strip().lower() or "en"
        if self.insertion_method not in INSERTION_METHODS:
            self.insertion_method = "auto"
        self.journal_retention_days = min(365.0, max(0.0, float(self.journal_retention_days)))
        return self


def settings_path() -> Path:
    return paths.config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing or damaged file gives the defaults (and a log line)."""
    path = path or settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("Settings file %s could not be read (%s); using defaults.", path, exc)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    known = {f.name: f for f in fields(Settings)}
    values = {}
    defaults = Settings()
    for name, value in raw.items():
        if name not in known:
            continue
        default = getattr(defaults, name)
        # Keep a value only if it has the type the default has (None is allowed for optionals).
        if value is None or default is None or isinstance(value, type(default)) or (
            isinstance(default, float) and isinstance(value, int)
        ):
            values[name] = value
    try:
        return Settings(**values).clamp()
    except (TypeError, ValueError):
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) and readable by the user only."""
    path = path or settings_path()
    tmp = path.with_suffix(".tmp")
    data = json.dumps(asdict(settings), indent=2)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
