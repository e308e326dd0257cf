"""Is this folder a usable Whisper model, is this file a usable piper voice? One sentence if not.

Checks run from cheap to costly (files present, JSON parses, then a real load), so a
plainly wrong choice is refused at once and only a plausible one pays for a model load.
"""

from __future__ import annotations

import json
from pathlib import Path

from voxpad.errors import ModelError
from voxpad.models.defaults import VoicePaths

# A CTranslate2 Whisper folder; tokenizer.json matters because faster-whisper would
# otherwise fetch a tokenizer from the internet.
WHISPER_REQUIRED = ("config.json", "model.bin", "tokenizer.json")
WHISPER_VOCABULARIES = ("vocabulary.txt", "vocabulary.json")
# Whisper's multilingual vocabulary has 51865 tokens, the English-only one 51864
# (CTranslate2's own is_multilingual test is the same comparison).
_MULTILINGUAL_VOCABULARY = 51865


def check_whisper_files(path: Path) -> None:
    """Raise ModelError unless ``path`` is a folder holding every file a Whisper model needs."""
    if not path.exists():
        raise ModelError(f"{path} does not exist.")
    if not path.is_dir():
        raise ModelError(f"{path} is a file; a speech model is a folder holding model.bin, config.json and tokenizer.json.")
    missing = [name for name in WHISPER_REQUIRED if not (path / name).is_file()]
    if not any((path / name).is_file() for name in WHISPER_VOCABULARIES):
        missing.append("vocabulary.txt")
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ModelError(f"The folder {path.name} is not a complete Whisper model: {', '.join(missing)} {verb} missing.")
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise ModelError(f"The speech model {path.name} has a damaged config.json.") from None
    if not isinstance(config, dict):
        raise ModelError(f"The speech model {path.name} has a damaged config.json.")


def validate_whisper_folder(path: Path) -> None:
    """Check the files, then load the model once: only a model that loads is accepted."""
    from voxpad.stt.recognizer import SpeechRecognizer

    check_whisper_files(path)
    SpeechRecognizer.load(path)  # raises ModelError with a sentence; the model is freed on return


def whisper_is_multilingual(path: Path) -> bool:
    """True for a multilingual Whisper model (judged from its vocabulary, without loading it)."""
    text_vocabulary = path / "vocabulary.txt"
    try:
        if text_vocabulary.is_file():
            with text_vocabulary.open("rb") as fh:
                return sum(1 for _ in fh) >= _MULTILINGUAL_VOCABULARY
        json_vocabulary = path / "vocabulary.json"
        if json_vocabulary.is_file():
            return len(json.loads(json_vocabulary.read_text(encoding="utf-8"))) >= _MULTILINGUAL_VOCABULARY
    except (OSError, ValueError):
        pass
    return False


def voice_paths(model: Path) -> VoicePaths:
    """The .onnx and its .onnx.json for a voice chosen as either file; ModelError if one is missing."""
    if model.name.endswith(".onnx.json"):
        model = model.with_name(model.name.removesuffix(".json"))
    if not model.exists():
        raise ModelError(f"{model} does not exist.")
    if model.is_dir():
        raise ModelError(f"{model.name} is a folder; a voice is a piper .onnx file with its .onnx.json beside it.")
    if model.suffix != ".onnx":
        raise ModelError(f"{model.name} is not a piper voice; choose its .onnx file.")
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise ModelError(f"The voice {model.name} has no settings file beside it ({config.name} is missing).")
    return VoicePaths(model, config)


def read_voice_config(config: Path) -> dict:
    """The parsed .onnx.json of a voice, or ModelError saying it is damaged."""
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise ModelError(f"The voice settings file {config.name} is damaged (it is not valid JSON).") from None
    if not isinstance(data, dict) or "audio" not in data or "phoneme_id_map" not in data:
        raise ModelError(f"The voice settings file {config.name} is not a piper voice configuration.")
    return data


def validate_voice(model: Path) -> VoicePaths:
    """Check the pair of files, parse the settings, then load the voice once."""
    from voxpad.tts.voice import Voice

    paths = voice_paths(model)
    read_voice_config(paths.config)
    Voice.load(paths.model)  # raises ModelError with a sentence
    return paths
