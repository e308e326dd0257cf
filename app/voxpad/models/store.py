"""The installed speech models and voices: the one place that knows where they live.

Layout under the data folder (other parts of the app may read it, only this module writes):

    models/stt/<name>/            a CTranslate2 Whisper folder (config.json, model.bin, ...)
    voices/<name>.onnx            a piper voice, with <name>.onnx.json beside it

plus the two bundled defaults, which always exist and cannot be removed. Installs are atomic:
files are staged in a hidden ``.incoming-*`` folder on the same file system, checked by loading
them, then renamed into place, so nothing half-installed is ever listed. A voice is two files;
its ``.onnx.json`` is moved first and the ``.onnx`` last, and a voice only counts once both exist.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from voxpad import paths
from voxpad.errors import ModelError
from voxpad.models import validate
from voxpad.models.defaults import bundled_voice, bundled_whisper_model

log = logging.getLogger(__name__)

STT, TTS = "stt", "tts"
BUNDLED_SPEECH_MODEL = "tiny.en"
BUNDLED_VOICE = "en_US-joe-medium"
_STAGING_PREFIX = ".incoming-"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
_KIND_WORDS = {STT: "speech model", TTS: "voice"}


@dataclass(frozen=True)
class InstalledModel:
    """A speech model (kind "stt", ``path`` is its folder) or voice ("tts", ``path`` is its .onnx)."""

    kind: str
    name: str
    path: Path
    languages: tuple[str, ...]
    bundled: bool
    size: int  # bytes on disk
    hint: str  # quality/speed in a few words

    @property
    def multilingual(self) -> bool:
        return self.kind == STT and len(self.languages) > 1

    def is_active(self, settings) -> bool:
        """True if ``settings`` (a voxpad.config.Settings) selects this model."""
        chosen = settings.speech_model if self.kind == STT else settings.voice_model
        if not chosen:
            return self.bundled
        return _same_path(Path(chosen), self.path)

    def as_json(self, active: bool) -> dict:
        return {"kind": self.kind, "name": self.name, "path": str(self.path), "languages": list(self.languages),
                "bundled": self.bundled, "active": active, "size": self.size, "hint": self.hint}


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def stt_dir() -> Path:
    folder = paths.data_dir() / "models" / "stt"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def voices_dir() -> Path:
    folder = paths.data_dir() / "voices"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- describing models ----------------------------------------------------------------

def _whisper_languages(folder: Path) -> tuple[str, ...]:
    if not validate.whisper_is_multilingual(folder):
        return ("en",)
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES  # the codes Whisper was trained on

        return tuple(_LANGUAGE_CODES)
    except ImportError:  # pragma: no cover - faster-whisper is a dependency
        return ("en", "multilingual")


def _whisper_hint(name: str, size: int) -> str:
    from voxpad.models.catalogue import built_in_entries

    for entry in built_in_entries():
        if entry.kind == STT and entry.name == name:
            return entry.hint
    megabytes = size / 1_000_000
    if megabytes < 100:
        return "fastest, least accurate"
    if megabytes < 250:
        return "fast, more accurate than tiny"
    if megabytes < 800:
        return "accurate, slower"
    return "most accurate, slow"


_VOICE_QUALITY_HINTS = {
    "x_low": "fastest, lowest quality",
    "low": "fast, lower quality",
    "medium": "medium quality",
    "high": "best quality, slower",
}


def _folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def describe_speech_model(folder: Path, name: str | None = None, bundled: bool = False) -> InstalledModel:
    name = name or folder.name
    size = _folder_size(folder)
    return InstalledModel(STT, name, folder, _whisper_languages(folder), bundled, size, _whisper_hint(name, size))


def describe_voice(model: Path, bundled: bool = False) -> InstalledModel:
    config_path = model.with_name(model.name + ".json")
    languages: tuple[str, ...] = ()
    hint = ""
    try:
        config = validate.read_voice_config(config_path)
        code = (config.get("language") or {}).get("code") or (config.get("espeak") or {}).get("voice")
        languages = (str(code),) if code else ()
        hint = _VOICE_QUALITY_HINTS.get(str((config.get("audio") or {}).get("quality")), "")
    except ModelError:
        pass  # still listed (so it can be removed); loading it will say what is wrong
    size = model.stat().st_size + config_path.stat().st_size
    return InstalledModel(TTS, model.name.removesuffix(".onnx"), model, languages, bundled, size, hint)


# -- listing ----------------------------------------------------------------------------

def _installed_speech_models() -> list[InstalledModel]:
    found = []
    for folder in sorted(stt_dir().iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        try:
            validate.check_whisper_files(folder)
        except ModelError:
            log.warning("Skipping %s: not a complete Whisper model folder", folder)
            continue
        found.append(describe_speech_model(folder))
    return found


def _installed_voices() -> list[InstalledModel]:
    found = []
    for model in sorted(voices_dir().glob("*.onnx")):
        if model.is_file() and model.with_name(model.name + ".json").is_file():
            found.append(describe_voice(model))
    return found


def list_installed(kind: str | None = None) -> list[InstalledModel]:
    """Every usable model of ``kind`` (None: both), bundled defaults first."""
    result: list[InstalledModel] = []
    if kind in (None, STT):
        result.append(describe_speech_model(bundled_whisper_model(), BUNDLED_SPEECH_MODEL, bundled=True))
        result.extend(m for m in _installed_speech_models() if m.name != BUNDLED_SPEECH_MODEL)
    if kind in (None, TTS):
        result.append(describe_voice(bundled_voice().model, bundled=True))
        result.extend(m for m in _installed_voices() if m.name != BUNDLED_VOICE)
    return result


def find_installed(name: str, kind: str | None = None) -> InstalledModel:
    """The installed model called ``name``, or ModelError that says how to list them."""
    matches = [m for m in list_installed(kind) if m.name == name]
    if not matches:
        what = _KIND_WORDS.get(kind or "", "model or voice")
        raise ModelError(f"No {what} called {name} is installed; 'voxpad models list' shows the installed ones.")
    return matches[0]


def active_model(kind: str, settings) -> InstalledModel | None:
    """The installed model ``settings`` selects, or None if it selects a path outside the store."""
    for model in list_installed(kind):
        if model.is_active(settings):
            return model
    return None


def resolve(name_or_path: str | Path | None, kind: str) -> Path | None:
    """A model path from what a user typed: an existing path, or an installed name (None stays None)."""
    if name_or_path is None:
        return None
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.exists():
        return candidate
    if _NAME.match(text):
        try:
            return find_installed(text, kind).path
        except ModelError:
            pass
    if "/" in text or text.endswith(".onnx"):
        return candidate  # clearly meant as a path: the loader says what is missing
    what = _KIND_WORDS[kind]
    raise ModelError(f"{text} is neither a file nor an installed {what}; 'voxpad models list' shows the installed ones.")


# -- changing what is installed ---------------------------------------------------------

def _check_new_name(name: str, kind: str) -> None:
    if not _NAME.match(name):
        raise ModelError(f"{name!r} cannot be used as a name; use letters, digits, dots, dashes and underscores.")
    if any(m.name == name for m in list_installed(kind)):
        raise ModelError(f"A {_KIND_WORDS[kind]} called {name} is already installed; remove it first or choose "
                         f"another name with --name.")


def kind_of(source: Path) -> str:
    """STT for a folder, TTS for a voice file; ModelError for anything else."""
    if not source.exists():
        raise ModelError(f"{source} does not exist.")
    if source.is_dir():
        return STT
    if source.name.endswith(".onnx") or source.name.endswith(".onnx.json"):
        return TTS
    raise ModelError(f"{source.name} is neither a Whisper model folder nor a piper .onnx voice.")


def staging_dir(kind: str) -> Path:
    """A fresh hidden folder beside the installed models (same file system, so rename is atomic)."""
    parent = stt_dir() if kind == STT else voices_dir()
    return Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=parent))


def import_model(source: Path, name: str | None = None) -> InstalledModel:
    """Copy a model folder or voice into the store after checking that it loads."""
    source = Path(source).expanduser()
    kind = kind_of(source)
    if kind == STT:
        validate.check_whisper_files(source)  # cheap refusals before copying gigabytes
        name = name or source.name
        _check_new_name(name, kind)
        staged = staging_dir(kind)
        try:
            for item in source.iterdir():
                if item.is_file():
                    shutil.copy2(item, staged / item.name)
            return install_staged(kind, name, staged)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    voice = validate.voice_paths(source)
    validate.read_voice_config(voice.config)
    name = name.removesuffix(".onnx") if name else voice.model.name.removesuffix(".onnx")
    _check_new_name(name, kind)
    staged = staging_dir(kind)
    try:
        shutil.copy2(voice.model, staged / f"{name}.onnx")
        shutil.copy2(voice.config, staged / f"{name}.onnx.json")
        return install_staged(kind, name, staged)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def install_staged(kind: str, name: str, staged: Path) -> InstalledModel:
    """Load-check the files in ``staged`` (from :func:`staging_dir`) and move them into place.

    For a voice, ``staged`` must hold ``<name>.onnx`` and ``<name>.onnx.json``.
    """
    _check_new_name(name, kind)
    try:
        if kind == STT:
            validate.validate_whisper_folder(staged)
            target = stt_dir() / name
            os.rename(staged, target)  # fails rather than merge if the name appeared meanwhile
            return describe_speech_model(target)
        model = staged / f"{name}.onnx"
        validate.validate_voice(model)
        target = voices_dir() / f"{name}.onnx"
        os.replace(staged / f"{name}.onnx.json", target.with_name(target.name + ".json"))
        os.replace(model, target)  # the .onnx appearing is what makes the voice listed
        return describe_voice(target)
    except OSError as exc:
        raise ModelError(f"The {_KIND_WORDS[kind]} {name} could not be installed: "
                         f"{(exc.strerror or str(exc)).lower()}.") from exc


def remove_model(name: str, kind: str | None = None) -> InstalledModel:
    """Delete an installed model; the bundled defaults are refused."""
    model = find_installed(name, kind)
    if model.bundled:
        raise ModelError(f"{name} comes with Voxpad and cannot be removed.")
    if model.kind == STT:
        # Renaming first makes it vanish from the list at once, even if deleting takes a while.
        doomed = model.path.with_name(f"{_STAGING_PREFIX}removed-{model.name}")
        shutil.rmtree(doomed, ignore_errors=True)
        os.rename(model.path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
    else:
        model.path.unlink()
        model.path.with_name(model.path.name + ".json").unlink(missing_ok=True)
    return model


def use_model(name: str, settings, kind: str | None = None) -> InstalledModel:
    """Make ``name`` the active model of its kind in ``settings`` (the caller saves them)."""
    model = find_installed(name, kind)
    value = None if model.bundled else str(model.path)
    if model.kind == STT:
        settings.speech_model = value
    else:
        settings.voice_model = value
    return model


def forget_if_active(model: InstalledModel, settings) -> bool:
    """After removing ``model``: point ``settings`` back at the bundled default if it was active."""
    if model.is_active(settings) and not model.bundled:
        if model.kind == STT:
            settings.speech_model = None
        else:
            settings.voice_model = None
        return True
    return False


# -- languages --------------------------------------------------------------------------

def _family(code: str) -> str:
    return re.split(r"[_-]", code.strip())[0].lower()


def voice_for_language(language: str, settings=None) -> InstalledModel | None:
    """The installed voice to read text in ``language`` ("de", "de_DE", "pt-BR"), or None.

    Preference: exact code match, then the active voice, then the bundled one, then by name.
    """
    if not language:
        return None
    wanted = language.strip().replace("-", "_").lower()
    family = _family(wanted)
    voices = [v for v in list_installed(TTS) if any(_family(code) == family for code in v.languages)]
    if not voices:
        return None

    def rank(voice: InstalledModel) -> tuple:
        exact = any(code.lower() == wanted for code in voice.languages)
        active = settings is not None and voice.is_active(settings)
        return (not exact, not active, not voice.bundled, voice.name)

    return min(voices, key=rank)
